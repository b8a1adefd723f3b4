//! SDMX 2.1 REST under `/sdmx/v1` (first part): structure queries for the
//! dataflow, the data structure, the codelists and the concept scheme, with
//! `references`; data queries `/data/{flowRef}[/{key}[/{provider}]]` with
//! `startPeriod`, `endPeriod`, `firstNObservations`, `lastNObservations`,
//! `updatedAfter` and `detail`, answered in GenericData 2.1 (the default,
//! also for `*/*`), StructureSpecificData 2.1 or SDMX-CSV 1.0; errors as SDMX error messages with the
//! statuses of the standard (404 no results, 400 syntax, 406, 501).
//!
//! Paths are parsed by hand from the raw, percent-decoded segments: clients
//! leave out trailing segments, add a trailing `/`, and percent-encode `+`
//! and `,` (pysdmx), and a form decoder would turn `+` into a space.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use solieu_model::Period;
use solieu_store::{ObsQuery, Store};

use super::auth::{read_as_of, Caller};
use super::AppState;
use crate::sdmx::{self, Detail, Wanted};

const STRUCTURE_XML: &str = "application/vnd.sdmx.structure+xml;version=2.1";
const GENERIC_XML: &str = "application/vnd.sdmx.genericdata+xml;version=2.1";
const CSV_1: &str = "application/vnd.sdmx.data+csv;version=1.0.0";
const SPECIFIC_XML: &str = "application/vnd.sdmx.structurespecificdata+xml;version=2.1";

/// The routes.
pub fn routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/sdmx/v1/{*path}", get(v1))
        .with_state(state)
}

fn reply(status: StatusCode, media: &str, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = media.parse() {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::VARY, header::HeaderValue::from_static("Accept"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    r
}

fn error(status: StatusCode, code: u16, text: &str) -> Response {
    reply(status, "application/xml", sdmx::error_message(code, text))
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query's parameters, percent-decoded only (`+` stays `+`).
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
}

fn params(raw: Option<&str>) -> Params {
    Params(
        raw.unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect(),
    )
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn v1(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    headers: HeaderMap,
    Path(path): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let q = params(raw.as_deref());
    let as_of = match read_as_of(&state, &p, None) {
        Ok(a) => a,
        Err(_) => {
            return error(
                StatusCode::UNAUTHORIZED,
                110,
                "sign in or wait for a release",
            )
        }
    };
    let Some(resource) = segs.first().map(String::as_str) else {
        return error(StatusCode::NOT_FOUND, 100, "no resource");
    };
    if resource == "data" {
        return data(&state, &segs, &q, &headers, as_of);
    }
    structure(&state, resource, &segs, &q)
}

fn matches_any(list: &str, want: &str) -> bool {
    list.split('+')
        .any(|x| x == "all" || x == "*" || x.eq_ignore_ascii_case(want))
}

fn structure(state: &AppState, resource: &str, segs: &[String], q: &Params) -> Response {
    let agency = segs.get(1).map_or("all", String::as_str);
    let id = segs.get(2).map_or("all", String::as_str);
    let version = segs.get(3).map_or("latest", String::as_str);
    let references = q.get("references").unwrap_or("none");
    if !matches!(
        references,
        "none"
            | "parents"
            | "parentsandsiblings"
            | "children"
            | "descendants"
            | "all"
            | "codelist"
            | "conceptscheme"
            | "datastructure"
            | "dataflow"
    ) {
        return error(
            StatusCode::BAD_REQUEST,
            140,
            &format!("references={references}: not a valid value"),
        );
    }
    if let Some(d) = q.get("detail") {
        if !matches!(
            d,
            "full"
                | "allstubs"
                | "referencestubs"
                | "referencepartial"
                | "allcompletestubs"
                | "referencecompletestubs"
        ) {
            return error(
                StatusCode::BAD_REQUEST,
                140,
                &format!("detail={d}: not a valid value"),
            );
        }
    }
    if !matches_any(agency, sdmx::AGENCY)
        || !(matches_any(version, sdmx::VERSION) || version == "latest")
    {
        return error(StatusCode::NOT_FOUND, 100, "No Results Found");
    }
    let down = matches!(references, "children" | "descendants" | "all");
    let mut w = Wanted::default();
    match resource {
        "dataflow" if matches_any(id, sdmx::FLOW) => {
            w.dataflows = true;
            w.dsds = down || references == "datastructure";
            w.codelists = matches!(references, "descendants" | "all" | "codelist");
            w.concepts = matches!(references, "descendants" | "all" | "conceptscheme");
        }
        "datastructure" if matches_any(id, sdmx::DSD) => {
            w.dsds = true;
            w.codelists = down || references == "codelist";
            w.concepts = down || references == "conceptscheme";
            w.dataflows = matches!(
                references,
                "parents" | "parentsandsiblings" | "all" | "dataflow"
            );
        }
        "conceptscheme" if matches_any(id, sdmx::CONCEPTS) => {
            w.concepts = true;
            w.dsds = matches!(
                references,
                "parents" | "parentsandsiblings" | "all" | "datastructure"
            );
        }
        "codelist" => {
            let ids = [
                "CL_FREQ",
                "CL_INDICATOR",
                "CL_AREA",
                "CL_MEASURE",
                "CL_OBS_STATUS",
                "CL_UNIT",
            ];
            if id == "all" || id == "*" {
                w.codelists = true;
            } else if let Some(c) = ids.iter().find(|c| c.eq_ignore_ascii_case(id)) {
                w.codelists = true;
                w.codelist = Some(c);
            } else {
                return error(StatusCode::NOT_FOUND, 100, "No Results Found");
            }
            w.dsds = matches!(
                references,
                "parents" | "parentsandsiblings" | "all" | "datastructure"
            );
        }
        "structure" => {
            w = Wanted {
                dataflows: true,
                codelists: true,
                codelist: None,
                concepts: true,
                dsds: true,
            };
        }
        "dataflow" | "datastructure" | "conceptscheme" => {
            return error(StatusCode::NOT_FOUND, 100, "No Results Found")
        }
        other => {
            return error(
                StatusCode::NOT_IMPLEMENTED,
                501,
                &format!("{other}: not implemented by this service"),
            )
        }
    }
    let Ok(engine) = state.engine() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
    };
    let body = sdmx::structure_message(engine.registry(), engine.indicators(), w, &now());
    reply(StatusCode::OK, STRUCTURE_XML, body)
}

/// The bounds of an SDMX period parameter (`2020`, `2020-10`, `2020-Q3`,
/// `2020-S1`, `2020-M10`, `2020-10-31`).
fn bounds(s: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some((d, d));
    }
    let s = s.replace("-M", "-");
    let p = Period::parse(&s).ok()?;
    Some((p.start_date(), p.end_date()))
}

fn data(
    state: &AppState,
    segs: &[String],
    q: &Params,
    headers: &HeaderMap,
    as_of: Option<i64>,
) -> Response {
    // content negotiation first: an unknown type is 406 whatever the query
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_ascii_lowercase();
    let csv = accept.contains("application/vnd.sdmx.data+csv");
    let specific = accept.contains("structurespecificdata+xml");
    let generic = accept.contains("genericdata+xml")
        || accept.contains("*/*")
        || accept.contains("application/xml")
        || accept.contains("text/xml")
        || accept.trim().is_empty();
    if !csv && !generic && !specific {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            406,
            &format!("{accept}: this service answers {GENERIC_XML}, {SPECIFIC_XML} or {CSV_1}"),
        );
    }
    let Some(flow) = segs.get(1) else {
        return error(
            StatusCode::BAD_REQUEST,
            140,
            "the dataflow is missing: /data/{flowRef}",
        );
    };
    let parts: Vec<&str> = flow.split(',').collect();
    let (agency, id, version) = match parts.as_slice() {
        [id] => (sdmx::AGENCY, *id, "latest"),
        [a, id] => (*a, *id, "latest"),
        [a, id, v] => (*a, *id, *v),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                140,
                "flowRef: FLOW, AGENCY,FLOW or AGENCY,FLOW,VERSION",
            )
        }
    };
    if !matches_any(agency, sdmx::AGENCY)
        || !id.eq_ignore_ascii_case(sdmx::FLOW)
        || !(version == "latest" || version == sdmx::VERSION || version == "*")
    {
        return error(StatusCode::NOT_FOUND, 100, &format!("no dataflow {flow}"));
    }
    // the key: FREQ.INDICATOR.REF_AREA.MEASURE, '+' = or, empty = any
    let key = segs.get(2).map_or("all", String::as_str);
    let wanted: Vec<Vec<String>> = if key == "all" {
        vec![vec![]; 4]
    } else {
        let k: Vec<&str> = key.split('.').collect();
        if k.len() > 4 {
            return error(
                StatusCode::BAD_REQUEST,
                140,
                &format!("key {key}: at most 4 dimensions (FREQ.INDICATOR.REF_AREA.MEASURE)"),
            );
        }
        (0..4)
            .map(|i| {
                k.get(i)
                    .map(|s| {
                        s.split('+')
                            .filter(|x| !x.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    };
    let num = |k: &str| -> Result<Option<usize>, String> {
        q.get(k)
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| format!("{k}={v}: expected a whole number"))
            })
            .transpose()
    };
    let (first_n, last_n) = match (num("firstNObservations"), num("lastNObservations")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error(StatusCode::BAD_REQUEST, 140, &e),
    };
    let detail = match q.get("detail").map(Detail::parse) {
        None => Detail::Full,
        Some(Some(d)) => d,
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                140,
                "detail: full, dataonly, serieskeysonly or nodata",
            )
        }
    };
    let flat = match q.get("dimensionAtObservation") {
        None | Some("TIME_PERIOD") => false,
        Some("AllDimensions") if !csv => true,
        Some(d) => {
            return error(
                StatusCode::NOT_IMPLEMENTED,
                501,
                &format!(
                "dimensionAtObservation={d}: TIME_PERIOD and AllDimensions (in SDMX-ML) are served"
            ),
            )
        }
    };
    let history = q.get("includeHistory").is_some_and(|v| v == "true");
    if history && csv {
        return error(
            StatusCode::NOT_IMPLEMENTED,
            501,
            "includeHistory is served in SDMX-ML (GenericData); SDMX-CSV 1.0 has no versions",
        );
    }
    type Bounds = Option<(chrono::NaiveDate, chrono::NaiveDate)>;
    let range = |k: &str| -> Result<Bounds, String> {
        q.get(k)
            .map(|v| {
                bounds(v).ok_or_else(|| {
                    format!("{k}={v}: expected 2020, 2020-10, 2020-Q3, 2020-S1 or 2020-10-31")
                })
            })
            .transpose()
    };
    let (start, end) = match (range("startPeriod"), range("endPeriod")) {
        (Ok(a), Ok(b)) => (a.map(|x| x.0), b.map(|x| x.1)),
        (Err(e), _) | (_, Err(e)) => return error(StatusCode::BAD_REQUEST, 140, &e),
    };
    let updated_after = match q.get("updatedAfter").map(crate::timefmt::parse_as_of) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return error(StatusCode::BAD_REQUEST, 140, &format!("updatedAfter: {e}")),
    };
    let vintages = {
        let Ok(store) = state.store() else {
            return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
        };
        let query = ObsQuery {
            indicators: wanted[1].iter().map(|i| i.to_ascii_uppercase()).collect(),
            areas: wanted[2].clone(),
            periods: vec![],
            measures: vec![],
            as_of,
        };
        let read = if history {
            store.history(&query)
        } else {
            store.observations(&query)
        };
        match read {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("sdmx data: {e}");
                return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
            }
        }
    };
    let keep: Vec<_> = vintages
        .into_iter()
        .filter(|v| {
            let p = v.obs.period;
            let (ps, pe) = match p {
                Period::Cumulative(y, m) => {
                    let mp = Period::Month(y, m);
                    (mp.start_date(), mp.end_date())
                }
                _ => (p.start_date(), p.end_date()),
            };
            (wanted[0].is_empty() || wanted[0].iter().any(|f| f == sdmx::freq(p)))
                && (wanted[3].is_empty()
                    || wanted[3]
                        .iter()
                        .any(|m| *m == sdmx::measure_code(v.obs.measure, p)))
                && start.is_none_or(|s| pe >= s)
                && end.is_none_or(|e| ps <= e)
                && updated_after.is_none_or(|t| v.recorded_at > t)
        })
        .collect();
    let engine = match state.engine() {
        Ok(e) => e,
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error"),
    };
    if history {
        // one data set per recording time, oldest first
        let mut times: Vec<i64> = keep.iter().map(|v| v.recorded_at).collect();
        times.sort_unstable();
        times.dedup();
        let sets: Vec<(Option<String>, Vec<sdmx::Series>)> = times
            .iter()
            .map(|t| {
                let at: Vec<_> = keep
                    .iter()
                    .filter(|v| v.recorded_at == *t)
                    .cloned()
                    .collect();
                (
                    Some(crate::timefmt::format_micros(*t)),
                    sdmx::series_of(&at, engine.indicators()),
                )
            })
            .collect();
        drop(engine);
        if sets.is_empty() {
            return error(StatusCode::NOT_FOUND, 100, "No Results Found");
        }
        return reply(
            StatusCode::OK,
            GENERIC_XML,
            sdmx::generic_history(&sets, detail, flat, &now()),
        );
    }
    let mut series = sdmx::series_of(&keep, engine.indicators());
    drop(engine);
    for s in &mut series {
        if let Some(n) = first_n {
            s.obs.truncate(n);
        }
        if let Some(n) = last_n {
            let len = s.obs.len();
            s.obs.drain(..len.saturating_sub(n));
        }
    }
    series.retain(|s| !s.obs.is_empty());
    if series.is_empty() {
        return error(StatusCode::NOT_FOUND, 100, "No Results Found");
    }
    if csv {
        reply(StatusCode::OK, CSV_1, sdmx::csv_data(&series, detail))
    } else if flat {
        reply(
            StatusCode::OK,
            GENERIC_XML,
            sdmx::generic_history(&[(None, series)], detail, true, &now()),
        )
    } else if specific && !accept.contains("genericdata+xml") {
        reply(
            StatusCode::OK,
            SPECIFIC_XML,
            sdmx::structure_specific(&series, detail, &now()),
        )
    } else {
        reply(
            StatusCode::OK,
            GENERIC_XML,
            sdmx::generic_data(&series, detail, &now()),
        )
    }
}

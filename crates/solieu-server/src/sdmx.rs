//! SDMX REST: version 2.1 (REST API v1.5) under `/sdmx/v1`, version 3.0
//! (REST API v2) under `/sdmx/v2`.
//!
//! - v1: structure queries for the dataflow, the data structure, the
//!   codelists and the concept scheme, with `references`; data queries
//!   `/data/{flowRef}[/{key}[/{provider}]]` with `startPeriod`, `endPeriod`,
//!   `firstNObservations`, `lastNObservations`, `updatedAfter`,
//!   `includeHistory`, `detail`, `dimensionAtObservation`.
//! - v2: `/structure/{type}/{agency}/{id}/{version}` and
//!   `/schema/{context}/{agency}/{id}/{version}` in SDMX-JSON 2.0 (what
//!   pysdmx's `RegistryClient` reads); `/data/{context}/{agency}/{id}/{version}/{key}`
//!   with `c[COMPONENT]=op:value` filters, `asOf` (the data as they were at
//!   any past time: solieu keeps every vintage), `updatedAfter`,
//!   `first/lastNObservations`, `attributes`, `measures`, `includeHistory`;
//!   an empty answer is `204 No Content`.
//! - Data in GenericData 2.1 (for `*/*` on both mounts: sdmx1 sends it and
//!   reads XML), StructureSpecificData 2.1, SDMX-CSV 1.0 and 2.0, SDMX-JSON
//!   2.0; structures in SDMX-ML 2.1 (the v1 default) or SDMX-JSON 2.0 (the v2
//!   default). Errors are SDMX error messages with the statuses of the
//!   standard (404 no results on v1, 400 syntax, 406, 501).
//!
//! Paths are parsed by hand from the raw, percent-decoded segments: clients
//! leave out trailing segments, add a trailing `/`, and percent-encode `+`,
//! `,`, `*`, `[` and `]` (pysdmx), and a form decoder would turn `+` into a
//! space.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use solieu_model::Vintage;
use solieu_store::ObsQuery;

use super::auth::{read_as_of, Caller, Principal};
use super::AppState;
use solieu_sdmx::json::Lang;
use solieu_sdmx::query::{
    bounds, data_format, flat_param, matches_any, params, parse_filter, parse_key, segments, span,
    structure_format, version_ok, whole, DataFormat, DataQuery, Filter, Params, StructureFormat,
    CSV_1, CSV_2, DATA_JSON, DATA_TYPES, GENERIC_XML, SPECIFIC_XML, STRUCTURE_JSON, STRUCTURE_XML,
};
use solieu_sdmx::{Detail, Series, Wanted};

pub fn routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/sdmx/v1/{*path}", get(v1))
        .route("/sdmx/v2/{*path}", get(v2))
        .with_state(state)
}

fn reply(status: StatusCode, media: &str, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = media.parse() {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::VARY,
        header::HeaderValue::from_static("Accept, Accept-Language"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    r
}

fn json_reply(media: &str, lang: Lang, body: &serde_json::Value) -> Response {
    let mut r = reply(StatusCode::OK, media, solieu_sdmx::json::text(body));
    r.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        header::HeaderValue::from_static(lang.tag()),
    );
    r
}

fn error(status: StatusCode, code: u16, text: &str) -> Response {
    reply(
        status,
        "application/xml",
        solieu_sdmx::error_message(code, text),
    )
}

fn no_content() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    r
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn v1(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    headers: HeaderMap,
    Path(path): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let segs = segments(&path);
    let q = params(raw.as_deref());
    let Some(resource) = segs.first().map(String::as_str) else {
        return error(StatusCode::NOT_FOUND, 100, "no resource");
    };
    if resource == "data" {
        return v1_data(&state, &p, &segs, &q, &headers);
    }
    if resource == "availableconstraint" {
        return v1_availability(&state, &p, &segs, &q, &headers);
    }
    let Some(format) = structure_format(&accept(&headers), false) else {
        return not_acceptable(&headers, &[STRUCTURE_XML, STRUCTURE_JSON]);
    };
    let agency = segs.get(1).map_or("all", String::as_str);
    let id = segs.get(2).map_or("all", String::as_str);
    let version = segs.get(3).map_or("latest", String::as_str);
    structure(&state, resource, agency, id, version, &q, format, &headers)
}

async fn v2(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    headers: HeaderMap,
    Path(path): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let segs = segments(&path);
    let q = params(raw.as_deref());
    let seg = |k: usize, default: &'static str| segs.get(k).map_or(default, String::as_str);
    match seg(0, "") {
        "data" => v2_data(&state, &p, &segs, &q, &headers),
        "structure" => {
            let Some(format) = structure_format(&accept(&headers), true) else {
                return not_acceptable(&headers, &[STRUCTURE_JSON, STRUCTURE_XML]);
            };
            if segs.len() > 5 {
                return error(
                    StatusCode::NOT_IMPLEMENTED,
                    501,
                    "item queries (/structure/{type}/{agency}/{id}/{version}/{item}) are not implemented",
                );
            }
            structure(
                &state,
                seg(1, "*"),
                seg(2, "*"),
                seg(3, "*"),
                seg(4, "~"),
                &q,
                format,
                &headers,
            )
        }
        "schema" => {
            let Some(format) = structure_format(&accept(&headers), true) else {
                return not_acceptable(&headers, &[STRUCTURE_JSON, STRUCTURE_XML]);
            };
            let (context, agency, id, version) =
                (seg(1, ""), seg(2, "*"), seg(3, "*"), seg(4, "~"));
            let known = match context {
                "dataflow" => matches_any(id, solieu_sdmx::FLOW),
                "datastructure" => matches_any(id, solieu_sdmx::DSD),
                "" => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        140,
                        "/schema/{context}/{agency}/{id}/{version}: the context is missing",
                    )
                }
                _ => false,
            };
            if !known || !matches_any(agency, solieu_sdmx::AGENCY) || !version_ok(version) {
                return error(StatusCode::NOT_FOUND, 100, "No Results Found");
            }
            let w = Wanted {
                dataflows: false,
                codelists: true,
                codelist: None,
                concepts: true,
                dsds: true,
            };
            render_structure(&state, w, format, &headers)
        }
        "" => error(StatusCode::NOT_FOUND, 100, "no resource"),
        other => error(
            StatusCode::NOT_IMPLEMENTED,
            501,
            &format!("/{other}: not implemented by this service (structure, schema and data are)"),
        ),
    }
}

/// The `Accept` header, lower case (empty when absent).
fn accept(headers: &HeaderMap) -> String {
    header_str(headers, header::ACCEPT)
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn not_acceptable(headers: &HeaderMap, served: &[&str]) -> Response {
    let accept = header_str(headers, header::ACCEPT).unwrap_or("");
    error(
        StatusCode::NOT_ACCEPTABLE,
        406,
        &format!("{accept}: this service answers {}", served.join(", ")),
    )
}

#[allow(clippy::too_many_arguments)]
fn structure(
    state: &AppState,
    resource: &str,
    agency: &str,
    id: &str,
    version: &str,
    q: &Params,
    format: StructureFormat,
    headers: &HeaderMap,
) -> Response {
    let references = q.get("references").unwrap_or("none");
    // every value of the SDMX 2.1 and 3.0 REST documents: a kind of
    // structure solieu has none of references nothing more
    const REFERENCES: [&str; 37] = [
        "none",
        "parents",
        "parentsandsiblings",
        "ancestors",
        "children",
        "descendants",
        "all",
        "datastructure",
        "metadatastructure",
        "categoryscheme",
        "conceptscheme",
        "codelist",
        "hierarchicalcodelist",
        "hierarchy",
        "hierarchyassociation",
        "valuelist",
        "organisationscheme",
        "agencyscheme",
        "dataproviderscheme",
        "dataconsumerscheme",
        "organisationunitscheme",
        "metadataproviderscheme",
        "dataflow",
        "metadataflow",
        "reportingtaxonomy",
        "provisionagreement",
        "metadataprovisionagreement",
        "structureset",
        "structuremap",
        "process",
        "categorisation",
        "contentconstraint",
        "dataconstraint",
        "metadataconstraint",
        "actualconstraint",
        "allowedconstraint",
        "attachmentconstraint",
    ];
    const MORE: [&str; 5] = [
        "transformationscheme",
        "rulesetscheme",
        "userdefinedoperatorscheme",
        "customtypescheme",
        "namepersonalisationscheme",
    ];
    if !REFERENCES.contains(&references)
        && !MORE.contains(&references)
        && references != "namealiasscheme"
    {
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
                | "raw"
        ) {
            return error(
                StatusCode::BAD_REQUEST,
                140,
                &format!("detail={d}: not a valid value"),
            );
        }
    }
    const KINDS: [&str; 19] = [
        "dataflow",
        "datastructure",
        "conceptscheme",
        "codelist",
        "structure",
        "*",
        "valuelist",
        "hierarchy",
        "hierarchyassociation",
        "categoryscheme",
        "categorisation",
        "dataconstraint",
        "contentconstraint",
        "agencyscheme",
        "dataproviderscheme",
        "provisionagreement",
        "metadataflow",
        "metadatastructure",
        "organisationscheme",
    ];
    if !KINDS.contains(&resource) {
        return error(
            StatusCode::NOT_IMPLEMENTED,
            501,
            &format!("{resource}: not implemented by this service"),
        );
    }
    if !matches_any(agency, solieu_sdmx::AGENCY) || !version_ok(version) {
        return error(StatusCode::NOT_FOUND, 100, "No Results Found");
    }
    let down = matches!(references, "children" | "descendants" | "all");
    let up = matches!(
        references,
        "parents" | "parentsandsiblings" | "ancestors" | "all"
    );
    let mut w = Wanted::default();
    match resource {
        "dataflow" if matches_any(id, solieu_sdmx::FLOW) => {
            w.dataflows = true;
            w.dsds = down || references == "datastructure";
            w.codelists = matches!(references, "descendants" | "all" | "codelist");
            w.concepts = matches!(references, "descendants" | "all" | "conceptscheme");
        }
        "datastructure" if matches_any(id, solieu_sdmx::DSD) => {
            w.dsds = true;
            w.codelists = down || references == "codelist";
            w.concepts = down || references == "conceptscheme";
            w.dataflows = up || references == "dataflow";
        }
        "conceptscheme" if matches_any(id, solieu_sdmx::CONCEPTS) => {
            w.concepts = true;
            w.dsds = up || references == "datastructure";
        }
        "codelist" => {
            let mut ids: Vec<String> = [
                "CL_FREQ",
                "CL_INDICATOR",
                "CL_AREA",
                "CL_MEASURE",
                "CL_OBS_STATUS",
                "CL_UNIT",
            ]
            .map(String::from)
            .to_vec();
            if let Ok(engine) = state.engine() {
                ids.extend(
                    solieu_sdmx::breakdowns(engine.indicators())
                        .iter()
                        .map(|b| format!("CL_{b}")),
                );
            }
            if id == "all" || id == "*" {
                w.codelists = true;
            } else if let Some(c) = ids.iter().find(|c| c.eq_ignore_ascii_case(id)) {
                w.codelists = true;
                w.codelist = Some(c.clone());
            } else {
                return error(StatusCode::NOT_FOUND, 100, "No Results Found");
            }
            w.dsds = up || references == "datastructure";
        }
        "structure" | "*" => {
            w = Wanted {
                dataflows: true,
                codelists: true,
                codelist: None,
                concepts: true,
                dsds: true,
            };
        }
        // kinds of structure solieu has none of: no results, as a registry
        // would answer (pysdmx then tries the next kind, e.g. valuelist)
        _ => return error(StatusCode::NOT_FOUND, 100, "No Results Found"),
    }
    render_structure(state, w, format, headers)
}

fn render_structure(
    state: &AppState,
    w: Wanted,
    format: StructureFormat,
    headers: &HeaderMap,
) -> Response {
    let Ok(engine) = state.engine() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
    };
    match format {
        StructureFormat::Xml => reply(
            StatusCode::OK,
            STRUCTURE_XML,
            solieu_sdmx::structure_message(
                engine.registry(),
                engine.indicators(),
                engine.code_lists(),
                w,
                &now(),
            ),
        ),
        StructureFormat::Json => {
            let lang = Lang::from_accept(header_str(headers, header::ACCEPT_LANGUAGE));
            let body = solieu_sdmx::json::structure(
                engine.registry(),
                engine.indicators(),
                engine.code_lists(),
                w,
                &now(),
                lang,
            );
            json_reply(STRUCTURE_JSON, lang, &body)
        }
    }
}

type Sets = Vec<(Option<String>, Vec<Series>)>;

/// The dimensions of data keys, in order: the first four and the breakdowns.
fn key_dims(state: &AppState) -> Result<Vec<String>, ()> {
    let engine = state
        .engine()
        .map_err(|_| tracing::error!("sdmx: the engine is unavailable"))?;
    Ok(solieu_sdmx::dimensions(engine.indicators())
        .into_iter()
        .map(|(d, _)| d)
        .collect())
}

/// Reads what the query selects: one set of series (or, with history, one
/// per recording time, oldest first).
/// A failure is logged here and answered as a bare 500.
fn select(state: &AppState, q: &DataQuery, as_of: Option<i64>) -> Result<Sets, ()> {
    // narrow the read by indicator and area where the query allows
    let narrow = |dim: usize, comp: &str| -> Vec<String> {
        let from_keys: Option<Vec<String>> =
            if q.keys.is_empty() || q.keys.iter().any(|k| k[dim].is_empty()) {
                None
            } else {
                Some(q.keys.iter().flat_map(|k| k[dim].iter().cloned()).collect())
            };
        let from_filter = q
            .filters
            .iter()
            .filter(|f| f.component == comp)
            .find_map(Filter::codes);
        from_keys.or(from_filter).unwrap_or_default()
    };
    let query = ObsQuery {
        indicators: narrow(1, "INDICATOR")
            .iter()
            .map(|i| i.to_ascii_uppercase())
            .collect(),
        areas: narrow(2, "REF_AREA"),
        periods: vec![],
        measures: vec![],
        as_of,
    };
    let vintages = {
        let store = state
            .store()
            .map_err(|_| tracing::error!("sdmx: the store is unavailable"))?;
        let read = if q.history {
            store.history(&query)
        } else {
            store.observations(&query)
        };
        read.map_err(|e| tracing::error!("sdmx data: {e}"))?
    };
    let mut vintages = vintages;
    if !q.history {
        vintages.extend(formula_series(state, &query, as_of)?);
    }
    let names = {
        let engine = state
            .engine()
            .map_err(|_| tracing::error!("sdmx: the engine is unavailable"))?;
        solieu_sdmx::breakdowns(engine.indicators())
    };
    let key_ok = |v: &Vintage| {
        let p = v.obs.period;
        let mut have = vec![
            solieu_sdmx::freq(p).to_string(),
            v.obs.indicator.clone(),
            v.obs.area.clone(),
            solieu_sdmx::measure_code(v.obs.measure, p),
        ];
        have.extend(solieu_sdmx::breakdown_codes(&v.obs.dims, &names));
        q.keys.is_empty()
            || q.keys.iter().any(|k| {
                k.iter().zip(&have).all(|(codes, h)| {
                    codes.is_empty() || codes.iter().any(|c| c.eq_ignore_ascii_case(h))
                })
            })
    };
    let keep: Vec<Vintage> = vintages
        .into_iter()
        .filter(|v| {
            let (ps, pe) = span(v.obs.period);
            key_ok(v)
                && q.start.is_none_or(|s| pe >= s)
                && q.end.is_none_or(|e| ps <= e)
                && q.updated_after.is_none_or(|t| v.recorded_at > t)
                && q.filters.iter().all(|f| f.passes(v))
        })
        .collect();
    let engine = state
        .engine()
        .map_err(|_| tracing::error!("sdmx: the engine is unavailable"))?;
    if q.history {
        let mut times: Vec<i64> = keep.iter().map(|v| v.recorded_at).collect();
        times.sort_unstable();
        times.dedup();
        return Ok(times
            .iter()
            .map(|t| {
                let at: Vec<Vintage> = keep
                    .iter()
                    .filter(|v| v.recorded_at == *t)
                    .cloned()
                    .collect();
                (
                    Some(solieu_app::timefmt::format_micros(*t)),
                    solieu_sdmx::series_of(&at, engine.indicators()),
                )
            })
            .collect());
    }
    let mut series = solieu_sdmx::series_of(&keep, engine.indicators());
    drop(engine);
    for s in &mut series {
        if let Some(n) = q.first_n {
            s.obs.truncate(n);
        }
        if let Some(n) = q.last_n {
            let len = s.obs.len();
            s.obs.drain(..len.saturating_sub(n));
        }
    }
    series.retain(|s| !s.obs.is_empty());
    Ok(if series.is_empty() {
        vec![]
    } else {
        vec![(None, series)]
    })
}

/// The figures of the formula indicators the query selects, as ordinary
/// observations: the formula evaluated for every area and period one of
/// its inputs has a level for (never stored; recorded when the latest of
/// its inputs was, its status the weakest of theirs).
fn formula_series(
    state: &AppState,
    query: &ObsQuery,
    as_of: Option<i64>,
) -> Result<Vec<Vintage>, ()> {
    let engine = state
        .engine()
        .map_err(|_| tracing::error!("sdmx: the engine is unavailable"))?;
    let opts = solieu_engine::Options {
        as_of,
        explain: true,
        ..Default::default()
    };
    let mut out = vec![];
    for ind in engine
        .indicators()
        .iter()
        .filter(|i| i.is_formula())
        .filter(|i| query.indicators.is_empty() || query.indicators.contains(&i.code))
    {
        let keys = engine.formula_keys(&ind.code, &query.areas, as_of);
        let qs: Vec<solieu_engine::Query<'_>> = keys
            .iter()
            .map(|(area, period)| solieu_engine::Query {
                indicator: &ind.code,
                area,
                dims: "",
                period: *period,
                measure: solieu_engine::Derived::Value,
            })
            .collect();
        let figures = engine
            .eval_many(&qs, &opts)
            .map_err(|e| tracing::error!("sdmx formula {}: {e}", ind.code))?;
        for ((area, period), f) in keys.iter().zip(figures) {
            let Some(value) = f.value.filter(|v| v.is_finite()) else {
                continue;
            };
            out.push(Vintage {
                obs: solieu_model::Observation {
                    indicator: ind.code.clone(),
                    area: area.clone(),
                    period: *period,
                    measure: solieu_model::Measure::Level,
                    dims: String::new(),
                    value,
                    status: f.status,
                    source: format!("formula: {}", ind.formula),
                    note: String::new(),
                },
                recorded_at: f.inputs.iter().map(|i| i.recorded_at).max().unwrap_or(0),
                submitter: "formula".into(),
                import_id: 0,
            });
        }
    }
    Ok(out)
}

fn time_param(q: &Params, k: &str) -> Result<Option<i64>, String> {
    q.get(k)
        .map(|v| solieu_app::timefmt::parse_as_of(v).map_err(|e| format!("{k}: {e}")))
        .transpose()
}

/// Writes a message into a streamed answer.
type Writer = Box<dyn FnOnce(&mut super::stream::Sink) -> std::io::Result<()> + Send>;

/// Renders the sets in the format asked for: SDMX-ML and SDMX-CSV streamed
/// a piece at a time (no size cap), SDMX-JSON as one document.
fn render(
    state: &AppState,
    sets: Sets,
    format: DataFormat,
    detail: Detail,
    flat: bool,
    headers: &HeaderMap,
) -> Response {
    let prepared = now();
    let streamed = |media: &str, f: Writer| {
        let mut r = super::stream::streamed(media, None, move |out| Ok(f(out)?));
        let h = r.headers_mut();
        h.insert(
            header::VARY,
            header::HeaderValue::from_static("Accept, Accept-Language"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::HeaderValue::from_static("*"),
        );
        r
    };
    match format {
        DataFormat::Json => {
            let Ok(engine) = state.engine() else {
                return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
            };
            let lang = Lang::from_accept(header_str(headers, header::ACCEPT_LANGUAGE));
            let body = solieu_sdmx::json::data(
                &sets,
                detail,
                engine.registry(),
                engine.indicators(),
                engine.code_lists(),
                &prepared,
                lang,
            );
            json_reply(DATA_JSON, lang, &body)
        }
        DataFormat::Csv1 | DataFormat::Csv2 => {
            let v2 = format == DataFormat::Csv2;
            let Ok(engine) = state.engine() else {
                return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
            };
            let inds = engine.indicators().to_vec();
            streamed(
                if v2 { CSV_2 } else { CSV_1 },
                Box::new(move |out| {
                    let series = sets.first().map(|s| s.1.as_slice()).unwrap_or(&[]);
                    solieu_sdmx::csv_rows(out, series, detail, v2, &inds).map(|_| ())
                }),
            )
        }
        DataFormat::Specific if !flat && sets.len() == 1 && sets[0].0.is_none() => streamed(
            SPECIFIC_XML,
            Box::new(move |out| {
                solieu_sdmx::structure_specific_to(out, &sets[0].1, detail, &prepared)
            }),
        ),
        _ => streamed(
            GENERIC_XML,
            Box::new(move |out| {
                solieu_sdmx::generic_history_to(out, &sets, detail, flat, &prepared)
            }),
        ),
    }
}

/// What the formats cannot carry: history in CSV (no versions), a flat
/// layout outside SDMX-ML.
fn unsupported(format: DataFormat, history: bool, flat: bool) -> Option<Response> {
    let csv = matches!(format, DataFormat::Csv1 | DataFormat::Csv2);
    if history && csv {
        return Some(error(
            StatusCode::NOT_IMPLEMENTED,
            501,
            "includeHistory is served in SDMX-ML (GenericData) and SDMX-JSON; SDMX-CSV has no versions",
        ));
    }
    if flat
        && matches!(
            format,
            DataFormat::Csv1 | DataFormat::Csv2 | DataFormat::Json
        )
    {
        return Some(error(
            StatusCode::NOT_IMPLEMENTED,
            501,
            "dimensionAtObservation=AllDimensions is served in SDMX-ML (GenericData)",
        ));
    }
    None
}

fn v1_data(
    state: &AppState,
    p: &Principal,
    segs: &[String],
    q: &Params,
    headers: &HeaderMap,
) -> Response {
    // content negotiation first: an unknown type is 406 whatever the query
    let Some(format) = data_format(&accept(headers), false) else {
        return not_acceptable(headers, &DATA_TYPES);
    };
    let (as_of, dims) = match v1_start(state, p, segs, "data") {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let mut dq = DataQuery::default();
    match segs.get(2).map(String::as_str) {
        None | Some("all") => {}
        Some(key) => match parse_key(key, &dims) {
            Ok(k) => dq.keys.push(k),
            Err(e) => return error(StatusCode::BAD_REQUEST, 140, &e),
        },
    }
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
    let flat = match flat_param(q) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::NOT_IMPLEMENTED, 501, &e),
    };
    dq.history = q.get("includeHistory").is_some_and(|v| v == "true");
    if let Some(r) = unsupported(format, dq.history, flat) {
        return r;
    }
    let parsed = (|| -> Result<(), String> {
        dq.first_n = whole(q, "firstNObservations")?;
        dq.last_n = whole(q, "lastNObservations")?;
        (dq.start, dq.end) = period_bounds(q)?;
        dq.updated_after = time_param(q, "updatedAfter")?;
        Ok(())
    })();
    if let Err(e) = parsed {
        return error(StatusCode::BAD_REQUEST, 140, &e);
    }
    match select(state, &dq, as_of) {
        Err(()) => error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error"),
        Ok(sets) if sets.iter().all(|s| s.1.is_empty()) => {
            error(StatusCode::NOT_FOUND, 100, "No Results Found")
        }
        Ok(sets) => render(state, sets, format, detail, flat, headers),
    }
}

/// A v1 `flowRef` (`FLOW`, `AGENCY,FLOW` or `AGENCY,FLOW,VERSION`) that is
/// not this service's dataflow: the answer to give.
fn check_flow(flow: &str) -> Option<Response> {
    let parts: Vec<&str> = flow.split(',').collect();
    let (agency, id, version) = match parts.as_slice() {
        [id] => (solieu_sdmx::AGENCY, *id, "latest"),
        [a, id] => (*a, *id, "latest"),
        [a, id, v] => (*a, *id, *v),
        _ => {
            return Some(error(
                StatusCode::BAD_REQUEST,
                140,
                "flowRef: FLOW, AGENCY,FLOW or AGENCY,FLOW,VERSION",
            ))
        }
    };
    (!matches_any(agency, solieu_sdmx::AGENCY)
        || !id.eq_ignore_ascii_case(solieu_sdmx::FLOW)
        || !version_ok(version))
    .then(|| error(StatusCode::NOT_FOUND, 100, &format!("no dataflow {flow}")))
}

/// What a v1 data or availability query starts with: the reader's as-of
/// time, this service's dataflow in `segs[1]`, and the data structure's
/// dimensions; else the answer to give.
fn v1_start(
    state: &AppState,
    p: &Principal,
    segs: &[String],
    resource: &str,
) -> Result<(Option<i64>, Vec<String>), Box<Response>> {
    let refuse = |status, code, text: &str| Err(Box::new(error(status, code, text)));
    let Ok(as_of) = read_as_of(state, p, None) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            110,
            "sign in or wait for a release",
        );
    };
    let Some(flow) = segs.get(1) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            140,
            &format!("the dataflow is missing: /{resource}/{{flowRef}}"),
        );
    };
    if let Some(refused) = check_flow(flow) {
        return Err(Box::new(refused));
    }
    let Ok(dims) = key_dims(state) else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
    };
    Ok((as_of, dims))
}

/// `startPeriod` and `endPeriod` (v1) as the first and the last day they
/// cover.
fn period_bounds(q: &Params) -> Result<(Option<NaiveDate>, Option<NaiveDate>), String> {
    let range = |k: &str| -> Result<Option<(NaiveDate, NaiveDate)>, String> {
        q.get(k)
            .map(|v| {
                bounds(v).ok_or_else(|| {
                    format!("{k}={v}: expected 2020, 2020-10, 2020-Q3, 2020-S1 or 2020-10-31")
                })
            })
            .transpose()
    };
    Ok((
        range("startPeriod")?.map(|x| x.0),
        range("endPeriod")?.map(|x| x.1),
    ))
}

/// `/availableconstraint/{flowRef}/{key}/{providerRef}/{componentID}`:
/// which codes of each dimension have data under the key, and the time range
/// (`mode=exact`, the default); with `mode=available`, for each dimension
/// the codes the other dimensions' selections leave — what a data explorer
/// greys out. An actual `ContentConstraint` in an SDMX-ML 2.1 structure
/// message; `startPeriod`/`endPeriod` narrow the data looked at.
fn v1_availability(
    state: &AppState,
    p: &Principal,
    segs: &[String],
    q: &Params,
    headers: &HeaderMap,
) -> Response {
    if structure_format(&accept(headers), false) != Some(StructureFormat::Xml) {
        return not_acceptable(headers, &[STRUCTURE_XML]);
    }
    let (as_of, dims) = match v1_start(state, p, segs, "availableconstraint") {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let key = match segs.get(2).map(String::as_str) {
        None | Some("all") => vec![vec![]; dims.len()],
        Some(k) => match parse_key(k, &dims) {
            Ok(k) => k,
            Err(e) => return error(StatusCode::BAD_REQUEST, 140, &e),
        },
    };
    let component = match segs.get(4).map(String::as_str) {
        None | Some("all") => None,
        Some(c) if c == "TIME_PERIOD" || dims.iter().any(|d| d == c) => Some(c.to_string()),
        Some(c) => {
            return error(
                StatusCode::NOT_FOUND,
                100,
                &format!(
                    "{c} is not a dimension of {}; expected one of {} or TIME_PERIOD",
                    solieu_sdmx::FLOW,
                    dims.join(", ")
                ),
            )
        }
    };
    let available = match q.get("mode") {
        None | Some("exact") => false,
        Some("available") => true,
        Some(m) => {
            return error(
                StatusCode::BAD_REQUEST,
                140,
                &format!("mode={m}: expected exact or available"),
            )
        }
    };
    let (start, end) = match period_bounds(q) {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, 140, &e),
    };
    let run = |k: Vec<Vec<String>>| -> Result<Vec<Series>, ()> {
        let dq = DataQuery {
            keys: vec![k],
            start,
            end,
            ..DataQuery::default()
        };
        Ok(select(state, &dq, as_of)?
            .into_iter()
            .flat_map(|s| s.1)
            .collect())
    };
    let Ok(base) = run(key.clone()) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
    };
    if base.is_empty() {
        return error(StatusCode::NOT_FOUND, 100, "No Results Found");
    }
    let mut codes = vec![None; dims.len()];
    for (i, d) in dims.iter().enumerate() {
        if component.as_ref().is_some_and(|c| c != d) {
            continue;
        }
        let widened;
        let series = if available && !key[i].is_empty() {
            let mut k = key.clone();
            k[i].clear();
            let Ok(w) = run(k) else {
                return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
            };
            widened = w;
            &widened
        } else {
            &base
        };
        codes[i] = Some(
            series
                .iter()
                .filter_map(|s| s.key.get(i).cloned())
                .collect::<std::collections::BTreeSet<String>>(),
        );
    }
    let time = if component.as_ref().is_none_or(|c| c == "TIME_PERIOD") {
        let periods = base.iter().flat_map(|s| s.obs.iter().map(|o| o.0.as_str()));
        let first = periods.clone().min();
        first.zip(periods.max())
    } else {
        None
    };
    reply(
        StatusCode::OK,
        STRUCTURE_XML,
        solieu_sdmx::availability_21(&dims, &codes, time, &now()),
    )
}

fn v2_data(
    state: &AppState,
    p: &Principal,
    segs: &[String],
    q: &Params,
    headers: &HeaderMap,
) -> Response {
    let Some(format) = data_format(&accept(headers), true) else {
        return not_acceptable(headers, &DATA_TYPES);
    };
    let seg = |k: usize, default: &'static str| segs.get(k).map_or(default, String::as_str);
    let (context, agency, id, version) = (seg(1, "*"), seg(2, "*"), seg(3, "*"), seg(4, "~"));
    let flow_ok = match context {
        "dataflow" => matches_any(id, solieu_sdmx::FLOW),
        "datastructure" => matches_any(id, solieu_sdmx::DSD),
        "*" => matches_any(id, solieu_sdmx::FLOW) || matches_any(id, solieu_sdmx::DSD),
        "provisionagreement" => false,
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                140,
                &format!(
                "/data/{other}: the context is dataflow, datastructure, provisionagreement or *"
            ),
            )
        }
    };
    if !flow_ok || !matches_any(agency, solieu_sdmx::AGENCY) || !version_ok(version) {
        return error(
            StatusCode::NOT_FOUND,
            100,
            &format!("no {context} {agency}:{id}({version})"),
        );
    }
    for k in ["sort"] {
        if q.get(k).is_some() {
            return error(
                StatusCode::NOT_IMPLEMENTED,
                501,
                &format!("{k}: not implemented by this service"),
            );
        }
    }
    if q.get("startPeriod").is_some() || q.get("endPeriod").is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            140,
            "SDMX 3.0 has no startPeriod/endPeriod: use c[TIME_PERIOD]=ge:2020-01+le:2020-12",
        );
    }
    let mut dq = DataQuery::default();
    let Ok(dims) = key_dims(state) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error");
    };
    let key = seg(5, "*");
    if key != "*" {
        for k in key.split(',') {
            match parse_key(k, &dims) {
                Ok(k) => dq.keys.push(k),
                Err(e) => return error(StatusCode::BAD_REQUEST, 140, &e),
            }
        }
    }
    for (k, v) in &q.0 {
        if let Some(c) = k.strip_prefix("c[").and_then(|c| c.strip_suffix(']')) {
            match parse_filter(c, v, &dims[solieu_sdmx::DIMENSIONS.len()..]) {
                Ok(f) => dq.filters.push(f),
                Err(e) => return error(StatusCode::BAD_REQUEST, 140, &e),
            }
        }
    }
    let attributes = !matches!(q.get("attributes"), Some("none"));
    let measures = !matches!(q.get("measures"), Some("none"));
    let detail = match (attributes, measures) {
        (true, true) => Detail::Full,
        (false, true) => Detail::DataOnly,
        (true, false) => Detail::NoData,
        (false, false) => Detail::SeriesKeysOnly,
    };
    let flat = match flat_param(q) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::NOT_IMPLEMENTED, 501, &e),
    };
    dq.history = q.get("includeHistory").is_some_and(|v| v == "true");
    if let Some(r) = unsupported(format, dq.history, flat) {
        return r;
    }
    let mut as_of_asked = None;
    let (mut offset, mut limit) = (0usize, None);
    let parsed = (|| -> Result<(), String> {
        dq.first_n = whole(q, "firstNObservations")?;
        dq.last_n = whole(q, "lastNObservations")?;
        dq.updated_after = time_param(q, "updatedAfter")?;
        as_of_asked = time_param(q, "asOf")?;
        if let Some(o) = q.get("offset") {
            offset = o.parse().map_err(|_| {
                format!("offset={o}: expected a whole number of observations to skip (0 or more)")
            })?;
        }
        limit = whole(q, "limit")?;
        if limit == Some(0) {
            return Err("limit=0: expected at least 1 observation".into());
        }
        Ok(())
    })();
    if let Err(e) = parsed {
        return error(StatusCode::BAD_REQUEST, 140, &e);
    }
    let Ok(as_of) = read_as_of(state, p, as_of_asked) else {
        return error(
            StatusCode::UNAUTHORIZED,
            110,
            "sign in or wait for a release",
        );
    };
    let paged = offset > 0 || limit.is_some();
    match select(state, &dq, as_of) {
        Err(()) => error(StatusCode::INTERNAL_SERVER_ERROR, 500, "internal error"),
        Ok(mut sets) => {
            let total = if paged {
                page(&mut sets, offset, limit)
            } else {
                0
            };
            // SDMX 3.0: an empty answer is 204 No Content
            if sets.iter().all(|s| s.1.is_empty()) {
                return no_content();
            }
            let returned: usize = sets
                .iter()
                .flat_map(|s| s.1.iter())
                .map(|s| s.obs.len())
                .sum();
            let mut r = render(state, sets, format, detail, flat, headers);
            if paged {
                // the page and the total, as .Stat's NSI writes them
                if let Ok(v) = header::HeaderValue::from_str(&format!(
                    "values {offset}-{}/{total}",
                    offset + returned - 1
                )) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
            }
            r
        }
    }
}

/// Keeps the observations `offset..offset + limit` of the answer, counted
/// series by series in their order (series left empty are dropped); returns
/// how many there were in all.
fn page(sets: &mut Sets, offset: usize, limit: Option<usize>) -> usize {
    let total = sets
        .iter()
        .flat_map(|s| s.1.iter())
        .map(|s| s.obs.len())
        .sum();
    let (mut skip, mut left) = (offset, limit.unwrap_or(usize::MAX));
    for (_, series) in sets.iter_mut() {
        for s in series.iter_mut() {
            let drop = skip.min(s.obs.len());
            skip -= drop;
            s.obs.drain(..drop);
            let keep = left.min(s.obs.len());
            s.obs.truncate(keep);
            left -= keep;
        }
        series.retain(|s| !s.obs.is_empty());
    }
    total
}

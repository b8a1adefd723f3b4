//! Reading and writing figures: areas, indicators, derived figures (paged,
//! JSON/CSV/XLSX), submissions (JSON, CSV or XLSX; all or nothing), plan
//! targets and the monthly report.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use solieu_engine::Options;
use solieu_ingest::validate::RawRecord;
use solieu_ingest::{ReadOptions, ReadOutcome};
use solieu_model::Period;
use solieu_store::{ObsQuery, Role};
use utoipa::{IntoParams, ToSchema};

use super::api::{
    AreaOut, FigureJson, FiguresPage, FileBytes, Health, IndicatorOut, Preview, PreviewRow,
    Submission, Written,
};
use super::auth::{need, read_as_of, read_as_of_param, Caller, Principal};
use super::{ApiError, AppState};
use solieu_app::figures;
use solieu_app::reports::Format as ReportFormat;
use solieu_app::submit::{records, submit as submit_figures, ObservationIn, Submitted, Writer};
use solieu_app::Code;
use solieu_export::Format as ExportFormat;

/// Liveness and what the engine holds.
#[utoipa::path(get, path = "/api/v1/health", tag = "data",
    responses((status = 200, description = "Serving", body = Health)))]
pub async fn health(State(state): State<Arc<AppState>>) -> Result<Json<Health>, ApiError> {
    let engine = state.engine()?;
    let last = engine.cube().last_import();
    // counted once per import, not per request (a health check must be cheap)
    let mut cache = state.vintage_count.lock().map_err(|e| state.poisoned(e))?;
    if cache.0 != last || cache.1.is_none() {
        let (cells, old) = engine.cube().counts();
        *cache = (last, Some(cells + old));
    }
    Ok(Json(Health {
        status: "ok".into(),
        vintages: cache.1,
        last_import: last,
    }))
}

/// The indicator catalogue.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "data",
    responses((status = 200, description = "Every indicator", body = [IndicatorOut])))]
pub async fn indicators(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<IndicatorOut>>, ApiError> {
    let engine = state.engine()?;
    let list = engine
        .indicators()
        .iter()
        .map(|i| IndicatorOut {
            code: i.code.clone(),
            name_vi: i.name_vi.clone(),
            name_en: i.name_en.clone(),
            unit: i.unit.label.clone(),
            time_aggregation: i.time_aggregation.as_str().to_string(),
            area_aggregation: i.area_aggregation.to_string(),
            decimals: i.decimals,
        })
        .collect();
    Ok(Json(list))
}

/// `?on=`
#[derive(Deserialize, IntoParams)]
pub struct AreasQuery {
    /// Only the areas valid on this day (YYYY-MM-DD).
    on: Option<String>,
}

/// Areas with their validity (the 2025 reform keeps both versions).
#[utoipa::path(get, path = "/api/v1/areas", tag = "data", params(AreasQuery),
    responses((status = 200, description = "Areas", body = [AreaOut]), (status = 400, description = "Malformed request", body = super::ErrorBody)))]
pub async fn areas(
    State(state): State<Arc<AppState>>,
    Query(q): Query<AreasQuery>,
) -> Result<Json<Vec<AreaOut>>, ApiError> {
    let day = match q.on.as_deref() {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| state.bad(format!("on={d}: expected YYYY-MM-DD")))?,
        ),
        None => None,
    };
    let engine = state.engine()?;
    let list = engine
        .registry()
        .all()
        .iter()
        .filter(|a| day.is_none_or(|d| a.valid_on(d)))
        .map(|a| AreaOut {
            key: a.key.clone(),
            code: a.code.clone(),
            level: a.level.as_str().to_string(),
            name_vi: a.name_vi.clone(),
            name_en: a.name_en.clone(),
            parent: a.parent.clone(),
            valid_from: a.valid_from.map(|d| d.to_string()),
            valid_to: a.valid_to.map(|d| d.to_string()),
        })
        .collect();
    Ok(Json(list))
}

/// A query of derived figures.
#[derive(Deserialize, IntoParams)]
pub struct FiguresQuery {
    /// Indicator codes, comma-separated.
    indicator: String,
    /// Area codes, comma-separated.
    area: String,
    /// Periods, comma-separated; ranges `2026-01..2026-10`.
    period: String,
    /// Measures (value, cumulative, mom_pct, yoy_pct, cumulative_yoy_pct, plan_pct, plan, target_gap_pp, share_pct, rank, rank_yoy, change_pp, mom_change_pp, avg_annual_growth_pct); default value.
    measure: Option<String>,
    /// Breakdown filters, comma-separated: `PRODUCT=*` (every product group stored), `SECTOR=FDI` (a code or a label); none: the totals.
    dim: Option<String>,
    /// Evaluate over the vintages recorded up to this time (RFC 3339 or YYYY-MM-DD).
    as_of: Option<String>,
    /// List the stored vintages behind each figure.
    explain: Option<bool>,
    /// Leave a regional total absent when a member has not reported
    /// (default: the member's figure is estimated, flagged `estimated`).
    no_estimates: Option<bool>,
    /// json (default), csv or xlsx.
    format: Option<String>,
    /// Rows per page (default 1000, at most 100000).
    limit: Option<usize>,
    /// Rows to skip.
    offset: Option<usize>,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Largest grid evaluated by one request.
pub const MAX_CELLS: usize = 2_000_000;

/// Derived figures: every measure, as of any time, paged; JSON, CSV or XLSX.
#[utoipa::path(get, path = "/api/v1/observations", tag = "data", params(FiguresQuery),
    responses((status = 200, description = "A page of figures in JSON; the table in CSV or XLSX", content(
            (FiguresPage = "application/json"), (String = "text/csv"),
            (FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "Malformed request", body = super::ErrorBody), (status = 401, description = "No or unknown credentials", body = super::ErrorBody)))]
pub async fn observations(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<FiguresQuery>,
) -> Result<Response, ApiError> {
    query_figures(&state, &p, q)
}

/// The same as `/api/v1/observations` (kept for clients of the first release).
#[utoipa::path(get, path = "/api/v1/figures", tag = "data", params(FiguresQuery),
    responses((status = 200, description = "As `/api/v1/observations`", content(
            (FiguresPage = "application/json"), (String = "text/csv"),
            (FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 400, description = "Malformed request", body = super::ErrorBody)))]
pub async fn figures(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<FiguresQuery>,
) -> Result<Response, ApiError> {
    query_figures(&state, &p, q)
}

fn query_figures(state: &AppState, p: &Principal, q: FiguresQuery) -> Result<Response, ApiError> {
    let periods = solieu_app::service::parse_periods(&list(&q.period))
        .map_err(|e| state.bad(e.to_string()))?;
    let grid = figures::Grid {
        indicators: list(&q.indicator)
            .iter()
            .map(|i| i.to_ascii_uppercase())
            .collect(),
        areas: list(&q.area),
        periods,
        measures: match q.measure.as_deref() {
            None => vec![solieu_engine::Derived::Value],
            Some(m) => figures::parse_derived(&list(m)).map_err(|e| state.bad(e.to_string()))?,
        },
        dims: q.dim.as_deref().map(list).unwrap_or_default(),
    };
    let cells = grid.indicators.len() * grid.areas.len() * grid.periods.len() * grid.measures.len();
    if cells > MAX_CELLS {
        return Err(state.fail(
            Code::TooLarge,
            format!(
                "{cells} figures asked; at most {MAX_CELLS} per request: split by period or area"
            ),
        ));
    }
    let format = q.format.as_deref().unwrap_or("json");
    if !["json", "csv", "xlsx"].contains(&format) {
        return Err(state.bad(format!("format={format}: expected json, csv or xlsx")));
    }
    let limit = q.limit.unwrap_or(1000).clamp(1, 100_000);
    let offset = q.offset.unwrap_or(0);
    let explain = q.explain.unwrap_or(false);
    let opts = Options {
        as_of: read_as_of_param(state, p, q.as_of.as_deref())?,
        explain,
        no_estimates: q.no_estimates.unwrap_or(false),
        ..Options::default()
    };
    let engine = state.engine()?;
    let mut rows =
        figures::evaluate(&engine, &grid, &opts).map_err(|e| state.bad(e.to_string()))?;
    let total = rows.len();
    let page: Vec<_> = rows
        .drain(offset.min(total)..(offset.saturating_add(limit)).min(total))
        .collect();
    let next = (offset + page.len() < total).then_some(offset + page.len());
    match format {
        "json" => Ok(Json(FiguresPage {
            total,
            offset,
            limit,
            next_offset: next,
            as_of: opts.as_of.map(solieu_app::timefmt::format_micros),
            rows: figures::json_values(&engine, &page, explain),
        })
        .into_response()),
        "csv" => {
            let t = figures::table(&engine, &page, false);
            let text =
                solieu_app::service::render(&t, true, false).map_err(|e| state.internal(e))?;
            Ok(file_response(
                "text/csv; charset=utf-8",
                "figures.csv",
                text.into_bytes(),
                next,
            ))
        }
        _ => {
            let t = figures::table(&engine, &page, false);
            let bytes = xlsx_table(&t).map_err(|e| state.internal(e))?;
            Ok(file_response(
                solieu_export::XLSX_MEDIA_TYPE,
                "figures.xlsx",
                bytes,
                next,
            ))
        }
    }
}

pub(crate) fn file_response(
    media: &str,
    name: &str,
    bytes: Vec<u8>,
    next: Option<usize>,
) -> Response {
    let mut res = (
        [
            (header::CONTENT_TYPE, media.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response();
    if let Some(n) = next {
        if let Ok(v) = n.to_string().parse() {
            res.headers_mut().insert("x-next-offset", v);
        }
    }
    res
}

/// A table as a workbook: numbers as numbers, text made inert.
pub fn xlsx_table(t: &solieu_app::service::Table) -> anyhow::Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("solieu")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in t.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match (t.headers[c as usize].as_str(), cell.parse::<f64>()) {
                ("value", Ok(n)) if n.is_finite() => {
                    ws.write_number(r, c, n)?;
                }
                _ => {
                    ws.write_string(r, c, solieu_model::text::inert(cell))?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}

/// A JSON submission.
#[derive(Deserialize, ToSchema)]
pub struct SubmissionIn {
    /// The observations (item n is "row n" in error locations).
    observations: Vec<ObservationIn>,
}

/// [`solieu_app::submit::validate_records`] for a handler: the observations, or the 422 of
/// located errors (`what`: what was not done, "nothing was written").
pub fn checked(st: &AppState, recs: &[RawRecord], what: &str) -> Result<ReadOutcome, ApiError> {
    let store = st.store()?;
    solieu_app::submit::validate_records(store.as_store(), recs)
        .map_err(|e| st.internal(e))?
        .map_err(|errors| st.invalid(errors, what))
}

/// Writes validated observations for a caller through the one write path
/// ([`solieu_app::submit::submit`]), then applies the import to the engine
/// and runs the rules on what it touched.
pub fn write(
    st: &AppState,
    p: &Principal,
    read: ReadOutcome,
    label: &str,
    dry_run: bool,
) -> Result<Submission, ApiError> {
    let account = need(
        st,
        p,
        &[Role::Admin, Role::Analyst, Role::Reporter],
        "writing figures",
    )?;
    let mut store = st.store()?;
    let writer = Writer {
        account,
        actor: p.actor(),
    };
    let (summary, observations) =
        match submit_figures(&mut **store, writer, read, label, dry_run).map_err(|e| st.app(e))? {
            Submitted::Preview {
                count,
                rows,
                notes,
                rounds,
            } => {
                let rows = rows
                    .iter()
                    .map(|o| PreviewRow {
                        indicator: o.indicator.clone(),
                        area: o.area.split('@').next().unwrap_or(&o.area).to_string(),
                        period: o.period.to_string(),
                        measure: o.measure.as_str().to_string(),
                        value: solieu_model::text::clean(o.value),
                        status: o.status.code().to_string(),
                        note: o.note.clone(),
                    })
                    .collect();
                return Ok(Submission::Preview(Preview {
                    dry_run: true,
                    count,
                    rows,
                    notes,
                    rounds,
                }));
            }
            Submitted::Written {
                summary,
                observations,
            } => (summary, observations),
        };
    let rules = store.rules().map_err(|e| st.internal(e))?;
    drop(store);
    applied(st, &rules, &summary, &observations).map(Submission::Written)
}

/// After a commit: the import applied to the engine (unless the change feed
/// has applied it already), the rules run on what it touched; the answer.
pub fn applied(
    st: &AppState,
    rules: &[solieu_store::Rule],
    summary: &solieu_store::ImportSummary,
    observations: &[solieu_model::Observation],
) -> Result<Written, ApiError> {
    {
        let mut engine = st.engine.write().map_err(|e| st.poisoned(e))?;
        if summary.import_id > engine.cube().last_import() {
            engine.apply(observations, summary);
        }
    }
    let checked = {
        let engine = st.engine.read().map_err(|e| st.poisoned(e))?;
        solieu_app::rules::after_write(&engine, rules, observations)
    };
    Ok(Written {
        import: summary.import_id,
        rows: summary.rows,
        new_vintages: summary.new_vintages,
        revisions: summary.revisions,
        recorded_at: solieu_app::timefmt::format_micros(summary.recorded_at),
        violations: checked.violations,
        broken_rules: checked.broken,
        rules_checked: checked.checked,
    })
}

/// `?dry_run`
#[derive(Deserialize)]
pub struct SubmitQuery {
    dry_run: Option<bool>,
}

/// Submits figures: a JSON body (`Content-Type: application/json`), or a
/// CSV or XLSX file as the body (its name in `X-File-Name`). Validated with
/// located errors; written all or nothing; then checked by every rule.
#[utoipa::path(post, path = "/api/v1/submissions", tag = "data",
    request_body(content(
        (SubmissionIn = "application/json"),
        (String = "text/csv"),
        (FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )),
    params(("X-File-Name" = Option<String>, Header, description = "The uploaded file's name (its extension decides CSV or XLSX)"),
        ("dry_run" = Option<bool>, Query, description = "Check everything and answer what would be written (200), writing nothing")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, description = "Written: the import, its counts and the rule violations", body = Written),
        (status = 200, description = "dry_run: the observations that would be written", body = Preview),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Outside the account's scope; nothing written", body = super::ErrorBody),
        (status = 409, description = "Into a locked or approved round; nothing written", body = super::ErrorBody),
        (status = 413, description = "Too large", body = super::ErrorBody),
        (status = 422, description = "Located errors; nothing written", body = super::ErrorBody)))]
pub async fn submit(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    headers: HeaderMap,
    Query(opts): Query<SubmitQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Submission>), ApiError> {
    let dry_run = opts.dry_run.unwrap_or(false);
    need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst, Role::Reporter],
        "writing figures",
    )?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let name = solieu_app::service::safe_file_name(
        headers
            .get("x-file-name")
            .and_then(|v| v.to_str().ok())
            .unwrap_or(if is_json {
                "submission.json"
            } else {
                "submission.csv"
            }),
    );
    state
        .blocking(move |st| {
            let read = if is_json {
                let sub: SubmissionIn = serde_json::from_slice(&body).map_err(|e| {
                    st.fail(
                        Code::InvalidSubmission,
                        format!("the body is not a submission: {e}; nothing was written"),
                    )
                })?;
                checked(
                    st,
                    &records(&name, &sub.observations),
                    "nothing was written",
                )?
            } else {
                let store = st.store()?;
                solieu_app::service::read_inputs(
                    store.as_store(),
                    &[(name.clone(), body.to_vec())],
                    &ReadOptions::default(),
                )
                .map_err(|e| st.internal(e))?
                .map_err(|errors| st.invalid(errors, "nothing was written"))?
            };
            let out = write(st, &p, read, &format!("api: {name}"), dry_run)?;
            let status = if dry_run {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(out)))
        })
        .await
}

/// `?year&indicator&area`
#[derive(Deserialize, IntoParams)]
pub struct PlansQuery {
    /// The plan year.
    year: i32,
    /// Indicator codes (default: every indicator).
    indicator: Option<String>,
    /// Area codes.
    area: String,
}

/// Plan targets of a year: the level and the planned growth, with the
/// year-to-date share of the plan reached by the latest month.
#[utoipa::path(get, path = "/api/v1/plans", tag = "data", params(PlansQuery),
    responses((status = 200, description = "Plan targets (measure `plan`), as figures", body = [FigureJson]), (status = 400, description = "Malformed request", body = super::ErrorBody)))]
pub async fn plans(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<PlansQuery>,
) -> Result<Json<Vec<FigureJson>>, ApiError> {
    let as_of = read_as_of(&state, &p, None)?;
    let engine = state.engine()?;
    let indicators: Vec<String> = match &q.indicator {
        Some(s) => list(s).iter().map(|i| i.to_ascii_uppercase()).collect(),
        None => engine.indicators().iter().map(|i| i.code.clone()).collect(),
    };
    if !(solieu_model::period::MIN_YEAR..=solieu_model::period::MAX_YEAR).contains(&q.year) {
        return Err(state.bad(format!("year={}: out of range", q.year)));
    }
    let grid = figures::Grid {
        indicators,
        areas: list(&q.area),
        periods: vec![Period::Year(q.year)],
        measures: vec![solieu_engine::Derived::Plan],
        dims: vec![],
    };
    let opts = Options {
        as_of,
        ..Options::default()
    };
    let rows = figures::evaluate(&engine, &grid, &opts).map_err(|e| state.bad(e.to_string()))?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| r.figure.value.is_some())
        .collect();
    Ok(Json(figures::json_values(&engine, &rows, false)))
}

/// One plan target.
#[derive(Deserialize, ToSchema)]
pub struct PlanIn {
    /// Indicator code.
    indicator: String,
    /// Area code.
    area: String,
    /// Year.
    year: i32,
    /// The planned level for the year.
    level: Option<f64>,
    /// The planned growth on the previous year, in %.
    growth_pct: Option<f64>,
    /// Source (the resolution setting the plan).
    source: Option<String>,
}

/// Plan targets to set.
#[derive(Deserialize, ToSchema)]
pub struct PlansIn {
    /// The targets.
    plans: Vec<PlanIn>,
}

/// Sets plan targets (stored as vintages like every figure: revisable,
/// as-of readable). Analysts and admins, or reporters within their scope.
#[utoipa::path(put, path = "/api/v1/plans", tag = "data", request_body = PlansIn,
    security(("token" = []), ("session" = [])),
    responses((status = 201, description = "Written: the import, its counts and the rule violations", body = Written), (status = 403, description = "Not allowed for this account", body = super::ErrorBody), (status = 422, description = "Invalid content; nothing written", body = super::ErrorBody)))]
pub async fn put_plans(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Json(body): Json<PlansIn>,
) -> Result<(StatusCode, Json<Submission>), ApiError> {
    need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst, Role::Reporter],
        "setting plans",
    )?;
    let mut items = vec![];
    for pl in &body.plans {
        for (v, measure) in [(pl.level, "plan"), (pl.growth_pct, "plan_yoy_pct")] {
            if let Some(v) = v {
                items.push(ObservationIn {
                    indicator: pl.indicator.clone(),
                    area: pl.area.clone(),
                    period: pl.year.to_string(),
                    value: json!(v),
                    measure: Some(measure.into()),
                    status: None,
                    unit: None,
                    source: pl.source.clone(),
                    note: None,
                });
            }
        }
    }
    state
        .blocking(move |st| {
            let recs = records("plans", &items);
            let read = checked(st, &recs, "nothing was written")?;
            Ok((
                StatusCode::CREATED,
                Json(write(st, &p, read, "api: plans", false)?),
            ))
        })
        .await
}

/// `?area&period&lang&format&as_of`
#[derive(Deserialize, IntoParams)]
pub struct ReportQuery {
    /// Area code (a province or a region).
    area: String,
    /// The month: `2026-10`.
    period: String,
    /// vi (default) or en.
    lang: Option<String>,
    /// md, html (default), xlsx, docx or pdf.
    format: Option<String>,
    /// The data as of this time.
    as_of: Option<String>,
}

/// The monthly report, in each format.
#[utoipa::path(get, path = "/api/v1/report", tag = "data", params(ReportQuery),
    responses((status = 200, description = "The report file, in the format asked", content(
            (String = "text/html"), (String = "text/markdown"),
            (FileBytes = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (FileBytes = "application/pdf"),
            (FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "Malformed request", body = super::ErrorBody), (status = 404, description = "No figure for the month", body = super::ErrorBody)))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let Ok(Period::Month(year, month)) = Period::parse(&q.period) else {
        return Err(state.bad(format!(
            "period={}: expected a month, e.g. 2026-10",
            q.period
        )));
    };
    let lang = solieu_report::Lang::parse(q.lang.as_deref().unwrap_or("vi"))
        .ok_or_else(|| state.bad("lang: expected vi or en"))?;
    let format: ReportFormat = match q.format.as_deref() {
        None => ReportFormat::Html,
        Some(f) => f
            .parse()
            .map_err(|e| state.bad(format!("format={f}: {e}")))?,
    };
    let as_of = read_as_of_param(&state, &p, q.as_of.as_deref())?;
    let area = q.area.clone();
    let label = q.as_of.clone();
    let bytes = state
        .blocking(move |st| {
            // the tasks first: the store and the engine are never held together
            let tasks = st.store()?.tasks(None).map_err(|e| st.internal(e))?;
            let engine = st.engine()?;
            let q_area = area.clone();
            let req = solieu_report::Request {
                area,
                year,
                month,
                lang,
                as_of,
                as_of_label: label,
                sources: false,
                tasks: solieu_app::reports::task_lines(
                    engine.registry(),
                    &tasks,
                    &q_area,
                    year,
                    month,
                ),
            };
            let day =
                solieu_app::timefmt::vietnam_day(as_of.unwrap_or_else(solieu_store::now_micros));
            solieu_app::reports::render(&engine, &req, format, None, day, None).map_err(|e| {
                if e.downcast_ref::<solieu_report::ReportError>().is_some() {
                    st.not_found(e.to_string())
                } else {
                    st.internal(e)
                }
            })
        })
        .await?;
    let name = format!("bao-cao-{}-{year}-{month:02}.{format}", q.area);
    let mut res = file_response(
        format.media_type(),
        &solieu_app::service::safe_file_name(&name),
        bytes,
        None,
    );
    if format == ReportFormat::Html {
        res.headers_mut().remove(header::CONTENT_DISPOSITION);
        // the report's own styles; no script; shown in the web UI's frame
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
            ),
        );
        res.headers_mut().insert(
            header::X_FRAME_OPTIONS,
            axum::http::HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    Ok(res)
}

/// `?format&indicator&area&as_of`
#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// csv (canonical; `solieu import` reads it back), xlsx (numbers, Vietnamese headers), sdmx-csv (SDMX-CSV 1.0) or parquet (one file).
    format: Option<String>,
    /// Indicator codes (default: all).
    indicator: Option<String>,
    /// Area codes (default: all).
    area: Option<String>,
    /// The figures as of this time.
    as_of: Option<String>,
}

/// The stored figures as a file: every vintage current at the time asked,
/// text cells made inert against formula injection, no row cap.
#[utoipa::path(get, path = "/api/v1/export", tag = "data", params(ExportQuery),
    responses((status = 200, description = "The file, in the format asked", content(
            (String = "text/csv"), (String = "application/vnd.sdmx.data+csv;version=1.0.0"),
            (FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (FileBytes = "application/vnd.apache.parquet"))),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody)))]
pub async fn export(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let format: ExportFormat = match q.format.as_deref() {
        None => ExportFormat::Csv,
        Some(f) => f
            .parse()
            .map_err(|e| state.bad(format!("format={f}: {e}")))?,
    };
    let as_of = read_as_of_param(&state, &p, q.as_of.as_deref())?;
    let (areas, inds) = {
        let store = state.store()?;
        (
            store.areas().map_err(|e| state.internal(e))?,
            store.indicators().map_err(|e| state.internal(e))?,
        )
    };
    let codes = q.area.as_deref().map(list).unwrap_or_default();
    let keys = solieu_app::service::area_keys(&areas, &codes, &[])
        .map_err(|e| state.bad(e.to_string()))?;
    let query = ObsQuery {
        indicators: q
            .indicator
            .as_deref()
            .map(list)
            .unwrap_or_default()
            .iter()
            .map(|i| i.to_ascii_uppercase())
            .collect(),
        areas: keys,
        as_of,
        ..ObsQuery::default()
    };
    // streamed from a connection of its own, a row at a time: no row cap,
    // one piece of the answer in memory (an XLSX workbook is assembled from
    // its temporary files at the end), and the shared connection is not
    // held while a slow client downloads
    let reader = state.reader()?;
    Ok(super::stream::streamed(
        format.media_type(),
        Some(format.file_name()),
        move |out| {
            solieu_export::stream(reader.as_store(), &query, format, out, &areas, &inds)?;
            Ok(())
        },
    ))
}

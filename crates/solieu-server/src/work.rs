//! The reporting workflow: forms, rounds (draft → submitted → approved →
//! locked, with return), completeness and timeliness; validation rules and
//! their results; key tasks; publication releases.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use solieu_engine::Options;
use solieu_model::Period;
use solieu_store::workflow::{frequency_name, parse_frequency};
use solieu_store::{
    Form, Role, Round, RoundAction, RoundStatus, Rule, Severity, Task, TaskStatus, TaskUpdate,
};
use utoipa::{IntoParams, ToSchema};

use super::api::{
    FormOut, ReleaseOut, RoundCell, RoundOut, RoundSummary, RoundsMatrix, RuleOut, StepResult,
    Stepped, TaskList, TaskOut, ValidationOut,
};
use super::auth::{may_write, need, read_as_of, Caller};
use super::data::applied;
use super::{ApiError, AppState};
use solieu_app::error::Error as AppErr;
use solieu_app::rounds::{Outcome, Step};
use solieu_app::submit::Writer;
use solieu_app::Code;

const STAFF: &[Role] = &[Role::Admin, Role::Analyst];
const SIGNED_IN: &[Role] = &[Role::Admin, Role::Analyst, Role::Reporter, Role::Viewer];

/// The forms.
#[utoipa::path(get, path = "/api/v1/forms", tag = "reporting", security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Every form", body = [FormOut]), (status = 401, description = "No or unknown credentials", body = super::ErrorBody)))]
pub async fn forms(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
) -> Result<Json<Vec<FormOut>>, ApiError> {
    need(&state, &p, SIGNED_IN, "reading forms")?;
    let forms = state.store()?.forms().map_err(|e| state.internal(e))?;
    Ok(Json(forms.iter().map(FormOut::from).collect()))
}

/// A form to store.
#[derive(Deserialize, ToSchema)]
pub struct FormIn {
    /// Name.
    name: String,
    /// month, quarter, half or year.
    frequency: String,
    /// Due day (default 14: the administrative cut-off).
    deadline_day: Option<u32>,
    /// Months after the period's last month (default 0).
    deadline_offset: Option<i32>,
    /// Indicator codes owed.
    indicators: Vec<String>,
    /// Units (area codes) that owe it.
    units: Vec<String>,
}

/// Creates or replaces a form (analysts, admins).
#[utoipa::path(put, path = "/api/v1/forms/{code}", tag = "reporting", request_body = FormIn,
    params(("code" = String, Path, description = "Form code")), security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Stored", body = FormOut), (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Not allowed for this account", body = super::ErrorBody)))]
pub async fn put_form(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Path(code): Path<String>,
    Json(body): Json<FormIn>,
) -> Result<Json<FormOut>, ApiError> {
    need(&state, &p, STAFF, "defining forms")?;
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty()
        || code.len() > 64
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(state.bad("a form code is 1 to 64 letters, digits or _"));
    }
    let frequency = parse_frequency(&body.frequency)
        .ok_or_else(|| state.bad("frequency: expected month, quarter, half or year"))?;
    let form = Form {
        code,
        name: body.name.trim().to_string(),
        frequency,
        deadline_day: body.deadline_day.unwrap_or(14),
        deadline_offset: body.deadline_offset.unwrap_or(0),
        indicators: body
            .indicators
            .iter()
            .map(|i| i.trim().to_ascii_uppercase())
            .collect(),
        units: body.units.iter().map(|u| u.trim().to_string()).collect(),
    };
    if !(1..=31).contains(&form.deadline_day) || !(-11..=12).contains(&form.deadline_offset) {
        return Err(state.bad("deadline_day is 1 to 31, deadline_offset -11 to 12"));
    }
    {
        let engine = state.engine()?;
        for i in &form.indicators {
            if engine.indicator(i).is_none() {
                return Err(state.bad(format!("unknown indicator {i}")));
            }
        }
        for u in &form.units {
            if engine.registry().versions(u).is_empty() {
                return Err(state.bad(format!("unknown unit (area code) {u}")));
            }
        }
    }
    state
        .store()?
        .put_form(&form, p.actor())
        .map_err(|e| state.store_error(e))?;
    Ok(Json(FormOut::from(&form)))
}

/// `?form&from&to&unit`
#[derive(Deserialize, IntoParams, Default)]
pub struct RoundsQuery {
    /// Form code.
    pub form: String,
    /// First period (default: 11 periods before `to`).
    pub from: Option<String>,
    /// Last period (default: the current one).
    pub to: Option<String>,
    /// Only this unit.
    pub unit: Option<String>,
}

pub(super) fn today() -> NaiveDate {
    solieu_app::timefmt::vietnam_day(solieu_store::now_micros())
}

/// The completeness matrix: units × periods with status, deadline and
/// lateness; completeness and timeliness per unit and per period.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "reporting", params(RoundsQuery),
    security(("token" = []), ("session" = [])),
    responses((status = 200, description = "The matrix and its summaries", body = RoundsMatrix),
        (status = 400, description = "Malformed request", body = super::ErrorBody), (status = 404, description = "Not found", body = super::ErrorBody)))]
pub async fn rounds(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<RoundsQuery>,
) -> Result<Json<RoundsMatrix>, ApiError> {
    need(&state, &p, SIGNED_IN, "reading rounds")?;
    matrix(&state, &q).map(Json)
}

/// The completeness matrix of a form (see [`rounds`]).
pub(super) fn matrix(state: &AppState, q: &RoundsQuery) -> Result<RoundsMatrix, ApiError> {
    let store = state.store()?;
    let form = store
        .forms()
        .map_err(|e| state.internal(e))?
        .into_iter()
        .find(|f| f.code.eq_ignore_ascii_case(&q.form))
        .ok_or_else(|| state.not_found(format!("no form {}", q.form)))?;
    let today = today();
    let parse = |s: &str| -> Result<Period, ApiError> {
        let p = Period::parse(s).map_err(|e| state.bad(e.to_string()))?;
        if !form.covers(p) {
            return Err(state.bad(format!(
                "{s} is not a {} period",
                frequency_name(form.frequency)
            )));
        }
        Ok(p)
    };
    let current = {
        use chrono::Datelike;
        let (y, m) = (today.year(), today.month() as u8);
        match form.frequency {
            solieu_model::Frequency::Year => Period::Year(y),
            solieu_model::Frequency::Half => Period::Half(y, if m <= 6 { 1 } else { 2 }),
            solieu_model::Frequency::Quarter => Period::Quarter(y, (m - 1) / 3 + 1),
            _ => Period::Month(y, m),
        }
    };
    let to = q.to.as_deref().map(parse).transpose()?.unwrap_or(current);
    let from = match q.from.as_deref() {
        Some(s) => parse(s)?,
        None => solieu_engine::rules::shift(to, -11).unwrap_or(to),
    };
    let mut periods = vec![];
    let mut cur = from;
    while cur <= to && periods.len() < 240 {
        periods.push(cur);
        cur = solieu_app::service::next_period(cur);
    }
    let stored = store
        .rounds(Some(&form.code), from.key(), to.key())
        .map_err(|e| state.internal(e))?;
    drop(store);
    let units: Vec<&String> = form
        .units
        .iter()
        .filter(|u| q.unit.as_ref().is_none_or(|x| x == *u))
        .collect();
    let mut cells = vec![];
    let mut per_unit = vec![];
    let mut per_period: Vec<(usize, usize, usize)> = vec![(0, 0, 0); periods.len()];
    for u in &units {
        let (mut due, mut done, mut on_time) = (0, 0, 0);
        for (k, per) in periods.iter().enumerate() {
            let r = stored
                .iter()
                .find(|r| &r.unit == *u && r.period == *per)
                .cloned()
                .unwrap_or_else(|| Round::missing(&form.code, u, *per));
            let deadline = form.deadline(*per);
            let is_due = deadline < today;
            let submitted = r.status >= RoundStatus::Submitted;
            let sub_day = r.submitted_at.map(solieu_app::timefmt::vietnam_day);
            let timely = sub_day.is_some_and(|d| d <= deadline);
            let late_days = match (submitted, sub_day) {
                (true, Some(d)) if d > deadline => (d - deadline).num_days(),
                (false, _) if is_due => (today - deadline).num_days(),
                _ => 0,
            };
            if is_due {
                due += 1;
                per_period[k].0 += 1;
                if submitted {
                    done += 1;
                    per_period[k].1 += 1;
                }
                if timely {
                    on_time += 1;
                    per_period[k].2 += 1;
                }
            }
            cells.push(RoundCell {
                unit: u.to_string(),
                period: per.to_string(),
                status: r.status.as_str().to_string(),
                deadline: deadline.to_string(),
                due: is_due,
                submitted_at: r.submitted_at.map(solieu_app::timefmt::format_micros),
                submitted_by: r.submitted_by,
                decided_by: r.decided_by,
                late: late_days > 0,
                late_days,
                comment: r.comment,
                has_draft: r.draft.is_some(),
            });
        }
        per_unit.push(summary(Some(u.to_string()), None, (due, done, on_time)));
    }
    let by_period = periods
        .iter()
        .zip(per_period)
        .map(|(per, counts)| summary(None, Some(per.to_string()), counts))
        .collect();
    Ok(RoundsMatrix {
        form: FormOut::from(&form),
        periods: periods.iter().map(ToString::to_string).collect(),
        today: today.to_string(),
        cells,
        units: per_unit,
        by_period,
    })
}

fn summary(
    unit: Option<String>,
    period: Option<String>,
    (due, submitted, on_time): (usize, usize, usize),
) -> RoundSummary {
    RoundSummary {
        unit,
        period,
        due,
        submitted,
        on_time,
        completeness_pct: pct(submitted, due),
        timeliness_pct: pct(on_time, due),
    }
}

fn pct(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

/// Moves a unit's round: `draft` (save values), `submit` (write the values
/// or the saved draft), `return` (with a comment), `approve` (refused while
/// error-level rules are violated), `lock`, `unlock` (admin).
#[utoipa::path(post, path = "/api/v1/rounds/{form}/{unit}/{period}/{action}", tag = "reporting",
    request_body = solieu_app::rounds::Step,
    params(("form" = String, Path, description = "Form code"), ("unit" = String, Path, description = "Unit (area code)"),
        ("period" = String, Path, description = "Period"), ("action" = String, Path, description = "draft, submit, return, approve, lock or unlock")),
    security(("token" = []), ("session" = [])),
    responses((status = 200, description = "The round after the step (and rule violations)", body = Stepped),
        (status = 400, description = "Malformed request", body = super::ErrorBody), (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Not allowed for this account", body = super::ErrorBody),
        (status = 404, description = "Not found", body = super::ErrorBody), (status = 409, description = "Not allowed from the round's status, or blocked by rule violations", body = super::ErrorBody),
        (status = 422, description = "Values with located errors; nothing written", body = super::ErrorBody)))]
pub async fn round_action(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Path((form, unit, period, action)): Path<(String, String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Stepped>, ApiError> {
    // the body is optional: approve, lock and unlock need none
    let step: Step = if body.iter().all(u8::is_ascii_whitespace) {
        Step::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| state.bad(format!("the body is not a round step: {e}")))?
    };
    let action = RoundAction::parse(&action).ok_or_else(|| {
        state.not_found(format!(
            "no action {action}: draft, submit, return, approve, lock or unlock"
        ))
    })?;
    let account = match action {
        RoundAction::SaveDraft | RoundAction::Submit => need(
            &state,
            &p,
            &[Role::Admin, Role::Analyst, Role::Reporter],
            "entering figures",
        )?,
        RoundAction::Return | RoundAction::Approve | RoundAction::Lock => {
            need(&state, &p, STAFF, "deciding on a round")?
        }
        RoundAction::Unlock => need(&state, &p, &[Role::Admin], "reopening a locked round")?,
    }
    .clone();
    let period = Period::parse(&period).map_err(|e| state.bad(e.to_string()))?;
    state
        .blocking(move |st| {
            // the store is held from reading the round to writing it
            let mut store = st.store()?;
            let writer = Writer {
                account: &account,
                actor: p.actor(),
            };
            let mut check = |rules: &[Rule], form: &Form| {
                let engine = st
                    .engine()
                    .map_err(|_| AppErr::new(Code::Internal, "the engine is unavailable"))?;
                Ok(check_round(&engine, rules, form, &unit, period))
            };
            let done = solieu_app::rounds::step(
                &mut **store,
                writer,
                (&form, &unit, period),
                action,
                step,
                &mut check,
            )
            .map_err(|e| st.app(e))?;
            let rules = store.rules().map_err(|e| st.internal(e))?;
            drop(store);
            let result = match done.outcome {
                Outcome::Moved => StepResult::Moved {},
                Outcome::Approved(violations) => StepResult::Approved { violations },
                Outcome::Written {
                    summary,
                    observations,
                    moved_by_write,
                } => {
                    let submission = applied(st, &rules, &summary, &observations)?;
                    if moved_by_write {
                        return Ok(Json(Stepped {
                            round: RoundOut::new(&done.round, &done.form),
                            result: None,
                            submission: Some(submission),
                        }));
                    }
                    StepResult::Written(submission)
                }
            };
            Ok(Json(Stepped {
                round: RoundOut::new(&done.round, &done.form),
                result: Some(result),
                submission: None,
            }))
        })
        .await
}

fn check_round(
    engine: &solieu_engine::Engine,
    rules: &[Rule],
    form: &Form,
    unit: &str,
    period: Period,
) -> Vec<solieu_app::rules::Violation> {
    let (compiled, _) = solieu_app::rules::compile(rules);
    let targets = BTreeSet::from([(unit.to_string(), period)]);
    let touched: BTreeSet<String> = form.indicators.iter().cloned().collect();
    solieu_app::rules::run(
        engine,
        &compiled,
        &targets,
        Some(&touched),
        &Options::default(),
    )
}

/// The validation rules.
#[utoipa::path(get, path = "/api/v1/rules", tag = "validation",
    responses((status = 200, description = "Every rule", body = [RuleOut])))]
pub async fn rules(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
) -> Result<Json<Vec<RuleOut>>, ApiError> {
    need(&state, &p, SIGNED_IN, "reading rules")?;
    let rules = state.store()?.rules().map_err(|e| state.internal(e))?;
    Ok(Json(rules.iter().map(RuleOut::from).collect()))
}

/// A rule to store.
#[derive(Deserialize, ToSchema)]
pub struct RuleIn {
    /// The condition: `EXPORTS = EXPORTS_FDI + EXPORTS_DOMESTIC`, `abs(yoy_pct(X)) <= 50`,
    /// `cumulative(RETAIL, m) >= cumulative(RETAIL, m-1)`.
    expression: String,
    /// error (blocks approval), warning (default) or info.
    severity: Option<String>,
    /// What it checks.
    description: Option<String>,
    /// Whether it runs (default true).
    active: Option<bool>,
}

/// Creates or replaces a rule (analysts, admins); the expression is parsed
/// and its indicators checked first, with the column of any error.
#[utoipa::path(put, path = "/api/v1/rules/{code}", tag = "validation", request_body = RuleIn,
    params(("code" = String, Path, description = "Rule code")), security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Stored", body = RuleOut), (status = 401, description = "No or unknown credentials", body = super::ErrorBody),
        (status = 403, description = "Not allowed for this account", body = super::ErrorBody), (status = 422, description = "The expression does not parse", body = super::ErrorBody)))]
pub async fn put_rule(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Path(code): Path<String>,
    Json(body): Json<RuleIn>,
) -> Result<Json<RuleOut>, ApiError> {
    need(&state, &p, STAFF, "defining rules")?;
    let code = code.trim().to_string();
    if code.is_empty() || code.len() > 64 || code.starts_with("builtin.") {
        return Err(state.bad("a rule code is 1 to 64 characters and does not start with builtin."));
    }
    let invalid = |m: String| state.fail(Code::InvalidRule, m);
    let expr = solieu_engine::rules::parse(&body.expression)
        .map_err(|e| invalid(format!("rule {code}: {e}")))?;
    {
        let engine = state.engine()?;
        for i in expr.indicators() {
            if engine.indicator(&i).is_none() {
                return Err(invalid(format!("rule {code}: unknown indicator {i}")));
            }
        }
    }
    let rule = Rule {
        code,
        expression: body.expression.trim().to_string(),
        severity: match body.severity.as_deref() {
            None => Severity::Warning,
            Some(s) => Severity::parse(s)
                .ok_or_else(|| state.bad("severity: expected error, warning or info"))?,
        },
        description: body
            .description
            .unwrap_or_default()
            .trim()
            .chars()
            .take(500)
            .collect(),
        active: body.active.unwrap_or(true),
    };
    state
        .store()?
        .put_rule(&rule, p.actor())
        .map_err(|e| state.store_error(e))?;
    Ok(Json(RuleOut::from(&rule)))
}

/// `?period&area&indicator`
#[derive(Deserialize, IntoParams)]
pub struct ValidationQuery {
    /// Periods (comma-separated, ranges `a..b`).
    period: String,
    /// Area codes (comma-separated).
    area: String,
    /// Only checks touching these indicators.
    indicator: Option<String>,
}

/// Runs every rule, the built-in checks and the outlier scores.
#[utoipa::path(get, path = "/api/v1/validation", tag = "validation", params(ValidationQuery),
    responses((status = 200, description = "Violations with the figures involved", body = ValidationOut), (status = 400, description = "Malformed request", body = super::ErrorBody)))]
pub async fn validation(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<ValidationQuery>,
) -> Result<Json<ValidationOut>, ApiError> {
    let as_of = read_as_of(&state, &p, None)?;
    let periods = solieu_app::service::parse_periods(
        &q.period.split(',').map(str::to_string).collect::<Vec<_>>(),
    )
    .map_err(|e| state.bad(e.to_string()))?;
    let areas: Vec<String> = q
        .area
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if periods.len() * areas.len() > 5_000 {
        return Err(state.bad("at most 5000 area × period combinations per request"));
    }
    let touched: Option<BTreeSet<String>> = q.indicator.as_deref().map(|s| {
        s.split(',')
            .map(|i| i.trim().to_ascii_uppercase())
            .filter(|i| !i.is_empty())
            .collect()
    });
    state
        .blocking(move |st| {
            let rules = st.store()?.rules().map_err(|e| st.internal(e))?;
            let (compiled, broken) = solieu_app::rules::compile(&rules);
            let engine = st.engine()?;
            for a in &areas {
                if engine.registry().versions(a).is_empty() {
                    return Err(st.bad(format!("unknown area code {a}")));
                }
            }
            let targets: BTreeSet<(String, Period)> = areas
                .iter()
                .flat_map(|a| periods.iter().map(move |p| (a.clone(), *p)))
                .collect();
            let opts = Options {
                as_of,
                ..Options::default()
            };
            let v = solieu_app::rules::run(&engine, &compiled, &targets, touched.as_ref(), &opts);
            Ok(Json(ValidationOut {
                checked: targets.len(),
                rules: compiled.len(),
                broken_rules: broken,
                errors: v.iter().filter(|x| x.blocks()).count(),
                violations: v,
            }))
        })
        .await
}

/// A task is due soon within this many days.
pub const DUE_SOON_DAYS: i64 = 7;

/// `?unit&status&view`
#[derive(Deserialize, IntoParams)]
pub struct TasksQuery {
    /// Only this unit's tasks.
    unit: Option<String>,
    /// Only this status (open, in_progress, done, cancelled).
    status: Option<String>,
    /// overdue, due_soon or all (default).
    view: Option<String>,
}

/// Key tasks, overdue first then by deadline.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TasksQuery),
    security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Tasks and counts", body = TaskList), (status = 400, description = "Malformed request", body = super::ErrorBody)))]
pub async fn tasks(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<TasksQuery>,
) -> Result<Json<TaskList>, ApiError> {
    need(&state, &p, SIGNED_IN, "reading tasks")?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            TaskStatus::parse(s)
                .ok_or_else(|| state.bad("status: open, in_progress, done or cancelled"))
        })
        .transpose()?;
    let today = today();
    let mut list = state
        .store()?
        .tasks(q.unit.as_deref())
        .map_err(|e| state.internal(e))?;
    list.retain(|t| status.is_none_or(|s| t.status == s));
    match q.view.as_deref().unwrap_or("all") {
        "all" => {}
        "overdue" => list.retain(|t| t.is_overdue(today)),
        "due_soon" => list.retain(|t| t.is_due_soon(today, DUE_SOON_DAYS)),
        v => return Err(state.bad(format!("view={v}: expected overdue, due_soon or all"))),
    }
    list.sort_by_key(|t| {
        (
            !t.is_overdue(today),
            !t.status.is_pending(),
            t.deadline,
            t.id,
        )
    });
    Ok(Json(TaskList {
        today: today.to_string(),
        overdue: list.iter().filter(|t| t.is_overdue(today)).count(),
        due_soon: list
            .iter()
            .filter(|t| t.is_due_soon(today, DUE_SOON_DAYS))
            .count(),
        tasks: list.iter().map(|t| TaskOut::new(t, today)).collect(),
    }))
}

/// A task to create.
#[derive(Deserialize, ToSchema)]
pub struct TaskIn {
    /// What is to be done.
    title: String,
    /// The assigning document.
    document: String,
    /// Its date (YYYY-MM-DD).
    document_date: Option<String>,
    /// Responsible unit.
    unit: String,
    /// Deadline (YYYY-MM-DD).
    deadline: String,
    /// Linked indicators.
    indicators: Option<Vec<String>>,
}

fn date(state: &AppState, s: &str, what: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| state.bad(format!("{what}={s}: expected YYYY-MM-DD")))
}

/// Assigns a key task (analysts, admins).
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = TaskIn,
    security(("token" = []), ("session" = [])),
    responses((status = 201, description = "Created", body = TaskOut), (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Not allowed for this account", body = super::ErrorBody)))]
pub async fn create_task(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Json(body): Json<TaskIn>,
) -> Result<(StatusCode, Json<TaskOut>), ApiError> {
    need(&state, &p, STAFF, "assigning tasks")?;
    let title = body.title.trim();
    if title.is_empty() || title.chars().count() > 1000 {
        return Err(state.bad("a task has a title of 1 to 1000 characters"));
    }
    let task = Task {
        id: 0,
        title: solieu_model::text::nfc(title),
        document: solieu_model::text::nfc(body.document.trim()),
        document_date: body
            .document_date
            .as_deref()
            .map(|d| date(&state, d, "document_date"))
            .transpose()?,
        unit: body.unit.trim().to_string(),
        deadline: date(&state, &body.deadline, "deadline")?,
        status: TaskStatus::Open,
        progress: 0,
        indicators: body
            .indicators
            .unwrap_or_default()
            .iter()
            .map(|i| i.trim().to_ascii_uppercase())
            .collect(),
        created_by: String::new(),
        created_at: 0,
        updated_at: 0,
        notes: vec![],
    };
    {
        let engine = state.engine()?;
        for i in &task.indicators {
            if engine.indicator(i).is_none() {
                return Err(state.bad(format!("unknown indicator {i}")));
            }
        }
    }
    let mut store = state.store()?;
    let id = store
        .create_task(&task, p.actor())
        .map_err(|e| state.store_error(e))?;
    let t = store
        .tasks(Some(&task.unit))
        .map_err(|e| state.internal(e))?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| state.internal(anyhow::anyhow!("task vanished")))?;
    Ok((StatusCode::CREATED, Json(TaskOut::new(&t, today()))))
}

/// A change to a task.
#[derive(Deserialize, ToSchema)]
pub struct TaskChange {
    /// New status.
    status: Option<String>,
    /// Progress (%).
    progress: Option<u8>,
    /// New deadline (analysts, admins).
    deadline: Option<String>,
    /// A progress note.
    note: Option<String>,
}

/// Reports progress on a task (its unit's reporters) or changes it (analysts, admins).
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks", request_body = TaskChange,
    params(("id" = i64, Path, description = "Task number")), security(("token" = []), ("session" = [])),
    responses((status = 200, description = "The task", body = TaskOut), (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 403, description = "Not allowed for this account", body = super::ErrorBody), (status = 404, description = "Not found", body = super::ErrorBody)))]
pub async fn update_task(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Path(id): Path<i64>,
    Json(body): Json<TaskChange>,
) -> Result<Json<TaskOut>, ApiError> {
    let account = need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst, Role::Reporter],
        "updating tasks",
    )?;
    let mut store = state.store()?;
    let task = store
        .tasks(None)
        .map_err(|e| state.internal(e))?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| state.not_found(format!("no task {id}")))?;
    if account.role == Role::Reporter {
        if !may_write(account, &task.unit, &[]) {
            return Err(state.fail(
                Code::Forbidden,
                format!(
                    "task {id} belongs to unit {}, outside the scope of {}",
                    task.unit, account.name
                ),
            ));
        }
        if body.deadline.is_some() || body.status.as_deref() == Some("cancelled") {
            return Err(state.fail(
                Code::Forbidden,
                "a reporting unit reports progress; deadlines and cancellations are for analysts",
            ));
        }
    }
    let update = TaskUpdate {
        status: body
            .status
            .as_deref()
            .map(|s| {
                TaskStatus::parse(s)
                    .ok_or_else(|| state.bad("status: open, in_progress, done or cancelled"))
            })
            .transpose()?,
        progress: body.progress.map(|p| p.min(100)),
        deadline: body
            .deadline
            .as_deref()
            .map(|d| date(&state, d, "deadline"))
            .transpose()?,
        note: body
            .note
            .map(|n| {
                solieu_model::text::nfc(n.trim())
                    .chars()
                    .take(4000)
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty()),
    };
    let t = store
        .update_task(id, &update, p.actor())
        .map_err(|e| state.store_error(e))?;
    Ok(Json(TaskOut::new(&t, today())))
}

/// A release.
#[derive(Deserialize, ToSchema)]
pub struct ReleaseIn {
    /// What is published (`Số liệu tháng 10/2026`).
    note: String,
}

/// Publishes: anonymous readers (with `--public published`) see the data as
/// of now. Refused while rounds wait for approval unless `force`.
#[utoipa::path(post, path = "/api/v1/releases", tag = "admin", request_body = ReleaseIn,
    params(("force" = Option<bool>, Query, description = "Publish even with rounds waiting for approval")),
    security(("token" = []), ("session" = [])),
    responses((status = 201, description = "Published", body = ReleaseOut), (status = 403, description = "Not allowed for this account", body = super::ErrorBody),
        (status = 409, description = "Rounds wait for approval", body = super::ErrorBody)))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(force): Query<ForceQuery>,
    Json(body): Json<ReleaseIn>,
) -> Result<(StatusCode, Json<ReleaseOut>), ApiError> {
    need(&state, &p, STAFF, "publishing")?;
    let mut store = state.store()?;
    let waiting: Vec<String> = store
        .rounds(None, i64::MIN, i64::MAX)
        .map_err(|e| state.internal(e))?
        .into_iter()
        .filter(|r| r.status == RoundStatus::Submitted)
        .map(|r| {
            format!(
                "round {}/{}/{} waits for approval",
                r.form, r.unit, r.period
            )
        })
        .collect();
    if !waiting.is_empty() && !force.force.unwrap_or(false) {
        return Err(state
            .fail(
                Code::Conflict,
                format!("{} round(s) wait for approval; approve or return them, or publish with force=true", waiting.len()),
            )
            .with_details(waiting.into_iter().take(100)));
    }
    let id = store
        .publish(body.note.trim(), p.actor())
        .map_err(|e| state.store_error(e))?;
    let (_, at) = store
        .last_release()
        .map_err(|e| state.internal(e))?
        .unwrap_or((id, 0));
    Ok((
        StatusCode::CREATED,
        Json(ReleaseOut {
            release: id,
            at: solieu_app::timefmt::format_micros(at),
        }),
    ))
}

/// `?force`
#[derive(Deserialize)]
pub struct ForceQuery {
    force: Option<bool>,
}

/// The latest release.
#[utoipa::path(get, path = "/api/v1/releases", tag = "admin",
    responses((status = 200, description = "The latest release, or null", body = Option<ReleaseOut>)))]
pub async fn latest_release(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Option<ReleaseOut>>, ApiError> {
    let r = state
        .store()?
        .last_release()
        .map_err(|e| state.internal(e))?;
    Ok(Json(r.map(|(id, at)| ReleaseOut {
        release: id,
        at: solieu_app::timefmt::format_micros(at),
    })))
}

/// The unit and month of a form template.
#[derive(Deserialize, IntoParams)]
pub struct TemplateQuery {
    /// The reporting unit (area code).
    unit: String,
    /// The month (2020-10).
    period: String,
}

/// A unit's form as the Excel workbook it fills in and sends back (to
/// `POST /api/v1/submissions`): laid out like the office's form, last year's
/// figures for reference, the cells to fill, the rest protected. Staff, and
/// reporters of the unit.
#[utoipa::path(get, path = "/api/v1/forms/{code}/template", tag = "reporting",
    params(("code" = String, Path, description = "Form code"), TemplateQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody),
        (status = 403, description = "Not allowed for this account", body = super::ErrorBody)))]
pub async fn form_template(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Path(code): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> Result<axum::response::Response, ApiError> {
    let account = need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst, Role::Reporter],
        "downloading a form",
    )?
    .clone();
    if !solieu_app::scope::may_write(&account, &q.unit, &[]) {
        return Err(state.fail(
            solieu_app::Code::Forbidden,
            format!(
                "account {} does not report for unit {}",
                account.name, q.unit
            ),
        ));
    }
    let period = Period::parse(&q.period).map_err(|e| state.bad(e.to_string()))?;
    let (name, bytes) = state
        .blocking(move |st| {
            let store = st.store()?;
            let engine = st.engine()?;
            solieu_app::forms::template(&**store, &engine, &code, &q.unit, period)
                .map_err(|e| st.bad(e.to_string()))
        })
        .await?;
    Ok(super::data::file_response(
        solieu_export::XLSX_MEDIA_TYPE,
        &name,
        bytes,
        None,
    ))
}

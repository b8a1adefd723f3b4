//! The API's answers as types: each handler builds one of these and the
//! OpenAPI document describes the same type, so what the document says is
//! what the server sends, and a generated client reads it.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use solieu_app::rules::Violation;
use solieu_app::timefmt::format_micros;
use solieu_store::{Account, AuditEntry, Form, Round, Rule, Task, TokenInfo};
use utoipa::ToSchema;

pub use solieu_app::figures::{FigureJson, InputJson};

/// A file's bytes (XLSX, DOCX, PDF, Parquet): a binary string in the
/// document, so a generated client hands them over as bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(#[allow(dead_code)] Vec<u8>);

/// Liveness and what the engine holds.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    #[schema(example = "ok")]
    pub status: String,
    /// Vintages held (current and superseded).
    #[schema(example = 16512)]
    pub vintages: Option<usize>,
    /// The last import applied.
    #[schema(example = 42)]
    pub last_import: i64,
}

/// An indicator of the catalogue.
#[derive(Serialize, ToSchema)]
pub struct IndicatorOut {
    /// Code.
    #[schema(example = "RETAIL_GOODS")]
    pub code: String,
    /// Vietnamese name.
    #[schema(example = "Doanh thu bán lẻ hàng hóa")]
    pub name_vi: String,
    /// English name.
    #[schema(example = "Retail sales of goods")]
    pub name_en: String,
    /// Unit.
    #[schema(example = "tỷ đồng")]
    pub unit: String,
    /// How months add up to a year: `sum`, `last`, `mean` or `none`.
    #[schema(example = "sum")]
    pub time_aggregation: String,
    /// How areas add up to a region.
    #[schema(example = "sum")]
    pub area_aggregation: String,
    /// Decimals shown.
    #[schema(example = 1)]
    pub decimals: u8,
}

/// An area version (the 2025 reform keeps both the old and the new).
#[derive(Serialize, ToSchema)]
pub struct AreaOut {
    /// Key of this version (`code@valid_from` for a later version).
    #[schema(example = "79")]
    pub key: String,
    /// Official code.
    #[schema(example = "79")]
    pub code: String,
    /// `nation`, `region`, `province` or `commune`.
    #[schema(example = "province")]
    pub level: String,
    /// Vietnamese name.
    #[schema(example = "Thành phố Hồ Chí Minh")]
    pub name_vi: String,
    /// English name.
    #[schema(example = "Ho Chi Minh City")]
    pub name_en: String,
    /// The parent area's code.
    pub parent: Option<String>,
    /// First day of validity (YYYY-MM-DD).
    pub valid_from: Option<String>,
    /// Last day of validity.
    pub valid_to: Option<String>,
}

/// A page of derived figures.
#[derive(Serialize, ToSchema)]
pub struct FiguresPage {
    /// Figures in the whole grid.
    #[schema(example = 2)]
    pub total: usize,
    /// Rows skipped.
    pub offset: usize,
    /// Rows per page.
    #[schema(example = 1000)]
    pub limit: usize,
    /// The next page's offset, if any.
    pub next_offset: Option<usize>,
    /// The as-of time the figures were evaluated at, if asked.
    pub as_of: Option<String>,
    /// The figures.
    pub rows: Vec<FigureJson>,
}

/// An observation a dry run would write.
#[derive(Serialize, ToSchema)]
pub struct PreviewRow {
    /// Indicator code.
    #[schema(example = "RETAIL_GOODS")]
    pub indicator: String,
    /// Area code.
    #[schema(example = "79")]
    pub area: String,
    /// Period.
    #[schema(example = "2020-10")]
    pub period: String,
    /// Measure.
    #[schema(example = "value")]
    pub measure: String,
    /// Value.
    #[schema(example = 51920.4)]
    pub value: f64,
    /// Status (E estimate, P preliminary, A final).
    #[schema(example = "E")]
    pub status: String,
    /// Note.
    pub note: String,
}

/// A submission written: the import and what the rules found.
#[derive(Serialize, ToSchema)]
pub struct Written {
    /// Import number.
    #[schema(example = 43)]
    pub import: i64,
    /// Rows read.
    pub rows: usize,
    /// Vintages added.
    pub new_vintages: usize,
    /// Of them, revisions of an earlier value.
    pub revisions: usize,
    /// When it was recorded.
    #[schema(example = "2020-11-05T08:30:00.000000Z")]
    pub recorded_at: String,
    /// Rule violations among the figures it touched.
    pub violations: Vec<Violation>,
    /// Rules that did not parse (not run).
    pub broken_rules: Vec<String>,
    /// False when the write touched too many areas and periods to check.
    pub rules_checked: bool,
}

/// What a dry run would write; nothing was.
#[derive(Serialize, ToSchema)]
pub struct Preview {
    /// Always true.
    pub dry_run: bool,
    /// Observations that would be written.
    pub count: usize,
    /// The first thousand of them.
    pub rows: Vec<PreviewRow>,
    /// Notes of the reading (encodings recognised, sheets skipped).
    pub notes: Vec<String>,
    /// The rounds they fall in, `FORM/UNIT/PERIOD`.
    pub rounds: Vec<String>,
}

/// The answer to a submission: written, or previewed by a dry run.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Submission {
    /// Written (201).
    Written(Written),
    /// A dry run (200).
    Preview(Preview),
}

/// A reporting form.
#[derive(Serialize, ToSchema)]
pub struct FormOut {
    /// Code.
    #[schema(example = "BC_THANG")]
    pub code: String,
    /// Name.
    #[schema(example = "Báo cáo tháng")]
    pub name: String,
    /// `monthly`, `quarterly` or `yearly`.
    #[schema(example = "monthly")]
    pub frequency: String,
    /// Day of the month after the period the figures are due.
    #[schema(example = 5)]
    pub deadline_day: u32,
    /// Months after the period's end the deadline falls in.
    pub deadline_offset: i32,
    /// Indicators it asks for.
    pub indicators: Vec<String>,
    /// Units (area codes) that report it.
    pub units: Vec<String>,
}

impl From<&Form> for FormOut {
    fn from(f: &Form) -> Self {
        FormOut {
            code: f.code.clone(),
            name: f.name.clone(),
            frequency: solieu_store::workflow::frequency_name(f.frequency).to_string(),
            deadline_day: f.deadline_day,
            deadline_offset: f.deadline_offset,
            indicators: f.indicators.clone(),
            units: f.units.clone(),
        }
    }
}

/// A cell of the rounds matrix: one unit, one period.
#[derive(Serialize, ToSchema)]
pub struct RoundCell {
    /// Unit (area code).
    pub unit: String,
    /// Period.
    pub period: String,
    /// `missing`, `draft`, `submitted`, `returned`, `approved` or `locked`.
    #[schema(example = "submitted")]
    pub status: String,
    /// Deadline (YYYY-MM-DD).
    pub deadline: String,
    /// Whether the deadline has passed.
    pub due: bool,
    /// When it was submitted.
    pub submitted_at: Option<String>,
    /// Who submitted it.
    pub submitted_by: Option<String>,
    /// Who approved or returned it.
    pub decided_by: Option<String>,
    /// Submitted after the deadline, or due and not submitted.
    pub late: bool,
    /// Days late.
    pub late_days: i64,
    /// The reviewer's comment.
    pub comment: String,
    /// Whether a draft is saved.
    pub has_draft: bool,
}

/// Completeness and timeliness of one unit or one period.
#[derive(Serialize, ToSchema)]
pub struct RoundSummary {
    /// The unit (in `units`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The period (in `by_period`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Rounds due.
    pub due: usize,
    /// Of them, submitted.
    pub submitted: usize,
    /// Of them, submitted by the deadline.
    pub on_time: usize,
    /// Submitted as a share of due, in %.
    pub completeness_pct: Option<f64>,
    /// On time as a share of due, in %.
    pub timeliness_pct: Option<f64>,
}

/// The rounds of a form: every unit × period, with summaries.
#[derive(Serialize, ToSchema)]
pub struct RoundsMatrix {
    /// The form.
    pub form: FormOut,
    /// The periods (columns).
    pub periods: Vec<String>,
    /// Today, as the deadlines were judged.
    pub today: String,
    /// The cells.
    pub cells: Vec<RoundCell>,
    /// Per unit.
    pub units: Vec<RoundSummary>,
    /// Per period.
    pub by_period: Vec<RoundSummary>,
}

/// A reporting round.
#[derive(Serialize, ToSchema)]
pub struct RoundOut {
    /// Form code.
    pub form: String,
    /// Unit (area code).
    pub unit: String,
    /// Period.
    pub period: String,
    /// Status.
    #[schema(example = "submitted")]
    pub status: String,
    /// Deadline (YYYY-MM-DD).
    pub deadline: String,
    /// The reviewer's comment.
    pub comment: String,
    /// The saved draft (`{"observations": [...]}`).
    #[schema(value_type = Option<Object>)]
    pub draft: Option<Value>,
    /// When it was submitted.
    pub submitted_at: Option<String>,
    /// Who submitted it.
    pub submitted_by: Option<String>,
    /// When it was approved or returned.
    pub decided_at: Option<String>,
    /// Who approved or returned it.
    pub decided_by: Option<String>,
}

impl RoundOut {
    /// The round as the API shows it.
    pub fn new(r: &Round, form: &Form) -> Self {
        RoundOut {
            form: r.form.clone(),
            unit: r.unit.clone(),
            period: r.period.to_string(),
            status: r.status.as_str().to_string(),
            deadline: form.deadline(r.period).to_string(),
            comment: r.comment.clone(),
            draft: r
                .draft
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            submitted_at: r.submitted_at.map(format_micros),
            submitted_by: r.submitted_by.clone(),
            decided_at: r.decided_at.map(format_micros),
            decided_by: r.decided_by.clone(),
        }
    }
}

/// What a round step did.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum StepResult {
    /// A submit or draft step that wrote figures.
    Written(Written),
    /// An approval: the violations found (warnings; errors refuse it).
    Approved {
        /// The violations.
        violations: Vec<Violation>,
    },
    /// Any other step: nothing to tell.
    Moved {},
}

/// A round after a step.
#[derive(Serialize, ToSchema)]
pub struct Stepped {
    /// The round as it now stands.
    pub round: RoundOut,
    /// What the step did (when it did not move the round by writing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<StepResult>,
    /// The figures written (when writing them moved the round).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission: Option<Written>,
}

/// A validation rule.
#[derive(Serialize, ToSchema)]
pub struct RuleOut {
    /// Code.
    #[schema(example = "R_RETAIL_SUM")]
    pub code: String,
    /// The expression in the rule language.
    #[schema(example = "RETAIL_TOTAL = RETAIL_GOODS + RETAIL_SERVICES")]
    pub expression: String,
    /// `error`, `warning` or `info`.
    #[schema(example = "error")]
    pub severity: String,
    /// What it checks, in words.
    pub description: String,
    /// Whether it runs.
    pub active: bool,
}

impl From<&Rule> for RuleOut {
    fn from(r: &Rule) -> Self {
        RuleOut {
            code: r.code.clone(),
            expression: r.expression.clone(),
            severity: r.severity.as_str().to_string(),
            description: r.description.clone(),
            active: r.active,
        }
    }
}

/// The rules run over areas and periods.
#[derive(Serialize, ToSchema)]
pub struct ValidationOut {
    /// Area × period combinations checked.
    pub checked: usize,
    /// Rules run.
    pub rules: usize,
    /// Rules that did not parse (not run).
    pub broken_rules: Vec<String>,
    /// Violations that block approval.
    pub errors: usize,
    /// Every violation, with the figures involved.
    pub violations: Vec<Violation>,
}

/// A note on a task's progress.
#[derive(Serialize, ToSchema)]
pub struct TaskNoteOut {
    /// When.
    pub at: String,
    /// Who.
    pub author: String,
    /// Progress set with it, in %.
    pub progress: Option<u8>,
    /// The note.
    pub note: String,
}

/// A key task (nhiệm vụ) assigned to a unit.
#[derive(Serialize, ToSchema)]
pub struct TaskOut {
    /// Number.
    pub id: i64,
    /// What is to be done.
    #[schema(example = "Đẩy nhanh giải ngân vốn đầu tư công")]
    pub title: String,
    /// The document assigning it.
    #[schema(example = "Kết luận 123/KL-UBND")]
    pub document: String,
    /// The document's date.
    pub document_date: Option<String>,
    /// The unit responsible (area or department code).
    pub unit: String,
    /// Deadline (YYYY-MM-DD).
    pub deadline: String,
    /// `open`, `in_progress`, `done` or `cancelled`.
    #[schema(example = "in_progress")]
    pub status: String,
    /// Progress, in %.
    pub progress: u8,
    /// Indicators it concerns.
    pub indicators: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Past its deadline and not done.
    pub overdue: bool,
    /// Due within a week.
    pub due_soon: bool,
    /// Days to the deadline (negative: past).
    pub days_left: i64,
    /// Progress notes, oldest first.
    pub notes: Vec<TaskNoteOut>,
}

impl TaskOut {
    /// The task as the API shows it on `today`.
    pub fn new(t: &Task, today: NaiveDate) -> Self {
        TaskOut {
            id: t.id,
            title: t.title.clone(),
            document: t.document.clone(),
            document_date: t.document_date.map(|d| d.to_string()),
            unit: t.unit.clone(),
            deadline: t.deadline.to_string(),
            status: t.status.as_str().to_string(),
            progress: t.progress,
            indicators: t.indicators.clone(),
            created_by: t.created_by.clone(),
            created_at: format_micros(t.created_at),
            updated_at: format_micros(t.updated_at),
            overdue: t.is_overdue(today),
            due_soon: t.is_due_soon(today, crate::work::DUE_SOON_DAYS),
            days_left: (t.deadline - today).num_days(),
            notes: t
                .notes
                .iter()
                .map(|n| TaskNoteOut {
                    at: format_micros(n.at),
                    author: n.author.clone(),
                    progress: n.progress,
                    note: n.note.clone(),
                })
                .collect(),
        }
    }
}

/// The tasks, with counts.
#[derive(Serialize, ToSchema)]
pub struct TaskList {
    /// Today, as deadlines were judged.
    pub today: String,
    /// Tasks past their deadline.
    pub overdue: usize,
    /// Tasks due within a week.
    pub due_soon: usize,
    /// The tasks.
    pub tasks: Vec<TaskOut>,
}

/// A release: the time up to which figures are published.
#[derive(Serialize, ToSchema)]
pub struct ReleaseOut {
    /// Release number.
    pub release: i64,
    /// The publication time (readers without an account see figures as of it).
    #[schema(example = "2020-11-06T09:00:00.000000Z")]
    pub at: String,
}

/// An account (never its secret).
#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    /// Login name.
    #[schema(example = "so_cong_thuong")]
    pub name: String,
    /// `admin`, `analyst`, `reporter` or `viewer`.
    #[schema(example = "reporter")]
    pub role: String,
    /// Areas it may write (empty: all).
    pub areas: Vec<String>,
    /// Indicators it may write (empty: all).
    pub indicators: Vec<String>,
}

impl From<&Account> for AccountOut {
    fn from(a: &Account) -> Self {
        AccountOut {
            name: a.name.clone(),
            role: a.role.as_str().to_string(),
            areas: a.areas.clone(),
            indicators: a.indicators.clone(),
        }
    }
}

/// An API token (never its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    /// Number.
    pub id: i64,
    /// The account it acts as.
    pub account: String,
    /// When it was created.
    pub created_at: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
}

impl From<&TokenInfo> for TokenOut {
    fn from(t: &TokenInfo) -> Self {
        TokenOut {
            id: t.id,
            account: t.account.clone(),
            created_at: format_micros(t.created_at),
            revoked_at: t.revoked_at.map(format_micros),
        }
    }
}

/// A token just created: the only time its secret is shown.
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    /// Number.
    pub id: i64,
    /// The account it acts as.
    pub account: String,
    /// The secret, for `Authorization: Bearer …`.
    pub token: String,
    /// A reminder that it is shown once.
    pub note: String,
}

/// A token revoked.
#[derive(Serialize, ToSchema)]
pub struct Revoked {
    /// Its number.
    pub revoked: i64,
}

/// An entry of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    /// Number.
    pub id: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// From where (`cli`, `api 10.0.0.5`).
    pub origin: String,
    /// What (`submission`, `round.approve`, `user.create` …).
    #[schema(example = "round.approve")]
    pub action: String,
    /// On what.
    pub target: String,
    /// The state before.
    pub before: Option<String>,
    /// The state after.
    pub after: Option<String>,
    /// Details.
    pub detail: String,
}

impl From<&AuditEntry> for AuditOut {
    fn from(e: &AuditEntry) -> Self {
        AuditOut {
            id: e.id,
            at: format_micros(e.at),
            actor: e.actor.clone(),
            origin: e.origin.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            detail: e.detail.clone(),
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditOut>,
    /// `before_id` for the next page, if any.
    pub next_before_id: Option<i64>,
}

/// The signed-in account and the CSRF token its writes carry.
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    /// The account.
    pub account: AccountOut,
    /// Send it as `X-CSRF-Token` on every write (session sign-in only).
    pub csrf_token: Option<String>,
}

/// Signed out.
#[derive(Serialize, ToSchema)]
pub struct SignedOut {
    /// Always true.
    pub signed_out: bool,
}

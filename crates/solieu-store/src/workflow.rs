//! The reporting workflow beside the figures: forms and their rounds
//! (missing → draft → submitted → approved → locked, with return), stored
//! validation rules, key tasks, web sessions, publication releases and the
//! queryable audit log. Types and the rules of the workflow live here so that
//! every backend keeps them the same way; [`Workflow`] is what a backend
//! stores.

use chrono::{Datelike, NaiveDate};
use serde_json::json;
use solieu_model::period::Frequency;
use solieu_model::Period;

use crate::{AuditEntry, Result, StoreError};

/// Who writes, and from where (for the audit log): `token 3 from 10.0.0.5`,
/// `session from …`, `cli`.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Account name (or the operating-system user for the CLI).
    pub name: &'a str,
    /// Where the write came from.
    pub origin: &'a str,
}

/// A form: the indicators a set of units owes for a frequency, and its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// Code (`BC_THANG`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Month, quarter, half or year.
    pub frequency: Frequency,
    /// Due on this day …
    pub deadline_day: u32,
    /// … of the period's last month shifted by this many months (0: the
    /// administrative cut-off, the 14th of the reporting month itself).
    pub deadline_offset: i32,
    /// Indicator codes owed.
    pub indicators: Vec<String>,
    /// Reporting units (area codes) that owe it.
    pub units: Vec<String>,
}

impl Form {
    /// Whether `period` is one of this form's periods.
    pub fn covers(&self, period: Period) -> bool {
        period.frequency() == self.frequency
    }

    /// The last day a round of `period` is on time (the day is clamped to
    /// the month's length: day 31 in February is its last day).
    pub fn deadline(&self, period: Period) -> NaiveDate {
        let end = period.end_date();
        let months = end.year() * 12 + end.month0() as i32 + self.deadline_offset;
        let (y, m) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
        let mut day = self.deadline_day.min(31);
        loop {
            if let Some(d) = NaiveDate::from_ymd_opt(y, m, day) {
                return d;
            }
            day -= 1;
        }
    }
}

/// A frequency's name in files and URLs.
pub fn frequency_name(f: Frequency) -> &'static str {
    match f {
        Frequency::Year | Frequency::Span => "year",
        Frequency::Half => "half",
        Frequency::Quarter => "quarter",
        Frequency::Month | Frequency::Cumulative => "month",
    }
}

/// Parses [`frequency_name`].
pub fn parse_frequency(s: &str) -> Option<Frequency> {
    Some(match s {
        "year" => Frequency::Year,
        "half" => Frequency::Half,
        "quarter" => Frequency::Quarter,
        "month" => Frequency::Month,
        _ => return None,
    })
}

/// Where a unit's round of a form stands for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoundStatus {
    /// Nothing entered.
    Missing,
    /// Entered, not submitted (or returned with a comment).
    Draft,
    /// Submitted, waiting for an analyst.
    Submitted,
    /// Approved by an analyst.
    Approved,
    /// Closed: only an admin writes.
    Locked,
}

impl RoundStatus {
    /// Name in files and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Missing => "missing",
            RoundStatus::Draft => "draft",
            RoundStatus::Submitted => "submitted",
            RoundStatus::Approved => "approved",
            RoundStatus::Locked => "locked",
        }
    }

    /// Parses [`RoundStatus::as_str`].
    pub fn parse(s: &str) -> Option<RoundStatus> {
        Some(match s {
            "missing" => RoundStatus::Missing,
            "draft" => RoundStatus::Draft,
            "submitted" => RoundStatus::Submitted,
            "approved" => RoundStatus::Approved,
            "locked" => RoundStatus::Locked,
            _ => return None,
        })
    }
}

/// A step of the round workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundAction {
    /// Save entered values without submitting.
    SaveDraft,
    /// Hand in for approval.
    Submit,
    /// Send back to the unit with a comment.
    Return,
    /// Accept.
    Approve,
    /// Close the period: further writes only by an admin.
    Lock,
    /// Reopen a locked period (admin).
    Unlock,
}

impl RoundAction {
    /// Name in URLs and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundAction::SaveDraft => "draft",
            RoundAction::Submit => "submit",
            RoundAction::Return => "return",
            RoundAction::Approve => "approve",
            RoundAction::Lock => "lock",
            RoundAction::Unlock => "unlock",
        }
    }

    /// Parses [`RoundAction::as_str`].
    pub fn parse(s: &str) -> Option<RoundAction> {
        Some(match s {
            "draft" => RoundAction::SaveDraft,
            "submit" => RoundAction::Submit,
            "return" => RoundAction::Return,
            "approve" => RoundAction::Approve,
            "lock" => RoundAction::Lock,
            "unlock" => RoundAction::Unlock,
            _ => return None,
        })
    }

    /// The status after this step from `from`, or why the step is refused.
    pub fn apply(self, from: RoundStatus) -> std::result::Result<RoundStatus, String> {
        use RoundStatus as S;
        let to = match (self, from) {
            (RoundAction::SaveDraft, S::Missing | S::Draft) => S::Draft,
            (RoundAction::Submit, S::Missing | S::Draft) => S::Submitted,
            // a unit may correct what it submitted until an analyst decides
            (RoundAction::Submit, S::Submitted) => S::Submitted,
            (RoundAction::Return, S::Submitted | S::Approved) => S::Draft,
            (RoundAction::Approve, S::Submitted) => S::Approved,
            (RoundAction::Lock, S::Approved | S::Submitted) => S::Locked,
            (RoundAction::Unlock, S::Locked) => S::Approved,
            (a, s) => {
                return Err(format!(
                    "cannot {} a round that is {}",
                    a.as_str(),
                    s.as_str()
                ))
            }
        };
        Ok(to)
    }
}

/// One unit's round of one form for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// Form code.
    pub form: String,
    /// Unit (area code).
    pub unit: String,
    /// Period.
    pub period: Period,
    /// Status.
    pub status: RoundStatus,
    /// Draft values (JSON), kept until submitted.
    pub draft: Option<String>,
    /// The latest comment (a return's reason).
    pub comment: String,
    /// First submission (µs since epoch): what timeliness is measured on.
    pub submitted_at: Option<i64>,
    /// Who submitted.
    pub submitted_by: Option<String>,
    /// Last approval, return or lock.
    pub decided_at: Option<i64>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Last change.
    pub updated_at: i64,
}

impl Round {
    /// A round with nothing entered.
    pub fn missing(form: &str, unit: &str, period: Period) -> Round {
        Round {
            form: form.to_string(),
            unit: unit.to_string(),
            period,
            status: RoundStatus::Missing,
            draft: None,
            comment: String::new(),
            submitted_at: None,
            submitted_by: None,
            decided_at: None,
            decided_by: None,
            updated_at: 0,
        }
    }
}

/// How much a rule's violation matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Blocks approval.
    Error,
    /// Shown for review.
    Warning,
    /// For information.
    Info,
}

impl Severity {
    /// Name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Parses [`Severity::as_str`].
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            _ => return None,
        })
    }
}

/// A stored validation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Code.
    pub code: String,
    /// The expression (see the rule language in `solieu::rules`).
    pub expression: String,
    /// Severity.
    pub severity: Severity,
    /// What it checks, for people.
    pub description: String,
    /// Whether it runs.
    pub active: bool,
}

/// Where a key task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Assigned, not started.
    Open,
    /// Started.
    InProgress,
    /// Finished.
    Done,
    /// Withdrawn.
    Cancelled,
}

impl TaskStatus {
    /// Name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Parses [`TaskStatus::as_str`].
    pub fn parse(s: &str) -> Option<TaskStatus> {
        Some(match s {
            "open" => TaskStatus::Open,
            "in_progress" => TaskStatus::InProgress,
            "done" => TaskStatus::Done,
            "cancelled" => TaskStatus::Cancelled,
            _ => return None,
        })
    }

    /// Whether the task is still to do.
    pub fn is_pending(self) -> bool {
        matches!(self, TaskStatus::Open | TaskStatus::InProgress)
    }
}

/// A progress note on a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskNote {
    /// When (µs since epoch).
    pub at: i64,
    /// Who.
    pub author: String,
    /// Progress (%) reported with the note.
    pub progress: Option<u8>,
    /// Text.
    pub note: String,
}

/// A key task (nhiệm vụ trọng tâm) assigned to a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Number (0 before it is stored).
    pub id: i64,
    /// What is to be done.
    pub title: String,
    /// The assigning document (`Kết luận 123/KL-TU`).
    pub document: String,
    /// Its date.
    pub document_date: Option<NaiveDate>,
    /// Responsible unit.
    pub unit: String,
    /// Deadline.
    pub deadline: NaiveDate,
    /// Status.
    pub status: TaskStatus,
    /// Progress (%).
    pub progress: u8,
    /// Linked indicator codes.
    pub indicators: Vec<String>,
    /// Creator.
    pub created_by: String,
    /// Created (µs).
    pub created_at: i64,
    /// Last change (µs).
    pub updated_at: i64,
    /// Notes, oldest first.
    pub notes: Vec<TaskNote>,
}

impl Task {
    /// Pending and past its deadline on `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_pending() && self.deadline < today
    }

    /// Pending and due within `days` of `today`.
    pub fn is_due_soon(&self, today: NaiveDate, days: i64) -> bool {
        self.status.is_pending()
            && self.deadline >= today
            && (self.deadline - today).num_days() <= days
    }
}

impl Task {
    /// The task after an update (progress capped at 100, done means 100).
    pub fn updated(&self, u: &TaskUpdate) -> Task {
        let mut after = self.clone();
        if let Some(s) = u.status {
            after.status = s;
        }
        if let Some(p) = u.progress {
            after.progress = p.min(100);
        }
        if after.status == TaskStatus::Done {
            after.progress = 100;
        }
        if let Some(d) = u.deadline {
            after.deadline = d;
        }
        after
    }
}

/// A change to a task.
#[derive(Debug, Clone, Default)]
pub struct TaskUpdate {
    /// New status.
    pub status: Option<TaskStatus>,
    /// New progress.
    pub progress: Option<u8>,
    /// New deadline.
    pub deadline: Option<NaiveDate>,
    /// A note to add.
    pub note: Option<String>,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Number.
    pub id: i64,
    /// Owner.
    pub account: String,
    /// Created (µs).
    pub created_at: i64,
    /// Revoked (µs).
    pub revoked_at: Option<i64>,
}

/// A filter of the audit log; newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only actions starting with this.
    pub action: Option<String>,
    /// Only entries about this target (prefix).
    pub target: Option<String>,
    /// From this time (µs, inclusive).
    pub since: Option<i64>,
    /// Before this entry number (paging).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: usize,
}

/// One write to record in the audit log.
#[derive(Debug, Clone, Copy)]
pub struct AuditRecord<'a> {
    /// Who, from where.
    pub actor: Actor<'a>,
    /// What (`round.approve`).
    pub action: &'a str,
    /// About what (`round BC_THANG/79/2026-10`).
    pub target: &'a str,
    /// Before.
    pub before: Option<&'a str>,
    /// After.
    pub after: Option<&'a str>,
    /// Free text.
    pub detail: &'a str,
}

/// The workflow changes that belong to an import, made in the import's own
/// transaction ([`crate::Store::commit_stream_then`]): the submission's audit
/// entries and the rounds it moves are written with its vintages or not at all.
pub trait InImport {
    /// Records an audit entry.
    fn record(&mut self, rec: &AuditRecord<'_>) -> Result<()>;
    /// Stores a round's new state, audited as [`Workflow::put_round`].
    fn put_round(&mut self, round: &Round, action: &str, actor: Actor<'_>) -> Result<()>;
}

/// What an import does in its transaction once its vintages are written,
/// knowing its summary (its number, its counts).
pub type Then<'a> = &'a mut dyn FnMut(&crate::ImportSummary, &mut dyn InImport) -> Result<()>;

/// What a backend keeps of the workflow; every write is audited in the
/// same transaction as the change itself.
pub trait Workflow {
    /// Records one audit entry.
    fn record(&mut self, rec: &AuditRecord<'_>) -> Result<()>;
    /// The audit log, filtered.
    fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>>;

    /// Creates or replaces a form (by code).
    fn put_form(&mut self, form: &Form, actor: Actor<'_>) -> Result<()>;
    /// Every form.
    fn forms(&self) -> Result<Vec<Form>>;
    /// The stored rounds of a form (or all) between two periods (keys, inclusive).
    fn rounds(&self, form: Option<&str>, from: i64, to: i64) -> Result<Vec<Round>>;
    /// One round (a missing one when none is stored).
    fn round(&self, form: &str, unit: &str, period: Period) -> Result<Round>;
    /// Stores a round's new state; `action` names the step for the audit log.
    fn put_round(&mut self, round: &Round, action: &str, actor: Actor<'_>) -> Result<()>;

    /// Creates or replaces a rule (by code).
    fn put_rule(&mut self, rule: &Rule, actor: Actor<'_>) -> Result<()>;
    /// Every rule.
    fn rules(&self) -> Result<Vec<Rule>>;

    /// Stores a new task; its number.
    fn create_task(&mut self, task: &Task, actor: Actor<'_>) -> Result<i64>;
    /// Changes a task.
    fn update_task(&mut self, id: i64, update: &TaskUpdate, actor: Actor<'_>) -> Result<Task>;
    /// Tasks, of one unit or all, by deadline.
    fn tasks(&self, unit: Option<&str>) -> Result<Vec<Task>>;

    /// Publishes: anonymous readers see the data as of this moment.
    fn publish(&mut self, note: &str, actor: Actor<'_>) -> Result<i64>;
    /// The latest release: (number, time µs).
    fn last_release(&self) -> Result<Option<(i64, i64)>>;
}

// the before/after states the audit log keeps of each kind of change
pub(crate) fn round_json(r: &Round) -> String {
    json!({"status": r.status.as_str(), "comment": r.comment, "draft": r.draft}).to_string()
}

pub(crate) fn task_json(t: &Task) -> String {
    json!({"status": t.status.as_str(), "progress": t.progress, "deadline": t.deadline.to_string()})
        .to_string()
}

pub(crate) fn form_json(f: &Form) -> String {
    json!({
        "name": f.name, "frequency": frequency_name(f.frequency), "deadline_day": f.deadline_day,
        "deadline_offset": f.deadline_offset, "indicators": f.indicators, "units": f.units,
    })
    .to_string()
}

pub(crate) fn rule_json(r: &Rule) -> String {
    json!({"expression": r.expression, "severity": r.severity.as_str(), "description": r.description, "active": r.active})
        .to_string()
}

/// Refusal helper for backends.
pub fn refused(msg: impl Into<String>) -> StoreError {
    StoreError::Refused(msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(f: Frequency, day: u32, off: i32) -> Form {
        Form {
            code: "F".into(),
            name: "F".into(),
            frequency: f,
            deadline_day: day,
            deadline_offset: off,
            indicators: vec![],
            units: vec![],
        }
    }

    #[test]
    fn deadlines_follow_the_cut_off() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let m = form(Frequency::Month, 14, 0);
        assert_eq!(m.deadline(Period::Month(2026, 10)), d(2026, 10, 14));
        let q = form(Frequency::Quarter, 14, 0);
        assert_eq!(q.deadline(Period::Quarter(2026, 3)), d(2026, 9, 14));
        let y = form(Frequency::Year, 14, 0);
        assert_eq!(y.deadline(Period::Year(2026)), d(2026, 12, 14));
        let late = form(Frequency::Month, 31, 1);
        assert_eq!(late.deadline(Period::Month(2026, 1)), d(2026, 2, 28));
        assert_eq!(late.deadline(Period::Month(2026, 12)), d(2027, 1, 31));
        let early = form(Frequency::Month, 5, -1);
        assert_eq!(early.deadline(Period::Month(2026, 1)), d(2025, 12, 5));
    }

    #[test]
    fn round_transitions() {
        use RoundAction as A;
        use RoundStatus as S;
        assert_eq!(A::Submit.apply(S::Missing), Ok(S::Submitted));
        assert_eq!(A::Return.apply(S::Submitted), Ok(S::Draft));
        assert_eq!(A::Approve.apply(S::Submitted), Ok(S::Approved));
        assert_eq!(A::Lock.apply(S::Approved), Ok(S::Locked));
        assert_eq!(A::Unlock.apply(S::Locked), Ok(S::Approved));
        assert!(A::Approve.apply(S::Draft).is_err());
        assert!(A::Submit.apply(S::Approved).is_err());
        assert!(A::SaveDraft.apply(S::Locked).is_err());
        assert!(A::Lock.apply(S::Missing).is_err());
    }
}

//! The reporting-round workflow: one function moves a unit's round
//! (`draft`, `submit`, `return`, `approve`, `lock`, `unlock`). The round is
//! read, its transition checked and the new state written while the caller
//! holds the store, so two steps on one round never both pass the check.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use solieu_model::Observation;
use solieu_model::Period;
use solieu_store::{Backend, Form, ImportSummary, Round, RoundAction, RoundStatus, Rule};
use utoipa::ToSchema;

use crate::error::{Code, Detail, Error};
use crate::rules::Violation;
use crate::submit::{records, submit, validate_records, ObservationIn, Submitted, Writer};

/// A step of the round workflow, as a unit or an analyst sends it.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct Step {
    /// Why (required to return a round).
    pub comment: Option<String>,
    /// Values entered (draft, submit): indicator, value, optional status and note.
    pub values: Option<Vec<ValueIn>>,
}

/// A value entered in a form.
#[derive(Debug, Deserialize, Serialize, ToSchema, Clone)]
pub struct ValueIn {
    /// Indicator code.
    pub indicator: String,
    /// The value: a number or text.
    #[schema(value_type = crate::submit::NumberOrText, example = 51920.4)]
    pub value: Value,
    /// E, P or A.
    pub status: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// What a step did besides moving the round.
pub enum Outcome {
    /// Nothing more.
    Moved,
    /// A submit wrote figures: the caller's engine applies them and runs
    /// the rules on them.
    Written {
        /// The import.
        summary: ImportSummary,
        /// What was written.
        observations: Vec<Observation>,
        /// Whether the write itself moved the round (a reporter's
        /// submission moves its unit's open rounds to submitted).
        moved_by_write: bool,
    },
    /// An approval, with the rule violations that did not block it.
    Approved(Vec<Violation>),
}

/// The round after a step, its form, and what else the step did.
pub struct Stepped {
    /// The round as written.
    pub round: Round,
    /// Its form.
    pub form: Form,
    /// What else.
    pub outcome: Outcome,
}

fn items(values: &[ValueIn], unit: &str, period: Period) -> Vec<ObservationIn> {
    values
        .iter()
        .map(|v| ObservationIn {
            indicator: v.indicator.clone(),
            area: unit.to_string(),
            period: period.to_string(),
            value: v.value.clone(),
            measure: None,
            status: v.status.clone(),
            unit: None,
            source: None,
            note: v.note.clone(),
        })
        .collect()
}

/// Refuses values for indicators the form does not hold.
fn on_form(form: &Form, values: &[ValueIn]) -> Result<(), Error> {
    match values
        .iter()
        .find(|v| !form.indicators.contains(&v.indicator.to_ascii_uppercase()))
    {
        Some(v) => Err(Error::bad(format!(
            "{} is not on form {}",
            v.indicator, form.code
        ))),
        None => Ok(()),
    }
}

/// The rules run on a unit's figures of the period, for an approval.
pub type RuleCheck<'a> = dyn FnMut(&[Rule], &Form) -> Result<Vec<Violation>, Error> + 'a;

/// Moves the round of `form` for `unit` and `period` by `action`, for the
/// account of `w` (whose role the caller has checked for the action).
/// `check` runs the rules on the unit's figures of the period (approve:
/// error-level violations refuse it). A submit writes its values (or the
/// saved draft) through [`submit`], the one write path.
pub fn step(
    store: &mut dyn Backend,
    w: Writer<'_>,
    (form, unit, period): (&str, &str, Period),
    action: RoundAction,
    step: Step,
    check: &mut RuleCheck<'_>,
) -> Result<Stepped, Error> {
    let account = w.account;
    let form = store
        .forms()?
        .into_iter()
        .find(|f| f.code.eq_ignore_ascii_case(form))
        .ok_or_else(|| Error::not_found(format!("no form {form}")))?;
    if !form.units.iter().any(|u| u == unit) {
        return Err(Error::not_found(format!(
            "unit {unit} does not report form {}",
            form.code
        )));
    }
    if !form.covers(period) {
        return Err(Error::bad(format!(
            "{period} is not a {} period",
            solieu_store::workflow::frequency_name(form.frequency)
        )));
    }
    let mut round = store.round(&form.code, unit, period)?;
    if !crate::scope::may_write(account, unit, &form.indicators) {
        let _ = store.record(&solieu_store::AuditRecord {
            actor: w.actor,
            action: "round.refused",
            target: &format!("round {}/{unit}/{period}", form.code),
            before: None,
            after: None,
            detail: action.as_str(),
        });
        return Err(Error::new(
            Code::Forbidden,
            format!(
                "unit {unit} and form {} are outside the scope of {}",
                form.code, account.name
            ),
        ));
    }
    let to = action
        .apply(round.status)
        .map_err(|m| Error::new(Code::Conflict, m))?;
    let now = solieu_store::now_micros();
    let mut outcome = Outcome::Moved;
    match action {
        RoundAction::SaveDraft => {
            let values = step.values.clone().unwrap_or_default();
            on_form(&form, &values)?;
            // checked now (errors at the cell), written only on submit
            let recs = records("draft", &items(&values, unit, period));
            if !recs.is_empty() {
                validate_records(store.as_store(), &recs)
                    .map_err(Error::internal)?
                    .map_err(|errors| Error::invalid(errors, "the draft was not saved"))?;
            }
            round.draft = Some(serde_json::to_string(&values).map_err(Error::internal)?);
        }
        RoundAction::Submit => {
            let values: Vec<ValueIn> = match (&step.values, &round.draft) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => serde_json::from_str(d).map_err(Error::internal)?,
                (None, None) => vec![],
            };
            on_form(&form, &values)?;
            if !values.is_empty() {
                let recs = records("form", &items(&values, unit, period));
                let read = validate_records(store.as_store(), &recs)
                    .map_err(Error::internal)?
                    .map_err(|errors| Error::invalid(errors, "nothing was written"))?;
                let label = format!("form {}/{unit}/{period}", form.code);
                let Submitted::Written {
                    summary,
                    observations,
                } = submit(store, w, read, &label, false)?
                else {
                    unreachable!("not a dry run")
                };
                // `submit` moves a reporter's round; read it again
                round = store.round(&form.code, unit, period)?;
                let moved_by_write = round.status == RoundStatus::Submitted;
                outcome = Outcome::Written {
                    summary,
                    observations,
                    moved_by_write,
                };
                if moved_by_write {
                    return Ok(Stepped {
                        round,
                        form,
                        outcome,
                    });
                }
            } else if round.status == RoundStatus::Missing {
                return Err(Error::new(
                    Code::InvalidSubmission,
                    "nothing to submit: send values or save a draft first",
                ));
            }
            round.draft = None;
            round.submitted_at.get_or_insert(now);
            round.submitted_by = Some(account.name.clone());
        }
        RoundAction::Return => {
            let c = step.comment.as_deref().map(str::trim).unwrap_or("");
            if c.is_empty() {
                return Err(Error::bad(
                    "returning a round needs a comment saying what to fix",
                ));
            }
            round.comment = c.chars().take(2000).collect();
            round.decided_at = Some(now);
            round.decided_by = Some(account.name.clone());
        }
        RoundAction::Approve => {
            let rules = store.rules()?;
            let violations = check(&rules, &form)?;
            let blocking: Vec<&Violation> = violations.iter().filter(|v| v.blocks()).collect();
            if !blocking.is_empty() {
                let mut e = Error::new(
                    Code::RuleViolations,
                    format!(
                        "{} error-level rule violation(s) block approval: return the round to the unit",
                        blocking.len()
                    ),
                )
                .with_details(
                    blocking
                        .iter()
                        .map(|v| Detail::text(v.message.clone()))
                        .collect(),
                );
                e.extra = Some(json!({ "violations": violations }));
                return Err(e);
            }
            round.decided_at = Some(now);
            round.decided_by = Some(account.name.clone());
            outcome = Outcome::Approved(violations);
        }
        RoundAction::Lock | RoundAction::Unlock => {
            round.decided_at = Some(now);
            round.decided_by = Some(account.name.clone());
        }
    }
    if let Some(c) = step.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        round.comment = c.trim().chars().take(2000).collect();
    }
    round.status = to;
    store.put_round(&round, action.as_str(), w.actor)?;
    Ok(Stepped {
        round,
        form,
        outcome,
    })
}

//! The one write path of figures from an account: API submissions (JSON,
//! CSV, XLSX), plans and form submits all pass here. Validated figures →
//! the account's scope → the reporting rounds they fall in (locked: admins
//! only, audited as `round.locked_override`; approved: not reporters) → one
//! transaction → the audit entry → a reporter's open rounds move to
//! submitted. A refusal writes no figure and is audited too. The caller
//! applies the import to its engine and runs the rules
//! ([`crate::rules::after_write`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use solieu_ingest::validate::{Field, RawRecord, RawValue};
use solieu_ingest::Catalog;
use solieu_model::text::NumberStyle;
use solieu_store::Store;
use utoipa::ToSchema;

use solieu_ingest::ReadOutcome;
use solieu_model::{Observation, Period};
use solieu_store::{
    Account, Actor, AuditRecord, Backend, ImportSummary, InImport, Role, RoundStatus,
};

use crate::error::{Code, Detail, Error};

/// Who writes.
#[derive(Clone, Copy)]
pub struct Writer<'a> {
    /// The account: its role and scope decide.
    pub account: &'a Account,
    /// Name and origin for the audit log.
    pub actor: Actor<'a>,
}

/// What a submission did.
pub enum Submitted {
    /// A dry run: what would be written; nothing was.
    Preview {
        /// Observations that would be written.
        count: usize,
        /// The first thousand of them.
        rows: Vec<Observation>,
        /// Notes of the reading (encodings recognised, sheets skipped).
        notes: Vec<String>,
        /// The rounds they fall in, `FORM/UNIT/PERIOD`.
        rounds: Vec<String>,
    },
    /// Written.
    Written {
        /// The import.
        summary: ImportSummary,
        /// What was written, for the engine to apply and the rules to check.
        observations: Vec<Observation>,
    },
}

/// Writes validated figures for an account, all or nothing; `label` names
/// the submission in the audit log (`api: thang10.xlsx`).
pub fn submit(
    store: &mut dyn Backend,
    w: Writer<'_>,
    read: ReadOutcome,
    label: &str,
    dry_run: bool,
) -> Result<Submitted, Error> {
    let account = w.account;
    // a refusal is audited too (best effort: the refusal stands either way)
    let refuse = |store: &mut dyn Backend, detail: &str, e: Error| {
        let _ = store.record(&AuditRecord {
            actor: w.actor,
            action: "submission.refused",
            target: label,
            before: None,
            after: None,
            detail,
        });
        e
    };
    let refused = crate::scope::out_of_scope(account, &read.observations);
    if !refused.is_empty() {
        let detail = format!(
            "{} observation(s), {} outside the account's scope",
            read.observations.len(),
            refused.len()
        );
        let e = Error::new(
            Code::Forbidden,
            "the submission writes outside the account's scope; nothing was written",
        )
        .with_details(refused.into_iter().map(Detail::text).collect());
        return Err(refuse(store, &detail, e));
    }
    // the rounds the figures fall in, and whether the account may write there
    let forms = store.forms()?;
    let rounds: BTreeSet<(String, String, Period)> = read
        .observations
        .iter()
        .flat_map(|o| crate::locks::rounds_of(&forms, o))
        .map(|(f, u, p)| (f.to_string(), u, p))
        .collect();
    let mut states = vec![];
    let mut blocked = vec![];
    let mut overrides = vec![];
    for (f, u, per) in &rounds {
        let r = store.round(f, u, *per)?;
        match r.status {
            RoundStatus::Locked if account.role != Role::Admin => blocked.push(format!(
                "round {f}/{u}/{per} is locked: only an admin writes there"
            )),
            RoundStatus::Locked => overrides.push(format!("{f}/{u}/{per}")),
            RoundStatus::Approved if account.role == Role::Reporter => blocked.push(format!(
                "round {f}/{u}/{per} is approved: ask an analyst to return it first"
            )),
            _ => {}
        }
        states.push(r);
    }
    if !blocked.is_empty() {
        let detail = blocked.join("; ");
        let e = Error::new(
            Code::Locked,
            "the submission writes into closed rounds; nothing was written",
        )
        .with_details(blocked.into_iter().map(Detail::text).collect());
        return Err(refuse(store, &detail, e));
    }
    if dry_run {
        return Ok(Submitted::Preview {
            count: read.observations.len(),
            rows: read.observations.iter().take(1000).cloned().collect(),
            notes: read.notes,
            rounds: rounds
                .iter()
                .map(|(f, u, p)| format!("{f}/{u}/{p}"))
                .collect(),
        });
    }
    // the submission's audit entries and the rounds it moves are written in
    // the import's transaction: with the figures, or not at all
    let reporter = account.role == Role::Reporter;
    let mut then = |summary: &ImportSummary, tx: &mut dyn InImport| -> solieu_store::Result<()> {
        let note = format!(
            "import {} ({} rows, {} new vintages, {} revisions)",
            summary.import_id, summary.rows, summary.new_vintages, summary.revisions
        );
        tx.record(&AuditRecord {
            actor: w.actor,
            action: "submission",
            target: label,
            before: None,
            after: Some(&format!("import {}", summary.import_id)),
            detail: &note,
        })?;
        for o in &overrides {
            tx.record(&AuditRecord {
                actor: w.actor,
                action: "round.locked_override",
                target: &format!("round {o}"),
                before: Some("locked"),
                after: Some("locked"),
                detail: &format!(
                    "admin wrote into a locked round: import {}",
                    summary.import_id
                ),
            })?;
        }
        // a unit's submission moves its open rounds to submitted
        if reporter {
            let now = solieu_store::now_micros();
            for r in &states {
                if matches!(r.status, RoundStatus::Missing | RoundStatus::Draft) {
                    let mut r = r.clone();
                    r.status = RoundStatus::Submitted;
                    r.submitted_at.get_or_insert(now);
                    r.submitted_by = Some(account.name.clone());
                    r.draft = None;
                    tx.put_round(&r, "submit", w.actor)?;
                }
            }
        }
        Ok(())
    };
    let (summary, observations) =
        crate::service::commit_read(&mut *store, read, &account.name, label, &mut then)
            .map_err(Error::internal)?;
    Ok(Submitted::Written {
        summary,
        observations,
    })
}

/// A value as a submission may give it: a number (`51920.4`), or text in
/// Vietnamese or canonical notation (`"51.920,4"`). For the OpenAPI
/// document; the value itself is read by the importer's number parser.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum NumberOrText {
    /// A JSON number.
    Number(f64),
    /// Text.
    Text(String),
}

/// One observation in a JSON submission.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ObservationIn {
    /// Indicator code.
    pub indicator: String,
    /// Area code.
    pub area: String,
    /// Period (`2026-10`, `2026-Q3`, `2026`, `2026-01/2026-10`).
    pub period: String,
    /// A number, or text in Vietnamese or canonical notation.
    #[schema(value_type = NumberOrText, example = 51920.4)]
    pub value: Value,
    /// level (default), yoy_pct, mom_pct, plan_pct, plan, plan_yoy_pct.
    pub measure: Option<String>,
    /// E (ước tính), P (sơ bộ), A (chính thức, default).
    pub status: Option<String>,
    /// The unit, when not the indicator's.
    pub unit: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// Reads JSON items as raw records: the same validation as files.
pub fn records(name: &str, items: &[ObservationIn]) -> Vec<RawRecord> {
    let file: Arc<str> = Arc::from(name);
    items
        .iter()
        .enumerate()
        .map(|(i, o)| RawRecord {
            file: file.clone(),
            sheet: None,
            row: i + 1,
            indicator: Field::new(o.indicator.clone(), "indicator"),
            area: Field::new(o.area.clone(), "area"),
            period: Field::new(o.period.clone(), "period"),
            value: Field {
                text: match &o.value {
                    Value::Number(n) => RawValue::Number(n.as_f64().unwrap_or(f64::NAN)),
                    Value::String(s) => RawValue::Text(s.clone(), NumberStyle::Canonical),
                    other => RawValue::Text(other.to_string(), NumberStyle::Canonical),
                },
                column: Arc::from("value"),
            },
            measure: Field::new(o.measure.clone().unwrap_or_default(), "measure"),
            status: Field::new(o.status.clone().unwrap_or_default(), "status"),
            unit: Field::new(o.unit.clone().unwrap_or_default(), "unit"),
            source: Field::new(o.source.clone().unwrap_or_default(), "source"),
            note: Field::new(o.note.clone().unwrap_or_default(), "note"),
            dims: vec![],
            index_form: false,
        })
        .collect()
}

/// Validates raw records against the catalogue: observations or located
/// errors. The import's SHA-256 is that of the records as read (their
/// location and text), whatever body they came in.
pub fn validate_records(
    store: &dyn Store,
    recs: &[RawRecord],
) -> anyhow::Result<Result<ReadOutcome, Vec<Detail>>> {
    use sha2::Digest;
    let indicators = store.indicators()?;
    let areas = store.areas()?;
    let lists = store.code_lists()?;
    let cat = Catalog::new(&indicators, &areas, &lists);
    let v = solieu_ingest::validate::validate(recs, &cat, "");
    if !v.errors.is_empty() {
        return Ok(Err(v.errors.iter().map(Detail::from).collect()));
    }
    if v.observations.is_empty() {
        return Ok(Err(vec![Detail::text(
            "the submission holds no observation",
        )]));
    }
    let mut hash = sha2::Sha256::new();
    for r in recs {
        for f in [
            &r.indicator,
            &r.area,
            &r.period,
            &r.measure,
            &r.status,
            &r.unit,
            &r.source,
            &r.note,
        ] {
            hash.update(f.text.as_bytes());
            hash.update([0x1f]);
        }
        hash.update(r.value.text.to_string().as_bytes());
        hash.update([b'\n']);
    }
    Ok(Ok(ReadOutcome {
        observations: v.observations,
        notes: vec![],
        sha256: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        provenance: vec![],
        recorded_at: None,
    }))
}

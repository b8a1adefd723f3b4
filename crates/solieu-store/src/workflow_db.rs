//! [`Workflow`] written once, for both backends, over [`crate::sql`]: each
//! write, what it reads to decide, and its audit entry in one transaction.

use chrono::NaiveDate;
use solieu_model::Period;

use crate::sql::{Db, Row, Sql, V};
use crate::workflow::{
    form_json, frequency_name, parse_frequency, refused, round_json, rule_json, task_json, Actor,
    AuditQuery, AuditRecord, Form, InImport, Round, RoundStatus, Rule, Severity, Task, TaskNote,
    TaskStatus, TaskUpdate, Workflow,
};
use crate::{now_micros, AuditEntry, Result, StoreError};

pub(crate) fn record(tx: &mut dyn Sql, r: &AuditRecord<'_>) -> Result<()> {
    tx.exec(
        "INSERT INTO audit (at, actor, action, detail, origin, target, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            now_micros().into(),
            r.actor.name.into(),
            r.action.into(),
            r.detail.into(),
            r.actor.origin.into(),
            r.target.into(),
            r.before.into(),
            r.after.into(),
        ],
    )?;
    Ok(())
}

/// Audits a change made in `tx`: who, what, on what, the state before and
/// after (JSON, when there is one), and a note.
pub(crate) fn change(
    tx: &mut dyn Sql,
    actor: Actor<'_>,
    action: &str,
    target: &str,
    before: Option<&str>,
    after: Option<&str>,
    detail: &str,
) -> Result<()> {
    record(
        tx,
        &AuditRecord {
            actor,
            action,
            target,
            before,
            after,
            detail,
        },
    )
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} '{v}'"))
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt("date", s))
}

fn form_id(tx: &mut dyn Sql, code: &str) -> Result<i64> {
    tx.query_opt("SELECT id FROM form WHERE code = $1", &[code.into()])?
        .map(|r| r.int(0))
        .transpose()?
        .ok_or_else(|| refused(format!("no form '{code}'")))
}

fn read_round(c: &mut dyn Sql, form: &str, unit: &str, period: Period) -> Result<Round> {
    let Some(row) = c.query_opt(
        "SELECT r.status, r.draft, r.comment, r.submitted_at, r.submitted_by, r.decided_at, r.decided_by, r.updated_at
         FROM round r JOIN form f ON f.id = r.form_id
         WHERE f.code = $1 AND r.unit = $2 AND r.period = $3",
        &[form.into(), unit.into(), period.key().into()],
    )?
    else {
        return Ok(Round::missing(form, unit, period));
    };
    let status = row.text(0)?;
    Ok(Round {
        form: form.to_string(),
        unit: unit.to_string(),
        period,
        status: RoundStatus::parse(&status).ok_or_else(|| corrupt("round status", &status))?,
        draft: row.opt_text(1)?,
        comment: row.text(2)?,
        submitted_at: row.opt_int(3)?,
        submitted_by: row.opt_text(4)?,
        decided_at: row.opt_int(5)?,
        decided_by: row.opt_text(6)?,
        updated_at: row.int(7)?,
    })
}

fn task_of(r: &Row, notes: Vec<TaskNote>) -> Result<Task> {
    let status = r.text(6)?;
    Ok(Task {
        id: r.int(0)?,
        title: r.text(1)?,
        document: r.text(2)?,
        document_date: r.opt_text(3)?.as_deref().map(date).transpose()?,
        unit: r.text(4)?,
        deadline: date(&r.text(5)?)?,
        status: TaskStatus::parse(&status).ok_or_else(|| corrupt("task status", &status))?,
        progress: r.int(7)?.clamp(0, 100) as u8,
        indicators: r
            .text(8)?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        created_by: r.text(9)?,
        created_at: r.int(10)?,
        updated_at: r.int(11)?,
        notes,
    })
}

fn read_tasks(c: &mut dyn Sql, unit: Option<&str>, id: Option<i64>) -> Result<Vec<Task>> {
    let rows = c.query(
        "SELECT id, title, document, document_date, unit, deadline, status, progress, indicators,
                created_by, created_at, updated_at
         FROM task WHERE (CAST($1 AS TEXT) IS NULL OR unit = $1) AND (CAST($2 AS BIGINT) IS NULL OR id = $2)
         ORDER BY deadline, id",
        &[unit.into(), id.into()],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let notes = c
            .query(
                "SELECT at, author, progress, note FROM task_note WHERE task_id = $1 ORDER BY id",
                &[r.int(0)?.into()],
            )?
            .iter()
            .map(|n| {
                Ok(TaskNote {
                    at: n.int(0)?,
                    author: n.text(1)?,
                    progress: n.opt_int(2)?.map(|p| p.clamp(0, 100) as u8),
                    note: n.text(3)?,
                })
            })
            .collect::<Result<_>>()?;
        out.push(task_of(r, notes)?);
    }
    Ok(out)
}

/// The id an `INSERT … RETURNING id` answers.
pub(crate) fn returned_id(tx: &mut dyn Sql, sql: &str, args: &[V]) -> Result<i64> {
    tx.query_opt(sql, args)?
        .ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING id answered no row".into()))?
        .int(0)
}

fn forms_of(c: &mut dyn Sql) -> Result<Vec<Form>> {
    let heads = c.query(
        "SELECT id, code, name, frequency, deadline_day, deadline_offset FROM form ORDER BY code COLLATE \"C\"",
        &[],
    )?;
    let mut out = Vec::with_capacity(heads.len());
    for h in &heads {
        let id = h.int(0)?;
        let freq = h.text(3)?;
        let mut list = |sql: &str| -> Result<Vec<String>> {
            c.query(sql, &[id.into()])?
                .iter()
                .map(|r| r.text(0))
                .collect()
        };
        out.push(Form {
            code: h.text(1)?,
            name: h.text(2)?,
            frequency: parse_frequency(&freq).ok_or_else(|| corrupt("frequency", &freq))?,
            deadline_day: h.int(4)?.clamp(1, 31) as u32,
            deadline_offset: h.int(5)?.clamp(-11, 12) as i32,
            indicators: list(
                "SELECT indicator FROM form_indicator WHERE form_id = $1 ORDER BY indicator COLLATE \"C\"",
            )?,
            units: list("SELECT unit FROM form_unit WHERE form_id = $1 ORDER BY unit COLLATE \"C\"")?,
        });
    }
    Ok(out)
}

fn rules_of(c: &mut dyn Sql) -> Result<Vec<Rule>> {
    c.query(
        "SELECT code, expression, severity, description, active FROM rule ORDER BY code COLLATE \"C\"",
        &[],
    )?
    .iter()
    .map(|r| {
        let sev = r.text(2)?;
        Ok(Rule {
            code: r.text(0)?,
            expression: r.text(1)?,
            severity: Severity::parse(&sev).ok_or_else(|| corrupt("severity", &sev))?,
            description: r.text(3)?,
            active: r.int(4)? != 0,
        })
    })
    .collect()
}

/// The columns of an audit entry, in [`audit_row`]'s order.
pub(crate) const AUDIT_COLUMNS: &str =
    "id, at, actor, action, detail, origin, target, before, after";

/// An audit entry read with [`AUDIT_COLUMNS`].
pub(crate) fn audit_row(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.int(0)?,
        at: r.int(1)?,
        actor: r.text(2)?,
        action: r.text(3)?,
        detail: r.text(4)?,
        origin: r.text(5)?,
        target: r.text(6)?,
        before: r.opt_text(7)?,
        after: r.opt_text(8)?,
    })
}

/// The last `limit` audit entries, newest first.
pub(crate) fn recent_audit(c: &mut dyn Sql, limit: usize) -> Result<Vec<AuditEntry>> {
    c.query(
        &format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id DESC LIMIT $1"),
        &[(limit.min(1_000_000) as i64).into()],
    )?
    .iter()
    .map(audit_row)
    .collect()
}

/// Stores a round's new state in `tx`, audited with the state before.
fn put_round_in(tx: &mut dyn Sql, round: &Round, action: &str, actor: Actor<'_>) -> Result<()> {
    if round.status == RoundStatus::Missing {
        return Err(refused("a round cannot be stored as missing"));
    }
    let before = read_round(tx, &round.form, &round.unit, round.period)?;
    let id = form_id(tx, &round.form)?;
    tx.exec(
        "INSERT INTO round (form_id, unit, period, status, draft, comment, submitted_at, submitted_by,
                            decided_at, decided_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (form_id, unit, period) DO UPDATE SET status = excluded.status,
            draft = excluded.draft, comment = excluded.comment, submitted_at = excluded.submitted_at,
            submitted_by = excluded.submitted_by, decided_at = excluded.decided_at,
            decided_by = excluded.decided_by, updated_at = excluded.updated_at",
        &[
            id.into(),
            (&round.unit).into(),
            round.period.key().into(),
            round.status.as_str().into(),
            (&round.draft).into(),
            (&round.comment).into(),
            round.submitted_at.into(),
            (&round.submitted_by).into(),
            round.decided_at.into(),
            (&round.decided_by).into(),
            now_micros().into(),
        ],
    )?;
    let target = format!("round {}/{}/{}", round.form, round.unit, round.period);
    let before = (before.status != RoundStatus::Missing).then(|| round_json(&before));
    let after = round_json(round);
    change(
        tx,
        actor,
        &format!("round.{action}"),
        &target,
        before.as_deref(),
        Some(&after),
        &round.comment,
    )
}

/// The workflow inside an import's transaction.
pub(crate) struct InTx<'a>(pub(crate) &'a mut dyn Sql);

impl InImport for InTx<'_> {
    fn record(&mut self, rec: &AuditRecord<'_>) -> Result<()> {
        record(self.0, rec)
    }

    fn put_round(&mut self, round: &Round, action: &str, actor: Actor<'_>) -> Result<()> {
        put_round_in(self.0, round, action, actor)
    }
}

impl<D: Db> Workflow for D {
    fn record(&mut self, rec: &AuditRecord<'_>) -> Result<()> {
        self.write(|tx| record(tx, rec))
    }

    fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit
                     WHERE (CAST($1 AS TEXT) IS NULL OR actor = $1)
                       AND (CAST($2 AS TEXT) IS NULL OR substr(action, 1, length(CAST($2 AS TEXT))) = $2)
                       AND (CAST($3 AS TEXT) IS NULL OR substr(target, 1, length(CAST($3 AS TEXT))) = $3)
                       AND (CAST($4 AS BIGINT) IS NULL OR at >= $4)
                       AND (CAST($5 AS BIGINT) IS NULL OR id < $5)
                     ORDER BY id DESC LIMIT $6"
                ),
                &[
                    q.actor.as_deref().into(),
                    q.action.as_deref().into(),
                    q.target.as_deref().into(),
                    q.since.into(),
                    q.before_id.into(),
                    (q.limit.min(100_000) as i64).into(),
                ],
            )?
            .iter()
            .map(audit_row)
            .collect()
        })
    }

    fn put_form(&mut self, form: &Form, actor: Actor<'_>) -> Result<()> {
        self.write(|tx| {
            let before = forms_of(tx)?.into_iter().find(|f| f.code == form.code);
            tx.exec(
                "INSERT INTO form (code, name, frequency, deadline_day, deadline_offset, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, frequency = excluded.frequency,
                    deadline_day = excluded.deadline_day, deadline_offset = excluded.deadline_offset",
                &[
                    (&form.code).into(),
                    (&form.name).into(),
                    frequency_name(form.frequency).into(),
                    i64::from(form.deadline_day).into(),
                    i64::from(form.deadline_offset).into(),
                    now_micros().into(),
                ],
            )?;
            let id = form_id(tx, &form.code)?;
            tx.exec("DELETE FROM form_indicator WHERE form_id = $1", &[id.into()])?;
            tx.exec("DELETE FROM form_unit WHERE form_id = $1", &[id.into()])?;
            for i in &form.indicators {
                tx.exec(
                    "INSERT INTO form_indicator (form_id, indicator) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[id.into(), i.into()],
                )?;
            }
            for u in &form.units {
                tx.exec(
                    "INSERT INTO form_unit (form_id, unit) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[id.into(), u.into()],
                )?;
            }
            change(
                tx,
                actor,
                "form.put",
                &format!("form {}", form.code),
                before.as_ref().map(form_json).as_deref(),
                Some(&form_json(form)),
                "",
            )
        })
    }

    fn forms(&self) -> Result<Vec<Form>> {
        self.read(forms_of)
    }

    fn rounds(&self, form: Option<&str>, from: i64, to: i64) -> Result<Vec<Round>> {
        self.read(|c| {
            let keys = c.query(
                "SELECT f.code, r.unit, r.period FROM round r JOIN form f ON f.id = r.form_id
                 WHERE (CAST($1 AS TEXT) IS NULL OR f.code = $1) AND r.period BETWEEN $2 AND $3
                 ORDER BY f.code COLLATE \"C\", r.period, r.unit COLLATE \"C\"",
                &[form.into(), from.into(), to.into()],
            )?;
            keys.iter()
                .map(|k| {
                    let p = k.int(2)?;
                    let period =
                        Period::from_key(p).ok_or_else(|| corrupt("period", &p.to_string()))?;
                    read_round(c, &k.text(0)?, &k.text(1)?, period)
                })
                .collect()
        })
    }

    fn round(&self, form: &str, unit: &str, period: Period) -> Result<Round> {
        self.read(|c| read_round(c, form, unit, period))
    }

    fn put_round(&mut self, round: &Round, action: &str, actor: Actor<'_>) -> Result<()> {
        self.write(|tx| put_round_in(tx, round, action, actor))
    }

    fn put_rule(&mut self, rule: &Rule, actor: Actor<'_>) -> Result<()> {
        self.write(|tx| {
            let before = rules_of(tx)?.into_iter().find(|r| r.code == rule.code);
            tx.exec(
                "INSERT INTO rule (code, expression, severity, description, active, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (code) DO UPDATE SET expression = excluded.expression, severity = excluded.severity,
                    description = excluded.description, active = excluded.active",
                &[
                    (&rule.code).into(),
                    (&rule.expression).into(),
                    rule.severity.as_str().into(),
                    (&rule.description).into(),
                    i64::from(rule.active).into(),
                    now_micros().into(),
                ],
            )?;
            change(
                tx,
                actor,
                "rule.put",
                &format!("rule {}", rule.code),
                before.as_ref().map(rule_json).as_deref(),
                Some(&rule_json(rule)),
                "",
            )
        })
    }

    fn rules(&self) -> Result<Vec<Rule>> {
        self.read(rules_of)
    }

    fn create_task(&mut self, t: &Task, actor: Actor<'_>) -> Result<i64> {
        self.write(|tx| {
            let now = now_micros();
            let id = returned_id(
                tx,
                "INSERT INTO task (title, document, document_date, unit, deadline, status, progress, indicators,
                                   created_at, created_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING id",
                &[
                    (&t.title).into(),
                    (&t.document).into(),
                    t.document_date.map(|d| d.to_string()).into(),
                    (&t.unit).into(),
                    t.deadline.to_string().into(),
                    t.status.as_str().into(),
                    i64::from(t.progress).into(),
                    t.indicators.join(",").into(),
                    now.into(),
                    actor.name.into(),
                ],
            )?;
            change(
                tx,
                actor,
                "task.create",
                &format!("task {id}"),
                None,
                Some(&task_json(t)),
                &t.title,
            )?;
            Ok(id)
        })
    }

    fn update_task(&mut self, id: i64, u: &TaskUpdate, actor: Actor<'_>) -> Result<Task> {
        self.write(|tx| {
            let before = read_tasks(tx, None, Some(id))?
                .pop()
                .ok_or_else(|| refused(format!("no task {id}")))?;
            let after = before.updated(u);
            let now = now_micros();
            tx.exec(
                "UPDATE task SET status = $2, progress = $3, deadline = $4, updated_at = $5,
                    done_at = CASE WHEN $2 = 'done' THEN coalesce(done_at, $5) ELSE NULL END
                 WHERE id = $1",
                &[
                    id.into(),
                    after.status.as_str().into(),
                    i64::from(after.progress).into(),
                    after.deadline.to_string().into(),
                    now.into(),
                ],
            )?;
            if let Some(note) = &u.note {
                tx.exec(
                    "INSERT INTO task_note (task_id, at, author, progress, note) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        id.into(),
                        now.into(),
                        actor.name.into(),
                        u.progress.map(i64::from).into(),
                        note.into(),
                    ],
                )?;
            }
            change(
                tx,
                actor,
                "task.update",
                &format!("task {id}"),
                Some(&task_json(&before)),
                Some(&task_json(&after)),
                u.note.as_deref().unwrap_or(""),
            )?;
            read_tasks(tx, None, Some(id))?
                .pop()
                .ok_or_else(|| refused(format!("no task {id}")))
        })
    }

    fn tasks(&self, unit: Option<&str>) -> Result<Vec<Task>> {
        self.read(|c| read_tasks(c, unit, None))
    }

    fn publish(&mut self, note: &str, actor: Actor<'_>) -> Result<i64> {
        self.write(|tx| {
            let id = returned_id(
                tx,
                "INSERT INTO release (at, \"by\", note) VALUES ($1, $2, $3) RETURNING id",
                &[now_micros().into(), actor.name.into(), note.into()],
            )?;
            change(
                tx,
                actor,
                "release.publish",
                &format!("release {id}"),
                None,
                None,
                note,
            )?;
            Ok(id)
        })
    }

    fn last_release(&self) -> Result<Option<(i64, i64)>> {
        self.read(|c| {
            c.query_opt("SELECT id, at FROM release ORDER BY id DESC LIMIT 1", &[])?
                .map(|r| Ok((r.int(0)?, r.int(1)?)))
                .transpose()
        })
    }
}

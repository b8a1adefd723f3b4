//! [`Workflow`] for [`PgStore`]: each write and its audit entry in one
//! transaction, the same statements as SQLite's in PostgreSQL's dialect.

use chrono::NaiveDate;
use postgres::{GenericClient, Row, Transaction};
use solieu_model::Period;

use crate::pg::{audit_row, AUDIT_COLUMNS};
use crate::workflow::{
    form_json, frequency_name, parse_frequency, refused, round_json, rule_json, task_json, Actor,
    AuditQuery, AuditRecord, Form, Round, RoundStatus, Rule, Severity, Task, TaskNote, TaskStatus,
    TaskUpdate, TokenInfo, Workflow,
};
use crate::{now_micros, Account, AuditEntry, PgStore, Result, StoreError};

fn record<C: GenericClient>(tx: &mut C, r: &AuditRecord<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, detail, origin, target, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &now_micros(),
            &r.actor.name,
            &r.action,
            &r.detail,
            &r.actor.origin,
            &r.target,
            &r.before,
            &r.after,
        ],
    )?;
    Ok(())
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} '{v}'"))
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt("date", s))
}

fn form_id(tx: &mut Transaction<'_>, code: &str) -> Result<i64> {
    tx.query_opt("SELECT id FROM form WHERE code = $1", &[&code])?
        .map(|r| r.get(0))
        .ok_or_else(|| refused(format!("no form '{code}'")))
}

fn read_round<C: GenericClient>(
    c: &mut C,
    form: &str,
    unit: &str,
    period: Period,
) -> Result<Round> {
    let Some(row) = c.query_opt(
        "SELECT r.status, r.draft, r.comment, r.submitted_at, r.submitted_by, r.decided_at, r.decided_by, r.updated_at
         FROM round r JOIN form f ON f.id = r.form_id
         WHERE f.code = $1 AND r.unit = $2 AND r.period = $3",
        &[&form, &unit, &period.key()],
    )?
    else {
        return Ok(Round::missing(form, unit, period));
    };
    let status: &str = row.get(0);
    Ok(Round {
        form: form.to_string(),
        unit: unit.to_string(),
        period,
        status: RoundStatus::parse(status).ok_or_else(|| corrupt("round status", status))?,
        draft: row.get(1),
        comment: row.get(2),
        submitted_at: row.get(3),
        submitted_by: row.get(4),
        decided_at: row.get(5),
        decided_by: row.get(6),
        updated_at: row.get(7),
    })
}

fn task_of(r: &Row, notes: Vec<TaskNote>) -> Result<Task> {
    let status: &str = r.get(6);
    let document_date: Option<&str> = r.get(3);
    let indicators: &str = r.get(8);
    Ok(Task {
        id: r.get(0),
        title: r.get(1),
        document: r.get(2),
        document_date: document_date.map(date).transpose()?,
        unit: r.get(4),
        deadline: date(r.get(5))?,
        status: TaskStatus::parse(status).ok_or_else(|| corrupt("task status", status))?,
        progress: r.get::<_, i64>(7).clamp(0, 100) as u8,
        indicators: indicators
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        created_by: r.get(9),
        created_at: r.get(10),
        updated_at: r.get(11),
        notes,
    })
}

fn read_tasks<C: GenericClient>(
    c: &mut C,
    unit: Option<&str>,
    id: Option<i64>,
) -> Result<Vec<Task>> {
    let rows = c.query(
        "SELECT id, title, document, document_date, unit, deadline, status, progress, indicators,
                created_by, created_at, updated_at
         FROM task WHERE ($1::text IS NULL OR unit = $1) AND ($2::bigint IS NULL OR id = $2)
         ORDER BY deadline, id",
        &[&unit, &id],
    )?;
    let notes = c.prepare(
        "SELECT at, author, progress, note FROM task_note WHERE task_id = $1 ORDER BY id",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let task_notes = c
            .query(&notes, &[&r.get::<_, i64>(0)])?
            .iter()
            .map(|n| TaskNote {
                at: n.get(0),
                author: n.get(1),
                progress: n.get::<_, Option<i64>>(2).map(|p| p.clamp(0, 100) as u8),
                note: n.get(3),
            })
            .collect();
        out.push(task_of(r, task_notes)?);
    }
    Ok(out)
}

fn accounts_of<C: GenericClient>(c: &mut C) -> Result<Vec<Account>> {
    let rows = c.query(
        "SELECT id, name, role, password_hash FROM account ORDER BY name COLLATE \"C\"",
        &[],
    )?;
    rows.iter()
        .map(|r| PgStore::account_of(c, r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

fn forms_of<C: GenericClient>(c: &mut C) -> Result<Vec<Form>> {
    let heads = c.query(
        "SELECT id, code, name, frequency, deadline_day, deadline_offset FROM form ORDER BY code COLLATE \"C\"",
        &[],
    )?;
    let mut out = Vec::with_capacity(heads.len());
    for h in &heads {
        let id: i64 = h.get(0);
        let freq: &str = h.get(3);
        let list = |c: &mut C, sql: &str| -> Result<Vec<String>> {
            Ok(c.query(sql, &[&id])?.iter().map(|r| r.get(0)).collect())
        };
        out.push(Form {
            code: h.get(1),
            name: h.get(2),
            frequency: parse_frequency(freq).ok_or_else(|| corrupt("frequency", freq))?,
            deadline_day: h.get::<_, i64>(4).clamp(1, 31) as u32,
            deadline_offset: h.get::<_, i64>(5).clamp(-11, 12) as i32,
            indicators: list(
                c,
                "SELECT indicator FROM form_indicator WHERE form_id = $1 ORDER BY indicator COLLATE \"C\"",
            )?,
            units: list(
                c,
                "SELECT unit FROM form_unit WHERE form_id = $1 ORDER BY unit COLLATE \"C\"",
            )?,
        });
    }
    Ok(out)
}

fn rules_of<C: GenericClient>(c: &mut C) -> Result<Vec<Rule>> {
    c.query(
        "SELECT code, expression, severity, description, active FROM rule ORDER BY code COLLATE \"C\"",
        &[],
    )?
    .iter()
    .map(|r| {
        let sev: &str = r.get(2);
        Ok(Rule {
            code: r.get(0),
            expression: r.get(1),
            severity: Severity::parse(sev).ok_or_else(|| corrupt("severity", sev))?,
            description: r.get(3),
            active: r.get::<_, i64>(4) != 0,
        })
    })
    .collect()
}

impl Workflow for PgStore {
    fn record(&mut self, rec: &AuditRecord<'_>) -> Result<()> {
        self.with(|c| record(c, rec))
    }

    fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.with(|c| {
            Ok(c.query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit
                     WHERE ($1::text IS NULL OR actor = $1)
                       AND ($2::text IS NULL OR starts_with(action, $2))
                       AND ($3::text IS NULL OR starts_with(target, $3))
                       AND ($4::bigint IS NULL OR at >= $4)
                       AND ($5::bigint IS NULL OR id < $5)
                     ORDER BY id DESC LIMIT $6"
                ),
                &[
                    &q.actor,
                    &q.action,
                    &q.target,
                    &q.since,
                    &q.before_id,
                    &(q.limit.min(100_000) as i64),
                ],
            )?
            .iter()
            .map(audit_row)
            .collect())
        })
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.with(accounts_of)
    }

    fn tokens(&self, account: Option<&str>) -> Result<Vec<TokenInfo>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT t.id, a.name, t.created_at, t.revoked_at FROM token t JOIN account a ON a.id = t.account_id
                 WHERE ($1::text IS NULL OR a.name = $1) ORDER BY t.id",
                &[&account],
            )?
            .iter()
            .map(|r| TokenInfo {
                id: r.get(0),
                account: r.get(1),
                created_at: r.get(2),
                revoked_at: r.get(3),
            })
            .collect())
        })
    }

    fn revoke_token(&mut self, id: i64, actor: Actor<'_>) -> Result<bool> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &now_micros()],
            )?;
            if n == 1 {
                record(
                    &mut tx,
                    &AuditRecord {
                        actor,
                        action: "token.revoke",
                        target: &format!("token {id}"),
                        before: Some("active"),
                        after: Some("revoked"),
                        detail: "",
                    },
                )?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn put_form(&mut self, form: &Form, actor: Actor<'_>) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let before = forms_of(&mut tx)?.into_iter().find(|f| f.code == form.code);
            tx.execute(
                "INSERT INTO form (code, name, frequency, deadline_day, deadline_offset, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, frequency = excluded.frequency,
                    deadline_day = excluded.deadline_day, deadline_offset = excluded.deadline_offset",
                &[
                    &form.code,
                    &form.name,
                    &frequency_name(form.frequency),
                    &i64::from(form.deadline_day),
                    &i64::from(form.deadline_offset),
                    &now_micros(),
                ],
            )?;
            let id = form_id(&mut tx, &form.code)?;
            tx.execute("DELETE FROM form_indicator WHERE form_id = $1", &[&id])?;
            tx.execute("DELETE FROM form_unit WHERE form_id = $1", &[&id])?;
            for i in &form.indicators {
                tx.execute(
                    "INSERT INTO form_indicator (form_id, indicator) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&id, i],
                )?;
            }
            for u in &form.units {
                tx.execute(
                    "INSERT INTO form_unit (form_id, unit) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&id, u],
                )?;
            }
            record(
                &mut tx,
                &AuditRecord {
                    actor,
                    action: "form.put",
                    target: &format!("form {}", form.code),
                    before: before.as_ref().map(form_json).as_deref(),
                    after: Some(&form_json(form)),
                    detail: "",
                },
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn forms(&self) -> Result<Vec<Form>> {
        self.with(forms_of)
    }

    fn rounds(&self, form: Option<&str>, from: i64, to: i64) -> Result<Vec<Round>> {
        self.with(|c| {
            let keys: Vec<(String, String, i64)> = c
                .query(
                    "SELECT f.code, r.unit, r.period FROM round r JOIN form f ON f.id = r.form_id
                     WHERE ($1::text IS NULL OR f.code = $1) AND r.period BETWEEN $2 AND $3
                     ORDER BY f.code COLLATE \"C\", r.period, r.unit COLLATE \"C\"",
                    &[&form, &from, &to],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
            keys.iter()
                .map(|(f, u, p)| {
                    let period =
                        Period::from_key(*p).ok_or_else(|| corrupt("period", &p.to_string()))?;
                    read_round(c, f, u, period)
                })
                .collect()
        })
    }

    fn round(&self, form: &str, unit: &str, period: Period) -> Result<Round> {
        self.with(|c| read_round(c, form, unit, period))
    }

    fn put_round(&mut self, round: &Round, action: &str, actor: Actor<'_>) -> Result<()> {
        if round.status == RoundStatus::Missing {
            return Err(refused("a round cannot be stored as missing"));
        }
        self.with(|c| {
            let mut tx = c.transaction()?;
            let before = read_round(&mut tx, &round.form, &round.unit, round.period)?;
            let id = form_id(&mut tx, &round.form)?;
            tx.execute(
                "INSERT INTO round (form_id, unit, period, status, draft, comment, submitted_at, submitted_by,
                                    decided_at, decided_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (form_id, unit, period) DO UPDATE SET status = excluded.status,
                    draft = excluded.draft, comment = excluded.comment, submitted_at = excluded.submitted_at,
                    submitted_by = excluded.submitted_by, decided_at = excluded.decided_at,
                    decided_by = excluded.decided_by, updated_at = excluded.updated_at",
                &[
                    &id,
                    &round.unit,
                    &round.period.key(),
                    &round.status.as_str(),
                    &round.draft,
                    &round.comment,
                    &round.submitted_at,
                    &round.submitted_by,
                    &round.decided_at,
                    &round.decided_by,
                    &now_micros(),
                ],
            )?;
            record(
                &mut tx,
                &AuditRecord {
                    actor,
                    action: &format!("round.{action}"),
                    target: &format!("round {}/{}/{}", round.form, round.unit, round.period),
                    before: (before.status != RoundStatus::Missing)
                        .then(|| round_json(&before))
                        .as_deref(),
                    after: Some(&round_json(round)),
                    detail: &round.comment,
                },
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn put_rule(&mut self, rule: &Rule, actor: Actor<'_>) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let before = rules_of(&mut tx)?.into_iter().find(|r| r.code == rule.code);
            tx.execute(
                "INSERT INTO rule (code, expression, severity, description, active, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (code) DO UPDATE SET expression = excluded.expression, severity = excluded.severity,
                    description = excluded.description, active = excluded.active",
                &[
                    &rule.code,
                    &rule.expression,
                    &rule.severity.as_str(),
                    &rule.description,
                    &i64::from(rule.active),
                    &now_micros(),
                ],
            )?;
            record(
                &mut tx,
                &AuditRecord {
                    actor,
                    action: "rule.put",
                    target: &format!("rule {}", rule.code),
                    before: before.as_ref().map(rule_json).as_deref(),
                    after: Some(&rule_json(rule)),
                    detail: "",
                },
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn rules(&self) -> Result<Vec<Rule>> {
        self.with(rules_of)
    }

    fn create_task(&mut self, t: &Task, actor: Actor<'_>) -> Result<i64> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let now = now_micros();
            let id: i64 = tx
                .query_one(
                    "INSERT INTO task (title, document, document_date, unit, deadline, status, progress, indicators,
                                       created_at, created_by, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING id",
                    &[
                        &t.title,
                        &t.document,
                        &t.document_date.map(|d| d.to_string()),
                        &t.unit,
                        &t.deadline.to_string(),
                        &t.status.as_str(),
                        &i64::from(t.progress),
                        &t.indicators.join(","),
                        &now,
                        &actor.name,
                    ],
                )?
                .get(0);
            record(
                &mut tx,
                &AuditRecord {
                    actor,
                    action: "task.create",
                    target: &format!("task {id}"),
                    before: None,
                    after: Some(&task_json(t)),
                    detail: &t.title,
                },
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn update_task(&mut self, id: i64, u: &TaskUpdate, actor: Actor<'_>) -> Result<Task> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let before = read_tasks(&mut tx, None, Some(id))?
                .pop()
                .ok_or_else(|| refused(format!("no task {id}")))?;
            let after = before.updated(u);
            let now = now_micros();
            tx.execute(
                "UPDATE task SET status = $2, progress = $3, deadline = $4, updated_at = $5,
                    done_at = CASE WHEN $2 = 'done' THEN coalesce(done_at, $5) ELSE NULL END
                 WHERE id = $1",
                &[
                    &id,
                    &after.status.as_str(),
                    &i64::from(after.progress),
                    &after.deadline.to_string(),
                    &now,
                ],
            )?;
            if let Some(note) = &u.note {
                tx.execute(
                    "INSERT INTO task_note (task_id, at, author, progress, note) VALUES ($1, $2, $3, $4, $5)",
                    &[&id, &now, &actor.name, &u.progress.map(i64::from), note],
                )?;
            }
            record(
                &mut tx,
                &AuditRecord {
                    actor,
                    action: "task.update",
                    target: &format!("task {id}"),
                    before: Some(&task_json(&before)),
                    after: Some(&task_json(&after)),
                    detail: u.note.as_deref().unwrap_or(""),
                },
            )?;
            let task = read_tasks(&mut tx, None, Some(id))?
                .pop()
                .ok_or_else(|| refused(format!("no task {id}")))?;
            tx.commit()?;
            Ok(task)
        })
    }

    fn tasks(&self, unit: Option<&str>) -> Result<Vec<Task>> {
        self.with(|c| read_tasks(c, unit, None))
    }

    fn create_session(
        &mut self,
        account_id: i64,
        sha256: &str,
        csrf: &str,
        expires_at: i64,
        actor: Actor<'_>,
    ) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO session (sha256, account_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[&sha256, &account_id, &csrf, &now_micros(), &expires_at],
            )?;
            record(
                &mut tx,
                &AuditRecord {
                    actor,
                    action: "session.login",
                    target: &format!("account {}", actor.name),
                    before: None,
                    after: None,
                    detail: "",
                },
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn session(&self, sha256: &str, now: i64) -> Result<Option<(Account, String)>> {
        self.with(|c| {
            let Some(r) = c.query_opt(
                "SELECT a.id, a.name, a.role, a.password_hash, s.csrf FROM session s JOIN account a ON a.id = s.account_id
                 WHERE s.sha256 = $1 AND s.ended_at IS NULL AND s.expires_at > $2",
                &[&sha256, &now],
            )?
            else {
                return Ok(None);
            };
            let account = PgStore::account_of(c, r.get(0), r.get(1), r.get(2), r.get(3))?;
            Ok(Some((account, r.get(4))))
        })
    }

    fn end_session(&mut self, sha256: &str, actor: Actor<'_>) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE session SET ended_at = $2 WHERE sha256 = $1 AND ended_at IS NULL",
                &[&sha256, &now_micros()],
            )?;
            if n == 1 {
                record(
                    &mut tx,
                    &AuditRecord {
                        actor,
                        action: "session.logout",
                        target: &format!("account {}", actor.name),
                        before: None,
                        after: None,
                        detail: "",
                    },
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn publish(&mut self, note: &str, actor: Actor<'_>) -> Result<i64> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO release (at, \"by\", note) VALUES ($1, $2, $3) RETURNING id",
                    &[&now_micros(), &actor.name, &note],
                )?
                .get(0);
            record(
                &mut tx,
                &AuditRecord {
                    actor,
                    action: "release.publish",
                    target: &format!("release {id}"),
                    before: None,
                    after: None,
                    detail: note,
                },
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn last_release(&self) -> Result<Option<(i64, i64)>> {
        self.with(|c| {
            Ok(
                c.query_opt("SELECT id, at FROM release ORDER BY id DESC LIMIT 1", &[])?
                    .map(|r| (r.get(0), r.get(1))),
            )
        })
    }
}

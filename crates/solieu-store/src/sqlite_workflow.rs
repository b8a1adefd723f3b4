//! [`Workflow`] for [`SqliteStore`]: each write and its audit entry in one
//! transaction.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
use solieu_model::Period;

use crate::sqlite::{audit_row, AUDIT_COLUMNS};
use crate::workflow::{
    form_json, frequency_name, parse_frequency, refused, round_json, rule_json, task_json, Actor,
    AuditQuery, AuditRecord, Form, Round, RoundStatus, Rule, Severity, Task, TaskNote, TaskStatus,
    TaskUpdate, TokenInfo, Workflow,
};
use crate::{now_micros, Account, AuditEntry, Result, SqliteStore, StoreError};

fn record(tx: &Transaction<'_>, r: &AuditRecord<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, detail, origin, target, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            now_micros(),
            r.actor.name,
            r.action,
            r.detail,
            r.actor.origin,
            r.target,
            r.before,
            r.after
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

fn form_id(tx: &rusqlite::Connection, code: &str) -> Result<i64> {
    tx.query_row("SELECT id FROM form WHERE code = ?1", [code], |r| r.get(0))
        .optional()?
        .ok_or_else(|| refused(format!("no form '{code}'")))
}

impl SqliteStore {
    fn read_round(&self, form: &str, unit: &str, period: Period) -> Result<Round> {
        let row = self
            .conn
            .query_row(
                "SELECT r.status, r.draft, r.comment, r.submitted_at, r.submitted_by, r.decided_at, r.decided_by, r.updated_at
                 FROM round r JOIN form f ON f.id = r.form_id
                 WHERE f.code = ?1 AND r.unit = ?2 AND r.period = ?3",
                params![form, unit, period.key()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(Round::missing(form, unit, period));
        };
        Ok(Round {
            form: form.to_string(),
            unit: unit.to_string(),
            period,
            status: RoundStatus::parse(&row.0).ok_or_else(|| corrupt("round status", &row.0))?,
            draft: row.1,
            comment: row.2,
            submitted_at: row.3,
            submitted_by: row.4,
            decided_at: row.5,
            decided_by: row.6,
            updated_at: row.7,
        })
    }

    fn read_tasks(&self, unit: Option<&str>, id: Option<i64>) -> Result<Vec<Task>> {
        let mut st = self.conn.prepare(
            "SELECT id, title, document, document_date, unit, deadline, status, progress, indicators,
                    created_by, created_at, updated_at
             FROM task WHERE (?1 IS NULL OR unit = ?1) AND (?2 IS NULL OR id = ?2)
             ORDER BY deadline, id",
        )?;
        let rows: Vec<_> = st
            .query_map(params![unit, id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, i64>(10)?,
                    r.get::<_, i64>(11)?,
                ))
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut notes = self.conn.prepare(
            "SELECT at, author, progress, note FROM task_note WHERE task_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let task_notes = notes
                .query_map([r.0], |n| {
                    Ok(TaskNote {
                        at: n.get(0)?,
                        author: n.get(1)?,
                        progress: n.get::<_, Option<i64>>(2)?.map(|p| p.clamp(0, 100) as u8),
                        note: n.get(3)?,
                    })
                })?
                .collect::<std::result::Result<_, _>>()?;
            out.push(Task {
                id: r.0,
                title: r.1,
                document: r.2,
                document_date: r.3.as_deref().map(date).transpose()?,
                unit: r.4,
                deadline: date(&r.5)?,
                status: TaskStatus::parse(&r.6).ok_or_else(|| corrupt("task status", &r.6))?,
                progress: r.7.clamp(0, 100) as u8,
                indicators: r
                    .8
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                created_by: r.9,
                created_at: r.10,
                updated_at: r.11,
                notes: task_notes,
            });
        }
        Ok(out)
    }
}

impl Workflow for SqliteStore {
    fn record(&mut self, rec: &AuditRecord<'_>) -> Result<()> {
        let tx = self.conn.transaction()?;
        record(&tx, rec)?;
        tx.commit()?;
        Ok(())
    }

    fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit
             WHERE (?1 IS NULL OR actor = ?1)
               AND (?2 IS NULL OR substr(action, 1, length(?2)) = ?2)
               AND (?3 IS NULL OR substr(target, 1, length(?3)) = ?3)
               AND (?4 IS NULL OR at >= ?4)
               AND (?5 IS NULL OR id < ?5)
             ORDER BY id DESC LIMIT ?6"
        ))?;
        let rows = st
            .query_map(
                params![
                    q.actor,
                    q.action,
                    q.target,
                    q.since,
                    q.before_id,
                    q.limit.min(100_000) as i64
                ],
                audit_row,
            )?
            .collect::<std::result::Result<_, _>>()?;
        Ok(rows)
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        let rows: Vec<(i64, String, String, String)> = self
            .conn
            .prepare("SELECT id, name, role, password_hash FROM account ORDER BY name")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<std::result::Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, name, role, hash)| self.account_of(id, name, &role, hash))
            .collect()
    }

    fn tokens(&self, account: Option<&str>) -> Result<Vec<TokenInfo>> {
        let rows = self
            .conn
            .prepare(
                "SELECT t.id, a.name, t.created_at, t.revoked_at FROM token t JOIN account a ON a.id = t.account_id
                 WHERE (?1 IS NULL OR a.name = ?1) ORDER BY t.id",
            )?
            .query_map([account], |r| {
                Ok(TokenInfo {
                    id: r.get(0)?,
                    account: r.get(1)?,
                    created_at: r.get(2)?,
                    revoked_at: r.get(3)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(rows)
    }

    fn revoke_token(&mut self, id: i64, actor: Actor<'_>) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE token SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now_micros()],
        )?;
        if n == 1 {
            record(
                &tx,
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
    }

    fn put_form(&mut self, form: &Form, actor: Actor<'_>) -> Result<()> {
        let before = self.forms()?.into_iter().find(|f| f.code == form.code);
        let tx = self.conn.transaction()?;
        let now = now_micros();
        tx.execute(
            "INSERT INTO form (code, name, frequency, deadline_day, deadline_offset, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, frequency = excluded.frequency,
                deadline_day = excluded.deadline_day, deadline_offset = excluded.deadline_offset",
            params![
                form.code,
                form.name,
                frequency_name(form.frequency),
                form.deadline_day,
                form.deadline_offset,
                now
            ],
        )?;
        let id = form_id(&tx, &form.code)?;
        tx.execute("DELETE FROM form_indicator WHERE form_id = ?1", [id])?;
        tx.execute("DELETE FROM form_unit WHERE form_id = ?1", [id])?;
        for i in &form.indicators {
            tx.execute(
                "INSERT OR IGNORE INTO form_indicator (form_id, indicator) VALUES (?1, ?2)",
                params![id, i],
            )?;
        }
        for u in &form.units {
            tx.execute(
                "INSERT OR IGNORE INTO form_unit (form_id, unit) VALUES (?1, ?2)",
                params![id, u],
            )?;
        }
        record(
            &tx,
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
    }

    fn forms(&self) -> Result<Vec<Form>> {
        let heads: Vec<(i64, String, String, String, u32, i32)> = self
            .conn
            .prepare("SELECT id, code, name, frequency, deadline_day, deadline_offset FROM form ORDER BY code")?
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut inds = self.conn.prepare(
            "SELECT indicator FROM form_indicator WHERE form_id = ?1 ORDER BY indicator",
        )?;
        let mut units = self
            .conn
            .prepare("SELECT unit FROM form_unit WHERE form_id = ?1 ORDER BY unit")?;
        let mut out = Vec::with_capacity(heads.len());
        for (id, code, name, freq, day, off) in heads {
            out.push(Form {
                code,
                name,
                frequency: parse_frequency(&freq).ok_or_else(|| corrupt("frequency", &freq))?,
                deadline_day: day,
                deadline_offset: off,
                indicators: inds
                    .query_map([id], |r| r.get(0))?
                    .collect::<std::result::Result<_, _>>()?,
                units: units
                    .query_map([id], |r| r.get(0))?
                    .collect::<std::result::Result<_, _>>()?,
            });
        }
        Ok(out)
    }

    fn rounds(&self, form: Option<&str>, from: i64, to: i64) -> Result<Vec<Round>> {
        let keys: Vec<(String, String, i64)> = self
            .conn
            .prepare(
                "SELECT f.code, r.unit, r.period FROM round r JOIN form f ON f.id = r.form_id
                 WHERE (?1 IS NULL OR f.code = ?1) AND r.period BETWEEN ?2 AND ?3
                 ORDER BY f.code, r.period, r.unit",
            )?
            .query_map(params![form, from, to], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        keys.iter()
            .map(|(f, u, p)| {
                let period =
                    Period::from_key(*p).ok_or_else(|| corrupt("period", &p.to_string()))?;
                self.read_round(f, u, period)
            })
            .collect()
    }

    fn round(&self, form: &str, unit: &str, period: Period) -> Result<Round> {
        self.read_round(form, unit, period)
    }

    fn put_round(&mut self, round: &Round, action: &str, actor: Actor<'_>) -> Result<()> {
        if round.status == RoundStatus::Missing {
            return Err(refused("a round cannot be stored as missing"));
        }
        let before = self.read_round(&round.form, &round.unit, round.period)?;
        let tx = self.conn.transaction()?;
        let id = form_id(&tx, &round.form)?;
        tx.execute(
            "INSERT INTO round (form_id, unit, period, status, draft, comment, submitted_at, submitted_by,
                                decided_at, decided_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (form_id, unit, period) DO UPDATE SET status = excluded.status,
                draft = excluded.draft, comment = excluded.comment, submitted_at = excluded.submitted_at,
                submitted_by = excluded.submitted_by, decided_at = excluded.decided_at,
                decided_by = excluded.decided_by, updated_at = excluded.updated_at",
            params![
                id,
                round.unit,
                round.period.key(),
                round.status.as_str(),
                round.draft,
                round.comment,
                round.submitted_at,
                round.submitted_by,
                round.decided_at,
                round.decided_by,
                now_micros()
            ],
        )?;
        record(
            &tx,
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
    }

    fn put_rule(&mut self, rule: &Rule, actor: Actor<'_>) -> Result<()> {
        let before = self.rules()?.into_iter().find(|r| r.code == rule.code);
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO rule (code, expression, severity, description, active, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (code) DO UPDATE SET expression = excluded.expression, severity = excluded.severity,
                description = excluded.description, active = excluded.active",
            params![
                rule.code,
                rule.expression,
                rule.severity.as_str(),
                rule.description,
                rule.active,
                now_micros()
            ],
        )?;
        record(
            &tx,
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
    }

    fn rules(&self) -> Result<Vec<Rule>> {
        let rows: Vec<(String, String, String, String, bool)> = self
            .conn
            .prepare(
                "SELECT code, expression, severity, description, active FROM rule ORDER BY code",
            )?
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        rows.into_iter()
            .map(|(code, expression, sev, description, active)| {
                Ok(Rule {
                    code,
                    expression,
                    severity: Severity::parse(&sev).ok_or_else(|| corrupt("severity", &sev))?,
                    description,
                    active,
                })
            })
            .collect()
    }

    fn create_task(&mut self, t: &Task, actor: Actor<'_>) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let now = now_micros();
        tx.execute(
            "INSERT INTO task (title, document, document_date, unit, deadline, status, progress, indicators,
                               created_at, created_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?9)",
            params![
                t.title,
                t.document,
                t.document_date.map(|d| d.to_string()),
                t.unit,
                t.deadline.to_string(),
                t.status.as_str(),
                t.progress,
                t.indicators.join(","),
                now,
                actor.name
            ],
        )?;
        let id = tx.last_insert_rowid();
        record(
            &tx,
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
    }

    fn update_task(&mut self, id: i64, u: &TaskUpdate, actor: Actor<'_>) -> Result<Task> {
        let before = self
            .read_tasks(None, Some(id))?
            .pop()
            .ok_or_else(|| refused(format!("no task {id}")))?;
        let after = before.updated(u);
        let now = now_micros();
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE task SET status = ?2, progress = ?3, deadline = ?4, updated_at = ?5,
                done_at = CASE WHEN ?2 = 'done' THEN coalesce(done_at, ?5) ELSE NULL END
             WHERE id = ?1",
            params![
                id,
                after.status.as_str(),
                after.progress,
                after.deadline.to_string(),
                now
            ],
        )?;
        if let Some(note) = &u.note {
            tx.execute(
                "INSERT INTO task_note (task_id, at, author, progress, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, now, actor.name, u.progress, note],
            )?;
        }
        record(
            &tx,
            &AuditRecord {
                actor,
                action: "task.update",
                target: &format!("task {id}"),
                before: Some(&task_json(&before)),
                after: Some(&task_json(&after)),
                detail: u.note.as_deref().unwrap_or(""),
            },
        )?;
        tx.commit()?;
        self.read_tasks(None, Some(id))?
            .pop()
            .ok_or_else(|| refused(format!("no task {id}")))
    }

    fn tasks(&self, unit: Option<&str>) -> Result<Vec<Task>> {
        self.read_tasks(unit, None)
    }

    fn create_session(
        &mut self,
        account_id: i64,
        sha256: &str,
        csrf: &str,
        expires_at: i64,
        actor: Actor<'_>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO session (sha256, account_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![sha256, account_id, csrf, now_micros(), expires_at],
        )?;
        record(
            &tx,
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
    }

    fn session(&self, sha256: &str, now: i64) -> Result<Option<(Account, String)>> {
        let row: Option<(i64, String, String, String, String)> = self
            .conn
            .query_row(
                "SELECT a.id, a.name, a.role, a.password_hash, s.csrf FROM session s JOIN account a ON a.id = s.account_id
                 WHERE s.sha256 = ?1 AND s.ended_at IS NULL AND s.expires_at > ?2",
                params![sha256, now],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        row.map(|(id, name, role, hash, csrf)| Ok((self.account_of(id, name, &role, hash)?, csrf)))
            .transpose()
    }

    fn end_session(&mut self, sha256: &str, actor: Actor<'_>) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE session SET ended_at = ?2 WHERE sha256 = ?1 AND ended_at IS NULL",
            params![sha256, now_micros()],
        )?;
        if n == 1 {
            record(
                &tx,
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
    }

    fn publish(&mut self, note: &str, actor: Actor<'_>) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO release (at, by, note) VALUES (?1, ?2, ?3)",
            params![now_micros(), actor.name, note],
        )?;
        let id = tx.last_insert_rowid();
        record(
            &tx,
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
    }

    fn last_release(&self) -> Result<Option<(i64, i64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, at FROM release ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

//! Accounts, API tokens and web sessions: their own interface, written once
//! for both backends over [`crate::sql`]. Secrets are never stored: a
//! password as its argon2id hash (made above the store), a token and a
//! session by their SHA-256. Every change is audited in its transaction.

use crate::sql::{Db, Sql};
use crate::workflow::{Actor, TokenInfo};
use crate::workflow_db::{change, returned_id};
use crate::{now_micros, Account, Result, Role, StoreError};

/// What a backend keeps of accounts, tokens and sessions.
pub trait Accounts {
    /// Adds an account (the password already hashed), with its scopes;
    /// refused when the name is taken.
    fn create_account(&mut self, account: &Account, actor: &str) -> Result<i64>;
    /// An account by name.
    fn account(&self, name: &str) -> Result<Option<Account>>;
    /// Every account, by name.
    fn accounts(&self) -> Result<Vec<Account>>;
    /// Records a token by its SHA-256 (hex) for an account; returns its number.
    fn create_token(&mut self, account_id: i64, sha256: &str, actor: &str) -> Result<i64>;
    /// The account of a live token, by the token's SHA-256 (hex), and the token's number.
    fn account_by_token(&self, sha256: &str) -> Result<Option<(Account, i64)>>;
    /// Tokens, of one account or all.
    fn tokens(&self, account: Option<&str>) -> Result<Vec<TokenInfo>>;
    /// Revokes a token; false when there is none such (or it is revoked).
    fn revoke_token(&mut self, id: i64, actor: Actor<'_>) -> Result<bool>;
    /// Opens a web session.
    fn create_session(
        &mut self,
        account_id: i64,
        sha256: &str,
        csrf: &str,
        expires_at: i64,
        actor: Actor<'_>,
    ) -> Result<()>;
    /// A live session's account and CSRF token.
    fn session(&self, sha256: &str, now: i64) -> Result<Option<(Account, String)>>;
    /// Ends a session.
    fn end_session(&mut self, sha256: &str, actor: Actor<'_>) -> Result<()>;
}

/// An account with its scope.
fn account_of(
    c: &mut dyn Sql,
    id: i64,
    name: String,
    role: &str,
    password_hash: String,
) -> Result<Account> {
    let role = Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role '{role}'")))?;
    let scopes = c.query(
        "SELECT kind, code FROM account_scope WHERE account_id = $1 ORDER BY kind, code COLLATE \"C\"",
        &[id.into()],
    )?;
    let pick = |k: &str| -> Result<Vec<String>> {
        let mut out = vec![];
        for r in &scopes {
            if r.text(0)? == k {
                out.push(r.text(1)?);
            }
        }
        Ok(out)
    };
    Ok(Account {
        id,
        name,
        role,
        areas: pick("area")?,
        indicators: pick("indicator")?,
        password_hash,
    })
}

/// The audit entry of a change asked by an actor named only (the command
/// line, or an API call that passes its account's name).
fn cli_record(tx: &mut dyn Sql, actor: &str, action: &str, detail: &str) -> Result<()> {
    let actor = Actor {
        name: actor,
        origin: "",
    };
    change(tx, actor, action, "", None, None, detail)
}

impl<D: Db> Accounts for D {
    fn create_account(&mut self, a: &Account, actor: &str) -> Result<i64> {
        self.write(|tx| {
            let id = returned_id(
                tx,
                "INSERT INTO account (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    (&a.name).into(),
                    a.role.as_str().into(),
                    (&a.password_hash).into(),
                    now_micros().into(),
                ],
            )
            .map_err(|e| {
                if e.is_unique_violation() {
                    StoreError::Refused(format!("an account named '{}' exists", a.name))
                } else {
                    e
                }
            })?;
            for (kind, codes) in [("area", &a.areas), ("indicator", &a.indicators)] {
                for code in codes {
                    tx.exec(
                        "INSERT INTO account_scope (account_id, kind, code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        &[id.into(), kind.into(), code.into()],
                    )?;
                }
            }
            let detail = format!(
                "account {} ({}), areas [{}], indicators [{}]",
                a.name,
                a.role.as_str(),
                a.areas.join(","),
                a.indicators.join(",")
            );
            cli_record(tx, actor, "account.create", &detail)?;
            Ok(id)
        })
    }

    fn account(&self, name: &str) -> Result<Option<Account>> {
        self.read(|c| {
            let Some(r) = c.query_opt(
                "SELECT id, name, role, password_hash FROM account WHERE name = $1",
                &[name.into()],
            )?
            else {
                return Ok(None);
            };
            account_of(c, r.int(0)?, r.text(1)?, &r.text(2)?, r.text(3)?).map(Some)
        })
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT id, name, role, password_hash FROM account ORDER BY name COLLATE \"C\"",
                &[],
            )?;
            rows.iter()
                .map(|r| account_of(c, r.int(0)?, r.text(1)?, &r.text(2)?, r.text(3)?))
                .collect()
        })
    }

    fn create_token(&mut self, account_id: i64, sha256: &str, actor: &str) -> Result<i64> {
        self.write(|tx| {
            let id = returned_id(
                tx,
                "INSERT INTO token (account_id, sha256, created_at) VALUES ($1, $2, $3) RETURNING id",
                &[account_id.into(), sha256.into(), now_micros().into()],
            )?;
            cli_record(tx, actor, "token.create", &format!("token {id} for account {account_id}"),
            )?;
            Ok(id)
        })
    }

    fn account_by_token(&self, sha256: &str) -> Result<Option<(Account, i64)>> {
        self.read(|c| {
            let Some(r) = c.query_opt(
                "SELECT t.id, a.id, a.name, a.role, a.password_hash FROM token t JOIN account a ON a.id = t.account_id
                 WHERE t.sha256 = $1 AND t.revoked_at IS NULL",
                &[sha256.into()],
            )?
            else {
                return Ok(None);
            };
            let account = account_of(c, r.int(1)?, r.text(2)?, &r.text(3)?, r.text(4)?)?;
            Ok(Some((account, r.int(0)?)))
        })
    }

    fn tokens(&self, account: Option<&str>) -> Result<Vec<TokenInfo>> {
        self.read(|c| {
            c.query(
                "SELECT t.id, a.name, t.created_at, t.revoked_at FROM token t JOIN account a ON a.id = t.account_id
                 WHERE (CAST($1 AS TEXT) IS NULL OR a.name = $1) ORDER BY t.id",
                &[account.into()],
            )?
            .iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.int(0)?,
                    account: r.text(1)?,
                    created_at: r.int(2)?,
                    revoked_at: r.opt_int(3)?,
                })
            })
            .collect()
        })
    }

    fn revoke_token(&mut self, id: i64, actor: Actor<'_>) -> Result<bool> {
        self.write(|tx| {
            let n = tx.exec(
                "UPDATE token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[id.into(), now_micros().into()],
            )?;
            if n == 1 {
                change(
                    tx,
                    actor,
                    "token.revoke",
                    &format!("token {id}"),
                    Some("active"),
                    Some("revoked"),
                    "",
                )?;
            }
            Ok(n == 1)
        })
    }

    fn create_session(
        &mut self,
        account_id: i64,
        sha256: &str,
        csrf: &str,
        expires_at: i64,
        actor: Actor<'_>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.exec(
                "INSERT INTO session (sha256, account_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    sha256.into(),
                    account_id.into(),
                    csrf.into(),
                    now_micros().into(),
                    expires_at.into(),
                ],
            )?;
            change(tx, actor, "session.login", &format!("account {}", actor.name), None, None, "")
        })
    }

    fn session(&self, sha256: &str, now: i64) -> Result<Option<(Account, String)>> {
        self.read(|c| {
            let Some(r) = c.query_opt(
                "SELECT a.id, a.name, a.role, a.password_hash, s.csrf FROM session s JOIN account a ON a.id = s.account_id
                 WHERE s.sha256 = $1 AND s.ended_at IS NULL AND s.expires_at > $2",
                &[sha256.into(), now.into()],
            )?
            else {
                return Ok(None);
            };
            let account = account_of(c, r.int(0)?, r.text(1)?, &r.text(2)?, r.text(3)?)?;
            Ok(Some((account, r.text(4)?)))
        })
    }

    fn end_session(&mut self, sha256: &str, actor: Actor<'_>) -> Result<()> {
        self.write(|tx| {
            let n = tx.exec(
                "UPDATE session SET ended_at = $2 WHERE sha256 = $1 AND ended_at IS NULL",
                &[sha256.into(), now_micros().into()],
            )?;
            if n == 1 {
                change(
                    tx,
                    actor,
                    "session.logout",
                    &format!("account {}", actor.name),
                    None,
                    None,
                    "",
                )?;
            }
            Ok(())
        })
    }
}

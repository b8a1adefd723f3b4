//! Versioned schema migrations for SQLite: numbered SQL scripts, applied in
//! order inside a transaction, recorded with a checksum so that an edited
//! past migration is detected instead of silently diverging.

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// (version, name, SQL)
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial schema",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "accounts and tokens",
        include_str!("../migrations/sqlite/0002_accounts.sql"),
    ),
    (
        3,
        "workflow: forms, rounds, rules, tasks, sessions, releases, audit origin",
        include_str!("../migrations/sqlite/0003_workflow.sql"),
    ),
];

fn checksum(sql: &str) -> String {
    let d = Sha256::digest(sql.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Applies the missing migrations; refuses a store from a newer solieu or
/// one whose applied migrations differ from ours.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    let applied: Vec<(i64, String)> = conn
        .prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    for (v, sum) in &applied {
        match MIGRATIONS.iter().find(|m| m.0 == *v) {
            None => {
                return Err(StoreError::Schema(format!(
                    "the store has schema version {v}; this solieu knows up to {latest}: upgrade solieu"
                )))
            }
            Some(m) if checksum(m.2) != *sum => {
                return Err(StoreError::Schema(format!("migration {v} ({}) differs from the one applied", m.1)))
            }
            _ => {}
        }
    }
    for (v, name, sql) in MIGRATIONS {
        if applied.iter().any(|a| a.0 == *v) {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            params![v, name, checksum(sql), crate::now_micros()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

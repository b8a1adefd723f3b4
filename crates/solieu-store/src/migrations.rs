//! Versioned schema migrations, one list per backend with the same numbers
//! and meaning: numbered SQL scripts, applied in order inside a transaction,
//! recorded with a checksum so that an edited past migration is detected
//! instead of silently diverging.

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
    (
        4,
        "change feed: the vintages of an import",
        include_str!("../migrations/sqlite/0004_change_feed.sql"),
    ),
    (
        5,
        "code lists of breakdowns",
        include_str!("../migrations/sqlite/0005_code_lists.sql"),
    ),
    (
        6,
        "EXPORTS_FDI and EXPORTS_DOMESTIC as codes of EXPORTS' SECTOR breakdown",
        include_str!("../migrations/sqlite/0006_sector_breakdown.sql"),
    ),
    (
        7,
        "a department's own row labels mapped to the catalogue",
        include_str!("../migrations/sqlite/0007_label_mappings.sql"),
    ),
    (
        8,
        "indicators defined by a formula over other indicators",
        include_str!("../migrations/sqlite/0008_formulas.sql"),
    ),
    (
        9,
        "how a regional total estimates a member that has not reported",
        include_str!("../migrations/sqlite/0009_estimates.sql"),
    ),
];

/// (version, name, SQL) for PostgreSQL: the same versions as [`MIGRATIONS`].
pub const PG_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial schema",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "accounts and tokens",
        include_str!("../migrations/postgres/0002_accounts.sql"),
    ),
    (
        3,
        "workflow: forms, rounds, rules, tasks, sessions, releases, audit origin",
        include_str!("../migrations/postgres/0003_workflow.sql"),
    ),
    (
        4,
        "change feed: the vintages of an import",
        include_str!("../migrations/postgres/0004_change_feed.sql"),
    ),
    (
        5,
        "code lists of breakdowns",
        include_str!("../migrations/postgres/0005_code_lists.sql"),
    ),
    (
        6,
        "EXPORTS_FDI and EXPORTS_DOMESTIC as codes of EXPORTS' SECTOR breakdown",
        include_str!("../migrations/postgres/0006_sector_breakdown.sql"),
    ),
    (
        7,
        "a department's own row labels mapped to the catalogue",
        include_str!("../migrations/postgres/0007_label_mappings.sql"),
    ),
    (
        8,
        "indicators defined by a formula over other indicators",
        include_str!("../migrations/postgres/0008_formulas.sql"),
    ),
    (
        9,
        "how a regional total estimates a member that has not reported",
        include_str!("../migrations/postgres/0009_estimates.sql"),
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
    refuse_foreign(MIGRATIONS, &applied)?;
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

/// A store from a newer solieu, or with migrations that differ from ours, is refused.
fn refuse_foreign(ours: &[(i64, &str, &str)], applied: &[(i64, String)]) -> Result<()> {
    let latest = ours.last().map_or(0, |m| m.0);
    for (v, sum) in applied {
        match ours.iter().find(|m| m.0 == *v) {
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
    Ok(())
}

/// [`migrate`] for PostgreSQL: every missing migration in one transaction,
/// under an advisory lock, so that nodes starting together migrate once.
pub fn migrate_pg(client: &mut postgres::Client) -> Result<()> {
    let mut tx = client.transaction()?;
    // one lock number for every solieu process on this database
    tx.execute("SELECT pg_advisory_xact_lock(7361011)", &[])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )?;
    let applied: Vec<(i64, String)> = tx
        .query(
            "SELECT version, checksum FROM schema_migrations ORDER BY version",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    refuse_foreign(PG_MIGRATIONS, &applied)?;
    for (v, name, sql) in PG_MIGRATIONS {
        if applied.iter().any(|a| a.0 == *v) {
            continue;
        }
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
            &[v, name, &checksum(sql), &crate::now_micros()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

//! The backends every contract test runs against: SQLite always, and
//! PostgreSQL when `SOLIEU_TEST_DATABASE` names a throw-away database
//! (`.ci/run` starts one; `tests/pg/cluster.sh start DIR` does it by hand).
//! With `SOLIEU_REQUIRE_TOOLS=1` (CI) a missing database fails the tests
//! instead of skipping PostgreSQL. Each PostgreSQL store lives in a schema
//! of its own, dropped at the end, so tests run in parallel.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use solieu_store::{Backend, Location, PgStore, SqliteStore};

/// A fresh store and what removes it.
pub struct Fresh {
    pub store: Box<dyn Backend>,
    pub location: Location,
    _dir: Option<tempfile::TempDir>,
    schema: Option<(String, String)>,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some((admin, schema)) = &self.schema {
            if let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

impl Fresh {
    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        self.store.kind()
    }

    /// Runs one statement on a connection of its own, outside solieu.
    pub fn raw_sql(&self, sql: &str) -> Result<(), String> {
        match &self.location {
            Location::Dir(d) => rusqlite::Connection::open(d.join("solieu.db"))
                .and_then(|c| c.execute_batch(sql))
                .map_err(|e| e.to_string()),
            Location::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(sql))
                .map_err(|e| e.to_string()),
        }
    }

    /// A second connection to the same store.
    pub fn reopen(&self) -> Box<dyn Backend> {
        self.location.open().unwrap()
    }
}

/// The test database's address, if any.
pub fn database() -> Option<String> {
    match std::env::var("SOLIEU_TEST_DATABASE") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("SOLIEU_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "SOLIEU_TEST_DATABASE is not set: the PostgreSQL half of the contract tests cannot run"
            );
            None
        }
    }
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A new, empty schema in the test database: (admin url, schema, url into it).
pub fn pg_schema(admin: &str) -> (String, String) {
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut c = postgres::Client::connect(admin, postgres::NoTls).unwrap();
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if admin.contains('?') { '&' } else { '?' };
    (
        schema.clone(),
        format!("{admin}{sep}options=-csearch_path%3D{schema}"),
    )
}

/// A fresh store of each backend, created with the reference data.
pub fn backends() -> Vec<Fresh> {
    let mut out = vec![sqlite()];
    if let Some(admin) = database() {
        out.push(postgres(&admin, true));
    }
    out
}

pub fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = SqliteStore::create(&data).unwrap();
    Fresh {
        store: Box::new(store),
        location: Location::Dir(data),
        _dir: Some(dir),
        schema: None,
    }
}

/// A PostgreSQL store in a new schema: created with the reference data, or
/// only migrated (`reference: false`, the target of a copy).
pub fn postgres(admin: &str, reference: bool) -> Fresh {
    let (schema, url) = pg_schema(admin);
    let store = if reference {
        PgStore::create(&url).unwrap()
    } else {
        PgStore::connect_and_migrate(&url).unwrap()
    };
    Fresh {
        store: Box::new(store),
        location: Location::Postgres(url),
        _dir: None,
        schema: Some((admin.to_string(), schema)),
    }
}

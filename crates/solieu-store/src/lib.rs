//! The observation store: areas, indicators, and observations kept as
//! append-only vintages, behind the [`Store`] and [`Workflow`] traits.
//! [`SqliteStore`] is the embedded implementation, [`PgStore`] the one for
//! server deployments; [`open`] picks one from where the store is
//! (a data directory or a `postgres://` address). The `copy` module moves a
//! whole store between them (migrate, backup, restore).
//!
//! Invariants every implementation keeps:
//! - **append-only**: a vintage is never updated or deleted; a new value for
//!   the same key is a new vintage, an unchanged one adds nothing;
//! - **all or nothing**: [`Store::commit_import`] writes every observation of
//!   a batch in one transaction or none of them;
//! - **as of**: every read can be asked as of a time and returns exactly the
//!   vintages recorded up to then.
#![warn(missing_docs)]

pub mod accounts;
mod codes;
pub mod copy;
mod labels;
mod migrations;
mod pg;
mod sql;
mod sqlite;
pub mod workflow;
mod workflow_db;

use solieu_model::{AreaRegistry, Indicator, Measure, Observation, Period, Status, Vintage};

pub use accounts::Accounts;
pub use pg::{PgStore, CHANGES_CHANNEL};
pub use sqlite::SqliteStore;
pub use workflow::{
    Actor, AuditQuery, AuditRecord, Form, InImport, Round, RoundAction, RoundStatus, Rule,
    Severity, Task, TaskNote, TaskStatus, TaskUpdate, Then, TokenInfo, Workflow,
};

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// The store was written by a different or newer solieu.
    #[error("store schema problem: {0}")]
    Schema(String),
    /// A batch broke an invariant; nothing was written.
    #[error("import refused, nothing written: {0}")]
    Refused(String),
    /// The PostgreSQL server failed or refused.
    #[error("database error: {}", pg_message(.0))]
    Pg(postgres::Error),
    /// The database server cannot be reached (down, restarting, the
    /// connection lost): nothing of the call was written; try again.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// Filesystem.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How every [`StoreError::Unavailable`] begins, for callers that only see
/// its text through wrappers (the server answers 503 for it).
pub const UNAVAILABLE: &str = "the database is unavailable";

/// The server's own words (SQLSTATE and message), not the driver's "db error".
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} ({})", d.message(), d.code().code()),
        None => match std::error::Error::source(e) {
            Some(s) => format!("{e}: {s}"),
            None => e.to_string(),
        },
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        // a lost connection, one that never opened, or a server shutting
        // down or starting up (SQLSTATE classes 08 and 57) is not the data's
        // fault, and nothing of the call was committed
        let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        let state = e.code().map(|c| c.code()).unwrap_or("");
        if e.is_closed() || io || state.starts_with("08") || state.starts_with("57") {
            StoreError::Unavailable(pg_message(&e))
        } else {
            StoreError::Pg(e)
        }
    }
}

impl StoreError {
    /// Whether a statement broke a uniqueness constraint (a name taken).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
            StoreError::Db(rusqlite::Error::SqliteFailure(f, _)) => {
                matches!(f.extended_code, 2067 | 1555)
            }
            StoreError::Pg(e) => e
                .as_db_error()
                .is_some_and(|d| d.code() == &postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

/// One batch of observations to commit together.
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    /// Validated observations (no duplicate keys).
    pub observations: Vec<Observation>,
    /// Who submits.
    pub submitter: String,
    /// File names or a description of the origin.
    pub origin: String,
    /// SHA-256 of the inputs, hex.
    pub sha256: String,
    /// Recording time to use (µs since epoch); `None`: now. Must be later
    /// than every vintage already stored for the same keys.
    pub recorded_at: Option<i64>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Import number.
    pub import_id: i64,
    /// Observations in the batch.
    pub rows: usize,
    /// New vintages written (new keys and revisions).
    pub new_vintages: usize,
    /// Of which revisions of an existing key.
    pub revisions: usize,
    /// Recording time (µs since epoch).
    pub recorded_at: i64,
}

/// Which observations to read.
#[derive(Debug, Clone, Default)]
pub struct ObsQuery {
    /// Indicator codes; empty: all.
    pub indicators: Vec<String>,
    /// Area keys; empty: all.
    pub areas: Vec<String>,
    /// Exact periods; empty: all.
    pub periods: Vec<Period>,
    /// Measures; empty: all.
    pub measures: Vec<Measure>,
    /// Read as of this time (µs since epoch); `None`: now.
    pub as_of: Option<i64>,
}

/// Counts for `solieu check` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStats {
    /// Area versions.
    pub areas: usize,
    /// Indicators.
    pub indicators: usize,
    /// Series (indicator × area × measure × dims).
    pub series: usize,
    /// Vintages.
    pub vintages: usize,
    /// Imports.
    pub imports: usize,
}

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Entry number (increasing).
    pub id: i64,
    /// Time (µs since epoch).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What (`import`, `catalog.upsert`, `init`).
    pub action: String,
    /// Details.
    pub detail: String,
    /// From where (`token 3 from 10.0.0.5:4431`, `cli`).
    pub origin: String,
    /// About what (`round BC_THANG/79/2026-10`).
    pub target: String,
    /// The state before the write.
    pub before: Option<String>,
    /// The state after the write.
    pub after: Option<String>,
}

solieu_model::named! {
    /// What an account may do.
    pub enum Role ("role") {
        /// Everything, including accounts.
        Admin = "admin",
        /// All data; approves.
        Analyst = "analyst",
        /// Writes only inside its scopes.
        Reporter = "reporter",
        /// Reads.
        Viewer = "viewer",
    }
}

impl Role {
    /// Name in files and on the command line ([`Role::name`]).
    pub fn as_str(self) -> &'static str {
        self.name()
    }

    /// Parses [`Role::name`].
    pub fn parse(s: &str) -> Option<Role> {
        s.parse().ok()
    }
}

/// An account with its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Number.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Area codes a reporter may write (empty: none restricts by area).
    pub areas: Vec<String>,
    /// Indicator codes a reporter may write (empty: none restricts by indicator).
    pub indicators: Vec<String>,
    /// The argon2 PHC string of the password.
    pub password_hash: String,
}

/// See [`Store::fingerprint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// Number of the last import.
    pub last_import: i64,
    /// Its recording time.
    pub recorded_at: i64,
    /// Vintages stored.
    pub vintages: i64,
    /// Series stored.
    pub series: i64,
}

/// A series as stored: indicator × area version × measure × dimension codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRow {
    /// Store-assigned number, stable for the life of the store.
    pub id: i64,
    /// Indicator code.
    pub indicator: String,
    /// Area key.
    pub area: String,
    /// Measure.
    pub measure: Measure,
    /// Dimension codes (`NAME=code;…`).
    pub dims: String,
}

/// One vintage as read by [`Store::scan`]: compact, borrowed, for bulk loads.
#[derive(Debug, Clone, Copy)]
pub struct ScanRow<'a> {
    /// [`SeriesRow::id`].
    pub series: i64,
    /// [`Period::key`].
    pub period: i64,
    /// Recording time (µs since epoch).
    pub recorded_at: i64,
    /// Import number.
    pub import_id: i64,
    /// Value.
    pub value: f64,
    /// Status.
    pub status: solieu_model::Status,
    /// Source.
    pub source: &'a str,
    /// Note.
    pub note: &'a str,
}

/// Progress callback: called with the number of observations handled so far.
pub type Progress<'a> = &'a mut dyn FnMut(usize);

/// The store interface the rest of solieu is written against.
pub trait Store {
    /// The areas, successions and memberships.
    fn areas(&self) -> Result<AreaRegistry>;
    /// The indicator catalogue.
    fn indicators(&self) -> Result<Vec<Indicator>>;
    /// Adds or replaces indicator definitions, in one transaction.
    fn upsert_indicators(&mut self, indicators: &[Indicator], actor: &str) -> Result<usize>;
    /// The code lists of breakdowns: the built-in ones with the codes
    /// imported into this store added or replacing theirs.
    fn code_lists(&self) -> Result<solieu_model::CodeLists>;
    /// Adds or replaces codes (list, code), checked whole with the lists
    /// they join, and audited, in one transaction.
    fn upsert_codes(&mut self, rows: &[(String, solieu_model::Code)], actor: &str)
        -> Result<usize>;
    /// A department's own row labels mapped to the catalogue.
    fn label_mappings(&self) -> Result<Vec<solieu_model::labels::LabelMapping>>;
    /// Adds or replaces label mappings (by unit and label), audited, in one
    /// transaction; a mapping to an indicator the catalogue lacks is refused.
    fn upsert_label_mappings(
        &mut self,
        rows: &[solieu_model::labels::LabelMapping],
        actor: &str,
    ) -> Result<usize>;
    /// Writes a batch all or nothing: [`Store::commit_stream`] of its
    /// observations in chunks.
    fn commit_import(
        &mut self,
        batch: &ImportBatch,
        progress: Progress<'_>,
    ) -> Result<ImportSummary> {
        self.commit_import_then(batch, progress, &mut |_, _| Ok(()))
    }
    /// [`Store::commit_import`], then `then` in the same transaction.
    fn commit_import_then(
        &mut self,
        batch: &ImportBatch,
        progress: Progress<'_>,
        then: Then<'_>,
    ) -> Result<ImportSummary> {
        let mut chunks = batch.observations.chunks(50_000);
        self.commit_stream_then(
            batch,
            &mut || Ok(chunks.next().map(<[Observation]>::to_vec)),
            progress,
            then,
        )
    }
    /// Writes an import whose observations arrive in chunks (a file too
    /// large to hold), in one transaction: `next` returns the next chunk,
    /// `None` at the end, or an error that rolls everything back. The
    /// batch's `observations` are ignored.
    fn commit_stream(
        &mut self,
        meta: &ImportBatch,
        next: &mut dyn FnMut() -> std::result::Result<Option<Vec<Observation>>, String>,
        progress: Progress<'_>,
    ) -> Result<ImportSummary> {
        self.commit_stream_then(meta, next, progress, &mut |_, _| Ok(()))
    }
    /// [`Store::commit_stream`], then `then` in the same transaction: the
    /// workflow changes that belong to the import (its audit entries, the
    /// rounds it moves) are committed with it or, when `then` fails, not at
    /// all and neither is the import.
    fn commit_stream_then(
        &mut self,
        meta: &ImportBatch,
        next: &mut dyn FnMut() -> std::result::Result<Option<Vec<Observation>>, String>,
        progress: Progress<'_>,
        then: Then<'_>,
    ) -> Result<ImportSummary>;
    /// The latest vintage of each matching key, as of the query's time.
    fn observations(&self, q: &ObsQuery) -> Result<Vec<Vintage>>;
    /// Every vintage of the matching keys recorded up to the query's time,
    /// oldest first.
    fn history(&self, q: &ObsQuery) -> Result<Vec<Vintage>>;
    /// Calls `f` with each vintage [`Store::observations`] (or, with
    /// `history`, [`Store::history`]) would return, in the same order, one
    /// at a time: an export of any size holds one row, not the answer. One
    /// read statement, so one consistent snapshot. Stops at the first error
    /// of `f` and returns it. Returns the number of rows.
    fn each_observation(
        &self,
        q: &ObsQuery,
        history: bool,
        f: &mut dyn FnMut(Vintage) -> std::io::Result<()>,
    ) -> Result<usize>;
    /// Every series.
    fn series(&self) -> Result<Vec<SeriesRow>>;
    /// The imports numbered above `after`, oldest first, each with the
    /// vintages it wrote (an import that changed nothing comes with none):
    /// how a node catches up with writes made elsewhere (another node, the
    /// CLI) without reading the whole store again. `f` returns false to stop.
    /// One read statement, so one consistent snapshot.
    fn imports_since(
        &self,
        after: i64,
        f: &mut dyn FnMut(ImportSummary, Vec<Observation>) -> bool,
    ) -> Result<()>;
    /// Calls `f` with every vintage, ordered by series, period and
    /// recording time. Returns the number of the last import committed.
    fn scan(&self, f: &mut dyn FnMut(ScanRow<'_>)) -> Result<i64>;
    /// Adds an entry to the audit log.
    fn record_audit(&mut self, actor: &str, action: &str, detail: &str) -> Result<()>;
    /// The last import's number and recording time ((0, 0) for none):
    /// what a server compares with its engine several times a second, so
    /// it reads one index entry.
    fn last_import(&self) -> Result<(i64, i64)>;
    /// What identifies the store's content: the last import's number and
    /// recording time, and the number of vintages (imports are append-only,
    /// so equal fingerprints mean equal content). Cheap.
    fn fingerprint(&self) -> Result<Fingerprint>;
    /// Counts.
    fn stats(&self) -> Result<StoreStats>;
    /// The audit log, newest first.
    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>>;
    /// Checks the physical and logical integrity of the store.
    fn check(&self) -> Result<()>;
}

/// A whole store: the figures and the workflow, either backend.
pub trait Backend: Store + Workflow + Accounts + copy::Tables + Send {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// Where it is, for messages (never a password).
    fn location(&self) -> String;
    /// A second connection to the same store, for a long read that must not
    /// hold the first (a streamed export).
    fn reopen(&self) -> Result<Box<dyn Backend>>;
    /// The underlying store as the trait object the engine reads.
    fn as_store(&self) -> &dyn Store;
}

impl Backend for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }
    fn location(&self) -> String {
        self.path().display().to_string()
    }
    fn reopen(&self) -> Result<Box<dyn Backend>> {
        let dir = self.path().parent().unwrap_or(std::path::Path::new("."));
        Ok(Box::new(SqliteStore::open(dir)?))
    }
    fn as_store(&self) -> &dyn Store {
        self
    }
}

impl Backend for PgStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }
    fn location(&self) -> String {
        redact(self.url())
    }
    fn reopen(&self) -> Result<Box<dyn Backend>> {
        Ok(Box::new(PgStore::reconnect(self.url())?))
    }
    fn as_store(&self) -> &dyn Store {
        self
    }
}

/// Where a store is: a data directory, or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `solieu.db` in this directory.
    Dir(std::path::PathBuf),
    /// A `postgres://` (or `postgresql://`) address.
    Postgres(String),
}

impl Location {
    /// Follows the store's change feed, where it has one (PostgreSQL: the
    /// imports and catalogue changes of other nodes and processes), calling
    /// `on_change` once connected and after every burst of changes; blocks
    /// until the feed's connection closes. A directory has no feed: false at
    /// once (its readers compare the last import instead).
    pub fn follow_changes(&self, on_change: &mut dyn FnMut()) -> Result<bool> {
        match self {
            Location::Dir(_) => Ok(false),
            Location::Postgres(url) => pg::follow_changes(url, on_change).map(|()| true),
        }
    }

    /// A `postgres://…` or `postgresql://…` address is a database; anything
    /// else a directory.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_string())
        } else {
            Location::Dir(s.into())
        }
    }

    /// Opens the existing store there.
    pub fn open(&self) -> Result<Box<dyn Backend>> {
        Ok(match self {
            Location::Dir(d) => Box::new(SqliteStore::open(d)?),
            Location::Postgres(u) => Box::new(PgStore::open(u)?),
        })
    }

    /// Another connection to the store there, already opened once by this
    /// process (its schema checked): for long reads beside the first.
    pub fn reconnect(&self) -> Result<Box<dyn Backend>> {
        Ok(match self {
            Location::Dir(d) => Box::new(SqliteStore::open(d)?),
            Location::Postgres(u) => Box::new(PgStore::reconnect(u)?),
        })
    }

    /// Opens the store there, creating it with the reference data and the
    /// built-in catalogue if there is none.
    pub fn create(&self) -> Result<Box<dyn Backend>> {
        Ok(match self {
            Location::Dir(d) => Box::new(SqliteStore::create(d)?),
            Location::Postgres(u) => Box::new(PgStore::create(u)?),
        })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(d) => write!(f, "{}", d.display()),
            Location::Postgres(u) => f.write_str(&redact(u)),
        }
    }
}

/// A database address without its password: `postgres://solieu:***@db/solieu`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(x) => x,
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// The statement of [`Store::imports_since`], the same in both dialects
/// (its one parameter written `{after}`). The bound is repeated on the
/// vintages so that a merge join reads the index from `after` on, not from
/// the first import (found by the national benchmark: 48 M index entries of
/// the bulk import read for every catch-up).
pub(crate) fn imports_since_sql(after: &str) -> String {
    format!(
        "SELECT i.id, i.recorded_at, i.rows, i.new_vintages, s.indicator, s.area_key, s.measure, s.dims, \
         v.period, v.value, v.status, v.source, v.note \
         FROM import i LEFT JOIN vintage v ON v.import_id = i.id AND v.import_id > {after} \
         LEFT JOIN series s ON s.id = v.series_id \
         WHERE i.id > {after} ORDER BY i.id"
    )
}

/// Groups the rows of [`imports_since_sql`] by import for
/// [`Store::imports_since`]: rows come as (import, recorded at, rows, new
/// vintages, and the vintage when there is one).
pub(crate) struct ImportGroups<'f> {
    current: Option<(ImportSummary, Vec<Observation>)>,
    f: &'f mut dyn FnMut(ImportSummary, Vec<Observation>) -> bool,
    stopped: bool,
}

/// A vintage's columns as read by [`imports_since_sql`].
pub(crate) struct SinceRow<'a> {
    pub indicator: String,
    pub area: String,
    pub measure: &'a str,
    pub dims: String,
    pub period: i64,
    pub value: f64,
    pub status: &'a str,
    pub source: String,
    pub note: String,
}

impl<'f> ImportGroups<'f> {
    pub(crate) fn new(f: &'f mut dyn FnMut(ImportSummary, Vec<Observation>) -> bool) -> Self {
        ImportGroups {
            current: None,
            f,
            stopped: false,
        }
    }

    /// Takes one row; false once `f` asked to stop.
    pub(crate) fn row(
        &mut self,
        id: i64,
        recorded_at: i64,
        rows: i64,
        new_vintages: i64,
        v: Option<SinceRow<'_>>,
    ) -> Result<bool> {
        if self.current.as_ref().is_some_and(|c| c.0.import_id != id) {
            self.flush();
        }
        if self.stopped {
            return Ok(false);
        }
        let cur = self.current.get_or_insert_with(|| {
            (
                ImportSummary {
                    import_id: id,
                    rows: rows as usize,
                    new_vintages: new_vintages as usize,
                    revisions: 0,
                    recorded_at,
                },
                vec![],
            )
        });
        if let Some(v) = v {
            let corrupt = |w: &str, x: &str| StoreError::Corrupt(format!("{w} '{x}'"));
            cur.1.push(Observation {
                indicator: v.indicator,
                area: v.area,
                period: Period::from_key(v.period)
                    .ok_or_else(|| corrupt("period key", &v.period.to_string()))?,
                measure: Measure::parse(v.measure).ok_or_else(|| corrupt("measure", v.measure))?,
                dims: v.dims,
                value: v.value,
                status: Status::parse(v.status).ok_or_else(|| corrupt("status", v.status))?,
                source: v.source,
                note: v.note,
            });
        }
        Ok(true)
    }

    fn flush(&mut self) {
        if let Some((s, obs)) = self.current.take() {
            if !self.stopped && !(self.f)(s, obs) {
                self.stopped = true;
            }
        }
    }

    /// Hands over the last import.
    pub(crate) fn finish(mut self) {
        self.flush();
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

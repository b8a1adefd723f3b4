//! The PostgreSQL store, for server deployments: the same tables, the same
//! append-only vintages, as-of reads and all-or-nothing imports as
//! [`crate::SqliteStore`], through the `postgres` crate (the blocking face of
//! `tokio-postgres`). Imports go through binary `COPY` in one transaction,
//! one import at a time (`LOCK TABLE import IN EXCLUSIVE MODE`, as SQLite's
//! `BEGIN IMMEDIATE`). A closed connection (the server restarted) is
//! reopened by the next call.
//!
//! The driver runs its own small runtime; called from a worker of the
//! server's multi-threaded tokio runtime, every call steps aside with
//! `block_in_place` first, so the store is used like the SQLite one.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use chrono::NaiveDate;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, NoTls, Row, Transaction};
use solieu_model::observation::{self as vintage_rule, Decision};
use solieu_model::{
    reference, Area, AreaRegistry, Indicator, IndicatorFields, Level, Measure, Membership,
    Observation, Period, Status, Succession, SuccessionKind, Vintage,
};

use crate::{
    AuditEntry, Fingerprint, ImportBatch, ImportSummary, ObsQuery, Progress, Result, ScanRow,
    SeriesRow, Store, StoreError, StoreStats,
};

/// The channel on which every import is announced (`NOTIFY solieu_changes`,
/// payload: the import number); the `import` table is the change log a node
/// catches up from.
pub const CHANGES_CHANNEL: &str = "solieu_changes";

/// The PostgreSQL store.
pub struct PgStore {
    /// `None` only while being replaced or dropped
    client: Mutex<Option<Client>>,
    url: String,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // closing the connection blocks on the driver's runtime: step aside
        // first when dropped on a worker of the server's runtime
        if let Some(c) = self.client.get_mut().ok().and_then(Option::take) {
            blocking(move || drop(c));
        }
    }
}

/// Runs blocking database work: on a worker of a multi-threaded tokio
/// runtime it first tells the runtime (`block_in_place`), since the driver
/// blocks on a runtime of its own; elsewhere it just runs.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Follows the change feed of the PostgreSQL store at `url` (`LISTEN` on
/// [`crate::CHANGES_CHANNEL`]): calls `on_change` once connected (to catch
/// up with what happened while not listening) and then once per burst of
/// notifications; returns when the connection closes, or with the error
/// that closed it. Blocks: run it on a thread of its own.
pub fn follow_changes(url: &str, on_change: &mut dyn FnMut()) -> Result<()> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut c = connect(url)?;
    c.batch_execute(&format!("LISTEN {}", crate::CHANGES_CHANNEL))?;
    on_change();
    loop {
        let wait = std::time::Duration::from_secs(30);
        let first = c.notifications().timeout_iter(wait).next()?;
        if first.is_some() {
            // one call for a burst: the rest are taken without waiting
            while c.notifications().iter().next()?.is_some() {}
            on_change();
        } else if c.is_closed() {
            return Ok(());
        }
    }
}

/// Opens a connection; the URL's password is never part of an error.
pub(crate) fn connect(url: &str) -> Result<Client> {
    let config: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Schema(format!("database address: {e}")))?;
    let mut config = config;
    if config.get_application_name().is_none() {
        config.application_name("solieu");
    }
    config.connect_timeout(std::time::Duration::from_secs(10));
    blocking(|| {
        let mut c = config.connect(NoTls)?;
        // solieu's statements are short or plain scans: compiling them costs
        // more than it saves (100 ms on a catch-up of one row, measured)
        c.batch_execute("SET jit = off")?;
        Ok::<Client, postgres::Error>(c)
    })
    .map_err(StoreError::from)
}

fn corrupt(what: &str, v: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} '{v}'"))
}

fn opt_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.filter(|s| !s.is_empty())
        .map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| corrupt("date", &s)))
        .transpose()
}

pub(crate) fn audit<C: GenericClient>(
    c: &mut C,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<()> {
    c.execute(
        "INSERT INTO audit (at, actor, action, detail) VALUES ($1, $2, $3, $4)",
        &[&crate::now_micros(), &actor, &action, &detail],
    )?;
    Ok(())
}

impl PgStore {
    /// Connects to an existing solieu database (migrating its schema if this
    /// solieu is newer); refuses one with no solieu schema.
    pub fn open(url: &str) -> Result<PgStore> {
        let mut store = Self::connect_and_migrate(url)?;
        let n: i64 = store.with(|c| Ok(c.query_one("SELECT count(*) FROM area", &[])?.get(0)))?;
        if n == 0 {
            return Err(StoreError::Schema(
                "no solieu store in this database: run `solieu init` (or `solieu demo`) with --database first".into(),
            ));
        }
        store.url = url.to_string();
        Ok(store)
    }

    /// Connects, creating the schema with the reference data and the built-in
    /// catalogue if the database has none. Idempotent.
    pub fn create(url: &str) -> Result<PgStore> {
        Self::create_with(url, &reference::areas(), &reference::indicators())
    }

    /// Like [`PgStore::create`], with other reference data.
    pub fn create_with(
        url: &str,
        areas: &AreaRegistry,
        indicators: &[Indicator],
    ) -> Result<PgStore> {
        let mut store = Self::connect_and_migrate(url)?;
        store.load_reference(areas, indicators)?;
        Ok(store)
    }

    /// Connects and brings the schema up to date, nothing else: the target
    /// of `solieu migrate` and `restore`, which bring their own reference data.
    pub fn connect_and_migrate(url: &str) -> Result<PgStore> {
        let mut client = connect(url)?;
        blocking(|| crate::migrations::migrate_pg(&mut client))?;
        Ok(PgStore {
            client: Mutex::new(Some(client)),
            url: url.to_string(),
        })
    }

    /// Another connection to a store already opened (its schema checked):
    /// no migration look, no advisory lock — what a server takes for each
    /// streamed export.
    pub fn reconnect(url: &str) -> Result<PgStore> {
        Ok(PgStore {
            client: Mutex::new(Some(connect(url)?)),
            url: url.to_string(),
        })
    }

    /// The database address as given (with its password, if it had one).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `f` on the connection, reconnecting first if the server closed
    /// it (a restart): the call after a failure finds a live connection.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        blocking(|| {
            let mut guard = self.client()?;
            if guard.as_ref().is_none_or(Client::is_closed) {
                *guard = None;
                *guard = Some(connect(&self.url)?);
            }
            let c = guard
                .as_mut()
                .ok_or_else(|| StoreError::Unavailable("no connection".into()))?;
            f(c)
        })
    }

    fn client(&self) -> Result<MutexGuard<'_, Option<Client>>> {
        self.client
            .lock()
            .map_err(|_| StoreError::Corrupt("the connection's lock was poisoned".into()))
    }

    fn load_reference(&mut self, reg: &AreaRegistry, indicators: &[Indicator]) -> Result<()> {
        let loaded = self.with(|c| {
            let mut tx = c.transaction()?;
            // two nodes starting at once: one loads, the other waits and finds it done
            tx.execute("LOCK TABLE area IN EXCLUSIVE MODE", &[])?;
            let n: i64 = tx.query_one("SELECT count(*) FROM area", &[])?.get(0);
            if n > 0 {
                return Ok(true);
            }
            let ins = tx.prepare(
                "INSERT INTO area (key, code, level, name_vi, name_en, parent, valid_from, valid_to) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            )?;
            for a in reg.all() {
                tx.execute(
                    &ins,
                    &[
                        &a.key,
                        &a.code,
                        &a.level.as_str(),
                        &a.name_vi,
                        &a.name_en,
                        &a.parent,
                        &a.valid_from.map(|d| d.to_string()),
                        &a.valid_to.map(|d| d.to_string()),
                    ],
                )?;
            }
            let ins = tx.prepare(
                "INSERT INTO succession (date, kind, from_key, to_key, basis) VALUES ($1,$2,$3,$4,$5)",
            )?;
            for s in reg.successions() {
                tx.execute(
                    &ins,
                    &[&s.date.to_string(), &s.kind.as_str(), &s.from, &s.to, &s.basis],
                )?;
            }
            let ins = tx.prepare(
                "INSERT INTO membership (region_key, member_key, valid_from, valid_to) VALUES ($1,$2,$3,$4)",
            )?;
            for m in reg.memberships() {
                tx.execute(
                    &ins,
                    &[
                        &m.region,
                        &m.member,
                        &m.valid_from.map(|d| d.to_string()),
                        &m.valid_to.map(|d| d.to_string()),
                    ],
                )?;
            }
            audit(
                &mut tx,
                "system",
                "init",
                &format!("reference data: {} area versions", reg.all().len()),
            )?;
            tx.commit()?;
            Ok(false)
        })?;
        if !loaded {
            self.upsert_indicators(indicators, "system")?;
        }
        Ok(())
    }
}

/// The statement of `observations` (latest as of the query's time) or
/// `history` (every vintage); its parameters are [`vintage_params`].
fn vintage_sql(history: bool) -> String {
    let cond = "(cardinality($1::text[]) = 0 OR s.indicator = ANY($1)) \
         AND (cardinality($2::text[]) = 0 OR s.area_key = ANY($2)) \
         AND (cardinality($3::text[]) = 0 OR s.measure = ANY($3)) \
         AND (cardinality($4::bigint[]) = 0 OR v.period = ANY($4)) \
         AND v.recorded_at <= $5";
    if history {
        format!("{SELECT_VINTAGE} WHERE {cond} ORDER BY {ORDER_SERIES}, v.period, v.recorded_at")
    } else {
        format!(
            "{SELECT_VINTAGE} WHERE {cond} AND v.recorded_at = (SELECT max(w.recorded_at) FROM vintage w \
             WHERE w.series_id = v.series_id AND w.period = v.period AND w.recorded_at <= $5) \
             ORDER BY {ORDER_SERIES}, v.period"
        )
    }
}

// text sorts by code point, as in SQLite, whatever the database's collation
const ORDER_SERIES: &str =
    "s.indicator COLLATE \"C\", s.area_key COLLATE \"C\", s.measure COLLATE \"C\", s.dims COLLATE \"C\"";

const SELECT_VINTAGE: &str = "SELECT s.indicator, s.area_key, s.measure, s.dims, v.period, v.value, v.status, v.source, v.note, \
     v.recorded_at, v.submitter, v.import_id FROM vintage v JOIN series s ON s.id = v.series_id";

struct VintageParams {
    indicators: Vec<String>,
    areas: Vec<String>,
    measures: Vec<String>,
    periods: Vec<i64>,
    as_of: i64,
}

fn vintage_params(q: &ObsQuery) -> VintageParams {
    VintageParams {
        indicators: q.indicators.clone(),
        areas: q.areas.clone(),
        measures: q.measures.iter().map(|m| m.as_str().to_string()).collect(),
        periods: q.periods.iter().map(|p| p.key()).collect(),
        as_of: q.as_of.unwrap_or(i64::MAX),
    }
}

impl VintageParams {
    fn refs(&self) -> [&(dyn ToSql + Sync); 5] {
        [
            &self.indicators,
            &self.areas,
            &self.measures,
            &self.periods,
            &self.as_of,
        ]
    }
}

fn row_to_vintage(r: &Row) -> Result<Vintage> {
    let measure: &str = r.get(2);
    let status: &str = r.get(6);
    let period: i64 = r.get(4);
    Ok(Vintage {
        obs: Observation {
            indicator: r.get(0),
            area: r.get(1),
            period: Period::from_key(period).ok_or_else(|| corrupt("period key", period))?,
            measure: Measure::parse(measure).ok_or_else(|| corrupt("measure", measure))?,
            dims: r.get(3),
            value: r.get(5),
            status: Status::parse(status).ok_or_else(|| corrupt("status", status))?,
            source: r.get(7),
            note: r.get(8),
        },
        recorded_at: r.get(9),
        submitter: r.get(10),
        import_id: r.get(11),
    })
}

type SeriesKey = (String, String, Measure, String);

fn series_key(o: &Observation) -> SeriesKey {
    (
        o.indicator.clone(),
        o.area.clone(),
        o.measure,
        o.dims.clone(),
    )
}

/// The series of one import: ids by key (and whether the import created
/// them), and keys by id for its messages.
#[derive(Default)]
struct SeriesCache {
    ids: HashMap<SeriesKey, (i64, bool)>,
    keys: HashMap<i64, SeriesKey>,
}

impl SeriesCache {
    /// Finds or creates the series of a chunk's observations, a statement
    /// for all the chunk's new keys.
    fn resolve(&mut self, tx: &mut Transaction<'_>, chunk: &[Observation]) -> Result<()> {
        let mut wanted: Vec<SeriesKey> = vec![];
        let mut asked = HashSet::new();
        for o in chunk {
            let k = series_key(o);
            if !self.ids.contains_key(&k) && asked.insert(k.clone()) {
                wanted.push(k);
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let cols = |w: &[SeriesKey]| -> [Vec<String>; 4] {
            [
                w.iter().map(|k| k.0.clone()).collect(),
                w.iter().map(|k| k.1.clone()).collect(),
                w.iter().map(|k| k.2.as_str().to_string()).collect(),
                w.iter().map(|k| k.3.clone()).collect(),
            ]
        };
        let [i, a, m, d] = cols(&wanted);
        for r in tx.query(
            "SELECT s.id, s.indicator, s.area_key, s.measure, s.dims FROM series s \
             JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(i, a, m, d) \
             ON s.indicator = k.i AND s.area_key = k.a AND s.measure = k.m AND s.dims = k.d",
            &[&i, &a, &m, &d],
        )? {
            self.note(&r, false)?;
        }
        let fresh: Vec<SeriesKey> = wanted
            .into_iter()
            .filter(|k| !self.ids.contains_key(k))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let [i, a, m, d] = cols(&fresh);
        // WITH ORDINALITY: ids given in the order the keys first appear, as in SQLite
        for r in tx.query(
            "INSERT INTO series (indicator, area_key, measure, dims) \
             SELECT i, a, m, d FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) \
             WITH ORDINALITY AS k(i, a, m, d, n) ORDER BY n \
             RETURNING id, indicator, area_key, measure, dims",
            &[&i, &a, &m, &d],
        )? {
            self.note(&r, true)?;
        }
        Ok(())
    }

    fn note(&mut self, r: &Row, fresh: bool) -> Result<()> {
        let measure: &str = r.get(3);
        let key = (
            r.get(1),
            r.get(2),
            Measure::parse(measure).ok_or_else(|| corrupt("measure", measure))?,
            r.get(4),
        );
        let id: i64 = r.get(0);
        self.keys.insert(id, key.clone());
        self.ids.insert(key, (id, fresh));
        Ok(())
    }

    fn get(&self, o: &Observation) -> (i64, bool) {
        self.ids[&series_key(o)]
    }

    /// "EXPORTS 79 2020-10 level" of a stored key, for messages.
    fn name(&self, series: i64, period: i64) -> String {
        let p = Period::from_key(period).map_or(period.to_string(), |p| p.to_string());
        match self.keys.get(&series) {
            Some((i, a, m, _)) => format!("{i} {a} {p} {m}"),
            None => format!("series {series} {p}"),
        }
    }
}

struct Latest {
    recorded_at: i64,
    value: f64,
    status: String,
    source: String,
    note: String,
}

/// The latest stored vintage of each (series, period) of a chunk whose
/// series existed before the import, in one statement.
fn latest_of(tx: &mut Transaction<'_>, keys: &[(i64, i64)]) -> Result<HashMap<(i64, i64), Latest>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let s: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let p: Vec<i64> = keys.iter().map(|k| k.1).collect();
    let rows = tx.query(
        "SELECT DISTINCT ON (v.series_id, v.period) v.series_id, v.period, v.recorded_at, v.value, v.status, v.source, v.note \
         FROM vintage v JOIN unnest($1::bigint[], $2::bigint[]) AS k(s, p) ON v.series_id = k.s AND v.period = k.p \
         ORDER BY v.series_id, v.period, v.recorded_at DESC",
        &[&s, &p],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                (r.get(0), r.get(1)),
                Latest {
                    recorded_at: r.get(2),
                    value: r.get(3),
                    status: r.get(4),
                    source: r.get(5),
                    note: r.get(6),
                },
            )
        })
        .collect())
}

/// The SQLSTATE of a unique violation.
fn is_unique_violation(e: &postgres::Error) -> Option<String> {
    let db = e.as_db_error()?;
    (db.code() == &postgres::error::SqlState::UNIQUE_VIOLATION)
        .then(|| db.detail().unwrap_or("").to_string())
}

/// `(series_id, period, recorded_at)=(12, 24241, 17…)` from a unique violation's detail.
fn duplicate_key(detail: &str) -> Option<(i64, i64)> {
    let inside = detail.split(")=(").nth(1)?;
    let mut nums = inside.split([',', ')']).map(|s| s.trim().parse::<i64>());
    Some((nums.next()?.ok()?, nums.next()?.ok()?))
}

const VINTAGE_TYPES: [Type; 9] = [
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::FLOAT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
];

impl Store for PgStore {
    fn code_lists(&self) -> Result<solieu_model::CodeLists> {
        crate::codes::code_lists(self)
    }

    fn upsert_codes(
        &mut self,
        rows: &[(String, solieu_model::Code)],
        actor: &str,
    ) -> Result<usize> {
        crate::codes::upsert_codes(self, rows, actor)
    }

    fn label_mappings(&self) -> Result<Vec<solieu_model::labels::LabelMapping>> {
        crate::labels::label_mappings(self)
    }

    fn upsert_label_mappings(
        &mut self,
        rows: &[solieu_model::labels::LabelMapping],
        actor: &str,
    ) -> Result<usize> {
        crate::labels::upsert_label_mappings(self, rows, actor)
    }

    fn areas(&self) -> Result<AreaRegistry> {
        self.with(|c| {
            let mut tx = c.build_transaction().read_only(true).isolation_level(postgres::IsolationLevel::RepeatableRead).start()?;
            let mut areas = vec![];
            for r in tx.query(
                "SELECT key, code, level, name_vi, name_en, parent, valid_from, valid_to FROM area ORDER BY seq",
                &[],
            )? {
                let level: &str = r.get(2);
                areas.push(Area {
                    key: r.get(0),
                    code: r.get(1),
                    level: Level::parse(level).ok_or_else(|| corrupt("level", level))?,
                    name_vi: r.get(3),
                    name_en: r.get(4),
                    parent: r.get(5),
                    valid_from: opt_date(r.get(6))?,
                    valid_to: opt_date(r.get(7))?,
                });
            }
            let mut successions = vec![];
            for r in tx.query(
                "SELECT date, kind, from_key, to_key, basis FROM succession ORDER BY seq",
                &[],
            )? {
                let kind: &str = r.get(1);
                successions.push(Succession {
                    date: opt_date(r.get(0))?
                        .ok_or_else(|| StoreError::Corrupt("succession without date".into()))?,
                    kind: SuccessionKind::parse(kind).ok_or_else(|| corrupt("kind", kind))?,
                    from: r.get(2),
                    to: r.get(3),
                    basis: r.get(4),
                });
            }
            let mut memberships = vec![];
            for r in tx.query(
                "SELECT region_key, member_key, valid_from, valid_to FROM membership ORDER BY seq",
                &[],
            )? {
                memberships.push(Membership {
                    region: r.get(0),
                    member: r.get(1),
                    valid_from: opt_date(r.get(2))?,
                    valid_to: opt_date(r.get(3))?,
                });
            }
            tx.commit()?;
            Ok(AreaRegistry::new(areas, successions, memberships))
        })
    }

    fn indicators(&self) -> Result<Vec<Indicator>> {
        self.with(|c| {
            c.query(
                "SELECT code, name_vi, name_en, unit, time_aggregation, area_aggregation, decimals::text, scope_note, reporting_unit, dimensions, formula, estimate \
                 FROM indicator ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| {
                let cols: [&str; 12] = std::array::from_fn(|i| r.get(i));
                Indicator::parse(&IndicatorFields::from_columns(&cols))
                    .map_err(|e| StoreError::Corrupt(format!("indicator {}: {e}", cols[0])))
            })
            .collect()
        })
    }

    fn upsert_indicators(&mut self, indicators: &[Indicator], actor: &str) -> Result<usize> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("LOCK TABLE indicator IN EXCLUSIVE MODE", &[])?;
            let existing: HashMap<String, String> = tx
                .query("SELECT code, unit FROM indicator", &[])?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let st = tx.prepare(
                "INSERT INTO indicator (code, name_vi, name_en, unit, time_aggregation, area_aggregation, decimals, scope_note, reporting_unit, dimensions, formula, estimate) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (code) DO UPDATE SET name_vi=excluded.name_vi, name_en=excluded.name_en, \
                 unit=excluded.unit, time_aggregation=excluded.time_aggregation, area_aggregation=excluded.area_aggregation, \
                 decimals=excluded.decimals, scope_note=excluded.scope_note, reporting_unit=excluded.reporting_unit, dimensions=excluded.dimensions, formula=excluded.formula, estimate=excluded.estimate",
            )?;
            for i in indicators {
                if let Some(old_unit) = existing.get(&i.code) {
                    let used: bool = tx
                        .query_one(
                            "SELECT EXISTS (SELECT 1 FROM series WHERE indicator = $1)",
                            &[&i.code],
                        )?
                        .get(0);
                    if used && *old_unit != i.unit.label {
                        return Err(StoreError::Refused(format!(
                            "indicator {} has observations in '{old_unit}'; its unit cannot change to '{}'",
                            i.code, i.unit.label
                        )));
                    }
                }
                tx.execute(
                    &st,
                    &[
                        &i.code,
                        &i.name_vi,
                        &i.name_en,
                        &i.unit.label,
                        &i.time_aggregation.as_str(),
                        &i.area_aggregation.to_string(),
                        &i64::from(i.decimals),
                        &i.scope_note,
                        &i.reporting_unit,
                        &i.dimensions_text(),
                        &i.formula,
                        &i.estimate.as_str(),
                    ],
                )?;
            }
            audit(
                &mut tx,
                actor,
                "catalog.upsert",
                &format!("{} indicators", indicators.len()),
            )?;
            tx.execute(&format!("NOTIFY {CHANGES_CHANNEL}, 'catalog'"), &[])?;
            tx.commit()?;
            Ok(indicators.len())
        })
    }

    fn commit_stream_then(
        &mut self,
        meta: &ImportBatch,
        next: &mut dyn FnMut() -> std::result::Result<Option<Vec<Observation>>, String>,
        progress: Progress<'_>,
        then: crate::Then<'_>,
    ) -> Result<ImportSummary> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            // one import at a time; readers go on
            tx.execute("LOCK TABLE import IN EXCLUSIVE MODE", &[])?;
            let last: Option<i64> = tx
                .query_one("SELECT max(recorded_at) FROM import", &[])?
                .get(0);
            let recorded_at = match meta.recorded_at {
                Some(t) => t,
                None => crate::now_micros().max(last.map_or(i64::MIN, |l| l + 1)),
            };
            let import_id: i64 = tx
                .query_one(
                    "INSERT INTO import (recorded_at, submitter, origin, sha256, rows, new_vintages) \
                     VALUES ($1,$2,$3,$4,0,0) RETURNING id",
                    &[&recorded_at, &meta.submitter, &meta.origin, &meta.sha256],
                )?
                .get(0);
            let (mut rows, mut new_vintages, mut revisions) = (0usize, 0usize, 0usize);
            let mut series = SeriesCache::default();
            while let Some(chunk) = next().map_err(StoreError::Refused)? {
                series.resolve(&mut tx, &chunk)?;
                let old: Vec<(i64, i64)> = chunk
                    .iter()
                    .filter_map(|o| {
                        let (sid, fresh) = series.get(o);
                        (!fresh).then(|| (sid, o.period.key()))
                    })
                    .collect();
                let latest = latest_of(&mut tx, &old)?;
                let mut seen = HashSet::with_capacity(chunk.len());
                let mut write: Vec<(i64, i64, &Observation)> = Vec::with_capacity(chunk.len());
                for o in &chunk {
                    let (sid, _) = series.get(o);
                    let period = o.period.key();
                    if !seen.insert((sid, period)) {
                        return Err(StoreError::Refused(format!(
                            "{} {} {} {}: given twice in the import",
                            o.indicator, o.area, o.period, o.measure
                        )));
                    }
                    let prev = latest.get(&(sid, period)).map(|p| vintage_rule::Latest {
                        recorded_at: p.recorded_at,
                        same: o.same_as(p.value, &p.status, &p.source, &p.note),
                    });
                    match vintage_rule::decide(prev, o, Some(recorded_at))
                        .map_err(StoreError::Refused)?
                    {
                        Decision::Unchanged => continue, // no new vintage
                        Decision::Revision => revisions += 1,
                        Decision::First => {}
                    }
                    write.push((sid, period, o));
                }
                if !write.is_empty() {
                    let sink = tx.copy_in(
                        "COPY vintage (series_id, period, recorded_at, value, status, source, note, submitter, import_id) FROM STDIN BINARY",
                    )?;
                    let mut w = BinaryCopyInWriter::new(sink, &VINTAGE_TYPES);
                    let copied = write
                        .iter()
                        .try_for_each(|(sid, period, o)| {
                            w.write(&[
                                sid,
                                period,
                                &recorded_at,
                                &o.value,
                                &o.status.code(),
                                &o.source,
                                &o.note,
                                &meta.submitter,
                                &import_id,
                            ])
                        })
                        .and_then(|()| w.finish().map(|_| ()));
                    if let Err(e) = copied {
                        // a key of an earlier chunk given again
                        return Err(match is_unique_violation(&e) {
                            Some(detail) => {
                                let name = duplicate_key(&detail)
                                    .map_or(detail.clone(), |(s, p)| series.name(s, p));
                                StoreError::Refused(format!("{name}: given twice in the import"))
                            }
                            None => e.into(),
                        });
                    }
                }
                new_vintages += write.len();
                rows += chunk.len();
                progress(rows);
            }
            tx.execute(
                "UPDATE import SET new_vintages = $1, rows = $2 WHERE id = $3",
                &[&(new_vintages as i64), &(rows as i64), &import_id],
            )?;
            audit(
                &mut tx,
                &meta.submitter,
                "import",
                &format!(
                    "import {import_id} from {}: {rows} rows, {new_vintages} new vintages ({revisions} revisions)",
                    meta.origin,
                ),
            )?;
            let summary = ImportSummary {
                import_id,
                rows,
                new_vintages,
                revisions,
                recorded_at,
            };
            then(
                &summary,
                &mut crate::workflow_db::InTx(&mut crate::sql::Pg(&mut tx)),
            )?;
            tx.execute(&format!("NOTIFY {CHANGES_CHANNEL}, '{import_id}'"), &[])?;
            tx.commit()?;
            Ok(summary)
        })
    }

    fn observations(&self, q: &ObsQuery) -> Result<Vec<Vintage>> {
        let p = vintage_params(q);
        self.with(|c| {
            c.query(&vintage_sql(false), &p.refs())?
                .iter()
                .map(row_to_vintage)
                .collect()
        })
    }

    fn history(&self, q: &ObsQuery) -> Result<Vec<Vintage>> {
        let p = vintage_params(q);
        self.with(|c| {
            c.query(&vintage_sql(true), &p.refs())?
                .iter()
                .map(row_to_vintage)
                .collect()
        })
    }

    fn each_observation(
        &self,
        q: &ObsQuery,
        history: bool,
        f: &mut dyn FnMut(Vintage) -> std::io::Result<()>,
    ) -> Result<usize> {
        let p = vintage_params(q);
        self.with(|c| {
            let mut rows = c.query_raw(&vintage_sql(history), p.refs())?;
            let mut n = 0;
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                f(row_to_vintage(&r)?)?;
                n += 1;
            }
            Ok(n)
        })
    }

    fn series(&self) -> Result<Vec<SeriesRow>> {
        self.with(|c| {
            c.query(
                "SELECT id, indicator, area_key, measure, dims FROM series ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| {
                let measure: &str = r.get(3);
                Ok(SeriesRow {
                    id: r.get(0),
                    indicator: r.get(1),
                    area: r.get(2),
                    measure: Measure::parse(measure).ok_or_else(|| corrupt("measure", measure))?,
                    dims: r.get(4),
                })
            })
            .collect()
        })
    }

    fn imports_since(
        &self,
        after: i64,
        f: &mut dyn FnMut(ImportSummary, Vec<Observation>) -> bool,
    ) -> Result<()> {
        self.with(|c| {
            let mut rows = c.query_raw(
                &crate::imports_since_sql("$1"),
                [&after as &(dyn ToSql + Sync)],
            )?;
            let mut groups = crate::ImportGroups::new(f);
            while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                let v = r
                    .get::<_, Option<String>>(4)
                    .map(|indicator| crate::SinceRow {
                        indicator,
                        area: r.get(5),
                        measure: r.get(6),
                        dims: r.get(7),
                        period: r.get(8),
                        value: r.get(9),
                        status: r.get(10),
                        source: r.get(11),
                        note: r.get(12),
                    });
                if !groups.row(r.get(0), r.get(1), r.get(2), r.get(3), v)? {
                    break;
                }
            }
            groups.finish();
            Ok(())
        })
    }

    fn scan(&self, f: &mut dyn FnMut(ScanRow<'_>)) -> Result<i64> {
        self.with(|c| {
            // one snapshot: the rows and the import number agree
            let mut tx = c
                .build_transaction()
                .read_only(true)
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()?;
            let last: i64 = tx
                .query_one("SELECT coalesce(max(id), 0) FROM import", &[])?
                .get(0);
            {
                let mut rows = tx.query_raw(
                    "SELECT series_id, period, recorded_at, import_id, value, status, source, note FROM vintage \
                     WHERE import_id <= $1 ORDER BY series_id, period, recorded_at",
                    [&last as &(dyn ToSql + Sync)],
                )?;
                while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)? {
                    let status: &str = r.get(5);
                    f(ScanRow {
                        series: r.get(0),
                        period: r.get(1),
                        recorded_at: r.get(2),
                        import_id: r.get(3),
                        value: r.get(4),
                        status: Status::parse(status).ok_or_else(|| corrupt("status", status))?,
                        source: r.get(6),
                        note: r.get(7),
                    });
                }
            }
            tx.commit()?;
            Ok(last)
        })
    }

    fn record_audit(&mut self, actor: &str, action: &str, detail: &str) -> Result<()> {
        self.with(|c| audit(c, actor, action, detail))
    }

    fn last_import(&self) -> Result<(i64, i64)> {
        self.with(|c| {
            Ok(c.query_opt(
                "SELECT id, recorded_at FROM import ORDER BY id DESC LIMIT 1",
                &[],
            )?
            .map_or((0, 0), |r| (r.get(0), r.get(1))))
        })
    }

    fn fingerprint(&self) -> Result<Fingerprint> {
        self.with(|c| {
            let mut tx = c
                .build_transaction()
                .read_only(true)
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()?;
            let (last_import, recorded_at) = tx
                .query_opt(
                    "SELECT id, recorded_at FROM import ORDER BY id DESC LIMIT 1",
                    &[],
                )?
                .map_or((0, 0), |r| (r.get(0), r.get(1)));
            let vintages: i64 = tx
                .query_one(
                    "SELECT coalesce(sum(new_vintages), 0)::bigint FROM import",
                    &[],
                )?
                .get(0);
            let series: i64 = tx
                .query_one("SELECT coalesce(max(id), 0) FROM series", &[])?
                .get(0);
            tx.commit()?;
            Ok(Fingerprint {
                last_import,
                recorded_at,
                vintages,
                series,
            })
        })
    }

    fn stats(&self) -> Result<StoreStats> {
        self.with(|c| {
            let r = c.query_one(
                "SELECT (SELECT count(*) FROM area), (SELECT count(*) FROM indicator), (SELECT count(*) FROM series), \
                 (SELECT count(*) FROM vintage), (SELECT count(*) FROM import)",
                &[],
            )?;
            let n = |i: usize| r.get::<_, i64>(i) as usize;
            Ok(StoreStats {
                areas: n(0),
                indicators: n(1),
                series: n(2),
                vintages: n(3),
                imports: n(4),
            })
        })
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        crate::sql::Db::read(self, |c| crate::workflow_db::recent_audit(c, limit))
    }

    fn check(&self) -> Result<()> {
        // the physical side (pages, foreign keys) is PostgreSQL's; the
        // logical one is ours: every import's recorded count matches its vintages
        self.with(|c| {
            let bad = c.query_opt(
                "SELECT i.id FROM import i LEFT JOIN (SELECT import_id, count(*) AS n FROM vintage GROUP BY import_id) v \
                 ON v.import_id = i.id WHERE i.new_vintages <> coalesce(v.n, 0) LIMIT 1",
                &[],
            )?;
            if let Some(r) = bad {
                return Err(StoreError::Corrupt(format!(
                    "import {} has a different number of vintages than recorded",
                    r.get::<_, i64>(0)
                )));
            }
            // what SQLite's foreign keys enforce on vintages, looked for here
            let orphan = c.query_opt(
                "SELECT v.series_id, v.import_id FROM vintage v \
                 WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.id = v.series_id) \
                    OR NOT EXISTS (SELECT 1 FROM import i WHERE i.id = v.import_id) LIMIT 1",
                &[],
            )?;
            if let Some(r) = orphan {
                return Err(StoreError::Corrupt(format!(
                    "a vintage of series {} from import {} has no such series or import",
                    r.get::<_, i64>(0),
                    r.get::<_, i64>(1)
                )));
            }
            Ok(())
        })
    }
}

/// A cell as a parameter of its column's type.
fn cell_param(c: &crate::copy::Cell, kind: crate::copy::Kind) -> Box<dyn ToSql + Sync> {
    use crate::copy::{Cell, Kind};
    match (c, kind) {
        (Cell::Int(v), Kind::Int) => Box::new(Some(*v)),
        (Cell::Int(v), Kind::Real) => Box::new(Some(*v as f64)),
        (Cell::Real(v), _) => Box::new(Some(*v)),
        (Cell::Text(v), _) => Box::new(Some(v.clone())),
        (Cell::Int(v), Kind::Text) => Box::new(Some(v.to_string())),
        (Cell::Null, Kind::Int) => Box::new(None::<i64>),
        (Cell::Null, Kind::Real) => Box::new(None::<f64>),
        (Cell::Null, Kind::Text) => Box::new(None::<String>),
    }
}

fn pg_type(kind: crate::copy::Kind) -> Type {
    match kind {
        crate::copy::Kind::Int => Type::INT8,
        crate::copy::Kind::Real => Type::FLOAT8,
        crate::copy::Kind::Text => Type::TEXT,
    }
}

/// Writes buffered rows of one table through binary COPY.
fn copy_rows(
    tx: &mut Transaction<'_>,
    t: &crate::copy::Table,
    rows: &[Vec<crate::copy::Cell>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let types: Vec<Type> = t.columns.iter().map(|(_, k)| pg_type(*k)).collect();
    let sink = tx.copy_in(&format!(
        "COPY \"{}\" ({}) FROM STDIN BINARY",
        t.name,
        t.column_list()
    ))?;
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for row in rows {
        let params: Vec<Box<dyn ToSql + Sync>> = row
            .iter()
            .zip(t.columns)
            .map(|(c, (_, k))| cell_param(c, *k))
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| b.as_ref()).collect();
        w.write(&refs)?;
    }
    w.finish()?;
    Ok(())
}

/// Rows per COPY of a restore.
const COPY_ROWS: usize = 20_000;

impl crate::copy::Tables for PgStore {
    fn dump(&self, sink: crate::copy::RowSink<'_>) -> Result<()> {
        use crate::copy::{Cell, Kind, TABLES};
        self.with(|c| {
            let mut tx = c
                .build_transaction()
                .read_only(true)
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()?;
            for t in TABLES {
                let order = match (t.id, t.ordered) {
                    (Some(id), _) => format!(" ORDER BY \"{id}\""),
                    (None, true) => " ORDER BY seq".into(),
                    (None, false) => String::new(),
                };
                let sql = format!("SELECT {} FROM \"{}\"{order}", t.column_list(), t.name);
                let mut rows = tx.query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())?;
                let mut cells = Vec::with_capacity(t.columns.len());
                while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut rows)?
                {
                    cells.clear();
                    for (i, (_, kind)) in t.columns.iter().enumerate() {
                        cells.push(match kind {
                            Kind::Int => r.get::<_, Option<i64>>(i).map_or(Cell::Null, Cell::Int),
                            Kind::Real => r.get::<_, Option<f64>>(i).map_or(Cell::Null, Cell::Real),
                            Kind::Text => {
                                r.get::<_, Option<String>>(i).map_or(Cell::Null, Cell::Text)
                            }
                        });
                    }
                    sink(t, &cells)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn load(
        &mut self,
        replace: bool,
        feed: &mut dyn FnMut(crate::copy::RowSink<'_>) -> Result<()>,
    ) -> Result<()> {
        use crate::copy::{Cell, Table, TABLES};
        self.with(|c| {
            let mut tx = c.transaction()?;
            if replace {
                // TRUNCATE, not DELETE: the append-only triggers are for rows
                let names: Vec<String> = TABLES.iter().map(|t| format!("\"{}\"", t.name)).collect();
                tx.batch_execute(&format!(
                    "TRUNCATE {} RESTART IDENTITY CASCADE",
                    names.join(", ")
                ))?;
            }
            let mut current: Option<&'static Table> = None;
            let mut buf: Vec<Vec<Cell>> = Vec::with_capacity(COPY_ROWS);
            feed(&mut |t, row| {
                if current.is_some_and(|c| c.name != t.name) || buf.len() == COPY_ROWS {
                    copy_rows(&mut tx, current.unwrap_or(t), &buf)?;
                    buf.clear();
                }
                current = Some(t);
                buf.push(row.to_vec());
                Ok(())
            })?;
            if let Some(t) = current {
                copy_rows(&mut tx, t, &buf)?;
            }
            // the counters continue after the copied numbers
            for t in TABLES {
                if let Some(id) = t.id {
                    tx.execute(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('\"{0}\"', '{id}'), \
                             (SELECT coalesce(max(\"{id}\"), 0) + 1 FROM \"{0}\"), false)",
                            t.name
                        ),
                        &[],
                    )?;
                }
            }
            tx.execute(&format!("NOTIFY {CHANGES_CHANNEL}, 'restore'"), &[])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn counts(&self) -> Result<Vec<(&'static str, i64)>> {
        self.with(|c| {
            let mut tx = c
                .build_transaction()
                .read_only(true)
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()?;
            let mut out = vec![];
            for t in crate::copy::TABLES {
                let n: i64 = tx
                    .query_one(&format!("SELECT count(*) FROM \"{}\"", t.name), &[])?
                    .get(0);
                out.push((t.name, n));
            }
            tx.commit()?;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_of_a_unique_violation_is_read_back() {
        let d =
            "Key (series_id, period, recorded_at)=(12, 24241, 1764000000000000) already exists.";
        assert_eq!(duplicate_key(d), Some((12, 24241)));
        assert_eq!(duplicate_key("nothing here"), None);
    }
}

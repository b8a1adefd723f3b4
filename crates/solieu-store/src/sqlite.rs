//! The embedded store: one SQLite file in the data directory, WAL mode,
//! `synchronous=FULL`, one transaction per import.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::{
    params, params_from_iter, Connection, OptionalExtension, ToSql, TransactionBehavior,
};
use solieu_model::observation::{self as vintage_rule, Decision};
use solieu_model::reference;
use solieu_model::{
    Area, AreaRegistry, Indicator, IndicatorFields, Level, Measure, Membership, Observation,
    Period, Status, Succession, SuccessionKind, Vintage,
};

use crate::{
    AuditEntry, Fingerprint, ImportBatch, ImportSummary, ObsQuery, Progress, Result, ScanRow,
    SeriesRow, Store, StoreError, StoreStats,
};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "solieu.db";

/// The embedded SQLite store.
pub struct SqliteStore {
    pub(crate) conn: Connection,
    path: PathBuf,
}

fn opt_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|e| StoreError::Corrupt(format!("date '{s}': {e}")))
        })
        .transpose()
}

impl SqliteStore {
    /// Opens an existing store in `dir`.
    pub fn open(dir: &Path) -> Result<SqliteStore> {
        let path = dir.join(DB_FILE);
        if !path.exists() {
            return Err(StoreError::Schema(format!(
                "no store in '{}': run `solieu init` (or `solieu demo`) first",
                dir.display()
            )));
        }
        Self::connect(path)
    }

    /// Opens the store in `dir`, creating it with the reference data and the
    /// built-in catalogue if it does not exist. Idempotent.
    pub fn create(dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(dir)?;
        let mut store = Self::connect(dir.join(DB_FILE))?;
        store.load_reference(&reference::areas(), &reference::indicators())?;
        Ok(store)
    }

    /// Like [`SqliteStore::create`], with other reference data: areas,
    /// successions, memberships and a catalogue (tests, benchmarks, a
    /// deployment with its own commune list).
    pub fn create_with(
        dir: &Path,
        areas: &AreaRegistry,
        indicators: &[Indicator],
    ) -> Result<SqliteStore> {
        std::fs::create_dir_all(dir)?;
        let mut store = Self::connect(dir.join(DB_FILE))?;
        store.load_reference(areas, indicators)?;
        Ok(store)
    }

    fn connect(path: PathBuf) -> Result<SqliteStore> {
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of page cache (the default is 2 MiB): the look-ups of an
        // import and the scans of the engine stay in memory
        conn.pragma_update(None, "cache_size", -65_536)?;
        crate::migrations::migrate(&mut conn)?;
        Ok(SqliteStore { conn, path })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load_reference(&mut self, reg: &AreaRegistry, indicators: &[Indicator]) -> Result<()> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM area", [], |r| r.get(0))?;
        if n > 0 {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut ins = tx.prepare(
                "INSERT INTO area (key, code, level, name_vi, name_en, parent, valid_from, valid_to) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            )?;
            for a in reg.all() {
                ins.execute(params![
                    a.key,
                    a.code,
                    a.level.as_str(),
                    a.name_vi,
                    a.name_en,
                    a.parent,
                    a.valid_from.map(|d| d.to_string()),
                    a.valid_to.map(|d| d.to_string())
                ])?;
            }
            let mut ins = tx.prepare("INSERT INTO succession (date, kind, from_key, to_key, basis) VALUES (?1,?2,?3,?4,?5)")?;
            for s in reg.successions() {
                ins.execute(params![
                    s.date.to_string(),
                    s.kind.as_str(),
                    s.from,
                    s.to,
                    s.basis
                ])?;
            }
            let mut ins =
                tx.prepare("INSERT INTO membership (region_key, member_key, valid_from, valid_to) VALUES (?1,?2,?3,?4)")?;
            for m in reg.memberships() {
                ins.execute(params![
                    m.region,
                    m.member,
                    m.valid_from.map(|d| d.to_string()),
                    m.valid_to.map(|d| d.to_string())
                ])?;
            }
            audit(
                &tx,
                "system",
                "init",
                &format!("reference data: {} area versions", reg.all().len()),
            )?;
        }
        tx.commit()?;
        self.upsert_indicators(indicators, "system")?;
        Ok(())
    }
}

fn audit(conn: &Connection, actor: &str, action: &str, detail: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO audit (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![crate::now_micros(), actor, action, detail],
    )?;
    Ok(())
}

/// The prepared statements and caches of one import.
struct Writer<'t> {
    find_series: rusqlite::Statement<'t>,
    add_series: rusqlite::Statement<'t>,
    latest: rusqlite::Statement<'t>,
    insert: rusqlite::Statement<'t>,
    insert_many: rusqlite::Statement<'t>,
    written: usize,
    series_ids: HashMap<(String, String, Measure, String), (i64, bool)>,
    /// the previous row's series: files are mostly sorted by series
    last: Option<(Observation, i64, bool)>,
}

/// Rows per multi-row INSERT.
const INSERT_ROWS: usize = 64;

fn insert_sql(rows: usize) -> String {
    let one = "(?,?,?,?,?,?,?,?,?)";
    format!(
        "INSERT INTO vintage (series_id, period, recorded_at, value, status, source, note, submitter, import_id) VALUES {}",
        vec![one; rows].join(",")
    )
}

impl Writer<'_> {
    /// Writes the pending rows; a key given twice refuses the import.
    fn flush(
        &mut self,
        chunk: &[Observation],
        pending: &mut Vec<(i64, i64, usize)>,
        recorded_at: i64,
        submitter: &str,
        import_id: i64,
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut args: Vec<&dyn ToSql> = Vec::with_capacity(pending.len() * 9);
        let codes: Vec<&'static str> = pending
            .iter()
            .map(|(_, _, i)| chunk[*i].status.code())
            .collect();
        for ((sid, period, i), code) in pending.iter().zip(&codes) {
            let o = &chunk[*i];
            args.extend_from_slice(&[
                sid as &dyn ToSql,
                period,
                &recorded_at,
                &o.value,
                code,
                &o.source,
                &o.note,
                &submitter,
                &import_id,
            ]);
        }
        let stmt = if pending.len() == INSERT_ROWS {
            &mut self.insert_many
        } else {
            &mut self.insert
        };
        let result = if pending.len() == INSERT_ROWS {
            stmt.execute(params_from_iter(args.iter())).map(|_| ())
        } else {
            args.chunks(9)
                .try_for_each(|row| stmt.execute(params_from_iter(row.iter())).map(|_| ()))
        };
        match result {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                // a key given twice: within the pending rows or in an earlier flush
                let mut seen = std::collections::HashSet::new();
                let mut twice = pending
                    .iter()
                    .find(|(sid, period, _)| !seen.insert((*sid, *period)))
                    .map(|(_, _, i)| *i);
                if twice.is_none() {
                    for (sid, period, i) in pending.iter() {
                        let at: Option<i64> = self
                            .latest
                            .query_row(params![sid, period], |r| r.get(0))
                            .optional()?;
                        if at == Some(recorded_at) {
                            twice = Some(*i);
                            break;
                        }
                    }
                }
                let o = &chunk[twice.unwrap_or(pending[0].2)];
                return Err(StoreError::Refused(format!(
                    "{} {} {} {}: given twice in the import",
                    o.indicator, o.area, o.period, o.measure
                )));
            }
            r => r?,
        }
        self.written += pending.len();
        pending.clear();
        Ok(())
    }

    /// The series id of an observation, and whether this import created it.
    fn series(&mut self, o: &Observation) -> Result<(i64, bool)> {
        if let Some((p, id, fresh)) = &self.last {
            if p.indicator == o.indicator
                && p.area == o.area
                && p.measure == o.measure
                && p.dims == o.dims
            {
                return Ok((*id, *fresh));
            }
        }
        let skey = (
            o.indicator.clone(),
            o.area.clone(),
            o.measure,
            o.dims.clone(),
        );
        let (id, fresh) = match self.series_ids.get(&skey) {
            Some(v) => *v,
            None => {
                let args = params![o.indicator, o.area, o.measure.as_str(), o.dims];
                let v = match self.find_series.query_row(args, |r| r.get(0)).optional()? {
                    Some(id) => (id, false),
                    None => (self.add_series.insert(args)?, true),
                };
                self.series_ids.insert(skey, v);
                v
            }
        };
        let mut probe = o.clone();
        probe.source.clear();
        probe.note.clear();
        self.last = Some((probe, id, fresh));
        Ok((id, fresh))
    }
}

struct Latest {
    recorded_at: i64,
    value: f64,
    status: String,
    source: String,
    note: String,
}

fn where_clause(q: &ObsQuery, args: &mut Vec<Box<dyn ToSql>>) -> String {
    fn list<T: ToSql + Clone + 'static>(
        col: &str,
        vals: &[T],
        args: &mut Vec<Box<dyn ToSql>>,
    ) -> Option<String> {
        if vals.is_empty() {
            return None;
        }
        let marks: Vec<&str> = vals.iter().map(|_| "?").collect();
        args.extend(vals.iter().map(|v| Box::new(v.clone()) as Box<dyn ToSql>));
        Some(format!("{col} IN ({})", marks.join(",")))
    }
    let mut parts = vec![];
    parts.extend(list("s.indicator", &q.indicators, args));
    parts.extend(list("s.area_key", &q.areas, args));
    let measures: Vec<String> = q.measures.iter().map(|m| m.as_str().to_string()).collect();
    parts.extend(list("s.measure", &measures, args));
    let periods: Vec<i64> = q.periods.iter().map(|p| p.key()).collect();
    parts.extend(list("v.period", &periods, args));
    args.push(Box::new(q.as_of.unwrap_or(i64::MAX)));
    parts.push("v.recorded_at <= ?".into());
    parts.join(" AND ")
}

fn row_to_vintage(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Vintage, String, String, i64)> {
    let measure: String = r.get(2)?;
    let status: String = r.get(6)?;
    let period: i64 = r.get(4)?;
    Ok((
        Vintage {
            obs: Observation {
                indicator: r.get(0)?,
                area: r.get(1)?,
                period: Period::Year(0),
                measure: Measure::Level,
                dims: r.get(3)?,
                value: r.get(5)?,
                status: Status::Final,
                source: r.get(7)?,
                note: r.get(8)?,
            },
            recorded_at: r.get(9)?,
            submitter: r.get(10)?,
            import_id: r.get(11)?,
        },
        measure,
        status,
        period,
    ))
}

fn finish(rows: Vec<(Vintage, String, String, i64)>) -> Result<Vec<Vintage>> {
    rows.into_iter().map(finish_one).collect()
}

fn finish_one((mut v, measure, status, period): (Vintage, String, String, i64)) -> Result<Vintage> {
    v.obs.measure = Measure::parse(&measure)
        .ok_or_else(|| StoreError::Corrupt(format!("measure '{measure}'")))?;
    v.obs.status =
        Status::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("status '{status}'")))?;
    v.obs.period = Period::from_key(period)
        .ok_or_else(|| StoreError::Corrupt(format!("period key {period}")))?;
    Ok(v)
}

/// The statement of `observations` (latest as of the query's time) or
/// `history` (every vintage), with its arguments.
fn vintage_sql(q: &ObsQuery, history: bool) -> (String, Vec<Box<dyn ToSql>>) {
    let mut args: Vec<Box<dyn ToSql>> = vec![];
    let cond = where_clause(q, &mut args);
    if history {
        let sql = format!(
            "{SELECT_VINTAGE} WHERE {cond} ORDER BY s.indicator, s.area_key, s.measure, s.dims, v.period, v.recorded_at"
        );
        return (sql, args);
    }
    args.push(Box::new(q.as_of.unwrap_or(i64::MAX)));
    let sql = format!(
        "{SELECT_VINTAGE} WHERE {cond} AND v.recorded_at = (SELECT max(w.recorded_at) FROM vintage w \
         WHERE w.series_id = v.series_id AND w.period = v.period AND w.recorded_at <= ?) \
         ORDER BY s.indicator, s.area_key, s.measure, s.dims, v.period"
    );
    (sql, args)
}

const SELECT_VINTAGE: &str = "SELECT s.indicator, s.area_key, s.measure, s.dims, v.period, v.value, v.status, v.source, v.note, \
     v.recorded_at, v.submitter, v.import_id FROM vintage v JOIN series s ON s.id = v.series_id";

impl Store for SqliteStore {
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
        let mut areas = vec![];
        let mut st = self
            .conn
            .prepare("SELECT key, code, level, name_vi, name_en, parent, valid_from, valid_to FROM area ORDER BY rowid")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let level: String = r.get(2)?;
            areas.push(Area {
                key: r.get(0)?,
                code: r.get(1)?,
                level: Level::parse(&level)
                    .ok_or_else(|| StoreError::Corrupt(format!("level '{level}'")))?,
                name_vi: r.get(3)?,
                name_en: r.get(4)?,
                parent: r.get(5)?,
                valid_from: opt_date(r.get(6)?)?,
                valid_to: opt_date(r.get(7)?)?,
            });
        }
        let mut successions = vec![];
        let mut st = self
            .conn
            .prepare("SELECT date, kind, from_key, to_key, basis FROM succession ORDER BY rowid")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let kind: String = r.get(1)?;
            successions.push(Succession {
                date: opt_date(r.get(0)?)?
                    .ok_or_else(|| StoreError::Corrupt("succession without date".into()))?,
                kind: SuccessionKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("kind '{kind}'")))?,
                from: r.get(2)?,
                to: r.get(3)?,
                basis: r.get(4)?,
            });
        }
        let mut memberships = vec![];
        let mut st = self.conn.prepare(
            "SELECT region_key, member_key, valid_from, valid_to FROM membership ORDER BY rowid",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            memberships.push(Membership {
                region: r.get(0)?,
                member: r.get(1)?,
                valid_from: opt_date(r.get(2)?)?,
                valid_to: opt_date(r.get(3)?)?,
            });
        }
        Ok(AreaRegistry::new(areas, successions, memberships))
    }

    fn indicators(&self) -> Result<Vec<Indicator>> {
        let mut st = self.conn.prepare(
            "SELECT code, name_vi, name_en, unit, time_aggregation, area_aggregation, decimals, scope_note, reporting_unit, dimensions, formula, estimate \
             FROM indicator ORDER BY rowid",
        )?;
        let rows: Vec<[String; 12]> = st
            .query_map([], |r| {
                Ok([
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get::<_, i64>(6)?.to_string(),
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ])
            })?
            .collect::<std::result::Result<_, _>>()?;
        rows.iter()
            .map(|f| {
                let cols: [&str; 12] = std::array::from_fn(|i| f[i].as_str());
                Indicator::parse(&IndicatorFields::from_columns(&cols))
                    .map_err(|e| StoreError::Corrupt(format!("indicator {}: {e}", f[0])))
            })
            .collect()
    }

    fn upsert_indicators(&mut self, indicators: &[Indicator], actor: &str) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare(
                "INSERT INTO indicator (code, name_vi, name_en, unit, time_aggregation, area_aggregation, decimals, scope_note, reporting_unit, dimensions, formula, estimate) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12) ON CONFLICT(code) DO UPDATE SET name_vi=excluded.name_vi, name_en=excluded.name_en, \
                 unit=excluded.unit, time_aggregation=excluded.time_aggregation, area_aggregation=excluded.area_aggregation, \
                 decimals=excluded.decimals, scope_note=excluded.scope_note, reporting_unit=excluded.reporting_unit, dimensions=excluded.dimensions, formula=excluded.formula, estimate=excluded.estimate",
            )?;
            let existing: HashMap<String, String> = tx
                .prepare("SELECT code, unit FROM indicator")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<std::result::Result<_, _>>()?;
            for i in indicators {
                if let Some(old_unit) = existing.get(&i.code) {
                    let used: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM series WHERE indicator = ?1)",
                        [&i.code],
                        |r| r.get(0),
                    )?;
                    if used && *old_unit != i.unit.label {
                        return Err(StoreError::Refused(format!(
                            "indicator {} has observations in '{old_unit}'; its unit cannot change to '{}'",
                            i.code, i.unit.label
                        )));
                    }
                }
                st.execute(params![
                    i.code,
                    i.name_vi,
                    i.name_en,
                    i.unit.label,
                    i.time_aggregation.as_str(),
                    i.area_aggregation.to_string(),
                    i.decimals,
                    i.scope_note,
                    i.reporting_unit,
                    i.dimensions_text(),
                    i.formula,
                    i.estimate.as_str()
                ])?;
            }
            audit(
                &tx,
                actor,
                "catalog.upsert",
                &format!("{} indicators", indicators.len()),
            )?;
        }
        tx.commit()?;
        Ok(indicators.len())
    }

    fn commit_stream_then(
        &mut self,
        meta: &ImportBatch,
        next: &mut dyn FnMut() -> std::result::Result<Option<Vec<Observation>>, String>,
        progress: Progress<'_>,
        then: crate::Then<'_>,
    ) -> Result<ImportSummary> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<i64> =
            tx.query_row("SELECT max(recorded_at) FROM import", [], |r| r.get(0))?;
        let recorded_at = match meta.recorded_at {
            Some(t) => t,
            None => crate::now_micros().max(last.map_or(i64::MIN, |l| l + 1)),
        };
        tx.execute(
            "INSERT INTO import (recorded_at, submitter, origin, sha256, rows, new_vintages) VALUES (?1,?2,?3,?4,0,0)",
            params![recorded_at, meta.submitter, meta.origin, meta.sha256],
        )?;
        let import_id = tx.last_insert_rowid();
        let (mut rows, mut new_vintages, mut revisions) = (0usize, 0usize, 0usize);
        {
            let mut w = Writer {
                find_series: tx.prepare(
                    "SELECT id FROM series WHERE indicator=?1 AND area_key=?2 AND measure=?3 AND dims=?4",
                )?,
                add_series: tx.prepare(
                    "INSERT INTO series (indicator, area_key, measure, dims) VALUES (?1,?2,?3,?4)",
                )?,
                latest: tx.prepare(
                    "SELECT recorded_at, value, status, source, note FROM vintage WHERE series_id=?1 AND period=?2 \
                     ORDER BY recorded_at DESC LIMIT 1",
                )?,
                insert: tx.prepare(&insert_sql(1))?,
                insert_many: tx.prepare(&insert_sql(INSERT_ROWS))?,
                written: 0,
                series_ids: HashMap::new(),
                last: None,
            };
            // rows to insert: (series, period, index in the chunk), written
            // INSERT_ROWS at a time
            let mut pending: Vec<(i64, i64, usize)> = Vec::with_capacity(INSERT_ROWS);
            while let Some(chunk) = next().map_err(StoreError::Refused)? {
                for (n, o) in chunk.iter().enumerate() {
                    let (sid, fresh) = w.series(o)?;
                    let period = o.period.key();
                    // a series created by this import has no earlier vintage to compare with
                    let prev = if fresh {
                        None
                    } else {
                        w.latest
                            .query_row(params![sid, period], |r| {
                                Ok(Latest {
                                    recorded_at: r.get(0)?,
                                    value: r.get(1)?,
                                    status: r.get(2)?,
                                    source: r.get(3)?,
                                    note: r.get(4)?,
                                })
                            })
                            .optional()?
                    };
                    let latest = prev.as_ref().map(|p| vintage_rule::Latest {
                        recorded_at: p.recorded_at,
                        same: o.same_as(p.value, &p.status, &p.source, &p.note),
                    });
                    match vintage_rule::decide(latest, o, Some(recorded_at))
                        .map_err(StoreError::Refused)?
                    {
                        Decision::Unchanged => continue, // no new vintage
                        Decision::Revision => revisions += 1,
                        Decision::First => {}
                    }
                    pending.push((sid, period, n));
                    if pending.len() == INSERT_ROWS {
                        w.flush(
                            &chunk,
                            &mut pending,
                            recorded_at,
                            &meta.submitter,
                            import_id,
                        )?;
                    }
                }
                w.flush(
                    &chunk,
                    &mut pending,
                    recorded_at,
                    &meta.submitter,
                    import_id,
                )?;
                new_vintages = w.written;
                rows += chunk.len();
                progress(rows);
            }
        }
        tx.execute(
            "UPDATE import SET new_vintages=?1, rows=?2 WHERE id=?3",
            params![new_vintages as i64, rows as i64, import_id],
        )?;
        audit(
            &tx,
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
            &mut crate::workflow_db::InTx(&mut crate::sql::Lite(&tx)),
        )?;
        tx.commit()?;
        Ok(summary)
    }

    fn observations(&self, q: &ObsQuery) -> Result<Vec<Vintage>> {
        let (sql, args) = vintage_sql(q, false);
        let mut st = self.conn.prepare(&sql)?;
        let rows = st
            .query_map(params_from_iter(args.iter()), row_to_vintage)?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        finish(rows)
    }

    fn history(&self, q: &ObsQuery) -> Result<Vec<Vintage>> {
        let (sql, args) = vintage_sql(q, true);
        let mut st = self.conn.prepare(&sql)?;
        let rows = st
            .query_map(params_from_iter(args.iter()), row_to_vintage)?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        finish(rows)
    }

    fn each_observation(
        &self,
        q: &ObsQuery,
        history: bool,
        f: &mut dyn FnMut(Vintage) -> std::io::Result<()>,
    ) -> Result<usize> {
        let (sql, args) = vintage_sql(q, history);
        let mut st = self.conn.prepare(&sql)?;
        let mut n = 0;
        for row in st.query_map(params_from_iter(args.iter()), row_to_vintage)? {
            f(finish_one(row?)?)?;
            n += 1;
        }
        Ok(n)
    }

    fn series(&self) -> Result<Vec<SeriesRow>> {
        let mut st = self
            .conn
            .prepare("SELECT id, indicator, area_key, measure, dims FROM series ORDER BY id")?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, indicator, area, measure, dims)| {
                Ok(SeriesRow {
                    id,
                    indicator,
                    area,
                    measure: Measure::parse(&measure)
                        .ok_or_else(|| StoreError::Corrupt(format!("measure '{measure}'")))?,
                    dims,
                })
            })
            .collect()
    }

    fn imports_since(
        &self,
        after: i64,
        f: &mut dyn FnMut(ImportSummary, Vec<Observation>) -> bool,
    ) -> Result<()> {
        let mut st = self.conn.prepare(&crate::imports_since_sql("?1"))?;
        let mut rows = st.query([after])?;
        let mut groups = crate::ImportGroups::new(f);
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> Result<&str> {
                Ok(r.get_ref(i)?.as_str().map_err(rusqlite::Error::from)?)
            };
            let v = match r.get::<_, Option<String>>(4)? {
                None => None,
                Some(indicator) => Some(crate::SinceRow {
                    indicator,
                    area: r.get(5)?,
                    measure: text(6)?,
                    dims: r.get(7)?,
                    period: r.get(8)?,
                    value: r.get(9)?,
                    status: text(10)?,
                    source: r.get(11)?,
                    note: r.get(12)?,
                }),
            };
            if !groups.row(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, v)? {
                break;
            }
        }
        groups.finish();
        Ok(())
    }

    fn scan(&self, f: &mut dyn FnMut(ScanRow<'_>)) -> Result<i64> {
        // one read transaction: the rows and the import number agree
        let tx = self.conn.unchecked_transaction()?;
        let last: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM import", [], |r| r.get(0))?;
        {
            let mut st = tx.prepare(
                "SELECT series_id, period, recorded_at, import_id, value, status, source, note FROM vintage \
                 WHERE import_id <= ?1 ORDER BY series_id, period, recorded_at",
            )?;
            let mut rows = st.query([last])?;
            while let Some(r) = rows.next()? {
                let status = r.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?;
                let status = Status::parse(status)
                    .ok_or_else(|| StoreError::Corrupt(format!("status '{status}'")))?;
                f(ScanRow {
                    series: r.get(0)?,
                    period: r.get(1)?,
                    recorded_at: r.get(2)?,
                    import_id: r.get(3)?,
                    value: r.get(4)?,
                    status,
                    source: r.get_ref(6)?.as_str().map_err(rusqlite::Error::from)?,
                    note: r.get_ref(7)?.as_str().map_err(rusqlite::Error::from)?,
                });
            }
        }
        tx.finish()?;
        Ok(last)
    }

    fn record_audit(&mut self, actor: &str, action: &str, detail: &str) -> Result<()> {
        audit(&self.conn, actor, action, detail)
    }

    fn last_import(&self) -> Result<(i64, i64)> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, recorded_at FROM import ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0)))
    }

    fn fingerprint(&self) -> Result<Fingerprint> {
        let tx = self.conn.unchecked_transaction()?;
        let (last_import, recorded_at) = tx
            .query_row(
                "SELECT id, recorded_at FROM import ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0));
        let vintages: i64 = tx.query_row(
            "SELECT coalesce(sum(new_vintages), 0) FROM import",
            [],
            |r| r.get(0),
        )?;
        let series: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM series", [], |r| r.get(0))?;
        tx.finish()?;
        Ok(Fingerprint {
            last_import,
            recorded_at,
            vintages,
            series,
        })
    }

    fn stats(&self) -> Result<StoreStats> {
        let count = |t: &str| -> Result<usize> {
            let n: i64 = self
                .conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
            Ok(n as usize)
        };
        Ok(StoreStats {
            areas: count("area")?,
            indicators: count("indicator")?,
            series: count("series")?,
            vintages: count("vintage")?,
            imports: count("import")?,
        })
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        crate::sql::Db::read(self, |c| crate::workflow_db::recent_audit(c, limit))
    }

    fn check(&self) -> Result<()> {
        let res: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if res != "ok" {
            return Err(StoreError::Corrupt(format!("integrity_check: {res}")));
        }
        let fk: Option<String> = self
            .conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(t) = fk {
            return Err(StoreError::Corrupt(format!("foreign key violation in {t}")));
        }
        // every import's recorded count matches its vintages
        let bad: Option<i64> = self
            .conn
            .query_row(
                "SELECT i.id FROM import i WHERE i.new_vintages <> (SELECT count(*) FROM vintage v WHERE v.import_id = i.id) LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = bad {
            return Err(StoreError::Corrupt(format!(
                "import {id} has a different number of vintages than recorded"
            )));
        }
        Ok(())
    }
}

impl rusqlite::ToSql for crate::copy::Cell {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use crate::copy::Cell;
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Cell::Null => ToSqlOutput::Owned(Value::Null),
            Cell::Int(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            Cell::Real(f) => ToSqlOutput::Owned(Value::Real(*f)),
            Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

impl crate::copy::Tables for SqliteStore {
    fn dump(&self, sink: crate::copy::RowSink<'_>) -> Result<()> {
        use crate::copy::{Cell, TABLES};
        use rusqlite::types::ValueRef;
        // one read transaction: one snapshot of every table
        let tx = self.conn.unchecked_transaction()?;
        for t in TABLES {
            let order = match (t.id, t.ordered) {
                (Some(id), _) => format!(" ORDER BY \"{id}\""),
                (None, true) => " ORDER BY rowid".into(),
                (None, false) => String::new(),
            };
            let mut st = tx.prepare(&format!(
                "SELECT {} FROM \"{}\"{order}",
                t.column_list(),
                t.name
            ))?;
            let mut rows = st.query([])?;
            let mut cells = Vec::with_capacity(t.columns.len());
            while let Some(r) = rows.next()? {
                cells.clear();
                for i in 0..t.columns.len() {
                    cells.push(match r.get_ref(i)? {
                        ValueRef::Null => Cell::Null,
                        ValueRef::Integer(v) => Cell::Int(v),
                        ValueRef::Real(v) => Cell::Real(v),
                        ValueRef::Text(v) => Cell::Text(
                            std::str::from_utf8(v)
                                .map_err(|_| {
                                    StoreError::Corrupt(format!("{}: text not UTF-8", t.name))
                                })?
                                .to_string(),
                        ),
                        ValueRef::Blob(_) => {
                            return Err(StoreError::Corrupt(format!("{}: a blob", t.name)))
                        }
                    });
                }
                sink(t, &cells)?;
            }
        }
        tx.finish()?;
        Ok(())
    }

    fn load(
        &mut self,
        replace: bool,
        feed: &mut dyn FnMut(crate::copy::RowSink<'_>) -> Result<()>,
    ) -> Result<()> {
        if replace && !crate::copy::is_empty(self)? {
            // the append-only triggers forbid emptying a file store; a
            // replacement is a new file renamed over the old (see `solieu migrate`)
            return Err(StoreError::Refused(
                "an SQLite store is replaced by writing a new file, not by emptying it".into(),
            ));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        feed(&mut |t, row| {
            let marks = vec!["?"; t.columns.len()].join(",");
            tx.prepare_cached(&format!(
                "INSERT INTO \"{}\" ({}) VALUES ({marks})",
                t.name,
                t.column_list()
            ))?
            .execute(params_from_iter(row.iter()))?;
            Ok(())
        })?;
        // SQLite's counters follow the largest id by themselves
        tx.commit()?;
        Ok(())
    }

    fn counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let tx = self.conn.unchecked_transaction()?;
        let counts = crate::copy::TABLES
            .iter()
            .map(|t| {
                let n: i64 =
                    tx.query_row(&format!("SELECT count(*) FROM \"{}\"", t.name), [], |r| {
                        r.get(0)
                    })?;
                Ok((t.name, n))
            })
            .collect::<Result<_>>()?;
        tx.finish()?;
        Ok(counts)
    }
}

impl SqliteStore {
    /// Opens the store file at `path` (a backup), which must exist.
    pub fn open_file(path: &Path) -> Result<SqliteStore> {
        let not_a_store = |why: &str| {
            StoreError::Schema(format!(
                "'{}' is not a solieu store file{why}",
                path.display()
            ))
        };
        if !path.is_file() {
            return Err(not_a_store(""));
        }
        // looked at read-only first: another program's database is never given our tables
        let ours = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            })
            .map_err(|e| not_a_store(&format!(" ({e})")))?;
        if ours == 0 {
            return Err(not_a_store(" (no solieu schema in it)"));
        }
        Self::connect(path.to_path_buf()).map_err(|e| match e {
            StoreError::Db(e) => not_a_store(&format!(" ({e})")),
            e => e,
        })
    }

    /// A store file with the schema and nothing else: the target of a copy.
    pub fn blank_file(path: &Path) -> Result<SqliteStore> {
        Self::connect(path.to_path_buf())
    }
}

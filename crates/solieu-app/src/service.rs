//! Use cases: import files, read the catalogue, query, export. The CLI
//! calls these; the HTTP server will call the same functions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use solieu_ingest::{Catalog, Input, ReadOptions};
use solieu_model::indicator::CATALOG_COLUMNS;
use solieu_model::text::{fmt_value, inert};
use solieu_model::{AreaRegistry, Indicator, IndicatorFields, Period, Vintage};
use solieu_store::{Backend, ImportBatch, ImportSummary, Store};

use crate::error::Detail;
use crate::timefmt::format_micros;

/// Largest file accepted by an import.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The next period of the same kind.
pub fn next_period(p: Period) -> Period {
    match p {
        Period::Year(y) => Period::Year(y + 1),
        Period::Half(y, 2) => Period::Half(y + 1, 1),
        Period::Half(y, h) => Period::Half(y, h + 1),
        Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
        Period::Quarter(y, q) => Period::Quarter(y, q + 1),
        Period::Month(y, 12) => Period::Month(y + 1, 1),
        Period::Month(y, m) => Period::Month(y, m + 1),
        Period::Cumulative(y, 12) => Period::Cumulative(y + 1, 1),
        Period::Cumulative(y, m) => Period::Cumulative(y, m + 1),
        Period::Span(y, n) => Period::Span(y + i32::from(n), n),
    }
}

/// Periods as the CLI and the API take them: a list, each a period or a
/// range FROM..TO of periods of one kind.
pub fn parse_periods(list: &[String]) -> Result<Vec<Period>> {
    let mut out = vec![];
    for p in list {
        if let Some((a, b)) = p.split_once("..") {
            let (a, b) = (Period::parse(a)?, Period::parse(b)?);
            if a.frequency() != b.frequency() {
                bail!("range {p}: both ends must be periods of the same kind");
            }
            let mut cur = a;
            while cur <= b {
                out.push(cur);
                cur = next_period(cur);
                if out.len() > 100_000 {
                    bail!("range {p} is too long");
                }
            }
        } else {
            out.push(Period::parse(p)?);
        }
    }
    Ok(out)
}

/// What is wrong with an indicator's breakdowns: a code its list lacks.
fn breakdown_error(i: &Indicator, lists: &solieu_model::CodeLists) -> Option<String> {
    i.dimensions.iter().find_map(|d| {
        let list = lists.get(&d.name)?;
        let bad: Vec<&str> = d
            .codes
            .iter()
            .filter(|c| list.get(c).is_none())
            .map(String::as_str)
            .collect();
        (!bad.is_empty()).then(|| {
            format!(
                "{} not a code of list {} (see `solieu codelists {}`)",
                bad.join(", "),
                d.name,
                d.name
            )
        })
    })
}

/// A catalogue file read and checked: its indicators, and warnings (a
/// formula whose unit cannot be worked out).
pub struct CatalogFile {
    /// The indicators, in file order.
    pub indicators: Vec<Indicator>,
    /// What to check by hand, located.
    pub warnings: Vec<String>,
}

/// Reads an indicator catalogue CSV against the store's catalogue
/// (`existing`): the file's indicators replace those of the same code, and
/// every formula of the result is checked (inputs, breakdown codes, cycles,
/// units). Errors name file, row and column; nothing is returned with one.
pub fn parse_catalog(
    bytes: &[u8],
    file: &str,
    lists: &solieu_model::CodeLists,
    existing: &[Indicator],
) -> Result<CatalogFile, Vec<String>> {
    let (text, _) = solieu_ingest::legacy::decode_text_file(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![format!("{file}:1: not a CSV file: {e}")]),
    };
    let required = &CATALOG_COLUMNS[..7];
    let missing: Vec<&str> = required
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(vec![format!(
            "{file}:1:header: missing column(s) {}; expected {}",
            missing.join(", "),
            required.join(",")
        )]);
    }
    if let Some(h) = header
        .iter()
        .find(|h| !CATALOG_COLUMNS.contains(&h.as_str()))
    {
        return Err(vec![format!(
            "{file}:1:header: unknown column '{h}'; expected {}",
            CATALOG_COLUMNS.join(",")
        )]);
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let (mut out, mut errors) = (vec![], vec![]);
    let mut rows: std::collections::HashMap<String, usize> = Default::default();
    let mut seen = BTreeSet::new();
    for (n, rec) in rdr.records().enumerate() {
        let row = n + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{file}:{row}: unreadable row: {e}"));
                continue;
            }
        };
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("");
        let cols: [&str; 12] = CATALOG_COLUMNS.map(get);
        match Indicator::parse(&IndicatorFields::from_columns(&cols)) {
            Ok(i) if !seen.insert(i.code.clone()) => {
                errors.push(format!("{file}:{row}:code: {} is defined twice", i.code))
            }
            Ok(i) if solieu_model::indicator::alias(&i.code).is_some() => errors.push(format!(
                "{file}:{row}:code: {} is now {} broken down by {} (an old code kept as an alias); define it no more",
                i.code,
                solieu_model::indicator::alias(&i.code).map_or("", |a| a.0),
                solieu_model::indicator::alias(&i.code).map_or("", |a| a.1)
            )),
            Ok(i) if breakdown_error(&i, lists).is_some() => errors.push(format!(
                "{file}:{row}:dimensions: {} (value: '{}')",
                breakdown_error(&i, lists).unwrap_or_default(),
                get("dimensions")
            )),
            Ok(i) => {
                rows.insert(i.code.clone(), row);
                out.push(i)
            }
            Err(e) => errors.push(format!(
                "{file}:{row}:{}: {} (value: '{}')",
                e.field,
                e.message,
                get(e.field)
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // the catalogue as it would be: the store's, with the file's replacing
    let mut all: Vec<Indicator> = existing
        .iter()
        .filter(|i| !rows.contains_key(&i.code))
        .cloned()
        .collect();
    all.extend(out.iter().cloned());
    let checked = solieu_engine::formula::check_catalog(&all, lists);
    let locate = |code: &str| match rows.get(code) {
        Some(row) => format!("{file}:{row}:formula: {code}"),
        None => format!("{file}: indicator {code} of the store"),
    };
    let errors: Vec<String> = checked
        .errors
        .iter()
        .map(|(code, why)| format!("{}: {why}", locate(code)))
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CatalogFile {
        indicators: out,
        warnings: checked
            .warnings
            .iter()
            .map(|(code, why)| format!("{}: {why}", locate(code)))
            .collect(),
    })
}

/// Outcome of an import request.
pub enum ImportResult {
    /// Errors found (located where they have a place); nothing written.
    Rejected(Vec<Detail>),
    /// Dry run: valid.
    Checked {
        /// Observations that would be imported.
        rows: usize,
        /// Notes.
        notes: Vec<String>,
    },
    /// Written.
    Committed {
        /// What was written.
        summary: ImportSummary,
        /// Notes.
        notes: Vec<String>,
    },
}

/// CSV files (canonical or SDMX-CSV) larger than this are read and
/// committed in chunks (UTF-8 only).
pub const STREAM_FROM_BYTES: u64 = 256 << 20;

/// Rows per chunk of a streamed import.
pub const CHUNK_ROWS: usize = 100_000;

/// Imports one large CSV (canonical or SDMX-CSV) a chunk at a time, in one transaction:
/// memory stays bounded, and an error anywhere writes nothing. One thread
/// reads and validates the next chunk while the store writes the last.
pub fn import_csv_stream(
    store: &mut dyn Store,
    file: &Path,
    opts: &ReadOptions,
    submitter: &str,
    chunk_rows: usize,
    locks: &LockPolicy,
) -> Result<ImportResult> {
    use sha2::Digest;
    use std::sync::atomic::{AtomicU64, Ordering};
    type Chunk = std::result::Result<Option<Vec<solieu_model::Observation>>, Vec<Detail>>;
    let name = file.display().to_string();
    let mut f = std::fs::File::open(file).with_context(|| format!("{name}: cannot read"))?;
    let total = f.metadata()?.len();
    // the layout by the first bytes; an SDMX-ML message's figures are
    // recorded at its Prepared time
    let (layout, prepared) = {
        use std::io::{Read, Seek};
        let mut head = vec![0u8; 64 << 10];
        let n = f.read(&mut head)?;
        f.rewind()?;
        let layout = solieu_ingest::Layout::of(&head[..n]);
        let prepared = (layout == solieu_ingest::Layout::SdmxMl)
            .then(|| solieu_ingest::sdmx_ml::peek_header(&head[..n]))
            .flatten()
            .and_then(|h| h.prepared_micros());
        (layout, prepared)
    };
    let indicators = store.indicators()?;
    let areas = store.areas()?;
    let lists = store.code_lists()?;
    let cat = Catalog::new(&indicators, &areas, &lists);
    let read_bytes = AtomicU64::new(0);
    struct Counting<'a, R> {
        inner: R,
        hash: sha2::Sha256,
        bytes: &'a AtomicU64,
    }
    impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.hash.update(&buf[..n]);
            self.bytes.fetch_add(n as u64, Ordering::Relaxed);
            Ok(n)
        }
    }
    let meta = ImportBatch {
        observations: vec![],
        submitter: submitter.to_string(),
        origin: name.clone(),
        sha256: String::new(),
        recorded_at: prepared,
    };
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .expect("valid template"),
    );
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(2);
    let mut rejected: Vec<Detail> = vec![];
    let (result, sha) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut counting = Counting {
                inner: std::io::BufReader::with_capacity(1 << 20, f),
                hash: sha2::Sha256::new(),
                bytes: &read_bytes,
            };
            let chunks =
                solieu_ingest::CsvChunks::new(&mut counting, &name, &cat, opts, chunk_rows, layout);
            match chunks {
                Err(d) => {
                    let _ = tx.send(Err(d.iter().map(Detail::from).collect()));
                }
                Ok(mut chunks) => loop {
                    let next = chunks
                        .next_chunk()
                        .map_err(|d| d.iter().map(Detail::from).collect());
                    let end = !matches!(next, Ok(Some(_)));
                    // the writer stopped (an error): stop reading
                    if tx.send(next).is_err() || end {
                        break;
                    }
                },
            }
            drop(tx);
            counting
                .hash
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        let result = store.commit_stream_then(
            &meta,
            &mut || match rx.recv() {
                Ok(Ok(Some(c))) => {
                    let hits = locks.check(&name, &c);
                    if hits.is_empty() {
                        Ok(Some(c))
                    } else {
                        let n = hits.len();
                        rejected = hits.into_iter().map(Detail::text).collect();
                        Err(format!("{n} locked round(s) in {name}"))
                    }
                }
                Ok(Ok(None)) => Ok(None),
                Ok(Err(d)) => {
                    let n = d.len();
                    rejected = d;
                    Err(format!("{n} error(s) in {name}"))
                }
                Err(_) => Ok(None),
            },
            &mut |_| bar.set_position(read_bytes.load(Ordering::Relaxed)),
            &mut |summary, w| locks.audit_overrides(submitter, summary, w),
        );
        drop(rx);
        (result, reader.join().expect("the reader does not panic"))
    });
    bar.finish_and_clear();
    match result {
        Ok(summary) => Ok(ImportResult::Committed {
            summary,
            notes: vec![format!(
                "{name}: streamed in chunks of {chunk_rows} rows (sha256 {sha})"
            )],
        }),
        Err(_) if !rejected.is_empty() => Ok(ImportResult::Rejected(rejected)),
        Err(solieu_store::StoreError::Refused(m)) => {
            Ok(ImportResult::Rejected(vec![Detail::text(format!(
                "{name}: {m}"
            ))]))
        }
        Err(e) => Err(e.into()),
    }
}

/// What an import does with figures that fall in locked rounds.
#[derive(Debug, Default)]
pub struct LockPolicy {
    /// The locked rounds (none: nothing is locked, or no workflow).
    pub locks: crate::locks::Locks,
    /// Write them anyway (an admin's decision, audited by the caller).
    pub overridden: bool,
    /// The locked rounds written anyway, for the caller's audit entries.
    pub written: std::sync::Mutex<Vec<String>>,
}

impl LockPolicy {
    /// Audits every locked round written anyway, in the import's
    /// transaction (`then` of the commit): the override is recorded with the
    /// figures it let through, or neither is.
    pub fn audit_overrides(
        &self,
        submitter: &str,
        summary: &ImportSummary,
        w: &mut dyn solieu_store::InImport,
    ) -> solieu_store::Result<()> {
        let written = self.written.lock().map(|w| w.clone()).unwrap_or_default();
        for r in written {
            w.record(&solieu_store::AuditRecord {
                actor: solieu_store::Actor {
                    name: submitter,
                    origin: "cli --override-lock",
                },
                action: "round.locked_override",
                target: &format!("round {r}"),
                before: Some("locked"),
                after: Some("locked"),
                detail: &format!("import {} written into a locked round", summary.import_id),
            })?;
        }
        Ok(())
    }

    /// The refusals for these observations (empty: go ahead).
    pub fn check(&self, file: &str, obs: &[solieu_model::Observation]) -> Vec<String> {
        let hits = self.locks.hits(obs);
        if self.overridden {
            if let Ok(mut w) = self.written.lock() {
                for h in hits {
                    if !w.contains(&h) {
                        w.push(h);
                    }
                }
            }
            return vec![];
        }
        hits.into_iter()
            .map(|r| {
                format!(
                    "{file}: round {r} is locked; an admin may write there with --override-lock"
                )
            })
            .collect()
    }
}

/// The command line's import: files read and validated together, refused
/// where they fall in locked rounds unless `override_lock` (an admin's
/// decision: every locked round written is then audited), all or nothing.
pub fn import(
    store: &mut dyn Backend,
    files: &[PathBuf],
    opts: &ReadOptions,
    submitter: &str,
    dry_run: bool,
    override_lock: bool,
) -> Result<ImportResult> {
    let policy = LockPolicy {
        locks: crate::locks::Locks::load(&*store)?,
        overridden: override_lock,
        written: Default::default(),
    };
    import_files(store, files, opts, submitter, dry_run, &policy)
}

/// Reads, validates and (unless `dry_run`) commits files, all or nothing.
pub fn import_files(
    store: &mut dyn Store,
    files: &[PathBuf],
    opts: &ReadOptions,
    submitter: &str,
    dry_run: bool,
    locks: &LockPolicy,
) -> Result<ImportResult> {
    if let [f] = files {
        let meta = std::fs::metadata(f).with_context(|| format!("{}: cannot read", f.display()))?;
        let xlsx = f.extension().is_some_and(|e| {
            ["xlsx", "xls", "ods"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        });
        if meta.len() > STREAM_FROM_BYTES && !xlsx && !dry_run {
            return import_csv_stream(store, f, opts, submitter, CHUNK_ROWS, locks);
        }
    }
    let mut contents = vec![];
    for f in files {
        let meta = std::fs::metadata(f).with_context(|| format!("{}: cannot read", f.display()))?;
        if meta.len() > MAX_FILE_BYTES {
            return Ok(ImportResult::Rejected(vec![Detail::text(format!(
                "{}: {} bytes; expected at most {MAX_FILE_BYTES} bytes per file",
                f.display(),
                meta.len()
            ))]));
        }
        contents.push((
            f.display().to_string(),
            std::fs::read(f).with_context(|| format!("{}: cannot read", f.display()))?,
        ));
    }
    let read = match read_inputs(store, &contents, opts)? {
        Ok(r) => r,
        Err(errors) => return Ok(ImportResult::Rejected(errors)),
    };
    // the files, an SDMX message with its ID, sender and Prepared time
    let origin = contents
        .iter()
        .map(|(n, _)| {
            read.provenance
                .iter()
                .find(|p| p.starts_with(&format!("{n}: ")))
                .map_or(n.as_str(), String::as_str)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let hits = locks.check(&origin, &read.observations);
    if !hits.is_empty() {
        return Ok(ImportResult::Rejected(
            hits.into_iter().map(Detail::text).collect(),
        ));
    }
    if dry_run {
        return Ok(ImportResult::Checked {
            rows: read.observations.len(),
            notes: read.notes,
        });
    }
    let notes = read.notes.clone();
    let (summary, _) = commit_read(store, read, submitter, &origin, &mut |summary, w| {
        locks.audit_overrides(submitter, summary, w)
    })?;
    Ok(ImportResult::Committed { summary, notes })
}

/// Reads and validates named inputs (file name, bytes) against the store's
/// catalogue and areas: the observations, or every located error.
pub fn read_inputs(
    store: &dyn Store,
    contents: &[(String, Vec<u8>)],
    opts: &ReadOptions,
) -> Result<std::result::Result<solieu_ingest::ReadOutcome, Vec<Detail>>> {
    let inputs: Vec<Input<'_>> = contents
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let indicators = store.indicators()?;
    let areas = store.areas()?;
    let lists = store.code_lists()?;
    let mut cat = Catalog::new(&indicators, &areas, &lists);
    cat.labels = solieu_model::labels::Labels::new(&store.label_mappings()?);
    let read = match solieu_ingest::read_files(&inputs, &cat, opts) {
        Ok(r) => r,
        Err(diags) => return Ok(Err(diags.iter().map(Detail::from).collect())),
    };
    let overlaps = plan_overlaps(store, &read.observations)?;
    if !overlaps.is_empty() {
        return Ok(Err(overlaps.into_iter().map(Detail::text).collect()));
    }
    Ok(Ok(read))
}

/// Plans over spans of years that overlap another plan of the same
/// indicator, area and breakdown (in the batch or stored): a five-year plan
/// is one span, 2021/2025, not also 2023/2027. A plan for one year inside
/// a span is a yearly plan and is kept apart.
pub fn plan_overlaps(store: &dyn Store, obs: &[solieu_model::Observation]) -> Result<Vec<String>> {
    use solieu_model::Measure;
    type Key = (String, String, String, Measure);
    let is_plan = |m: Measure| matches!(m, Measure::Plan | Measure::PlanYoyPct);
    let mut spans: BTreeMap<Key, BTreeSet<Period>> = BTreeMap::new();
    for o in obs
        .iter()
        .filter(|o| is_plan(o.measure) && matches!(o.period, Period::Span(..)))
    {
        spans
            .entry((
                o.indicator.clone(),
                o.area.clone(),
                o.dims.clone(),
                o.measure,
            ))
            .or_default()
            .insert(o.period);
    }
    if spans.is_empty() {
        return Ok(vec![]);
    }
    let new: Vec<Key> = spans.keys().cloned().collect();
    for (ind, area, dims, m) in &new {
        let stored = store.observations(&solieu_store::ObsQuery {
            indicators: vec![ind.clone()],
            areas: vec![area.clone()],
            periods: vec![],
            measures: vec![*m],
            as_of: None,
        })?;
        for v in stored
            .iter()
            .filter(|v| v.obs.dims == *dims && matches!(v.obs.period, Period::Span(..)))
        {
            spans
                .entry((ind.clone(), area.clone(), dims.clone(), *m))
                .or_default()
                .insert(v.obs.period);
        }
    }
    let mut out = vec![];
    for ((ind, area, dims, m), set) in &spans {
        let list: Vec<&Period> = set.iter().collect();
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if a.first_year() <= b.year() && b.first_year() <= a.year() {
                    out.push(format!(
                        "{} of {ind}{} for {area}: the span {b} overlaps the plan for {a}; a plan covers one span of years (the five-year plan) or one year",
                        m.as_str(),
                        if dims.is_empty() { String::new() } else { format!("[{dims}]") },
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// Commits what [`read_inputs`] read, and `then` the workflow changes that
/// belong to it, in one transaction; returns the summary and the
/// observations (for the engine to apply).
pub fn commit_read(
    store: &mut dyn Store,
    read: solieu_ingest::ReadOutcome,
    submitter: &str,
    origin: &str,
    then: solieu_store::Then<'_>,
) -> Result<(ImportSummary, Vec<solieu_model::Observation>)> {
    let batch = ImportBatch {
        observations: read.observations,
        submitter: submitter.to_string(),
        origin: origin.to_string(),
        sha256: read.sha256,
        recorded_at: read.recorded_at,
    };
    let bar = (batch.observations.len() >= 50_000).then(|| {
        let b = indicatif::ProgressBar::new(batch.observations.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} observations ({per_sec}, {eta})",
            )
            .expect("valid template"),
        );
        b
    });
    let summary = store.commit_import_then(
        &batch,
        &mut |n| {
            if let Some(b) = &bar {
                b.set_position(n as u64);
            }
        },
        then,
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok((summary, batch.observations))
}

/// Parses stored-measure names (`value` is `level`); an unknown name is
/// refused with the list of every stored measure.
pub fn parse_measures(list: &[String]) -> Result<Vec<solieu_model::Measure>> {
    use solieu_model::Measure;
    list.iter()
        .map(|m| {
            let m = if m.trim() == "value" {
                "level"
            } else {
                m.trim()
            };
            Measure::parse(m).with_context(|| {
                let names: Vec<&str> = std::iter::once("value")
                    .chain(Measure::ALL.iter().map(|m| m.as_str()))
                    .collect();
                format!(
                    "unknown measure '{m}'; expected {}",
                    solieu_model::names::one_of(&names)
                )
            })
        })
        .collect()
}

/// Area keys for codes: the versions that hold figures for any of the
/// periods, or every version when no period is given.
pub fn area_keys(reg: &AreaRegistry, codes: &[String], periods: &[Period]) -> Result<Vec<String>> {
    let mut out = vec![];
    for code in codes {
        let versions = reg.versions(code);
        if versions.is_empty() {
            return Err(crate::Error::bad(format!(
                "unknown area code '{code}' (see `solieu areas --search …`)"
            ))
            .into());
        }
        out.extend(
            versions
                .into_iter()
                .filter(|a| periods.is_empty() || periods.iter().any(|p| a.accepts(*p)))
                .map(|a| a.key.clone()),
        );
    }
    Ok(out)
}

/// One line of the audit log as the command line prints it: time, actor,
/// action, target, detail, before -> after, (origin).
pub fn audit_line(e: &solieu_store::AuditEntry) -> String {
    let change = match (&e.before, &e.after) {
        (Some(b), Some(a)) => format!("{b} -> {a}"),
        (None, Some(a)) => format!("-> {a}"),
        _ => String::new(),
    };
    let origin = if e.origin.is_empty() {
        String::new()
    } else {
        format!("({})", e.origin)
    };
    let at = format_micros(e.at);
    [
        &at, &e.actor, &e.action, &e.target, &e.detail, &change, &origin,
    ]
    .iter()
    .map(|s| s.as_str())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("  ")
}

/// A printable table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

/// A client-given file name made harmless for messages, headers and the
/// audit log: the last path component, printable characters only, at most
/// 120 characters (`../../etc/passwd` → `passwd`).
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(120)
        .collect();
    let clean = clean.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if clean.is_empty() {
        "upload".to_string()
    } else {
        clean.to_string()
    }
}

/// Observations as a table.
pub fn vintage_table(rows: &[Vintage], areas: &AreaRegistry, history: bool) -> Table {
    let mut headers: Vec<String> = [
        "indicator",
        "area",
        "period",
        "measure",
        "value",
        "status",
        "source",
        "note",
        "area_name",
        "recorded_at",
    ]
    .map(String::from)
    .to_vec();
    if history {
        headers.extend(["submitter".to_string(), "import".to_string()]);
    }
    let broken = rows.iter().any(|v| !v.obs.dims.is_empty());
    if broken {
        headers.push("breakdown".to_string());
    }
    let rows = rows
        .iter()
        .map(|v| {
            let area = areas.by_key(&v.obs.area);
            let mut r = vec![
                v.obs.indicator.clone(),
                area.map_or(v.obs.area.clone(), |a| a.code.clone()),
                v.obs.period.to_string(),
                v.obs.measure.as_str().to_string(),
                fmt_value(v.obs.value),
                v.obs.status.code().to_string(),
                v.obs.source.clone(),
                v.obs.note.clone(),
                area.map_or(String::new(), |a| a.name_vi.clone()),
                format_micros(v.recorded_at),
            ];
            if history {
                r.extend([v.submitter.clone(), v.import_id.to_string()]);
            }
            if broken {
                r.push(v.obs.dims.clone());
            }
            r
        })
        .collect();
    Table { headers, rows }
}

/// Areas as a table.
pub fn area_table<'a>(areas: impl Iterator<Item = &'a solieu_model::Area>) -> Table {
    let headers = [
        "code",
        "name_vi",
        "name_en",
        "level",
        "parent",
        "valid_from",
        "valid_to",
    ]
    .map(String::from)
    .to_vec();
    let rows = areas
        .map(|a| {
            vec![
                a.code.clone(),
                a.name_vi.clone(),
                a.name_en.clone(),
                a.level.as_str().to_string(),
                a.parent.clone().unwrap_or_default(),
                a.valid_from.map(|d| d.to_string()).unwrap_or_default(),
                a.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    Table { headers, rows }
}

/// Indicators as a table (the catalogue CSV columns).
pub fn indicator_table(inds: &[Indicator], search: Option<&str>) -> Table {
    let q = search.map(solieu_model::text::fold).unwrap_or_default();
    let headers = CATALOG_COLUMNS.map(String::from).to_vec();
    let rows = inds
        .iter()
        .filter(|i| {
            use solieu_model::text::fold;
            q.is_empty()
                || fold(&i.code).contains(&q)
                || fold(&i.name_vi).contains(&q)
                || fold(&i.name_en).contains(&q)
        })
        .map(|i| {
            vec![
                i.code.clone(),
                i.name_vi.clone(),
                i.name_en.clone(),
                i.unit.label.clone(),
                i.time_aggregation.as_str().to_string(),
                i.area_aggregation.to_string(),
                i.decimals.to_string(),
                i.scope_note.clone(),
                i.reporting_unit.clone(),
                i.dimensions_text(),
                i.formula.clone(),
                match i.estimate {
                    solieu_model::EstimateMethod::Growth => String::new(),
                    m => m.as_str().to_string(),
                },
            ]
        })
        .collect();
    Table { headers, rows }
}

/// Renders a table as aligned text, CSV (formula-safe) or JSON (an array of objects).
pub fn render(t: &Table, csv_out: bool, json: bool) -> Result<String> {
    if json {
        // numbers stay numbers: `value` is a JSON number, everything else text
        let cell = |h: &str, v: &str| match (h, v.parse::<f64>()) {
            ("value", Ok(n)) => serde_json::Number::from_f64(n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            _ => serde_json::Value::String(v.to_string()),
        };
        let arr: Vec<serde_json::Value> = t
            .rows
            .iter()
            .map(|r| {
                serde_json::Value::Object(
                    t.headers
                        .iter()
                        .zip(r)
                        .map(|(h, v)| (h.clone(), cell(h, v)))
                        .collect(),
                )
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&arr)? + "\n");
    }
    if csv_out {
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(&t.headers)?;
        for r in &t.rows {
            w.write_record(r.iter().map(|c| inert(c)))?;
        }
        return Ok(String::from_utf8(w.into_inner()?)?);
    }
    let width = |i: usize| {
        t.rows
            .iter()
            .map(|r| r[i].chars().count())
            .chain(std::iter::once(t.headers[i].chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..t.headers.len()).map(width).collect();
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&t.headers, &mut out);
    for r in &t.rows {
        line(r, &mut out);
    }
    if t.rows.is_empty() {
        out.push_str("(no rows)\n");
    }
    Ok(out)
}

/// The message for an indicator code the catalogue lacks (nor an old code
/// that is now a breakdown code), with the nearest codes and names
/// (accent-insensitive); `None` when the catalogue knows it.
pub fn unknown_indicator(catalogue: &[solieu_model::Indicator], code: &str) -> Option<String> {
    let c = code.trim().to_ascii_uppercase();
    if catalogue.iter().any(|i| i.code == c) || solieu_model::indicator::alias(&c).is_some() {
        return None;
    }
    let by_code = solieu_model::labels::nearest(code, catalogue.iter().map(|i| i.code.as_str()), 3);
    let by_name =
        solieu_model::labels::nearest(code, catalogue.iter().map(|i| i.name_vi.as_str()), 3);
    let mut near: Vec<String> = vec![];
    for hit in by_code.iter().chain(&by_name) {
        if let Some(i) = catalogue
            .iter()
            .find(|i| i.code == *hit || i.name_vi == *hit)
        {
            let shown = format!("{} ({})", i.code, i.name_vi);
            if !near.contains(&shown) {
                near.push(shown);
            }
        }
    }
    near.truncate(3);
    Some(format!(
        "unknown indicator '{code}'{} (see `solieu indicators`)",
        if near.is_empty() {
            String::new()
        } else {
            format!("; nearest: {}", near.join(", "))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use solieu_store::SqliteStore;

    fn stream(store: &mut SqliteStore, dir: &Path, body: &str) -> ImportResult {
        let f = dir.join("big.csv");
        std::fs::write(&f, format!("indicator,area,period,value\n{body}")).unwrap();
        import_csv_stream(
            store,
            &f,
            &ReadOptions::default(),
            "t",
            2,
            &LockPolicy::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_streamed_import_is_all_or_nothing_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::create(dir.path()).unwrap();
        let rows = "EXPORTS,79,2020-01,1\nEXPORTS,79,2020-02,2\nEXPORTS,79,2020-03,3\n";
        // an error in the third chunk: nothing of the first two stays
        let bad = format!("{rows}EXPORTS,79,2020-04,1\nEXPORTS,79,2020-05,x\n");
        match stream(&mut store, dir.path(), &bad) {
            ImportResult::Rejected(e) => assert!(e[0].text.contains("big.csv:6:value"), "{e:?}"),
            _ => panic!("accepted"),
        }
        assert_eq!(store.stats().unwrap().vintages, 0);
        // the same key in two chunks: refused by the store, nothing written
        let dup = format!("{rows}EXPORTS,79,2020-01,9\n");
        match stream(&mut store, dir.path(), &dup) {
            ImportResult::Rejected(e) => assert!(e[0].text.contains("given twice"), "{e:?}"),
            _ => panic!("accepted"),
        }
        assert_eq!(store.stats().unwrap().vintages, 0);
        match stream(&mut store, dir.path(), rows) {
            ImportResult::Committed { summary, .. } => {
                assert_eq!((summary.rows, summary.new_vintages), (3, 3))
            }
            _ => panic!("refused"),
        }
    }

    #[test]
    fn uploaded_file_names_cannot_leave_their_directory() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("..\\..\\Windows\\x.csv"), "x.csv");
        assert_eq!(safe_file_name(".."), "upload");
        assert_eq!(safe_file_name("/"), "upload");
        assert_eq!(safe_file_name("bao cao\u{0}\n.xlsx"), "bao cao.xlsx");
        assert_eq!(safe_file_name("a:b?.csv"), "ab.csv");
        assert!(safe_file_name(&"x".repeat(10_000)).len() <= 120);
    }

    #[test]
    fn a_large_sdmx_csv_streams_in_chunks_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::create(dir.path()).unwrap();
        let f = dir.path().join("big.sdmx.csv");
        let head = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n";
        let row = |m: u32, action: &str| {
            format!(
                "dataflow,SOLIEU:DF_SOLIEU(1.0),{action},M,EXPORTS,79,VALUE,2020-{m:02},{m}.5,A\n"
            )
        };
        let run = |store: &mut SqliteStore, body: String| {
            std::fs::write(&f, format!("{head}{body}")).unwrap();
            import_csv_stream(
                store,
                &f,
                &ReadOptions::default(),
                "t",
                2,
                &LockPolicy::default(),
            )
            .unwrap()
        };
        // a deletion in the third chunk: refused with its row, nothing written
        let bad: String = (1..=4).map(|m| row(m, "I")).collect::<String>() + &row(5, "D");
        match run(&mut store, bad) {
            ImportResult::Rejected(e) => {
                assert!(e[0].text.contains("big.sdmx.csv:6:ACTION"), "{e:?}")
            }
            _ => panic!("accepted"),
        }
        assert_eq!(store.stats().unwrap().vintages, 0);
        let good: String = (1..=5).map(|m| row(m, "I")).collect();
        match run(&mut store, good) {
            ImportResult::Committed { summary, .. } => {
                assert_eq!((summary.rows, summary.new_vintages), (5, 5))
            }
            _ => panic!("refused"),
        }
    }
}

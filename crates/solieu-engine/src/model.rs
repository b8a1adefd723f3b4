//! The engine: the cube plus what the evaluator needs to know of areas and
//! indicators, in numbered form.

use std::collections::HashMap;

use chrono::NaiveDate;
use solieu_model::{
    AreaAggregation, AreaRegistry, Indicator, Level, Measure, Observation, Period, TimeAggregation,
};
use solieu_store::{Fingerprint, ImportSummary, Store, StoreError};

use crate::cube::{meta_text, Cube, SeriesKey};

/// FNV-1a: codes are short and not chosen by an attacker (they come from
/// the catalogue and the area list), and every request looks two up.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The breakdowns a breakdown text is part of: every proper, non-empty
/// subset of its codes, in order (`A=1;B=2` → `A=1`, `B=2`); none for a
/// single code or for more than six.
fn wholes(text: &str) -> Vec<String> {
    let parts: Vec<&str> = text.split(';').collect();
    if !(2..=6).contains(&parts.len()) {
        return vec![];
    }
    (1..(1u32 << parts.len()) - 1)
        .map(|mask| {
            parts
                .iter()
                .enumerate()
                .filter(|(k, _)| mask & (1 << k) != 0)
                .map(|(_, p)| *p)
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect()
}

/// Indicator codes and area keys to numbers.
pub(crate) type NameMap<V> = HashMap<String, V, std::hash::BuildHasherDefault<Fnv>>;

/// Engine errors: a request that names something unknown, or a store error.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Unknown indicator code.
    #[error("unknown indicator '{0}'")]
    UnknownIndicator(String),
    /// Unknown area key.
    #[error("unknown area '{0}'")]
    UnknownArea(String),
    /// Unknown dimension codes.
    #[error("no series with dimensions '{0}'")]
    UnknownDims(String),
}

/// How an area came from its predecessors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// One predecessor that went wholly into this area alone (a rename).
    Continuation,
    /// Several predecessors that each went wholly into this area.
    Merge,
    /// A predecessor that was divided between several areas.
    Split,
}

#[derive(Debug, Clone)]
pub(crate) struct AreaInfo {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub is_region: bool,
    pub preds: Vec<u32>,
    pub origin: Option<Origin>,
    /// (region, member, from, to) where this area is the region
    pub members: Vec<(u32, Option<NaiveDate>, Option<NaiveDate>)>,
    /// regions this area belongs to, with validity
    pub regions: Vec<(u32, Option<NaiveDate>, Option<NaiveDate>)>,
    /// the parent's code
    pub parent: Option<String>,
    /// the areas that carry the parent's code, in registry order
    pub parent_versions: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct IndInfo {
    pub time: TimeAggregation,
    pub area: AreaAggregation,
    pub weight: Option<u16>,
    pub decimals: u8,
    /// Its complete, summed breakdowns: (name, top-level codes, the
    /// residual code `OTHER` if the list has one). A figure without a code of
    /// one of them, with nothing stored or derivable, is the sum of its codes.
    pub complete: Vec<(String, Vec<String>, Option<String>)>,
    /// Its unit is a percentage (its changes are in percentage points).
    pub percent: bool,
    /// How a region's total estimates a member that has not reported.
    pub estimate: solieu_model::EstimateMethod,
    /// The formula of a formula indicator, resolved.
    pub formula: Option<std::sync::Arc<crate::formula::Compiled>>,
}

/// The top-level codes of a complete breakdown, for membership tests.
pub(crate) fn is_top(codes: &[String], code: &str) -> bool {
    codes.iter().any(|c| c == code)
}

impl IndInfo {
    /// Whether a figure may be the sum of parts.
    pub fn has_parts(&self) -> bool {
        !self.complete.is_empty()
    }
}

/// Text equality that does not call `memcmp` for the usual empty or short
/// strings (a call per stored row is a third of a load's time).
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A request for one derived figure.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// Indicator code.
    pub indicator: &'a str,
    /// Area key (a version: `79`, `79@2025-07-01`).
    pub area: &'a str,
    /// Dimension codes (`""`: the total).
    pub dims: &'a str,
    /// Period.
    pub period: Period,
    /// Measure.
    pub measure: crate::Derived,
}

/// The engine.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) registry: AreaRegistry,
    pub(crate) indicators: Vec<Indicator>,
    pub(crate) ind_info: Vec<IndInfo>,
    pub(crate) ind_ix: NameMap<u16>,
    pub(crate) area_ix: NameMap<u32>,
    pub(crate) areas: Vec<AreaInfo>,
    /// children by parent code
    pub(crate) children: HashMap<String, Vec<u32>>,
    pub(crate) cube: Cube,
    pub(crate) lists: solieu_model::CodeLists,
    /// (indicator, area, breakdown) with series under it: `GOODS=G01` of an
    /// area whose `GOODS=G01;PARTNER=…` are stored. Such a breakdown is
    /// derivable though nothing is stored for it.
    pub(crate) below: rustc_hash::FxHashSet<(u16, u32, u32)>,
    /// (a breakdown, a dimension it has no code of) → the breakdowns one
    /// code of that dimension further down, with the code: `""` and `GOODS`
    /// → `GOODS=G01`, `GOODS=G02` …; the parts a sum of parts adds up.
    pub(crate) parts_of: rustc_hash::FxHashMap<(u32, String), Vec<(u32, String)>>,
}

impl Engine {
    /// An engine with no vintages.
    pub fn new(registry: AreaRegistry, indicators: Vec<Indicator>) -> Engine {
        let area_ix: NameMap<u32> = registry
            .all()
            .iter()
            .enumerate()
            .map(|(i, a)| (a.key.clone(), i as u32))
            .collect();
        let ix = |k: &str| area_ix.get(k).copied();
        let mut areas: Vec<AreaInfo> = registry
            .all()
            .iter()
            .map(|a| AreaInfo {
                from: a.valid_from,
                to: a.valid_to,
                is_region: a.level == Level::Region,
                preds: vec![],
                origin: None,
                members: vec![],
                regions: vec![],
                parent: a.parent.clone(),
                parent_versions: a
                    .parent
                    .as_ref()
                    .map(|p| {
                        registry
                            .versions(p)
                            .iter()
                            .filter_map(|v| ix(&v.key))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let mut children: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, a) in registry.all().iter().enumerate() {
            if let Some(p) = &a.parent {
                children.entry(p.clone()).or_default().push(i as u32);
            }
            let preds: Vec<u32> = registry
                .predecessors(&a.key)
                .iter()
                .filter_map(|s| ix(&s.from))
                .collect();
            if preds.is_empty() {
                continue;
            }
            let split = registry
                .predecessors(&a.key)
                .iter()
                .any(|s| registry.successors(&s.from).len() > 1);
            areas[i].origin = Some(if split {
                Origin::Split
            } else if preds.len() == 1 {
                Origin::Continuation
            } else {
                Origin::Merge
            });
            areas[i].preds = preds;
        }
        for m in registry.memberships() {
            if let (Some(r), Some(x)) = (ix(&m.region), ix(&m.member)) {
                areas[r as usize]
                    .members
                    .push((x, m.valid_from, m.valid_to));
                areas[x as usize]
                    .regions
                    .push((r, m.valid_from, m.valid_to));
            }
        }
        let ind_ix: NameMap<u16> = indicators
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i as u16))
            .collect();
        let ind_info = indicators
            .iter()
            .map(|d| IndInfo {
                time: d.time_aggregation,
                weight: match &d.area_aggregation {
                    AreaAggregation::Weighted(w) => ind_ix.get(w).copied(),
                    _ => None,
                },
                area: d.area_aggregation.clone(),
                decimals: d.decimals,
                complete: vec![],
                percent: d.unit.is_percent(),
                estimate: d.estimate,
                formula: d.is_formula().then(|| {
                    let ix = |c: &str| ind_ix.get(c).copied();
                    std::sync::Arc::new(match crate::rules::parse_formula(&d.formula) {
                        Ok(e) => crate::formula::compile(&e, &indicators, &ix),
                        Err(_) => crate::formula::Compiled::Invalid,
                    })
                }),
            })
            .collect();
        let cube = Cube::new(indicators.len(), areas.len());
        Engine {
            registry,
            indicators,
            ind_info,
            ind_ix,
            area_ix,
            areas,
            children,
            cube,
            lists: solieu_model::CodeLists::default(),
            below: rustc_hash::FxHashSet::default(),
            parts_of: rustc_hash::FxHashMap::default(),
        }
        .with_code_lists(solieu_model::reference::code_lists())
    }

    fn with_code_lists(mut self, lists: solieu_model::CodeLists) -> Engine {
        self.set_code_lists(lists);
        self
    }

    /// The code lists of the breakdowns (the store's: built in and imported).
    pub fn set_code_lists(&mut self, lists: solieu_model::CodeLists) {
        for (info, ind) in self.ind_info.iter_mut().zip(&self.indicators) {
            info.complete.clear();
            if matches!(ind.time_aggregation, TimeAggregation::Index) {
                continue;
            }
            for d in ind.dimensions.iter().filter(|d| d.complete && d.sum) {
                let (codes, residual) = match lists.get(&d.name) {
                    Some(l) => (
                        l.children(None)
                            .filter(|c| d.codes.is_empty() || d.codes.contains(&c.code))
                            .map(|c| c.code.clone())
                            .collect(),
                        l.get("OTHER").map(|c| c.code.clone()),
                    ),
                    None => (d.codes.clone(), None),
                };
                if !codes.is_empty() {
                    info.complete.push((d.name.clone(), codes, residual));
                }
            }
        }
        self.lists = lists;
    }

    /// The number of a breakdown text, and of every breakdown it is part
    /// of (`GOODS=G01;PARTNER=M001` also makes `GOODS=G01` and `PARTNER=M001`
    /// known), so that a figure over a whole breakdown can be asked for
    /// though only its parts are stored.
    fn intern_dims(&mut self, text: &str) -> u32 {
        if let Some(d) = self.cube.dims.get(text) {
            return d;
        }
        for sub in wholes(text) {
            if self.cube.dims.get(&sub).is_none() {
                self.cube.dims.intern(&sub);
                self.index_children(&sub);
            }
        }
        let d = self.cube.dims.intern(text);
        self.index_children(text);
        d
    }

    /// Notes a breakdown text as a child of each breakdown one code up.
    fn index_children(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let Some(id) = self.cube.dims.get(text) else {
            return;
        };
        let parts: Vec<&str> = text.split(';').collect();
        for (k, part) in parts.iter().enumerate() {
            let Some((name, code)) = part.split_once('=') else {
                continue;
            };
            let whole: Vec<&str> = parts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, p)| *p)
                .collect();
            let whole = whole.join(";");
            let whole_id = if whole.is_empty() {
                0
            } else {
                self.cube.dims.intern(&whole)
            };
            let v = self
                .parts_of
                .entry((whole_id, name.to_string()))
                .or_default();
            if !v.iter().any(|(c, _)| *c == id) {
                v.push((id, code.to_string()));
            }
        }
    }

    /// Notes the breakdowns a series is under (see [`Engine::below`]).
    fn note_below(&mut self, ind: u16, area: u32, dims: u32) {
        if dims == 0 || !self.ind_info[ind as usize].has_parts() {
            return;
        }
        let text = self.cube.dims.resolve(dims).to_string();
        for sub in wholes(&text) {
            if let Some(d) = self.cube.dims.get(&sub) {
                self.below.insert((ind, area, d));
            }
        }
    }

    /// The code lists of the breakdowns.
    pub fn code_lists(&self) -> &solieu_model::CodeLists {
        &self.lists
    }

    /// The breakdowns of an indicator over exactly the lists `names`: every
    /// breakdown stored or derivable, cut down to those lists (exports stored
    /// by product × market give the product groups for `["PRODUCT"]`), once
    /// each, in the order of the code lists.
    pub fn breakdowns_over(&self, indicator: &str, names: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for t in self.breakdowns_of(indicator) {
            let cut: Vec<&str> = t
                .split(';')
                .filter(|p| p.split_once('=').is_some_and(|(n, _)| names.contains(&n)))
                .collect();
            if cut.len() == names.len() {
                let cut = cut.join(";");
                if !out.contains(&cut) {
                    out.push(cut);
                }
            }
        }
        out
    }

    /// Every breakdown (dimension text, `PRODUCT=ELECTRONICS`) stored for
    /// an indicator, in any area, or derivable from those stored (the
    /// product groups of exports stored by product × market), in the order
    /// of its code lists.
    pub fn breakdowns_of(&self, indicator: &str) -> Vec<String> {
        let Some(ind) = self.ind_ix.get(indicator).copied() else {
            return vec![];
        };
        let mut ids = self.cube.dims_of(ind);
        ids.extend(
            self.below
                .iter()
                .filter(|(i, _, _)| *i == ind)
                .map(|(_, _, d)| *d),
        );
        ids.sort_unstable();
        ids.dedup();
        let mut out: Vec<String> = ids
            .into_iter()
            .map(|i| self.cube.dims.resolve(i).to_string())
            .collect();
        let order = |t: &str| -> Vec<i64> {
            t.split(';')
                .map(|part| {
                    part.split_once('=')
                        .and_then(|(n, c)| self.lists.get(n).and_then(|l| l.get(c)))
                        .map_or(i64::MAX, |c| c.order)
                })
                .collect()
        };
        out.sort_by_key(|t| (order(t), t.clone()));
        out
    }

    /// Loads every vintage of a store.
    pub fn load(store: &dyn Store) -> Result<Engine, EngineError> {
        let mut e = Engine::new(store.areas()?, store.indicators()?);
        e.set_code_lists(store.code_lists()?);
        let rows = store.series()?;
        let max_id = rows.iter().map(|r| r.id).max().unwrap_or(0);
        let mut by_store_id = vec![u32::MAX; usize::try_from(max_id).unwrap_or(0) + 1];
        for r in &rows {
            let (Some(&ind), Some(&area)) = (e.ind_ix.get(&r.indicator), e.area_ix.get(&r.area))
            else {
                continue;
            };
            let dims = e.intern_dims(&r.dims);
            e.note_below(ind, area, dims);
            let key = SeriesKey {
                indicator: ind,
                area,
                measure: r.measure,
                dims,
            };
            by_store_id[r.id as usize] = e.cube.ensure(key);
        }
        // rows of one import share their source and note: intern once per run
        let mut last_meta: Option<(String, String, u32)> = None;
        let mut last_import = i64::MIN;
        let mut imports: HashMap<i64, i64> = HashMap::new();
        let cube = &mut e.cube;
        let last = store.scan(&mut |row| {
            let Some(&ix) = by_store_id.get(row.series as usize) else {
                return;
            };
            if ix == u32::MAX {
                return;
            }
            let meta = match &last_meta {
                Some((s, n, id)) if same(s, row.source) && same(n, row.note) => *id,
                _ => {
                    let id = cube.metas.intern(&meta_text(row.source, row.note));
                    last_meta = Some((row.source.to_string(), row.note.to_string(), id));
                    id
                }
            };
            if row.import_id != last_import {
                imports.entry(row.import_id).or_insert(row.recorded_at);
                last_import = row.import_id;
            }
            cube.load_row(ix, &row, meta);
        })?;
        for (id, at) in imports {
            e.cube.set_import(id, at);
        }
        e.cube.note_last_import(last);
        e.cube.finish_load();
        Ok(e)
    }

    /// The engine of a store, from the snapshot at `snapshot` when it
    /// matches the store's fingerprint, else loaded from the store (and the
    /// snapshot rewritten; a snapshot that cannot be written is only a
    /// slower next start). Returns the engine and whether the snapshot was used.
    pub fn open(
        store: &dyn Store,
        snapshot: &std::path::Path,
    ) -> Result<(Engine, bool), EngineError> {
        let fp = store.fingerprint()?;
        let areas = store.areas()?;
        let indicators = store.indicators()?;
        if let Ok(mut e) = Self::read_snapshot(snapshot, &fp, &areas, &indicators) {
            e.set_code_lists(store.code_lists()?);
            return Ok((e, true));
        }
        let e = Engine::load(store)?;
        // written only if nothing was imported meanwhile
        if store.fingerprint()? == fp {
            let _ = e.write_snapshot(snapshot, &fp);
        }
        Ok((e, false))
    }

    /// Version 2: breakdowns derivable from their parts (their texts are
    /// interned with the parts').
    const MAGIC: &'static [u8; 8] = b"SOLIEU\x02\x00";

    /// Writes the snapshot atomically (a temporary file, then a rename).
    pub fn write_snapshot(&self, path: &std::path::Path, fp: &Fingerprint) -> std::io::Result<()> {
        use std::io::Write;
        // a name of this process's own: two processes writing at once each
        // rename a whole file of their own, never a mix of both
        let tmp = path.with_extension(format!("partial.{}", std::process::id()));
        {
            let f = std::fs::File::create(&tmp)?;
            let mut o = crate::snapshot::Out(std::io::BufWriter::with_capacity(1 << 20, f));
            o.0.write_all(Self::MAGIC)?;
            for v in [fp.last_import, fp.recorded_at, fp.vintages, fp.series] {
                o.i64(v)?;
            }
            o.u64(self.indicators.len() as u64)?;
            for i in &self.indicators {
                o.str(&i.code)?;
            }
            o.u64(self.registry.all().len() as u64)?;
            for a in self.registry.all() {
                o.str(&a.key)?;
            }
            self.cube.write_to(&mut o)?;
            let f = o.0.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }

    fn read_snapshot(
        path: &std::path::Path,
        fp: &Fingerprint,
        areas: &AreaRegistry,
        indicators: &[Indicator],
    ) -> std::io::Result<Engine> {
        let bad = |w: &str| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("snapshot: {w}"))
        };
        let data = crate::snapshot::read_all(path)?;
        if !data.starts_with(Self::MAGIC) {
            return Err(bad("not a snapshot of this version"));
        }
        let mut i = crate::snapshot::In::new(&data[Self::MAGIC.len()..]);
        let found = Fingerprint {
            last_import: i.i64()?,
            recorded_at: i.i64()?,
            vintages: i.i64()?,
            series: i.i64()?,
        };
        if found != *fp {
            return Err(bad("stale"));
        }
        let n = i.u64()?;
        if n != indicators.len() as u64 {
            return Err(bad("another catalogue"));
        }
        for ind in indicators {
            if i.str()? != ind.code {
                return Err(bad("another catalogue"));
            }
        }
        if i.u64()? != areas.all().len() as u64 {
            return Err(bad("another area list"));
        }
        for a in areas.all() {
            if i.str()? != a.key {
                return Err(bad("another area list"));
            }
        }
        let mut e = Engine::new(areas.clone(), indicators.to_vec());
        e.cube = Cube::read_from(&mut i, indicators.len(), areas.all().len())?;
        let texts: Vec<String> = e.cube.dims.strings().to_vec();
        for t in &texts {
            e.index_children(t);
        }
        for k in e.cube.keys() {
            e.note_below(k.indicator, k.area, k.dims);
        }
        if !i.at_end() {
            return Err(bad("trailing bytes"));
        }
        Ok(e)
    }

    /// Adds a committed import: the same observations the store was given,
    /// with the number and time it assigned. Returns how many vintages were
    /// new (equal to the store's count).
    pub fn apply(&mut self, observations: &[Observation], summary: &ImportSummary) -> usize {
        self.cube.set_import(summary.import_id, summary.recorded_at);
        let mut n = 0;
        for o in observations {
            let (Some(&ind), Some(&area)) =
                (self.ind_ix.get(&o.indicator), self.area_ix.get(&o.area))
            else {
                continue;
            };
            let dims = self.intern_dims(&o.dims);
            self.note_below(ind, area, dims);
            let key = SeriesKey {
                indicator: ind,
                area,
                measure: o.measure,
                dims,
            };
            n += usize::from(self.cube.apply(key, o, summary.import_id));
        }
        n
    }

    /// The cube.
    pub fn cube(&self) -> &Cube {
        &self.cube
    }

    /// The areas.
    pub fn registry(&self) -> &AreaRegistry {
        &self.registry
    }

    /// The catalogue.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// An indicator by code.
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.ind_ix.get(code).map(|i| &self.indicators[*i as usize])
    }

    /// The areas (keys) and periods a formula indicator can be worked out
    /// for: those where one of its inputs has a stored level (its total or
    /// any breakdown) as of a time, in `areas` when that is not empty;
    /// sorted. Empty for an indicator that is not a formula.
    pub fn formula_keys(
        &self,
        indicator: &str,
        areas: &[String],
        as_of: Option<i64>,
    ) -> Vec<(String, Period)> {
        let Some(f) = self
            .ind_ix
            .get(indicator)
            .and_then(|i| self.ind_info[*i as usize].formula.as_ref())
        else {
            return vec![];
        };
        let mut inputs = vec![];
        f.inputs(&mut inputs);
        inputs.sort_unstable();
        inputs.dedup();
        let mut out = std::collections::BTreeSet::new();
        for ind in inputs {
            let mut dims = self.cube.dims_of(ind);
            dims.push(0);
            dims.sort_unstable();
            dims.dedup();
            for (a, key) in self.registry.all().iter().enumerate() {
                if !areas.is_empty() && !areas.contains(&key.key) {
                    continue;
                }
                for d in &dims {
                    let Some(s) = self
                        .cube
                        .lookup(self.key(ind, a as u32, Measure::Level, *d))
                    else {
                        continue;
                    };
                    let mut i = 0;
                    while let Some(p) = s.period_at(i) {
                        if self.cube.get(s, p, as_of).is_some() {
                            if let Some(p) = Period::from_key(i64::from(p)) {
                                out.insert((key.key.clone(), p));
                            }
                        }
                        i += 1;
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// A figure stored under an exact key (the total), as of a time: a
    /// plan's target for a span of years, read as it was set.
    pub fn stored(
        &self,
        indicator: &str,
        area: &str,
        measure: solieu_model::Measure,
        period: Period,
        as_of: Option<i64>,
    ) -> Option<(f64, solieu_model::Status)> {
        let ind = *self.ind_ix.get(indicator)?;
        let area = *self.area_ix.get(area)?;
        let s = self.cube.lookup(self.key(ind, area, measure, 0))?;
        let c = self.cube.get(s, crate::cube::pkey(period), as_of)?;
        Some((c.value, c.status))
    }

    pub(crate) fn accepts(&self, area: u32, p: Period) -> bool {
        let a = &self.areas[area as usize];
        if a.from.is_none() && a.to.is_none() {
            return true;
        }
        let within = |d: NaiveDate| a.from.is_none_or(|f| f <= d) && a.to.is_none_or(|t| d <= t);
        // a period from 1 January is accepted when it ends inside the
        // validity (a successor's year-to-date covers its whole territory)
        within(p.end_date()) && (p.months().0 == 1 || within(p.start_date()))
    }

    /// Members of a region on a day.
    pub(crate) fn members_on(&self, region: u32, day: NaiveDate) -> Vec<u32> {
        self.areas[region as usize]
            .members
            .iter()
            .filter(|(_, f, t)| f.is_none_or(|f| f <= day) && t.is_none_or(|t| day <= t))
            .map(|(m, _, _)| *m)
            .collect()
    }

    /// The group an area is compared within on a day: the region it belongs
    /// to, else its parent (the version of the parent's code valid then).
    pub(crate) fn group(&self, area: u32, day: NaiveDate) -> Option<u32> {
        let a = &self.areas[area as usize];
        if let Some((r, _, _)) = a
            .regions
            .iter()
            .find(|(_, f, t)| f.is_none_or(|f| f <= day) && t.is_none_or(|t| day <= t))
        {
            return Some(*r);
        }
        a.parent_versions
            .iter()
            .copied()
            .find(|p| self.valid_on(*p, day))
    }

    /// The members of a group on a day: a region's members, or the areas
    /// under the same parent code.
    pub(crate) fn peers(&self, area: u32, group: u32, day: NaiveDate) -> Vec<u32> {
        let member = |(r, _, _): &(u32, _, _)| *r == group;
        if self.areas[group as usize].is_region
            && self.areas[area as usize].regions.iter().any(member)
        {
            return self.members_on(group, day);
        }
        let Some(parent) = self.areas[area as usize].parent.as_ref() else {
            return vec![];
        };
        self.children
            .get(parent)
            .map(|c| {
                c.iter()
                    .copied()
                    .filter(|c| self.valid_on(*c, day))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn valid_on(&self, area: u32, day: NaiveDate) -> bool {
        let i = &self.areas[area as usize];
        i.from.is_none_or(|f| f <= day) && i.to.is_none_or(|t| day <= t)
    }

    pub(crate) fn area_key(&self, area: u32) -> &str {
        &self.registry.all()[area as usize].key
    }

    pub(crate) fn ind_code(&self, ind: u16) -> &str {
        &self.indicators[ind as usize].code
    }

    pub(crate) fn resolve(&self, q: &Query<'_>) -> Result<(u16, u32, u32), EngineError> {
        // an old indicator code that is now a breakdown code (EXPORTS_FDI)
        let (ind, merged) = match self.ind_ix.get(q.indicator) {
            Some(i) => (*i, None),
            None => {
                let (code, dims) = solieu_model::indicator::alias(q.indicator)
                    .ok_or_else(|| EngineError::UnknownIndicator(q.indicator.to_string()))?;
                let i = *self
                    .ind_ix
                    .get(code)
                    .ok_or_else(|| EngineError::UnknownIndicator(q.indicator.to_string()))?;
                let merged =
                    solieu_model::indicator::merge_dims(&self.indicators[i as usize], dims, q.dims);
                (i, Some(merged))
            }
        };
        let area = *self
            .area_ix
            .get(q.area)
            .ok_or_else(|| EngineError::UnknownArea(q.area.to_string()))?;
        let text = merged.as_deref().unwrap_or(q.dims);
        let dims = if text.is_empty() {
            Some(0)
        } else {
            self.cube.dims.get(text)
        };
        let dims = dims.ok_or_else(|| EngineError::UnknownDims(text.to_string()))?;
        Ok((ind, area, dims))
    }

    /// The indicator a code names, or the one an old code is now a
    /// breakdown of (`EXPORTS_FDI` → `EXPORTS`).
    pub fn indicator_or_alias(&self, code: &str) -> Option<&Indicator> {
        self.indicator(code)
            .or_else(|| solieu_model::indicator::alias(code).and_then(|(c, _)| self.indicator(c)))
    }

    pub(crate) fn key(&self, ind: u16, area: u32, measure: Measure, dims: u32) -> SeriesKey {
        SeriesKey {
            indicator: ind,
            area,
            measure,
            dims,
        }
    }
}

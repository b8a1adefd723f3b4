//! The cube: every vintage of every series, in memory, in a compact
//! layout (24 bytes per current cell), indexed for the evaluator.
//!
//! The current (latest) vintage of each series × period sits in one arena
//! of parallel columns shared by all series (a series owns a contiguous,
//! sorted slot of it, with some room to grow); superseded vintages sit beside
//! each series, sorted by period and recording time, and are only read by
//! as-of queries. A load from the store appends series after series, so a
//! scan of the whole cube reads memory in order.

use solieu_model::{Measure, Observation, Status};
use solieu_store::ScanRow;

/// Number of a series inside the cube.
pub type SeriesIx = u32;

/// What identifies a series inside the cube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    /// Indicator number.
    pub indicator: u16,
    /// Area number.
    pub area: u32,
    /// Stored measure.
    pub measure: Measure,
    /// Interned dimension codes (0 = none).
    pub dims: u32,
}

/// One vintage as the evaluator sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Value.
    pub value: f64,
    /// Status.
    pub status: Status,
    /// Import number (recording time via [`Cube::recorded_at`]).
    pub import: u32,
    /// Interned source and note.
    pub meta: u32,
}

#[derive(Debug, Clone, Copy)]
struct Old {
    period: u32,
    import: u32,
    meta: u32,
    status: u8,
    value: f64,
}

impl Old {
    fn cell(&self) -> Cell {
        Cell {
            value: self.value,
            status: status_of(self.status),
            import: self.import,
            meta: self.meta,
        }
    }
}

/// Summary kept in step with a series' cells, so that most look-ups touch
/// one array: which period kinds are present (bit = kind digit of the key),
/// how many current cells are not final, and where the first month is
/// (months of a plain monthly series are found by position).
#[derive(Debug, Clone, Copy, Default)]
struct SeriesIndex {
    kinds: u8,
    not_final: u32,
    /// index of the first month cell and its month number (year × 12 + m − 1)
    first_month: Option<(u32, i32)>,
}

const MONTH_KIND: u32 = 4;

fn kind_of(period: u32) -> u32 {
    period / 100 % 10
}

fn month_number(period: u32) -> i32 {
    (period / 1000) as i32 * 12 + (period % 100) as i32 - 1
}

fn status_code(s: Status) -> u8 {
    match s {
        Status::Estimate => 0,
        Status::Preliminary => 1,
        Status::Final => 2,
    }
}

fn status_of(c: u8) -> Status {
    match c {
        0 => Status::Estimate,
        1 => Status::Preliminary,
        _ => Status::Final,
    }
}

/// Period key (see `Period::key`) narrowed to 32 bits; periods span years
/// 1900–2200, so keys fit.
pub fn pkey(p: solieu_model::Period) -> u32 {
    u32::try_from(p.key()).expect("period keys of years 1900-2200 fit in u32")
}

/// What a scan of values reads, side by side (one cache line holds four):
/// the period, the value and the status of a current cell.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Core {
    value: f64,
    /// For a month: the sum of the months from January to this one, when
    /// all are present (`ytd_status` ≠ [`INCOMPLETE`]); kept in step with
    /// the cells by every load and apply, so a year-to-date is one read.
    ytd: f64,
    period: u32,
    status: u8,
    /// The weakest status of the months summed in `ytd`.
    ytd_status: u8,
}

/// `ytd_status` of a cell whose year-to-date is not available.
const INCOMPLETE: u8 = u8::MAX;

const EMPTY: Core = Core {
    value: 0.0,
    ytd: 0.0,
    period: u32::MAX,
    status: 2,
    ytd_status: INCOMPLETE,
};

fn core(value: f64, period: u32, status: u8) -> Core {
    Core {
        value,
        ytd: 0.0,
        period,
        status,
        ytd_status: INCOMPLETE,
    }
}

/// Recomputes the year-to-date sums of `cells[from..]` (the cells before
/// `from` are correct): a month's sum is the previous month's plus its value
/// when the previous month is there with a complete sum, or its value in
/// January (summed in the order a loop over the months would).
fn fix_ytd(cells: &mut [Core], from: usize) {
    for i in from..cells.len() {
        let c = cells[i];
        let (ytd, st) = if kind_of(c.period) != MONTH_KIND {
            (0.0, INCOMPLETE)
        } else if c.period % 100 == 1 {
            (0.0 + c.value, c.status)
        } else {
            match i.checked_sub(1).map(|j| cells[j]) {
                Some(p) if p.period + 1 == c.period && p.ytd_status != INCOMPLETE => {
                    (p.ytd + c.value, p.ytd_status.min(c.status))
                }
                _ => (0.0, INCOMPLETE),
            }
        };
        cells[i].ytd = ytd;
        cells[i].ytd_status = st;
    }
}

/// A series: its slot in the arena and its superseded vintages.
#[derive(Debug, Clone)]
struct Series {
    key: SeriesKey,
    start: usize,
    len: u32,
    cap: u32,
    index: SeriesIndex,
    old: Vec<Old>,
}

/// A series as read by the evaluator: slices of the arena.
#[derive(Debug, Clone, Copy)]
pub struct SeriesRef<'a> {
    core: &'a [Core],
    imports: &'a [u32],
    metas: &'a [u32],
    old: &'a [Old],
    index: SeriesIndex,
}

impl SeriesRef<'_> {
    /// Whether every current cell is final (then the status of any sum of
    /// cells is final without reading them).
    pub fn all_final(&self) -> bool {
        self.index.not_final == 0
    }

    /// Whether every cell is a month (no stored quarter, year or
    /// year-to-date that would take precedence over a sum of months).
    pub fn only_months(&self) -> bool {
        self.index.kinds == 1 << MONTH_KIND
    }

    /// Where the cell of a month would be in a series without gaps, worked
    /// out from the series summary without reading any cell.
    #[inline]
    pub fn guess_month(&self, period: u32) -> Option<usize> {
        let (i0, m0) = self.index.first_month?;
        usize::try_from(i64::from(i0) + i64::from(month_number(period) - m0)).ok()
    }

    /// Index of the current cell of `period`.
    #[inline]
    pub fn find(&self, period: u32) -> Option<usize> {
        let kind = kind_of(period);
        if self.index.kinds & (1 << kind) == 0 {
            return None;
        }
        if kind == MONTH_KIND {
            if let Some((i0, m0)) = self.index.first_month {
                let guess = i64::from(i0) + i64::from(month_number(period) - m0);
                if let Ok(g) = usize::try_from(guess) {
                    if self.core.get(g).is_some_and(|c| c.period == period) {
                        return Some(g);
                    }
                }
            }
        }
        self.core.binary_search_by_key(&period, |c| c.period).ok()
    }

    /// First index whose period is ≥ `period`.
    #[inline]
    pub fn lower_bound(&self, period: u32) -> usize {
        match self.find(period) {
            Some(i) => i,
            None => self.core.partition_point(|c| c.period < period),
        }
    }

    /// The period key at index `i`.
    #[inline]
    pub fn period_at(&self, i: usize) -> Option<u32> {
        self.core.get(i).map(|c| c.period)
    }

    /// The current value at index `i`.
    #[inline]
    pub fn value_at(&self, i: usize) -> f64 {
        self.core[i].value
    }

    /// The sum of the months from January to the month at index `i`, and
    /// the weakest status among them, when every one of them is present.
    #[inline]
    pub fn ytd_at(&self, i: usize) -> Option<(f64, Status)> {
        let c = self.core.get(i)?;
        (c.ytd_status != INCOMPLETE).then(|| (c.ytd, status_of(c.ytd_status)))
    }

    /// The current period and value at index `i`, if any.
    #[inline]
    pub fn entry(&self, i: usize) -> Option<(u32, f64)> {
        self.core.get(i).map(|c| (c.period, c.value))
    }

    /// The current status at index `i`.
    pub fn status_at(&self, i: usize) -> Status {
        status_of(self.core[i].status)
    }

    /// The current cell at index `i`.
    pub fn cell_at(&self, i: usize) -> Cell {
        Cell {
            value: self.core[i].value,
            status: status_of(self.core[i].status),
            import: self.imports[i],
            meta: self.metas[i],
        }
    }

    fn old_of(&self, period: u32) -> &[Old] {
        let lo = self.old.partition_point(|o| o.period < period);
        let hi = self.old.partition_point(|o| o.period <= period);
        &self.old[lo..hi]
    }
}

/// Interns strings to small numbers.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    strings: Vec<String>,
    ids: rustc_hash::FxHashMap<String, u32>,
}

impl Interner {
    /// The number of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = u32::try_from(self.strings.len()).expect("fewer than 4 billion strings");
        self.strings.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    /// The number of `s`, if known.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// Every string, by number.
    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    /// The string of a number.
    pub fn resolve(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    fn from_strings(strings: Vec<String>) -> Interner {
        let ids = strings
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        Interner { strings, ids }
    }
}

/// The columns of the current cells of all series.
#[derive(Debug, Clone, Default)]
struct Arena {
    core: Vec<Core>,
    imports: Vec<u32>,
    metas: Vec<u32>,
    /// cells in slots that series have moved out of
    garbage: usize,
}

impl Arena {
    fn len(&self) -> usize {
        self.core.len()
    }

    fn push(&mut self, c: Core, import: u32, meta: u32) {
        self.core.push(c);
        self.imports.push(import);
        self.metas.push(meta);
    }

    fn pad(&mut self, n: usize) {
        for _ in 0..n {
            self.push(EMPTY, 0, 0);
        }
    }

    fn reserve(&mut self, n: usize) {
        self.core.reserve_exact(n);
        self.imports.reserve_exact(n);
        self.metas.reserve_exact(n);
    }

    fn shrink(&mut self) {
        self.core.shrink_to_fit();
        self.imports.shrink_to_fit();
        self.metas.shrink_to_fit();
    }

    /// Moves `len` cells from `from` to `to` (overlapping allowed).
    fn copy_within(&mut self, from: usize, len: usize, to: usize) {
        self.core.copy_within(from..from + len, to);
        self.imports.copy_within(from..from + len, to);
        self.metas.copy_within(from..from + len, to);
    }

    fn set(&mut self, i: usize, c: Core, import: u32, meta: u32) {
        self.core[i] = c;
        self.imports[i] = import;
        self.metas[i] = meta;
    }
}

/// Room to grow left after a series' cells at load (one slot per eight
/// cells, at least two): a year of new months rarely moves a series.
fn slack(len: u32) -> u32 {
    (len / 8).max(2)
}

/// All series and the recording time of every import.
#[derive(Debug, Clone)]
pub struct Cube {
    series: Vec<Series>,
    arena: Arena,
    index: rustc_hash::FxHashMap<SeriesKey, SeriesIx>,
    /// Series with no dimensions, by `(indicator × areas + area) × 6 + measure`.
    grid: Vec<SeriesIx>,
    n_areas: usize,
    recorded: Vec<i64>,
    /// Interned dimension codes; 0 is "".
    pub dims: Interner,
    /// Interned `source \u{1f} note`.
    pub metas: Interner,
    last_import: i64,
    /// The series being loaded (rows arrive series after series).
    loading: Option<SeriesIx>,
}

const NONE: SeriesIx = SeriesIx::MAX;

fn measure_ix(m: Measure) -> usize {
    Measure::ALL
        .iter()
        .position(|x| *x == m)
        .expect("every measure is in ALL")
}

impl Cube {
    /// An empty cube for `n_indicators` × `n_areas`.
    pub fn new(n_indicators: usize, n_areas: usize) -> Cube {
        let mut dims = Interner::default();
        dims.intern("");
        Cube {
            series: vec![],
            arena: Arena::default(),
            index: rustc_hash::FxHashMap::default(),
            grid: vec![NONE; n_indicators * n_areas * Measure::ALL.len()],
            n_areas,
            recorded: vec![],
            dims,
            metas: Interner::default(),
            last_import: 0,
            loading: None,
        }
    }

    /// Number of the last import seen.
    pub fn last_import(&self) -> i64 {
        self.last_import
    }

    /// Notes the number of the last import committed.
    pub fn note_last_import(&mut self, import: i64) {
        self.last_import = self.last_import.max(import);
    }

    /// Recording time of an import.
    #[inline]
    pub fn recorded_at(&self, import: u32) -> i64 {
        self.recorded
            .get(import as usize)
            .copied()
            .unwrap_or(i64::MAX)
    }

    /// Notes the recording time of an import.
    pub fn set_import(&mut self, import: i64, recorded_at: i64) {
        let i = usize::try_from(import).expect("import numbers are positive");
        if self.recorded.len() <= i {
            self.recorded.resize(i + 1, i64::MAX);
        }
        self.recorded[i] = recorded_at;
        self.last_import = self.last_import.max(import);
    }

    fn grid_ix(&self, key: SeriesKey) -> usize {
        (usize::from(key.indicator) * self.n_areas + key.area as usize) * Measure::ALL.len()
            + measure_ix(key.measure)
    }

    fn view<'a>(&'a self, s: &'a Series) -> SeriesRef<'a> {
        let r = s.start..s.start + s.len as usize;
        SeriesRef {
            core: &self.arena.core[r.clone()],
            imports: &self.arena.imports[r.clone()],
            metas: &self.arena.metas[r],
            old: &s.old,
            index: s.index,
        }
    }

    /// Every series key.
    pub fn keys(&self) -> Vec<SeriesKey> {
        self.index.keys().copied().collect()
    }

    /// The dimension numbers (not 0) of an indicator's series.
    pub fn dims_of(&self, indicator: u16) -> Vec<u32> {
        self.index
            .keys()
            .filter(|k| k.indicator == indicator && k.dims != 0)
            .map(|k| k.dims)
            .collect()
    }

    /// The series with this key, if any.
    #[inline]
    pub fn lookup(&self, key: SeriesKey) -> Option<SeriesRef<'_>> {
        let ix = if key.dims == 0 {
            self.grid[self.grid_ix(key)]
        } else {
            *self.index.get(&key)?
        };
        self.series.get(ix as usize).map(|s| self.view(s))
    }

    /// The number of the series with this key, created (empty) if new.
    pub fn ensure(&mut self, key: SeriesKey) -> SeriesIx {
        if let Some(ix) = self.index.get(&key) {
            return *ix;
        }
        let ix = SeriesIx::try_from(self.series.len()).expect("fewer than 4 billion series");
        self.series.push(Series {
            key,
            start: self.arena.len(),
            len: 0,
            cap: 0,
            index: SeriesIndex::default(),
            old: vec![],
        });
        self.index.insert(key, ix);
        if key.dims == 0 {
            let g = self.grid_ix(key);
            self.grid[g] = ix;
        }
        ix
    }

    /// The cell of `period` known as of `as_of` (`None`: the latest).
    #[inline]
    pub fn get(&self, s: SeriesRef<'_>, period: u32, as_of: Option<i64>) -> Option<Cell> {
        let i = s.find(period)?;
        let Some(t) = as_of else {
            return Some(s.cell_at(i));
        };
        if self.recorded_at(s.imports[i]) <= t {
            return Some(s.cell_at(i));
        }
        s.old_of(period)
            .iter()
            .rev()
            .find(|o| self.recorded_at(o.import) <= t)
            .map(Old::cell)
    }

    /// Whether the current cell at index `i` is visible as of `as_of`.
    #[inline]
    pub fn visible(&self, s: SeriesRef<'_>, i: usize, as_of: Option<i64>) -> bool {
        as_of.is_none_or(|t| self.recorded_at(s.imports[i]) <= t)
    }

    /// Prepares for a load of about `n` vintages.
    pub fn reserve(&mut self, n: usize) {
        self.arena.reserve(n + n / 8);
    }

    /// Adds a vintage read from the store. Rows arrive ordered by series,
    /// period and recording time; each series' rows are contiguous.
    pub fn load_row(&mut self, ix: SeriesIx, row: &ScanRow<'_>, meta: u32) {
        if self.loading != Some(ix) {
            self.end_load_series();
            self.loading = Some(ix);
            let start = self.arena.len();
            let s = &mut self.series[ix as usize];
            debug_assert_eq!(s.len, 0, "a series' rows arrive together");
            s.start = start;
        }
        let period = u32::try_from(row.period).unwrap_or(u32::MAX);
        let import = u32::try_from(row.import_id).unwrap_or(u32::MAX);
        let code = status_code(row.status);
        let s = &mut self.series[ix as usize];
        let end = s.start + s.len as usize;
        let core = core(row.value, period, code);
        if s.len > 0 && self.arena.core[end - 1].period == period {
            let i = end - 1;
            let c = self.arena.core[i];
            s.old.push(Old {
                period,
                import: self.arena.imports[i],
                meta: self.arena.metas[i],
                status: c.status,
                value: c.value,
            });
            self.arena.set(i, core, import, meta);
        } else {
            self.arena.push(core, import, meta);
            s.len += 1;
        }
        let (start, end) = (s.start, s.start + s.len as usize);
        fix_ytd(&mut self.arena.core[start..end], end - 1 - start);
    }

    fn end_load_series(&mut self) {
        if let Some(ix) = self.loading.take() {
            let s = &mut self.series[ix as usize];
            s.cap = s.len + slack(s.len);
            let pad = (s.cap - s.len) as usize;
            self.arena.pad(pad);
            let s = &self.series[ix as usize];
            let index = Self::summarise(&self.arena, s);
            self.series[ix as usize].index = index;
        }
    }

    fn summarise(arena: &Arena, s: &Series) -> SeriesIndex {
        let mut ix = SeriesIndex::default();
        let r = s.start..s.start + s.len as usize;
        for (i, c) in arena.core[r].iter().enumerate() {
            ix.kinds |= 1 << kind_of(c.period);
            if ix.first_month.is_none() && kind_of(c.period) == MONTH_KIND {
                ix.first_month = Some((i as u32, month_number(c.period)));
            }
            ix.not_final += u32::from(c.status != 2);
        }
        ix
    }

    /// Ends a load: closes the last series, releases spare capacity.
    pub fn finish_load(&mut self) {
        self.end_load_series();
        self.arena.shrink();
        for s in &mut self.series {
            s.old.shrink_to_fit();
        }
    }

    /// Applies one committed observation by the store's own rule: an
    /// unchanged value, status, source and note adds nothing; anything else
    /// becomes the current vintage. Returns whether it was new.
    pub fn apply(&mut self, key: SeriesKey, o: &Observation, import: i64) -> bool {
        let meta = self.metas.intern(&meta_text(&o.source, &o.note));
        let period = pkey(o.period);
        let import = u32::try_from(import).unwrap_or(u32::MAX);
        let code = status_code(o.status);
        let ix = self.ensure(key) as usize;
        let found = {
            let s = &self.series[ix];
            self.view(s)
                .core
                .binary_search_by_key(&period, |c| c.period)
        };
        let core = core(o.value, period, code);
        match found {
            Ok(i) => {
                let at = self.series[ix].start + i;
                let a = &self.arena;
                let c = a.core[at];
                let latest = solieu_model::observation::Latest {
                    recorded_at: 0,
                    same: c.value.to_bits() == o.value.to_bits()
                        && c.status == code
                        && a.metas[at] == meta,
                };
                // committed already: the store's rule, without its time check
                if solieu_model::observation::decide(Some(latest), o, None)
                    == Ok(solieu_model::observation::Decision::Unchanged)
                {
                    return false;
                }
                let old = Old {
                    period,
                    import: a.imports[at],
                    meta: a.metas[at],
                    status: c.status,
                    value: c.value,
                };
                let s = &mut self.series[ix];
                let pos = s.old.partition_point(|x| x.period <= period);
                s.old.insert(pos, old);
                s.index.not_final =
                    s.index.not_final + u32::from(code != 2) - u32::from(old.status != 2);
                self.arena.set(at, core, import, meta);
                let (start, len) = (self.series[ix].start, self.series[ix].len as usize);
                fix_ytd(&mut self.arena.core[start..start + len], i);
            }
            Err(i) => {
                self.make_room(ix);
                let s = &mut self.series[ix];
                let (start, len) = (s.start, s.len as usize);
                self.arena.copy_within(start + i, len - i, start + i + 1);
                self.arena.set(start + i, core, import, meta);
                s.len += 1;
                fix_ytd(&mut self.arena.core[start..start + len + 1], i);
                let index = &mut s.index;
                index.kinds |= 1 << kind_of(period);
                index.not_final += u32::from(code != 2);
                let month = kind_of(period) == MONTH_KIND;
                let i = i as u32;
                index.first_month = match index.first_month {
                    Some((i0, _)) if i <= i0 && month => Some((i, month_number(period))),
                    Some((i0, m0)) if i <= i0 => Some((i0 + 1, m0)),
                    None if month => Some((i, month_number(period))),
                    other => other,
                };
            }
        }
        true
    }

    /// Makes room for one more cell in a series: moves a full series to the
    /// end of the arena with twice the room; compacts the arena when the
    /// slots left behind exceed a quarter of it.
    fn make_room(&mut self, ix: usize) {
        let s = &self.series[ix];
        if s.len < s.cap {
            return;
        }
        let (start, len) = (s.start, s.len as usize);
        let cap = (s.cap * 2).max(4);
        let to = self.arena.len();
        self.arena.pad(cap as usize);
        self.arena.copy_within(start, len, to);
        self.arena.garbage += s.cap as usize;
        let s = &mut self.series[ix];
        s.start = to;
        s.cap = cap;
        if self.arena.garbage > self.arena.len() / 4 {
            self.compact();
        }
    }

    /// Rewrites the arena with the series in order and their room kept.
    fn compact(&mut self) {
        let mut fresh = Arena::default();
        fresh.reserve(self.arena.len() - self.arena.garbage);
        for s in &mut self.series {
            let start = fresh.len();
            for i in s.start..s.start + s.cap as usize {
                let a = &self.arena;
                fresh.push(a.core[i], a.imports[i], a.metas[i]);
            }
            s.start = start;
        }
        self.arena = fresh;
    }

    /// Bytes held by the vintage columns and the series table (not counting
    /// the hash indexes).
    pub fn heap_bytes(&self) -> usize {
        let a = &self.arena;
        a.core.capacity() * std::mem::size_of::<Core>()
            + a.imports.capacity() * 4
            + a.metas.capacity() * 4
            + self.series.capacity() * std::mem::size_of::<Series>()
            + self
                .series
                .iter()
                .map(|s| s.old.capacity() * std::mem::size_of::<Old>())
                .sum::<usize>()
            + self.grid.capacity() * 4
    }

    /// Number of current cells and of superseded vintages.
    pub fn counts(&self) -> (usize, usize) {
        self.series
            .iter()
            .fold((0, 0), |(c, o), s| (c + s.len as usize, o + s.old.len()))
    }
}

/// The interned form of a source and a note.
pub fn meta_text(source: &str, note: &str) -> String {
    let mut s = String::with_capacity(source.len() + note.len() + 1);
    s.push_str(source);
    s.push('\u{1f}');
    s.push_str(note);
    s
}

impl Cube {
    /// Writes the cube (see `snapshot`).
    pub(crate) fn write_to<W: std::io::Write>(
        &self,
        o: &mut crate::snapshot::Out<W>,
    ) -> std::io::Result<()> {
        o.u64(self.n_areas as u64)?;
        o.i64(self.last_import)?;
        o.i64s(&self.recorded)?;
        for interner in [&self.dims, &self.metas] {
            o.u64(interner.strings.len() as u64)?;
            for t in &interner.strings {
                o.str(t)?;
            }
        }
        o.u64(self.series.len() as u64)?;
        for s in &self.series {
            o.u32(u32::from(s.key.indicator))?;
            o.u32(s.key.area)?;
            o.u8(measure_ix(s.key.measure) as u8)?;
            o.u32(s.key.dims)?;
            o.u64(s.start as u64)?;
            o.u32(s.len)?;
            o.u32(s.cap)?;
            o.u64(s.old.len() as u64)?;
            for x in &s.old {
                o.u32(x.period)?;
                o.u32(x.import)?;
                o.u32(x.meta)?;
                o.u8(x.status)?;
                o.f64(x.value)?;
            }
        }
        let a = &self.arena;
        o.u32s(&a.core.iter().map(|c| c.period).collect::<Vec<_>>())?;
        o.f64s(&a.core.iter().map(|c| c.value).collect::<Vec<_>>())?;
        o.bytes(&a.core.iter().map(|c| c.status).collect::<Vec<_>>())?;
        o.u32s(&a.imports)?;
        o.u32s(&a.metas)?;
        o.u64(a.garbage as u64)
    }

    /// Reads what [`Cube::write_to`] wrote, for a catalogue of `n_indicators`
    /// and `n_areas`; every index is checked.
    pub(crate) fn read_from(
        i: &mut crate::snapshot::In<'_>,
        n_indicators: usize,
        n_areas: usize,
    ) -> std::io::Result<Cube> {
        let bad = |w: &str| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("snapshot: {w}"))
        };
        if i.u64()? != n_areas as u64 {
            return Err(bad("another area list"));
        }
        let mut cube = Cube::new(n_indicators, n_areas);
        cube.last_import = i.i64()?;
        cube.recorded = i.i64s()?;
        let mut interners = vec![];
        for _ in 0..2 {
            let n = i.u64()?;
            let mut v = vec![];
            for _ in 0..n {
                v.push(i.str()?);
            }
            interners.push(Interner::from_strings(v));
        }
        cube.metas = interners.pop().expect("two");
        cube.dims = interners.pop().expect("two");
        let n = i.u64()?;
        let mut series = vec![];
        for _ in 0..n {
            let indicator = u16::try_from(i.u32()?).map_err(|_| bad("indicator"))?;
            let area = i.u32()?;
            let measure = *Measure::ALL
                .get(usize::from(i.u8()?))
                .ok_or_else(|| bad("measure"))?;
            let dims = i.u32()?;
            if usize::from(indicator) >= n_indicators
                || area as usize >= n_areas
                || dims as usize >= cube.dims.strings.len()
            {
                return Err(bad("series key"));
            }
            let start = usize::try_from(i.u64()?).map_err(|_| bad("start"))?;
            let (len, cap) = (i.u32()?, i.u32()?);
            let n_old = i.u64()?;
            let mut old = vec![];
            for _ in 0..n_old {
                old.push(Old {
                    period: i.u32()?,
                    import: i.u32()?,
                    meta: i.u32()?,
                    status: i.u8()?,
                    value: i.f64()?,
                });
            }
            series.push(Series {
                key: SeriesKey {
                    indicator,
                    area,
                    measure,
                    dims,
                },
                start,
                len,
                cap,
                index: SeriesIndex::default(),
                old,
            });
        }
        let (periods, values, status) = (i.u32s()?, i.f64s()?, i.bytes()?);
        let (imports, metas) = (i.u32s()?, i.u32s()?);
        let n = periods.len();
        if [values.len(), status.len(), imports.len(), metas.len()]
            .iter()
            .any(|l| *l != n)
        {
            return Err(bad("columns of unequal length"));
        }
        let core = periods
            .into_iter()
            .zip(values)
            .zip(status)
            .map(|((period, value), status)| core(value, period, status))
            .collect();
        let arena = Arena {
            core,
            imports,
            metas,
            garbage: usize::try_from(i.u64()?).map_err(|_| bad("garbage"))?,
        };
        for s in &series {
            if s.len > s.cap || s.start.checked_add(s.cap as usize).is_none_or(|e| e > n) {
                return Err(bad("series slot"));
            }
        }
        // every source/note number must name an interned text
        let n_metas = cube.metas.strings.len() as u32;
        let old_metas = series.iter().flat_map(|s| s.old.iter().map(|o| o.meta));
        if arena
            .metas
            .iter()
            .copied()
            .chain(old_metas)
            .any(|m| m >= n_metas.max(1))
        {
            return Err(bad("source/note numbers"));
        }
        cube.arena = arena;
        for (ix, mut s) in series.into_iter().enumerate() {
            fix_ytd(&mut cube.arena.core[s.start..s.start + s.len as usize], 0);
            s.index = Self::summarise(&cube.arena, &s);
            let key = s.key;
            cube.series.push(s);
            if cube.index.insert(key, ix as SeriesIx).is_some() {
                return Err(bad("a series twice"));
            }
            if key.dims == 0 {
                let g = cube.grid_ix(key);
                cube.grid[g] = ix as SeriesIx;
            }
        }
        Ok(cube)
    }
}

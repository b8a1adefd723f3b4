//! The cube: every vintage of every series, in memory, in a compact
//! column layout (21 bytes per vintage), indexed for the evaluator.
//!
//! The current (latest) vintage of each series × period sits in parallel
//! sorted columns; superseded vintages sit beside them, sorted by period and
//! recording time, and are only read by as-of queries.

use std::collections::HashMap;

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

/// One series: current cells by period, and superseded ones.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its key.
    pub key: SeriesKey,
    periods: Vec<u32>,
    values: Vec<f64>,
    imports: Vec<u32>,
    metas: Vec<u32>,
    status: Vec<u8>,
    old: Vec<Old>,
    /// Summary kept in step with the cells, so that most look-ups touch
    /// one array: which period kinds are present (bit = kind digit of the
    /// key), how many current cells are not final, and where the first month
    /// is (months of a plain monthly series are found by position).
    index: SeriesIndex,
}

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

impl Series {
    fn new(key: SeriesKey) -> Series {
        Series {
            key,
            periods: vec![],
            values: vec![],
            imports: vec![],
            metas: vec![],
            status: vec![],
            old: vec![],
            index: SeriesIndex::default(),
        }
    }

    fn reindex(&mut self) {
        let mut ix = SeriesIndex::default();
        for (i, p) in self.periods.iter().enumerate() {
            ix.kinds |= 1 << kind_of(*p);
            if ix.first_month.is_none() && kind_of(*p) == MONTH_KIND {
                ix.first_month = Some((i as u32, month_number(*p)));
            }
        }
        ix.not_final = self.status.iter().filter(|s| **s != 2).count() as u32;
        self.index = ix;
    }

    /// Whether any current cell is not final (else the status of any sum
    /// of cells is final without reading them).
    pub fn all_final(&self) -> bool {
        self.index.not_final == 0
    }

    fn cell(&self, i: usize) -> Cell {
        Cell {
            value: self.values[i],
            status: status_of(self.status[i]),
            import: self.imports[i],
            meta: self.metas[i],
        }
    }

    /// Number of current cells.
    pub fn len(&self) -> usize {
        self.periods.len()
    }

    /// Whether the series has no cell.
    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }

    /// Index of the current cell of `period`.
    pub fn find(&self, period: u32) -> Option<usize> {
        let kind = kind_of(period);
        if self.index.kinds & (1 << kind) == 0 {
            return None;
        }
        if kind == MONTH_KIND {
            if let Some((i0, m0)) = self.index.first_month {
                let guess = i64::from(i0) + i64::from(month_number(period) - m0);
                if let Ok(g) = usize::try_from(guess) {
                    if self.periods.get(g) == Some(&period) {
                        return Some(g);
                    }
                }
            }
        }
        self.periods.binary_search(&period).ok()
    }

    /// First index whose period is ≥ `period`.
    pub fn lower_bound(&self, period: u32) -> usize {
        match self.find(period) {
            Some(i) => i,
            None => self.periods.partition_point(|p| *p < period),
        }
    }

    /// The period key at index `i`.
    pub fn period_at(&self, i: usize) -> Option<u32> {
        self.periods.get(i).copied()
    }

    /// The current value at index `i`.
    pub fn value_at(&self, i: usize) -> f64 {
        self.values[i]
    }

    /// The current status at index `i`.
    pub fn status_at(&self, i: usize) -> Status {
        status_of(self.status[i])
    }

    /// The current cell at index `i`.
    pub fn cell_at(&self, i: usize) -> Cell {
        self.cell(i)
    }

    /// Every vintage of `period`, oldest first.
    pub fn vintages(&self, period: u32) -> Vec<Cell> {
        let lo = self.old.partition_point(|o| o.period < period);
        let hi = self.old.partition_point(|o| o.period <= period);
        let mut out: Vec<Cell> = self.old[lo..hi]
            .iter()
            .map(|o| Cell {
                value: o.value,
                status: status_of(o.status),
                import: o.import,
                meta: o.meta,
            })
            .collect();
        out.extend(self.find(period).map(|i| self.cell(i)));
        out
    }

    fn shrink(&mut self) {
        self.reindex();
        self.periods.shrink_to_fit();
        self.values.shrink_to_fit();
        self.imports.shrink_to_fit();
        self.metas.shrink_to_fit();
        self.status.shrink_to_fit();
        self.old.shrink_to_fit();
    }
}

/// Interns strings to small numbers.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    strings: Vec<String>,
    ids: HashMap<String, u32>,
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

    /// The string of a number.
    pub fn resolve(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }
}

/// All series and the recording time of every import.
#[derive(Debug, Clone)]
pub struct Cube {
    series: Vec<Series>,
    index: HashMap<SeriesKey, SeriesIx>,
    /// Series with no dimensions, by `(indicator × areas + area) × 6 + measure`.
    grid: Vec<SeriesIx>,
    n_areas: usize,
    recorded: Vec<i64>,
    /// Interned dimension codes; 0 is "".
    pub dims: Interner,
    /// Interned `source \u{1f} note`.
    pub metas: Interner,
    last_import: i64,
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
            index: HashMap::new(),
            grid: vec![NONE; n_indicators * n_areas * Measure::ALL.len()],
            n_areas,
            recorded: vec![],
            dims,
            metas: Interner::default(),
            last_import: 0,
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

    /// The series with this key, if any.
    #[inline]
    pub fn lookup(&self, key: SeriesKey) -> Option<&Series> {
        let ix = if key.dims == 0 {
            self.grid[self.grid_ix(key)]
        } else {
            *self.index.get(&key)?
        };
        self.series.get(ix as usize)
    }

    fn grid_ix(&self, key: SeriesKey) -> usize {
        (usize::from(key.indicator) * self.n_areas + key.area as usize) * Measure::ALL.len()
            + measure_ix(key.measure)
    }

    /// The series with this key, created if new.
    pub fn series_mut(&mut self, key: SeriesKey) -> &mut Series {
        let ix = match self.index.get(&key) {
            Some(ix) => *ix,
            None => {
                let ix =
                    SeriesIx::try_from(self.series.len()).expect("fewer than 4 billion series");
                self.series.push(Series::new(key));
                self.index.insert(key, ix);
                if key.dims == 0 {
                    let g = self.grid_ix(key);
                    self.grid[g] = ix;
                }
                ix
            }
        };
        &mut self.series[ix as usize]
    }

    /// Every series.
    pub fn all_series(&self) -> &[Series] {
        &self.series
    }

    /// The cell of `period` known as of `as_of` (`None`: the latest).
    #[inline]
    pub fn get(&self, s: &Series, period: u32, as_of: Option<i64>) -> Option<Cell> {
        let i = s.find(period)?;
        let Some(t) = as_of else {
            return Some(s.cell(i));
        };
        if self.recorded_at(s.imports[i]) <= t {
            return Some(s.cell(i));
        }
        let lo = s.old.partition_point(|o| o.period < period);
        let hi = s.old.partition_point(|o| o.period <= period);
        s.old[lo..hi]
            .iter()
            .rev()
            .find(|o| self.recorded_at(o.import) <= t)
            .map(|o| Cell {
                value: o.value,
                status: status_of(o.status),
                import: o.import,
                meta: o.meta,
            })
    }

    /// Whether the cell at index `i` is visible as of `as_of`.
    #[inline]
    pub fn visible(&self, s: &Series, i: usize, as_of: Option<i64>) -> bool {
        as_of.is_none_or(|t| self.recorded_at(s.imports[i]) <= t)
    }

    /// Adds a vintage read from the store (rows arrive ordered by series,
    /// period and recording time).
    pub fn load_row(&mut self, ix: SeriesIx, row: &ScanRow<'_>, meta: u32) {
        let s = &mut self.series[ix as usize];
        let period = u32::try_from(row.period).unwrap_or(u32::MAX);
        let import = u32::try_from(row.import_id).unwrap_or(u32::MAX);
        if s.periods.last() == Some(&period) {
            let i = s.periods.len() - 1;
            s.old.push(Old {
                period,
                import: s.imports[i],
                meta: s.metas[i],
                status: s.status[i],
                value: s.values[i],
            });
            s.values[i] = row.value;
            s.imports[i] = import;
            s.metas[i] = meta;
            s.status[i] = status_code(row.status);
        } else {
            s.periods.push(period);
            s.values.push(row.value);
            s.imports.push(import);
            s.metas.push(meta);
            s.status.push(status_code(row.status));
        }
    }

    /// Index of a series key, creating the series.
    pub fn ensure(&mut self, key: SeriesKey) -> SeriesIx {
        self.series_mut(key);
        self.index[&key]
    }

    /// Releases the slack of the load.
    pub fn shrink(&mut self) {
        for s in &mut self.series {
            s.shrink();
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
        let s = self.series_mut(key);
        match s.periods.binary_search(&period) {
            Ok(i) => {
                if s.values[i].to_bits() == o.value.to_bits()
                    && s.status[i] == code
                    && s.metas[i] == meta
                {
                    return false;
                }
                let at = s.old.partition_point(|x| x.period <= period);
                s.old.insert(
                    at,
                    Old {
                        period,
                        import: s.imports[i],
                        meta: s.metas[i],
                        status: s.status[i],
                        value: s.values[i],
                    },
                );
                s.index.not_final = s.index.not_final + u32::from(code != 2) - u32::from(s.status[i] != 2);
                s.values[i] = o.value;
                s.imports[i] = import;
                s.metas[i] = meta;
                s.status[i] = code;
            }
            Err(i) => {
                let ix = &mut s.index;
                ix.kinds |= 1 << kind_of(period);
                ix.not_final += u32::from(code != 2);
                let month = kind_of(period) == MONTH_KIND;
                ix.first_month = match ix.first_month {
                    Some((i0, _)) if i as u32 <= i0 && month => Some((i as u32, month_number(period))),
                    Some((i0, m0)) if i as u32 <= i0 => Some((i0 + 1, m0)),
                    None if month => Some((i as u32, month_number(period))),
                    other => other,
                };
                s.periods.insert(i, period);
                s.values.insert(i, o.value);
                s.imports.insert(i, import);
                s.metas.insert(i, meta);
                s.status.insert(i, code);
            }
        }
        true
    }

    /// Bytes held by the vintage columns (not counting the indexes).
    pub fn heap_bytes(&self) -> usize {
        self.series
            .iter()
            .map(|s| {
                s.periods.capacity() * 4
                    + s.values.capacity() * 8
                    + s.imports.capacity() * 4
                    + s.metas.capacity() * 4
                    + s.status.capacity()
                    + s.old.capacity() * std::mem::size_of::<Old>()
                    + std::mem::size_of::<Series>()
            })
            .sum::<usize>()
            + self.grid.capacity() * 4
    }

    /// Number of current cells and of superseded vintages.
    pub fn counts(&self) -> (usize, usize) {
        self.series
            .iter()
            .fold((0, 0), |(c, o), s| (c + s.len(), o + s.old.len()))
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

//! Evaluation of derived measures. Each measure is defined once here, in
//! the order a statistician applies the rules:
//!
//! 1. a figure **stored** for the exact key wins (a reported level, a reported
//!    growth rate); the computed value is still worked out beside it and a
//!    disagreement beyond rounding is flagged as a discrepancy;
//! 2. a **region** is the aggregate of the members it had at the end of the
//!    period, by the indicator's area rule (sum, weighted mean, none);
//! 3. an area asked for a period before it existed is evaluated on the
//!    **comparable basis**: the aggregate of its predecessors (a merger),
//!    its predecessor (a rename; a split where the indicator is intensive);
//! 4. otherwise the figure comes from other periods by the indicator's time
//!    rule: a flow's quarter, half, year and year-to-date are sums of months
//!    (or differences of stored cumulative figures), a month of a flow can be
//!    derived by differencing stored cumulative figures, a stock's period is
//!    its last month, an index's multi-month figure is the average of its
//!    months ("bình quân N tháng").
//!
//! Anything that cannot be computed is absent with a [`Why`]; nothing here
//! panics or divides by zero.

use std::collections::HashMap;
use std::fmt;

use solieu_model::{AreaAggregation, Measure, Period, Status, TimeAggregation};

use crate::cube::pkey;
use crate::model::{Engine, EngineError, Origin, Query};

/// The measures the engine derives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Derived {
    /// The level for the period.
    Value,
    /// The level from January to the end of the period ("lũy kế").
    Cumulative,
    /// % change on the previous period of the same kind.
    MomPct,
    /// % change on the same period of the previous year ("so với cùng kỳ").
    YoyPct,
    /// % change of the year-to-date on the same months of the previous year.
    CumulativeYoyPct,
    /// Year-to-date as % of the annual plan.
    PlanPct,
    /// The annual plan level.
    Plan,
    /// Year-to-date growth minus the planned growth rate, in points.
    TargetGapPp,
    /// % of the total of the area's region (or parent).
    SharePct,
    /// Rank by value among the region's (or parent's) members, 1 = largest.
    Rank,
    /// Rank by year-on-year growth among the same group, 1 = fastest.
    RankYoy,
    /// Change on the same period of the previous year in percentage points:
    /// for a ratio, a share or a rate ("tăng 0,5 điểm phần trăm").
    ChangePp,
    /// Change on the previous period of the same kind in percentage points.
    MomChangePp,
    /// Average annual growth over a span of years (`2016/2020`), %: the
    /// geometric mean of the yearly growth rates, the year before the span
    /// as base ("tăng bình quân 2016–2020").
    AvgAnnualGrowthPct,
}

impl Derived {
    /// Every measure, in display order.
    pub const ALL: [Derived; 14] = [
        Derived::Value,
        Derived::Cumulative,
        Derived::MomPct,
        Derived::YoyPct,
        Derived::CumulativeYoyPct,
        Derived::PlanPct,
        Derived::Plan,
        Derived::TargetGapPp,
        Derived::SharePct,
        Derived::Rank,
        Derived::RankYoy,
        Derived::ChangePp,
        Derived::MomChangePp,
        Derived::AvgAnnualGrowthPct,
    ];

    /// Name on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Derived::Value => "value",
            Derived::Cumulative => "cumulative",
            Derived::MomPct => "mom_pct",
            Derived::YoyPct => "yoy_pct",
            Derived::CumulativeYoyPct => "cumulative_yoy_pct",
            Derived::PlanPct => "plan_pct",
            Derived::Plan => "plan",
            Derived::TargetGapPp => "target_gap_pp",
            Derived::SharePct => "share_pct",
            Derived::Rank => "rank",
            Derived::RankYoy => "rank_yoy",
            Derived::ChangePp => "change_pp",
            Derived::MomChangePp => "mom_change_pp",
            Derived::AvgAnnualGrowthPct => "avg_annual_growth_pct",
        }
    }

    /// Parses [`Derived::as_str`]; `level` is accepted for `value`.
    pub fn parse(s: &str) -> Option<Derived> {
        let s = s.trim();
        if s == "level" {
            return Some(Derived::Value);
        }
        Derived::ALL.iter().copied().find(|d| d.as_str() == s)
    }

    /// Whether the value is in the indicator's unit (else %, points or a rank).
    pub fn in_indicator_unit(self) -> bool {
        matches!(self, Derived::Value | Derived::Cumulative | Derived::Plan)
    }
}

impl fmt::Display for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a figure is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Nothing stored, and nothing to derive it from.
    NoData,
    /// No figure for the same period of the previous year.
    NoPreviousYear,
    /// No figure for the previous period.
    NoPreviousPeriod,
    /// The base of a ratio is zero.
    ZeroBase,
    /// Months of the period are missing.
    Incomplete {
        /// How many.
        missing: u16,
    },
    /// Members of the region (or predecessors of the area) lack the figure.
    PartialGroup {
        /// How many.
        missing: u16,
    },
    /// The indicator is not aggregated across areas.
    NotAggregated,
    /// The weights of a weighted mean are missing.
    NoWeight,
    /// The area was split: a summed indicator has no comparable basis.
    Split,
    /// The area did not exist in the period and has no predecessors.
    OutsideValidity,
    /// The measure does not apply here.
    NotApplicable(&'static str),
    /// No plan level for the year.
    NoPlan,
    /// No planned growth rate for the year.
    NoTarget,
    /// The area has no region or parent to compare within.
    NoGroup,
    /// The result is not a finite number.
    Overflow,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::NoData => f.write_str("no figure stored or derivable"),
            Why::NoPreviousYear => {
                f.write_str("no figure for the same period of the previous year")
            }
            Why::NoPreviousPeriod => f.write_str("no figure for the previous period"),
            Why::ZeroBase => f.write_str("the base is zero"),
            Why::Incomplete { missing } => write!(f, "{missing} month(s) of the period missing"),
            Why::PartialGroup { missing } => {
                write!(f, "{missing} member area(s) without the figure")
            }
            Why::NotAggregated => f.write_str("the indicator is not aggregated across areas"),
            Why::NoWeight => f.write_str("the weights of the weighted mean are missing"),
            Why::Split => {
                f.write_str("the area was split: no comparable basis for a summed indicator")
            }
            Why::OutsideValidity => {
                f.write_str("the area did not exist in the period and has no predecessors")
            }
            Why::NotApplicable(s) => write!(f, "not applicable: {s}"),
            Why::NoPlan => f.write_str("no plan level for the year"),
            Why::NoTarget => f.write_str("no planned growth rate for the year"),
            Why::NoGroup => f.write_str("the area belongs to no region or parent"),
            Why::Overflow => f.write_str("the result is not a finite number"),
        }
    }
}

/// How a figure was obtained (bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// Stored as reported by a source.
    pub const REPORTED: u8 = 1;
    /// Derived from other periods: differencing cumulative figures, or
    /// averaging an index's months.
    pub const DERIVED: u8 = 2;
    /// Aggregated over a region's members.
    pub const AGGREGATED: u8 = 4;
    /// On the comparable basis: from predecessors of the area.
    pub const COMPARABLE: u8 = 8;
    /// A regional total with an estimate for a member that has not reported.
    pub const ESTIMATED: u8 = 16;
    /// Computed by the indicator's formula from other indicators.
    pub const FORMULA: u8 = 32;

    /// Whether a flag is set.
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// The flags as words.
    pub fn words(self) -> Vec<&'static str> {
        [
            (Self::REPORTED, "reported"),
            (Self::DERIVED, "derived"),
            (Self::AGGREGATED, "aggregated"),
            (Self::COMPARABLE, "comparable basis"),
            (Self::ESTIMATED, "estimated"),
            (Self::FORMULA, "formula"),
        ]
        .iter()
        .filter(|(b, _)| self.has(*b))
        .map(|(_, w)| *w)
        .collect()
    }
}

/// A stored vintage a figure was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Indicator code.
    pub indicator: String,
    /// Area key.
    pub area: String,
    /// Stored measure.
    pub measure: Measure,
    /// Dimension codes.
    pub dims: String,
    /// Period.
    pub period: Period,
    /// Value.
    pub value: f64,
    /// Status.
    pub status: Status,
    /// Import number.
    pub import_id: u32,
    /// Recording time, µs since the epoch.
    pub recorded_at: i64,
    /// Source (and note, after a tab).
    pub source: String,
}

/// One derived figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The value; `None` when absent (see `why`).
    pub value: Option<f64>,
    /// Why it is absent.
    pub why: Option<Why>,
    /// The weakest status of its inputs.
    pub status: Status,
    /// How it was obtained.
    pub flags: Flags,
    /// The reported figure, when one is stored.
    pub reported: Option<f64>,
    /// The computed figure, when it can be computed.
    pub computed: Option<f64>,
    /// Reported and computed disagree beyond rounding.
    pub discrepancy: bool,
    /// For ranks: the number of areas ranked.
    pub out_of: Option<u32>,
    /// The stored vintages used (with [`Options::explain`]).
    pub inputs: Vec<Input>,
}

impl Figure {
    /// An absent figure and why.
    pub fn absent(why: Why) -> Figure {
        Figure {
            value: None,
            why: Some(why),
            status: Status::Final,
            flags: Flags::default(),
            reported: None,
            computed: None,
            discrepancy: false,
            out_of: None,
            inputs: vec![],
        }
    }

    fn of(r: R) -> Figure {
        match r {
            Ok(v) if !v.v.is_finite() => Figure::absent(Why::Overflow),
            Ok(v) => Figure {
                value: Some(v.v),
                why: None,
                status: v.status,
                flags: Flags(v.flags),
                reported: None,
                computed: Some(v.v),
                discrepancy: false,
                out_of: None,
                inputs: vec![],
            },
            Err(w) => Figure::absent(w),
        }
    }
}

/// Which of a reported and a computed figure to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prefer {
    /// The reported one where stored (the default: sources know more, e.g.
    /// growth at constant prices).
    #[default]
    Reported,
    /// The computed one, always (the reported one is still returned beside).
    Computed,
}

/// Whether to reach across boundary changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Basis {
    /// An area asked for a period before it existed is evaluated from its
    /// predecessors (the default).
    #[default]
    Comparable,
    /// Only figures of the area itself.
    AsReported,
}

/// Evaluation options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Evaluate over the vintages recorded up to this time (µs); `None`: all.
    pub as_of: Option<i64>,
    /// Reported or computed.
    pub prefer: Prefer,
    /// Comparable basis or not.
    pub basis: Basis,
    /// Collect the inputs of every figure.
    pub explain: bool,
    /// Leave a regional total absent when a member has not reported,
    /// instead of estimating the member's figure.
    pub no_estimates: bool,
}

/// Tolerance of a reported growth rate against the computed one, in points:
/// published rates carry one decimal and are computed from unrounded levels.
pub const PCT_TOLERANCE: f64 = 0.1;
/// Relative tolerance of a reported level against the computed one (the sum
/// of rounded months differs from the rounded total).
pub const LEVEL_TOLERANCE: f64 = 0.001;

#[derive(Debug, Clone, Copy)]
struct V {
    v: f64,
    status: Status,
    flags: u8,
}

type R = Result<V, Why>;

fn join(a: V, b: V, v: f64) -> V {
    V {
        v,
        status: a.status.weakest(b.status),
        flags: a.flags | b.flags,
    }
}

fn ratio_pct(cur: V, base: V) -> R {
    if base.v == 0.0 {
        return Err(Why::ZeroBase);
    }
    Ok(join(cur, base, (cur.v / base.v - 1.0) * 100.0))
}

/// Growth of `cur` over `base`; a base with no data (or missing months)
/// is absent for the reason `missing` names, other reasons pass through.
fn growth(cur: V, base: R, missing: Why) -> R {
    match base {
        Ok(b) => ratio_pct(cur, b),
        Err(Why::NoData | Why::Incomplete { .. }) => Err(missing),
        Err(w) => Err(w),
    }
}

/// The period a plan is set for: the year, or the span of years.
fn plan_period(p: Period) -> Period {
    match p {
        Period::Span(..) => p,
        _ => Period::Year(p.year()),
    }
}

fn prev_of(p: Period) -> Option<Period> {
    Some(match p {
        Period::Month(y, 1) => Period::Month(y - 1, 12),
        Period::Month(y, m) => Period::Month(y, m - 1),
        Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
        Period::Quarter(y, q) => Period::Quarter(y, q - 1),
        Period::Half(y, 1) => Period::Half(y - 1, 2),
        Period::Half(y, h) => Period::Half(y, h - 1),
        // the span before: 2016/2020 for 2021/2025
        Period::Span(y, n) => Period::Span(y - i32::from(n), n),
        Period::Year(_) | Period::Cumulative(..) => return None,
    })
}

/// The year-to-date period ending with `p`.
fn ytd(p: Period) -> Period {
    match p {
        Period::Year(_) | Period::Span(..) => p,
        _ => Period::Cumulative(p.year(), p.months().1),
    }
}

/// The cells holding the year-to-date sums of a month and of the same month
/// a year earlier, by position; [`YtdSlots::read`] reads them (the reads of
/// many requests can then overlap in memory).
struct YtdSlots<'e> {
    s: crate::SeriesRef<'e>,
    cur: (u32, usize),
    base: (u32, usize),
}

impl YtdSlots<'_> {
    fn sum(&self, (period, guess): (u32, usize)) -> Option<V> {
        let i = match self.s.period_at(guess) {
            Some(p) if p == period => guess,
            _ => self.s.find(period)?,
        };
        let (v, status) = self.s.ytd_at(i)?;
        Some(V {
            v,
            status,
            flags: 0,
        })
    }

    /// The growth, or `None` when a month is missing (then the rules say why).
    fn read(&self) -> Option<R> {
        let cur = self.sum(self.cur)?;
        let base = self.sum(self.base)?;
        Some(ratio_pct(cur, base))
    }
}

/// Indicator, area and dimension numbers of a request.
type Resolved = (u16, u32, u32);

/// The scores of a group's members for one indicator, period and measure.
struct GroupScores {
    /// by area number
    members: Vec<(u32, R)>,
    /// the values present, largest first
    sorted: Vec<f64>,
    missing: usize,
    status: Status,
}

type GroupMemo = HashMap<(u16, u32, bool, u32, u32, bool), std::rc::Rc<GroupScores>>;

/// The scores of the codes of one breakdown (indicator, area, the whole they
/// are part of, the breakdown, period, by growth), largest first, with the
/// weakest status among them.
type PartMemo = HashMap<(u16, u32, String, String, u32, bool), std::rc::Rc<(Vec<f64>, Status)>>;

struct Ev<'e> {
    e: &'e Engine,
    o: Options,
    dims: u32,
    depth: u8,
    trace: Vec<Input>,
    groups: GroupMemo,
    parts: PartMemo,
    /// Sums of parts already worked out: (indicator, area, breakdown, period).
    sums: rustc_hash::FxHashMap<(u16, u32, u32, u32), R>,
    /// The breakdown texts of each indicator's series (dimension numbers).
    dims_of: HashMap<u16, std::rc::Rc<Vec<u32>>>,
}

impl Engine {
    /// Evaluates one figure.
    pub fn eval(&self, q: &Query<'_>, o: &Options) -> Result<Figure, EngineError> {
        Ok(self.eval_many(std::slice::from_ref(q), o)?.remove(0))
    }

    /// Evaluates many figures, sharing the work of regional groups (ranks);
    /// large requests are split over the machine's cores.
    pub fn eval_many(&self, qs: &[Query<'_>], o: &Options) -> Result<Vec<Figure>, EngineError> {
        const PER_THREAD: usize = 2_000;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut out = vec![Figure::absent(Why::NoData); qs.len()];
        if qs.len() < 2 * PER_THREAD || threads < 2 || o.explain {
            self.eval_serial(qs, o, &mut out)?;
            return Ok(out);
        }
        // each thread fills its own part of the result in place
        let size = qs.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = qs
                .chunks(size)
                .zip(out.chunks_mut(size))
                .map(|(q, part)| s.spawn(move || self.eval_serial(q, o, part)))
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().expect("evaluation does not panic"))
        })?;
        Ok(out)
    }

    /// Evaluates `qs` into `out` (of the same length).
    fn eval_serial<'q>(
        &self,
        qs: &[Query<'q>],
        o: &Options,
        out: &mut [Figure],
    ) -> Result<(), EngineError> {
        let mut ev = Ev {
            e: self,
            o: *o,
            dims: 0,
            depth: 0,
            trace: vec![],
            groups: HashMap::new(),
            parts: HashMap::new(),
            sums: rustc_hash::FxHashMap::default(),
            dims_of: HashMap::new(),
        };
        // requests come in runs of one indicator or one area: resolve once per run
        let mut last: Option<(&'q str, &'q str, &'q str, Resolved)> = None;
        let mut resolve = |q: &Query<'q>| -> Result<Resolved, EngineError> {
            match last {
                Some((i, a, d, ids)) if i == q.indicator && a == q.area && d == q.dims => Ok(ids),
                _ => {
                    let ids = self.resolve(q)?;
                    last = Some((q.indicator, q.area, q.dims, ids));
                    Ok(ids)
                }
            }
        };
        let mut rest = qs;
        let mut at = 0;
        while !rest.is_empty() {
            // runs of year-to-date growth rates: the cells of a batch are
            // located first and read together, so that their memory reads overlap
            let run = rest
                .iter()
                .take(BULK)
                .take_while(|q| {
                    q.measure == Derived::CumulativeYoyPct
                        && self.ind_ix.contains_key(q.indicator)
                        && (q.dims.is_empty() || self.cube.dims.get(q.dims).is_some())
                })
                .count();
            if run > 1 && !o.explain && o.as_of.is_none() {
                let ids = rest[..run]
                    .iter()
                    .map(&mut resolve)
                    .collect::<Result<Vec<_>, _>>()?;
                ev.bulk_ytd_yoy(&rest[..run], &ids, &mut out[at..at + run]);
                rest = &rest[run..];
                at += run;
                continue;
            }
            let q = &rest[0];
            let (ind, area, dims) = match resolve(q) {
                Ok(x) => x,
                // a breakdown nothing is stored under: no figure, not an error
                Err(EngineError::UnknownDims(_)) => {
                    out[at] = Figure::absent(Why::NoData);
                    rest = &rest[1..];
                    at += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            ev.dims = dims;
            ev.trace.clear();
            let mut f = ev.measure(ind, area, q.period, q.measure);
            f.inputs = std::mem::take(&mut ev.trace);
            out[at] = f;
            rest = &rest[1..];
            at += 1;
        }
        Ok(())
    }
}

/// Requests located together by the bulk path.
const BULK: usize = 32;

impl<'e> Ev<'e> {
    /// Year-to-date growth rates for a run of requests: the same figures as
    /// [`Ev::measure`] gives one by one.
    fn bulk_ytd_yoy(&mut self, qs: &[Query<'_>], ids: &[Resolved], out: &mut [Figure]) {
        let mut slots: [Option<YtdSlots<'e>>; BULK] = [const { None }; BULK];
        for (k, (q, (ind, area, dims))) in qs.iter().zip(ids).enumerate() {
            self.dims = *dims;
            slots[k] = self.ytd_slots(*ind, *area, ytd(q.period));
        }
        let mut read: [Option<R>; BULK] = [None; BULK];
        for (r, s) in read.iter_mut().zip(&slots) {
            *r = s.as_ref().and_then(YtdSlots::read);
        }
        for (k, (q, (ind, area, dims))) in qs.iter().zip(ids).enumerate() {
            self.dims = *dims;
            let f = match read[k] {
                Some(computed) => {
                    let p = ytd(q.period);
                    let reported = self.stored_alias(*ind, *area, Measure::YoyPct, p);
                    self.combine(reported, computed, true, *ind)
                }
                None => self.measure(*ind, *area, q.period, q.measure),
            };
            out[k] = f;
        }
    }

    fn measure(&mut self, ind: u16, area: u32, p: Period, m: Derived) -> Figure {
        let time = self.e.ind_info[ind as usize].time;
        match m {
            Derived::Value => self.value(ind, area, p),
            Derived::Cumulative => match time {
                TimeAggregation::Stock => self.value(ind, area, p),
                _ => self.value(ind, area, ytd(p)),
            },
            Derived::YoyPct => self.yoy(ind, area, p),
            Derived::CumulativeYoyPct => self.yoy(ind, area, ytd(p)),
            Derived::MomPct => self.mom(ind, area, p),
            Derived::Plan => Figure::of(self.plan_level(ind, area, plan_period(p))),
            Derived::AvgAnnualGrowthPct => self.avg_growth(ind, area, p),
            Derived::PlanPct => self.plan_pct(ind, area, p),
            Derived::TargetGapPp => self.target_gap(ind, area, p),
            Derived::SharePct if self.dims != 0 => Figure::of(self.part_share(ind, area, p)),
            Derived::Rank if self.dims != 0 => self.part_rank(ind, area, p, false),
            Derived::RankYoy if self.dims != 0 => self.part_rank(ind, area, p, true),
            Derived::SharePct => Figure::of(self.share(ind, area, p)),
            Derived::Rank => self.rank(ind, area, p, false),
            Derived::RankYoy => self.rank(ind, area, p, true),
            Derived::ChangePp => Figure::of(self.change_pp(ind, area, p, p.previous_year())),
            Derived::MomChangePp => match prev_of(p) {
                Some(prev) => Figure::of(self.change_pp(ind, area, p, prev)),
                None => Figure::absent(Why::NotApplicable(
                    "a year or year-to-date has no previous period; use change_pp",
                )),
            },
        }
    }

    /// The change of a percentage between two periods, in percentage points.
    fn change_pp(&mut self, ind: u16, area: u32, p: Period, base: Period) -> R {
        let info = &self.e.ind_info[ind as usize];
        if !info.percent {
            return Err(Why::NotApplicable(
                "percentage points measure the change of a percentage (a share, a ratio, a rate); use yoy_pct",
            ));
        }
        if info.time == TimeAggregation::Index {
            return Err(Why::NotApplicable(
                "an index on the same period of the previous year: its change is yoy_pct",
            ));
        }
        let cur = self.level(ind, area, p)?;
        let missing = if base == p.previous_year() {
            Why::NoPreviousYear
        } else {
            Why::NoPreviousPeriod
        };
        match self.level(ind, area, base) {
            Ok(b) => Ok(join(cur, b, cur.v - b.v)),
            Err(Why::NoData | Why::Incomplete { .. }) => Err(missing),
            Err(w) => Err(w),
        }
    }

    // ---- formulas ------------------------------------------------------

    /// A formula indicator's level: its formula over its inputs' levels
    /// for the same area and period, each by its own rules.
    fn formula(&mut self, f: &crate::formula::Compiled, area: u32, p: Period) -> R {
        use crate::formula::Compiled as C;
        let num = |v: f64| V {
            v,
            status: Status::Final,
            flags: 0,
        };
        match f {
            C::Num(v) => Ok(num(*v)),
            C::Input(None, _) | C::Invalid => Err(Why::NoData),
            C::Input(Some(ind), dims) => {
                let d = if dims.is_empty() {
                    Some(0)
                } else {
                    self.e.cube.dims.get(dims)
                };
                let d = d.ok_or(Why::NoData)?;
                self.with_dims(d, |ev| ev.level(*ind, area, p))
            }
            C::Neg(a) => self.formula(a, area, p).map(|v| V { v: -v.v, ..v }),
            C::Bin(op, a, b) => {
                let x = self.formula(a, area, p)?;
                let y = self.formula(b, area, p)?;
                let v = match op {
                    '+' => x.v + y.v,
                    '-' => x.v - y.v,
                    '*' => x.v * y.v,
                    _ if y.v == 0.0 => return Err(Why::ZeroBase),
                    _ => x.v / y.v,
                };
                Ok(join(x, y, v))
            }
            C::Call(name, args) => {
                let vals = args
                    .iter()
                    .map(|a| self.formula(a, area, p))
                    .collect::<Result<Vec<_>, _>>()?;
                match (*name, vals.as_slice()) {
                    ("abs", [a]) => Ok(V { v: a.v.abs(), ..*a }),
                    ("min", [a, b]) => Ok(join(*a, *b, a.v.min(b.v))),
                    ("max", [a, b]) => Ok(join(*a, *b, a.v.max(b.v))),
                    _ => Err(Why::NoData),
                }
            }
        }
    }

    // ---- breakdowns ----------------------------------------------------

    /// The dimension text of the current figure with its first code taken
    /// out (`PRODUCT=ELECTRONICS;MARKET=US` → `MARKET=US`): the whole it
    /// is a part of, and the name of the breakdown that varies.
    fn whole_of(&self) -> (String, String) {
        let text = self.e.cube.dims.resolve(self.dims);
        let mut parts = text.split(';');
        let first = parts.next().unwrap_or_default();
        let name = first.split_once('=').map_or(first, |(n, _)| n).to_string();
        (parts.collect::<Vec<_>>().join(";"), name)
    }

    /// A figure with another dimension number (the current one kept).
    fn with_dims<T>(&mut self, dims: u32, f: impl FnOnce(&mut Self) -> T) -> T {
        let keep = std::mem::replace(&mut self.dims, dims);
        let r = f(self);
        self.dims = keep;
        r
    }

    /// % of the whole the current breakdown code is part of.
    fn part_share(&mut self, ind: u16, area: u32, p: Period) -> R {
        let (whole, _) = self.whole_of();
        let whole = if whole.is_empty() {
            Some(0)
        } else {
            self.e.cube.dims.get(&whole)
        };
        let own = self.level(ind, area, p)?;
        let total = self.with_dims(whole.ok_or(Why::NoData)?, |ev| ev.level(ind, area, p))?;
        if total.v == 0.0 {
            return Err(Why::ZeroBase);
        }
        Ok(join(own, total, own.v / total.v * 100.0))
    }

    /// Rank of the current breakdown code among the codes of the same
    /// breakdown stored for this indicator (the other codes fixed), 1 = the
    /// largest; codes with no figure for the period are not ranked.
    fn part_rank(&mut self, ind: u16, area: u32, p: Period, by_growth: bool) -> Figure {
        let own_dims = self.dims;
        let (whole, name) = self.whole_of();
        let score = |ev: &mut Self, d: u32| -> R {
            ev.with_dims(d, |ev| {
                if by_growth {
                    let f = ev.yoy(ind, area, p);
                    f.value
                        .map(|v| V {
                            v,
                            status: f.status,
                            flags: f.flags.0,
                        })
                        .ok_or(f.why.unwrap_or(Why::NoData))
                } else {
                    ev.level(ind, area, p)
                }
            })
        };
        let own = match score(self, own_dims) {
            Ok(v) => v,
            Err(w) => return Figure::absent(w),
        };
        let memo_key = (ind, area, whole.clone(), name.clone(), pkey(p), by_growth);
        // the memo is skipped when explaining, so that every rank lists its inputs
        let scores = match self.parts.get(&memo_key) {
            Some(s) if !self.o.explain => s.clone(),
            _ => {
                let all = match self.dims_of.get(&ind) {
                    Some(d) => d.clone(),
                    None => {
                        // stored breakdowns, and those derivable from them
                        let mut d = self.e.cube.dims_of(ind);
                        d.extend(
                            self.e
                                .below
                                .iter()
                                .filter(|(i, _, _)| *i == ind)
                                .map(|(_, _, x)| *x),
                        );
                        d.sort_unstable();
                        d.dedup();
                        let d = std::rc::Rc::new(d);
                        self.dims_of.insert(ind, d.clone());
                        d
                    }
                };
                let siblings: Vec<u32> = all
                    .iter()
                    .copied()
                    .filter(|d| {
                        let t = self.e.cube.dims.resolve(*d);
                        let mut it = t.split(';');
                        let first = it.next().unwrap_or_default();
                        first.split_once('=').is_some_and(|(n, _)| n == name)
                            && it.collect::<Vec<_>>().join(";") == whole
                    })
                    .collect();
                let mut values = vec![];
                let mut status = Status::Final;
                for d in siblings {
                    if let Ok(v) = score(self, d) {
                        status = status.weakest(v.status);
                        values.push(v.v);
                    }
                }
                values.sort_by(|a, b| b.total_cmp(a));
                let s = std::rc::Rc::new((values, status));
                self.parts.insert(memo_key, s.clone());
                s
            }
        };
        let above = scores.0.partition_point(|v| *v > own.v);
        let mut f = Figure::of(Ok(V {
            v: (above + 1) as f64,
            status: own.status.weakest(scores.1),
            flags: own.flags,
        }));
        f.out_of = Some(u32::try_from(scores.0.len().max(1)).unwrap_or(u32::MAX));
        f
    }

    /// A figure of an indicator with a complete breakdown that has no code
    /// of it (the total, or exports of a product over all markets) and
    /// nothing stored or derivable: the sum of the breakdown's top-level
    /// codes, when the codes stored for the area cover it (every code, or
    /// the residual "other"). The first such breakdown that covers is used.
    fn sum_of_parts(&mut self, ind: u16, area: u32, p: Period) -> R {
        let e = self.e;
        let info = &e.ind_info[ind as usize];
        let own = e.cube.dims.resolve(self.dims);
        for (name, codes, residual) in &info.complete {
            if own
                .split(';')
                .any(|x| x.split_once('=').is_some_and(|(n, _)| n == name))
            {
                continue;
            }
            let Some(children) = e.parts_of.get(&(self.dims, name.clone())) else {
                continue;
            };
            // the top-level codes with a series, or series under them, in this area
            let mut stored: Vec<u32> = vec![];
            let mut with_residual = false;
            for (d, code) in children {
                if !crate::model::is_top(codes, code) {
                    continue;
                }
                if e.cube
                    .lookup(e.key(ind, area, Measure::Level, *d))
                    .is_some()
                    || e.below.contains(&(ind, area, *d))
                {
                    stored.push(*d);
                    with_residual |= residual.as_deref() == Some(code.as_str());
                }
            }
            if stored.is_empty() || !(stored.len() == codes.len() || with_residual) {
                continue;
            }
            let mut acc = V {
                v: 0.0,
                status: Status::Final,
                flags: Flags::AGGREGATED | Flags::DERIVED,
            };
            let mut missing = 0u16;
            for d in stored {
                match self.with_dims(d, |ev| ev.level(ind, area, p)) {
                    Ok(v) => acc = join(acc, v, acc.v + v.v),
                    Err(_) => missing += 1,
                }
            }
            return if missing > 0 {
                Err(Why::Incomplete { missing })
            } else {
                Ok(acc)
            };
        }
        Err(Why::NoData)
    }

    // ---- stored figures ----------------------------------------------

    fn stored(&mut self, ind: u16, area: u32, m: Measure, p: Period) -> Option<V> {
        let key = self.e.key(ind, area, m, self.dims);
        let s = self.e.cube.lookup(key)?;
        let c = self.e.cube.get(s, pkey(p), self.o.as_of)?;
        if self.o.explain {
            self.note(ind, area, m, p, c);
        }
        Some(V {
            v: c.value,
            status: c.status,
            flags: 0,
        })
    }

    fn note(&mut self, ind: u16, area: u32, m: Measure, p: Period, c: crate::Cell) {
        let meta = self.e.cube.metas.resolve(c.meta).replace('\u{1f}', "\t");
        self.trace.push(Input {
            indicator: self.e.ind_code(ind).to_string(),
            area: self.e.area_key(area).to_string(),
            measure: m,
            dims: self.e.cube.dims.resolve(self.dims).to_string(),
            period: p,
            value: c.value,
            status: c.status,
            import_id: c.import,
            recorded_at: self.e.cube.recorded_at(c.import),
            source: meta.trim_end().to_string(),
        });
    }

    /// A stored figure under the key or its equivalent: for a flow (and an
    /// index) January is the year-to-date of one month, and a flow's year is
    /// its year-to-date of twelve.
    fn stored_alias(&mut self, ind: u16, area: u32, m: Measure, p: Period) -> Option<V> {
        if let Some(v) = self.stored(ind, area, m, p) {
            return Some(v);
        }
        let time = self.e.ind_info[ind as usize].time;
        let alias = match (time, p) {
            (TimeAggregation::Stock, _) => None,
            (_, Period::Month(y, 1)) => Some(Period::Cumulative(y, 1)),
            (_, Period::Cumulative(y, 1)) => Some(Period::Month(y, 1)),
            (TimeAggregation::Flow | TimeAggregation::Mean, Period::Year(y)) => {
                Some(Period::Cumulative(y, 12))
            }
            (TimeAggregation::Flow | TimeAggregation::Mean, Period::Cumulative(y, 12)) => {
                Some(Period::Year(y))
            }
            _ => None,
        };
        alias.and_then(|a| self.stored(ind, area, m, a))
    }

    // ---- levels --------------------------------------------------------

    fn level(&mut self, ind: u16, area: u32, p: Period) -> R {
        self.level_with(ind, area, p, false)
    }

    fn level_with(&mut self, ind: u16, area: u32, p: Period, skip_stored: bool) -> R {
        if self.depth > 24 {
            return Err(Why::NoData);
        }
        if !skip_stored {
            if let Some(v) = self.stored_alias(ind, area, Measure::Level, p) {
                return Ok(v);
            }
        }
        if let Some(f) = self.e.ind_info[ind as usize].formula.clone() {
            self.depth += 1;
            let r = self.formula(&f, area, p).map(|v| V {
                flags: v.flags | Flags::FORMULA,
                ..v
            });
            self.depth -= 1;
            return r;
        }
        self.depth += 1;
        let r = if self.e.areas[area as usize].is_region {
            let members = self.e.members_on(area, p.end_date());
            if members.is_empty() {
                Err(Why::NoGroup)
            } else {
                self.aggregate(ind, &members, p, Flags::AGGREGATED)
            }
        } else if !self.e.accepts(area, p) {
            self.comparable(ind, area, p)
        } else if self.only_parts(ind, area) {
            // nothing stored under this key, only under its parts: their sum
            // at once (a year-to-date of each part, not month by month)
            self.parts_memoised(ind, area, p)
        } else {
            let r = self.over_time(ind, area, p);
            match r {
                Err(_) if self.e.ind_info[ind as usize].has_parts() => {
                    self.parts_memoised(ind, area, p).or(r)
                }
                r => r,
            }
        };
        let r = match r {
            // a region or an area across a boundary change: its own parts
            Err(_)
                if self.e.ind_info[ind as usize].has_parts()
                    && (self.e.areas[area as usize].is_region || !self.e.accepts(area, p)) =>
            {
                self.parts_memoised(ind, area, p).or(r)
            }
            r => r,
        };
        self.depth -= 1;
        r
    }

    /// Whether the current breakdown of an area has no series of its own
    /// but has series under it (a product over all markets, stored by market).
    fn only_parts(&self, ind: u16, area: u32) -> bool {
        let e = self.e;
        e.ind_info[ind as usize].has_parts()
            && e.cube
                .lookup(e.key(ind, area, Measure::Level, self.dims))
                .is_none()
            && (self.dims == 0 || e.below.contains(&(ind, area, self.dims)))
    }

    /// [`Ev::sum_of_parts`], worked out once per request (shares and ranks
    /// ask for the same wholes again and again); not when explaining, so
    /// that every figure lists its inputs.
    fn parts_memoised(&mut self, ind: u16, area: u32, p: Period) -> R {
        if self.o.explain {
            return self.sum_of_parts(ind, area, p);
        }
        let k = (ind, area, self.dims, pkey(p));
        if let Some(r) = self.sums.get(&k) {
            return *r;
        }
        let r = self.sum_of_parts(ind, area, p);
        self.sums.insert(k, r);
        r
    }

    fn comparable(&mut self, ind: u16, area: u32, p: Period) -> R {
        let a = &self.e.areas[area as usize];
        if self.o.basis == Basis::AsReported || a.preds.is_empty() {
            return Err(Why::OutsideValidity);
        }
        let preds = a.preds.clone();
        let mark = |r: R| {
            r.map(|v| V {
                flags: v.flags | Flags::COMPARABLE,
                ..v
            })
        };
        match a.origin {
            Some(Origin::Continuation) => mark(self.level(ind, preds[0], p)),
            Some(Origin::Merge) => self.aggregate(ind, &preds, p, Flags::COMPARABLE),
            Some(Origin::Split) | None => {
                let intensive = !matches!(self.e.ind_info[ind as usize].area, AreaAggregation::Sum);
                if intensive && preds.len() == 1 {
                    mark(self.level(ind, preds[0], p))
                } else {
                    Err(Why::Split)
                }
            }
        }
    }

    fn aggregate(&mut self, ind: u16, areas: &[u32], p: Period, flag: u8) -> R {
        let rule = self.e.ind_info[ind as usize].area.clone();
        let weight = self.e.ind_info[ind as usize].weight;
        let mut acc = V {
            v: 0.0,
            status: Status::Final,
            flags: flag,
        };
        let mut missing = 0u16;
        match rule {
            AreaAggregation::None => Err(Why::NotAggregated),
            AreaAggregation::Sum => {
                let mut present = vec![];
                let mut absent = vec![];
                for a in areas {
                    match self.level(ind, *a, p) {
                        Ok(v) => {
                            acc = join(acc, v, acc.v + v.v);
                            present.push((*a, v));
                        }
                        Err(_) => absent.push(*a),
                    }
                }
                if absent.is_empty() {
                    return Ok(acc);
                }
                let partial = Err(Why::PartialGroup {
                    missing: u16::try_from(absent.len()).unwrap_or(u16::MAX),
                });
                if self.o.no_estimates || flag != Flags::AGGREGATED || present.is_empty() {
                    return partial;
                }
                match self.estimates(ind, &present, &absent, p) {
                    Some(est) => Ok(join(acc, est, acc.v + est.v)),
                    None => partial,
                }
            }
            AreaAggregation::Weighted(_) => {
                let Some(w) = weight else {
                    return Err(Why::NoWeight);
                };
                let mut total_w = 0.0;
                for a in areas {
                    let Ok(v) = self.level(ind, *a, p) else {
                        missing += 1;
                        continue;
                    };
                    let dims = std::mem::replace(&mut self.dims, 0);
                    let wv = self
                        .level(w, *a, p)
                        .or_else(|_| self.level(w, *a, Period::Year(p.year())));
                    self.dims = dims;
                    let Ok(wv) = wv else {
                        return Err(Why::NoWeight);
                    };
                    total_w += wv.v;
                    acc = join(join(acc, v, acc.v + v.v * wv.v), wv, acc.v + v.v * wv.v);
                }
                if missing > 0 {
                    Err(Why::PartialGroup { missing })
                } else if total_w == 0.0 {
                    Err(Why::ZeroBase)
                } else {
                    acc.v /= total_w;
                    Ok(acc)
                }
            }
        }
    }

    /// The estimated figures of the members of a region that have not
    /// reported (`absent`), summed, by the indicator's method: `growth`
    /// (the default) is each one's figure for the same period a year
    /// earlier × the growth of the members that reported (Σ now ÷ Σ a year
    /// earlier, over those with both); `last` its figure for the previous
    /// period (a year or year-to-date: a year earlier); `seasonal` the
    /// mean of its figures for the same period in the three years before.
    /// `None` when that cannot be worked out (a member new this year, no
    /// base) or the method is `none`.
    fn estimates(
        &mut self,
        ind: u16,
        present: &[(u32, V)],
        absent: &[u32],
        p: Period,
    ) -> Option<V> {
        use solieu_model::EstimateMethod as M;
        let method = self.e.ind_info[ind as usize].estimate;
        let base_p = p.previous_year();
        let growth = match method {
            M::None => return None,
            M::Growth => {
                let (mut now, mut before) = (0.0, 0.0);
                for (a, v) in present {
                    if let Ok(b) = self.level(ind, *a, base_p) {
                        now += v.v;
                        before += b.v;
                    }
                }
                if before == 0.0 {
                    return None;
                }
                now / before
            }
            M::Last | M::Seasonal => 1.0,
        };
        let mut acc = V {
            v: 0.0,
            status: Status::Estimate,
            flags: Flags::ESTIMATED,
        };
        for a in absent {
            let (v, how) = match method {
                M::Growth => {
                    let b = self.level(ind, *a, base_p).ok()?;
                    (
                        b.v * growth,
                        format!(
                            "{base_p} ({}) × the growth of the members that reported ({:+.2}%)",
                            b.v,
                            (growth - 1.0) * 100.0
                        ),
                    )
                }
                M::Last => {
                    let last = prev_of(p).unwrap_or(base_p);
                    let b = self.level(ind, *a, last).ok()?;
                    (b.v, format!("its figure for {last}"))
                }
                _ => {
                    let years: Vec<f64> = (1..=3)
                        .filter_map(|k| self.level(ind, *a, p.shift_years(-k)).ok())
                        .map(|v| v.v)
                        .collect();
                    if years.is_empty() {
                        return None;
                    }
                    (
                        years.iter().sum::<f64>() / years.len() as f64,
                        format!(
                            "the mean of its figures for the same period in {} earlier year(s)",
                            years.len()
                        ),
                    )
                }
            };
            acc.v += v;
            if self.o.explain {
                self.trace.push(Input {
                    indicator: self.e.ind_code(ind).to_string(),
                    area: self.e.area_key(*a).to_string(),
                    measure: Measure::Level,
                    dims: self.e.cube.dims.resolve(self.dims).to_string(),
                    period: p,
                    value: v,
                    status: Status::Estimate,
                    import_id: 0,
                    recorded_at: 0,
                    source: format!("estimate: not reported; {how}"),
                });
            }
        }
        Some(acc)
    }

    fn over_time(&mut self, ind: u16, area: u32, p: Period) -> R {
        if let Period::Span(..) = p {
            return self.over_years(ind, area, p);
        }
        let y = p.year();
        let (first, last) = p.months();
        match (self.e.ind_info[ind as usize].time, p) {
            (TimeAggregation::Flow, Period::Month(y, m)) => {
                // a month from two stored year-to-date figures
                if m == 1 {
                    return Err(Why::NoData);
                }
                let cur = self.stored_alias(ind, area, Measure::Level, Period::Cumulative(y, m));
                let prev = cur.and_then(|_| {
                    self.stored_alias(ind, area, Measure::Level, Period::Cumulative(y, m - 1))
                });
                match (cur, prev) {
                    (Some(c), Some(b)) => Ok(V {
                        flags: Flags::DERIVED,
                        ..join(c, b, c.v - b.v)
                    }),
                    _ => Err(Why::NoData),
                }
            }
            (TimeAggregation::Flow, _) => {
                let summed = self.sum_months(ind, area, y, first, last);
                if summed.is_err() && first > 1 {
                    // a quarter or half from two stored year-to-date figures
                    let cur =
                        self.stored_alias(ind, area, Measure::Level, Period::Cumulative(y, last));
                    let base = cur.and_then(|_| {
                        self.stored_alias(
                            ind,
                            area,
                            Measure::Level,
                            Period::Cumulative(y, first - 1),
                        )
                    });
                    if let (Some(c), Some(b)) = (cur, base) {
                        return Ok(V {
                            flags: c.flags | b.flags | Flags::DERIVED,
                            ..join(c, b, c.v - b.v)
                        });
                    }
                }
                summed
            }
            (TimeAggregation::Stock, Period::Month(..)) => Err(Why::NoData),
            (TimeAggregation::Stock, _) => self.level(ind, area, Period::Month(y, last)),
            (TimeAggregation::Index | TimeAggregation::Mean, Period::Month(..)) => Err(Why::NoData),
            (TimeAggregation::Index, _) => {
                let s = self.sum_months(ind, area, y, first, last)?;
                Ok(V {
                    v: s.v / f64::from(last - first + 1),
                    flags: s.flags | Flags::DERIVED,
                    ..s
                })
            }
            (TimeAggregation::Mean, _) => {
                let months = self.sum_months(ind, area, y, first, last);
                let m = match months {
                    Ok(s) => s.v / f64::from(last - first + 1),
                    // a quarterly series: the mean of the quarters
                    Err(e) if first % 3 == 1 && last % 3 == 0 && last - first > 2 => {
                        let mut acc = V {
                            v: 0.0,
                            status: Status::Final,
                            flags: 0,
                        };
                        for q in first.div_ceil(3)..=last / 3 {
                            let v = self
                                .level(ind, area, Period::Quarter(y, q))
                                .map_err(|_| e)?;
                            acc = join(acc, v, acc.v + v.v);
                        }
                        return Ok(V {
                            v: acc.v / f64::from((last - first + 1) / 3),
                            flags: acc.flags | Flags::DERIVED,
                            ..acc
                        });
                    }
                    Err(e) => return Err(e),
                };
                let s = months?;
                Ok(V {
                    v: m,
                    flags: s.flags | Flags::DERIVED,
                    ..s
                })
            }
        }
    }

    /// Sum of the months `first..=last` of year `y`: a run of stored current
    /// cells read straight from the series, else month by month.
    fn sum_months(&mut self, ind: u16, area: u32, y: i32, first: u8, last: u8) -> R {
        let mut acc = V {
            v: 0.0,
            status: Status::Final,
            flags: 0,
        };
        let mut m = first;
        let key = self.e.key(ind, area, Measure::Level, self.dims);
        let series = self.e.cube.lookup(key);
        // from January: the year-to-date sum kept beside the last month
        if first == 1 && self.o.as_of.is_none() && !self.o.explain {
            if let Some((v, status)) = series.and_then(|s| {
                s.find(pkey(Period::Month(y, last)))
                    .and_then(|i| s.ytd_at(i))
            }) {
                return Ok(V {
                    v,
                    status,
                    flags: 0,
                });
            }
        }
        if let Some(s) = series {
            let mut i = s.lower_bound(pkey(Period::Month(y, first)));
            while m <= last
                && s.period_at(i) == Some(pkey(Period::Month(y, m)))
                && self.e.cube.visible(s, i, self.o.as_of)
            {
                acc.v += s.value_at(i);
                if !s.all_final() {
                    acc.status = acc.status.weakest(s.status_at(i));
                }
                if self.o.explain {
                    let c = s.cell_at(i);
                    self.note(ind, area, Measure::Level, Period::Month(y, m), c);
                }
                m += 1;
                i += 1;
            }
        }
        let mut missing = 0u16;
        while m <= last {
            match self.level(ind, area, Period::Month(y, m)) {
                Ok(v) => acc = join(acc, v, acc.v + v.v),
                Err(_) => missing += 1,
            }
            m += 1;
        }
        if missing > 0 {
            Err(Why::Incomplete { missing })
        } else {
            Ok(acc)
        }
    }

    // ---- measures ------------------------------------------------------

    fn combine(&mut self, reported: Option<V>, computed: R, pct: bool, ind: u16) -> Figure {
        let Some(r) = reported else {
            return Figure::of(computed);
        };
        let c = computed.ok().filter(|c| c.v.is_finite());
        let discrepancy = c.is_some_and(|c| {
            if pct {
                (r.v - c.v).abs() > PCT_TOLERANCE + 1e-9
            } else {
                let unit = 10f64.powi(-i32::from(self.e.ind_info[ind as usize].decimals));
                (r.v - c.v).abs() > LEVEL_TOLERANCE * r.v.abs() + unit
            }
        });
        let mut f = match (self.o.prefer, computed) {
            (Prefer::Computed, computed) => Figure::of(computed),
            (Prefer::Reported, _) => Figure::of(Ok(V {
                flags: r.flags | Flags::REPORTED,
                ..r
            })),
        };
        f.reported = Some(r.v);
        f.computed = c.map(|c| c.v);
        f.discrepancy = discrepancy;
        f
    }

    fn value(&mut self, ind: u16, area: u32, p: Period) -> Figure {
        match self.stored_alias(ind, area, Measure::Level, p) {
            Some(r) => {
                let c = self.level_with(ind, area, p, true);
                self.combine(Some(r), c, false, ind)
            }
            None => Figure::of(self.level_with(ind, area, p, true)),
        }
    }

    fn computed_yoy(&mut self, ind: u16, area: u32, p: Period) -> R {
        if self.e.ind_info[ind as usize].time == TimeAggregation::Index {
            // an index on the same period of the previous year = 100
            return self.level(ind, area, p).map(|v| V {
                v: v.v - 100.0,
                ..v
            });
        }
        if let Some(r) = self.direct_ytd_yoy(ind, area, p) {
            return r;
        }
        let cur = self.level(ind, area, p)?;
        let base = self.level(ind, area, p.previous_year());
        growth(cur, base, Why::NoPreviousYear)
    }

    /// The year-to-date growth of a plain monthly flow series, read in one
    /// pass: the same cells, in the same order, as the general rules would
    /// read them (a pure monthly series holds no stored year-to-date figure
    /// that could take precedence), without looking the series up four
    /// times. `None`: not such a case, use the general rules.
    fn direct_ytd_yoy(&mut self, ind: u16, area: u32, p: Period) -> Option<R> {
        self.ytd_slots(ind, area, p)?.read()
    }

    /// The two year-to-date cells of a growth rate on a plain monthly flow
    /// series, located without reading them (see [`YtdSlots`]). `None`: not
    /// such a case (a region, a boundary change, stored quarters or
    /// year-to-date figures, an as-of time, an explanation), use the rules.
    fn ytd_slots(&self, ind: u16, area: u32, p: Period) -> Option<YtdSlots<'e>> {
        let Period::Cumulative(y, m) = p else {
            return None;
        };
        if m < 2
            || self.o.explain
            || self.o.as_of.is_some()
            || self.e.ind_info[ind as usize].time != TimeAggregation::Flow
            || self.e.ind_info[ind as usize].formula.is_some()
            || self.e.areas[area as usize].is_region
            || !self.e.accepts(area, p)
            || !self.e.accepts(area, p.previous_year())
        {
            return None;
        }
        let e: &'e Engine = self.e;
        let s = e.cube.lookup(e.key(ind, area, Measure::Level, self.dims))?;
        if !s.only_months() {
            return None;
        }
        let (cur, base) = (pkey(Period::Month(y, m)), pkey(Period::Month(y - 1, m)));
        Some(YtdSlots {
            s,
            cur: (cur, s.guess_month(cur)?),
            base: (base, s.guess_month(base)?),
        })
    }

    fn yoy(&mut self, ind: u16, area: u32, p: Period) -> Figure {
        let reported = self.stored_alias(ind, area, Measure::YoyPct, p);
        let computed = self.computed_yoy(ind, area, p);
        self.combine(reported, computed, true, ind)
    }

    fn mom(&mut self, ind: u16, area: u32, p: Period) -> Figure {
        let reported = self.stored(ind, area, Measure::MomPct, p);
        let computed = if self.e.ind_info[ind as usize].time == TimeAggregation::Index {
            Err(Why::NotApplicable(
                "an index on the same period of the previous year gives no change on the previous period",
            ))
        } else {
            match prev_of(p) {
                None => Err(Why::NotApplicable(
                    "a year or year-to-date has no previous period; use yoy_pct",
                )),
                Some(prev) => self.level(ind, area, p).and_then(|cur| {
                    let base = self.level(ind, area, prev);
                    growth(cur, base, Why::NoPreviousPeriod)
                }),
            }
        };
        self.combine(reported, computed, true, ind)
    }

    /// The geometric mean of the yearly growth rates of a span, %.
    fn avg_growth(&mut self, ind: u16, area: u32, p: Period) -> Figure {
        let Period::Span(last, _) = p else {
            return Figure::absent(Why::NotApplicable(
                "average annual growth is over a span of years (2016/2020)",
            ));
        };
        let mut acc = V {
            v: 1.0,
            status: Status::Final,
            flags: 0,
        };
        for y in p.first_year()..=last {
            let g = self.yoy(ind, area, Period::Year(y));
            match g.value {
                Some(v) => {
                    acc = V {
                        v: acc.v * (1.0 + v / 100.0),
                        status: acc.status.weakest(g.status),
                        flags: acc.flags | g.flags.0,
                    }
                }
                None => return Figure::absent(g.why.unwrap_or(Why::NoData)),
            }
        }
        if acc.v <= 0.0 {
            return Figure::absent(Why::Overflow);
        }
        let n = f64::from(last - p.first_year() + 1);
        Figure::of(Ok(V {
            v: (acc.v.powf(1.0 / n) - 1.0) * 100.0,
            ..acc
        }))
    }

    /// A span's levels: a flow's is the sum of its years, a stock's its
    /// last year's, a mean's the mean of its years.
    fn over_years(&mut self, ind: u16, area: u32, p: Period) -> R {
        let (first, last) = (p.first_year(), p.year());
        let time = self.e.ind_info[ind as usize].time;
        match time {
            TimeAggregation::Stock => self.level(ind, area, Period::Year(last)),
            TimeAggregation::Index => Err(Why::NotApplicable(
                "an index on the previous year has no level over several years; use avg_annual_growth_pct",
            )),
            TimeAggregation::Flow | TimeAggregation::Mean => {
                let mut acc = V {
                    v: 0.0,
                    status: Status::Final,
                    flags: Flags::DERIVED,
                };
                let mut missing = 0u16;
                for y in first..=last {
                    match self.level(ind, area, Period::Year(y)) {
                        Ok(v) => acc = join(acc, v, acc.v + v.v),
                        Err(_) => missing += 1,
                    }
                }
                if missing > 0 {
                    return Err(Why::Incomplete { missing });
                }
                if time == TimeAggregation::Mean {
                    acc.v /= f64::from(last - first + 1);
                }
                Ok(acc)
            }
        }
    }

    fn plan_level(&mut self, ind: u16, area: u32, year: Period) -> R {
        if let Some(v) = self.stored(ind, area, Measure::Plan, year) {
            return Ok(v);
        }
        let info = &self.e.ind_info[ind as usize];
        if self.e.areas[area as usize].is_region && info.area == AreaAggregation::Sum {
            let members = self.e.members_on(area, year.end_date());
            let mut acc = V {
                v: 0.0,
                status: Status::Final,
                flags: Flags::AGGREGATED,
            };
            for a in members {
                let v = self.plan_level(ind, a, year).map_err(|_| Why::NoPlan)?;
                acc = join(acc, v, acc.v + v.v);
            }
            return Ok(acc);
        }
        Err(Why::NoPlan)
    }

    fn plan_pct(&mut self, ind: u16, area: u32, p: Period) -> Figure {
        // a flow's % of plan is of its year-to-date: a form's "% KH năm"
        // column is stored for the months from January
        let reported = self
            .stored_alias(ind, area, Measure::PlanPct, p)
            .or_else(|| {
                (self.e.ind_info[ind as usize].time == TimeAggregation::Flow && ytd(p) != p)
                    .then(|| self.stored_alias(ind, area, Measure::PlanPct, ytd(p)))
                    .flatten()
            });
        let computed = (|| {
            let actual = match self.e.ind_info[ind as usize].time {
                TimeAggregation::Flow => self.level(ind, area, ytd(p))?,
                TimeAggregation::Stock | TimeAggregation::Mean => self.level(ind, area, p)?,
                TimeAggregation::Index => {
                    return Err(Why::NotApplicable(
                        "an index has no plan level; use target_gap_pp",
                    ))
                }
            };
            let plan = self.plan_level(ind, area, plan_period(p))?;
            if plan.v == 0.0 {
                return Err(Why::ZeroBase);
            }
            Ok(join(actual, plan, actual.v / plan.v * 100.0))
        })();
        self.combine(reported, computed, true, ind)
    }

    fn target_gap(&mut self, ind: u16, area: u32, p: Period) -> Figure {
        // a span's target is an average annual growth rate ("tăng bình quân 8%/năm")
        let Some(target) = self.stored(ind, area, Measure::PlanYoyPct, plan_period(p)) else {
            return Figure::absent(Why::NoTarget);
        };
        let growth = match p {
            Period::Span(..) => self.avg_growth(ind, area, p),
            _ => self.yoy(ind, area, ytd(p)),
        };
        match growth.value {
            Some(g) => Figure::of(Ok(V {
                v: g - target.v,
                status: growth.status.weakest(target.status),
                flags: growth.flags.0,
            })),
            None => Figure::absent(growth.why.unwrap_or(Why::NoData)),
        }
    }

    fn share(&mut self, ind: u16, area: u32, p: Period) -> R {
        if self.e.ind_info[ind as usize].area != AreaAggregation::Sum {
            return Err(Why::NotAggregated);
        }
        let group = self.e.group(area, p.end_date()).ok_or(Why::NoGroup)?;
        let own = self.level(ind, area, p)?;
        let total = self.level(ind, group, p)?;
        if total.v == 0.0 {
            return Err(Why::ZeroBase);
        }
        Ok(join(own, total, own.v / total.v * 100.0))
    }

    fn group_scores(
        &mut self,
        ind: u16,
        area: u32,
        group: u32,
        p: Period,
        by_growth: bool,
    ) -> GroupScores {
        let peers = self.e.peers(area, group, p.end_date());
        let mut members: Vec<(u32, R)> = peers
            .iter()
            .map(|a| {
                let r = if by_growth {
                    let f = self.yoy(ind, *a, p);
                    match f.value {
                        Some(v) => Ok(V {
                            v,
                            status: f.status,
                            flags: f.flags.0,
                        }),
                        None => Err(f.why.unwrap_or(Why::NoData)),
                    }
                } else {
                    self.level(ind, *a, p)
                };
                (*a, r)
            })
            .collect();
        members.sort_by_key(|(a, _)| *a);
        let missing = members.iter().filter(|(_, r)| r.is_err()).count();
        let mut sorted: Vec<f64> = members
            .iter()
            .filter_map(|(_, r)| r.ok().map(|v| v.v))
            .collect();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let status = members
            .iter()
            .filter_map(|(_, r)| r.ok())
            .fold(Status::Final, |s, v| s.weakest(v.status));
        GroupScores {
            members,
            sorted,
            missing,
            status,
        }
    }

    fn rank(&mut self, ind: u16, area: u32, p: Period, by_growth: bool) -> Figure {
        let Some(group) = self.e.group(area, p.end_date()) else {
            return Figure::absent(Why::NoGroup);
        };
        // a region's members, or the areas under a parent code: two peer sets
        // for one group number (an area can sit under a region without being a member)
        let member = self.e.areas[area as usize]
            .regions
            .iter()
            .any(|(r, _, _)| *r == group);
        let memo_key = (ind, group, member, self.dims, pkey(p), by_growth);
        // the memo is skipped when explaining, so that every rank lists its inputs
        let scores = match self.groups.get(&memo_key) {
            Some(s) if !self.o.explain => s.clone(),
            _ => {
                let s = std::rc::Rc::new(self.group_scores(ind, area, group, p, by_growth));
                self.groups.insert(memo_key, s.clone());
                s
            }
        };
        let Ok(at) = scores.members.binary_search_by_key(&area, |(a, _)| *a) else {
            return Figure::absent(Why::NoGroup);
        };
        let own = match scores.members[at].1 {
            Ok(v) => v,
            Err(w) => return Figure::absent(w),
        };
        if scores.missing > 0 {
            return Figure::absent(Why::PartialGroup {
                missing: u16::try_from(scores.missing).unwrap_or(u16::MAX),
            });
        }
        let above = scores.sorted.partition_point(|v| *v > own.v);
        let mut f = Figure::of(Ok(V {
            v: (above + 1) as f64,
            status: scores.status,
            flags: own.flags,
        }));
        f.out_of = Some(u32::try_from(scores.members.len()).unwrap_or(u32::MAX));
        f
    }
}

//! The engine against a naive recomputation.
//!
//! A small world with every kind of boundary change (a merger, a rename, a
//! split), a region whose membership changes, and indicators of every time
//! and area rule, receives random batches of observations and revisions
//! through the real store. Every measure for random areas, periods and
//! as-of times must equal what [`Oracle`] computes from the raw vintages:
//! no cube, no index, no fast path, no memo, the rules written out plainly.
//! A second engine fed only by `Engine::apply` after each commit must agree
//! with both (freshness without reloading). Formula indicators (a fixed
//! share of a breakdown and a random formula per case) are worked out by
//! evaluating the formula over the oracle's own figures of their inputs;
//! regional totals with a member missing by the estimate rule written out.

use std::collections::HashMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use solieu_engine::rules::Expr;
use solieu_engine::{Basis, Derived, Engine, Figure, Flags, Options, Prefer, Query, Why};
use solieu_model::{
    Area, AreaAggregation, AreaRegistry, EstimateMethod, Indicator, IndicatorFields, Level,
    Measure, Membership, Observation, Period, Status, Succession, SuccessionKind, TimeAggregation,
};
use solieu_store::{ImportBatch, SqliteStore, Store};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn area(
    key: &str,
    level: Level,
    parent: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Area {
    Area {
        key: key.into(),
        code: key.split('@').next().unwrap().into(),
        level,
        name_vi: key.into(),
        name_en: key.into(),
        parent: parent.map(Into::into),
        valid_from: from.map(day),
        valid_to: to.map(day),
    }
}

/// Keys of the world's areas, in registry order.
const AREAS: [&str; 12] = [
    "R",
    "01",
    "02",
    "01@2021-07-01",
    "03",
    "04",
    "05",
    "06",
    "07",
    "08",
    "0301",
    "0302",
];

fn world() -> (AreaRegistry, Vec<Indicator>) {
    world_with("(F + S) / P")
}

/// A random formula over the world's indicators, constants and a part of B.
fn random_formula(rng: &mut Rng, depth: u32) -> String {
    // (`M` is not a code the rule language reads: `m` is the period checked)
    const LEAVES: [&str; 11] = [
        "F",
        "S",
        "P",
        "A",
        "W",
        "X",
        "B",
        "B[PART=A]",
        "B[PART=C]",
        "100",
        "2.5",
    ];
    if depth == 0 || rng.chance(30) {
        return LEAVES[rng.below(LEAVES.len() as u64) as usize].to_string();
    }
    let (a, b) = (
        random_formula(rng, depth - 1),
        random_formula(rng, depth - 1),
    );
    match rng.below(7) {
        0 => format!("({a} + {b})"),
        1 => format!("({a} - {b})"),
        2 | 3 => format!("({a} * {b})"),
        4 | 5 => format!("({a} / {b})"),
        _ => match rng.below(3) {
            0 => format!("abs({a})"),
            1 => format!("min({a}, {b})"),
            _ => format!("max({a}, {b})"),
        },
    }
}

fn world_with(formula: &str) -> (AreaRegistry, Vec<Indicator>) {
    let p = Level::Province;
    let areas = vec![
        area("R", Level::Region, None, None, None),
        area("01", p, None, None, Some("2021-06-30")),
        area("02", p, None, None, Some("2021-06-30")),
        area("01@2021-07-01", p, None, Some("2021-07-01"), None),
        area("03", p, None, None, None),
        area("04", p, None, None, Some("2020-12-31")),
        area("05", p, None, Some("2021-01-01"), None),
        area("06", p, Some("R"), None, Some("2020-12-31")),
        area("07", p, Some("R"), Some("2021-01-01"), None),
        area("08", p, Some("R"), Some("2021-01-01"), None),
        area("0301", Level::District, Some("03"), None, None),
        area("0302", Level::District, Some("03"), None, None),
    ];
    let succ = |from: &str, to: &str, date: &str, kind| Succession {
        date: day(date),
        kind,
        from: from.into(),
        to: to.into(),
        basis: "test".into(),
    };
    let successions = vec![
        succ("01", "01@2021-07-01", "2021-07-01", SuccessionKind::Merge),
        succ("02", "01@2021-07-01", "2021-07-01", SuccessionKind::Merge),
        succ("04", "05", "2021-01-01", SuccessionKind::Rename),
        succ("06", "07", "2021-01-01", SuccessionKind::Split),
        succ("06", "08", "2021-01-01", SuccessionKind::Split),
    ];
    let member = |m: &str, from: Option<&str>, to: Option<&str>| Membership {
        region: "R".into(),
        member: m.into(),
        valid_from: from.map(day),
        valid_to: to.map(day),
    };
    let memberships = vec![
        member("01", None, Some("2021-06-30")),
        member("02", None, Some("2021-06-30")),
        member("01@2021-07-01", Some("2021-07-01"), None),
        member("03", None, None),
        member("04", None, Some("2020-12-31")),
        member("05", Some("2021-01-01"), None),
    ];
    let ind = |code: &str, time: &str, agg: &str, dec: &str| {
        Indicator::parse(&IndicatorFields {
            code,
            name_vi: code,
            name_en: code,
            // an index and a rate are percentages: their changes are in points
            unit: if matches!(time, "index" | "mean") {
                "%"
            } else {
                "tỷ đồng"
            },
            time_aggregation: time,
            area_aggregation: agg,
            decimals: dec,
            ..Default::default()
        })
        .unwrap()
    };
    let inds = vec![
        ind("F", "flow", "sum", "1"),
        ind("S", "stock", "sum", "0"),
        ind("X", "index", "none", "1"),
        // a fixed-base index or a rate: its quarters and years are means
        ind("A", "mean", "none", "2"),
        ind("W", "flow", "weighted:P", "1"),
        ind("P", "stock", "sum", "0"),
        // only ever monthly levels: the engine's direct path for year-to-date growth
        ind("M", "flow", "sum", "1"),
        // broken down into three parts that add up to its total
        Indicator::parse(&IndicatorFields {
            code: "B",
            name_vi: "B",
            name_en: "B",
            unit: "tỷ đồng",
            time_aggregation: "flow",
            area_aggregation: "sum",
            decimals: "1",
            dimensions: "PART=A|B|C:complete",
            ..Default::default()
        })
        .unwrap(),
        // formula indicators: a share of a breakdown, and one of the case
        formula_ind("Q", "B[PART=A] / B * 100"),
        formula_ind("Z", formula),
    ];
    // a region's total estimates a late member by each method
    let mut inds = inds;
    for i in &mut inds {
        i.estimate = match i.code.as_str() {
            "S" => EstimateMethod::Last,
            "P" => EstimateMethod::Seasonal,
            "M" => EstimateMethod::None,
            _ => EstimateMethod::Growth,
        };
    }
    (AreaRegistry::new(areas, successions, memberships), inds)
}

fn formula_ind(code: &str, formula: &str) -> Indicator {
    Indicator::parse(&IndicatorFields {
        code,
        name_vi: code,
        name_en: code,
        unit: "%",
        decimals: "2",
        formula,
        ..Default::default()
    })
    .unwrap()
}

fn periods_of(y: i32) -> Vec<Period> {
    let mut v: Vec<Period> = (1..=12).map(|m| Period::Month(y, m)).collect();
    v.extend((1..=12).map(|m| Period::Cumulative(y, m)));
    v.extend((1..=4).map(|q| Period::Quarter(y, q)));
    v.extend((1..=2).map(|h| Period::Half(y, h)));
    v.push(Period::Year(y));
    v
}

/// splitmix64: the data of a case from one seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

const STATUSES: [Status; 3] = [Status::Final, Status::Preliminary, Status::Estimate];

fn value_for(rng: &mut Rng, ind: &str, m: Measure) -> f64 {
    let v = match (ind, m) {
        (_, Measure::YoyPct | Measure::MomPct | Measure::PlanYoyPct) => rng.below(400) as i64 - 100,
        (_, Measure::PlanPct) => rng.below(1500) as i64,
        ("X" | "A", _) => 800 + rng.below(400) as i64,
        // zeros happen: a base of zero must give an absent ratio
        _ => (rng.below(1000) as i64) * i64::from(!rng.chance(3)),
    };
    v as f64 / 10.0
}

/// The breakdowns of indicator B: its total and its three parts.
const PARTS: [&str; 4] = ["", "PART=A", "PART=B", "PART=C"];

/// The batches of a case: a dense first batch of months, then sparse
/// additions and revisions of every kind of key.
fn batches(
    seed: u64,
    n_batches: usize,
    reg: &AreaRegistry,
    inds: &[Indicator],
) -> Vec<Vec<Observation>> {
    let mut rng = Rng(seed);
    let mut out = vec![];
    let years = [2019, 2020, 2021, 2022];
    for b in 0..n_batches {
        let mut batch: HashMap<(String, String, Measure, Period, &str), Observation> =
            HashMap::new();
        for a in reg.all() {
            for ind in inds {
                for y in years {
                    for p in periods_of(y) {
                        if !a.accepts(p) || a.level == Level::Region && !rng.chance(5) {
                            continue;
                        }
                        let year = matches!(p, Period::Year(_));
                        let m = match rng.below(if year { 4 } else { 20 }) {
                            0 => Measure::YoyPct,
                            1 if year => Measure::Plan,
                            2 if year => Measure::PlanYoyPct,
                            1 => Measure::MomPct,
                            2 => Measure::PlanPct,
                            _ => Measure::Level,
                        };
                        if ind.code == "M"
                            && (!matches!(p, Period::Month(..)) || m != Measure::Level)
                        {
                            continue;
                        }
                        // a department now and then reports a formula's figure itself
                        if ind.is_formula() && !rng.chance(3) {
                            continue;
                        }
                        let dense = b == 0 && matches!(p, Period::Month(..)) && m == Measure::Level;
                        let keep = if dense {
                            rng.chance(92)
                        } else if b == 0 {
                            rng.chance(if year { 40 } else { 8 })
                        } else {
                            rng.chance(4)
                        };
                        if !keep {
                            continue;
                        }
                        // B: the total (now and then) and its parts (mostly)
                        let dims: &[&str] = if ind.code == "B" { &PARTS } else { &PARTS[..1] };
                        for d in dims {
                            if ind.code == "B" && !rng.chance(if d.is_empty() { 20 } else { 85 }) {
                                continue;
                            }
                            // areas whose total of B is never stored, only its parts
                            if ind.code == "B"
                                && d.is_empty()
                                && ["03", "05", "0301"].contains(&a.key.as_str())
                            {
                                continue;
                            }
                            // now and then a plan for the two years to this one
                            let p = if year
                                && matches!(m, Measure::Plan | Measure::PlanYoyPct)
                                && rng.chance(40)
                            {
                                Period::Span(p.year(), 2)
                            } else {
                                p
                            };
                            let o = Observation {
                                indicator: ind.code.clone(),
                                area: a.key.clone(),
                                period: p,
                                measure: m,
                                dims: (*d).to_string(),
                                value: value_for(&mut rng, &ind.code, m),
                                status: STATUSES[rng.below(3) as usize],
                                source: format!("src{}", rng.below(2)),
                                note: String::new(),
                            };
                            batch.insert((o.indicator.clone(), o.area.clone(), m, p, *d), o);
                        }
                    }
                }
            }
        }
        let mut v: Vec<Observation> = batch.into_values().collect();
        v.sort_by(|a, b| {
            (&a.indicator, &a.area, a.measure, a.period, &a.dims).cmp(&(
                &b.indicator,
                &b.area,
                b.measure,
                b.period,
                &b.dims,
            ))
        });
        out.push(v);
    }
    out
}

// ---- the oracle ----------------------------------------------------------

type Val = Result<(f64, Status, u8), Why>;

/// A stored figure's key: indicator, area, measure, period, breakdown.
type Key = (String, String, Measure, Period, String);

struct Oracle<'a> {
    reg: &'a AreaRegistry,
    inds: &'a [Indicator],
    /// latest vintage per key as of the time asked
    data: HashMap<Key, (f64, Status)>,
    /// every key ever stored (a series exists whatever the as-of time)
    series: std::collections::HashSet<(String, String, Measure, String)>,
    /// the breakdown of the figure being worked out (`""`: the total)
    dims: std::cell::RefCell<String>,
    o: Options,
}

/// The previous period of the same kind; none for a year or a year-to-date.
fn previous_period(p: Period) -> Option<Period> {
    Some(match p {
        Period::Month(y, 1) => Period::Month(y - 1, 12),
        Period::Month(y, m) => Period::Month(y, m - 1),
        Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
        Period::Quarter(y, q) => Period::Quarter(y, q - 1),
        Period::Half(y, 1) => Period::Half(y - 1, 2),
        Period::Half(y, h) => Period::Half(y, h - 1),
        Period::Span(y, n) => Period::Span(y - i32::from(n), n),
        Period::Year(_) | Period::Cumulative(..) => return None,
    })
}

fn weakest(a: Status, b: Status) -> Status {
    a.weakest(b)
}

/// % change of `cur` on a base; a base without data is absent as `missing`.
fn pct_change((c, cs, cf): (f64, Status, u8), base: Val, missing: Why) -> Val {
    let (b, bs, bf) = base.map_err(|w| match w {
        Why::NoData | Why::Incomplete { .. } => missing,
        w => w,
    })?;
    if b == 0.0 {
        return Err(Why::ZeroBase);
    }
    Ok(((c / b - 1.0) * 100.0, weakest(cs, bs), cf | bf))
}

/// The sum of figures that must all be there; `missing` says why not.
fn sum_all(vals: impl Iterator<Item = Val>, flag: u8, missing: impl Fn(u16) -> Why) -> Val {
    let (mut total, mut st, mut fl, mut absent) = (0.0, Status::Final, flag, 0u16);
    for v in vals {
        match v {
            Ok((v, s, f)) => {
                total += v;
                st = weakest(st, s);
                fl |= f;
            }
            Err(_) => absent += 1,
        }
    }
    if absent > 0 {
        Err(missing(absent))
    } else {
        Ok((total, st, fl))
    }
}

impl<'a> Oracle<'a> {
    fn new(
        reg: &'a AreaRegistry,
        inds: &'a [Indicator],
        vintages: &[(i64, Observation)],
        o: Options,
    ) -> Self {
        let mut data = HashMap::new();
        let mut series = std::collections::HashSet::new();
        for (at, ob) in vintages {
            series.insert((
                ob.indicator.clone(),
                ob.area.clone(),
                ob.measure,
                ob.dims.clone(),
            ));
            if o.as_of.is_none_or(|t| *at <= t) {
                data.insert(
                    (
                        ob.indicator.clone(),
                        ob.area.clone(),
                        ob.measure,
                        ob.period,
                        ob.dims.clone(),
                    ),
                    (ob.value, ob.status),
                );
            }
        }
        Oracle {
            reg,
            inds,
            data,
            series,
            dims: std::cell::RefCell::new(String::new()),
            o,
        }
    }

    fn ind(&self, code: &str) -> &Indicator {
        self.inds.iter().find(|i| i.code == code).unwrap()
    }

    fn area(&self, key: &str) -> &Area {
        self.reg.by_key(key).unwrap()
    }

    fn stored(&self, ind: &str, area: &str, m: Measure, p: Period) -> Option<(f64, Status, u8)> {
        self.data
            .get(&(
                ind.to_string(),
                area.to_string(),
                m,
                p,
                self.dims.borrow().clone(),
            ))
            .map(|(v, s)| (*v, *s, 0))
    }

    fn stored_alias(
        &self,
        ind: &str,
        area: &str,
        m: Measure,
        p: Period,
    ) -> Option<(f64, Status, u8)> {
        let direct = self.stored(ind, area, m, p);
        if direct.is_some() {
            return direct;
        }
        let t = self.ind(ind).time_aggregation;
        let alias = match p {
            _ if t == TimeAggregation::Stock => None,
            Period::Month(y, 1) => Some(Period::Cumulative(y, 1)),
            Period::Cumulative(y, 1) => Some(Period::Month(y, 1)),
            Period::Year(y) if t == TimeAggregation::Flow || t == TimeAggregation::Mean => {
                Some(Period::Cumulative(y, 12))
            }
            Period::Cumulative(y, 12)
                if t == TimeAggregation::Flow || t == TimeAggregation::Mean =>
            {
                Some(Period::Year(y))
            }
            _ => None,
        };
        alias.and_then(|a| self.stored(ind, area, m, a))
    }

    /// A figure of another breakdown.
    fn with_dims<T>(&self, dims: &str, f: impl FnOnce() -> T) -> T {
        let keep = self.dims.replace(dims.to_string());
        let r = f();
        *self.dims.borrow_mut() = keep;
        r
    }

    /// The level, and for a total that cannot be had otherwise, the sum of
    /// its parts where every part has a series for the area.
    fn level(&self, ind: &str, area: &str, p: Period, skip_stored: bool) -> Val {
        let d = self
            .ind(ind)
            .dimensions
            .iter()
            .find(|d| d.complete && d.sum);
        let total = self.dims.borrow().is_empty();
        let parts: Vec<String> = d.map_or(vec![], |d| {
            d.codes.iter().map(|c| format!("{}={c}", d.name)).collect()
        });
        let has = |t: &str| {
            self.series.contains(&(
                ind.to_string(),
                area.to_string(),
                Measure::Level,
                t.to_string(),
            ))
        };
        let covered = total && !parts.is_empty() && parts.iter().all(|t| has(t));
        let sum = || {
            sum_all(
                parts
                    .iter()
                    .map(|t| self.with_dims(t, || self.level(ind, area, p, false))),
                Flags::AGGREGATED | Flags::DERIVED,
                |missing| Why::Incomplete { missing },
            )
        };
        let a = self.area(area);
        // an area with no series of its own total, only of its parts: their
        // sum for the period asked (not month by month)
        if covered && !has("") && a.level != Level::Region && a.accepts(p) {
            if !skip_stored {
                if let Some(v) = self.stored_alias(ind, area, Measure::Level, p) {
                    return Ok(v);
                }
            }
            return sum();
        }
        let r = self.level_own(ind, area, p, skip_stored);
        if r.is_err() && covered {
            return sum().or(r);
        }
        r
    }

    fn level_own(&self, ind: &str, area: &str, p: Period, skip_stored: bool) -> Val {
        if !skip_stored {
            if let Some(v) = self.stored_alias(ind, area, Measure::Level, p) {
                return Ok(v);
            }
        }
        if self.ind(ind).is_formula() {
            let e = solieu_engine::rules::parse_formula(&self.ind(ind).formula).unwrap();
            return self
                .formula(&e, area, p)
                .map(|(v, s, f)| (v, s, f | Flags::FORMULA));
        }
        let a = self.area(area);
        if a.level == Level::Region {
            let members: Vec<String> = self
                .reg
                .members_on(area, p.end_date())
                .iter()
                .map(|a| a.key.clone())
                .collect();
            if members.is_empty() {
                return Err(Why::NoGroup);
            }
            return self.aggregate(ind, &members, p, Flags::AGGREGATED);
        }
        if !a.accepts(p) {
            let preds: Vec<String> = self
                .reg
                .predecessors(area)
                .iter()
                .map(|s| s.from.clone())
                .collect();
            if self.o.basis == Basis::AsReported || preds.is_empty() {
                return Err(Why::OutsideValidity);
            }
            let split = preds.iter().any(|p| self.reg.successors(p).len() > 1);
            let summed = self.ind(ind).area_aggregation == AreaAggregation::Sum;
            if preds.len() == 1 && (!split || !summed) {
                return self
                    .level(ind, &preds[0], p, false)
                    .map(|(v, s, f)| (v, s, f | Flags::COMPARABLE));
            }
            if split {
                return Err(Why::Split);
            }
            return self.aggregate(ind, &preds, p, Flags::COMPARABLE);
        }
        if let Period::Span(last, n) = p {
            let t = self.ind(ind).time_aggregation;
            return match t {
                TimeAggregation::Stock => self.level(ind, area, Period::Year(last), false),
                TimeAggregation::Index => Err(Why::NotApplicable(
                    "an index on the previous year has no level over several years; use avg_annual_growth_pct",
                )),
                _ => {
                    let years = (last - i32::from(n) + 1..=last)
                        .map(|y| self.level(ind, area, Period::Year(y), false));
                    sum_all(years, Flags::DERIVED, |missing| Why::Incomplete { missing }).map(
                        |(v, s, f)| {
                            let v = if t == TimeAggregation::Mean {
                                v / f64::from(n)
                            } else {
                                v
                            };
                            (v, s, f)
                        },
                    )
                }
            };
        }
        let (first, last) = p.months();
        let y = p.year();
        let sum_months = |me: &Self| -> Val {
            let months = (first..=last).map(|m| me.level(ind, area, Period::Month(y, m), false));
            sum_all(months, 0, |missing| Why::Incomplete { missing })
        };
        let ytd = |m: u8| self.stored_alias(ind, area, Measure::Level, Period::Cumulative(y, m));
        match (self.ind(ind).time_aggregation, p) {
            (TimeAggregation::Flow, Period::Month(_, m)) => {
                match (m > 1).then(|| (ytd(m), ytd(m - 1))) {
                    Some((Some(c), Some(b))) => Ok((c.0 - b.0, weakest(c.1, b.1), Flags::DERIVED)),
                    _ => Err(Why::NoData),
                }
            }
            (TimeAggregation::Flow, _) => {
                let s = sum_months(self);
                if s.is_err() && first > 1 {
                    if let (Some(c), Some(b)) = (ytd(last), ytd(first - 1)) {
                        return Ok((c.0 - b.0, weakest(c.1, b.1), Flags::DERIVED));
                    }
                }
                s
            }
            (_, Period::Month(..)) => Err(Why::NoData),
            (TimeAggregation::Stock, _) => self.level(ind, area, Period::Month(y, last), false),
            (TimeAggregation::Index, _) => sum_months(self)
                .map(|(v, s, f)| (v / f64::from(last - first + 1), s, f | Flags::DERIVED)),
            // the mean of the months, else of the quarters the period spans
            (TimeAggregation::Mean, _) => match sum_months(self) {
                Ok((v, s, f)) => Ok((v / f64::from(last - first + 1), s, f | Flags::DERIVED)),
                Err(e) if first % 3 == 1 && last % 3 == 0 && last - first > 2 => {
                    let quarters = (first.div_ceil(3)..=last / 3)
                        .map(|q| self.level(ind, area, Period::Quarter(y, q), false));
                    let n = f64::from((last - first + 1) / 3);
                    sum_all(quarters, 0, |_| e).map(|(v, s, f)| (v / n, s, f | Flags::DERIVED))
                }
                Err(e) => Err(e),
            },
        }
    }

    /// A formula over the inputs' figures of the same area and period.
    fn formula(&self, e: &Expr, area: &str, p: Period) -> Val {
        let join =
            |a: (f64, Status, u8), b: (f64, Status, u8), v: f64| (v, weakest(a.1, b.1), a.2 | b.2);
        match e {
            Expr::Num(v) => Ok((*v, Status::Final, 0)),
            Expr::Fig {
                indicator, dims, ..
            } => {
                let d: Vec<String> = dims.iter().map(|(l, c)| format!("{l}={c}")).collect();
                self.with_dims(&d.join(";"), || self.level(indicator, area, p, false))
            }
            Expr::Neg(a) => self.formula(a, area, p).map(|(v, s, f)| (-v, s, f)),
            Expr::Bin(op, a, b) => {
                let x = self.formula(a, area, p)?;
                let y = self.formula(b, area, p)?;
                Ok(match op {
                    '+' => join(x, y, x.0 + y.0),
                    '-' => join(x, y, x.0 - y.0),
                    '*' => join(x, y, x.0 * y.0),
                    _ if y.0 == 0.0 => return Err(Why::ZeroBase),
                    _ => join(x, y, x.0 / y.0),
                })
            }
            Expr::Call(name, args) => {
                let v: Vec<(f64, Status, u8)> = args
                    .iter()
                    .map(|a| self.formula(a, area, p))
                    .collect::<Result<_, _>>()?;
                Ok(match *name {
                    "abs" => (v[0].0.abs(), v[0].1, v[0].2),
                    "min" => join(v[0], v[1], v[0].0.min(v[1].0)),
                    _ => join(v[0], v[1], v[0].0.max(v[1].0)),
                })
            }
            _ => unreachable!("the random formulas are arithmetic"),
        }
    }

    fn aggregate(&self, ind: &str, areas: &[String], p: Period, flag: u8) -> Val {
        let (mut total, mut st, mut fl, mut missing) = (0.0, Status::Final, flag, 0u16);
        match &self.ind(ind).area_aggregation {
            AreaAggregation::None => Err(Why::NotAggregated),
            AreaAggregation::Sum => {
                let vals: Vec<(String, Val)> = areas
                    .iter()
                    .map(|a| (a.clone(), self.level(ind, a, p, false)))
                    .collect();
                let absent: Vec<&String> = vals
                    .iter()
                    .filter(|(_, v)| v.is_err())
                    .map(|(a, _)| a)
                    .collect();
                let sum = sum_all(vals.iter().map(|(_, v)| *v), flag, |missing| {
                    Why::PartialGroup { missing }
                });
                if absent.is_empty()
                    || absent.len() == areas.len()
                    || self.o.no_estimates
                    || flag != Flags::AGGREGATED
                {
                    return sum;
                }
                // estimates by the indicator's method
                let method = self.ind(ind).estimate;
                if method == EstimateMethod::None {
                    return sum;
                }
                let (mut now, mut before) = (0.0, 0.0);
                let (mut t, mut st, mut fl) = (0.0, Status::Estimate, flag | Flags::ESTIMATED);
                for (a, v) in &vals {
                    if let Ok((v, s, f)) = v {
                        t += v;
                        st = weakest(st, *s);
                        fl |= f;
                        if let Ok((b, _, _)) = self.level(ind, a, p.previous_year(), false) {
                            now += v;
                            before += b;
                        }
                    }
                }
                if method == EstimateMethod::Growth && before == 0.0 {
                    return sum;
                }
                for a in absent {
                    let est = match method {
                        EstimateMethod::Growth => self
                            .level(ind, a, p.previous_year(), false)
                            .map(|(b, _, _)| b * (now / before)),
                        EstimateMethod::Last => {
                            let last = previous_period(p).unwrap_or(p.previous_year());
                            self.level(ind, a, last, false).map(|(b, _, _)| b)
                        }
                        _ => {
                            let years: Vec<f64> = (1..=3)
                                .filter_map(|k| self.level(ind, a, p.shift_years(-k), false).ok())
                                .map(|(v, _, _)| v)
                                .collect();
                            if years.is_empty() {
                                Err(Why::NoData)
                            } else {
                                Ok(years.iter().sum::<f64>() / years.len() as f64)
                            }
                        }
                    };
                    let Ok(e) = est else {
                        return sum;
                    };
                    t += e;
                }
                Ok((t, st, fl))
            }
            AreaAggregation::Weighted(w) => {
                let mut weights = 0.0;
                for a in areas {
                    let Ok((v, s, f)) = self.level(ind, a, p, false) else {
                        missing += 1;
                        continue;
                    };
                    let Ok((wv, ws, wf)) = self
                        .level(w, a, p, false)
                        .or_else(|_| self.level(w, a, Period::Year(p.year()), false))
                    else {
                        return Err(Why::NoWeight);
                    };
                    total += v * wv;
                    weights += wv;
                    st = weakest(weakest(st, s), ws);
                    fl |= f | wf;
                }
                if missing > 0 {
                    Err(Why::PartialGroup { missing })
                } else if weights == 0.0 {
                    Err(Why::ZeroBase)
                } else {
                    Ok((total / weights, st, fl))
                }
            }
        }
    }

    fn figure(
        &self,
        reported: Option<(f64, Status, u8)>,
        computed: Val,
        pct: bool,
        ind: &str,
    ) -> Figure {
        let plain = |r: Val| -> Figure {
            match r {
                Ok((v, s, f)) if v.is_finite() => Figure {
                    value: Some(v),
                    why: None,
                    status: s,
                    flags: Flags(f),
                    reported: None,
                    computed: Some(v),
                    discrepancy: false,
                    out_of: None,
                    inputs: vec![],
                },
                Ok(_) => absent(Why::Overflow),
                Err(w) => absent(w),
            }
        };
        let Some(r) = reported else {
            return plain(computed);
        };
        let c = computed.ok().map(|c| c.0);
        let tol = if pct {
            0.1 + 1e-9
        } else {
            0.001 * r.0.abs() + 10f64.powi(-i32::from(self.ind(ind).decimals))
        };
        let mut f = if self.o.prefer == Prefer::Computed {
            plain(computed)
        } else {
            plain(Ok((r.0, r.1, r.2 | Flags::REPORTED)))
        };
        f.reported = Some(r.0);
        f.computed = c;
        f.discrepancy = c.is_some_and(|c| (r.0 - c).abs() > tol);
        f
    }

    fn yoy_computed(&self, ind: &str, area: &str, p: Period) -> Val {
        if self.ind(ind).time_aggregation == TimeAggregation::Index {
            return self
                .level(ind, area, p, false)
                .map(|(v, s, f)| (v - 100.0, s, f));
        }
        let cur = self.level(ind, area, p, false)?;
        pct_change(
            cur,
            self.level(ind, area, p.previous_year(), false),
            Why::NoPreviousYear,
        )
    }

    fn yoy(&self, ind: &str, area: &str, p: Period) -> Figure {
        let r = self.stored_alias(ind, area, Measure::YoyPct, p);
        self.figure(r, self.yoy_computed(ind, area, p), true, ind)
    }

    fn plan(&self, ind: &str, area: &str, y: Period) -> Val {
        if let Some(v) = self.stored(ind, area, Measure::Plan, y) {
            return Ok(v);
        }
        if self.area(area).level == Level::Region
            && self.ind(ind).area_aggregation == AreaAggregation::Sum
        {
            let (mut t, mut st) = (0.0, Status::Final);
            for m in self.reg.members_on(area, y.end_date()) {
                let (v, s, _) = self.plan(ind, &m.key, y).map_err(|_| Why::NoPlan)?;
                t += v;
                st = weakest(st, s);
            }
            return Ok((t, st, Flags::AGGREGATED));
        }
        Err(Why::NoPlan)
    }

    /// The geometric mean of a span's yearly growth rates.
    fn avg_growth(&self, ind: &str, area: &str, p: Period) -> Figure {
        let Period::Span(last, n) = p else {
            return absent(Why::NotApplicable(
                "average annual growth is over a span of years (2016/2020)",
            ));
        };
        let (mut prod, mut st, mut fl) = (1.0, Status::Final, 0u8);
        for y in last - i32::from(n) + 1..=last {
            let g = self.yoy(ind, area, Period::Year(y));
            let Some(v) = g.value else {
                return absent(g.why.unwrap());
            };
            prod *= 1.0 + v / 100.0;
            st = weakest(st, g.status);
            fl |= g.flags.0;
        }
        if prod <= 0.0 {
            return absent(Why::Overflow);
        }
        self.figure(
            None,
            Ok(((prod.powf(1.0 / f64::from(n)) - 1.0) * 100.0, st, fl)),
            true,
            ind,
        )
    }

    fn group(&self, area: &str, d: NaiveDate) -> Option<(String, Vec<String>)> {
        let region = self.reg.memberships().iter().find(|m| {
            m.member == area
                && m.valid_from.is_none_or(|f| f <= d)
                && m.valid_to.is_none_or(|t| d <= t)
        });
        if let Some(m) = region {
            let peers = self
                .reg
                .members_on(&m.region, d)
                .iter()
                .map(|a| a.key.clone())
                .collect();
            return Some((m.region.clone(), peers));
        }
        let parent = self.area(area).parent.clone()?;
        let pa = self.reg.resolve_on(&parent, d)?;
        let peers = self
            .reg
            .all()
            .iter()
            .filter(|a| a.parent.as_deref() == Some(parent.as_str()) && a.valid_on(d))
            .map(|a| a.key.clone())
            .collect();
        Some((pa.key.clone(), peers))
    }

    fn eval(&self, ind: &str, area: &str, p: Period, m: Derived) -> Figure {
        let info = self.ind(ind);
        let dims = self.dims.borrow().clone();
        if !dims.is_empty() && m == Derived::SharePct {
            // % of the total it is part of (one breakdown here: the total is "")
            let c = (|| {
                let (v, s, f) = self.level(ind, area, p, false)?;
                let (t, ts, tf) = self.with_dims("", || self.level(ind, area, p, false))?;
                if t == 0.0 {
                    return Err(Why::ZeroBase);
                }
                Ok((v / t * 100.0, weakest(s, ts), f | tf))
            })();
            return self.figure(None, c, true, ind);
        }
        if !dims.is_empty() && matches!(m, Derived::Rank | Derived::RankYoy) {
            // among the parts stored for the indicator (anywhere): those with a figure
            let score = |d: &str| -> Val {
                self.with_dims(d, || {
                    if m == Derived::RankYoy {
                        let f = self.yoy(ind, area, p);
                        f.value
                            .map(|v| (v, f.status, f.flags.0))
                            .ok_or_else(|| f.why.unwrap())
                    } else {
                        self.level(ind, area, p, false)
                    }
                })
            };
            let own = match score(&dims) {
                Ok(v) => v,
                Err(w) => return absent(w),
            };
            let mut siblings: Vec<&String> = self
                .series
                .iter()
                .filter(|(i, _, _, d)| i == ind && !d.is_empty())
                .map(|(_, _, _, d)| d)
                .collect();
            siblings.sort();
            siblings.dedup();
            let (mut above, mut ranked, mut st) = (0, 0u32, own.1);
            for d in siblings {
                if let Ok((v, s, _)) = score(d) {
                    ranked += 1;
                    st = weakest(st, s);
                    if v > own.0 {
                        above += 1;
                    }
                }
            }
            let mut f = self.figure(None, Ok(((above + 1) as f64, st, own.2)), true, ind);
            f.out_of = Some(ranked.max(1));
            return f;
        }
        let ytd = match p {
            Period::Year(_) | Period::Span(..) => p,
            _ => Period::Cumulative(p.year(), p.months().1),
        };
        // plans are for a year or a span of years
        let plan_p = match p {
            Period::Span(..) => p,
            _ => Period::Year(p.year()),
        };
        match m {
            Derived::Value => {
                let r = self.stored_alias(ind, area, Measure::Level, p);
                self.figure(r, self.level(ind, area, p, true), false, ind)
            }
            Derived::Cumulative if info.time_aggregation == TimeAggregation::Stock => {
                self.eval(ind, area, p, Derived::Value)
            }
            Derived::Cumulative => self.eval(ind, area, ytd, Derived::Value),
            Derived::YoyPct => self.yoy(ind, area, p),
            Derived::CumulativeYoyPct => self.yoy(ind, area, ytd),
            Derived::MomPct => {
                let r = self.stored(ind, area, Measure::MomPct, p);
                let prev = previous_period(p);
                let c = if info.time_aggregation == TimeAggregation::Index {
                    Err(Why::NotApplicable(
                        "an index on the same period of the previous year gives no change on the previous period",
                    ))
                } else if let Some(prev) = prev {
                    self.level(ind, area, p, false).and_then(|cur| {
                        pct_change(
                            cur,
                            self.level(ind, area, prev, false),
                            Why::NoPreviousPeriod,
                        )
                    })
                } else {
                    Err(Why::NotApplicable(
                        "a year or year-to-date has no previous period; use yoy_pct",
                    ))
                };
                self.figure(r, c, true, ind)
            }
            Derived::ChangePp | Derived::MomChangePp => {
                let prev = if m == Derived::ChangePp {
                    Some(p.previous_year())
                } else {
                    previous_period(p)
                };
                let Some(prev) = prev else {
                    return absent(Why::NotApplicable(
                        "a year or year-to-date has no previous period; use change_pp",
                    ));
                };
                let c = if info.unit.label != "%" {
                    Err(Why::NotApplicable(
                        "percentage points measure the change of a percentage (a share, a ratio, a rate); use yoy_pct",
                    ))
                } else if info.time_aggregation == TimeAggregation::Index {
                    Err(Why::NotApplicable(
                        "an index on the same period of the previous year: its change is yoy_pct",
                    ))
                } else {
                    self.level(ind, area, p, false).and_then(|(c, cs, cf)| {
                        let missing = if m == Derived::ChangePp {
                            Why::NoPreviousYear
                        } else {
                            Why::NoPreviousPeriod
                        };
                        match self.level(ind, area, prev, false) {
                            Ok((b, bs, bf)) => Ok((c - b, weakest(cs, bs), cf | bf)),
                            Err(Why::NoData | Why::Incomplete { .. }) => Err(missing),
                            Err(w) => Err(w),
                        }
                    })
                };
                self.figure(None, c, true, ind)
            }
            Derived::Plan => self.figure(None, self.plan(ind, area, plan_p), true, ind),
            Derived::AvgAnnualGrowthPct => self.avg_growth(ind, area, p),
            Derived::PlanPct => {
                // a flow's reported % of plan is its year-to-date's
                let r = self
                    .stored_alias(ind, area, Measure::PlanPct, p)
                    .or_else(|| {
                        (info.time_aggregation == TimeAggregation::Flow && ytd != p)
                            .then(|| self.stored_alias(ind, area, Measure::PlanPct, ytd))
                            .flatten()
                    });
                let c = match info.time_aggregation {
                    TimeAggregation::Index => Err(Why::NotApplicable(
                        "an index has no plan level; use target_gap_pp",
                    )),
                    t => {
                        let actual = if t == TimeAggregation::Flow { ytd } else { p };
                        self.level(ind, area, actual, false).and_then(|(a, s, f)| {
                            let (pl, ps, pf) = self.plan(ind, area, plan_p)?;
                            if pl == 0.0 {
                                return Err(Why::ZeroBase);
                            }
                            Ok((a / pl * 100.0, weakest(s, ps), f | pf))
                        })
                    }
                };
                self.figure(r, c, true, ind)
            }
            Derived::TargetGapPp => {
                let Some((t, ts, _)) = self.stored(ind, area, Measure::PlanYoyPct, plan_p) else {
                    return absent(Why::NoTarget);
                };
                let g = if matches!(p, Period::Span(..)) {
                    self.avg_growth(ind, area, p)
                } else {
                    self.yoy(ind, area, ytd)
                };
                match g.value {
                    Some(v) => self.figure(
                        None,
                        Ok((v - t, weakest(g.status, ts), g.flags.0)),
                        true,
                        ind,
                    ),
                    None => absent(g.why.unwrap()),
                }
            }
            Derived::SharePct => {
                let c = (|| {
                    if info.area_aggregation != AreaAggregation::Sum {
                        return Err(Why::NotAggregated);
                    }
                    let (g, _) = self.group(area, p.end_date()).ok_or(Why::NoGroup)?;
                    let (v, s, f) = self.level(ind, area, p, false)?;
                    let (t, ts, tf) = self.level(ind, &g, p, false)?;
                    if t == 0.0 {
                        return Err(Why::ZeroBase);
                    }
                    Ok((v / t * 100.0, weakest(s, ts), f | tf))
                })();
                self.figure(None, c, true, ind)
            }
            Derived::Rank | Derived::RankYoy => {
                let Some((_, peers)) = self.group(area, p.end_date()) else {
                    return absent(Why::NoGroup);
                };
                let score = |a: &str| -> Val {
                    if m == Derived::RankYoy {
                        let f = self.yoy(ind, a, p);
                        f.value
                            .map(|v| (v, f.status, f.flags.0))
                            .ok_or_else(|| f.why.unwrap())
                    } else {
                        self.level(ind, a, p, false)
                    }
                };
                if !peers.iter().any(|a| a == area) {
                    return absent(Why::NoGroup);
                }
                let own = match score(area) {
                    Ok(v) => v,
                    Err(w) => return absent(w),
                };
                let scores: Vec<Val> = peers.iter().map(|a| score(a)).collect();
                let missing = scores.iter().filter(|s| s.is_err()).count();
                if missing > 0 {
                    return absent(Why::PartialGroup {
                        missing: missing as u16,
                    });
                }
                let above = scores.iter().filter(|s| s.unwrap().0 > own.0).count();
                let st = scores
                    .iter()
                    .fold(Status::Final, |a, s| weakest(a, s.unwrap().1));
                let mut f = self.figure(None, Ok(((above + 1) as f64, st, own.2)), true, ind);
                f.out_of = Some(peers.len() as u32);
                f
            }
        }
    }
}

fn absent(why: Why) -> Figure {
    Figure::absent(why)
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    }
}

fn same(e: &Figure, o: &Figure) -> bool {
    close(e.value, o.value)
        && close(e.reported, o.reported)
        && close(e.computed, o.computed)
        && e.why == o.why
        && e.status == o.status
        && e.flags == o.flags
        && e.discrepancy == o.discrepancy
        && e.out_of == o.out_of
}

/// Runs a case; returns how many figures of each measure were present and
/// how many were flagged comparable, aggregated, derived or discrepant.
fn run_case(seed: u64, n_batches: usize, n_queries: usize) -> HashMap<&'static str, usize> {
    let mut seen: HashMap<&'static str, usize> = HashMap::new();
    let formula = random_formula(&mut Rng(seed ^ 0xF0F0), 3);
    let (reg, inds) = world_with(&formula);
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create_with(dir.path(), &reg, &inds).unwrap();
    let mut fed = Engine::new(reg.clone(), inds.clone());
    // loaded from the store after the first batch, then fed the rest
    let mut mixed: Option<Engine> = None;
    let mut vintages: Vec<(i64, Observation)> = vec![];
    let mut times = vec![];
    for (b, obs) in batches(seed, n_batches, &reg, &inds)
        .into_iter()
        .enumerate()
    {
        let t = 1_600_000_000_000_000 + b as i64 * 1_000_000;
        let summary = store
            .commit_import(
                &ImportBatch {
                    observations: obs.clone(),
                    submitter: "t".into(),
                    origin: "t".into(),
                    sha256: String::new(),
                    recorded_at: Some(t),
                },
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(
            fed.apply(&obs, &summary),
            summary.new_vintages,
            "apply counts as the store does"
        );
        match &mut mixed {
            None => mixed = Some(Engine::load(&store).unwrap()),
            Some(m) => assert_eq!(m.apply(&obs, &summary), summary.new_vintages),
        }
        // the model keeps every vintage the store would: changed or new keys
        for o in obs {
            let prev = vintages.iter().rev().find(|(_, v)| {
                (&v.indicator, &v.area, v.measure, v.period, &v.dims)
                    == (&o.indicator, &o.area, o.measure, o.period, &o.dims)
            });
            let unchanged = prev.is_some_and(|(_, v)| {
                v.value.to_bits() == o.value.to_bits()
                    && v.status == o.status
                    && v.source == o.source
                    && v.note == o.note
            });
            if !unchanged {
                vintages.push((t, o));
            }
        }
        times.push(t);
    }
    let loaded = Engine::load(&store).unwrap();
    let mixed = mixed.unwrap();
    assert_eq!(loaded.cube().counts(), fed.cube().counts());
    assert_eq!(loaded.cube().counts(), mixed.cube().counts());
    let mut rng = Rng(seed ^ 0x5EED);
    let as_ofs: Vec<Option<i64>> = std::iter::once(None)
        .chain(times.iter().map(|t| Some(*t)))
        .chain(times.iter().map(|t| Some(*t - 1)))
        .collect();
    for _ in 0..n_queries {
        let a = AREAS[rng.below(AREAS.len() as u64) as usize];
        let ind = &inds[rng.below(inds.len() as u64) as usize].code;
        let y = 2019 + rng.below(4) as i32;
        let ps = periods_of(y);
        let m = Derived::ALL[rng.below(Derived::ALL.len() as u64) as usize];
        // spans of years, mostly for the measure made for them
        let span = rng.chance(if m == Derived::AvgAnnualGrowthPct {
            80
        } else {
            8
        });
        let p = if span {
            Period::Span(y.max(2020), 2 + (rng.below(2) as u8 * u8::from(y > 2020)))
        } else {
            ps[rng.below(ps.len() as u64) as usize]
        };
        let dims = if ind == "B" && rng.chance(50) {
            PARTS[1 + rng.below(PARTS.len() as u64 - 1) as usize]
        } else {
            ""
        };
        let o = Options {
            as_of: as_ofs[rng.below(as_ofs.len() as u64) as usize],
            prefer: if rng.chance(20) {
                Prefer::Computed
            } else {
                Prefer::Reported
            },
            basis: if rng.chance(10) {
                Basis::AsReported
            } else {
                Basis::Comparable
            },
            explain: rng.chance(10),
            no_estimates: rng.chance(20),
        };
        let q = Query {
            indicator: ind,
            area: a,
            dims,
            period: p,
            measure: m,
        };
        let oracle = Oracle::new(&reg, &inds, &vintages, o);
        let expected = oracle.with_dims(dims, || oracle.eval(ind, a, p, m));
        if !dims.is_empty() && expected.value.is_some() {
            *seen.entry("breakdown").or_default() += 1;
            if matches!(m, Derived::SharePct | Derived::Rank | Derived::RankYoy) {
                *seen.entry("within a breakdown").or_default() += 1;
            }
        }
        // a province's aggregate not across a boundary: its total from its parts
        if ind == "B"
            && dims.is_empty()
            && a != "R"
            && expected.flags.has(Flags::AGGREGATED)
            && !expected.flags.has(Flags::COMPARABLE)
        {
            *seen.entry("total from parts").or_default() += 1;
        }
        if expected.value.is_some() {
            *seen.entry(m.as_str()).or_default() += 1;
            for w in expected.flags.words() {
                *seen.entry(w).or_default() += 1;
            }
        }
        if expected.discrepancy {
            *seen.entry("discrepancy").or_default() += 1;
        }
        for (name, engine) in [
            ("loaded", &loaded),
            ("fed", &fed),
            ("loaded then fed", &mixed),
        ] {
            let got = engine.eval(&q, &o).unwrap();
            assert!(
                same(&got, &expected),
                "seed {seed} {name}: {ind}[{dims}] {a} {p} {m} {o:?} (Z = {formula})\n engine: {got:?}\n oracle: {expected:?}"
            );
            if o.explain && got.value.is_some() && !got.flags.has(Flags::REPORTED) {
                // every input named by --explain is a stored vintage known then
                for i in &got.inputs {
                    assert!(o.as_of.is_none_or(|t| i.recorded_at <= t), "{i:?}");
                }
                // (a formula of constants alone reads nothing)
                let constant = ind == "Z"
                    && solieu_engine::rules::parse_formula(&formula)
                        .unwrap()
                        .indicators()
                        .is_empty();
                assert!(
                    !got.inputs.is_empty() || constant,
                    "seed {seed}: {ind} {a} {p} {m} (Z = {formula}): {got:?}"
                );
            }
        }
    }
    // in one request, grouped by options, requests come out as they do one
    // by one (the bulk path, the rank memo and the threads change nothing)
    for as_of in [None, times.last().copied()] {
        let o = Options {
            as_of,
            ..Options::default()
        };
        let mut keys = vec![];
        for ind in &inds {
            for a in AREAS {
                for y in 2020..=2022 {
                    for m in [2u8, 7, 12] {
                        for d in [
                            Derived::CumulativeYoyPct,
                            Derived::RankYoy,
                            Derived::Rank,
                            Derived::Value,
                        ] {
                            keys.push((ind.code.clone(), a, Period::Month(y, m), d));
                        }
                    }
                }
            }
        }
        let qs: Vec<Query<'_>> = keys
            .iter()
            .map(|(i, a, p, d)| Query {
                indicator: i,
                area: a,
                dims: "",
                period: *p,
                measure: *d,
            })
            .collect();
        let together = loaded.eval_many(&qs, &o).unwrap();
        for (q, f) in qs.iter().zip(&together) {
            let alone = loaded.eval(q, &o).unwrap();
            assert!(
                same(f, &alone),
                "{q:?}\n together: {f:?}\n alone: {alone:?}"
            );
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn every_measure_equals_the_naive_recomputation(seed in any::<u64>(), n in 1usize..4) {
        run_case(seed, n, 400);
    }
}

#[test]
fn a_fixed_case_with_many_revisions() {
    let seen = run_case(1, 4, 5000);
    // the case exercises every measure and every way of obtaining a figure
    for m in Derived::ALL {
        assert!(
            seen.get(m.as_str()).copied().unwrap_or(0) >= 1,
            "{m}: {seen:?}"
        );
    }
    for w in [
        "reported",
        "derived",
        "aggregated",
        "comparable basis",
        "discrepancy",
        "breakdown",
        "within a breakdown",
        "total from parts",
        "estimated",
        "formula",
    ] {
        assert!(seen.get(w).copied().unwrap_or(0) >= 3, "{w}: {seen:?}");
    }
}

#[test]
fn the_snapshot_is_used_only_when_it_matches_the_store() {
    let (reg, inds) = world();
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create_with(dir.path(), &reg, &inds).unwrap();
    let snap = dir.path().join("engine.snapshot");
    let batches = batches(11, 3, &reg, &inds);
    let commit = |store: &mut SqliteStore, obs: &[Observation], b: i64| {
        store
            .commit_import(
                &ImportBatch {
                    observations: obs.to_vec(),
                    submitter: "t".into(),
                    origin: "t".into(),
                    sha256: String::new(),
                    recorded_at: Some(1_600_000_000_000_000 + b * 1_000_000),
                },
                &mut |_| {},
            )
            .unwrap()
    };
    commit(&mut store, &batches[0], 0);
    commit(&mut store, &batches[1], 1);
    let (first, used) = Engine::open(&store, &snap).unwrap();
    assert!(!used, "no snapshot yet");
    let (second, used) = Engine::open(&store, &snap).unwrap();
    assert!(used, "the snapshot written by the first open");
    let figures = |e: &Engine| -> Vec<Figure> {
        let mut out = vec![];
        for a in AREAS {
            for ind in ["F", "W", "X", "M"] {
                for p in periods_of(2021) {
                    for m in [Derived::Value, Derived::CumulativeYoyPct, Derived::Rank] {
                        for as_of in [None, Some(1_600_000_000_500_000)] {
                            let q = Query {
                                indicator: ind,
                                area: a,
                                dims: "",
                                period: p,
                                measure: m,
                            };
                            out.push(
                                e.eval(
                                    &q,
                                    &Options {
                                        as_of,
                                        ..Options::default()
                                    },
                                )
                                .unwrap(),
                            );
                        }
                    }
                }
            }
        }
        out
    };
    assert_eq!(first.cube().counts(), second.cube().counts());
    assert_eq!(figures(&first), figures(&second));
    // a later import makes it stale: the store is read again, and the new figures are there
    commit(&mut store, &batches[2], 2);
    let (third, used) = Engine::open(&store, &snap).unwrap();
    assert!(!used, "stale snapshot ignored");
    assert_eq!(figures(&third), figures(&Engine::load(&store).unwrap()));
    // a damaged snapshot is ignored, never trusted
    let mut bytes = std::fs::read(&snap).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&snap, &bytes).unwrap();
    let (fourth, used) = Engine::open(&store, &snap).unwrap();
    assert!(!used);
    assert_eq!(fourth.cube().counts(), third.cube().counts());
}

//! The demo store: the real published figures of `demo/vn_figures.csv`
//! (each with its source and publication date, imported as vintages in the
//! order they were published), plus monthly series marked `synthetic demo`
//! for the Southern Key Economic Region's provinces, 2018 to October 2026.
//!
//! The synthetic months are calibrated so that they never contradict a real
//! figure: where a real year-to-date level or growth rate exists, the months
//! are scaled so that their sums reproduce it exactly (e.g. HCMC retail sales
//! of goods Jan–Oct 2020 are 9,9 % above Jan–Oct 2019).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use anyhow::{Context, Result};
use chrono::{FixedOffset, NaiveDate, TimeZone};
use solieu_ingest::{Catalog, Input, ReadOptions};
use solieu_model::{Measure, Observation, Period, Status, Unit};
use solieu_store::ImportBatch;

/// The real figures, with sources (facts copied from public publications).
pub const FIGURES_CSV: &str = include_str!("../demo/vn_figures.csv");

/// Source recorded on every synthetic observation.
pub const SYNTHETIC_SOURCE: &str = "synthetic demo";

/// Indicators given synthetic monthly series.
pub const SYNTHETIC_INDICATORS: [(&str, f64); 5] = [
    // (code, HCMC monthly level in January 2018, in the indicator's unit)
    ("RETAIL_GOODS", 60_000.0),
    ("RETAIL_TOTAL", 88_000.0),
    ("EXPORTS", 3_100.0),
    ("IMPORTS", 3_000.0),
    ("BUDGET_REVENUE", 30_000.0),
];

/// The main export product groups of the synthetic breakdown and their
/// shares of a province's exports in 2018 (the rest is "Hàng hóa khác");
/// electronics gains a point a year. Crude oil is HCMC's only: its share is
/// the real one of January–October 2020 (36,7 tỷ USD with crude oil, 35,2
/// without, Sở Công Thương).
const EXPORT_GROUPS: [(&str, f64); 12] = [
    ("ELECTRONICS", 0.16),
    ("TEXTILES", 0.14),
    ("FOOTWEAR", 0.10),
    ("MACHINERY", 0.09),
    ("WOOD", 0.06),
    ("SEAFOOD", 0.05),
    ("RICE", 0.04),
    ("CASHEW", 0.03),
    ("PLASTIC_PRODUCTS", 0.03),
    ("TRANSPORT", 0.03),
    ("BAGS", 0.02),
    ("CRUDE_OIL", 0.0),
];

/// HCMC's crude oil share of exports, from the real January–October 2020 figures.
const HCMC_CRUDE_SHARE: f64 = (36.7 - 35.2) / 36.7;

/// A month's exports split into the product groups, in tenths of the
/// unit so that the parts add up exactly to the total (the rest to OTHER).
fn export_parts(
    province: usize,
    code: &str,
    y: i32,
    m: u8,
    total: f64,
) -> Vec<(&'static str, f64)> {
    let tenths = (total * 10.0).round() as i64;
    let mut out = vec![];
    let mut used = 0;
    for (gi, (g, base)) in EXPORT_GROUPS.iter().enumerate() {
        let share = match *g {
            "CRUDE_OIL" if code == "79" => HCMC_CRUDE_SHARE,
            "CRUDE_OIL" => 0.0,
            "ELECTRONICS" => base + 0.01 * f64::from(y - 2018),
            _ => *base,
        } * (1.0
            + 0.2
                * noise(
                    (province as u64) << 40 | (gi as u64) << 32 | ((y as u64) << 4) | u64::from(m),
                ));
        let part = (tenths as f64 * share).round() as i64;
        if part > 0 {
            out.push((*g, part as f64 / 10.0));
            used += part;
        }
    }
    out.push(("OTHER", (tenths - used) as f64 / 10.0));
    out
}

/// Size of each pre-2025 member relative to HCMC (retail-like, trade-like).
const PROVINCES: [(&str, f64, f64); 8] = [
    ("79", 1.0, 1.0),
    ("74", 0.25, 0.65),
    ("75", 0.20, 0.50),
    ("77", 0.09, 0.15),
    ("70", 0.05, 0.07),
    ("72", 0.06, 0.10),
    ("80", 0.08, 0.17),
    ("82", 0.07, 0.06),
];

/// What the demo loaded.
pub struct DemoReport {
    /// Real figures imported.
    pub real: usize,
    /// Real figures skipped (approximate values, measures solieu does not store, other units).
    pub skipped: usize,
    /// Publication dates (vintages) of the real figures.
    pub vintages: usize,
    /// Synthetic observations imported.
    pub synthetic: usize,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo store ready: {} real figures in {} publication vintages ({} source rows skipped: approximate, \
             or measures solieu does not store), {} synthetic monthly observations (source '{SYNTHETIC_SOURCE}')",
            self.real, self.vintages, self.skipped, self.synthetic
        )
    }
}

fn indicator_code(name: &str) -> Option<&'static str> {
    Some(match name {
        "retail_goods" => "RETAIL_GOODS",
        "retail_total" => "RETAIL_TOTAL",
        "exports_goods" => "EXPORTS",
        "exports_goods_excl_crude" => "EXPORTS_EXCL_CRUDE",
        "imports_goods" => "IMPORTS",
        "budget_revenue" => "BUDGET_REVENUE",
        "tax_revenue_domestic" => "BUDGET_REVENUE_DOMESTIC",
        "iip" => "IIP",
        "cpi" => "CPI",
        "grdp_growth" | "gdp_growth" | "grdp_constant2010" => "GRDP_CONST",
        "grdp_current" => "GRDP_CURRENT",
        "grdp_per_capita" => "GRDP_PER_CAPITA",
        "fdi_registered" => "FDI_REGISTERED",
        "fdi_new_projects" => "FDI_NEW_PROJECTS",
        "new_enterprises" => "NEW_ENTERPRISES",
        "st_tasks_contracted" => "ST_TASKS_CONTRACTED",
        "st_fund_enterprises" => "ST_FUND_ENTERPRISES",
        "st_certified_enterprises" => "ST_CERTIFIED_ENTERPRISES",
        "st_trained_enterprises" => "ST_TRAINED_ENTERPRISES",
        "st_innovation_events" => "ST_INNOVATION_EVENTS",
        "st_advisory_tasks" => "ST_ADVISORY_TASKS",
        _ => return None,
    })
}

fn status_of(text: &str) -> &'static str {
    let f = solieu_model::text::fold(text);
    if f.starts_with("uoc") {
        "E"
    } else if f.starts_with("so bo") {
        "P"
    } else {
        "A"
    }
}

/// Publication date: `2020-12-09`, `~2020-11` (first of the month).
fn pub_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_start_matches('~');
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok())
}

fn micros_at_noon(d: NaiveDate) -> i64 {
    let vn = FixedOffset::east_opt(7 * 3600).expect("offset");
    vn.from_local_datetime(&d.and_hms_opt(12, 0, 0).expect("noon"))
        .single()
        .expect("fixed offset")
        .timestamp_micros()
}

/// Fills the store. A store that already holds observations is left as it
/// is (returns `None`), so running the demo twice adds nothing.
pub fn load(store: &mut dyn solieu_store::Backend) -> Result<Option<DemoReport>> {
    if store.stats()?.vintages > 0 {
        return Ok(None);
    }
    let indicators = store.indicators()?;
    let areas = store.areas()?;
    let lists = store.code_lists()?;
    let cat = Catalog::new(&indicators, &areas, &lists);
    // 1. real figures, grouped by publication date
    let mut by_date: BTreeMap<NaiveDate, Vec<[String; 9]>> = BTreeMap::new();
    let mut skipped = 0;
    let mut rdr = csv::Reader::from_reader(FIGURES_CSV.as_bytes());
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.records() {
        let r = rec.context("demo figures")?;
        let (ind, area, period, measure, value, unit, status, wording, url, date) = (
            &r[0], &r[3], &r[4], &r[5], &r[6], &r[7], &r[8], &r[9], &r[10], &r[11],
        );
        let measure = match measure {
            "pct_of_plan" => "plan_pct",
            m => m,
        };
        let Some(code) = indicator_code(ind) else {
            skipped += 1;
            continue;
        };
        let unit = unit.replace("/người/năm", "/người");
        let known_measure = Measure::parse(measure).is_some();
        let numeric = value.parse::<f64>().is_ok();
        let target = indicators
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.unit.clone());
        let unit_ok = match (Measure::parse(measure), target) {
            (Some(m), Some(t)) if m.in_indicator_unit() => Unit::parse(&unit).factor_to(&t).is_ok(),
            (Some(_), _) => unit == "%",
            _ => false,
        };
        let date = pub_date(date);
        let area = if area.is_empty() { "VN" } else { area };
        if !known_measure
            || !numeric
            || !unit_ok
            || date.is_none()
            || !seen.insert((
                code,
                area.to_string(),
                period.to_string(),
                measure.to_string(),
                date,
            ))
        {
            skipped += 1;
            continue;
        }
        by_date.entry(date.expect("checked")).or_default().push([
            code.into(),
            area.into(),
            period.into(),
            measure.into(),
            value.into(),
            status_of(status).into(),
            unit,
            url.into(),
            wording.chars().take(300).collect(),
        ]);
    }
    let mut real = 0;
    let mut real_obs: Vec<Observation> = vec![];
    let vintages = by_date.len();
    for (date, rows) in &by_date {
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(solieu_ingest::csv_long::CANONICAL_COLUMNS)?;
        for r in rows {
            w.write_record(r)?;
        }
        let bytes = w.into_inner()?;
        let name = format!("vn_figures.csv (published {date})");
        let read = solieu_ingest::read_files(
            &[Input {
                name: &name,
                bytes: &bytes,
            }],
            &cat,
            &ReadOptions::default(),
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "demo figures: {}",
                e.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        real += read.observations.len();
        real_obs.extend(read.observations.iter().cloned());
        let batch = ImportBatch {
            observations: read.observations,
            submitter: "demo".into(),
            origin: name,
            sha256: read.sha256,
            recorded_at: Some(micros_at_noon(*date)),
        };
        // a second run finds the same values and writes nothing
        store.commit_import(&batch, &mut |_| {})?;
    }
    // 2. synthetic months
    let synthetic = synthetic_series(&real_obs, &areas);
    let n = synthetic.len();
    let batch = ImportBatch {
        observations: synthetic,
        submitter: "demo".into(),
        origin: "synthetic demo series".into(),
        sha256: String::new(),
        recorded_at: None,
    };
    store.commit_import(&batch, &mut |_| {})?;
    // published, so that `solieu serve` shows the overview to anyone at once
    solieu_store::Workflow::publish(
        store,
        "demo data",
        solieu_store::Actor {
            name: "demo",
            origin: "solieu demo",
        },
    )?;
    Ok(Some(DemoReport {
        real,
        skipped,
        vintages,
        synthetic: n,
    }))
}

fn noise(seed: u64) -> f64 {
    // deterministic, no RNG dependency: splitmix64
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as f64 / u64::MAX as f64) - 0.5
}

/// Scales blocks of months so that the sums of months 1..=N hit the
/// targets, and the months after the last target like the last block (so
/// that the year does not step down where the figures end). A target that
/// would scale its block far from the block before it (by more than a
/// third) is a figure of another scope — an annual figure "cả dầu thô"
/// after a ten-month figure "qua cửa khẩu cả nước" — and is left out of the
/// series: it stays a reported figure, and the consistency check flags it.
/// `carried`: the months continue a calibrated year, whose level the first
/// block is held to as well. Returns the scale of the last block (1 when
/// nothing was scaled).
pub fn calibrate(months: &mut [f64; 12], targets: &BTreeMap<u8, f64>, carried: bool) -> f64 {
    let (mut prev_n, mut prev_t) = (0usize, 0.0);
    // a year that continues a calibrated one starts from its level
    let mut last: Option<f64> = carried.then_some(1.0);
    let mut scaled = false;
    for (&n, &t) in targets {
        let n = usize::from(n);
        if n <= prev_n {
            continue;
        }
        let block: f64 = months[prev_n..n].iter().sum();
        let want = t - prev_t;
        if block > 0.0 && want > 0.0 {
            let f = want / block;
            if last.is_some_and(|l| !(0.75..=1.0 / 0.75).contains(&(f / l))) {
                continue;
            }
            for m in &mut months[prev_n..n] {
                *m *= f;
            }
            prev_n = n;
            prev_t = t;
            last = Some(f);
            scaled = true;
        }
    }
    let f = if scaled { last.unwrap_or(1.0) } else { 1.0 };
    for m in &mut months[prev_n..] {
        *m *= f;
    }
    f
}

fn ytd_n(p: Period) -> Option<u8> {
    match p {
        Period::Year(_) => Some(12),
        Period::Cumulative(_, m) => Some(m),
        Period::Month(_, 1) => Some(1),
        Period::Half(_, 1) => Some(6),
        Period::Quarter(_, 1) => Some(3),
        _ => None,
    }
}

fn synthetic_series(real: &[Observation], areas: &solieu_model::AreaRegistry) -> Vec<Observation> {
    let real_keys: std::collections::HashSet<(String, String, Period, Measure)> = real
        .iter()
        .map(|o| (o.indicator.clone(), o.area.clone(), o.period, o.measure))
        .collect();
    let find = |ind: &str, area: &str, p: Period, m: Measure| {
        real.iter()
            .find(|o| o.indicator == ind && o.area == area && o.period == p && o.measure == m)
            .map(|o| o.value)
    };
    let mut out = vec![];
    let last = Period::Month(2026, 10);
    for (ii, (ind, hcmc_base)) in SYNTHETIC_INDICATORS.iter().enumerate() {
        let trade = matches!(*ind, "EXPORTS" | "IMPORTS");
        // baseline and calibration for the pre-2025 members
        let mut series: HashMap<&str, BTreeMap<i32, [f64; 12]>> = HashMap::new();
        for (pi, (code, retail_w, trade_w)) in PROVINCES.iter().enumerate() {
            let base = hcmc_base * if trade { trade_w } else { retail_w };
            let mut years = BTreeMap::new();
            for y in 2018..=2026 {
                let mut months = [0.0; 12];
                for (m, v) in months.iter_mut().enumerate() {
                    let t = f64::from(y - 2018) + m as f64 / 12.0;
                    let season = 1.0
                        + 0.06
                            * ((m as f64 - 1.0) / 12.0 * std::f64::consts::TAU).cos()
                            * if m == 0 { -1.0 } else { 1.0 };
                    // the lockdowns: a sixth down, and back (the largest published
                    // month-on-month change is +16,4 %)
                    let covid =
                        if y == 2020 && (3..=4).contains(&m) || y == 2021 && (6..=8).contains(&m) {
                            0.85
                        } else {
                            1.0
                        };
                    let n =
                        noise((ii as u64) << 32 | (pi as u64) << 16 | ((y as u64) << 4) | m as u64);
                    *v = (base * 1.08f64.powf(t) * season * covid * (1.0 + 0.03 * n) * 10.0)
                        .round()
                        / 10.0;
                }
                years.insert(y, months);
            }
            let key = areas
                .resolve(code, Period::Month(2020, 1))
                .map(|a| a.key.clone())
                .unwrap_or_default();
            // each year starts where the calibrated year before it ended
            let mut carry = 1.0;
            for y in 2018..=2026 {
                if let Some(months) = years.get_mut(&y) {
                    months.iter_mut().for_each(|v| *v *= carry);
                }
                if y > 2024 {
                    continue;
                }
                let mut targets: BTreeMap<u8, f64> = BTreeMap::new();
                let periods: Vec<Period> = real
                    .iter()
                    .filter(|o| {
                        o.indicator == *ind
                            && o.area == key
                            && (o.period.year() == y || o.period.year() == y + 1)
                    })
                    .map(|o| o.period)
                    .collect();
                // (a) real levels of year y, (b) next year's level ÷ its growth
                for p in &periods {
                    let Some(n) = ytd_n(*p) else { continue };
                    if p.year() == y {
                        if let Some(l) = find(ind, &key, *p, Measure::Level) {
                            targets.entry(n).or_insert(l);
                        }
                    } else if let (Some(l), Some(g)) = (
                        find(ind, &key, *p, Measure::Level),
                        find(ind, &key, *p, Measure::YoyPct),
                    ) {
                        targets.entry(n).or_insert(l / (1.0 + g / 100.0));
                    }
                }
                // (d) a single month m with the cumulative to m gives the cumulative to m-1
                for p in &periods {
                    if let Period::Month(py, m) = *p {
                        if py == y && m > 1 {
                            if let (Some(mv), Some(cum)) = (
                                find(ind, &key, *p, Measure::Level),
                                find(ind, &key, Period::Cumulative(y, m), Measure::Level),
                            ) {
                                targets.entry(m - 1).or_insert(cum - mv);
                            }
                        }
                    }
                }
                // (c) growth without a level: from last year's (already calibrated) months
                for p in &periods {
                    let Some(n) = ytd_n(*p) else { continue };
                    if p.year() == y && find(ind, &key, *p, Measure::Level).is_none() {
                        if let Some(g) = find(ind, &key, *p, Measure::YoyPct) {
                            let prev: f64 = years[&(y - 1)][..usize::from(n)].iter().sum();
                            targets.entry(n).or_insert(prev * (1.0 + g / 100.0));
                        }
                    }
                }
                if let Some(months) = years.get_mut(&y) {
                    carry *= calibrate(months, &targets, y > 2018);
                }
            }
            series.insert(code, years);
        }
        // write: pre-2025 members to June 2025, successors from July 2025
        let mut emit = |code: &str, p: Period, dims: String, v: f64| {
            let Ok(area) = areas.resolve(code, p) else {
                return;
            };
            if dims.is_empty()
                && real_keys.contains(&(ind.to_string(), area.key.clone(), p, Measure::Level))
            {
                return;
            }
            let status = if p == last {
                Status::Estimate
            } else if p.year() == 2026 {
                Status::Preliminary
            } else {
                Status::Final
            };
            out.push(Observation {
                indicator: ind.to_string(),
                area: area.key.clone(),
                period: p,
                measure: Measure::Level,
                dims,
                value: (v * 10.0).round() / 10.0,
                status,
                source: SYNTHETIC_SOURCE.into(),
                note: String::new(),
            });
        };
        // the month as stored: the real figure where one was published
        let stored = |code: &str, p: Period, v: f64| {
            areas
                .resolve(code, p)
                .ok()
                .and_then(|a| find(ind, &a.key, p, Measure::Level))
                .unwrap_or((v * 10.0).round() / 10.0)
        };
        for (code, years) in &series {
            let pi = PROVINCES
                .iter()
                .position(|(c, _, _)| c == code)
                .unwrap_or(0);
            for (&y, months) in years {
                for (m, v) in months.iter().enumerate() {
                    let p = Period::Month(y, m as u8 + 1);
                    if p <= Period::Month(2025, 6) {
                        emit(code, p, String::new(), *v);
                        if *ind == "EXPORTS" {
                            let total = stored(code, p, *v);
                            for (g, part) in export_parts(pi, code, y, m as u8 + 1, total) {
                                emit(code, p, format!("PRODUCT={g}"), part);
                            }
                        }
                    }
                }
            }
        }
        for new in ["79", "75", "80", "82"] {
            let Ok(succ) = areas.resolve(new, Period::Month(2025, 7)) else {
                continue;
            };
            let preds: Vec<String> = areas
                .predecessors(&succ.key)
                .iter()
                .filter_map(|s| areas.by_key(&s.from).map(|a| a.code.clone()))
                .collect();
            let mut p = Period::Month(2025, 7);
            while p <= last {
                let (y, m) = (p.year(), p.months().0);
                let v: f64 = preds
                    .iter()
                    .filter_map(|c| series.get(c.as_str()))
                    .map(|ys| ys[&y][usize::from(m) - 1])
                    .sum();
                if v > 0.0 {
                    emit(new, p, String::new(), v);
                    if *ind == "EXPORTS" {
                        // the successor's groups: its predecessors' groups added up
                        let mut parts: BTreeMap<&str, f64> = BTreeMap::new();
                        for c in &preds {
                            let Some(ys) = series.get(c.as_str()) else {
                                continue;
                            };
                            let pi = PROVINCES.iter().position(|(x, _, _)| x == c).unwrap_or(0);
                            let total = (ys[&y][usize::from(m) - 1] * 10.0).round() / 10.0;
                            for (g, part) in export_parts(pi, c, y, m, total) {
                                *parts.entry(g).or_default() += part;
                            }
                        }
                        for (g, part) in parts {
                            emit(new, p, format!("PRODUCT={g}"), part);
                        }
                    }
                }
                p = crate::service::next_period(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_hits_targets() {
        let mut months = [10.0; 12];
        let targets = BTreeMap::from([(1u8, 12.0), (10, 150.0), (12, 180.0)]);
        calibrate(&mut months, &targets, false);
        assert!((months[0] - 12.0).abs() < 1e-9);
        assert!((months[..10].iter().sum::<f64>() - 150.0).abs() < 1e-9);
        assert!((months.iter().sum::<f64>() - 180.0).abs() < 1e-9);
    }

    #[test]
    fn a_figure_of_another_scope_is_not_calibrated_in() {
        // ten months of 36,7 and a year of 40,2 (another scope): November
        // and December would fall to less than half of October
        let mut months = [3.6; 12];
        let targets = BTreeMap::from([(10u8, 36.7), (12, 40.2)]);
        let f = calibrate(&mut months, &targets, false);
        assert!((months[..10].iter().sum::<f64>() - 36.7).abs() < 1e-9);
        assert!((months[10] - months[9]).abs() < 1e-9, "{months:?}");
        assert!((f - 36.7 / 36.0).abs() < 1e-9);
    }
}

//! `solieu-bench gen` writes a synthetic data set of any scale (the national
//! one: 3,355 areas × 100 indicators × 144 months = 48.3 million
//! observations); `solieu-bench run` ingests it into a fresh store, loads the
//! engine and times the four queries of BENCHMARKS.md, printing JSON.
//! `bench/run.sh` runs both and DuckDB on the same CSV and prints the ratios.
//! `solieu-bench pg` ingests the same CSV into SQLite and PostgreSQL in one
//! run and times a node's start from each (`bench/nodes.sh`).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use solieu_engine::{Derived, Engine, Options, Query};
use solieu_model::{
    Area, AreaRegistry, Indicator, IndicatorFields, Level, Measure, Membership, Observation,
    Period, Status,
};
use solieu_store::{ImportBatch, PgStore, SqliteStore, Store};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write DIR/data.csv and DIR/areas.csv.
    Gen {
        #[command(flatten)]
        scale: Scale,
        /// Output directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Ingest DIR/data.csv into DIR/store and time the queries.
    Run {
        #[command(flatten)]
        scale: Scale,
        /// The directory written by `gen`.
        #[arg(long)]
        dir: PathBuf,
        /// Repetitions of each query (the median is reported).
        #[arg(long, default_value_t = 7)]
        reps: usize,
        /// Keep the store of an earlier run (no ingest; the freshness test
        /// adds one import to it).
        #[arg(long)]
        reuse: bool,
    },
    /// SQLite and PostgreSQL side by side: ingest DIR/data.csv into a fresh
    /// SQLite store (DIR/pg-sqlite) and into the empty PostgreSQL database
    /// given, then load the engine from each (a node's start) and commit one
    /// submission of 1,000 observations to each; print JSON.
    Pg {
        #[command(flatten)]
        scale: Scale,
        /// The directory written by `gen`.
        #[arg(long)]
        dir: PathBuf,
        /// An empty PostgreSQL database (postgres://…).
        #[arg(long)]
        database: String,
    },
    /// The breakdown cube: write DIR/data.csv of one indicator broken down
    /// by product × market for every province and month.
    GenBreakdown {
        #[command(flatten)]
        scale: BreakdownScale,
        /// Output directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Ingest the breakdown cube into DIR/store and time "one province, one
    /// month, every product: value, year-to-date growth, share, rank";
    /// print JSON with the figures (for the comparison with DuckDB).
    RunBreakdown {
        #[command(flatten)]
        scale: BreakdownScale,
        /// The directory written by `gen-breakdown`.
        #[arg(long)]
        dir: PathBuf,
        /// Repetitions of the query (the median is reported).
        #[arg(long, default_value_t = 7)]
        reps: usize,
    },
    /// In a fresh process: open DIR/store and load the engine (the server's
    /// start); print the time and the resident memory per observation.
    /// Without --snapshot, from the store (then writes the snapshot); with
    /// it, from the snapshot (a restart).
    Load {
        /// The directory written by `gen` and `run`.
        #[arg(long)]
        dir: PathBuf,
        /// Start from the snapshot.
        #[arg(long)]
        snapshot: bool,
    },
}

#[derive(clap::Args, Clone, Copy)]
struct Scale {
    /// Provinces (members of one region).
    #[arg(long, default_value_t = 34)]
    provinces: usize,
    /// Communes, spread over the provinces.
    #[arg(long, default_value_t = 3321)]
    communes: usize,
    /// Indicators (flows summed across areas).
    #[arg(long, default_value_t = 100)]
    indicators: usize,
    /// Months, ending December 2025.
    #[arg(long, default_value_t = 144)]
    months: usize,
}

#[derive(clap::Args, Clone, Copy)]
struct BreakdownScale {
    /// Products (a complete breakdown).
    #[arg(long, default_value_t = 40)]
    products: usize,
    /// Markets (a complete breakdown).
    #[arg(long, default_value_t = 200)]
    markets: usize,
    /// Provinces.
    #[arg(long, default_value_t = 34)]
    provinces: usize,
    /// Months, ending December 2025.
    #[arg(long, default_value_t = 144)]
    months: usize,
}

const REGION: &str = "R";
const YEAR: i32 = 2025;
const MONTH: u8 = 10;

fn province_code(p: usize) -> String {
    format!("{:02}", p + 1)
}

fn commune_code(c: usize) -> String {
    format!("{:05}", c + 1)
}

fn area_codes(s: &Scale) -> Vec<(String, String)> {
    // (code, group): provinces rank within the region, communes within their province
    let mut v: Vec<(String, String)> = (0..s.provinces)
        .map(|p| (province_code(p), REGION.to_string()))
        .collect();
    v.extend((0..s.communes).map(|c| (commune_code(c), province_code(c % s.provinces))));
    v
}

fn world(s: &Scale) -> Result<(AreaRegistry, Vec<Indicator>)> {
    let mut areas = vec![Area {
        key: REGION.into(),
        code: REGION.into(),
        level: Level::Region,
        name_vi: "Vùng".into(),
        name_en: "Region".into(),
        parent: None,
        valid_from: None,
        valid_to: None,
    }];
    let mut members = vec![];
    for (code, group) in area_codes(s) {
        let province = group == REGION;
        areas.push(Area {
            key: code.clone(),
            code: code.clone(),
            level: if province {
                Level::Province
            } else {
                Level::Commune
            },
            name_vi: code.clone(),
            name_en: code.clone(),
            parent: (!province).then(|| group.clone()),
            valid_from: None,
            valid_to: None,
        });
        if province {
            members.push(Membership {
                region: REGION.into(),
                member: code,
                valid_from: None,
                valid_to: None,
            });
        }
    }
    let inds = (0..s.indicators)
        .map(|i| {
            let code = format!("I{:03}", i + 1);
            Indicator::parse(&IndicatorFields {
                code: &code,
                name_vi: &code,
                name_en: &code,
                unit: "tỷ đồng",
                time_aggregation: "flow",
                area_aggregation: "sum",
                decimals: "1",
                ..Default::default()
            })
            .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    // a formula indicator: the ratio of the first two, in % (Q5)
    let mut inds = inds;
    inds.push(
        Indicator::parse(&IndicatorFields {
            code: FORMULA,
            name_vi: FORMULA,
            name_en: FORMULA,
            unit: "%",
            decimals: "1",
            formula: "I001 / I002 * 100",
            ..Default::default()
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    Ok((AreaRegistry::new(areas, vec![], members), inds))
}

/// The formula indicator of Q5.
const FORMULA: &str = "R001";

fn months(s: &Scale) -> Vec<(i32, u8)> {
    let first = (YEAR + 1) * 12 - s.months as i32; // months since year 0, December 2025 last
    (0..s.months as i32)
        .map(|k| {
            let m = first + k;
            (m.div_euclid(12), (m.rem_euclid(12) + 1) as u8)
        })
        .collect()
}

fn value(i: usize, a: usize, y: i32, m: u8) -> f64 {
    let mut z = (i as u64) << 40 ^ (a as u64) << 16 ^ (y as u64) << 4 ^ u64::from(m);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let noise = (z >> 11) as f64 / (1u64 << 53) as f64;
    let base = 100.0 + (a % 97) as f64 * 10.0 + (i % 13) as f64 * 50.0;
    let trend = 1.07f64.powf(f64::from(y - 2014) + f64::from(m) / 12.0);
    (base * trend * (0.9 + 0.2 * noise) * 10.0).round() / 10.0
}

fn gen(s: &Scale, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut a = std::io::BufWriter::new(std::fs::File::create(dir.join("areas.csv"))?);
    writeln!(a, "area,grp")?;
    for (code, group) in area_codes(s) {
        writeln!(a, "{code},{group}")?;
    }
    a.flush()?;
    let mut w =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("data.csv"))?);
    writeln!(w, "indicator,area,period,value")?;
    let ms = months(s);
    let mut n = 0u64;
    for i in 0..s.indicators {
        for (ai, (code, _)) in area_codes(s).iter().enumerate() {
            for (y, m) in &ms {
                writeln!(
                    w,
                    "I{:03},{code},{y}-{m:02},{}",
                    i + 1,
                    value(i, ai, *y, *m)
                )?;
                n += 1;
            }
        }
    }
    w.flush()?;
    eprintln!(
        "{n} observations written to {}",
        dir.join("data.csv").display()
    );
    Ok(())
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn median_ms(reps: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = vec![];
    let mut n = 0;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        n = std::hint::black_box(f());
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], n)
}

fn run(s: &Scale, dir: &std::path::Path, reps: usize, reuse: bool) -> Result<()> {
    let (reg, inds) = world(s)?;
    let store_dir = dir.join("store");
    let (rows, ingest_s) = if reuse {
        let store = SqliteStore::open(&store_dir)?;
        (store.fingerprint()?.vintages as usize, f64::NAN)
    } else {
        if store_dir.exists() {
            std::fs::remove_dir_all(&store_dir)?;
        }
        let _ = std::fs::remove_file(dir.join("engine.snapshot"));
        let mut store = SqliteStore::create_with(&store_dir, &reg, &inds)?;
        ingest(&mut store, &dir.join("data.csv"))?
    };
    let db_bytes = std::fs::metadata(store_dir.join("solieu.db"))?.len();

    // the server's start: open the store, load the engine (from the
    // snapshot when reusing a store; `load` measures both in fresh processes)
    let t = Instant::now();
    let store = SqliteStore::open(&store_dir)?;
    let mut engine = if reuse {
        Engine::open(&store, &dir.join("engine.snapshot"))?.0
    } else {
        Engine::load(&store).context("loading the engine")?
    };
    let load_s = t.elapsed().as_secs_f64();

    let codes: Vec<String> = area_codes(s).into_iter().map(|(c, _)| c).collect();
    // the stored indicators (Q5's formula is asked apart)
    let ind_codes: Vec<String> = inds
        .iter()
        .filter(|i| !i.is_formula())
        .map(|i| i.code.clone())
        .collect();
    let o = Options::default();
    let month = Period::Month(YEAR, MONTH);
    let one_area = codes[s.provinces + 41.min(s.communes.saturating_sub(1))].clone();

    // Q1: one area, all indicators: month, cumulative, and the yoy of both
    let q1: Vec<Query<'_>> = ind_codes
        .iter()
        .flat_map(|i| {
            [
                Derived::Value,
                Derived::Cumulative,
                Derived::YoyPct,
                Derived::CumulativeYoyPct,
            ]
            .map(|m| Query {
                indicator: i,
                area: &one_area,
                dims: "",
                period: month,
                measure: m,
            })
        })
        .collect();
    let (q1_ms, _) = median_ms(reps, || {
        engine.eval_many(&q1, &o).map(|v| v.len()).unwrap_or(0)
    });
    // Q2: one indicator, all areas: cumulative yoy and rank by it
    let q2: Vec<Query<'_>> = codes
        .iter()
        .flat_map(|a| {
            [Derived::CumulativeYoyPct, Derived::RankYoy].map(|m| Query {
                indicator: &ind_codes[0],
                area: a,
                dims: "",
                period: Period::Cumulative(YEAR, MONTH),
                measure: m,
            })
        })
        .collect();
    let (q2_ms, _) = median_ms(reps, || {
        engine.eval_many(&q2, &o).map(|v| v.len()).unwrap_or(0)
    });
    // Q3: one series, all months
    let q3: Vec<Query<'_>> = months(s)
        .into_iter()
        .map(|(y, m)| Query {
            indicator: &ind_codes[0],
            area: &one_area,
            dims: "",
            period: Period::Month(y, m),
            measure: Derived::Value,
        })
        .collect();
    let (q3_ms, _) = median_ms(reps, || {
        engine.eval_many(&q3, &o).map(|v| v.len()).unwrap_or(0)
    });
    // Q4: the whole cube's cumulative yoy for one month
    let q4: Vec<Query<'_>> = ind_codes
        .iter()
        .flat_map(|i| {
            codes.iter().map(move |a| Query {
                indicator: i,
                area: a,
                dims: "",
                period: month,
                measure: Derived::CumulativeYoyPct,
            })
        })
        .collect();
    let (q4_ms, q4_n) = median_ms(reps, || {
        engine
            .eval_many(&q4, &o)
            .map(|v| v.iter().filter(|f| f.value.is_some()).count())
            .unwrap_or(0)
    });
    // Q5: a formula indicator over all areas (the shape of Q2): the
    // year-to-date ratio I001 ÷ I002 × 100 of every area, and its rank
    let q5: Vec<Query<'_>> = codes
        .iter()
        .flat_map(|a| {
            [Derived::Cumulative, Derived::Rank].map(|m| Query {
                indicator: FORMULA,
                area: a,
                dims: "",
                period: Period::Cumulative(YEAR, MONTH),
                measure: m,
            })
        })
        .collect();
    let (q5_ms, _) = median_ms(reps, || {
        engine.eval_many(&q5, &o).map(|v| v.len()).unwrap_or(0)
    });
    let f = engine.eval(&q5[0], &o)?;
    let direct = {
        let a: f64 = (1..=MONTH).map(|m| value(0, 0, YEAR, m)).sum();
        let b: f64 = (1..=MONTH).map(|m| value(1, 0, YEAR, m)).sum();
        a / b * 100.0
    };
    if engine.indicator(FORMULA).is_some() && f.value.is_none_or(|v| (v - direct).abs() > 1e-6) {
        bail!("Q5 check failed: engine {:?} vs direct {direct}", f.value);
    }
    // checksum: Q4's figures agree with a direct sum over the CSV values
    let f = engine.eval(&q4[0], &o)?;
    let direct = {
        let cur: f64 = (1..=MONTH).map(|m| value(0, 0, YEAR, m)).sum();
        let prev: f64 = (1..=MONTH).map(|m| value(0, 0, YEAR - 1, m)).sum();
        (cur / prev - 1.0) * 100.0
    };
    // (a reused store holds the revisions of earlier freshness tests)
    if !reuse && f.value.is_none_or(|v| (v - direct).abs() > 1e-6) {
        bail!("Q4 check failed: engine {:?} vs direct {direct}", f.value);
    }

    // freshness: one submission of 1,000 revised observations, committed,
    // applied, and read back through a derived figure
    drop(store);
    let mut store = SqliteStore::open(&store_dir)?;
    let batch = revisions(
        &ind_codes,
        &codes,
        1_000_000.0 + 1000.0 * engine.cube().last_import() as f64,
    );
    let n = batch.len();
    let t = Instant::now();
    let summary = store.commit_import(
        &ImportBatch {
            observations: batch.clone(),
            submitter: "bench".into(),
            origin: "bench".into(),
            ..Default::default()
        },
        &mut |_| {},
    )?;
    let commit_ms = t.elapsed().as_secs_f64() * 1000.0;
    engine.apply(&batch, &summary);
    let after = engine.eval(
        &Query {
            indicator: &batch[n - 1].indicator,
            area: &batch[n - 1].area,
            dims: "",
            period: month,
            measure: Derived::Value,
        },
        &o,
    )?;
    let fresh_ms = t.elapsed().as_secs_f64() * 1000.0;
    if after.value != Some(batch[n - 1].value) {
        bail!("freshness check failed: {:?}", after.value);
    }

    let out = serde_json::json!({
        "observations": rows,
        "ingest_s": ingest_s,
        "ingest_obs_per_s": rows as f64 / ingest_s,
        "store_bytes": db_bytes,
        "load_s": load_s,
        "q1_ms": q1_ms, "q2_ms": q2_ms, "q3_ms": q3_ms, "q4_ms": q4_ms, "q5_ms": q5_ms,
        "q4_figures": q4_n,
        "fresh_1000_ms": fresh_ms,
        "fresh_commit_ms": commit_ms,
        "one_area": one_area,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn load(dir: &std::path::Path, snapshot: bool) -> Result<()> {
    let rss0 = rss_bytes();
    let t = Instant::now();
    let store = SqliteStore::open(&dir.join("store"))?;
    let engine = if snapshot {
        let (e, used) = Engine::open(&store, &dir.join("engine.snapshot"))?;
        if !used {
            bail!("the snapshot was not used");
        }
        e
    } else {
        Engine::load(&store)?
    };
    let load_s = t.elapsed().as_secs_f64();
    let rss1 = rss_bytes();
    let (cells, old) = engine.cube().counts();
    if !snapshot {
        engine.write_snapshot(&dir.join("engine.snapshot"), &store.fingerprint()?)?;
    }
    let out = serde_json::json!({
        "ready_s": load_s,
        "vintages": cells + old,
        "rss_bytes": rss1,
        "rss_bytes_per_obs": rss1.saturating_sub(rss0) as f64 / (cells + old) as f64,
        "cube_bytes_per_obs": engine.cube().heap_bytes() as f64 / (cells + old) as f64,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// Ingests DIR/data.csv into a store; (observations, seconds).
fn ingest(store: &mut dyn Store, csv: &std::path::Path) -> Result<(usize, f64)> {
    let t = Instant::now();
    let r = solieu_app::service::import_csv_stream(
        store,
        csv,
        &Default::default(),
        "bench",
        solieu_app::service::CHUNK_ROWS,
        &Default::default(),
    )?;
    let s = t.elapsed().as_secs_f64();
    match r {
        solieu_app::service::ImportResult::Committed { summary, .. } => Ok((summary.rows, s)),
        solieu_app::service::ImportResult::Rejected(e) => bail!(
            "import refused: {}",
            e.iter()
                .map(|d| d.text.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        ),
        solieu_app::service::ImportResult::Checked { .. } => bail!("dry run"),
    }
}

/// One submission of up to 1,000 revised observations for the month,
/// across indicators and areas, their values from `base` on.
fn revisions(inds: &[String], codes: &[String], base: f64) -> Vec<Observation> {
    let n = 1000.min(inds.len() * codes.len());
    (0..n)
        .map(|k| Observation {
            indicator: inds[k / codes.len() % inds.len()].clone(),
            area: codes[k % codes.len()].clone(),
            period: Period::Month(YEAR, MONTH),
            measure: Measure::Level,
            dims: String::new(),
            value: base + k as f64,
            status: Status::Preliminary,
            source: "bench revision".into(),
            note: String::new(),
        })
        .collect()
}

/// One submission of 1,000 revisions: commit milliseconds.
fn commit_1000(store: &mut dyn Store, s: &Scale, inds: &[Indicator]) -> Result<f64> {
    let codes: Vec<String> = area_codes(s).into_iter().map(|(c, _)| c).collect();
    let inds: Vec<String> = inds
        .iter()
        .filter(|i| !i.is_formula())
        .map(|i| i.code.clone())
        .collect();
    let t = Instant::now();
    store.commit_import(
        &ImportBatch {
            observations: revisions(&inds, &codes, 2_000_000.0),
            submitter: "bench".into(),
            origin: "bench".into(),
            ..Default::default()
        },
        &mut |_| {},
    )?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

fn pg(s: &Scale, dir: &std::path::Path, database: &str) -> Result<()> {
    let (reg, inds) = world(s)?;
    let csv = dir.join("data.csv");
    let sqlite_dir = dir.join("pg-sqlite");
    if sqlite_dir.exists() {
        std::fs::remove_dir_all(&sqlite_dir)?;
    }
    let mut sqlite = SqliteStore::create_with(&sqlite_dir, &reg, &inds)?;
    let mut pg = PgStore::create_with(database, &reg, &inds)?;
    if pg.stats()?.vintages > 0 {
        bail!("{database} already holds observations: give an empty database");
    }
    eprintln!("ingest into SQLite …");
    let (rows, sqlite_s) = ingest(&mut sqlite, &csv)?;
    eprintln!("ingest into PostgreSQL …");
    let (pg_rows, pg_s) = ingest(&mut pg, &csv)?;
    if rows != pg_rows {
        bail!("{rows} rows into SQLite, {pg_rows} into PostgreSQL");
    }
    eprintln!("engine from each …");
    let t = Instant::now();
    let from_sqlite = Engine::load(&sqlite)?;
    let sqlite_load_s = t.elapsed().as_secs_f64();
    drop(from_sqlite);
    let t = Instant::now();
    let from_pg = Engine::load(&pg)?;
    let pg_load_s = t.elapsed().as_secs_f64();
    let (cells, old) = from_pg.cube().counts();
    drop(from_pg);
    let sqlite_commit_ms = commit_1000(&mut sqlite, s, &inds)?;
    let pg_commit_ms = commit_1000(&mut pg, s, &inds)?;
    let out = serde_json::json!({
        "observations": rows,
        "engine_vintages": cells + old,
        "sqlite_ingest_obs_per_s": rows as f64 / sqlite_s,
        "pg_ingest_obs_per_s": rows as f64 / pg_s,
        "sqlite_load_s": sqlite_load_s,
        "pg_load_s": pg_load_s,
        "sqlite_commit_1000_ms": sqlite_commit_ms,
        "pg_commit_1000_ms": pg_commit_ms,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The breakdown cube's catalogue: one indicator `X` (exports, say) broken
/// down by GOODS and PARTNER, both complete (their own codes: the built-in
/// PRODUCT and MARKET lists are smaller than the benchmark's scale).
fn breakdown_world(s: &BreakdownScale) -> Result<(AreaRegistry, Vec<Indicator>)> {
    let (reg, _) = world(&Scale {
        provinces: s.provinces,
        communes: 0,
        indicators: 0,
        months: s.months,
    })?;
    let goods: Vec<String> = (0..s.products).map(|p| format!("G{:02}", p + 1)).collect();
    let partners: Vec<String> = (0..s.markets).map(|m| format!("M{:03}", m + 1)).collect();
    let dims = format!(
        "GOODS={}:complete;PARTNER={}:complete",
        goods.join("|"),
        partners.join("|")
    );
    let ind = Indicator::parse(&IndicatorFields {
        code: "X",
        name_vi: "X",
        name_en: "X",
        unit: "triệu USD",
        time_aggregation: "flow",
        area_aggregation: "sum",
        decimals: "1",
        dimensions: &dims,
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((reg, vec![ind]))
}

fn gen_breakdown(s: &BreakdownScale, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut w =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("data.csv"))?);
    writeln!(w, "indicator,area,period,value,GOODS,PARTNER")?;
    let ms = months(&Scale {
        provinces: 0,
        communes: 0,
        indicators: 0,
        months: s.months,
    });
    let mut n = 0u64;
    for a in 0..s.provinces {
        let area = province_code(a);
        for g in 0..s.products {
            for m in 0..s.markets {
                for (y, mo) in &ms {
                    writeln!(
                        w,
                        "X,{area},{y}-{mo:02},{},G{:02},M{:03}",
                        value(g, a * s.markets + m, *y, *mo),
                        g + 1,
                        m + 1
                    )?;
                    n += 1;
                }
            }
        }
    }
    w.flush()?;
    eprintln!(
        "{n} observations written to {}",
        dir.join("data.csv").display()
    );
    Ok(())
}

fn run_breakdown(s: &BreakdownScale, dir: &std::path::Path, reps: usize) -> Result<()> {
    let (reg, inds) = breakdown_world(s)?;
    let store_dir = dir.join("store");
    if store_dir.exists() {
        std::fs::remove_dir_all(&store_dir)?;
    }
    let mut store = SqliteStore::create_with(&store_dir, &reg, &inds)?;
    let (rows, ingest_s) = ingest(&mut store, &dir.join("data.csv"))?;
    let db_bytes = std::fs::metadata(store_dir.join("solieu.db"))?.len();
    let t = Instant::now();
    let engine = Engine::load(&store).context("loading the engine")?;
    let load_s = t.elapsed().as_secs_f64();
    // one province, one month, every product (over all markets)
    let area = province_code(s.provinces / 2);
    let month = Period::Month(YEAR, MONTH);
    let goods: Vec<String> = (0..s.products)
        .map(|p| format!("GOODS=G{:02}", p + 1))
        .collect();
    let measures = [
        Derived::Value,
        Derived::CumulativeYoyPct,
        Derived::SharePct,
        Derived::Rank,
    ];
    let qs: Vec<Query<'_>> = goods
        .iter()
        .flat_map(|g| {
            measures.map(|m| Query {
                indicator: "X",
                area: &area,
                dims: g,
                period: month,
                measure: m,
            })
        })
        .collect();
    let o = Options::default();
    let (first_ms, _) = median_ms(1, || {
        engine.eval_many(&qs, &o).map(|v| v.len()).unwrap_or(0)
    });
    let (ms, _) = median_ms(reps, || {
        engine.eval_many(&qs, &o).map(|v| v.len()).unwrap_or(0)
    });
    let figures = engine.eval_many(&qs, &o)?;
    // the figures, and a check of each against a direct sum of the generator's values
    let a = s.provinces / 2;
    let sum = |g: usize, y: i32, months: std::ops::RangeInclusive<u8>| -> f64 {
        (0..s.markets)
            .map(|m| {
                months
                    .clone()
                    .map(|mo| value(g, a * s.markets + m, y, mo))
                    .sum::<f64>()
            })
            .sum()
    };
    let total: f64 = (0..s.products).map(|g| sum(g, YEAR, MONTH..=MONTH)).sum();
    let mut out_rows = vec![];
    for (g, f) in figures.chunks(measures.len()).enumerate() {
        let v = f[0].value.context("value absent")?;
        let direct = sum(g, YEAR, MONTH..=MONTH);
        let yoy_direct = (sum(g, YEAR, 1..=MONTH) / sum(g, YEAR - 1, 1..=MONTH) - 1.0) * 100.0;
        let share_direct = direct / total * 100.0;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        let (yoy, share, rank) = (
            f[1].value.context("yoy absent")?,
            f[2].value.context("share absent")?,
            f[3].value.context("rank absent")?,
        );
        if !close(v, direct) || !close(yoy, yoy_direct) || !close(share, share_direct) {
            bail!(
                "G{:02}: engine {v} {yoy} {share} vs direct {direct} {yoy_direct} {share_direct}",
                g + 1
            );
        }
        out_rows.push(serde_json::json!({
            "product": format!("G{:02}", g + 1), "value": v, "cumulative_yoy": yoy,
            "share": share, "rank": rank,
        }));
    }
    let out = serde_json::json!({
        "observations": rows,
        "ingest_s": ingest_s,
        "ingest_obs_per_s": rows as f64 / ingest_s,
        "store_bytes": db_bytes,
        "load_s": load_s,
        "area": area,
        "query_first_ms": first_ms,
        "query_ms": ms,
        "rows": out_rows,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Gen { scale, dir } => gen(&scale, &dir),
        Cmd::Run {
            scale,
            dir,
            reps,
            reuse,
        } => run(&scale, &dir, reps, reuse),
        Cmd::Load { dir, snapshot } => load(&dir, snapshot),
        Cmd::GenBreakdown { scale, dir } => gen_breakdown(&scale, &dir),
        Cmd::RunBreakdown { scale, dir, reps } => run_breakdown(&scale, &dir, reps),
        Cmd::Pg {
            scale,
            dir,
            database,
        } => pg(&scale, &dir, &database),
    }
}

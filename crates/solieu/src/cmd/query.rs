//! `solieu query`: stored figures (latest, as of a time, every vintage) or,
//! with `--period` and `--measure`, derived figures from the engine.

use std::process::ExitCode;

use anyhow::{bail, Result};
use solieu_app::{figures, service, timefmt};
use solieu_engine::{Basis, Derived, Options, Prefer};
use solieu_store::ObsQuery;

use super::{print_table, Ctx, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Indicator codes, comma-separated.
    #[arg(long, value_delimiter = ',')]
    indicator: Vec<String>,
    /// Area codes, comma-separated.
    #[arg(long, value_delimiter = ',')]
    area: Vec<String>,
    /// Periods, comma-separated (2020-10, 2020-01/2020-10, 2020-Q3, 2020), or a range FROM..TO.
    #[arg(long, value_delimiter = ',')]
    period: Vec<String>,
    /// Measures, comma-separated. With --period, derived figures: value, cumulative,
    /// mom_pct, yoy_pct, cumulative_yoy_pct, plan_pct, plan, target_gap_pp, share_pct,
    /// rank, rank_yoy, change_pp, mom_change_pp (reported figures preferred). Without --period, stored measures
    /// (level, yoy_pct, mom_pct, plan_pct, plan, plan_yoy_pct).
    #[arg(long, value_delimiter = ',')]
    measure: Vec<String>,
    /// Breakdown filters, repeatable: PRODUCT=ELECTRONICS (a code or a label),
    /// PRODUCT=* (every product group stored). None: derived figures are the
    /// totals, stored figures are all listed.
    #[arg(long)]
    dim: Vec<String>,
    /// List the stored vintages each derived figure came from.
    #[arg(long)]
    explain: bool,
    /// Show computed figures even where a reported one is stored.
    #[arg(long)]
    computed: bool,
    /// Do not reach across boundary changes (no comparable basis).
    #[arg(long)]
    no_comparable: bool,
    /// Leave a regional total absent when a member has not reported, instead
    /// of estimating the member's figure (flagged E, "estimated").
    #[arg(long)]
    no_estimates: bool,
    /// Read as of a time: 2020-11-15 (end of that day, Vietnam time) or RFC 3339.
    #[arg(long)]
    as_of: Option<String>,
    /// Every vintage, not only the latest.
    #[arg(long)]
    history: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn codes(list: &[String]) -> Vec<String> {
    list.iter().map(|i| i.trim().to_ascii_uppercase()).collect()
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let store = ctx.open()?;
    // an unknown code is an error, not an empty answer
    let catalogue = store.indicators()?;
    for i in codes(&a.indicator) {
        if let Some(m) = service::unknown_indicator(&catalogue, &i) {
            return Err(solieu_app::Error::bad(m).into());
        }
    }
    let as_of = a.as_of.as_deref().map(timefmt::parse_as_of).transpose()?;
    let derived = !a.history && !a.period.is_empty() && (!a.measure.is_empty() || a.explain);
    if derived {
        let grid = figures::Grid {
            indicators: codes(&a.indicator),
            areas: a.area.clone(),
            periods: service::parse_periods(&a.period)?,
            measures: if a.measure.is_empty() {
                vec![Derived::Value]
            } else {
                figures::parse_derived(&a.measure)?
            },
            dims: a.dim.clone(),
        };
        let opts = Options {
            as_of,
            prefer: if a.computed {
                Prefer::Computed
            } else {
                Prefer::Reported
            },
            basis: if a.no_comparable {
                Basis::AsReported
            } else {
                Basis::Comparable
            },
            explain: a.explain,
            no_estimates: a.no_estimates,
        };
        let engine = ctx.engine(&*store)?;
        let rows = figures::evaluate(&engine, &grid, &opts)?;
        match a.format {
            Format::Json => print!("{}", figures::json(&engine, &rows, a.explain)?),
            Format::Csv if a.explain => {
                bail!("--explain prints to the screen or JSON; use --format table or json")
            }
            Format::Csv => {
                print_table(&figures::table(&engine, &rows, false), Format::Csv)?;
            }
            Format::Table => {
                print_table(&figures::table(&engine, &rows, true), Format::Table)?;
                if a.explain {
                    print!("{}", figures::explain_text(&engine, &rows));
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.explain || a.computed || a.no_comparable || a.no_estimates {
        bail!("--explain, --computed, --no-comparable and --no-estimates apply to derived figures: give --period and --measure");
    }
    let areas = store.areas()?;
    let periods = service::parse_periods(&a.period)?;
    // old codes that are now breakdown codes (EXPORTS_FDI: EXPORTS, SECTOR=FDI)
    let asked = codes(&a.indicator);
    let wanted: Vec<(String, Option<&str>)> = asked
        .iter()
        .map(|c| match solieu_model::indicator::alias(c) {
            Some((to, dims)) => (to.to_string(), Some(dims)),
            None => (c.clone(), None),
        })
        .collect();
    let q = ObsQuery {
        indicators: wanted.iter().map(|w| w.0.clone()).collect(),
        areas: service::area_keys(&areas, &a.area, &periods)?,
        periods,
        measures: service::parse_measures(&a.measure)?,
        as_of,
    };
    let mut rows = if a.history {
        store.history(&q)?
    } else {
        store.observations(&q)?
    };
    if wanted.iter().any(|w| w.1.is_some()) {
        rows.retain(|v| {
            wanted.iter().any(|(ind, dims)| {
                *ind == v.obs.indicator
                    && dims
                        .is_none_or(|d| d.split(';').all(|p| v.obs.dims.split(';').any(|x| x == p)))
            })
        });
    }
    if !a.dim.is_empty() {
        let fits = figures::dims_match(&store.code_lists()?, &a.dim)?;
        rows.retain(|v| fits(&v.obs.dims));
    }
    print_table(&service::vintage_table(&rows, &areas, a.history), a.format)
}

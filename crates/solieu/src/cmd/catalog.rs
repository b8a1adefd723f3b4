//! `solieu catalog import FILE.csv`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::Ctx;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Add or replace indicators from a CSV (code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals[,scope_note,reporting_unit,dimensions,formula]).
    Import {
        /// The catalogue file.
        file: PathBuf,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<ExitCode> {
    let Action::Import { file } = action;
    let mut store = ctx.open()?;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let lists = store.code_lists()?;
    let existing = store.indicators()?;
    let read =
        solieu_app::service::parse_catalog(&bytes, &file.display().to_string(), &lists, &existing)
            .map_err(|errs| {
                for e in &errs {
                    eprintln!("{e}");
                }
                anyhow::anyhow!("{} error(s); catalogue not changed", errs.len())
            })?;
    for w in &read.warnings {
        eprintln!("warning: {w}");
    }
    let n = store.upsert_indicators(&read.indicators, "cli")?;
    println!("{n} indicators added or updated");
    Ok(ExitCode::SUCCESS)
}

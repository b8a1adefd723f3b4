//! `solieu form template FORM --unit CODE --period 2020-10`: a unit's form
//! as the workbook it fills in and sends back.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use solieu_model::Period;

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Write the form of one unit for one month as an Excel workbook laid
    /// out like the office's form (issuing body, title, the indicators with
    /// their codes and units, last year's figures for reference, the cells
    /// to fill; the rest protected), which imports back as it is.
    Template {
        /// The form's code (BC_THANG).
        form: String,
        /// The reporting unit (area code).
        #[arg(long)]
        unit: String,
        /// The month (2020-10).
        #[arg(long)]
        period: String,
        /// The file to write (default: FORM_UNIT_PERIOD.xlsx here).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let Action::Template {
        form,
        unit,
        period,
        output,
    } = a.action;
    let period = Period::parse(&period).map_err(|e| anyhow::anyhow!("--period: {e}"))?;
    let store = ctx.open()?;
    let engine = ctx.engine(&*store)?;
    let (name, bytes) = solieu_app::forms::template(&*store, &engine, &form, &unit, period)?;
    let out = output.unwrap_or_else(|| PathBuf::from(&name));
    solieu_export::files::write_atomically(&out, &bytes)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}

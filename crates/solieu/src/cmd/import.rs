//! `solieu import FILE…`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use solieu_app::service::{self, ImportResult};

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// Files to import together.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Validate and report, write nothing; for a form, say how each column
    /// was understood (indicator, measure, period, status, unit).
    #[arg(long)]
    dry_run: bool,
    /// Source recorded for rows that give none.
    #[arg(long, default_value = "")]
    source: String,
    /// Area code for wide sheets that do not name their area.
    #[arg(long)]
    area: Option<String>,
    /// Year for wide sheets whose headers and title give none.
    #[arg(long)]
    year: Option<i32>,
    /// The indicators of a sheet whose rows are a breakdown (product
    /// groups, markets) when its title does not say, comma-separated:
    /// EXPORTS,EXPORTS_VOLUME.
    #[arg(long, value_delimiter = ',')]
    indicator: Vec<String>,
    /// How the series of an SDMX-ML message map to the catalogue, for a
    /// structure the built-in mappings do not cover (CSV:
    /// structure,series,indicator,dims,measure,unit_power,area,source).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Who submits (recorded with every vintage).
    #[arg(long, env = "USER", default_value = "cli")]
    submitter: String,
    /// Write into locked reporting rounds (an admin's decision; each
    /// round written is recorded in the audit log).
    #[arg(long)]
    override_lock: bool,
}

/// Located errors shown before "… and N more".
const SHOWN: usize = 200;

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let sdmx_mapping = match read_mapping(a.mapping.as_deref())? {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let opts = solieu_ingest::ReadOptions {
        wide: solieu_ingest::WideOptions {
            area: a.area,
            year: a.year,
            indicators: a.indicator,
            describe: a.dry_run,
        },
        default_source: a.source,
        sdmx_mapping,
    };
    let result = service::import(
        &mut *store,
        &a.files,
        &opts,
        &a.submitter,
        a.dry_run,
        a.override_lock,
    )?;
    match result {
        ImportResult::Rejected(errors) => {
            for e in errors.iter().take(SHOWN) {
                eprintln!("{e}");
            }
            if errors.len() > SHOWN {
                eprintln!("… and {} more", errors.len() - SHOWN);
            }
            eprintln!(
                "import refused: {} error(s); nothing was written",
                errors.len()
            );
            return Ok(ExitCode::from(
                solieu_app::Code::InvalidSubmission.exit_code(),
            ));
        }
        ImportResult::Checked { rows, notes } => {
            for n in notes {
                eprintln!("note: {n}");
            }
            println!("dry run: {rows} observations valid; nothing written");
        }
        ImportResult::Committed { summary, notes } => {
            for n in notes {
                eprintln!("note: {n}");
            }
            println!(
                "import {}: {} observations, {} new vintages ({} revisions), {} unchanged",
                summary.import_id,
                summary.rows,
                summary.new_vintages,
                summary.revisions,
                summary.rows - summary.new_vintages
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a mapping file (`--mapping`): the mapping, or the exit code after
/// its located errors were printed.
pub fn read_mapping(
    file: Option<&std::path::Path>,
) -> Result<std::result::Result<Option<solieu_ingest::sdmx_ml::Mapping>, ExitCode>> {
    let Some(f) = file else {
        return Ok(Ok(None));
    };
    let text = std::fs::read_to_string(f)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", f.display()))?;
    match solieu_ingest::sdmx_ml::Mapping::parse(&text, &f.display().to_string()) {
        Ok(m) => Ok(Ok(Some(m))),
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "refused: {} error(s) in the mapping; nothing was written",
                errors.len()
            );
            Ok(Err(ExitCode::from(
                solieu_app::Code::InvalidSubmission.exit_code(),
            )))
        }
    }
}

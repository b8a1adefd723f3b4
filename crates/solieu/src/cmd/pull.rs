//! `solieu pull --url URL --flow AGENCY,ID,VERSION`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use solieu_app::pull::{self, PullOutcome, PullRequest};

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// The endpoint's SDMX 2.1 REST base, the part before /data/
    /// (http://host:8080/sdmx/v1 for another solieu server).
    #[arg(long)]
    url: String,
    /// The dataflow: AGENCY,ID,VERSION (SOLIEU,DF_SOLIEU,1.0).
    #[arg(long)]
    flow: String,
    /// The series key (M.CPI.VN..); every series when left out.
    #[arg(long)]
    key: Option<String>,
    /// How the remote's series map to the catalogue, for a structure the
    /// built-in mappings do not cover (the CSV `import --mapping` reads).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// A token the remote accepts (sent as Authorization: Bearer).
    #[arg(long, env = "SOLIEU_PULL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Ask for every figure, not only what changed since the last pull.
    #[arg(long)]
    full: bool,
    /// Seconds the whole request may take.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Who pulls (recorded with every vintage and in the audit log).
    #[arg(long, env = "USER", default_value = "cli")]
    submitter: String,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let sdmx_mapping = match super::import::read_mapping(a.mapping.as_deref())? {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let opts = solieu_ingest::ReadOptions {
        sdmx_mapping,
        ..Default::default()
    };
    let req = PullRequest {
        url: a.url,
        flow: a.flow,
        key: a.key,
        token: a.token,
        full: a.full,
        timeout: Duration::from_secs(a.timeout.max(1)),
    };
    let asked = |since: &Option<String>| match since {
        Some(s) => format!("figures updated after {s}"),
        None => "every figure".to_string(),
    };
    match pull::pull(&mut *store, &req, &opts, &a.submitter)? {
        PullOutcome::Imported {
            summary,
            notes,
            since,
        } => {
            for n in notes {
                eprintln!("note: {n}");
            }
            println!(
                "pull ({}): import {}: {} observations, {} new vintages ({} revisions), {} unchanged",
                asked(&since),
                summary.import_id,
                summary.rows,
                summary.new_vintages,
                summary.revisions,
                summary.rows - summary.new_vintages
            );
        }
        PullOutcome::NothingNew { since } => {
            println!("pull ({}): nothing new", asked(&since));
        }
        PullOutcome::Rejected(errors) => {
            for e in errors.iter().take(200) {
                eprintln!("{e}");
            }
            eprintln!(
                "pull refused: {} error(s); nothing was written",
                errors.len()
            );
            return Ok(ExitCode::from(
                solieu_app::Code::InvalidSubmission.exit_code(),
            ));
        }
        PullOutcome::Failed(why) => {
            eprintln!("pull failed: {why}");
            return Ok(ExitCode::from(solieu_app::Code::Unavailable.exit_code()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

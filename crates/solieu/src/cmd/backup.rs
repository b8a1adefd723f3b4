//! `solieu backup -o FILE`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use solieu_app::relocate;

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// The backup file (must not exist).
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let store = ctx.open()?;
    let sum = relocate::backup(&*store, &a.output)?;
    println!(
        "backup of {} written to {}: {}",
        store.location(),
        a.output.display(),
        relocate::describe(&sum)
    );
    Ok(ExitCode::SUCCESS)
}

//! `solieu restore FILE`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use solieu_app::relocate;

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// The backup file.
    file: PathBuf,
    /// Replace the store that is there.
    #[arg(long)]
    force: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let source = solieu_store::SqliteStore::open_file(&a.file)?;
    let sum = relocate::copy_to(&source, &ctx.loc, a.force)?;
    println!(
        "restored {} into {}: {}",
        a.file.display(),
        ctx.loc,
        relocate::describe(&sum)
    );
    Ok(ExitCode::SUCCESS)
}

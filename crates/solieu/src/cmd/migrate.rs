//! `solieu migrate [--from …] --to …`

use std::process::ExitCode;

use anyhow::Result;
use solieu_app::relocate;
use solieu_store::Location;

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// The store to copy: a data directory, a backup file or
    /// postgres://… (default: this store, --database or --data).
    #[arg(long)]
    from: Option<String>,
    /// Where to: a data directory or postgres://…
    #[arg(long)]
    to: String,
    /// Replace a store already at the target.
    #[arg(long)]
    force: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let source = match &a.from {
        Some(f) => relocate::open_source(f)?,
        None => ctx.open()?,
    };
    let target = Location::parse(&a.to);
    let sum = relocate::copy_to(&*source, &target, a.force)?;
    println!(
        "copied {} to {target}: {}",
        source.location(),
        relocate::describe(&sum)
    );
    Ok(ExitCode::SUCCESS)
}

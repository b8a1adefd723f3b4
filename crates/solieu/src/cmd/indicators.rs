//! `solieu indicators`

use std::process::ExitCode;

use anyhow::Result;

use super::{print_table, Ctx, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Accent-insensitive search.
    #[arg(long)]
    search: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let store = ctx.open()?;
    let inds = store.indicators()?;
    print_table(
        &solieu_app::service::indicator_table(&inds, a.search.as_deref()),
        a.format,
    )
}

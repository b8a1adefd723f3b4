//! `solieu areas`

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{print_table, Ctx, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Accent-insensitive search ("ho chi minh").
    #[arg(long)]
    search: Option<String>,
    /// Only areas valid on this day (YYYY-MM-DD).
    #[arg(long)]
    on: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let on = a
        .on
        .as_deref()
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").context("--on: expected YYYY-MM-DD")
        })
        .transpose()?;
    let store = ctx.open()?;
    let reg = store.areas()?;
    let list: Vec<_> = match &a.search {
        Some(q) => reg.search(q),
        None => reg.all().iter().collect(),
    };
    let table = solieu_app::service::area_table(
        list.into_iter()
            .filter(|x| on.is_none_or(|d| x.valid_on(d))),
    );
    print_table(&table, a.format)
}

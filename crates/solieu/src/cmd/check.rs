//! `solieu check`

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;

pub fn run(ctx: &Ctx) -> Result<ExitCode> {
    let store = ctx.open()?;
    store.check()?;
    let s = store.stats()?;
    println!(
        "ok: {} area versions, {} indicators, {} series, {} vintages, {} imports",
        s.areas, s.indicators, s.series, s.vintages, s.imports
    );
    Ok(ExitCode::SUCCESS)
}

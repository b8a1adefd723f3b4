//! `solieu init`

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;

pub fn run(ctx: &Ctx) -> Result<ExitCode> {
    let store = ctx.loc.create()?;
    let s = store.stats()?;
    println!(
        "store ready in {}: {} area versions, {} indicators",
        ctx.loc, s.areas, s.indicators
    );
    Ok(ExitCode::SUCCESS)
}

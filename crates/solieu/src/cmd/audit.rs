//! `solieu audit`

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// Entries to show.
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let store = ctx.open()?;
    for e in store.audit(a.limit)? {
        println!("{}", solieu_app::service::audit_line(&e));
    }
    Ok(ExitCode::SUCCESS)
}

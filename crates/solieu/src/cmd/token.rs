//! `solieu token create NAME`

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Create an API token for an account; it is printed once and stored hashed.
    Create {
        /// The account.
        name: String,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<ExitCode> {
    let Action::Create { name } = action;
    let mut store = ctx.open()?;
    let (token, _) = solieu_app::accounts::create_token(&mut *store, &name, "cli")?;
    println!("{token}");
    eprintln!(
        "token for {name}: shown once, stored hashed; send it as Authorization: Bearer TOKEN"
    );
    Ok(ExitCode::SUCCESS)
}

//! `solieu user add NAME --role …`

use std::process::ExitCode;

use anyhow::Result;
use solieu_app::accounts::{add_account, NewAccount};
use solieu_store::Role;

use super::{named, Ctx};

#[derive(clap::Subcommand)]
pub enum Action {
    /// Add an account; the password is read from standard input.
    Add {
        /// Login name.
        name: String,
        /// What the account may do.
        #[arg(long, value_parser = named::<Role>(Role::NAMES))]
        role: Role,
        /// A reporter's area codes (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',')]
        area: Vec<String>,
        /// A reporter's indicator codes (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',')]
        indicator: Vec<String>,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<ExitCode> {
    let Action::Add {
        name,
        role,
        area,
        indicator,
    } = action;
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    let mut store = ctx.open()?;
    let new = NewAccount {
        name,
        role,
        areas: area,
        indicators: indicator,
        password,
    };
    let account = add_account(&mut *store, new, "cli")?;
    println!("account {} ({role}) added", account.name);
    Ok(ExitCode::SUCCESS)
}

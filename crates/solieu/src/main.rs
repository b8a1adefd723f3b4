//! `solieu`: the command line. Each subcommand is a module of `cmd` that
//! turns its typed arguments into one call of the application layer
//! (`solieu-app`) and prints the answer; no business rule lives here.

mod cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// solieu — the socio-economic information system of a Vietnamese region.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Data directory holding the store.
    #[arg(
        long,
        global = true,
        env = "SOLIEU_DATA",
        default_value = "./solieu-data"
    )]
    data: PathBuf,
    /// A PostgreSQL database holding the store instead of the data directory
    /// (postgres://user:password@host:5432/dbname); the data directory then
    /// keeps only this node's engine snapshot.
    #[arg(long, global = true, env = "SOLIEU_DATABASE", hide_env_values = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a store with the reference areas and the built-in catalogue.
    Init,
    /// Create a store filled with real 2019–2020 figures and synthetic demo series.
    Demo,
    /// Indicator catalogue management.
    Catalog {
        #[command(subcommand)]
        action: cmd::catalog::Action,
    },
    /// Import observation files (CSV, .xlsx long or wide, SDMX-CSV,
    /// SDMX-ML), all or nothing.
    Import(cmd::import::Args),
    /// Pull figures from an SDMX REST endpoint (the statistics office's,
    /// another solieu server's) and import them; a repeated pull asks only
    /// for what changed since the last one.
    Pull(cmd::pull::Args),
    /// A department's own row labels mapped to catalogue indicators and
    /// breakdown codes (import a CSV, list them).
    Mapping(cmd::mapping::Args),
    /// A unit's form as the Excel workbook it fills in and sends back.
    Form(cmd::form::Args),
    /// Read stored figures.
    Query(cmd::query::Args),
    /// Export stored figures as canonical CSV (re-importable), XLSX, SDMX-CSV or Parquet.
    Export(cmd::export::Args),
    /// Write the monthly socio-economic report of an area.
    Report(cmd::report::Args),
    /// Serve the JSON API, SDMX REST and the web UI over this store.
    Serve(cmd::serve::Args),
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: cmd::user::Action,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: cmd::token::Action,
    },
    /// List areas.
    Areas(cmd::areas::Args),
    /// List indicators.
    Indicators(cmd::indicators::Args),
    /// List the code lists of breakdowns (product groups, markets, sectors,
    /// industries, revenue sources) and their codes, or import codes.
    Codelists(cmd::codelists::Args),
    /// Check the store's integrity and print its counts.
    Check,
    /// Copy a whole store to another place (SQLite data directory ⇄
    /// PostgreSQL): every area, indicator, vintage, account, token, form,
    /// round, rule, task and audit entry, verified by row counts and a
    /// checksum of the vintages on both sides.
    Migrate(cmd::migrate::Args),
    /// Write a consistent copy of the store (taken while others go on
    /// writing) to a new file: an SQLite store file, verified by checksum.
    Backup(cmd::backup::Args),
    /// Restore a backup file into this store (--data or --database),
    /// verified by checksum.
    Restore(cmd::restore::Args),
    /// Show the audit log.
    Audit(cmd::audit::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // the server logs every request by default; the CLI only warnings
    let serving = matches!(cli.command, Command::Serve(_));
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOLIEU_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if serving {
            "info,tower_http=info"
        } else {
            "warn"
        })
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if std::env::var("SOLIEU_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // the kind of failure from the error's type (a lost database is
            // 75, "try again"), never from its text
            ExitCode::from(solieu_app::error::classify(&e).exit_code())
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = cmd::Ctx::new(cli.data, cli.database.as_deref())?;
    match cli.command {
        Command::Init => cmd::init::run(&ctx),
        Command::Demo => cmd::demo::run(&ctx),
        Command::Catalog { action } => cmd::catalog::run(&ctx, action),
        Command::Import(a) => cmd::import::run(&ctx, a),
        Command::Pull(a) => cmd::pull::run(&ctx, a),
        Command::Mapping(a) => cmd::mapping::run(&ctx, a),
        Command::Form(a) => cmd::form::run(&ctx, a),
        Command::Query(a) => cmd::query::run(&ctx, a),
        Command::Export(a) => cmd::export::run(&ctx, a),
        Command::Report(a) => cmd::report::run(&ctx, a),
        Command::Serve(a) => cmd::serve::run(&ctx, a),
        Command::User { action } => cmd::user::run(&ctx, action),
        Command::Token { action } => cmd::token::run(&ctx, action),
        Command::Areas(a) => cmd::areas::run(&ctx, a),
        Command::Indicators(a) => cmd::indicators::run(&ctx, a),
        Command::Codelists(a) => cmd::codelists::run(&ctx, a),
        Command::Check => cmd::check::run(&ctx),
        Command::Migrate(a) => cmd::migrate::run(&ctx, a),
        Command::Backup(a) => cmd::backup::run(&ctx, a),
        Command::Restore(a) => cmd::restore::run(&ctx, a),
        Command::Audit(a) => cmd::audit::run(&ctx, a),
    }
}

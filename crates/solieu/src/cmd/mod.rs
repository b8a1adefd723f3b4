//! One module per subcommand: its arguments (typed: every list of valid
//! values comes from the enum that the application layer uses) and a `run`
//! that calls the application layer and prints.

pub mod areas;
pub mod audit;
pub mod backup;
pub mod catalog;
pub mod check;
pub mod codelists;
pub mod demo;
pub mod export;
pub mod form;
pub mod import;
pub mod indicators;
pub mod init;
pub mod mapping;
pub mod migrate;
pub mod pull;
pub mod query;
pub mod report;
pub mod restore;
pub mod serve;
pub mod token;
pub mod user;

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use solieu_store::{Backend, Location};

/// The engine's snapshot in the data directory (a copy of the stored
/// vintages for fast starts; rebuilt whenever it does not match the store).
pub const ENGINE_SNAPSHOT: &str = "engine.snapshot";

/// What every subcommand works on.
pub struct Ctx {
    /// The data directory (the store, or with PostgreSQL the engine snapshot).
    pub data: PathBuf,
    /// Where the store is.
    pub loc: Location,
}

impl Ctx {
    /// `--database`, else the data directory.
    pub fn new(data: PathBuf, database: Option<&str>) -> Result<Ctx> {
        let loc = match database {
            None | Some("") => Location::Dir(data.clone()),
            Some(url) => match Location::parse(url) {
                Location::Postgres(u) => Location::Postgres(u),
                Location::Dir(_) => bail!(
                    "--database {}: expected a postgres://user:password@host:5432/dbname address",
                    solieu_store::redact(url)
                ),
            },
        };
        Ok(Ctx { data, loc })
    }

    /// Opens the store.
    pub fn open(&self) -> Result<Box<dyn Backend>> {
        self.loc
            .open()
            .with_context(|| format!("opening the store in {}", self.loc))
    }

    /// The engine over the store, from the snapshot when it matches.
    pub fn engine(&self, store: &dyn Backend) -> Result<solieu_engine::Engine> {
        let (engine, _) =
            solieu_engine::Engine::open(store.as_store(), &self.data.join(ENGINE_SNAPSHOT))?;
        Ok(engine)
    }
}

/// A clap parser for an enum of `solieu_model::named!`: `--help` and the
/// error list exactly its names.
pub fn named<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Debug,
{
    PossibleValuesParser::new(names).map(|s| s.parse::<T>().expect("one of its own names"))
}

/// How a listing is printed.
#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for the screen.
    Table,
    /// CSV.
    Csv,
    /// JSON.
    Json,
}

/// Prints a table in a format.
pub fn print_table(t: &solieu_app::service::Table, format: Format) -> Result<ExitCode> {
    print!(
        "{}",
        solieu_app::service::render(t, format == Format::Csv, format == Format::Json)?
    );
    Ok(ExitCode::SUCCESS)
}

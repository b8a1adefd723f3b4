//! `solieu`: the command-line entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use solieu::{service, timefmt};
use solieu_model::{Measure, Period};
use solieu_store::{Backend, Location, ObsQuery};

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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Table,
    Csv,
    Json,
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
        action: CatalogAction,
    },
    /// Import observation files (CSV, .xlsx long or wide), all or nothing.
    Import {
        /// Files to import together.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Validate and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Source recorded for rows that give none.
        #[arg(long, default_value = "")]
        source: String,
        /// Area code for wide sheets that do not name their area.
        #[arg(long)]
        area: Option<String>,
        /// Year for wide sheets whose headers and title give none.
        #[arg(long)]
        year: Option<i32>,
        /// Who submits (recorded with every vintage).
        #[arg(long, env = "USER", default_value = "cli")]
        submitter: String,
        /// Write into locked reporting rounds (an admin's decision; each
        /// round written is recorded in the audit log).
        #[arg(long)]
        override_lock: bool,
    },
    /// Read stored figures.
    Query {
        /// Indicator codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        indicator: Vec<String>,
        /// Area codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        area: Vec<String>,
        /// Periods, comma-separated (2020-10, 2020-01/2020-10, 2020-Q3, 2020), or a range FROM..TO.
        #[arg(long, value_delimiter = ',')]
        period: Vec<String>,
        /// Measures, comma-separated. With --period, derived figures: value, cumulative,
        /// mom_pct, yoy_pct, cumulative_yoy_pct, plan_pct, plan, target_gap_pp, share_pct,
        /// rank, rank_yoy (reported figures preferred). Without --period, stored measures
        /// (level, yoy_pct, mom_pct, plan_pct, plan, plan_yoy_pct).
        #[arg(long, value_delimiter = ',')]
        measure: Vec<String>,
        /// List the stored vintages each derived figure came from.
        #[arg(long)]
        explain: bool,
        /// Show computed figures even where a reported one is stored.
        #[arg(long)]
        computed: bool,
        /// Do not reach across boundary changes (no comparable basis).
        #[arg(long)]
        no_comparable: bool,
        /// Read as of a time: 2020-11-15 (end of that day, Vietnam time) or RFC 3339.
        #[arg(long)]
        as_of: Option<String>,
        /// Every vintage, not only the latest.
        #[arg(long)]
        history: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Export stored figures as canonical CSV (re-importable).
    Export {
        /// Format: csv (canonical, imports back unchanged), xlsx (real numbers,
        /// Vietnamese headers), sdmx-csv (SDMX-CSV 1.0) or parquet (one file
        /// when the output ends in .parquet, else a new directory partitioned
        /// as indicator=X/year=Y/part-0.parquet).
        #[arg(long, default_value = "csv")]
        format: String,
        /// Indicator codes.
        #[arg(long, value_delimiter = ',')]
        indicator: Vec<String>,
        /// Area codes.
        #[arg(long, value_delimiter = ',')]
        area: Vec<String>,
        /// As of a time.
        #[arg(long)]
        as_of: Option<String>,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write the monthly socio-economic report of an area.
    Report {
        /// Area code (79).
        #[arg(long)]
        area: String,
        /// The month: 2020-10.
        #[arg(long)]
        period: String,
        /// Language: vi or en.
        #[arg(long, default_value = "vi")]
        lang: String,
        /// Format: md, html, xlsx, docx or pdf.
        #[arg(long, default_value = "md")]
        format: String,
        /// The report as it would have been written at this time.
        #[arg(long)]
        as_of: Option<String>,
        /// A directory with edited templates (report.vi.md, report.en.md, report.html).
        #[arg(long)]
        template: Option<PathBuf>,
        /// Add an appendix listing the stored vintages behind the numbers.
        #[arg(long)]
        sources: bool,
        /// DOCX: the day of issue (default: the --as-of day, else today).
        #[arg(long)]
        date: Option<String>,
        /// DOCX: the issuing body (default: SỞ KẾ HOẠCH VÀ ĐẦU TƯ; SỞ TÀI CHÍNH from 2025).
        #[arg(long)]
        issuer: Option<String>,
        /// Output file (Markdown and HTML: standard output when omitted).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Serve the JSON API (and, later, the web UI) over this store.
    Serve {
        /// Address to listen on (port 0: any free port, printed at start).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Who reads without an account: the data as of the latest release
        /// (`published`), nothing, or everything (a closed network).
        #[arg(long, value_enum, default_value = "published")]
        public: solieu::server::Public,
        /// Requests per second per token, session or address (0: no limit).
        #[arg(long, default_value_t = 100)]
        rate_limit: u32,
        /// Send the session cookie without `Secure`, for plain-HTTP intranets
        /// (browsers then send it over unencrypted connections).
        #[arg(long)]
        insecure_cookies: bool,
        /// Seconds a client has to send a request's head (request line and
        /// headers); slower connections are closed (slow-loris clients).
        #[arg(long, default_value_t = 10)]
        header_timeout: u64,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// List areas.
    Areas {
        /// Accent-insensitive search ("ho chi minh").
        #[arg(long)]
        search: Option<String>,
        /// Only areas valid on this day (YYYY-MM-DD).
        #[arg(long)]
        on: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// List indicators.
    Indicators {
        /// Accent-insensitive search.
        #[arg(long)]
        search: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Check the store's integrity and print its counts.
    Check,
    /// Copy a whole store to another place (SQLite data directory ⇄
    /// PostgreSQL): every area, indicator, vintage, account, token, form,
    /// round, rule, task and audit entry, verified by row counts and a
    /// checksum of the vintages on both sides.
    Migrate {
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
    },
    /// Write a consistent copy of the store (taken while others go on
    /// writing) to a new file: an SQLite store file, verified by checksum.
    Backup {
        /// The backup file (must not exist).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Restore a backup file into this store (--data or --database),
    /// verified by checksum.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Replace the store that is there.
        #[arg(long)]
        force: bool,
    },
    /// Show the audit log.
    Audit {
        /// Entries to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Add an account; the password is read from standard input.
    Add {
        /// Login name.
        name: String,
        /// admin, analyst, reporter or viewer.
        #[arg(long)]
        role: String,
        /// A reporter's area codes (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',')]
        area: Vec<String>,
        /// A reporter's indicator codes (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',')]
        indicator: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create an API token for an account; it is printed once and stored hashed.
    Create {
        /// The account.
        name: String,
    },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// Add or replace indicators from a CSV (code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals).
    Import {
        /// The catalogue file.
        file: PathBuf,
    },
}

/// The engine's snapshot in the data directory (a copy of the stored
/// vintages for fast starts; rebuilt whenever it does not match the store).
const ENGINE_SNAPSHOT: &str = "engine.snapshot";

fn main() -> ExitCode {
    let cli = Cli::parse();
    // the server logs every request by default; the CLI only warnings
    let serving = matches!(cli.command, Command::Serve { .. });
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
            ExitCode::FAILURE
        }
    }
}

fn parse_measures(list: &[String]) -> Result<Vec<Measure>> {
    list.iter()
        .map(|m| {
            let m = if m.trim() == "value" { "level" } else { m.trim() };
            Measure::parse(m).with_context(|| {
                format!("unknown measure '{m}'; expected value, level, yoy_pct, mom_pct, plan_pct, plan or plan_yoy_pct")
            })
        })
        .collect()
}

/// Where the store is: `--database`, else the data directory.
fn location(data: &std::path::Path, database: &Option<String>) -> Result<Location> {
    match database.as_deref() {
        None | Some("") => Ok(Location::Dir(data.to_path_buf())),
        Some(url) => match Location::parse(url) {
            Location::Postgres(u) => Ok(Location::Postgres(u)),
            Location::Dir(_) => bail!(
                "--database {}: expected a postgres://user:password@host:5432/dbname address",
                solieu_store::redact(url)
            ),
        },
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let data = cli.data;
    let loc = location(&data, &cli.database)?;
    let open = || -> Result<Box<dyn Backend>> {
        loc.open()
            .with_context(|| format!("opening the store in {loc}"))
    };
    match cli.command {
        Command::Init => {
            let store = loc.create()?;
            let s = store.stats()?;
            println!(
                "store ready in {loc}: {} area versions, {} indicators",
                s.areas, s.indicators
            );
        }
        Command::Demo => {
            let mut store = loc.create()?;
            match solieu::demo::load(&mut *store)? {
                Some(report) => println!("{report}"),
                None => println!(
                    "the store in {loc} already holds observations; demo data not loaded again"
                ),
            }
            let at = match &loc {
                Location::Dir(d) => format!("--data {}", d.display()),
                Location::Postgres(_) => format!("--database {loc}"),
            };
            println!(
                "next: solieu {at} query --indicator RETAIL_GOODS --area 79 --period 2020-01/2020-10"
            );
            println!("  or: solieu {at} serve   (then open http://127.0.0.1:8080/)");
        }
        Command::Catalog {
            action: CatalogAction::Import { file },
        } => {
            let mut store = open()?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let inds =
                service::parse_catalog(&bytes, &file.display().to_string()).map_err(|errs| {
                    for e in &errs {
                        eprintln!("{e}");
                    }
                    anyhow::anyhow!("{} error(s); catalogue not changed", errs.len())
                })?;
            let n = store.upsert_indicators(&inds, "cli")?;
            println!("{n} indicators added or updated");
        }
        Command::Import {
            files,
            dry_run,
            source,
            area,
            year,
            submitter,
            override_lock,
        } => {
            let mut store = open()?;
            let opts = solieu_ingest::ReadOptions {
                wide: solieu_ingest::WideOptions { area, year },
                default_source: source,
            };
            let policy = service::LockPolicy {
                locks: solieu::locks::Locks::load(&*store)?,
                overridden: override_lock,
                written: Default::default(),
            };
            let result =
                service::import_files(&mut *store, &files, &opts, &submitter, dry_run, &policy)?;
            if let service::ImportResult::Committed { summary, .. } = &result {
                let written = policy.written.lock().map(|w| w.clone()).unwrap_or_default();
                for r in written {
                    store.record(&solieu_store::AuditRecord {
                        actor: solieu_store::Actor {
                            name: &submitter,
                            origin: "cli --override-lock",
                        },
                        action: "round.locked_override",
                        target: &format!("round {r}"),
                        before: Some("locked"),
                        after: Some("locked"),
                        detail: &format!(
                            "import {} written into a locked round",
                            summary.import_id
                        ),
                    })?;
                }
            }
            match result {
                service::ImportResult::Rejected(errors) => {
                    const SHOWN: usize = 200;
                    for e in errors.iter().take(SHOWN) {
                        eprintln!("{e}");
                    }
                    if errors.len() > SHOWN {
                        eprintln!("… and {} more", errors.len() - SHOWN);
                    }
                    eprintln!(
                        "import refused: {} error(s); nothing was written",
                        errors.len()
                    );
                    return Ok(ExitCode::FAILURE);
                }
                service::ImportResult::Checked { rows, notes } => {
                    for n in notes {
                        eprintln!("note: {n}");
                    }
                    println!("dry run: {rows} observations valid; nothing written");
                }
                service::ImportResult::Committed { summary, notes } => {
                    for n in notes {
                        eprintln!("note: {n}");
                    }
                    println!(
                        "import {}: {} observations, {} new vintages ({} revisions), {} unchanged",
                        summary.import_id,
                        summary.rows,
                        summary.new_vintages,
                        summary.revisions,
                        summary.rows - summary.new_vintages
                    );
                }
            }
        }
        Command::Query {
            indicator,
            area,
            period,
            measure,
            as_of,
            history,
            format,
            explain,
            computed,
            no_comparable,
        } => {
            let store = open()?;
            let derived = !history && !period.is_empty() && (!measure.is_empty() || explain);
            if derived {
                let periods = service::parse_periods(&period)?;
                let grid = solieu::figures::Grid {
                    indicators: indicator
                        .iter()
                        .map(|i| i.trim().to_ascii_uppercase())
                        .collect(),
                    areas: area.clone(),
                    periods,
                    measures: if measure.is_empty() {
                        vec![solieu_engine::Derived::Value]
                    } else {
                        solieu::figures::parse_derived(&measure)?
                    },
                };
                let opts = solieu_engine::Options {
                    as_of: as_of.as_deref().map(timefmt::parse_as_of).transpose()?,
                    prefer: if computed {
                        solieu_engine::Prefer::Computed
                    } else {
                        solieu_engine::Prefer::Reported
                    },
                    basis: if no_comparable {
                        solieu_engine::Basis::AsReported
                    } else {
                        solieu_engine::Basis::Comparable
                    },
                    explain,
                };
                let (engine, _) =
                    solieu_engine::Engine::open(store.as_store(), &data.join(ENGINE_SNAPSHOT))?;
                let rows = solieu::figures::evaluate(&engine, &grid, &opts)?;
                match format {
                    Format::Json => print!("{}", solieu::figures::json(&engine, &rows, explain)?),
                    Format::Csv if explain => {
                        bail!("--explain prints to the screen or JSON; use --format table or json")
                    }
                    Format::Csv => print!(
                        "{}",
                        service::render(
                            &solieu::figures::table(&engine, &rows, false),
                            true,
                            false
                        )?
                    ),
                    Format::Table => {
                        let t = solieu::figures::table(&engine, &rows, true);
                        print!("{}", service::render(&t, false, false)?);
                        if explain {
                            print!("{}", solieu::figures::explain_text(&engine, &rows));
                        }
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            if explain || computed || no_comparable {
                bail!("--explain, --computed and --no-comparable apply to derived figures: give --period and --measure");
            }
            let areas = store.areas()?;
            let periods = service::parse_periods(&period)?;
            let as_of = as_of.as_deref().map(timefmt::parse_as_of).transpose()?;
            let q = ObsQuery {
                indicators: indicator
                    .iter()
                    .map(|i| i.trim().to_ascii_uppercase())
                    .collect(),
                areas: service::area_keys(&areas, &area, &periods)?,
                periods,
                measures: parse_measures(&measure)?,
                as_of,
            };
            let rows = if history {
                store.history(&q)?
            } else {
                store.observations(&q)?
            };
            let table = service::vintage_table(&rows, &areas, history);
            print!(
                "{}",
                service::render(&table, format == Format::Csv, format == Format::Json)?
            );
        }
        Command::Report {
            area,
            period,
            lang,
            format,
            as_of,
            template,
            sources,
            date,
            issuer,
            output,
        } => {
            let Ok(Period::Month(year, month)) = Period::parse(&period) else {
                bail!("--period {period}: expected a month, e.g. 2020-10");
            };
            let Some(lang) = solieu_report::Lang::parse(&lang) else {
                bail!("--lang {lang}: expected vi or en");
            };
            let store = open()?;
            let (engine, _) =
                solieu_engine::Engine::open(store.as_store(), &data.join(ENGINE_SNAPSHOT))?;
            let req = solieu_report::Request {
                area,
                year,
                month,
                lang,
                as_of: as_of.as_deref().map(timefmt::parse_as_of).transpose()?,
                as_of_label: as_of.clone(),
                sources,
            };
            let day = match (&date, &as_of) {
                (Some(d), _) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .with_context(|| format!("--date {d}: expected YYYY-MM-DD"))?,
                (None, Some(a)) => timefmt::vietnam_day(timefmt::parse_as_of(a)?),
                (None, None) => timefmt::vietnam_day(solieu_store::now_micros()),
            };
            let bytes =
                solieu::reports::render(&engine, &req, &format, template.as_deref(), day, issuer)
                    .map_err(|e| {
                    if e.to_string().starts_with("format ") {
                        anyhow::anyhow!("--{e}")
                    } else {
                        e
                    }
                })?;
            match output {
                Some(path) => {
                    service::write_atomically(&path, &bytes)?;
                    eprintln!("report written to {}", path.display());
                }
                None if matches!(format.as_str(), "xlsx" | "docx" | "pdf") => {
                    bail!("--format {format} needs -o FILE")
                }
                None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
            }
        }
        Command::Serve {
            addr,
            public,
            rate_limit,
            insecure_cookies,
            header_timeout,
        } => {
            if matches!(loc, Location::Postgres(_)) {
                // the node's own engine snapshot: a fast restart when the database has not changed
                std::fs::create_dir_all(&data)
                    .with_context(|| format!("creating {}", data.display()))?;
            }
            solieu::server::serve(solieu::server::Config {
                store: loc.clone(),
                snapshot: data.join(ENGINE_SNAPSHOT),
                addr,
                public,
                rate: rate_limit,
                secure_cookies: !insecure_cookies,
                header_timeout: std::time::Duration::from_secs(header_timeout.max(1)),
            })?;
        }
        Command::User {
            action:
                UserAction::Add {
                    name,
                    role,
                    area,
                    indicator,
                },
        } => {
            let Some(role) = solieu_store::Role::parse(&role) else {
                bail!("--role {role}: expected admin, analyst, reporter or viewer");
            };
            if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
                bail!("'{name}': an account name has no spaces");
            }
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let mut store = open()?;
            let areas = store.areas()?;
            let inds = store.indicators()?;
            let areas_norm: Vec<String> = area
                .iter()
                .map(|a| solieu_model::area::normalize_code(a))
                .collect();
            for a in &areas_norm {
                if areas.versions(a).is_empty() {
                    bail!("--area {a}: unknown area code");
                }
            }
            let inds_norm: Vec<String> = indicator
                .iter()
                .map(|i| i.trim().to_ascii_uppercase())
                .collect();
            for i in &inds_norm {
                if !inds.iter().any(|d| d.code == *i) {
                    bail!("--indicator {i}: unknown indicator");
                }
            }
            let account = solieu_store::Account {
                id: 0,
                name: name.clone(),
                role,
                areas: areas_norm,
                indicators: inds_norm,
                password_hash: solieu::accounts::hash_password(password)?,
            };
            store.create_account(&account, "cli")?;
            println!("account {name} ({}) added", role.as_str());
        }
        Command::Token {
            action: TokenAction::Create { name },
        } => {
            let mut store = open()?;
            let Some(account) = store.account(&name)? else {
                bail!("no account named '{name}'");
            };
            let token = solieu::accounts::new_token();
            store.create_token(account.id, &solieu::accounts::token_hash(&token), "cli")?;
            println!("{token}");
            eprintln!("token for {name}: shown once, stored hashed; send it as Authorization: Bearer TOKEN");
        }
        Command::Export {
            format,
            indicator,
            area,
            as_of,
            output,
        } => {
            if !solieu::exports::FORMATS.contains(&format.as_str()) {
                bail!("--format {format}: expected csv, xlsx, sdmx-csv or parquet");
            }
            let store = open()?;
            let areas = store.areas()?;
            let q = ObsQuery {
                indicators: indicator
                    .iter()
                    .map(|i| i.trim().to_ascii_uppercase())
                    .collect(),
                areas: service::area_keys(&areas, &area, &[])?,
                as_of: as_of.as_deref().map(timefmt::parse_as_of).transpose()?,
                ..ObsQuery::default()
            };
            let inds = store.indicators()?;
            // read from the store a row at a time: a national archive is
            // never held in memory
            let n = match format.as_str() {
                "parquet" if output.extension().is_none_or(|e| e != "parquet") => {
                    let mut sink =
                        solieu::parquet_out::PartitionedSink::new(&output, &areas, &inds)?;
                    let n = store.each_observation(&q, false, &mut |v| {
                        sink.row(v)
                            .map_err(|e| std::io::Error::other(format!("{e:#}")))
                    })?;
                    let files = sink.finish()?;
                    println!(
                        "{n} observations written to {} in {files} partitions (indicator=…/year=…)",
                        output.display()
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                _ => service::write_file_atomically(&output, |out| {
                    solieu::exports::stream(store.as_store(), &q, &format, out, &areas, &inds)
                })?,
            };
            println!("{n} observations written to {}", output.display());
        }
        Command::Areas { search, on, format } => {
            let store = open()?;
            let reg = store.areas()?;
            let on = on
                .as_deref()
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .context("--on: expected YYYY-MM-DD")
                })
                .transpose()?;
            let list: Vec<_> = match &search {
                Some(q) => reg.search(q),
                None => reg.all().iter().collect(),
            };
            let table = service::area_table(
                list.into_iter()
                    .filter(|a| on.is_none_or(|d| a.valid_on(d))),
            );
            print!(
                "{}",
                service::render(&table, format == Format::Csv, format == Format::Json)?
            );
        }
        Command::Indicators { search, format } => {
            let store = open()?;
            let inds = store.indicators()?;
            let table = service::indicator_table(&inds, search.as_deref());
            print!(
                "{}",
                service::render(&table, format == Format::Csv, format == Format::Json)?
            );
        }
        Command::Check => {
            let store = open()?;
            store.check()?;
            let s = store.stats()?;
            println!(
                "ok: {} area versions, {} indicators, {} series, {} vintages, {} imports",
                s.areas, s.indicators, s.series, s.vintages, s.imports
            );
        }
        Command::Migrate { from, to, force } => {
            let source = match &from {
                Some(f) => solieu::relocate::open_source(f)?,
                None => open()?,
            };
            let target = Location::parse(&to);
            let sum = solieu::relocate::copy_to(&*source, &target, force)?;
            println!(
                "copied {} to {target}: {}",
                source.location(),
                solieu::relocate::describe(&sum)
            );
        }
        Command::Backup { output } => {
            let store = open()?;
            let sum = solieu::relocate::backup(&*store, &output)?;
            println!(
                "backup of {} written to {}: {}",
                store.location(),
                output.display(),
                solieu::relocate::describe(&sum)
            );
        }
        Command::Restore { file, force } => {
            let source = solieu_store::SqliteStore::open_file(&file)?;
            let sum = solieu::relocate::copy_to(&source, &loc, force)?;
            println!(
                "restored {} into {loc}: {}",
                file.display(),
                solieu::relocate::describe(&sum)
            );
        }
        Command::Audit { limit } => {
            let store = open()?;
            for e in store.audit(limit)? {
                let change = match (&e.before, &e.after) {
                    (Some(b), Some(a)) => format!("{b} -> {a}"),
                    (None, Some(a)) => format!("-> {a}"),
                    _ => String::new(),
                };
                let origin = if e.origin.is_empty() {
                    String::new()
                } else {
                    format!("({})", e.origin)
                };
                let at = timefmt::format_micros(e.at);
                let parts = [
                    &at, &e.actor, &e.action, &e.target, &e.detail, &change, &origin,
                ];
                let parts: Vec<&str> = parts
                    .iter()
                    .map(|s| s.as_str())
                    .filter(|s| !s.is_empty())
                    .collect();
                println!("{}", parts.join("  "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

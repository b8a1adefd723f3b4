//! `solieu mapping import FILE.csv` and `solieu mapping list`: a
//! department's own row labels mapped to catalogue indicators and
//! breakdown codes, consulted when its forms are read.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use solieu_app::service::Table;
use solieu_model::labels::{parse_csv, LabelMapping};

use super::{print_table, Ctx, Format};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Add or replace label mappings from a CSV
    /// (source_label,indicator[,dims][,unit]), checked whole: every
    /// indicator in the catalogue, every code in its breakdown, every unit
    /// an area code. All or nothing, audited.
    Import {
        /// The file.
        file: PathBuf,
        /// The reporting unit (area code) of rows that name none; none:
        /// for every unit.
        #[arg(long)]
        unit: Option<String>,
    },
    /// The stored mappings.
    List {
        /// Only this unit's (and those for every unit).
        #[arg(long)]
        unit: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

/// Every row whose indicator, breakdown code or unit the store does not
/// know, as `file:line:column: message`.
fn check(
    store: &dyn solieu_store::Backend,
    name: &str,
    rows: &[LabelMapping],
) -> Result<Vec<String>> {
    let indicators = store.indicators()?;
    let lists = store.code_lists()?;
    let areas = store.areas()?;
    let mut errors = vec![];
    for (i, m) in rows.iter().enumerate() {
        let line = i + 2;
        let code =
            solieu_model::indicator::alias(&m.indicator).map_or(m.indicator.as_str(), |a| a.0);
        let Some(ind) = indicators.iter().find(|x| x.code == code) else {
            let near = solieu_model::labels::nearest(
                &m.indicator,
                indicators.iter().map(|x| x.code.as_str()),
                3,
            );
            errors.push(format!(
                "{name}:{line}:indicator: '{}' is not an indicator of the catalogue{}",
                m.indicator,
                if near.is_empty() {
                    String::new()
                } else {
                    format!(" (nearest: {})", near.join(", "))
                }
            ));
            continue;
        };
        for pair in m.dims.split(';').filter(|p| !p.is_empty()) {
            let (d, c) = pair.split_once('=').unwrap_or((pair, ""));
            match ind.dimensions.iter().find(|x| x.name == d.trim()) {
                None => errors.push(format!(
                    "{name}:{line}:dims: {} has no breakdown {d}; expected one of: {}",
                    ind.code,
                    ind.dimensions
                        .iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(dim) => {
                    let at = solieu_model::Period::Year(9999);
                    if let Err(e) = dim.resolve(&lists, c, at) {
                        errors.push(format!("{name}:{line}:dims: '{c}': {e}"));
                    }
                }
            }
        }
        if !m.unit.is_empty() && areas.versions(&m.unit).is_empty() {
            errors.push(format!(
                "{name}:{line}:unit: '{}' is not an area code; expected the reporting unit's area (79) or nothing for every unit",
                m.unit
            ));
        }
    }
    Ok(errors)
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    match a.action {
        Action::Import { file, unit } => {
            let mut store = ctx.open()?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let (text, _) = solieu_ingest::legacy::decode_text_file(&bytes);
            let name = file.display().to_string();
            let refuse = |errors: Vec<String>| {
                for e in &errors {
                    eprintln!("{e}");
                }
                anyhow::Error::new(solieu_app::Error::new(
                    solieu_app::Code::InvalidSubmission,
                    format!("{} error(s); no mapping changed", errors.len()),
                ))
            };
            let rows = parse_csv(&text, unit.as_deref())
                .map_err(|errs| refuse(errs.iter().map(|e| format!("{name}:{e}")).collect()))?;
            let errors = check(&*store, &name, &rows)?;
            if !errors.is_empty() {
                return Err(refuse(errors));
            }
            let n = store
                .upsert_label_mappings(&rows, "cli")
                .with_context(|| format!("{name}: no mapping changed"))?;
            println!("{n} label mappings added or updated");
            Ok(ExitCode::SUCCESS)
        }
        Action::List { unit, format } => {
            let store = ctx.open()?;
            let rows = store.label_mappings()?;
            let t = Table {
                headers: ["source_label", "indicator", "dims", "unit"]
                    .map(String::from)
                    .to_vec(),
                rows: rows
                    .into_iter()
                    .filter(|m| {
                        unit.as_ref()
                            .is_none_or(|u| m.unit.is_empty() || &m.unit == u)
                    })
                    .map(|m| vec![m.label, m.indicator, m.dims, m.unit])
                    .collect(),
            };
            print_table(&t, format)
        }
    }
}

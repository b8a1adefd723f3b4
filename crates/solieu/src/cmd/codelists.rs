//! `solieu codelists [NAME]` and `solieu codelists import FILE.csv`: the
//! code lists of breakdowns (danh mục phân tổ).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use solieu_app::service::Table;
use solieu_model::CodeLists;

use super::{print_table, Ctx, Format};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// A list to show code by code (PRODUCT, MARKET, SECTOR, INDUSTRY,
    /// REVENUE_SOURCE …); none: every list with its size.
    name: Option<String>,
    /// Output format (csv is the file `codelists import` reads).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Add codes, labels and aliases, or replace them, from a CSV
    /// (list,code,label_vi,label_en,parent,aliases,order,valid_from; aliases
    /// joined by |), all or nothing.
    Import {
        /// The file.
        file: PathBuf,
        /// The list, when the file has no `list` column.
        #[arg(long)]
        list: Option<String>,
    },
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    if let Some(Action::Import { file, list }) = a.action {
        let mut store = ctx.open()?;
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let (text, _) = solieu_ingest::legacy::decode_text_file(&bytes);
        let name = file.display().to_string();
        let rows = CodeLists::parse_csv(&text, list.as_deref()).map_err(|errs| {
            for e in &errs {
                eprintln!("{name}:{e}");
            }
            anyhow::Error::new(solieu_app::Error::new(
                solieu_app::Code::InvalidSubmission,
                format!("{} error(s); code lists not changed", errs.len()),
            ))
        })?;
        let n = store
            .upsert_codes(&rows, "cli")
            .with_context(|| format!("{name}: code lists not changed"))?;
        println!("{n} codes added or updated");
        return Ok(ExitCode::SUCCESS);
    }
    let store = ctx.open()?;
    let lists = store.code_lists()?;
    let Some(name) = a.name else {
        let t = Table {
            headers: ["list", "codes", "top_level", "total_label"]
                .map(String::from)
                .to_vec(),
            rows: lists
                .all()
                .map(|l| {
                    vec![
                        l.name.clone(),
                        (l.codes().len() - 1).to_string(),
                        l.children(None).count().to_string(),
                        l.total().label_vi.clone(),
                    ]
                })
                .collect(),
        };
        return print_table(&t, a.format);
    };
    let Some(list) = lists.get(&name) else {
        let names: Vec<&str> = lists.all().map(|l| l.name.as_str()).collect();
        bail!("no code list '{name}'; the lists are {}", names.join(", "));
    };
    if matches!(a.format, Format::Csv) {
        print!("{}", lists.to_csv(Some(&list.name)));
        return Ok(ExitCode::SUCCESS);
    }
    let t = Table {
        headers: [
            "code",
            "label_vi",
            "label_en",
            "parent",
            "aliases",
            "valid_from",
        ]
        .map(String::from)
        .to_vec(),
        rows: list
            .codes()
            .iter()
            .map(|c| {
                vec![
                    c.code.clone(),
                    c.label_vi.clone(),
                    c.label_en.clone(),
                    c.parent.clone().unwrap_or_default(),
                    c.aliases.join(" | "),
                    c.valid_from.map(|p| p.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
    };
    print_table(&t, a.format)
}

//! `solieu report`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use solieu_app::reports::Format;
use solieu_app::timefmt;
use solieu_model::Period;
use solieu_report::Lang;

use super::{named, Ctx};

#[derive(clap::Args)]
pub struct Args {
    /// Area code (79).
    #[arg(long)]
    area: String,
    /// The month: 2020-10.
    #[arg(long)]
    period: String,
    /// Language.
    #[arg(long, default_value = "vi", value_parser = named::<Lang>(Lang::NAMES))]
    lang: Lang,
    /// Format.
    #[arg(long, default_value = "md", value_parser = named::<Format>(Format::NAMES))]
    format: Format,
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
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let Ok(Period::Month(year, month)) = Period::parse(&a.period) else {
        bail!("--period {}: expected a month, e.g. 2020-10", a.period);
    };
    if a.output.is_none() && a.format.is_binary() {
        bail!("--format {} needs -o FILE", a.format);
    }
    let store = ctx.open()?;
    let engine = ctx.engine(&*store)?;
    let as_of = a.as_of.as_deref().map(timefmt::parse_as_of).transpose()?;
    let req = solieu_report::Request {
        area: a.area.clone(),
        year,
        month,
        lang: a.lang,
        as_of,
        as_of_label: a.as_of.clone(),
        sources: a.sources,
        tasks: solieu_app::reports::task_lines(
            engine.registry(),
            &store.tasks(None)?,
            &a.area,
            year,
            month,
        ),
    };
    let day = match (&a.date, as_of) {
        (Some(d), _) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .with_context(|| format!("--date {d}: expected YYYY-MM-DD"))?,
        (None, Some(t)) => timefmt::vietnam_day(t),
        (None, None) => timefmt::vietnam_day(solieu_store::now_micros()),
    };
    let bytes = solieu_app::reports::render(
        &engine,
        &req,
        a.format,
        a.template.as_deref(),
        day,
        a.issuer,
    )?;
    match a.output {
        Some(path) => {
            solieu_export::files::write_atomically(&path, &bytes)?;
            eprintln!("report written to {}", path.display());
        }
        None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

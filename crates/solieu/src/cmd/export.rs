//! `solieu export`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use solieu_app::{service, timefmt};
use solieu_export::Format;
use solieu_store::ObsQuery;

use super::{named, Ctx};

#[derive(clap::Args)]
pub struct Args {
    /// csv (canonical, imports back unchanged), xlsx (real numbers,
    /// Vietnamese headers), sdmx-csv (SDMX-CSV 1.0) or parquet (one file
    /// when the output ends in .parquet, else a new directory partitioned
    /// as indicator=X/year=Y/part-0.parquet).
    #[arg(long, default_value = "csv", value_parser = named::<Format>(Format::NAMES))]
    format: Format,
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
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    let store = ctx.open()?;
    let areas = store.areas()?;
    let q = ObsQuery {
        indicators: a
            .indicator
            .iter()
            .map(|i| i.trim().to_ascii_uppercase())
            .collect(),
        areas: service::area_keys(&areas, &a.area, &[])?,
        as_of: a.as_of.as_deref().map(timefmt::parse_as_of).transpose()?,
        ..ObsQuery::default()
    };
    let inds = store.indicators()?;
    let output = &a.output;
    // read from the store a row at a time: a national archive is never
    // held in memory
    if a.format == Format::Parquet && output.extension().is_none_or(|e| e != "parquet") {
        let mut sink = solieu_export::parquet::PartitionedSink::new(output, &areas, &inds)?;
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
    let n = solieu_export::files::write_file_atomically(output, |out| {
        solieu_export::stream(store.as_store(), &q, a.format, out, &areas, &inds)
    })?;
    println!("{n} observations written to {}", output.display());
    Ok(ExitCode::SUCCESS)
}

//! Parquet exports of stored figures, for DuckDB, Spark, Trino or pandas.
//!
//! Written with the `parquet` crate's column writers (no Arrow arrays: the
//! `arrow` feature would add arrow-array, -select, -ipc, -cast … and about
//! five minutes to a clean build on a 2-core machine, for a fixed schema
//! that needs none of it). Snappy compression, dictionary encoding, row
//! groups of at most [`ROW_GROUP`] rows.
//!
//! Two layouts:
//! - one file (`solieu.parquet`, also `GET /api/v1/export?format=parquet`);
//! - a Hive-partitioned directory `indicator=RETAIL_GOODS/year=2020/part-0.parquet`
//!   for a national archive: a query on one indicator or one year reads
//!   only its files. The partition columns are in the paths, not in the
//!   files (as Spark writes them; DuckDB's `hive_partitioning` and Spark
//!   add them back).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::{Datelike, NaiveDate};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use solieu_model::{AreaRegistry, Indicator, Period, Vintage};

/// Rows per row group.
pub const ROW_GROUP: usize = 128 * 1024;

/// The columns, in file order: (name, Parquet declaration).
const COLUMNS: [(&str, &str); 20] = [
    ("indicator", "required binary indicator (STRING)"),
    ("indicator_name", "required binary indicator_name (STRING)"),
    ("area", "required binary area (STRING)"),
    ("area_code", "required binary area_code (STRING)"),
    ("area_name", "required binary area_name (STRING)"),
    ("period", "required binary period (STRING)"),
    ("freq", "required binary freq (STRING)"),
    ("year", "required int32 year"),
    ("period_start", "required int32 period_start (DATE)"),
    ("period_end", "required int32 period_end (DATE)"),
    ("year_to_date", "required boolean year_to_date"),
    ("measure", "required binary measure (STRING)"),
    ("dims", "required binary dims (STRING)"),
    ("value", "required double value"),
    ("unit", "required binary unit (STRING)"),
    ("status", "required binary status (STRING)"),
    ("source", "required binary source (STRING)"),
    ("note", "required binary note (STRING)"),
    (
        "recorded_at",
        "required int64 recorded_at (TIMESTAMP(MICROS,true))",
    ),
    ("submitter", "required binary submitter (STRING)"),
];

/// Partition columns of the directory layout.
const PARTITIONS: [&str; 2] = ["indicator", "year"];

/// The schema: [`COLUMNS`] but those in `skip`, then a column per
/// breakdown of the catalogue (`product`, `market` …: the code, null for a
/// total), after `dims`.
fn schema(skip: &[&str], breakdowns: &[String]) -> String {
    let mut s = String::from("message solieu {\n");
    for (name, decl) in COLUMNS {
        if !skip.contains(&name) {
            s.push_str(&format!("  {decl};\n"));
        }
        if name == "dims" {
            for b in breakdowns {
                s.push_str(&format!(
                    "  optional binary {} (STRING);\n",
                    b.to_ascii_lowercase()
                ));
            }
        }
    }
    s.push('}');
    s
}

/// One row, resolved against the catalogue and the areas.
struct Row<'a> {
    v: &'a Vintage,
    indicator_name: &'a str,
    area_code: &'a str,
    area_name: &'a str,
    unit: String,
}

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days() as i32
}

/// The dates a period covers: a year-to-date period from January.
fn span(p: Period) -> (NaiveDate, NaiveDate) {
    (p.start_date(), p.end_date())
}

fn resolve<'a>(
    v: &'a Vintage,
    areas: &'a AreaRegistry,
    inds: &std::collections::HashMap<&str, &'a Indicator>,
) -> Row<'a> {
    let o = &v.obs;
    let ind = inds.get(o.indicator.as_str()).copied();
    let area = areas.by_key(&o.area);
    Row {
        v,
        indicator_name: ind.map_or("", |i| i.name_vi.as_str()),
        area_code: area.map_or(o.area.as_str(), |a| a.code.as_str()),
        area_name: area.map_or("", |a| a.name_vi.as_str()),
        unit: if o.measure.in_indicator_unit() {
            ind.map_or(String::new(), |i| i.unit.label.clone())
        } else {
            "%".into()
        },
    }
}

/// A Parquet file written a row at a time: rows are held until a row group
/// is full, then written, so memory stays at one row group.
pub struct ParquetSink<'a, W: Write + Send> {
    w: SerializedFileWriter<W>,
    cols: Vec<String>,
    buf: Vec<Vintage>,
    areas: &'a AreaRegistry,
    inds: std::collections::HashMap<&'a str, &'a Indicator>,
}

impl<'a, W: Write + Send> ParquetSink<'a, W> {
    /// Starts a file; the columns in `skip` are left out (partition columns).
    pub fn new(
        out: W,
        areas: &'a AreaRegistry,
        inds: &'a [Indicator],
        skip: &[&str],
    ) -> Result<Self> {
        let breakdowns = solieu_sdmx::breakdowns(inds);
        let schema =
            Arc::new(parse_message_type(&schema(skip, &breakdowns)).context("the Parquet schema")?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by("solieu".into())
                // nearly every value and time differs: a dictionary only costs
                .set_column_dictionary_enabled(ColumnPath::from("value"), false)
                .set_column_dictionary_enabled(ColumnPath::from("recorded_at"), false)
                .build(),
        );
        Ok(ParquetSink {
            w: SerializedFileWriter::new(out, schema, props)?,
            cols: COLUMNS
                .iter()
                .map(|c| c.0)
                .filter(|c| !skip.contains(c))
                .flat_map(|c| {
                    let mut v = vec![c.to_string()];
                    if c == "dims" {
                        v.extend(breakdowns.iter().map(|b| b.to_ascii_lowercase()));
                    }
                    v
                })
                .collect(),
            buf: Vec::with_capacity(ROW_GROUP.min(1 << 16)),
            areas,
            inds: inds.iter().map(|i| (i.code.as_str(), i)).collect(),
        })
    }

    /// One row.
    pub fn row(&mut self, v: Vintage) -> Result<()> {
        self.buf.push(v);
        if self.buf.len() >= ROW_GROUP {
            self.group()?;
        }
        Ok(())
    }

    fn group(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let rows: Vec<Row<'_>> = buf
            .iter()
            .map(|v| resolve(v, self.areas, &self.inds))
            .collect();
        write_group(&mut self.w, &self.cols, &rows)
    }

    /// Writes the last row group and the footer; the writer back.
    pub fn finish(mut self) -> Result<W> {
        self.group()?;
        Ok(self.w.into_inner()?)
    }
}

fn write_group<W: Write + Send>(
    w: &mut SerializedFileWriter<W>,
    cols: &[String],
    chunk: &[Row<'_>],
) -> Result<()> {
    let mut rg = w.next_row_group()?;
    let mut k = 0;
    while let Some(mut col) = rg.next_column()? {
        let name = cols[k].as_str();
        k += 1;
        let text = |f: &dyn Fn(&Row<'_>) -> String| -> Vec<ByteArray> {
            chunk
                .iter()
                .map(|r| ByteArray::from(f(r).as_str()))
                .collect()
        };
        if !COLUMNS.iter().any(|c| c.0 == name) {
            // a breakdown: its code, null for the total
            let upper = name.to_ascii_uppercase();
            let codes: Vec<Option<String>> = chunk
                .iter()
                .map(|r| {
                    r.v.obs
                        .dims
                        .split(';')
                        .filter_map(|p| p.split_once('='))
                        .find(|(n, _)| *n == upper)
                        .map(|(_, c)| c.to_string())
                })
                .collect();
            let values: Vec<ByteArray> = codes
                .iter()
                .flatten()
                .map(|c| ByteArray::from(c.as_str()))
                .collect();
            let def: Vec<i16> = codes.iter().map(|c| i16::from(c.is_some())).collect();
            col.typed::<ByteArrayType>()
                .write_batch(&values, Some(&def), None)?;
            col.close()?;
            continue;
        }
        match name {
            "year" => {
                let v: Vec<i32> = chunk
                    .iter()
                    .map(|r| span(r.v.obs.period).0.year())
                    .collect();
                col.typed::<Int32Type>().write_batch(&v, None, None)?;
            }
            "period_start" | "period_end" => {
                let v: Vec<i32> = chunk
                    .iter()
                    .map(|r| {
                        let (s, e) = span(r.v.obs.period);
                        days(if name == "period_start" { s } else { e })
                    })
                    .collect();
                col.typed::<Int32Type>().write_batch(&v, None, None)?;
            }
            "year_to_date" => {
                let v: Vec<bool> = chunk
                    .iter()
                    .map(|r| matches!(r.v.obs.period, Period::Cumulative(..)))
                    .collect();
                col.typed::<BoolType>().write_batch(&v, None, None)?;
            }
            "value" => {
                let v: Vec<f64> = chunk
                    .iter()
                    .map(|r| solieu_model::text::clean(r.v.obs.value))
                    .collect();
                col.typed::<DoubleType>().write_batch(&v, None, None)?;
            }
            "recorded_at" => {
                let v: Vec<i64> = chunk.iter().map(|r| r.v.recorded_at).collect();
                col.typed::<Int64Type>().write_batch(&v, None, None)?;
            }
            _ => {
                let v = match name {
                    "indicator" => text(&|r| r.v.obs.indicator.clone()),
                    "indicator_name" => text(&|r| r.indicator_name.to_string()),
                    "area" => text(&|r| r.v.obs.area.clone()),
                    "area_code" => text(&|r| r.area_code.to_string()),
                    "area_name" => text(&|r| r.area_name.to_string()),
                    "period" => text(&|r| r.v.obs.period.to_string()),
                    "freq" => text(&|r| solieu_sdmx::freq(r.v.obs.period).to_string()),
                    "measure" => text(&|r| r.v.obs.measure.as_str().to_string()),
                    "dims" => text(&|r| r.v.obs.dims.clone()),
                    "unit" => text(&|r| r.unit.clone()),
                    "status" => text(&|r| r.v.obs.status.code().to_string()),
                    "source" => text(&|r| r.v.obs.source.clone()),
                    "note" => text(&|r| r.v.obs.note.clone()),
                    "submitter" => text(&|r| r.v.submitter.clone()),
                    other => bail!("no writer for the column {other}"),
                };
                col.typed::<ByteArrayType>().write_batch(&v, None, None)?;
            }
        }
        col.close()?;
    }
    rg.close()?;
    Ok(())
}

/// A Hive-partitioned directory written a row at a time. Rows should come
/// grouped by indicator (the store's order): the files of an indicator are
/// finished when the next one starts, so one indicator's row groups are in
/// memory at most; an indicator seen again gets new files (`part-1` …).
pub struct PartitionedSink<'a> {
    tmp: std::path::PathBuf,
    dir: std::path::PathBuf,
    areas: &'a AreaRegistry,
    inds: &'a [Indicator],
    indicator: String,
    open: BTreeMap<i32, ParquetSink<'a, std::io::BufWriter<std::fs::File>>>,
    parts: BTreeMap<(String, i32), usize>,
}

impl<'a> PartitionedSink<'a> {
    /// Starts an export into `dir`, which must not exist yet (or be empty):
    /// the files are written beside it and renamed into place by
    /// [`PartitionedSink::finish`].
    pub fn new(dir: &Path, areas: &'a AreaRegistry, inds: &'a [Indicator]) -> Result<Self> {
        if dir.exists() {
            let empty = dir.is_dir() && std::fs::read_dir(dir)?.next().is_none();
            if !empty {
                bail!(
                    "{}: already exists; a partitioned export goes to a new directory",
                    dir.display()
                );
            }
        }
        let tmp = dir.with_extension(format!("partial.{}", std::process::id()));
        std::fs::create_dir_all(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        Ok(PartitionedSink {
            tmp,
            dir: dir.to_path_buf(),
            areas,
            inds,
            indicator: String::new(),
            open: BTreeMap::new(),
            parts: BTreeMap::new(),
        })
    }

    fn close_open(&mut self) -> Result<()> {
        for (_, sink) in std::mem::take(&mut self.open) {
            sink.finish()?
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all()?;
        }
        Ok(())
    }

    /// One row.
    pub fn row(&mut self, v: Vintage) -> Result<()> {
        if v.obs.indicator != self.indicator {
            self.close_open()?;
            self.indicator = v.obs.indicator.clone();
        }
        let year = span(v.obs.period).0.year();
        if !self.open.contains_key(&year) {
            let seq = self
                .parts
                .entry((self.indicator.clone(), year))
                .or_insert(0);
            // indicator codes are [A-Z0-9_]: safe as a directory name
            let sub = self
                .tmp
                .join(format!("indicator={}", self.indicator))
                .join(format!("year={year}"));
            std::fs::create_dir_all(&sub)?;
            let f = std::fs::File::create(sub.join(format!("part-{seq}.parquet")))?;
            *seq += 1;
            let sink = ParquetSink::new(
                std::io::BufWriter::new(f),
                self.areas,
                self.inds,
                &PARTITIONS,
            )?;
            self.open.insert(year, sink);
        }
        self.open.get_mut(&year).expect("just opened").row(v)
    }

    /// Finishes every file and renames the directory into place; returns
    /// the number of partitions.
    pub fn finish(mut self) -> Result<usize> {
        self.close_open()?;
        if self.dir.exists() {
            std::fs::remove_dir(&self.dir)?;
        }
        std::fs::rename(&self.tmp, &self.dir)
            .with_context(|| format!("cannot write {}", self.dir.display()))?;
        Ok(self.parts.len())
    }
}

impl Drop for PartitionedSink<'_> {
    fn drop(&mut self) {
        // not finished (an error): leave nothing behind
        if self.tmp.exists() {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    use solieu_model::{Measure, Observation, Status};

    fn to_bytes(rows: &[Vintage], areas: &AreaRegistry, inds: &[Indicator]) -> Result<Vec<u8>> {
        let mut sink = ParquetSink::new(Vec::new(), areas, inds, &[])?;
        for v in rows {
            sink.row(v.clone())?;
        }
        sink.finish()
    }

    fn to_directory(
        rows: &[Vintage],
        areas: &AreaRegistry,
        inds: &[Indicator],
        dir: &Path,
    ) -> Result<usize> {
        let mut sink = PartitionedSink::new(dir, areas, inds)?;
        for v in rows {
            sink.row(v.clone())?;
        }
        sink.finish()
    }

    fn vintage(ind: &str, period: Period, value: f64) -> Vintage {
        Vintage {
            obs: Observation {
                indicator: ind.into(),
                area: "79".into(),
                period,
                measure: Measure::Level,
                dims: String::new(),
                value,
                status: Status::Final,
                source: "=cmd()".into(),
                note: String::new(),
            },
            recorded_at: 1_600_000_000_000_000,
            submitter: "test".into(),
            import_id: 1,
        }
    }

    #[test]
    fn a_file_reads_back_with_every_column() {
        let rows = vec![
            vintage("RETAIL_GOODS", Period::Month(2020, 10), 72212.8),
            vintage("RETAIL_GOODS", Period::Cumulative(2020, 10), 686507.0),
        ];
        let bytes = to_bytes(&rows, &AreaRegistry::default(), &[]).unwrap();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&bytes).unwrap();
        let r = SerializedFileReader::new(f).unwrap();
        assert_eq!(r.metadata().file_metadata().num_rows(), 2);
        let back: Vec<_> = r.get_row_iter(None).unwrap().map(|r| r.unwrap()).collect();
        let cols: BTreeMap<String, Field> = back[1]
            .get_column_iter()
            .map(|(n, f)| (n.clone(), f.clone()))
            .collect();
        assert_eq!(cols.len(), COLUMNS.len());
        assert_eq!(cols["value"], Field::Double(686507.0));
        assert_eq!(cols["year_to_date"], Field::Bool(true));
        assert_eq!(cols["period"], Field::Str("2020-01/2020-10".into()));
        assert_eq!(
            cols["period_start"],
            Field::Date(days(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()))
        );
        assert_eq!(cols["freq"], Field::Str("M".into()));
        // text is stored as it is: Parquet holds typed data, not a spreadsheet
        assert_eq!(cols["source"], Field::Str("=cmd()".into()));
    }

    #[test]
    fn a_partitioned_directory_is_written_whole_or_not_at_all() {
        let rows: Vec<Vintage> = (2019..=2020)
            .flat_map(|y| {
                (1..=12).map(move |m| vintage("EXPORTS", Period::Month(y, m), f64::from(m)))
            })
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("archive");
        let n = to_directory(&rows, &AreaRegistry::default(), &[], &dir).unwrap();
        assert_eq!(n, 2);
        let f = dir.join("indicator=EXPORTS/year=2020/part-0.parquet");
        let r = SerializedFileReader::new(std::fs::File::open(f).unwrap()).unwrap();
        assert_eq!(r.metadata().file_metadata().num_rows(), 12);
        let names: Vec<String> = r
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        assert!(!names.contains(&"indicator".to_string()) && !names.contains(&"year".into()));
        // a second export into the same directory is refused, and nothing is left behind
        assert!(to_directory(&rows, &AreaRegistry::default(), &[], &dir).is_err());
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }
}

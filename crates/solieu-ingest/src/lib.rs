//! Reading observation files: the canonical long CSV, `.xlsx` workbooks in
//! the long and the wide layout, legacy Vietnamese encodings. Ingest is
//! pure: bytes in, validated observations or located errors out; it never
//! touches the store, which decides to commit.
#![warn(missing_docs)]

pub mod csv_long;
pub mod legacy;
pub mod sdmx_csv;
pub mod validate;
pub mod wide;
pub mod xlsx;

use sha2::{Digest, Sha256};
use solieu_model::text::NumberStyle;
use solieu_model::Observation;

pub use validate::{Catalog, Diagnostic, Loc};
pub use wide::WideOptions;

use validate::{RawRecord, RawValue};
use xlsx::{cell_ref, Cell};

/// Options of one import.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// For wide sheets.
    pub wide: WideOptions,
    /// Source recorded where a row gives none.
    pub default_source: String,
}

/// What was read.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// Validated observations of all files, in order.
    pub observations: Vec<Observation>,
    /// Things worth telling the user (encodings recognised, sheets skipped).
    pub notes: Vec<String>,
    /// SHA-256 of all inputs, hex.
    pub sha256: String,
}

/// One input file.
pub struct Input<'a> {
    /// Name shown in messages.
    pub name: &'a str,
    /// Content.
    pub bytes: &'a [u8],
}

fn is_xlsx(i: &Input<'_>) -> bool {
    let name = i.name.to_ascii_lowercase();
    xlsx::is_workbook(i.bytes) || name.ends_with(".xlsx") || name.ends_with(".xls")
}

fn file_error(name: &str, message: String) -> Diagnostic {
    Diagnostic {
        loc: Loc {
            file: name.to_string(),
            sheet: None,
            row: 0,
            column: "-".into(),
        },
        value: String::new(),
        message,
    }
}

/// The dimensions the catalogue declares (extra columns of a canonical CSV).
fn dimension_names(cat: &Catalog<'_>) -> Vec<String> {
    cat.indicators
        .values()
        .flat_map(|i| i.dimensions.iter().map(|d| d.name.clone()))
        .collect()
}

/// Reads and validates files together (a figure given twice in two files
/// of one import is a duplicate). Any error: `Err` with every error found.
pub fn read_files(
    inputs: &[Input<'_>],
    cat: &Catalog<'_>,
    opts: &ReadOptions,
) -> Result<ReadOutcome, Vec<Diagnostic>> {
    let dims = dimension_names(cat);
    let mut records: Vec<RawRecord> = vec![];
    let mut errors = vec![];
    let mut notes = vec![];
    let mut hash = Sha256::new();
    for input in inputs {
        hash.update(input.bytes);
        if is_xlsx(input) {
            match read_xlsx(input, cat, opts, &dims, &mut notes) {
                Ok(r) => records.extend(r),
                Err(e) => errors.extend(e),
            }
        } else {
            // anything else is read as CSV text; an empty file is refused there
            let (text, encoding) = legacy::decode_text_file(input.bytes);
            if encoding != "UTF-8" {
                notes.push(format!("{}: not UTF-8, decoded as {encoding}", input.name));
            }
            let read = if sdmx_csv::is_sdmx_csv(&text) {
                sdmx_csv::read(&text, input.name)
            } else {
                csv_long::read(&text, input.name, &dims)
            };
            match read {
                Ok(r) => records.extend(r),
                Err(e) => errors.extend(e),
            }
        }
    }
    let v = validate::validate(&records, cat, &opts.default_source);
    errors.extend(v.errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    if v.observations.is_empty() {
        return Err(vec![file_error(
            &inputs.iter().map(|i| i.name).collect::<Vec<_>>().join(", "),
            "no observations found; expected at least one data row".into(),
        )]);
    }
    Ok(ReadOutcome {
        observations: v.observations,
        notes,
        sha256: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    })
}

fn read_xlsx(
    input: &Input<'_>,
    cat: &Catalog<'_>,
    opts: &ReadOptions,
    dims: &[String],
    notes: &mut Vec<String>,
) -> Result<Vec<RawRecord>, Vec<Diagnostic>> {
    let sheets = xlsx::read_workbook(input.bytes).map_err(|m| vec![file_error(input.name, m)])?;
    let mut out = vec![];
    let mut errors = vec![];
    let mut used = 0;
    let file: std::sync::Arc<str> = input.name.into();
    for sheet in &sheets {
        if !sheet.legacy.is_empty() {
            notes.push(format!(
                "{}[{}]: {} cells in legacy Vietnamese fonts decoded to Unicode",
                input.name,
                sheet.name,
                sheet.legacy.len()
            ));
        }
        // long layout: the first non-blank row is a canonical header
        let first = sheet
            .rows
            .iter()
            .position(|r| r.iter().any(|c| !c.is_blank()));
        let Some(first) = first else { continue };
        let header: Vec<String> = sheet.rows[first]
            .iter()
            .map(|c| c.text().to_string())
            .collect();
        let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
        if csv_long::REQUIRED
            .iter()
            .all(|r| lower.iter().any(|h| h == r))
        {
            used += 1;
            let width = header
                .iter()
                .rposition(|h| !h.is_empty())
                .map_or(0, |i| i + 1);
            let head = match csv_long::Header::parse(&header[..width], dims) {
                Ok(h) => h,
                Err(m) => {
                    errors.push(Diagnostic {
                        loc: Loc {
                            file: input.name.into(),
                            sheet: Some(sheet.name.clone()),
                            row: first + 1,
                            column: "header".into(),
                        },
                        value: header.join(","),
                        message: m,
                    });
                    continue;
                }
            };
            for r in first + 1..sheet.rows.len() {
                let row = &sheet.rows[r];
                if row.iter().all(Cell::is_blank) {
                    continue;
                }
                let cells: Vec<RawValue> = (0..width)
                    .map(|c| match sheet.get(r, c) {
                        Cell::Number(n) => RawValue::Number(*n),
                        Cell::Text(t) => {
                            let style = if t.contains(',') || t.matches('.').count() > 1 {
                                NumberStyle::Vietnamese
                            } else {
                                NumberStyle::Canonical
                            };
                            RawValue::Text(t.trim().to_string(), style)
                        }
                        Cell::Empty => RawValue::Text(String::new(), NumberStyle::Canonical),
                    })
                    .collect();
                out.push(head.record(cells, &file, Some(&sheet.name), r + 1, &|c| {
                    cell_ref(r, c).into()
                }));
            }
        } else if wide::find_label_header(sheet).is_some() {
            used += 1;
            match wide::read(sheet, input.name, &opts.wide, cat, notes) {
                Ok(r) => out.extend(r),
                Err(e) => errors.extend(e),
            }
        } else {
            notes.push(format!(
                "{}[{}]: no table recognised, sheet skipped",
                input.name, sheet.name
            ));
        }
    }
    if used == 0 && errors.is_empty() {
        errors.push(file_error(
            input.name,
            "no sheet holds a table solieu reads; expected a header row indicator,area,period,value or a form with a 'Chỉ tiêu' column".into(),
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A canonical CSV (UTF-8) read and validated a chunk at a time, for files
/// too large to hold. Duplicate keys are found within a chunk here and
/// across chunks by the store, which refuses the whole import.
pub struct CsvChunks<'c, R: std::io::Read> {
    stream: Rows<R>,
    cat: &'c Catalog<'c>,
    default_source: String,
    chunk_rows: usize,
}

/// The layouts read in chunks.
enum Rows<R: std::io::Read> {
    Canonical(csv_long::CsvStream<R>),
    Sdmx(sdmx_csv::SdmxCsvStream<R>),
}

impl<'c, R: std::io::Read> CsvChunks<'c, R> {
    /// Opens the stream and reads its header: SDMX-CSV (1.0 or 2.0) with
    /// `sdmx`, else the canonical layout.
    pub fn new(
        reader: R,
        name: &str,
        cat: &'c Catalog<'c>,
        opts: &ReadOptions,
        chunk_rows: usize,
        sdmx: bool,
    ) -> Result<Self, Vec<Diagnostic>> {
        let stream = if sdmx {
            Rows::Sdmx(sdmx_csv::SdmxCsvStream::new(reader, name)?)
        } else {
            Rows::Canonical(csv_long::CsvStream::new(
                reader,
                name,
                &dimension_names(cat),
            )?)
        };
        Ok(CsvChunks {
            stream,
            cat,
            default_source: opts.default_source.clone(),
            chunk_rows: chunk_rows.max(1),
        })
    }

    /// The next chunk of validated observations; `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<Observation>>, Vec<Diagnostic>> {
        let next = match &mut self.stream {
            Rows::Canonical(s) => s.next_records(self.chunk_rows)?,
            Rows::Sdmx(s) => s.next_records(self.chunk_rows)?,
        };
        let Some(records) = next else {
            return Ok(None);
        };
        let v = validate::validate(&records, self.cat, &self.default_source);
        if v.errors.is_empty() {
            Ok(Some(v.observations))
        } else {
            Err(v.errors)
        }
    }
}

//! Reading observation files: the canonical long CSV, `.xlsx` workbooks in
//! the long and the wide layout, legacy Vietnamese encodings. Ingest is
//! pure: bytes in, validated observations or located errors out; it never
//! touches the store, which decides to commit.
#![warn(missing_docs)]

pub mod csv_long;
pub mod legacy;
pub mod sdmx_csv;
pub mod sdmx_ml;
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
    /// How the series of an SDMX-ML message of a foreign structure map to
    /// the catalogue (`None`: the built-in mappings).
    pub sdmx_mapping: Option<sdmx_ml::Mapping>,
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
    /// Where the figures came from beyond the file names: the SDMX
    /// messages read (`CPIVNM.xml: SDMX message IREF805461 of ZZZ,
    /// prepared …`), recorded with the import.
    pub provenance: Vec<String>,
    /// When what was read was published: the latest `Prepared` time of
    /// the SDMX-ML messages read (µs), the recording time of their
    /// figures; `None`: now.
    pub recorded_at: Option<i64>,
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
    xlsx::is_workbook(i.bytes)
        || name.ends_with(".xlsx")
        || name.ends_with(".xls")
        || name.ends_with(".ods")
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
    let mut recorded_at = None;
    let mut provenance = vec![];
    if let Some(m) = &opts.sdmx_mapping {
        let unknown = m.unknown_indicators(&|c| {
            cat.indicators.contains_key(c) || solieu_model::indicator::alias(c).is_some()
        });
        if !unknown.is_empty() {
            return Err(unknown);
        }
    }
    for input in inputs {
        hash.update(input.bytes);
        if sdmx_ml::is_sdmx_ml(input.bytes) {
            match read_sdmx_ml(input, opts, &mut notes) {
                Ok((r, header)) => {
                    records.extend(r);
                    recorded_at = recorded_at.max(header.prepared_micros());
                    provenance.push(message_provenance(input.name, &header));
                }
                Err(e) => errors.extend(e),
            }
        } else if sdmx_ml::is_sdmx_json(input.bytes) {
            match sdmx_ml::read_json(input.bytes, input.name, opts.sdmx_mapping.clone()) {
                Ok((r, header, skipped)) => {
                    notes.extend(sdmx_ml_notes(input.name, &header, &skipped, r.len()));
                    recorded_at = recorded_at.max(header.prepared_micros());
                    provenance.push(message_provenance(input.name, &header));
                    records.extend(r);
                }
                Err(e) => errors.extend(e),
            }
        } else if is_xlsx(input) {
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
            let lead = text.trim_start_matches('\u{feff}').trim_start();
            if lead.starts_with('<') || lead.starts_with('{') {
                errors.push(file_error(
                    input.name,
                    format!(
                        "{} file that is not a data message solieu reads (its first bytes: '{}'); expected an SDMX-ML 2.1 GenericData or StructureSpecificData message, an SDMX-JSON data message, a CSV or a workbook",
                        if lead.starts_with('<') { "an XML" } else { "a JSON" },
                        solieu_model::text::clip(lead, 80)
                    ),
                ));
                continue;
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
        provenance,
        recorded_at,
    })
}

/// An SDMX-ML data message: its records, and its `Prepared` time.
fn read_sdmx_ml(
    input: &Input<'_>,
    opts: &ReadOptions,
    notes: &mut Vec<String>,
) -> Result<(Vec<RawRecord>, sdmx_ml::Header), Vec<Diagnostic>> {
    let mut s = sdmx_ml::SdmxMlStream::new(input.bytes, input.name, opts.sdmx_mapping.clone())?;
    let records = s.next_records(usize::MAX)?.unwrap_or_default();
    notes.extend(sdmx_ml_notes(
        input.name,
        &s.header,
        &s.skipped,
        records.len(),
    ));
    Ok((records, s.header))
}

/// An SDMX message as the import records it: its file, ID, sender and
/// `Prepared` time.
fn message_provenance(name: &str, h: &sdmx_ml::Header) -> String {
    format!(
        "{name}: SDMX message {} of {}{}",
        if h.id.is_empty() { "-" } else { &h.id },
        if h.sender.is_empty() { "-" } else { &h.sender },
        if h.prepared.is_empty() {
            String::new()
        } else {
            format!(", prepared {}", h.prepared)
        }
    )
}

/// What an import of an SDMX-ML message tells the user: the message, and
/// what was left out and why.
pub fn sdmx_ml_notes(
    name: &str,
    h: &sdmx_ml::Header,
    skipped: &sdmx_ml::Skipped,
    read: usize,
) -> Vec<String> {
    let mut notes = vec![format!(
        "{name}: SDMX message {} of {}{}, structure {}: {read} observations read{}",
        if h.id.is_empty() { "-" } else { &h.id },
        if h.sender.is_empty() {
            "an unnamed sender"
        } else {
            &h.sender
        },
        if h.prepared.is_empty() {
            String::new()
        } else {
            format!(", prepared {} (their recording time)", h.prepared)
        },
        h.structure,
        if skipped.missing > 0 {
            format!("; {} without a value (NaN, na) left out", skipped.missing)
        } else {
            String::new()
        }
    )];
    if !skipped.unmapped.is_empty() {
        let n: usize = skipped.unmapped.values().sum();
        let list: Vec<String> = skipped
            .unmapped
            .iter()
            .map(|(k, c)| format!("{k} ({c})"))
            .collect();
        notes.push(format!(
            "{name}: {} series ({n} observations) not imported: no mapping row covers them (add rows to a mapping file and import with --mapping FILE): {}",
            skipped.unmapped.len(),
            solieu_model::text::clip(&list.join(", "), 600)
        ));
    }
    for (ind, um) in &skipped.unit_mult_ignored {
        notes.push(format!(
            "{name}: UNIT_MULT {um} not applied to {ind}: a rate or an index is not scaled"
        ));
    }
    notes
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

/// A canonical CSV (UTF-8), an SDMX-CSV file or an SDMX-ML message read
/// and validated a chunk at a time, for files too large to hold. Duplicate keys are found within a chunk here and
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
    SdmxMl(Box<sdmx_ml::SdmxMlStream<std::io::BufReader<R>>>),
}

/// The layout of a file read in chunks, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The canonical long CSV.
    Canonical,
    /// SDMX-CSV 1.0 or 2.0.
    SdmxCsv,
    /// An SDMX-ML 2.1 data message.
    SdmxMl,
}

impl Layout {
    /// The layout of a file that starts with `head`.
    pub fn of(head: &[u8]) -> Layout {
        if sdmx_ml::is_sdmx_ml(head) {
            Layout::SdmxMl
        } else if sdmx_csv::is_sdmx_csv(&String::from_utf8_lossy(head)) {
            Layout::SdmxCsv
        } else {
            Layout::Canonical
        }
    }
}

impl<'c, R: std::io::Read> CsvChunks<'c, R> {
    /// Opens the stream in its layout and reads its header.
    pub fn new(
        reader: R,
        name: &str,
        cat: &'c Catalog<'c>,
        opts: &ReadOptions,
        chunk_rows: usize,
        layout: Layout,
    ) -> Result<Self, Vec<Diagnostic>> {
        let stream = match layout {
            Layout::SdmxCsv => Rows::Sdmx(sdmx_csv::SdmxCsvStream::new(reader, name)?),
            Layout::SdmxMl => Rows::SdmxMl(Box::new(sdmx_ml::SdmxMlStream::new(
                std::io::BufReader::with_capacity(1 << 20, reader),
                name,
                opts.sdmx_mapping.clone(),
            )?)),
            Layout::Canonical => Rows::Canonical(csv_long::CsvStream::new(
                reader,
                name,
                &dimension_names(cat),
            )?),
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
            Rows::SdmxMl(s) => s.next_records(self.chunk_rows)?,
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

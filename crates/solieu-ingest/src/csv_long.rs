//! The canonical long CSV: `indicator,area,period,value` and the optional
//! `measure,status,unit,source,note` and dimension columns.

use solieu_model::text::{nfc, NumberStyle};
use std::sync::Arc;

use crate::validate::{Diagnostic, Field, Loc, RawRecord, RawValue};

/// Columns every long file has.
pub const REQUIRED: [&str; 4] = ["indicator", "area", "period", "value"];
/// Optional columns.
pub const OPTIONAL: [&str; 5] = ["measure", "status", "unit", "source", "note"];

/// The columns of an export, in order (dimension columns follow).
pub const CANONICAL_COLUMNS: [&str; 9] = [
    "indicator",
    "area",
    "period",
    "measure",
    "value",
    "status",
    "unit",
    "source",
    "note",
];

/// Maps a header row to column indexes; errors name the missing columns.
pub struct Header {
    idx: [Option<usize>; 9],
    dims: Vec<(usize, String)>,
    /// names of the canonical columns, for fields of absent columns
    absent: Vec<Arc<str>>,
}

impl Header {
    /// Reads a header; `dimension_names` are the dimensions the catalogue declares.
    pub fn parse(cells: &[String], dimension_names: &[String]) -> Result<Header, String> {
        let names: Vec<String> = cells.iter().map(|c| nfc(c).to_ascii_lowercase()).collect();
        let mut idx = [None; 9];
        let mut dims = vec![];
        for (i, n) in names.iter().enumerate() {
            if let Some(k) = REQUIRED.iter().chain(OPTIONAL.iter()).position(|c| c == n) {
                if idx[k].is_some() {
                    return Err(format!("column '{n}' appears twice"));
                }
                idx[k] = Some(i);
            } else if let Some(d) = dimension_names.iter().find(|d| d.eq_ignore_ascii_case(n)) {
                dims.push((i, d.clone()));
            } else if n.is_empty() {
                return Err(format!("column {} has no name", i + 1));
            } else {
                return Err(format!(
                    "unknown column '{}'; expected {}, optionally {} or a dimension of the catalogue",
                    cells[i],
                    REQUIRED.join(","),
                    OPTIONAL.join(",")
                ));
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .enumerate()
            .filter(|(k, _)| idx[*k].is_none())
            .map(|(_, c)| *c)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing column(s) {}; expected a header row with at least {}",
                missing.join(", "),
                REQUIRED.join(",")
            ));
        }
        let absent = REQUIRED
            .iter()
            .chain(OPTIONAL.iter())
            .map(|c| Arc::from(*c))
            .collect();
        Ok(Header { idx, dims, absent })
    }

    /// Builds a record from one row, taking its cells. `column_label(i)`
    /// names column `i` in messages.
    pub fn record(
        &self,
        mut cells: Vec<RawValue>,
        file: &Arc<str>,
        sheet: Option<&str>,
        row: usize,
        column_label: &dyn Fn(usize) -> Arc<str>,
    ) -> RawRecord {
        let mut take = |i: usize| -> RawValue {
            cells
                .get_mut(i)
                .map_or(RawValue::Text(String::new(), NumberStyle::Canonical), |c| {
                    std::mem::replace(c, RawValue::Text(String::new(), NumberStyle::Canonical))
                })
        };
        let mut text = |k: usize| -> Field {
            match self.idx[k] {
                Some(i) => Field {
                    text: match take(i) {
                        RawValue::Text(t, _) => t,
                        n => n.to_string(),
                    },
                    column: column_label(i),
                },
                None => Field {
                    text: String::new(),
                    column: self.absent[k].clone(),
                },
            }
        };
        let (indicator, area, period) = (text(0), text(1), text(2));
        let (measure, status, unit, source, note) = (text(4), text(5), text(6), text(7), text(8));
        let vi = self.idx[3].expect("required");
        RawRecord {
            file: file.clone(),
            sheet: sheet.map(str::to_string),
            row,
            indicator,
            area,
            period,
            value: Field {
                text: take(vi),
                column: column_label(vi),
            },
            measure,
            status,
            unit,
            source,
            note,
            dims: self
                .dims
                .iter()
                .map(|(i, name)| Field {
                    text: (name.clone(), take(*i).to_string()),
                    column: column_label(*i),
                })
                .collect(),
            index_form: false,
        }
    }
}

/// Reads a canonical CSV text.
pub fn read(
    text: &str,
    file: &str,
    dimension_names: &[String],
) -> Result<Vec<RawRecord>, Vec<Diagnostic>> {
    if let Some(pos) = text.find('\0') {
        let line = text[..pos].matches('\n').count() + 1;
        return Err(vec![diag(
            file,
            line,
            "-",
            "\\0",
            "NUL byte in a text file; expected a CSV text".into(),
        )]);
    }
    let mut stream = CsvStream::new(text.as_bytes(), file, dimension_names)?;
    stream
        .next_records(usize::MAX)
        .map(Option::unwrap_or_default)
}

/// A located diagnostic of a text file (no sheet).
pub(crate) fn diag(
    file: &str,
    row: usize,
    column: &str,
    value: &str,
    message: String,
) -> Diagnostic {
    Diagnostic {
        loc: Loc {
            file: file.to_string(),
            sheet: None,
            row,
            column: column.to_string(),
        },
        value: value.to_string(),
        message,
    }
}

/// A canonical CSV read a chunk of rows at a time (files too large to hold).
pub struct CsvStream<R: std::io::Read> {
    records: csv::StringRecordsIntoIter<R>,
    file: Arc<str>,
    header: Vec<String>,
    labels: Vec<Arc<str>>,
    head: Header,
    row: usize,
}

impl<R: std::io::Read> CsvStream<R> {
    /// Reads the header.
    pub fn new(reader: R, file: &str, dimension_names: &[String]) -> Result<Self, Vec<Diagnostic>> {
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(reader);
        let mut records = rdr.into_records();
        let header: Vec<String> = match records.next() {
            None => {
                return Err(vec![diag(
                    file,
                    1,
                    "-",
                    "",
                    "empty file; expected a header row and data rows".into(),
                )])
            }
            Some(Err(e)) => {
                return Err(vec![diag(file, 1, "-", "", format!("not a CSV file: {e}"))])
            }
            Some(Ok(r)) => r.iter().map(str::to_string).collect(),
        };
        let head = Header::parse(&header, dimension_names)
            .map_err(|m| vec![diag(file, 1, "header", &header.join(","), m)])?;
        Ok(CsvStream {
            records,
            file: file.into(),
            labels: header.iter().map(|h| Arc::from(h.as_str())).collect(),
            header,
            head,
            row: 1,
        })
    }

    /// The next `n` data rows as records (`None` at the end); all the
    /// located errors of the chunk otherwise.
    pub fn next_records(&mut self, n: usize) -> Result<Option<Vec<RawRecord>>, Vec<Diagnostic>> {
        let mut out = vec![];
        let mut errors = vec![];
        let mut seen = 0usize;
        let header = &self.header;
        let labels = &self.labels;
        let label = |i: usize| -> Arc<str> {
            labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("column {}", i + 1).into())
        };
        for rec in self.records.by_ref() {
            self.row += 1;
            seen += 1;
            let row = self.row;
            match rec {
                Err(e) => errors.push(diag(
                    &self.file,
                    row,
                    "-",
                    "",
                    format!("unreadable CSV row: {e}"),
                )),
                Ok(r) => {
                    if r.iter().all(|c| c.trim().is_empty()) {
                    } else if r.len() != header.len() {
                        errors.push(diag(
                            &self.file,
                            row,
                            "-",
                            &r.iter().collect::<Vec<_>>().join(","),
                            format!(
                                "{} fields; expected {} as in the header",
                                r.len(),
                                header.len()
                            ),
                        ));
                    } else {
                        let cells: Vec<RawValue> = r
                            .iter()
                            .map(|c| RawValue::Text(c.to_string(), NumberStyle::Canonical))
                            .collect();
                        out.push(self.head.record(cells, &self.file, None, row, &label));
                    }
                }
            }
            if seen >= n {
                break;
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((seen > 0).then_some(out))
    }
}

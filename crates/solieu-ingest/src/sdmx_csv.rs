//! SDMX-CSV 1.0 and 2.0 in solieu's own structure (`SOLIEU:DF_SOLIEU(1.0)`,
//! see `docs/sdmx.md`), read into raw records so that they pass the same
//! validation and the same all-or-nothing import as every other file.
//!
//! `MEASURE` maps back to a measure and, for its `_YTD` forms, to a
//! year-to-date period (`VALUE_YTD` at `2020-10` is `2020-01/2020-10`).
//! SDMX-CSV 2.0 row actions: `I` (information), `A` (append), `M` (merge), `R`
//! (replace) and an absent `ACTION` are all a new vintage when the value
//! differs — solieu keeps every vintage; `D` (delete) is refused with its
//! row, since solieu never deletes a figure (send the corrected value).

use std::sync::Arc;

use crate::csv_long::diag;
use crate::validate::{Diagnostic, Field, RawRecord, RawValue};
use solieu_model::text::NumberStyle;

/// Whether a CSV text is SDMX-CSV (its first column is `DATAFLOW` or `STRUCTURE`).
pub fn is_sdmx_csv(text: &str) -> bool {
    let first = text
        .trim_start_matches('\u{feff}')
        .split([',', '\n', '\r'])
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"');
    first == "DATAFLOW" || first == "STRUCTURE"
}

/// The measure and whether the period is a year-to-date one.
pub(crate) fn measure_of(code: &str) -> Option<(&'static str, bool)> {
    let (base, ytd) = match code.strip_suffix("_YTD") {
        Some(b) => (b, true),
        None => (code, false),
    };
    let m = match base {
        "VALUE" => "level",
        "YOY_PCT" => "yoy_pct",
        "MOM_PCT" => "mom_pct",
        "PLAN_PCT" => "plan_pct",
        "PLAN" => "plan",
        "PLAN_YOY_PCT" => "plan_yoy_pct",
        _ => return None,
    };
    Some((m, ytd))
}

/// Reads SDMX-CSV 1.0 or 2.0 text; every problem with its row and column.
pub fn read(text: &str, file: &str) -> Result<Vec<RawRecord>, Vec<Diagnostic>> {
    let mut stream = SdmxCsvStream::new(text.as_bytes(), file)?;
    Ok(stream.next_records(usize::MAX)?.unwrap_or_default())
}

/// The positions of the columns read.
struct Cols {
    structure: usize,
    action: Option<usize>,
    indicator: usize,
    area: usize,
    measure: usize,
    time: usize,
    value: usize,
    status: Option<usize>,
    /// The breakdown columns (`PRODUCT`, `MARKET` …): every column that is
    /// not one of the structure's fixed components.
    breakdowns: Vec<(usize, Arc<str>)>,
}

/// The components every SOLIEU dataflow has; any other column is a breakdown.
pub(crate) const FIXED: [&str; 14] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "DATAFLOW",
    "FREQ",
    "INDICATOR",
    "REF_AREA",
    "MEASURE",
    "TIME_PERIOD",
    "OBS_VALUE",
    "OBS_STATUS",
    "UNIT_MEASURE",
    "UNIT_MULT",
    "DECIMALS",
];

/// The period of a `TIME_PERIOD` as the canonical files write it: a
/// year-to-date measure's month is the range from January.
pub(crate) fn period_text(t: &str, ytd: bool) -> Result<String, String> {
    if !ytd {
        return Ok(t.replace("-M", "-"));
    }
    match t.replace("-M", "-").split_once('-') {
        Some((y, mm)) if mm.len() == 2 => Ok(format!("{y}-01/{y}-{mm}")),
        _ => Err("a year-to-date figure needs a month: 2020-10".into()),
    }
}

/// SDMX-CSV read a number of rows at a time, for files too large to hold
/// (the same checks as [`read`], which is this stream read to its end).
pub struct SdmxCsvStream<R: std::io::Read> {
    rdr: csv::Reader<R>,
    file: Arc<str>,
    v2: bool,
    cols: Cols,
    row: usize,
    rec: csv::StringRecord,
}

impl<R: std::io::Read> SdmxCsvStream<R> {
    /// Reads and checks the header.
    pub fn new(reader: R, file: &str) -> Result<Self, Vec<Diagnostic>> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h
                .iter()
                .map(|c| c.trim_start_matches('\u{feff}').trim().to_string())
                .collect(),
            Err(e) => return Err(vec![diag(file, 1, "-", "", format!("not CSV: {e}"))]),
        };
        let col = |name: &str| header.iter().position(|h| h == name);
        let v2 = header.first().is_some_and(|h| h == "STRUCTURE");
        let structure_col = if v2 {
            col("STRUCTURE_ID")
        } else {
            col("DATAFLOW")
        };
        let mut errors = vec![];
        let need = [
            "INDICATOR",
            "REF_AREA",
            "MEASURE",
            "TIME_PERIOD",
            "OBS_VALUE",
        ];
        for n in need {
            if col(n).is_none() {
                errors.push(diag(
                    file,
                    1,
                    n,
                    "",
                    format!("column {n} is missing; expected the columns of SOLIEU:DF_SOLIEU(1.0): FREQ, INDICATOR, REF_AREA, MEASURE, TIME_PERIOD, OBS_VALUE, OBS_STATUS"),
                ));
            }
        }
        if structure_col.is_none() {
            errors.push(diag(
                file,
                1,
                if v2 { "STRUCTURE_ID" } else { "DATAFLOW" },
                "",
                "the structure column is missing".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let at = |n: &str| col(n).expect("checked");
        let cols = Cols {
            structure: structure_col.expect("checked"),
            action: col("ACTION"),
            indicator: at("INDICATOR"),
            area: at("REF_AREA"),
            measure: at("MEASURE"),
            time: at("TIME_PERIOD"),
            value: at("OBS_VALUE"),
            status: col("OBS_STATUS"),
            breakdowns: header
                .iter()
                .enumerate()
                .filter(|(_, h)| !h.is_empty() && !FIXED.contains(&h.as_str()))
                .map(|(i, h)| (i, Arc::from(h.as_str())))
                .collect(),
        };
        Ok(SdmxCsvStream {
            rdr,
            file: Arc::from(file),
            v2,
            cols,
            row: 1,
            rec: csv::StringRecord::new(),
        })
    }

    /// Up to `n` more records, `None` at the end; every problem of these
    /// rows with its row and column.
    pub fn next_records(&mut self, n: usize) -> Result<Option<Vec<RawRecord>>, Vec<Diagnostic>> {
        let mut out = vec![];
        let mut errors = vec![];
        let mut seen = 0;
        while seen < n {
            self.row += 1;
            match self.rdr.read_record(&mut self.rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    errors.push(diag(&self.file, self.row, "-", "", format!("not CSV: {e}")));
                    seen += 1;
                    continue;
                }
            }
            seen += 1;
            match self.record() {
                Ok(r) => out.push(r),
                Err(d) => errors.push(*d),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(if seen == 0 { None } else { Some(out) })
    }

    fn record(&self) -> Result<RawRecord, Box<Diagnostic>> {
        let (file, row, c) = (&*self.file, self.row, &self.cols);
        let cell = |i: usize| self.rec.get(i).unwrap_or("").trim().to_string();
        let label = |n: &str| -> Arc<str> { Arc::from(n) };
        let structure = cell(c.structure);
        if !structure.is_empty()
            && structure != "SOLIEU:DF_SOLIEU(1.0)"
            && !structure.starts_with("SOLIEU:DF_SOLIEU(")
        {
            return Err(Box::new(diag(
                file,
                row,
                if self.v2 { "STRUCTURE_ID" } else { "DATAFLOW" },
                &structure,
                "expected SOLIEU:DF_SOLIEU(1.0), the dataflow of this service".into(),
            )));
        }
        if let Some(a) = c.action.map(&cell) {
            match a.as_str() {
                "" | "I" | "A" | "M" | "R" => {}
                "D" => {
                    return Err(Box::new(diag(file, row, "ACTION", &a, "solieu keeps every vintage and deletes no figure; send the corrected value instead".into())));
                }
                _ => {
                    return Err(Box::new(diag(
                        file,
                        row,
                        "ACTION",
                        &a,
                        "expected I, A, M, R (or D, which solieu refuses)".into(),
                    )));
                }
            }
        }
        let m = cell(c.measure);
        let Some((measure, ytd)) = measure_of(&m) else {
            return Err(Box::new(diag(file, row, "MEASURE", &m, "expected VALUE, YOY_PCT, MOM_PCT, PLAN, PLAN_PCT, PLAN_YOY_PCT or one of them with _YTD".into())));
        };
        let t = cell(c.time);
        let period =
            period_text(&t, ytd).map_err(|m| Box::new(diag(file, row, "TIME_PERIOD", &t, m)))?;
        Ok(RawRecord {
            file: self.file.clone(),
            sheet: None,
            row,
            indicator: Field::new(cell(c.indicator), label("INDICATOR")),
            area: Field::new(cell(c.area), label("REF_AREA")),
            period: Field::new(period, label("TIME_PERIOD")),
            value: Field {
                text: RawValue::Text(cell(c.value), NumberStyle::Canonical),
                column: label("OBS_VALUE"),
            },
            measure: Field::new(measure, label("MEASURE")),
            status: Field::new(c.status.map(&cell).unwrap_or_default(), label("OBS_STATUS")),
            unit: Field::new("", label("UNIT_MEASURE")),
            source: Field::new("", label("SOURCE")),
            note: Field::new("", label("NOTE")),
            dims: c
                .breakdowns
                .iter()
                .map(|(i, name)| Field {
                    text: (name.to_string(), cell(*i)),
                    column: name.clone(),
                })
                .collect(),
            index_form: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_versions_and_refuses_deletions() {
        let v1 = "DATAFLOW,FREQ,INDICATOR,REF_AREA,MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS\nSOLIEU:DF_SOLIEU(1.0),M,EXPORTS,79,VALUE_YTD,2020-10,36700,E\n";
        assert!(is_sdmx_csv(v1));
        let r = read(v1, "a.csv").unwrap();
        assert_eq!(r[0].period.text, "2020-01/2020-10");
        assert_eq!(r[0].measure.text, "level");
        assert_eq!(r[0].status.text, "E");
        let v2 = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,MEASURE,TIME_PERIOD,OBS_VALUE\ndataflow,SOLIEU:DF_SOLIEU(1.0),I,M,EXPORTS,79,YOY_PCT,2020-10,5.5\ndataflow,SOLIEU:DF_SOLIEU(1.0),D,M,EXPORTS,79,VALUE,2020-09,1\n";
        let e = read(v2, "b.csv").unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].loc.row, e[0].loc.column.as_str()), (3, "ACTION"));
        let merge = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,MEASURE,TIME_PERIOD,OBS_VALUE\ndataflow,SOLIEU:DF_SOLIEU(1.0),M,M,EXPORTS,79,VALUE,2020-10,3924.7\n";
        assert_eq!(read(merge, "m.csv").unwrap()[0].measure.text, "level");
        assert!(!is_sdmx_csv("indicator,area,period,value\n"));
        // read a few rows at a time: the same records, row numbers carried on
        let mut st = SdmxCsvStream::new(v1.as_bytes(), "a.csv").unwrap();
        assert_eq!(st.next_records(1).unwrap().unwrap()[0].row, 2);
        assert!(st.next_records(1).unwrap().is_none());
        let many = format!(
            "{}{}",
            v1,
            "SOLIEU:DF_SOLIEU(1.0),M,EXPORTS,79,VALUE,2020-09,3700,A\n".repeat(5)
        );
        let mut st = SdmxCsvStream::new(many.as_bytes(), "m.csv").unwrap();
        let rows: Vec<usize> = std::iter::from_fn(|| st.next_records(4).unwrap())
            .flatten()
            .map(|r| r.row)
            .collect();
        assert_eq!(rows, vec![2, 3, 4, 5, 6, 7]);
        // a breakdown column: its code, `_T` the total
        let b = "DATAFLOW,FREQ,INDICATOR,REF_AREA,MEASURE,PRODUCT,TIME_PERIOD,OBS_VALUE\nSOLIEU:DF_SOLIEU(1.0),M,EXPORTS,79,VALUE,ELECTRONICS,2020-10,704.5\n";
        let r = read(b, "p.csv").unwrap();
        assert_eq!(
            r[0].dims[0].text,
            ("PRODUCT".to_string(), "ELECTRONICS".to_string())
        );
        let bad = "DATAFLOW,INDICATOR\nX,Y\n";
        assert!(read(bad, "c.csv")
            .unwrap_err()
            .iter()
            .any(|d| d.loc.column == "REF_AREA"));
    }
}

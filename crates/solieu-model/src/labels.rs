//! A department's own row labels (nhãn dòng): the names its forms give
//! indicators and breakdown codes, mapped to the catalogue's. A form's row
//! label is looked up in the catalogue's names and aliases first, then in
//! these mappings: the reporting unit's own (the form's area), then the ones
//! for every unit.

use std::collections::HashMap;

use crate::codelist::{csv_with_header, label_key, RowError};
use crate::text::nfc;

/// One mapping row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelMapping {
    /// The reporting unit whose forms use the label (its area code), or
    /// empty for every unit.
    pub unit: String,
    /// The label as the forms write it.
    pub label: String,
    /// The catalogue indicator it names.
    pub indicator: String,
    /// The breakdown code it names (`PRODUCT=RICE`), or empty for the
    /// indicator's total.
    pub dims: String,
}

/// The columns of a mapping file.
pub const COLUMNS: [&str; 4] = ["source_label", "indicator", "dims", "unit"];

/// Parses `source_label,indicator[,dims][,unit]`; `unit` (an area code)
/// for rows that give none. Every bad row is reported.
pub fn parse_csv(text: &str, unit: Option<&str>) -> Result<Vec<LabelMapping>, Vec<RowError>> {
    let (mut rdr, header) = csv_with_header(text, &COLUMNS, &["source_label", "indicator"])?;
    let mut errors = vec![];
    let err = |line: usize, column: &str, value: &str, message: String| RowError {
        line,
        column: column.into(),
        value: value.into(),
        message,
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut out: Vec<LabelMapping> = vec![];
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(line, "", "", format!("not CSV: {e}")));
                continue;
            }
        };
        let get = |name: &str| {
            col(name)
                .and_then(|c| rec.get(c))
                .map(|s| nfc(s.trim()))
                .unwrap_or_default()
        };
        let label = get("source_label");
        if label_key(&label).is_empty() {
            errors.push(err(
                line,
                "source_label",
                &label,
                "expected the label as the form writes it".into(),
            ));
            continue;
        }
        let indicator = get("indicator").to_ascii_uppercase();
        if !crate::indicator::is_valid_code(&indicator) {
            errors.push(err(
                line,
                "indicator",
                &indicator,
                "expected a catalogue indicator code".into(),
            ));
            continue;
        }
        let dims = get("dims");
        if !dims.is_empty()
            && !dims.split(';').all(|p| {
                p.split_once('=')
                    .is_some_and(|(k, v)| !k.trim().is_empty() && !v.trim().is_empty())
            })
        {
            errors.push(err(
                line,
                "dims",
                &dims,
                "expected NAME=CODE, e.g. PRODUCT=RICE".into(),
            ));
            continue;
        }
        let unit = match get("unit") {
            u if u.is_empty() => unit.unwrap_or("").to_string(),
            u => u,
        };
        let m = LabelMapping {
            unit,
            label,
            indicator,
            dims,
        };
        if let Some(o) = out
            .iter()
            .find(|o| o.unit == m.unit && label_key(&o.label) == label_key(&m.label))
        {
            if (&o.indicator, &o.dims) != (&m.indicator, &m.dims) {
                errors.push(err(
                    line,
                    "source_label",
                    &m.label,
                    format!(
                        "the label is mapped twice for the same unit: to {} and to {}",
                        o.indicator, m.indicator
                    ),
                ));
            }
            continue;
        }
        out.push(m);
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(err(2, "", "", "no mapping rows".into()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The mappings, looked up by unit and label.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    by: HashMap<(String, String), (String, String)>,
}

impl Labels {
    /// Indexes the mappings.
    pub fn new(rows: &[LabelMapping]) -> Labels {
        Labels {
            by: rows
                .iter()
                .map(|m| {
                    (
                        (m.unit.clone(), label_key(&m.label)),
                        (m.indicator.clone(), m.dims.clone()),
                    )
                })
                .collect(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by.is_empty()
    }

    /// The indicator and breakdown code a label names on `unit`'s forms:
    /// the unit's own mapping, else one for every unit.
    pub fn find(&self, unit: &str, label: &str) -> Option<(&str, &str)> {
        let key = label_key(label);
        self.by
            .get(&(unit.to_string(), key.clone()))
            .or_else(|| self.by.get(&(String::new(), key)))
            .map(|(i, d)| (i.as_str(), d.as_str()))
    }
}

/// The edit distance of two folded strings, in characters.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to `n` of `names` nearest to `label`, accent- and case-insensitive,
/// nearest first; only those close enough to be a likely meaning (at most
/// about a third of the characters differ).
pub fn nearest<'a>(label: &str, names: impl Iterator<Item = &'a str>, n: usize) -> Vec<&'a str> {
    let want: Vec<char> = label_key(label).chars().collect();
    if want.is_empty() {
        return vec![];
    }
    let mut scored: Vec<(usize, &str)> = names
        .map(|name| {
            let have: Vec<char> = label_key(name).chars().collect();
            (distance(&want, &have), name)
        })
        .filter(|(d, name)| *d * 3 <= want.len().max(name.chars().count()))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_parse_and_are_found_by_unit_then_for_all() {
        let rows = parse_csv(
            "source_label,indicator,dims,unit\nTổng mức bán lẻ HH và DTDV,RETAIL_TOTAL,,\nXK gạo,EXPORTS,PRODUCT=RICE,74\nXK gạo,EXPORTS_VOLUME,PRODUCT=RICE,\n",
            None,
        )
        .unwrap();
        let l = Labels::new(&rows);
        assert_eq!(
            l.find("79", "tong muc ban le hh va dtdv:"),
            Some(("RETAIL_TOTAL", ""))
        );
        assert_eq!(l.find("74", "XK GẠO"), Some(("EXPORTS", "PRODUCT=RICE")));
        assert_eq!(
            l.find("79", "XK gạo"),
            Some(("EXPORTS_VOLUME", "PRODUCT=RICE"))
        );
        assert_eq!(l.find("79", "nothing"), None);
    }

    #[test]
    fn bad_rows_are_located() {
        let e = parse_csv("source_label,indicator,colour\na,B,c\n", None).unwrap_err();
        assert_eq!(e[0].column, "colour");
        let e = parse_csv(
            "source_label,indicator,dims\n,RETAIL_TOTAL,\nx,bad code!,\ny,EXPORTS,PRODUCT\nz,EXPORTS,\nZ,IMPORTS,\n",
            Some("79"),
        )
        .unwrap_err();
        let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 6], "{e:?}");
    }

    #[test]
    fn the_nearest_names_are_proposed() {
        let names = [
            "Doanh thu bán lẻ hàng hóa",
            "Kim ngạch xuất khẩu hàng hóa",
            "Kim ngạch nhập khẩu hàng hóa",
        ];
        assert_eq!(
            nearest("Doanh thu ban le hang hoa (uoc)", names.iter().copied(), 2),
            ["Doanh thu bán lẻ hàng hóa"]
        );
        assert_eq!(
            nearest("kim ngach xuat khau", names.iter().copied(), 3)[0],
            "Kim ngạch xuất khẩu hàng hóa"
        );
        assert!(nearest("Số vụ tai nạn giao thông", names.iter().copied(), 3).is_empty());
    }
}

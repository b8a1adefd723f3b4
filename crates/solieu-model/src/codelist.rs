//! Code lists (danh mục phân tổ): the codes an indicator is broken down by —
//! product groups, markets, ownership sectors, industries, revenue sources —
//! with Vietnamese and English labels, a parent for the hierarchy, the label
//! variants found in real forms (aliases) and the period a code is valid
//! from. Every list has the total code [`TOTAL`]; a figure for the total is
//! stored with no code at all, so that an indicator's total is the same
//! series whether or not it is broken down.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::indicator::is_valid_code;
use crate::period::Period;
use crate::text::{fold, nfc};

/// The code of every list's total (SDMX's `_T`).
pub const TOTAL: &str = "_T";

/// The columns of a code-list CSV, in order; `list` may be left out when
/// the list is named on the command line.
pub const CODELIST_COLUMNS: [&str; 8] = [
    "list",
    "code",
    "label_vi",
    "label_en",
    "parent",
    "aliases",
    "order",
    "valid_from",
];

/// One code of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The code, upper case (`ELECTRONICS`, `US`, `_T`).
    pub code: String,
    /// Vietnamese label, NFC.
    pub label_vi: String,
    /// English label.
    pub label_en: String,
    /// The code this one is part of (`VN` under `ASEAN`), if any.
    pub parent: Option<String>,
    /// Other labels that mean this code in forms, NFC.
    pub aliases: Vec<String>,
    /// Display order.
    pub order: i64,
    /// The first period the code may be used for (`None`: always).
    pub valid_from: Option<Period>,
}

impl Code {
    /// Whether the code may be used for `p`: a code added later does not
    /// change earlier periods.
    pub fn valid_for(&self, p: Period) -> bool {
        self.valid_from
            .is_none_or(|f| f.start_date() <= p.start_date())
    }

    /// Whether this is a list's total.
    pub fn is_total(&self) -> bool {
        self.code == TOTAL
    }
}

/// A list of codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeList {
    /// Name, upper case (`PRODUCT`).
    pub name: String,
    codes: Vec<Code>,
    by_code: HashMap<String, usize>,
    by_label: HashMap<String, Vec<usize>>,
}

/// What a text found in a list.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// One code.
    One(&'a Code),
    /// Several codes share this label.
    Ambiguous(Vec<&'a Code>),
    /// None.
    Nothing,
}

/// What the codes of a built-in list are called: (Vietnamese, English
/// singular, English plural); a list of a department's own is its name.
pub fn list_names(name: &str) -> (String, String, String) {
    let (vi, en, ens) = match name {
        "PRODUCT" => ("nhóm hàng", "product group", "product groups"),
        "MARKET" => ("thị trường", "market", "markets"),
        "SECTOR" => ("khu vực kinh tế", "economic sector", "sectors"),
        "INDUSTRY" => ("ngành kinh tế", "industry", "industries"),
        "REVENUE_SOURCE" => ("nguồn thu", "revenue source", "revenue sources"),
        "CPI_GROUP" => (
            "nhóm hàng hóa và dịch vụ",
            "group of goods and services",
            "groups of goods and services",
        ),
        other => (other, other, other),
    };
    (vi.to_string(), en.to_string(), ens.to_string())
}

/// The key a label is looked up by: accent-, case- and punctuation-folded,
/// a trailing colon dropped ("Trong đó:").
pub fn label_key(label: &str) -> String {
    fold(label.trim().trim_end_matches(':'))
}

impl CodeList {
    /// A list from its codes; refuses a bad code, a code twice, a parent
    /// that is not in the list or a cycle, and a label shared by two codes.
    pub fn new(name: &str, mut codes: Vec<Code>) -> Result<CodeList, String> {
        let name = name.trim().to_ascii_uppercase();
        if !is_valid_code(&name) {
            return Err(format!(
                "'{name}' is not a list name; expected letters, digits and _ (e.g. PRODUCT)"
            ));
        }
        if !codes.iter().any(Code::is_total) {
            codes.push(Code {
                code: TOTAL.into(),
                label_vi: "Tổng số".into(),
                label_en: "Total".into(),
                parent: None,
                aliases: vec![],
                order: 0,
                valid_from: None,
            });
        }
        codes.sort_by_key(|c| (c.order, c.code.clone()));
        let mut by_code = HashMap::new();
        for (i, c) in codes.iter().enumerate() {
            if c.code != TOTAL && !is_valid_code(&c.code) {
                return Err(format!(
                    "{name}: '{}' is not a code; expected letters, digits and _ (e.g. ELECTRONICS)",
                    c.code
                ));
            }
            if by_code.insert(c.code.clone(), i).is_some() {
                return Err(format!("{name}: code {} is given twice", c.code));
            }
        }
        for c in &codes {
            let mut seen = vec![c.code.as_str()];
            let mut at = c;
            while let Some(p) = &at.parent {
                let Some(&pi) = by_code.get(p) else {
                    return Err(format!(
                        "{name}: the parent {p} of {} is not a code of the list",
                        c.code
                    ));
                };
                if seen.contains(&p.as_str()) {
                    return Err(format!("{name}: {} is its own ancestor", c.code));
                }
                seen.push(p);
                at = &codes[pi];
            }
        }
        let mut by_label: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in codes.iter().enumerate() {
            let mut keys: Vec<String> = std::iter::once(&c.label_vi)
                .chain(std::iter::once(&c.label_en))
                .chain(c.aliases.iter())
                .map(|l| label_key(l))
                .filter(|k| !k.is_empty())
                .collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let v = by_label.entry(k).or_default();
                v.push(i);
            }
        }
        if let Some((k, ix)) = by_label.iter().find(|(_, v)| v.len() > 1) {
            let names: Vec<&str> = ix.iter().map(|i| codes[*i].code.as_str()).collect();
            return Err(format!(
                "{name}: the label '{k}' is given to {}",
                names.join(" and ")
            ));
        }
        Ok(CodeList {
            name,
            codes,
            by_code,
            by_label,
        })
    }

    /// The codes in display order (the total first).
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    /// The code, case-insensitive.
    pub fn get(&self, code: &str) -> Option<&Code> {
        let c = code.trim();
        self.by_code
            .get(c)
            .or_else(|| self.by_code.get(&c.to_ascii_uppercase()))
            .map(|i| &self.codes[*i])
    }

    /// The total.
    pub fn total(&self) -> &Code {
        self.get(TOTAL).expect("every list has a total")
    }

    /// What a text means: a code, or a label or alias of one (accents,
    /// case and punctuation aside).
    pub fn find(&self, text: &str) -> Found<'_> {
        if let Some(c) = self.get(text) {
            return Found::One(c);
        }
        match self.by_label.get(&label_key(&nfc(text))) {
            Some(ix) if ix.len() == 1 => Found::One(&self.codes[ix[0]]),
            Some(ix) => Found::Ambiguous(ix.iter().map(|i| &self.codes[*i]).collect()),
            None => Found::Nothing,
        }
    }

    /// The codes directly under `parent` (`None`: the top level, the total aside).
    pub fn children<'a>(&'a self, parent: Option<&'a str>) -> impl Iterator<Item = &'a Code> {
        self.codes
            .iter()
            .filter(move |c| !c.is_total() && c.parent.as_deref() == parent)
    }
}

/// Every code list, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeLists {
    lists: BTreeMap<String, CodeList>,
}

/// A row of a code-list file that was refused: its line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (1 = the header).
    pub line: usize,
    /// Column.
    pub column: String,
    /// Value found.
    pub value: String,
    /// What was expected.
    pub message: String,
}

/// A CSV reader and its lower-cased header.
pub(crate) type Opened<'t> = (csv::Reader<&'t [u8]>, Vec<String>);

/// A reference CSV opened and its header checked: every column one of
/// `allowed`, every `required` one there (lower-cased, a BOM dropped). The
/// reader and the header; or every header error.
pub(crate) fn csv_with_header<'t>(
    text: &'t str,
    allowed: &[&str],
    required: &[&str],
) -> Result<Opened<'t>, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let err = |column: &str, value: &str, message: String| RowError {
        line: 1,
        column: column.into(),
        value: value.into(),
        message,
    };
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![err("", "", format!("not CSV: {e}"))]),
    };
    let mut errors = vec![];
    for h in &header {
        if !allowed.contains(&h.as_str()) {
            errors.push(err(
                h,
                h,
                format!("unknown column; expected {}", allowed.join(",")),
            ));
        }
    }
    for r in required {
        if !header.iter().any(|h| h == r) {
            errors.push(err(r, "", "the column is missing".into()));
        }
    }
    if errors.is_empty() {
        Ok((rdr, header))
    } else {
        Err(errors)
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: '{}': {}",
            self.line, self.column, self.value, self.message
        )
    }
}

impl CodeLists {
    /// The list named `name`.
    pub fn get(&self, name: &str) -> Option<&CodeList> {
        self.lists.get(&name.trim().to_ascii_uppercase())
    }

    /// Every list, by name.
    pub fn all(&self) -> impl Iterator<Item = &CodeList> {
        self.lists.values()
    }

    /// Adds or replaces a list.
    pub fn insert(&mut self, list: CodeList) {
        self.lists.insert(list.name.clone(), list);
    }

    /// The lists with `rows` (list name, code) added or replacing codes of
    /// the same list and code; each changed list checked whole.
    pub fn with(&self, rows: &[(String, Code)]) -> Result<CodeLists, String> {
        let mut by_list: BTreeMap<String, Vec<Code>> = BTreeMap::new();
        for (list, code) in rows {
            by_list.entry(list.clone()).or_default().push(code.clone());
        }
        let mut out = self.clone();
        for (name, new) in by_list {
            let mut codes: Vec<Code> = self.get(&name).map(|l| l.codes.clone()).unwrap_or_default();
            for c in new {
                match codes.iter_mut().find(|o| o.code == c.code) {
                    Some(o) => *o = c,
                    None => codes.push(c),
                }
            }
            out.insert(CodeList::new(&name, codes)?);
        }
        Ok(out)
    }

    /// Every (list, code) pair, lists by name and codes in order: what a
    /// store keeps and a file round-trips.
    pub fn rows(&self) -> Vec<(String, Code)> {
        self.lists
            .values()
            .flat_map(|l| l.codes.iter().map(|c| (l.name.clone(), c.clone())))
            .collect()
    }

    /// Reads a code-list CSV (columns [`CODELIST_COLUMNS`], `list` optional
    /// when `list` is given). Every bad row is reported.
    pub fn parse_csv(text: &str, list: Option<&str>) -> Result<Vec<(String, Code)>, Vec<RowError>> {
        let (mut rdr, header) = csv_with_header(text, &CODELIST_COLUMNS, &["code", "label_vi"])?;
        let mut errors = vec![];
        let err = |line: usize, column: &str, value: &str, message: String| RowError {
            line,
            column: column.into(),
            value: value.into(),
            message,
        };
        let col = |name: &str| header.iter().position(|h| h == name);
        if col("list").is_none() && list.is_none() {
            errors.push(err(
                1,
                "list",
                "",
                "no list column; give the list's name (--list PRODUCT)".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut out = vec![];
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
                    .map_or(String::new(), nfc)
            };
            let name = match col("list") {
                Some(_) => get("list").to_ascii_uppercase(),
                None => list.unwrap_or_default().trim().to_ascii_uppercase(),
            };
            if !is_valid_code(&name) {
                errors.push(err(
                    line,
                    "list",
                    &name,
                    "expected a list name such as PRODUCT".into(),
                ));
            }
            let code = get("code").to_ascii_uppercase();
            if code != TOTAL && !is_valid_code(&code) {
                errors.push(err(
                    line,
                    "code",
                    &code,
                    "expected letters, digits and _ (e.g. ELECTRONICS), or _T for the total".into(),
                ));
            }
            let label_vi = get("label_vi");
            if label_vi.is_empty() {
                errors.push(err(
                    line,
                    "label_vi",
                    "",
                    "empty; expected the Vietnamese label".into(),
                ));
            }
            let order_text = get("order");
            let order = if order_text.is_empty() {
                1000 + i64::try_from(line).unwrap_or(0)
            } else if let Ok(n) = order_text.parse::<i64>() {
                n
            } else {
                errors.push(err(
                    line,
                    "order",
                    &order_text,
                    "expected a whole number".into(),
                ));
                0
            };
            let from_text = get("valid_from");
            let valid_from = if from_text.is_empty() {
                None
            } else if let Ok(p) = Period::parse(&from_text) {
                Some(p)
            } else {
                errors.push(err(
                    line,
                    "valid_from",
                    &from_text,
                    "expected a period such as 2021-01 or 2021".into(),
                ));
                None
            };
            let parent = get("parent").to_ascii_uppercase();
            out.push((
                name,
                Code {
                    code,
                    label_vi,
                    label_en: get("label_en"),
                    parent: (!parent.is_empty()).then_some(parent),
                    aliases: get("aliases")
                        .split('|')
                        .map(nfc)
                        .filter(|a| !a.is_empty())
                        .collect(),
                    order,
                    valid_from,
                },
            ));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The lists as a CSV with every column (what `parse_csv` reads back).
    pub fn to_csv(&self, only: Option<&str>) -> String {
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(CODELIST_COLUMNS).expect("in memory");
        for (list, c) in self.rows() {
            if only.is_some_and(|o| !o.eq_ignore_ascii_case(&list)) {
                continue;
            }
            w.write_record([
                list.as_str(),
                &c.code,
                &c.label_vi,
                &c.label_en,
                c.parent.as_deref().unwrap_or(""),
                &c.aliases.join("|"),
                &c.order.to_string(),
                &c.valid_from.map(|p| p.to_string()).unwrap_or_default(),
            ])
            .expect("in memory");
        }
        String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> CodeLists {
        let rows = CodeLists::parse_csv(
            "list,code,label_vi,label_en,parent,aliases,order,valid_from\n\
             PRODUCT,_T,Tổng,Total,,Tổng cộng|Cộng,0,\n\
             PRODUCT,ELECTRONICS,\"Máy vi tính, sản phẩm điện tử và linh kiện\",Electronics,,Điện tử,1,\n\
             PRODUCT,TEXTILES,\"Hàng dệt, may\",Textiles,,Dệt may,2,\n\
             PRODUCT,NEWTHING,Hàng mới,New,,,3,2021-01\n",
            None,
        )
        .unwrap();
        CodeLists::default().with(&rows).unwrap()
    }

    #[test]
    fn labels_resolve_whatever_the_accents_and_punctuation() {
        let l = lists();
        let p = l.get("product").unwrap();
        let code = |t: &str| match p.find(t) {
            Found::One(c) => c.code.clone(),
            other => panic!("{t}: {other:?}"),
        };
        assert_eq!(code("Hàng dệt may"), "TEXTILES");
        assert_eq!(code("HANG DET, MAY"), "TEXTILES");
        assert_eq!(code("Tổng "), "_T");
        assert_eq!(code("electronics"), "ELECTRONICS");
        assert_eq!(
            code("Máy vi tính, sản phẩm điện tử và linh kiện"),
            "ELECTRONICS"
        );
        assert_eq!(p.find("Gạo"), Found::Nothing);
    }

    #[test]
    fn a_code_added_later_does_not_reach_back() {
        let l = lists();
        let c = l.get("PRODUCT").unwrap().get("NEWTHING").unwrap();
        assert!(!c.valid_for(Period::Month(2020, 12)));
        assert!(c.valid_for(Period::Month(2021, 1)));
    }

    #[test]
    fn bad_lists_are_refused() {
        let one = |code: &str, parent: Option<&str>, label: &str| Code {
            code: code.into(),
            label_vi: label.into(),
            label_en: String::new(),
            parent: parent.map(Into::into),
            aliases: vec![],
            order: 0,
            valid_from: None,
        };
        assert!(CodeList::new("X", vec![one("A", Some("B"), "a")]).is_err());
        assert!(CodeList::new("X", vec![one("A", None, "a"), one("B", None, "A")]).is_err());
        assert!(CodeList::new("X", vec![one("A", Some("A"), "a")]).is_err());
        let e = CodeLists::parse_csv("code,label_vi,colour\nA,a,red\n", Some("X")).unwrap_err();
        assert_eq!(e[0].column, "colour");
    }

    #[test]
    fn the_csv_round_trips() {
        let l = lists();
        let back = CodeLists::default()
            .with(&CodeLists::parse_csv(&l.to_csv(None), None).unwrap())
            .unwrap();
        assert_eq!(back, l);
    }
}

//! Indicators (chỉ tiêu) and their aggregation rules.

use std::fmt;

use crate::codelist::{CodeLists, Found, TOTAL};
use crate::period::Period;
use crate::text::nfc;
use crate::unit::Unit;

/// How values of one area add up over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeAggregation {
    /// Months add up to the year-to-date (retail sales, exports).
    Flow,
    /// The level at the end of the period (population, counts to date).
    Stock,
    /// An index or rate: neither summed nor carried; its year-to-date is
    /// reported or averaged by its own rule (CPI, IIP).
    Index,
    /// A level whose longer periods are the mean of their months (or
    /// quarters): an index on a fixed base year, a rate, an average. Its
    /// growth rates are ratios of these means, as for a flow ("bình quân
    /// 10 tháng, CPI tăng 3,71% so với cùng kỳ").
    Mean,
}

impl TimeAggregation {
    /// Name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flow => "flow",
            Self::Stock => "stock",
            Self::Index => "index",
            Self::Mean => "mean",
        }
    }
    /// Parses [`TimeAggregation::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "flow" => Self::Flow,
            "stock" => Self::Stock,
            "index" => Self::Index,
            "mean" => Self::Mean,
            _ => return None,
        })
    }
}

/// How a regional total stands in for a member that has not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EstimateMethod {
    /// The member's figure a year earlier × the growth of the members that
    /// reported (the default).
    #[default]
    Growth,
    /// The member's figure for the previous period of the same kind (for a
    /// year or a year-to-date: a year earlier).
    Last,
    /// The mean of the member's figures for the same period in the three
    /// years before (those it has).
    Seasonal,
    /// No estimate: the total is absent until every member has reported.
    None,
}

impl EstimateMethod {
    /// Name in the catalogue's `estimate` column (`growth` is written empty).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Growth => "growth",
            Self::Last => "last",
            Self::Seasonal => "seasonal",
            Self::None => "none",
        }
    }
    /// Parses [`EstimateMethod::as_str`]; empty is `growth`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "" | "growth" => Self::Growth,
            "last" => Self::Last,
            "seasonal" => Self::Seasonal,
            "none" => Self::None,
            _ => return None,
        })
    }
}

/// How values of several areas combine into a regional figure.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AreaAggregation {
    /// Sum of the members.
    Sum,
    /// Not aggregated across areas.
    None,
    /// Mean weighted by another indicator of the same areas and period.
    Weighted(String),
}

impl AreaAggregation {
    /// Parses `sum`, `none` or `weighted:CODE`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        match s {
            "sum" => Some(Self::Sum),
            "none" => Some(Self::None),
            _ => s
                .strip_prefix("weighted:")
                .map(|c| c.trim())
                .filter(|c| is_valid_code(c))
                .map(|c| Self::Weighted(c.to_ascii_uppercase())),
        }
    }
}

impl fmt::Display for AreaAggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sum => f.write_str("sum"),
            Self::None => f.write_str("none"),
            Self::Weighted(c) => write!(f, "weighted:{c}"),
        }
    }
}

/// A breakdown (phân tổ) of an indicator: a code list, the codes of it the
/// indicator uses, whether they add up to the total and whether the
/// indicator has a total over them at all.
///
/// Written in the catalogue's `dimensions` column as
/// `NAME[=code1|code2][:complete|:partial][:sum|:none]`, several joined by
/// `;`: `SECTOR:complete`, `PRODUCT:partial`, `PRODUCT:partial:none` (export
/// volumes of different products have no total).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    /// The code list, which is also the column name in files (`PRODUCT`).
    pub name: String,
    /// The codes used (empty: every code of the list). With no list of
    /// this name, these are the codes, labelled by themselves.
    pub codes: Vec<String>,
    /// The codes add up to the total ("chia ra"); else each is a part of it
    /// ("trong đó") and no sum is checked.
    pub complete: bool,
    /// The indicator has a total over this breakdown (a figure with no
    /// code); `:none` for quantities of unlike things.
    pub sum: bool,
}

impl Dimension {
    /// What `text` given for this breakdown means for a figure of `period`:
    /// `Ok(None)` the total (an empty text, `_T` or a total's label),
    /// `Ok(Some(code))` a code; else what was expected.
    pub fn resolve(
        &self,
        lists: &CodeLists,
        text: &str,
        period: Period,
    ) -> Result<Option<String>, String> {
        let t = nfc(text);
        let total = || {
            if self.sum {
                Ok(None)
            } else {
                Err(format!(
                    "there is no total over {} (its aggregation is none); expected one of its codes",
                    self.name
                ))
            }
        };
        if t.is_empty() || t == TOTAL {
            return total();
        }
        let Some(list) = lists.get(&self.name) else {
            return match self.codes.iter().find(|c| **c == t) {
                Some(c) => Ok(Some(c.clone())),
                None => Err(format!("expected one of {}", self.codes.join(", "))),
            };
        };
        let code = match list.find(&t) {
            Found::One(c) => c,
            Found::Ambiguous(cs) => {
                let names: Vec<String> = cs
                    .iter()
                    .map(|c| format!("{} ({})", c.code, c.label_vi))
                    .collect();
                return Err(format!(
                    "the label is given to {} of list {}; use the code",
                    names.join(" and "),
                    self.name
                ));
            }
            Found::Nothing => {
                return Err(format!(
                    "not a code or a label of list {} (see `solieu codelists {}`)",
                    self.name, self.name
                ))
            }
        };
        if code.is_total() {
            return total();
        }
        if !self.codes.is_empty() && !self.codes.contains(&code.code) {
            return Err(format!(
                "{} ({}) is not one of the codes of {} used here: {}",
                code.code,
                code.label_vi,
                self.name,
                self.codes.join(", ")
            ));
        }
        if !code.valid_for(period) {
            return Err(format!(
                "{} of list {} is valid from {}; the figure is for {period}",
                code.code,
                self.name,
                code.valid_from.map(|p| p.to_string()).unwrap_or_default()
            ));
        }
        Ok(Some(code.code.clone()))
    }

    /// The codes this breakdown uses, in the list's order (the total aside).
    pub fn code_list(&self, lists: &CodeLists) -> Vec<String> {
        match lists.get(&self.name) {
            Some(l) => l
                .codes()
                .iter()
                .filter(|c| !c.is_total())
                .filter(|c| self.codes.is_empty() || self.codes.contains(&c.code))
                .map(|c| c.code.clone())
                .collect(),
            None => self.codes.clone(),
        }
    }
}

/// An indicator definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Code, upper case: `RETAIL_GOODS`.
    pub code: String,
    /// Vietnamese name, NFC.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Unit of stored levels.
    pub unit: Unit,
    /// Rule over time.
    pub time_aggregation: TimeAggregation,
    /// Rule over areas.
    pub area_aggregation: AreaAggregation,
    /// Decimals shown.
    pub decimals: u8,
    /// Scope note ("via the city's ports, incl. crude oil").
    pub scope_note: String,
    /// Responsible reporting unit.
    pub reporting_unit: String,
    /// Optional disaggregation dimensions.
    pub dimensions: Vec<Dimension>,
    /// A formula over other indicators (`GRDP_CURRENT / POPULATION`), in
    /// the rule language; empty for a stored indicator. Its figures are
    /// computed on request from its inputs' figures of the same area and
    /// period; a figure stored for it (a department reporting the ratio)
    /// wins, and a disagreement is flagged.
    pub formula: String,
    /// How a regional total estimates a member that has not reported.
    pub estimate: EstimateMethod,
}

/// Indicator codes of earlier catalogues that are now a code of another
/// indicator's breakdown: (old code, its Vietnamese name, the indicator,
/// the breakdown). Imports, queries and forms still accept them.
pub const ALIASES: [(&str, &str, &str, &str); 2] = [
    (
        "EXPORTS_FDI",
        "Kim ngạch xuất khẩu của khu vực có vốn đầu tư nước ngoài",
        "EXPORTS",
        "SECTOR=FDI",
    ),
    (
        "EXPORTS_DOMESTIC",
        "Kim ngạch xuất khẩu của khu vực kinh tế trong nước",
        "EXPORTS",
        "SECTOR=DOMESTIC",
    ),
];

/// What an old indicator code now is: (indicator, breakdown).
pub fn alias(code: &str) -> Option<(&'static str, &'static str)> {
    let c = code.trim();
    ALIASES
        .iter()
        .find(|a| a.0.eq_ignore_ascii_case(c))
        .map(|a| (a.2, a.3))
}

/// A breakdown text with another one's codes added, in the indicator's
/// order of dimensions (`SECTOR=FDI` and `PRODUCT=RICE`).
pub fn merge_dims(ind: &Indicator, a: &str, b: &str) -> String {
    let all: Vec<&str> = a
        .split(';')
        .chain(b.split(';'))
        .filter(|p| !p.is_empty())
        .collect();
    ind.dimensions
        .iter()
        .filter_map(|d| {
            all.iter()
                .find(|p| p.split_once('=').is_some_and(|(n, _)| n == d.name))
                .map(|p| (*p).to_string())
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Whether a text is a valid indicator or dimension code: 1–40 of
/// `A-Z a-z 0-9 _`, starting with a letter.
pub fn is_valid_code(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 40
        && c.as_bytes()[0].is_ascii_alphabetic()
        && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why an indicator definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct IndicatorError {
    /// Column.
    pub field: &'static str,
    /// What was expected.
    pub message: String,
}

/// The columns of the indicator catalogue CSV, in order; the first seven are
/// required (for a formula indicator the two aggregation rules may be empty).
pub const CATALOG_COLUMNS: [&str; 12] = [
    "code",
    "name_vi",
    "name_en",
    "unit",
    "time_aggregation",
    "area_aggregation",
    "decimals",
    "scope_note",
    "reporting_unit",
    "dimensions",
    "formula",
    "estimate",
];

/// The raw text fields of an indicator definition, as in the catalogue CSV.
#[derive(Debug, Clone, Default)]
pub struct IndicatorFields<'a> {
    /// `code`
    pub code: &'a str,
    /// `name_vi`
    pub name_vi: &'a str,
    /// `name_en`
    pub name_en: &'a str,
    /// `unit`
    pub unit: &'a str,
    /// `time_aggregation`
    pub time_aggregation: &'a str,
    /// `area_aggregation`
    pub area_aggregation: &'a str,
    /// `decimals`
    pub decimals: &'a str,
    /// `scope_note` (optional)
    pub scope_note: &'a str,
    /// `reporting_unit` (optional)
    pub reporting_unit: &'a str,
    /// `dimensions` (optional): `NAME=code1|code2;NAME2=…`
    pub dimensions: &'a str,
    /// `formula` (optional): `GRDP_CURRENT / POPULATION`
    pub formula: &'a str,
    /// `estimate` (optional): `growth` (empty), `last`, `seasonal` or `none`
    pub estimate: &'a str,
}

impl<'a> IndicatorFields<'a> {
    /// The fields from values in [`CATALOG_COLUMNS`] order.
    pub fn from_columns(c: &'a [&'a str; 12]) -> Self {
        IndicatorFields {
            code: c[0],
            name_vi: c[1],
            name_en: c[2],
            unit: c[3],
            time_aggregation: c[4],
            area_aggregation: c[5],
            decimals: c[6],
            scope_note: c[7],
            reporting_unit: c[8],
            dimensions: c[9],
            formula: c[10],
            estimate: c[11],
        }
    }
}

impl Indicator {
    /// Validates a definition.
    pub fn parse(f: &IndicatorFields<'_>) -> Result<Indicator, IndicatorError> {
        let err = |field, message: String| IndicatorError { field, message };
        let code = f.code.trim();
        if !is_valid_code(code) {
            return Err(err(
                "code",
                format!(
                    "'{code}' is not a code; expected letters, digits and _ (e.g. RETAIL_GOODS)"
                ),
            ));
        }
        let name_vi = nfc(f.name_vi);
        if name_vi.is_empty() {
            return Err(err("name_vi", "empty; expected the Vietnamese name".into()));
        }
        let unit = nfc(f.unit);
        if unit.is_empty() {
            return Err(err(
                "unit",
                "empty; expected a unit such as 'tỷ đồng' or '%'".into(),
            ));
        }
        let formula = nfc(f.formula)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        // a formula's figures follow its inputs' rules: its own may be left empty
        let (time_text, area_text) = match (
            formula.is_empty(),
            f.time_aggregation.trim(),
            f.area_aggregation.trim(),
        ) {
            (false, t, a) => (
                if t.is_empty() { "flow" } else { t },
                if a.is_empty() { "none" } else { a },
            ),
            (true, t, a) => (t, a),
        };
        let time_aggregation = TimeAggregation::parse(time_text).ok_or_else(|| {
            err(
                "time_aggregation",
                format!(
                    "'{}'; expected flow, stock, index or mean",
                    f.time_aggregation
                ),
            )
        })?;
        let area_aggregation = AreaAggregation::parse(area_text).ok_or_else(|| {
            err(
                "area_aggregation",
                format!(
                    "'{}'; expected sum, none or weighted:CODE",
                    f.area_aggregation
                ),
            )
        })?;
        let decimals = f
            .decimals
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|d| *d <= 6)
            .ok_or_else(|| {
                err(
                    "decimals",
                    format!("'{}'; expected a whole number 0–6", f.decimals),
                )
            })?;
        let mut dimensions = Vec::new();
        for part in f
            .dimensions
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let mut words = part.split(':').map(str::trim);
            let head = words.next().unwrap_or_default();
            let (name, codes) = head.split_once('=').unwrap_or((head, ""));
            let (mut complete, mut sum) = (false, true);
            for w in words {
                match w.to_ascii_lowercase().as_str() {
                    "complete" => complete = true,
                    "partial" => complete = false,
                    "sum" => sum = true,
                    "none" => sum = false,
                    _ => {
                        return Err(err(
                            "dimensions",
                            format!("'{w}' in '{part}'; expected complete, partial, sum or none (e.g. PRODUCT:partial:sum)"),
                        ))
                    }
                }
            }
            let name = name.trim().to_ascii_uppercase();
            if !is_valid_code(&name) {
                return Err(err(
                    "dimensions",
                    format!("'{name}' is not a dimension name"),
                ));
            }
            let codes: Vec<String> = codes
                .split('|')
                .map(nfc)
                .filter(|c| !c.is_empty())
                .collect();
            if dimensions.iter().any(|d: &Dimension| d.name == name) {
                return Err(err("dimensions", format!("{name} is given twice")));
            }
            dimensions.push(Dimension {
                name,
                codes,
                complete,
                sum,
            });
        }
        let estimate = EstimateMethod::parse(f.estimate).ok_or_else(|| {
            err(
                "estimate",
                format!(
                    "'{}'; expected growth (or empty), last, seasonal or none",
                    f.estimate
                ),
            )
        })?;
        if !formula.is_empty() && !dimensions.is_empty() {
            return Err(err(
                "dimensions",
                "a formula indicator has no breakdown of its own; write one formula indicator per code (EXPORTS[SECTOR=FDI] / EXPORTS * 100)".into(),
            ));
        }
        Ok(Indicator {
            code: code.to_ascii_uppercase(),
            name_en: nfc(f.name_en),
            name_vi,
            unit: Unit::parse(&unit),
            time_aggregation,
            area_aggregation,
            decimals,
            scope_note: nfc(f.scope_note),
            reporting_unit: nfc(f.reporting_unit),
            dimensions,
            formula,
            estimate,
        })
    }

    /// Whether the indicator is computed from a formula.
    pub fn is_formula(&self) -> bool {
        !self.formula.is_empty()
    }

    /// The `dimensions` column text (inverse of parsing it).
    pub fn dimensions_text(&self) -> String {
        self.dimensions
            .iter()
            .map(|d| {
                let mut t = d.name.clone();
                if !d.codes.is_empty() {
                    t.push('=');
                    t.push_str(&d.codes.join("|"));
                }
                t.push_str(if d.complete { ":complete" } else { ":partial" });
                if !d.sum {
                    t.push_str(":none");
                }
                t
            })
            .collect::<Vec<_>>()
            .join(";")
    }
}

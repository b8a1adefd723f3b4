//! From raw records (text as found in a file, with its location) to
//! validated observations, collecting every error with its location.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use solieu_model::text::{clip, nfc, parse_decimal, Decimal, NumberStyle};
use solieu_model::{
    AreaRegistry, CodeLists, Indicator, Measure, Observation, Period, Status, TimeAggregation, Unit,
};

/// Where a value was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// File name as given.
    pub file: String,
    /// Sheet, for workbooks.
    pub sheet: Option<String>,
    /// 1-based row (the header is row 1 in a CSV file).
    pub row: usize,
    /// Column: header name in a CSV, cell reference (`D7`) in a workbook.
    pub column: String,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sheet {
            Some(s) => write!(f, "{}[{}]:{}:{}", self.file, s, self.row, self.column),
            None => write!(f, "{}:{}:{}", self.file, self.row, self.column),
        }
    }
}

/// One located error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub loc: Loc,
    /// The offending value as found.
    pub value: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (value: '{}')",
            self.loc,
            clip(&self.message, 400),
            clip(&self.value, 120)
        )
    }
}

/// A value as found: text, or a number typed as a number in a workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// Text, to be read in the given style.
    Text(String, NumberStyle),
    /// A number cell.
    Number(f64),
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Text(t, _) => f.write_str(t),
            RawValue::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A field with the column it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Field<T = String> {
    /// Content.
    pub text: T,
    /// Column label for messages (shared by every row of the column).
    pub column: Arc<str>,
}

impl Field {
    /// A field.
    pub fn new(text: impl Into<String>, column: impl Into<Arc<str>>) -> Self {
        Field {
            text: text.into(),
            column: column.into(),
        }
    }
}

/// One observation as read, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// File, sheet and row (the column is per field).
    pub file: Arc<str>,
    /// Sheet.
    pub sheet: Option<String>,
    /// Row.
    pub row: usize,
    /// `indicator`
    pub indicator: Field,
    /// `area`
    pub area: Field,
    /// `period`
    pub period: Field,
    /// `value`
    pub value: Field<RawValue>,
    /// `measure` (empty: level)
    pub measure: Field,
    /// `status` (empty: final)
    pub status: Field,
    /// `unit` (empty: the indicator's)
    pub unit: Field,
    /// `source` (empty: the import's default)
    pub source: Field,
    /// `note`
    pub note: Field,
    /// Dimension columns: (name, value).
    pub dims: Vec<Field<(String, String)>>,
    /// The value is in index form (same period = 100): 105,5 means +5,5 %.
    pub index_form: bool,
}

/// What validation needs to know.
pub struct Catalog<'a> {
    /// Indicators by code.
    pub indicators: HashMap<String, &'a Indicator>,
    /// Areas.
    pub areas: &'a AreaRegistry,
    /// Code lists of the breakdowns.
    pub lists: &'a CodeLists,
    /// A department's own row labels (none unless set).
    pub labels: solieu_model::labels::Labels,
}

impl<'a> Catalog<'a> {
    /// Builds the look-up tables.
    pub fn new(indicators: &'a [Indicator], areas: &'a AreaRegistry, lists: &'a CodeLists) -> Self {
        Catalog {
            indicators: indicators.iter().map(|i| (i.code.clone(), i)).collect(),
            areas,
            lists,
            labels: Default::default(),
        }
    }
}

/// Validation output.
#[derive(Debug, Default)]
pub struct Validated {
    /// Observations in the order read.
    pub observations: Vec<Observation>,
    /// Errors; when not empty, nothing may be written.
    pub errors: Vec<Diagnostic>,
    /// The record each observation was read from (its index in the records
    /// validated), in the same order: where its value is, for a later error.
    pub from: Vec<usize>,
}

fn decimal_of(v: &RawValue) -> Result<Decimal, String> {
    match v {
        RawValue::Text(t, style) => parse_decimal(t, *style).map_err(|e| e.to_string()),
        RawValue::Number(n) if n.is_finite() => {
            parse_decimal(&format!("{n:e}"), NumberStyle::Canonical).map_err(|e| e.to_string())
        }
        RawValue::Number(n) => Err(format!("'{n}' is not a finite number")),
    }
}

/// Validates records against the catalogue. `default_source` fills empty sources.
pub fn validate(records: &[RawRecord], cat: &Catalog<'_>, default_source: &str) -> Validated {
    let mut out = Validated::default();
    /// (indicator, area, period, measure, dims) → (row, sheet) where first given;
    /// indicators and areas by their address in the catalogue (one per key)
    type Seen = HashMap<(usize, usize, Period, Measure, String), (usize, Option<String>)>;
    let mut seen: Seen = HashMap::new();
    let default_source = nfc(default_source);
    for (ri, r) in records.iter().enumerate() {
        let at = |column: &str| Loc {
            file: r.file.to_string(),
            sheet: r.sheet.clone(),
            row: r.row,
            column: column.to_string(),
        };
        let mut errs = vec![];
        let mut err = |f_col: &str, value: &str, message: String| {
            errs.push(Diagnostic {
                loc: at(f_col),
                value: value.to_string(),
                message,
            })
        };
        let code = r.indicator.text.trim();
        let mut indicator = match cat.indicators.get(code) {
            Some(i) => Some(*i),
            None => cat.indicators.get(&code.to_ascii_uppercase()).copied(),
        };
        // an old code that is now a breakdown code (EXPORTS_FDI: EXPORTS, SECTOR=FDI)
        let mut alias_dims: Vec<Field<(String, String)>> = vec![];
        if indicator.is_none() {
            if let Some((to, dims)) = solieu_model::indicator::alias(code) {
                indicator = cat.indicators.get(to).copied();
                for part in dims.split(';') {
                    if let Some((n, c)) = part.split_once('=') {
                        alias_dims.push(Field {
                            text: (n.to_string(), c.to_string()),
                            column: r.indicator.column.clone(),
                        });
                    }
                }
            }
        }
        if indicator.is_none() {
            err(
                &r.indicator.column,
                &r.indicator.text,
                "unknown indicator; expected a code of the catalogue (see `solieu indicators`)"
                    .into(),
            );
        }
        let period = match Period::parse(&r.period.text) {
            Ok(p) => Some(p),
            Err(e) => {
                err(&r.period.column, &r.period.text, e.to_string());
                None
            }
        };
        let area = period.and_then(|p| match cat.areas.resolve(&r.area.text, p) {
            Ok(a) => Some(a),
            Err(e) => {
                err(
                    &r.area.column,
                    &r.area.text,
                    format!("{e}; expected an area code valid for the period (see `solieu areas`)"),
                );
                None
            }
        });
        let measure = Measure::parse(&r.measure.text);
        if measure.is_none() {
            err(
                &r.measure.column,
                &r.measure.text,
                "unknown measure; expected level, yoy_pct, mom_pct, plan_pct, plan or plan_yoy_pct"
                    .into(),
            );
        }
        let status = Status::parse(&r.status.text);
        if status.is_none() {
            err(
                &r.status.column,
                &r.status.text,
                "unknown status; expected E (ước tính), P (sơ bộ) or A (chính thức)".into(),
            );
        }
        let mut value = match decimal_of(&r.value.text) {
            Ok(d) if r.index_form => d.minus(100),
            Ok(d) => Some(d),
            Err(m) => {
                err(&r.value.column, &r.value.text.to_string(), m);
                None
            }
        };
        // unit conversion
        if let (Some(ind), Some(m), Some(d)) = (indicator, measure, value) {
            let given = nfc(&r.unit.text);
            if !given.is_empty() {
                let target = if m.in_indicator_unit() {
                    ind.unit.clone()
                } else {
                    Unit::parse("%")
                };
                match Unit::parse(&given).factor_to(&target) {
                    Ok(f) => value = Some(d.scale(f)),
                    Err(_) => {
                        err(
                            &r.unit.column,
                            &r.unit.text,
                            format!(
                                "unit is not compatible with {} {}; expected '{}' or the same unit at another scale (nghìn, triệu, tỷ, nghìn tỷ)",
                                ind.code,
                                m.as_str(),
                                target.label
                            ),
                        );
                        value = None;
                    }
                }
            }
        }
        let value = value.map(|d| d.to_f64());
        if let Some(v) = value {
            if !v.is_finite() {
                err(
                    &r.value.column,
                    &r.value.text.to_string(),
                    "the value is not a finite number after unit conversion".into(),
                );
            }
        }
        // breakdowns: a code, a label of one, or the total (no code)
        let mut dims = String::new();
        if let (Some(ind), Some(p)) = (indicator, period) {
            let mut parts = vec![];
            for d in &ind.dimensions {
                let given = alias_dims
                    .iter()
                    .chain(r.dims.iter().filter(|f| !f.text.1.trim().is_empty()))
                    .find(|f| f.text.0.eq_ignore_ascii_case(&d.name));
                let text = given.map_or("", |f| f.text.1.as_str());
                match d.resolve(cat.lists, text, p) {
                    Ok(Some(code)) => parts.push(format!("{}={code}", d.name)),
                    Ok(None) => {}
                    Err(m) => err(
                        given.map_or(d.name.as_str(), |f| &f.column[..]),
                        text,
                        format!("{} by {}: {m}", ind.code, d.name),
                    ),
                }
            }
            for f in &r.dims {
                let given = f.text.1.trim();
                if !given.is_empty()
                    && given != solieu_model::TOTAL
                    && !ind
                        .dimensions
                        .iter()
                        .any(|d| d.name.eq_ignore_ascii_case(&f.text.0))
                {
                    let names: Vec<&str> = ind.dimensions.iter().map(|d| d.name.as_str()).collect();
                    err(
                        &f.column,
                        &f.text.1,
                        if names.is_empty() {
                            format!(
                                "{} is not broken down by {} (it has no breakdown)",
                                ind.code, f.text.0
                            )
                        } else {
                            format!(
                                "{} is not broken down by {}; its breakdowns are {}",
                                ind.code,
                                f.text.0,
                                names.join(", ")
                            )
                        },
                    );
                }
            }
            dims = parts.join(";");
        }
        if !errs.is_empty() {
            out.errors.extend(errs);
            continue;
        }
        let (ind, area, period, measure, status, value) = (
            indicator.expect("checked"),
            area.expect("checked"),
            period.expect("checked"),
            measure.expect("checked"),
            status.expect("checked"),
            value.expect("checked"),
        );
        let key = (
            std::ptr::from_ref(ind) as usize,
            std::ptr::from_ref(area) as usize,
            period,
            measure,
            dims.clone(),
        );
        if let Some((row, sheet)) = seen.get(&key) {
            let place = match sheet {
                Some(s) => format!("{s}!row {row}"),
                None => format!("row {row}"),
            };
            out.errors.push(Diagnostic {
                loc: at(&r.value.column),
                value: r.value.text.to_string(),
                message: format!(
                    "duplicate: {} {} {} {} is already given in {place} of this import; expected each figure once",
                    ind.code, area.code, period, measure
                ),
            });
            continue;
        }
        seen.insert(key, (r.row, r.sheet.clone()));
        out.from.push(ri);
        let source = nfc(&r.source.text);
        out.observations.push(Observation {
            indicator: ind.code.clone(),
            area: area.key.clone(),
            period,
            measure,
            dims,
            value,
            status,
            source: if source.is_empty() {
                default_source.clone()
            } else {
                source
            },
            note: nfc(&r.note.text),
        });
    }
    let mismatches = check_breakdowns(&out, records, cat);
    out.errors.extend(mismatches);
    out
}

/// A figure's key with one breakdown's code taken out: what its parts and
/// its whole share.
type Whole<'o> = (&'o str, &'o str, Period, Measure, String);

/// A figure's key, borrowed: indicator, area, period, measure, breakdown.
type FigureKey<'o> = (&'o str, &'o str, Period, Measure, &'o str);

/// The parts of a whole, by the breakdown that splits it: (code, value,
/// the observation's index).
type Parts<'o> = HashMap<(Whole<'o>, usize), Vec<(&'o str, f64, usize)>>;

/// The built-in rules of breakdowns, over one import's figures: the parts
/// of a complete breakdown add up to the figure they break down (the total
/// or a parent code), within the rounding of the indicator's decimals; a
/// part of a partial one ("trong đó") is not above it. Complete is checked
/// where the import gives every part the indicator uses under that figure,
/// or the list's residual code `OTHER` ("Hàng hóa khác"), which says the
/// form's rows are the whole. Levels and plans only.
fn check_breakdowns(v: &Validated, records: &[RawRecord], cat: &Catalog<'_>) -> Vec<Diagnostic> {
    let mut errors = vec![];
    // most imports have no breakdown at all: nothing to build
    if v.observations.iter().all(|o| o.dims.is_empty()) {
        return errors;
    }
    let loc_of = |i: usize| {
        let r = &records[v.from[i]];
        Loc {
            file: r.file.to_string(),
            sheet: r.sheet.clone(),
            row: r.row,
            column: r.value.column.to_string(),
        }
    };
    // every figure of the import that could be a whole, by its key (borrowed: no copy per row)
    let mut figures: HashMap<FigureKey<'_>, (f64, usize)> = HashMap::new();
    // per figure key, the fewest codes a figure of it has: a part can have a
    // whole in the import only when a figure with fewer codes is there, or a
    // code of the import is the parent of others
    let mut fewest: HashMap<(&str, &str, Period, Measure), usize> = HashMap::new();
    let parents: std::collections::HashSet<(&str, &str)> = cat
        .lists
        .all()
        .flat_map(|l| {
            l.codes()
                .iter()
                .filter_map(move |c| c.parent.as_deref().map(|p| (l.name.as_str(), p)))
        })
        .collect();
    let mut any_parts = false;
    let mut any_parent = false;
    let codes_of = |dims: &str| {
        if dims.is_empty() {
            0
        } else {
            dims.split(';').count()
        }
    };
    for (i, o) in v.observations.iter().enumerate() {
        if matches!(o.measure, Measure::Level | Measure::Plan) {
            figures.insert(
                (&o.indicator, &o.area, o.period, o.measure, &o.dims),
                (o.value, i),
            );
            let n = codes_of(&o.dims);
            let f = fewest
                .entry((&o.indicator, &o.area, o.period, o.measure))
                .or_insert(n);
            *f = (*f).min(n);
            any_parts |= n > 0;
            any_parent |= n > 0
                && o.dims
                    .split(';')
                    .filter_map(|p| p.split_once('='))
                    .any(|x| parents.contains(&x));
        }
    }
    if !any_parts {
        return errors;
    }
    // (whole key, dimension) → parts: (code, value, index), for the wholes the import gives
    let mut by_whole: Parts<'_> = HashMap::new();
    let mut rest: Vec<String> = vec![];
    for (i, o) in v.observations.iter().enumerate() {
        if o.dims.is_empty() || !matches!(o.measure, Measure::Level | Measure::Plan) {
            continue;
        }
        if !any_parent
            && fewest.get(&(o.indicator.as_str(), o.area.as_str(), o.period, o.measure))
                == Some(&codes_of(&o.dims))
        {
            continue; // nothing in the import it could be a part of
        }
        let Some(ind) = cat.indicators.get(&o.indicator) else {
            continue;
        };
        // an index or a mean of a part is no share of its whole's: a group's
        // price index may well be above the general one
        if matches!(
            ind.time_aggregation,
            TimeAggregation::Index | TimeAggregation::Mean
        ) {
            continue;
        }
        let parts: Vec<&str> = o.dims.split(';').collect();
        for (k, part) in parts.iter().enumerate() {
            let Some((name, code)) = part.split_once('=') else {
                continue;
            };
            let Some(d) = ind.dimensions.iter().position(|d| d.name == name) else {
                continue;
            };
            // the whole: this code's parent in its list, or the total
            let parent = cat
                .lists
                .get(name)
                .and_then(|l| l.get(code))
                .and_then(|c| c.parent.clone());
            rest.clear();
            rest.extend(parts.iter().map(|p| (*p).to_string()));
            match &parent {
                Some(p) => rest[k] = format!("{name}={p}"),
                None => {
                    rest.remove(k);
                }
            }
            let whole = rest.join(";");
            if !figures.contains_key(&(
                o.indicator.as_str(),
                o.area.as_str(),
                o.period,
                o.measure,
                whole.as_str(),
            )) {
                continue;
            }
            by_whole
                .entry(((&o.indicator, &o.area, o.period, o.measure, whole), d))
                .or_default()
                .push((code, o.value, i));
        }
    }
    let mut wholes: Vec<_> = by_whole.into_iter().collect();
    wholes.sort_by_key(|(_, parts)| parts.iter().map(|p| p.2).min());
    for ((whole, d), parts) in wholes {
        let Some(&(total, ti)) =
            figures.get(&(whole.0, whole.1, whole.2, whole.3, whole.4.as_str()))
        else {
            continue;
        };
        let ind = cat.indicators[whole.0];
        let dim = &ind.dimensions[d];
        let o = &v.observations[ti];
        let name_of = |code: &str| {
            cat.lists
                .get(&dim.name)
                .and_then(|l| l.get(code))
                .map_or(code.to_string(), |c| c.label_vi.clone())
        };
        if dim.complete {
            let parent = whole
                .4
                .split(';')
                .find_map(|p| p.strip_prefix(&format!("{}=", dim.name)));
            let expected: Vec<String> = match cat.lists.get(&dim.name) {
                Some(l) => l
                    .children(parent)
                    .filter(|c| dim.codes.is_empty() || dim.codes.contains(&c.code))
                    .map(|c| c.code.clone())
                    .collect(),
                None => dim.codes.clone(),
            };
            let covers = parts.iter().any(|p| p.0 == "OTHER")
                || expected.iter().all(|c| parts.iter().any(|p| p.0 == c));
            if !covers {
                continue;
            }
            let sum: f64 = parts.iter().map(|p| p.1).sum();
            let tolerance = 0.5 * 10f64.powi(-i32::from(ind.decimals)) * (parts.len() + 1) as f64;
            if (sum - total).abs() > tolerance + 1e-9 * total.abs() {
                errors.push(Diagnostic {
                    loc: loc_of(ti),
                    value: solieu_model::text::fmt_value(total),
                    message: format!(
                        "{} {} {} {}: {} is {} but its {} parts by {} add up to {} (a difference of {}); expected the parts to add up to it",
                        ind.code,
                        o.period,
                        o.measure.as_str(),
                        if whole.4.is_empty() { "total".to_string() } else { whole.4.clone() },
                        if whole.4.is_empty() { "the total".to_string() } else { name_of(parent.unwrap_or("")) },
                        solieu_model::text::fmt_value(total),
                        parts.len(),
                        dim.name,
                        solieu_model::text::fmt_value(solieu_model::text::clean(sum)),
                        solieu_model::text::fmt_value(solieu_model::text::clean(sum - total)),
                    ),
                });
            }
        } else if total >= 0.0 {
            for (code, value, i) in &parts {
                if *value > total + 1e-9 * total.abs() {
                    errors.push(Diagnostic {
                        loc: loc_of(*i),
                        value: solieu_model::text::fmt_value(*value),
                        message: format!(
                            "{} {} by {}: {} ({}) is {} but the figure it is part of is {} (at {}); expected a part ('trong đó') not above its whole",
                            ind.code,
                            o.period,
                            dim.name,
                            code,
                            name_of(code),
                            solieu_model::text::fmt_value(*value),
                            solieu_model::text::fmt_value(total),
                            loc_of(ti).column,
                        ),
                    });
                }
            }
        }
    }
    errors
}

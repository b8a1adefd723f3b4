//! Indicators defined by a formula over other indicators, in the rule
//! language's arithmetic: `GRDP_CURRENT / POPULATION`,
//! `EXPORTS[SECTOR=FDI] / EXPORTS * 100`, `BUDGET_REVENUE / GRDP_CURRENT * 100`.
//!
//! A formula's figure for an area and a period is the formula applied to
//! its inputs' figures of the same area and period, each in its own
//! catalogue unit and by its own rules: a region's per-capita GRDP is the
//! region's GRDP over the region's population (Σ ÷ Σ, not a mean of
//! ratios), a January–October ratio is the ratio of the January–October
//! inputs, a merged province's past is the ratio of its predecessors' sums.
//! Nothing is stored; a figure stored for the formula indicator (a
//! department that reports the ratio itself) wins and a disagreement is
//! flagged, as for any reported figure.
//!
//! [`check_catalog`] is what `catalog import` runs before anything is
//! written: every formula parses, is arithmetic over values of the period
//! computed, names indicators and breakdown codes that exist, does not
//! refer to itself through others, and gives the unit it declares.

use std::collections::{BTreeMap, BTreeSet};

use solieu_model::{indicator, CodeLists, Indicator, Quantity};

use crate::rules::{self, Expr};
use crate::Derived;

/// A formula resolved against the engine's catalogue.
#[derive(Debug, Clone)]
pub(crate) enum Compiled {
    /// A constant.
    Num(f64),
    /// An input: its indicator number (`None`: not in the catalogue) and
    /// breakdown text in the indicator's order (`SECTOR=FDI`, `""` the total).
    Input(Option<u16>, String),
    /// Unary minus.
    Neg(Box<Compiled>),
    /// `+ - * /`.
    Bin(char, Box<Compiled>, Box<Compiled>),
    /// `abs`, `min`, `max`.
    Call(&'static str, Vec<Compiled>),
    /// Anything else (refused at catalogue import): no figure.
    Invalid,
}

impl Compiled {
    /// The indicator numbers it reads.
    pub(crate) fn inputs(&self, out: &mut Vec<u16>) {
        match self {
            Compiled::Input(Some(i), _) => out.push(*i),
            Compiled::Neg(a) => a.inputs(out),
            Compiled::Bin(_, a, b) => {
                a.inputs(out);
                b.inputs(out);
            }
            Compiled::Call(_, args) => args.iter().for_each(|a| a.inputs(out)),
            Compiled::Num(_) | Compiled::Input(None, _) | Compiled::Invalid => {}
        }
    }
}

/// An input of a formula: indicator code and breakdown text (an old code
/// kept as an alias is its indicator and breakdown).
pub(crate) fn input_of(indicator: &str, dims: &[(String, String)]) -> (String, String) {
    let mut dims: Vec<String> = dims.iter().map(|(l, c)| format!("{l}={c}")).collect();
    let code = match indicator::alias(indicator) {
        Some((ind, d)) => {
            dims.push(d.to_string());
            ind.to_string()
        }
        None => indicator.to_ascii_uppercase(),
    };
    (code, dims.join(";"))
}

/// Resolves a parsed formula: indicator codes to numbers, breakdowns to
/// their text in each input indicator's order of dimensions.
pub(crate) fn compile(e: &Expr, inds: &[Indicator], ix: &dyn Fn(&str) -> Option<u16>) -> Compiled {
    match e {
        Expr::Num(v) => Compiled::Num(*v),
        Expr::Fig {
            measure: Derived::Value,
            indicator,
            dims,
            shift: 0,
        } => {
            let (code, text) = input_of(indicator, dims);
            let i = ix(&code);
            let text = match i {
                Some(i) => indicator::merge_dims(&inds[i as usize], &text, ""),
                None => text,
            };
            Compiled::Input(i, text)
        }
        Expr::Neg(a) => Compiled::Neg(Box::new(compile(a, inds, ix))),
        Expr::Bin(op, a, b) => Compiled::Bin(
            *op,
            Box::new(compile(a, inds, ix)),
            Box::new(compile(b, inds, ix)),
        ),
        Expr::Call(name, args) => {
            Compiled::Call(name, args.iter().map(|a| compile(a, inds, ix)).collect())
        }
        _ => Compiled::Invalid,
    }
}

/// What the catalogue check found: refusals and warnings, by indicator code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    /// (indicator, why it is refused)
    pub errors: Vec<(String, String)>,
    /// (indicator, what to check by hand)
    pub warnings: Vec<(String, String)>,
}

/// Checks every formula of a catalogue (the whole catalogue after an
/// import: the store's indicators with the file's replacing them).
pub fn check_catalog(all: &[Indicator], lists: &CodeLists) -> Checked {
    let mut out = Checked::default();
    let by_code: BTreeMap<&str, &Indicator> = all.iter().map(|i| (i.code.as_str(), i)).collect();
    let mut graph: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ind in all.iter().filter(|i| i.is_formula()) {
        let expr = match rules::parse_formula(&ind.formula) {
            Ok(e) => e,
            Err(e) => {
                out.errors.push((
                    ind.code.clone(),
                    format!("the formula does not parse at {e}"),
                ));
                continue;
            }
        };
        match inputs(&expr, &by_code, lists) {
            Ok(codes) => {
                graph.insert(&ind.code, codes);
            }
            Err(why) => {
                out.errors.push((ind.code.clone(), why));
                continue;
            }
        }
        let declared = ind.unit.quantity();
        match unit_of(&expr, &by_code) {
            Ok(Some(q)) if q != declared => out.errors.push((
                ind.code.clone(),
                format!(
                    "the formula gives {q} but the indicator's unit is '{}' ({declared}); correct the unit or the formula",
                    ind.unit.label
                ),
            )),
            Ok(Some(_)) => {}
            Ok(None) => out.warnings.push((
                ind.code.clone(),
                format!(
                    "the unit of '{}' cannot be worked out from its inputs' units; check that it is '{}'",
                    ind.formula, ind.unit.label
                ),
            )),
            Err(why) => out.errors.push((ind.code.clone(), why)),
        }
    }
    // cycles: a formula that needs itself through others
    for start in graph.keys() {
        if let Some(path) = cycle_from(start, &graph) {
            if !out.errors.iter().any(|(c, _)| c == start) {
                out.errors.push((
                    (*start).to_string(),
                    format!("the formula refers to itself: {}", path.join(" → ")),
                ));
            }
        }
    }
    out
}

/// A path from `start` back to itself through formulas, if there is one.
fn cycle_from(start: &str, graph: &BTreeMap<&str, Vec<String>>) -> Option<Vec<String>> {
    let mut stack: Vec<(String, Vec<String>)> = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in graph.get(at.as_str()).into_iter().flatten() {
            let mut p = path.clone();
            p.push(next.clone());
            if next == start {
                return Some(p);
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

/// The indicator codes a formula uses, after checking that it is
/// arithmetic over values of the period and that its inputs exist.
fn inputs(
    e: &Expr,
    by_code: &BTreeMap<&str, &Indicator>,
    lists: &CodeLists,
) -> Result<Vec<String>, String> {
    let mut out = vec![];
    walk(e, &mut |x| match x {
        Expr::Fig {
            measure,
            indicator,
            dims,
            shift,
        } => {
            if *measure != Derived::Value || *shift != 0 {
                return Err(format!(
                    "{}({indicator}…): a formula uses its inputs' values for the period computed; their growth, cumulative and shifts follow from the formula's own measures",
                    measure.as_str()
                ));
            }
            let (code, text) = input_of(indicator, dims);
            let Some(ind) = by_code.get(code.as_str()) else {
                return Err(format!(
                    "unknown indicator {indicator} (see `solieu indicators`)"
                ));
            };
            for part in text.split(';').filter(|p| !p.is_empty()) {
                let (name, code) = part.split_once('=').unwrap_or((part, ""));
                let Some(d) = ind.dimensions.iter().find(|d| d.name == name) else {
                    return Err(format!(
                        "{} has no breakdown {name}{}",
                        ind.code,
                        if ind.dimensions.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (its breakdowns: {})",
                                ind.dimensions
                                    .iter()
                                    .map(|d| d.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ));
                };
                if code == "*" {
                    return Err(format!(
                        "{}[{name}=*]: a formula names one code of a breakdown; the total is {} itself",
                        ind.code, ind.code
                    ));
                }
                let known = match lists.get(name) {
                    Some(l) => l.get(code).is_some(),
                    None => d.codes.iter().any(|c| c == code),
                };
                if !known || !(d.codes.is_empty() || d.codes.iter().any(|c| c == code)) {
                    return Err(format!(
                        "{}[{name}={code}]: {code} is not a code of {name} used by {} (see `solieu codelists {name}`)",
                        ind.code, ind.code
                    ));
                }
            }
            out.push(ind.code.clone());
            Ok(())
        }
        Expr::Cmp(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(..) => Err(
            "a formula is arithmetic (+ - * / abs min max); comparisons belong in validation rules"
                .into(),
        ),
        _ => Ok(()),
    })?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// Visits every node, depth first; the first error stops the walk.
fn walk(e: &Expr, f: &mut dyn FnMut(&Expr) -> Result<(), String>) -> Result<(), String> {
    f(e)?;
    match e {
        Expr::Neg(a) | Expr::Not(a) => walk(a, f),
        Expr::Bin(_, a, b) | Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            walk(a, f)?;
            walk(b, f)
        }
        Expr::Call(_, args) => args.iter().try_for_each(|a| walk(a, f)),
        Expr::Num(_) | Expr::Fig { .. } => Ok(()),
    }
}

/// The power of ten a constant is, if it is one (100 → 2, 0.001 → −3).
fn power_of_ten(v: f64) -> Option<i32> {
    if v <= 0.0 {
        return None;
    }
    let k = v.log10().round();
    (10f64.powi(k as i32) == v || (10f64.powi(k as i32) - v).abs() <= 1e-12 * v).then_some(k as i32)
}

/// The unit of a formula's result, worked out from its inputs' units:
/// `Ok(None)` where it cannot be told (a constant that is no power of ten
/// multiplies), an error where the formula adds unlike things. A constant
/// factor of 10ⁿ moves the result's scale by −n: `A / B * 100` of two
/// amounts in the same unit is a percentage.
fn unit_of(e: &Expr, by_code: &BTreeMap<&str, &Indicator>) -> Result<Option<Quantity>, String> {
    Ok(match e {
        Expr::Num(v) => power_of_ten(*v).map(|k| Quantity::number(-k)),
        Expr::Fig {
            indicator, dims, ..
        } => {
            let (code, _) = input_of(indicator, dims);
            by_code.get(code.as_str()).map(|i| i.unit.quantity())
        }
        Expr::Neg(a) => unit_of(a, by_code)?,
        Expr::Bin(op @ ('*' | '/'), a, b) => {
            let sign = if *op == '*' { 1 } else { -1 };
            match (unit_of(a, by_code)?, unit_of(b, by_code)?) {
                (Some(x), Some(y)) => Some(x.times(&y, sign)),
                _ => None,
            }
        }
        Expr::Bin(_, a, b) => same_unit(a, b, by_code)?,
        Expr::Call(_, args) => match args.as_slice() {
            [a] => unit_of(a, by_code)?,
            [a, b] => same_unit(a, b, by_code)?,
            _ => None,
        },
        _ => None,
    })
}

/// The unit of a sum (or min, max) of two terms: theirs if they agree; a
/// constant takes the other term's unit.
fn same_unit(
    a: &Expr,
    b: &Expr,
    by_code: &BTreeMap<&str, &Indicator>,
) -> Result<Option<Quantity>, String> {
    match (a, b) {
        (Expr::Num(_), x) | (x, Expr::Num(_)) => unit_of(x, by_code),
        _ => match (unit_of(a, by_code)?, unit_of(b, by_code)?) {
            (Some(x), Some(y)) if x != y => Err(format!(
                "the formula adds or compares {x} with {y}: convert one first (× or ÷ a power of ten) or use indicators of one unit"
            )),
            (Some(x), Some(_)) => Ok(Some(x)),
            _ => Ok(None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solieu_model::IndicatorFields;

    fn ind(code: &str, unit: &str, dims: &str, formula: &str) -> Indicator {
        Indicator::parse(&IndicatorFields {
            code,
            name_vi: code,
            unit,
            time_aggregation: if formula.is_empty() { "flow" } else { "" },
            area_aggregation: if formula.is_empty() { "sum" } else { "" },
            decimals: "1",
            dimensions: dims,
            formula,
            ..Default::default()
        })
        .expect("valid")
    }

    fn catalogue(extra: &[Indicator]) -> Vec<Indicator> {
        let mut v = vec![
            ind("GRDP_CURRENT", "tỷ đồng", "", ""),
            ind("POPULATION", "nghìn người", "", ""),
            ind("EXPORTS", "triệu USD", "SECTOR:complete", ""),
            ind("BUDGET_REVENUE", "tỷ đồng", "", ""),
        ];
        v.extend_from_slice(extra);
        v
    }

    fn check(extra: &[Indicator]) -> Checked {
        check_catalog(&catalogue(extra), &solieu_model::reference::code_lists())
    }

    #[test]
    fn the_issues_formulas_pass_with_their_units() {
        let c = check(&[
            ind("PC", "triệu đồng/người", "", "GRDP_CURRENT / POPULATION"),
            ind("FDI_SHARE", "%", "", "EXPORTS[SECTOR=FDI] / EXPORTS * 100"),
            ind("OLD_ALIAS", "%", "", "EXPORTS_FDI / EXPORTS * 100"),
            ind(
                "BUDGET_GRDP",
                "%",
                "",
                "BUDGET_REVENUE / GRDP_CURRENT * 100",
            ),
        ]);
        assert_eq!(c, Checked::default());
    }

    #[test]
    fn the_built_in_formulas_check_clean() {
        let all = solieu_model::reference::indicators();
        assert!(all.iter().filter(|i| i.is_formula()).count() >= 7);
        assert_eq!(
            check_catalog(&all, &solieu_model::reference::code_lists()),
            Checked::default()
        );
    }

    #[test]
    fn a_contradicted_unit_names_both() {
        let c = check(&[ind("PC", "tỷ đồng", "", "GRDP_CURRENT / POPULATION")]);
        assert_eq!(c.errors.len(), 1, "{c:?}");
        assert!(c.errors[0].1.contains("triệu dong/nguoi"), "{c:?}");
        assert!(c.errors[0].1.contains("'tỷ đồng'"), "{c:?}");
        let c = check(&[ind("X", "tỷ đồng", "", "GRDP_CURRENT + EXPORTS")]);
        assert!(c.errors[0].1.contains("adds"), "{c:?}");
    }

    #[test]
    fn an_unknown_unit_is_a_warning() {
        let c = check(&[ind("X", "tỷ đồng", "", "GRDP_CURRENT * 0.7")]);
        assert!(c.errors.is_empty(), "{c:?}");
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn bad_formulas_are_refused_with_the_reason() {
        let cases = [
            ("GRDP_CURRENT / ", "does not parse at column"),
            ("NOPE / POPULATION", "unknown indicator NOPE"),
            (
                "EXPORTS[SECTOR=XYZ] / EXPORTS",
                "XYZ is not a code of SECTOR",
            ),
            (
                "EXPORTS[PRODUCT=RICE] / EXPORTS",
                "EXPORTS has no breakdown PRODUCT",
            ),
            ("EXPORTS[SECTOR=*] / EXPORTS", "one code"),
            ("yoy_pct(EXPORTS) * 1", "values for the period computed"),
            ("EXPORTS > 1", "computes a number"),
        ];
        for (f, want) in cases {
            let c = check(&[ind("X", "%", "", f)]);
            assert_eq!(c.errors.len(), 1, "{f}: {c:?}");
            assert!(c.errors[0].1.contains(want), "{f}: {c:?}");
        }
    }

    #[test]
    fn cycles_are_refused_with_their_path() {
        let c = check(&[
            ind("A", "tỷ đồng", "", "B * 1"),
            ind("B", "tỷ đồng", "", "A + GRDP_CURRENT"),
            ind("SELF", "tỷ đồng", "", "SELF + 1"),
        ]);
        let codes: Vec<&str> = c.errors.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["A", "B", "SELF"], "{c:?}");
        assert!(c.errors[0].1.contains("A → B → A"), "{c:?}");
    }
}

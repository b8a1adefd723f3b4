//! Derived figures for `solieu query --measure …` and the API's
//! observations: a grid of indicators × areas × periods × measures
//! evaluated by the engine, as a table or JSON with the inputs of each.

use anyhow::{bail, Result};
use solieu_engine::{Derived, Engine, Figure, Options, Query};
use solieu_model::{AreaRegistry, Period};

use crate::service::Table;
use crate::timefmt::format_micros;
use solieu_model::text::{clean, fmt_value};

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Indicator codes.
    pub indicators: Vec<String>,
    /// Area codes as typed.
    pub areas: Vec<String>,
    /// Periods.
    pub periods: Vec<Period>,
    /// Measures.
    pub measures: Vec<Derived>,
    /// Breakdown filters, `PRODUCT=ELECTRONICS` or `PRODUCT=*` (every code
    /// stored); none: the totals.
    pub dims: Vec<String>,
}

/// One evaluated cell of the grid.
#[derive(Debug, Clone)]
pub struct Row {
    /// Indicator code.
    pub indicator: String,
    /// Area key evaluated.
    pub area: String,
    /// Period.
    pub period: Period,
    /// Measure.
    pub measure: Derived,
    /// Breakdown codes (`PRODUCT=ELECTRONICS`; empty: the total).
    pub dims: String,
    /// The figure.
    pub figure: Figure,
}

/// Parses `--measure` names for the engine.
pub fn parse_derived(list: &[String]) -> Result<Vec<Derived>> {
    list.iter()
        .map(|m| match Derived::parse(m) {
            Some(d) => Ok(d),
            None => {
                let names: Vec<&str> = Derived::ALL.iter().map(|d| d.as_str()).collect();
                bail!(
                    "unknown measure '{}'; expected one of {}",
                    m.trim(),
                    names.join(", ")
                )
            }
        })
        .collect()
}

/// The area version to evaluate for a code and a period: the one valid
/// then, else the newest (evaluated on the comparable basis).
pub fn area_for(reg: &AreaRegistry, code: &str, p: Period) -> Result<String> {
    match reg.version_for(code, p) {
        Some(a) => Ok(a.key.clone()),
        None => Err(crate::Error::bad(format!(
            "unknown area code '{code}' (see `solieu areas --search …`)"
        ))
        .into()),
    }
}

/// Evaluates the grid.
pub fn evaluate(engine: &Engine, grid: &Grid, opts: &Options) -> Result<Vec<Row>> {
    if grid.indicators.is_empty() || grid.areas.is_empty() || grid.periods.is_empty() {
        bail!("derived figures need --indicator, --area and --period");
    }
    for i in &grid.indicators {
        if engine.indicator_or_alias(i).is_none() {
            return Err(crate::Error::bad(
                crate::service::unknown_indicator(engine.indicators(), i)
                    .unwrap_or_else(|| format!("unknown indicator '{i}'")),
            )
            .into());
        }
    }
    let mut keys = vec![];
    for i in &grid.indicators {
        let breakdowns = breakdowns(engine, i, &grid.dims)?;
        for code in &grid.areas {
            for p in &grid.periods {
                let area = area_for(engine.registry(), code, *p)?;
                for d in &breakdowns {
                    for m in &grid.measures {
                        keys.push((i.clone(), area.clone(), d.clone(), *p, *m));
                    }
                }
            }
        }
    }
    let queries: Vec<Query<'_>> = keys
        .iter()
        .map(|(i, a, d, p, m)| Query {
            indicator: i,
            area: a,
            dims: d,
            period: *p,
            measure: *m,
        })
        .collect();
    let figures = engine.eval_many(&queries, opts)?;
    Ok(keys
        .into_iter()
        .zip(figures)
        .map(|((indicator, area, dims, period, measure), figure)| Row {
            indicator,
            area,
            period,
            measure,
            dims,
            figure,
        })
        .collect())
}

/// The breakdowns of `indicator` that filters such as `PRODUCT=*` or
/// `SECTOR=FDI` (a code or a label) select, as dimension texts in the
/// indicator's order; no filter: the total (`""`).
pub fn breakdowns(engine: &Engine, indicator: &str, filters: &[String]) -> Result<Vec<String>> {
    if filters.is_empty() {
        return Ok(vec![String::new()]);
    }
    let Some(ind) = engine.indicator_or_alias(indicator) else {
        bail!("unknown indicator '{indicator}' (see `solieu indicators`)");
    };
    // per dimension of the indicator: None (total), Some(None) every code, Some(Some(code))
    let mut wanted: Vec<Option<Option<String>>> = vec![None; ind.dimensions.len()];
    for f in filters {
        let Some((name, value)) = f.split_once('=') else {
            bail!("--dim '{f}': expected NAME=CODE or NAME=* (e.g. PRODUCT=ELECTRONICS)");
        };
        let name = name.trim().to_ascii_uppercase();
        let Some(k) = ind.dimensions.iter().position(|d| d.name == name) else {
            let names: Vec<&str> = ind.dimensions.iter().map(|d| d.name.as_str()).collect();
            bail!(
                "{} is not broken down by {name}{}",
                ind.code,
                if names.is_empty() {
                    " (it has no breakdown)".to_string()
                } else {
                    format!("; its breakdowns are {}", names.join(", "))
                }
            );
        };
        let value = value.trim();
        wanted[k] = Some(if value == "*" {
            None
        } else {
            let d = &ind.dimensions[k];
            let code = match engine.code_lists().get(&d.name) {
                Some(l) => match l.find(value) {
                    solieu_model::codelist::Found::One(c) => c.code.clone(),
                    solieu_model::codelist::Found::Ambiguous(cs) => bail!(
                        "--dim {name}={value}: the label is given to {}; use the code",
                        cs.iter().map(|c| c.code.as_str()).collect::<Vec<_>>().join(" and ")
                    ),
                    solieu_model::codelist::Found::Nothing => bail!(
                        "--dim {name}={value}: not a code or label of list {name} (see `solieu codelists {name}`)"
                    ),
                },
                None if d.codes.iter().any(|c| c == value) => value.to_string(),
                None => bail!("--dim {name}={value}: expected one of {}", d.codes.join(", ")),
            };
            Some(code).filter(|c| c != solieu_model::TOTAL)
        });
    }
    let names: Vec<&str> = ind.dimensions.iter().map(|d| d.name.as_str()).collect();
    let fits = |text: &str| -> bool {
        let parts: Vec<(&str, &str)> = text.split(';').filter_map(|p| p.split_once('=')).collect();
        names.iter().zip(&wanted).all(|(n, w)| {
            let given = parts.iter().find(|(pn, _)| pn == n).map(|(_, c)| *c);
            match (w, given) {
                (None, None) | (Some(None), Some(_)) => true,
                (Some(Some(c)), Some(g)) => c == g,
                (Some(Some(_)), None) => false,
                _ => false,
            }
        }) && parts.iter().all(|(pn, _)| names.contains(pn))
    };
    if wanted.iter().all(|w| !matches!(w, Some(None))) {
        // codes named one by one: that key, stored or not
        let text = names
            .iter()
            .zip(&wanted)
            .filter_map(|(n, w)| match w {
                Some(Some(c)) => Some(format!("{n}={c}")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(";");
        return Ok(vec![text]);
    }
    // every breakdown over the lists asked for, stored or derivable (exports
    // by product × market give the product groups), that the codes named fit
    let asked: Vec<&str> = names
        .iter()
        .zip(&wanted)
        .filter(|(_, w)| w.is_some())
        .map(|(n, _)| *n)
        .collect();
    let out: Vec<String> = engine
        .breakdowns_over(&ind.code, &asked)
        .into_iter()
        .filter(|t| fits(t))
        .collect();
    Ok(out)
}

/// Whether a stored figure's breakdown (`PRODUCT=ELECTRONICS`) is one
/// that filters such as `PRODUCT=*` or `SECTOR=FDI` select (every filter
/// met; a total meets none).
pub fn dims_match(
    lists: &solieu_model::CodeLists,
    filters: &[String],
) -> Result<impl Fn(&str) -> bool> {
    let mut wanted: Vec<(String, Option<String>)> = vec![];
    for f in filters {
        let Some((name, value)) = f.split_once('=') else {
            bail!("--dim '{f}': expected NAME=CODE or NAME=* (e.g. PRODUCT=ELECTRONICS)");
        };
        let name = name.trim().to_ascii_uppercase();
        let value = value.trim();
        let code = if value == "*" {
            None
        } else {
            Some(match lists.get(&name).map(|l| l.find(value)) {
                Some(solieu_model::codelist::Found::One(c)) => c.code.clone(),
                Some(_) => bail!(
                    "--dim {name}={value}: not a code or label of list {name} (see `solieu codelists {name}`)"
                ),
                None => value.to_string(),
            })
        };
        wanted.push((name, code));
    }
    Ok(move |dims: &str| {
        wanted.iter().all(|(name, code)| {
            dims.split(';')
                .filter_map(|p| p.split_once('='))
                .any(|(n, c)| n == name && code.as_deref().is_none_or(|w| w == c))
        })
    })
}

/// The label of a breakdown text (`PRODUCT=ELECTRONICS` → "Máy vi tính, …").
pub fn breakdown_label(engine: &Engine, dims: &str) -> String {
    dims.split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(n, c)| {
            engine
                .code_lists()
                .get(n)
                .and_then(|l| l.get(c))
                .map_or(c.to_string(), |c| c.label_vi.clone())
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The text of a figure's value: for the screen with the indicator's
/// decimals (two for percentages), for files the cleaned number.
pub fn value_text(engine: &Engine, r: &Row, screen: bool) -> String {
    let Some(v) = r.figure.value else {
        return String::new();
    };
    if !screen {
        return fmt_value(clean(v));
    }
    let decimals = match r.measure {
        Derived::Rank | Derived::RankYoy => 0,
        m if m.in_indicator_unit() => engine.indicator(&r.indicator).map_or(2, |i| i.decimals),
        _ => 2,
    };
    format!("{v:.prec$}", prec = usize::from(decimals))
}

/// What to say beside a figure: why it is absent, how it was obtained, the
/// reported and computed values when they disagree.
pub fn remark(r: &Row) -> String {
    let f = &r.figure;
    let mut parts: Vec<String> = vec![];
    if let Some(w) = f.why {
        parts.push(w.to_string());
    }
    if let Some(n) = f.out_of {
        parts.push(format!("of {n}"));
    }
    if f.discrepancy {
        parts.push(format!(
            "DISCREPANCY: reported {} vs computed {}",
            f.reported.map_or(String::new(), |v| fmt_value(clean(v))),
            f.computed.map_or(String::new(), |v| fmt_value(clean(v)))
        ));
    }
    parts.join("; ")
}

/// The rows as a table.
pub fn table(engine: &Engine, rows: &[Row], screen: bool) -> Table {
    let headers = [
        "indicator",
        "area",
        "period",
        "measure",
        "value",
        "status",
        "basis",
        "note",
        "area_name",
    ]
    .map(String::from)
    .to_vec();
    let broken = rows.iter().any(|r| !r.dims.is_empty());
    let mut headers = headers;
    if broken {
        headers.extend(["breakdown".to_string(), "breakdown_label".to_string()]);
    }
    let reg = engine.registry();
    let rows = rows
        .iter()
        .map(|r| {
            let area = reg.by_key(&r.area);
            let mut row = vec![
                r.indicator.clone(),
                area.map_or(r.area.clone(), |a| a.code.clone()),
                r.period.to_string(),
                r.measure.as_str().to_string(),
                value_text(engine, r, screen),
                if r.figure.value.is_some() {
                    r.figure.status.code().to_string()
                } else {
                    String::new()
                },
                r.figure.flags.words().join("+"),
                remark(r),
                area.map_or(String::new(), |a| a.name_vi.clone()),
            ];
            if broken {
                row.extend([r.dims.clone(), breakdown_label(engine, &r.dims)]);
            }
            row
        })
        .collect();
    Table { headers, rows }
}

/// The inputs of every figure, after it (`--explain` on screen).
pub fn explain_text(engine: &Engine, rows: &[Row]) -> String {
    let mut out = String::new();
    for (n, r) in rows.iter().enumerate() {
        out.push_str(&format!(
            "\n[{}] {}{} {} {} {} = {}{}\n",
            n + 1,
            r.indicator,
            if r.dims.is_empty() {
                String::new()
            } else {
                format!("[{}]", r.dims)
            },
            r.area,
            r.period,
            r.measure,
            r.figure
                .value
                .map_or("(absent)".to_string(), |v| fmt_value(clean(v))),
            match remark(r) {
                s if s.is_empty() => String::new(),
                s => format!(" ({s})"),
            }
        ));
        if let Some(ind) = engine.indicator(&r.indicator).filter(|i| i.is_formula()) {
            out.push_str(&format!("    formula: {}\n", ind.formula));
        }
        if r.figure.inputs.is_empty() {
            out.push_str("    no stored vintage used\n");
        }
        for i in &r.figure.inputs {
            if i.import_id == 0 {
                // an estimate for a member that has not reported
                out.push_str(&format!(
                    "    {} {} {} ≈ {} [E] {}\n",
                    i.indicator,
                    i.area,
                    i.period,
                    fmt_value(i.value),
                    i.source
                ));
                continue;
            }
            out.push_str(&format!(
                "    {}{} {} {} {} = {} [{}] import {} recorded {} · {}\n",
                i.indicator,
                if i.dims.is_empty() {
                    String::new()
                } else {
                    format!("[{}]", i.dims)
                },
                i.area,
                i.period,
                i.measure,
                fmt_value(i.value),
                i.status.code(),
                i.import_id,
                format_micros(i.recorded_at),
                i.source.replace('\t', " · ")
            ));
        }
    }
    out
}

/// The rows as JSON, values as numbers, with inputs when explained.
pub fn json(engine: &Engine, rows: &[Row], explain: bool) -> Result<String> {
    Ok(serde_json::to_string_pretty(&json_values(engine, rows, explain))? + "\n")
}

/// A derived figure as the API and `query --format json` give it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FigureJson {
    /// Indicator code.
    #[schema(example = "RETAIL_GOODS")]
    pub indicator: String,
    /// Area code.
    #[schema(example = "79")]
    pub area: String,
    /// Area key (`code@valid_from` for an area version after the reform).
    #[schema(example = "79")]
    pub area_key: String,
    /// Period (`2020`, `2020-Q3`, `2020-10`).
    #[schema(example = "2020-10")]
    pub period: String,
    /// Measure (`value`, `yoy_pct`, `cumulative`, `plan_pct` …).
    #[schema(example = "cumulative_yoy_pct")]
    pub measure: String,
    /// Breakdown codes (`PRODUCT=ELECTRONICS`); absent for a total.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "PRODUCT=ELECTRONICS")]
    pub breakdown: Option<String>,
    /// The breakdown codes' Vietnamese labels; absent for a total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown_label: Option<String>,
    /// The figure; null when it cannot be worked out (`absent_because` says why).
    #[schema(example = 9.9)]
    pub value: Option<f64>,
    /// Status of the value: `E` estimate, `P` preliminary, `A` final.
    #[schema(example = "E")]
    pub status: Option<String>,
    /// How it was obtained (`reported`, `computed`, `comparable_basis` …).
    pub basis: Vec<String>,
    /// Why there is no value.
    pub absent_because: Option<String>,
    /// The reported value, where both a reported and a computed one exist.
    pub reported: Option<f64>,
    /// The value computed from the members or months.
    pub computed: Option<f64>,
    /// Whether reported and computed disagree.
    pub discrepancy: bool,
    /// For a rank: out of how many.
    pub out_of: Option<u32>,
    /// The formula of a formula indicator (`GRDP_CURRENT / POPULATION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// The stored vintages behind the figure (`explain=true` only); an
    /// estimate for a member that has not reported is listed with import 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<InputJson>>,
}

/// A stored vintage a figure was computed from.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InputJson {
    /// Indicator code.
    pub indicator: String,
    /// Area key.
    pub area_key: String,
    /// Period.
    pub period: String,
    /// Stored measure.
    pub measure: String,
    /// Dimension codes (empty: the total).
    pub dims: String,
    /// Value.
    pub value: f64,
    /// Status.
    pub status: String,
    /// The import that wrote it.
    pub import: u32,
    /// When it was recorded.
    pub recorded_at: String,
    /// Source (and note, after a tab).
    pub source: String,
}

/// The rows as JSON objects.
pub fn json_values(engine: &Engine, rows: &[Row], explain: bool) -> Vec<FigureJson> {
    let reg = engine.registry();
    rows.iter()
        .map(|r| {
            let f = &r.figure;
            FigureJson {
                indicator: r.indicator.clone(),
                area: reg
                    .by_key(&r.area)
                    .map_or(r.area.clone(), |a| a.code.clone()),
                area_key: r.area.clone(),
                period: r.period.to_string(),
                measure: r.measure.as_str().to_string(),
                breakdown: (!r.dims.is_empty()).then(|| r.dims.clone()),
                breakdown_label: (!r.dims.is_empty()).then(|| breakdown_label(engine, &r.dims)),
                value: f.value.map(clean),
                status: f.value.map(|_| f.status.code().to_string()),
                basis: f.flags.words().into_iter().map(String::from).collect(),
                absent_because: f.why.map(|w| w.to_string()),
                reported: f.reported.map(clean),
                computed: f.computed.map(clean),
                discrepancy: f.discrepancy,
                out_of: f.out_of,
                formula: engine
                    .indicator(&r.indicator)
                    .filter(|i| i.is_formula())
                    .map(|i| i.formula.clone()),
                inputs: explain.then(|| {
                    f.inputs
                        .iter()
                        .map(|i| InputJson {
                            indicator: i.indicator.clone(),
                            area_key: i.area.clone(),
                            period: i.period.to_string(),
                            measure: i.measure.as_str().to_string(),
                            dims: i.dims.clone(),
                            value: i.value,
                            status: i.status.code().to_string(),
                            import: i.import_id,
                            // an estimate is no stored vintage: no recording time
                            recorded_at: if i.import_id == 0 {
                                String::new()
                            } else {
                                format_micros(i.recorded_at)
                            },
                            source: i.source.clone(),
                        })
                        .collect()
                }),
            }
        })
        .collect()
}

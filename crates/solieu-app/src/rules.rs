//! Validation of figures: the stored rules (see `solieu_engine::rules` for
//! the language), the built-in checks (a stored month against the stored
//! year-to-date and regional totals, a reported growth rate against the one
//! computed from levels), and outliers by the modified z-score — run on
//! every submission and on demand.

use std::collections::BTreeSet;

use serde::Serialize;
use solieu_engine::rules::{self, Expr, Outcome, Used};
use solieu_engine::{Derived, Engine, Options, Query};
use solieu_model::Period;
use solieu_store::{Rule, Severity};

/// A rule parsed once.
pub struct Compiled {
    /// As stored.
    pub rule: Rule,
    /// Parsed.
    pub expr: Expr,
}

/// Parses the active rules; a rule that no longer parses (it did when
/// stored) is reported as a violation of itself rather than dropped.
pub fn compile(rules: &[Rule]) -> (Vec<Compiled>, Vec<String>) {
    let mut ok = vec![];
    let mut bad = vec![];
    for r in rules.iter().filter(|r| r.active) {
        match rules::parse(&r.expression) {
            Ok(expr) => ok.push(Compiled {
                rule: r.clone(),
                expr,
            }),
            Err(e) => bad.push(format!("rule {}: {e}", r.code)),
        }
    }
    (ok, bad)
}

/// A figure a check read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FigureUsed {
    /// Indicator code.
    pub indicator: String,
    /// Measure.
    pub measure: String,
    /// Period.
    pub period: String,
    /// Value.
    pub value: f64,
    /// Status (E, P, A).
    pub status: String,
}

/// A rule not met, or a value flagged for review.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// Rule code (`builtin.…` for the built-in checks).
    pub rule: String,
    /// `error` (blocks approval), `warning`, `info`.
    pub severity: String,
    /// Area code.
    pub area: String,
    /// Period.
    pub period: String,
    /// What does not hold, in words.
    pub message: String,
    /// The figures involved.
    pub figures: Vec<FigureUsed>,
}

impl Violation {
    /// Whether it blocks approval.
    pub fn blocks(&self) -> bool {
        self.severity == Severity::Error.as_str()
    }
}

fn used(u: &Used) -> FigureUsed {
    FigureUsed {
        indicator: u.indicator.clone(),
        measure: u.measure.as_str().to_string(),
        period: u.period.to_string(),
        value: solieu_model::text::clean(u.value),
        status: u.status.code().to_string(),
    }
}

/// Areas and periods checked at most after one write: a bulk load is not
/// checked figure by figure (its answer says so).
pub const MOST_CHECKED_AFTER_WRITE: usize = 2_000;

/// What the rules found in the figures just written.
pub struct AfterWrite {
    /// Violations among the written areas and periods.
    pub violations: Vec<Violation>,
    /// Stored rules that do not parse.
    pub broken: Vec<String>,
    /// False when the write touched too many areas and periods to check.
    pub checked: bool,
}

/// Runs the stored rules and the built-in checks on the areas and periods
/// that a write touched (the engine has applied it).
pub fn after_write(
    engine: &Engine,
    rules: &[Rule],
    written: &[solieu_model::Observation],
) -> AfterWrite {
    let targets: BTreeSet<(String, Period)> = written
        .iter()
        .map(|o| {
            (
                o.area.split('@').next().unwrap_or(&o.area).to_string(),
                o.period,
            )
        })
        .take(10_000)
        .collect();
    let touched: BTreeSet<String> = written.iter().map(|o| o.indicator.clone()).collect();
    let (compiled, broken) = compile(rules);
    let checked = targets.len() <= MOST_CHECKED_AFTER_WRITE;
    let violations = if checked {
        run(
            engine,
            &compiled,
            &targets,
            Some(&touched),
            &Options::default(),
        )
    } else {
        vec![]
    };
    AfterWrite {
        violations,
        broken,
        checked,
    }
}

/// Runs every check for the areas (codes) and periods given; `touched`
/// limits stored rules to those reading one of these indicators and the
/// built-in checks to them (`None`: every indicator).
pub fn run(
    engine: &Engine,
    compiled: &[Compiled],
    targets: &BTreeSet<(String, Period)>,
    touched: Option<&BTreeSet<String>>,
    opts: &Options,
) -> Vec<Violation> {
    let mut out = vec![];
    for (area, period) in targets {
        for c in compiled {
            if let Some(t) = touched {
                if !c.expr.indicators().iter().any(|i| t.contains(i)) {
                    continue;
                }
            }
            if let Outcome::Violated(figs) = rules::check(engine, &c.expr, area, *period, opts) {
                let values: Vec<String> = figs
                    .iter()
                    .map(|u| {
                        format!(
                            "{}({}, {}) = {}",
                            u.measure,
                            u.indicator,
                            u.period,
                            solieu_model::text::fmt_value(solieu_model::text::clean(u.value))
                        )
                    })
                    .collect();
                out.push(Violation {
                    rule: c.rule.code.clone(),
                    severity: c.rule.severity.as_str().to_string(),
                    area: area.clone(),
                    period: period.to_string(),
                    message: format!(
                        "{} does not hold: {}{}",
                        c.rule.expression,
                        values.join(", "),
                        if c.rule.description.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", c.rule.description)
                        }
                    ),
                    figures: figs.iter().map(used).collect(),
                });
            }
        }
        let indicators: Vec<&str> = match touched {
            Some(t) => t.iter().map(String::as_str).collect(),
            None => engine
                .indicators()
                .iter()
                .map(|i| i.code.as_str())
                .collect(),
        };
        for ind in indicators {
            builtin(engine, ind, area, *period, opts, &mut out);
        }
    }
    out
}

fn builtin(
    engine: &Engine,
    indicator: &str,
    area: &str,
    period: Period,
    opts: &Options,
    out: &mut Vec<Violation>,
) {
    let Some(key) = engine
        .registry()
        .version_for(area, period)
        .map(|a| a.key.clone())
    else {
        return;
    };
    for measure in [
        Derived::Value,
        Derived::Cumulative,
        Derived::YoyPct,
        Derived::CumulativeYoyPct,
    ] {
        let q = Query {
            indicator,
            area: &key,
            dims: "",
            period,
            measure,
        };
        let Ok(f) = engine.eval(&q, opts) else {
            continue;
        };
        if !f.discrepancy {
            continue;
        }
        let (Some(r), Some(c)) = (f.reported, f.computed) else {
            continue;
        };
        let rule = if matches!(measure, Derived::Value | Derived::Cumulative) {
            "builtin.flow_consistency"
        } else {
            "builtin.growth_consistency"
        };
        let fmt = |v: f64| solieu_model::text::fmt_value(solieu_model::text::clean(v));
        out.push(Violation {
            rule: rule.into(),
            severity: Severity::Warning.as_str().into(),
            area: area.to_string(),
            period: period.to_string(),
            message: format!(
                "{measure}({indicator}) reported {} but {} computed from the other stored figures",
                fmt(r),
                fmt(c)
            ),
            figures: vec![FigureUsed {
                indicator: indicator.to_string(),
                measure: measure.as_str().into(),
                period: period.to_string(),
                value: solieu_model::text::clean(r),
                status: f.status.code().to_string(),
            }],
        });
    }
    if let Some(o) = rules::outlier(engine, indicator, &key, period, opts) {
        let fmt = |v: f64| solieu_model::text::fmt_value(solieu_model::text::clean(v));
        out.push(Violation {
            rule: "builtin.outlier".into(),
            severity: Severity::Warning.as_str().into(),
            area: area.to_string(),
            period: period.to_string(),
            message: format!(
                "{}({indicator}) = {} is unusual for this series: modified z-score {:.1} against a median of {} over {} periods; please check",
                o.measure,
                fmt(o.value),
                o.z,
                fmt(o.median),
                o.history
            ),
            figures: vec![FigureUsed {
                indicator: indicator.to_string(),
                measure: o.measure.as_str().into(),
                period: period.to_string(),
                value: solieu_model::text::clean(o.value),
                status: String::new(),
            }],
        });
    }
}

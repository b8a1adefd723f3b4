//! A reporting unit's form written out as the workbook it fills in
//! (`solieu form template`, the entry page's download).

use anyhow::Result;
use solieu_engine::{Derived, Engine, Options, Query};
use solieu_export::template::{write_template, Template, TemplateRow};
use solieu_model::{Frequency, Period, TimeAggregation};
use solieu_store::Backend;

use crate::Error;

/// A refusal the user can act on (exit 1, HTTP 400), not an internal error.
macro_rules! refuse {
    ($($t:tt)*) => {
        return Err(Error::bad(format!($($t)*)).into())
    };
}

/// The form `form` of unit `unit` for `period` as an `.xlsx` workbook laid
/// out like the office's form, with last year's figures for reference; and
/// the file name to give it.
pub fn template(
    store: &dyn Backend,
    engine: &Engine,
    form: &str,
    unit: &str,
    period: Period,
) -> Result<(String, Vec<u8>)> {
    let forms = store.forms()?;
    let Some(f) = forms.iter().find(|f| f.code.eq_ignore_ascii_case(form)) else {
        let codes: Vec<&str> = forms.iter().map(|f| f.code.as_str()).collect();
        refuse!(
            "no form '{form}'; the forms are {}",
            if codes.is_empty() {
                "none yet (PUT /api/v1/forms/{code})".to_string()
            } else {
                codes.join(", ")
            }
        );
    };
    let Period::Month(y, m) = period else {
        refuse!("a form template is written for a month (2020-10); '{period}' is not one");
    };
    if f.frequency != Frequency::Month {
        refuse!(
            "form {} is reported by {}; templates are written for monthly forms only for now",
            f.code,
            solieu_store::workflow::frequency_name(f.frequency)
        );
    }
    if !f.units.is_empty() && !f.units.iter().any(|u| u == unit) {
        refuse!(
            "unit {unit} does not report form {}; its units are {}",
            f.code,
            f.units.join(", ")
        );
    }
    let Some(area) = engine.registry().version_for(unit, period) else {
        refuse!("unknown area code '{unit}' (see `solieu areas --search …`)");
    };
    let last = Period::Month(y - 1, m);
    let mut rows = vec![];
    // in the catalogue's order (the report's), not the order they were listed
    for ind in engine
        .indicators()
        .iter()
        .filter(|i| f.indicators.contains(&i.code))
    {
        let code = &ind.code;
        let cumulative = matches!(
            ind.time_aggregation,
            TimeAggregation::Flow | TimeAggregation::Mean
        );
        let ask = |measure| Query {
            indicator: code,
            area: &area.key,
            dims: "",
            period: last,
            measure,
        };
        let got = engine.eval_many(
            &[ask(Derived::Value), ask(Derived::Cumulative)],
            &Options::default(),
        )?;
        rows.push(TemplateRow {
            code: ind.code.clone(),
            name: ind.name_vi.clone(),
            unit: ind.unit.label.clone(),
            decimals: usize::from(ind.decimals),
            cumulative,
            last_year_month: got[0].value,
            last_year_cumulative: if cumulative { got[1].value } else { None },
        });
    }
    if rows.is_empty() {
        refuse!("form {} owes no indicator of the catalogue", f.code);
    }
    let deadline = f.deadline(period);
    let t = Template {
        body: "ỦY BAN NHÂN DÂN".into(),
        area_upper: area.name_vi.to_uppercase(),
        place: area.name_vi.clone(),
        form: format!("Biểu {}: {}", f.code, f.name),
        year: y,
        month: m,
        deadline: deadline.format("%d/%m/%Y").to_string(),
        rows,
    };
    Ok((
        format!("{}_{}_{y}-{m:02}.xlsx", f.code, unit),
        write_template(&t)?,
    ))
}

//! The canonical CSV: the columns `import` reads back unchanged.

use std::collections::BTreeSet;

use solieu_ingest::csv_long::CANONICAL_COLUMNS;
use solieu_model::text::{fmt_value, inert};
use solieu_model::{AreaRegistry, Indicator, Vintage};

/// The canonical CSV, a row at a time.
pub struct CanonicalCsv<'a, W: std::io::Write> {
    w: csv::Writer<W>,
    inds: &'a [Indicator],
    areas: &'a AreaRegistry,
    dim_names: Vec<String>,
}

impl<'a, W: std::io::Write> CanonicalCsv<'a, W> {
    /// Writes the header: the canonical columns and a column for each
    /// breakdown of the indicators exported (`only`; empty: all of them).
    pub fn new(
        out: W,
        inds: &'a [Indicator],
        areas: &'a AreaRegistry,
        only: &[String],
    ) -> std::io::Result<Self> {
        let dim_names: BTreeSet<String> = inds
            .iter()
            .filter(|i| only.is_empty() || only.contains(&i.code))
            .flat_map(|i| i.dimensions.iter().map(|d| d.name.clone()))
            .collect();
        let dim_names: Vec<String> = dim_names.into_iter().collect();
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<String> = CANONICAL_COLUMNS.map(String::from).to_vec();
        header.extend(dim_names.iter().cloned());
        w.write_record(&header)?;
        Ok(CanonicalCsv {
            w,
            inds,
            areas,
            dim_names,
        })
    }

    /// One row.
    pub fn row(&mut self, v: &Vintage) -> std::io::Result<()> {
        let o = &v.obs;
        let unit = if o.measure.in_indicator_unit() {
            self.inds
                .iter()
                .find(|i| i.code == o.indicator)
                .map(|i| i.unit.label.clone())
                .unwrap_or_default()
        } else {
            "%".to_string()
        };
        let code = self
            .areas
            .by_key(&o.area)
            .map_or(o.area.clone(), |a| a.code.clone());
        let mut rec = vec![
            o.indicator.clone(),
            code,
            o.period.to_string(),
            o.measure.as_str().to_string(),
            fmt_value(o.value),
            o.status.code().to_string(),
            unit,
            inert(&o.source),
            inert(&o.note),
        ];
        for d in &self.dim_names {
            let val = o
                .dims
                .split(';')
                .find_map(|p| p.strip_prefix(&format!("{d}=")))
                .unwrap_or("");
            rec.push(val.to_string());
        }
        Ok(self.w.write_record(&rec)?)
    }

    /// Flushes; the writer back.
    pub fn finish(self) -> std::io::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.error().to_string()))
    }
}

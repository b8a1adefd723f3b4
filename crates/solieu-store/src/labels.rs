//! A department's row labels mapped to the catalogue, written once for both
//! backends over [`crate::sql`].

use solieu_model::codelist::label_key;
use solieu_model::labels::LabelMapping;

use crate::sql::{Db, Sql};
use crate::workflow::{Actor, AuditRecord};
use crate::workflow_db::record;
use crate::{Result, StoreError};

fn stored(c: &mut dyn Sql) -> Result<Vec<LabelMapping>> {
    c.query(
        "SELECT unit, label, indicator, dims FROM label_map ORDER BY unit, label_key",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(LabelMapping {
            unit: r.text(0)?,
            label: r.text(1)?,
            indicator: r.text(2)?,
            dims: r.text(3)?,
        })
    })
    .collect()
}

pub(crate) fn label_mappings(db: &impl Db) -> Result<Vec<LabelMapping>> {
    db.read(stored)
}

pub(crate) fn upsert_label_mappings(
    db: &mut impl Db,
    rows: &[LabelMapping],
    actor: &str,
) -> Result<usize> {
    db.write(|tx| {
        let known: Vec<String> = tx
            .query("SELECT code FROM indicator", &[])?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_>>()?;
        let unknown: Vec<&str> = rows
            .iter()
            .filter(|m| {
                !known.contains(&m.indicator)
                    && solieu_model::indicator::alias(&m.indicator).is_none()
            })
            .map(|m| m.indicator.as_str())
            .collect();
        if !unknown.is_empty() {
            return Err(StoreError::Refused(format!(
                "not indicators of the catalogue: {}",
                unknown.join(", ")
            )));
        }
        for m in rows {
            tx.exec(
                "INSERT INTO label_map (unit, label_key, label, indicator, dims) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (unit, label_key) DO UPDATE SET label = excluded.label, indicator = excluded.indicator, dims = excluded.dims",
                &[
                    (&m.unit).into(),
                    label_key(&m.label).into(),
                    (&m.label).into(),
                    (&m.indicator).into(),
                    (&m.dims).into(),
                ],
            )?;
        }
        let mut units: Vec<&str> = rows
            .iter()
            .map(|m| if m.unit.is_empty() { "*" } else { m.unit.as_str() })
            .collect();
        units.sort_unstable();
        units.dedup();
        record(
            tx,
            &AuditRecord {
                actor: Actor {
                    name: actor,
                    origin: "cli",
                },
                action: "labels.upsert",
                target: &format!("labels {}", units.join(",")),
                before: None,
                after: None,
                detail: &format!("{} label mappings", rows.len()),
            },
        )?;
        Ok(rows.len())
    })
}

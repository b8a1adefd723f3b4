//! Code lists kept in a store, written once for both backends over
//! [`crate::sql`]: only the codes a department imported; the built-in lists
//! come with the program, so that a newer solieu's lists reach old stores.

use solieu_model::{reference, Code, CodeLists, Period};

use crate::sql::{Db, Sql};
use crate::workflow::{Actor, AuditRecord};
use crate::workflow_db::record;
use crate::{Result, StoreError};

fn stored(c: &mut dyn Sql) -> Result<Vec<(String, Code)>> {
    c.query(
        "SELECT list, code, label_vi, label_en, parent, aliases, ord, valid_from FROM code_item ORDER BY list, ord, code",
        &[],
    )?
    .iter()
    .map(|r| {
        let from = r.opt_text(7)?;
        Ok((
            r.text(0)?,
            Code {
                code: r.text(1)?,
                label_vi: r.text(2)?,
                label_en: r.text(3)?,
                parent: r.opt_text(4)?,
                aliases: r
                    .text(5)?
                    .split('|')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
                order: r.int(6)?,
                valid_from: from
                    .map(|f| {
                        Period::parse(&f).map_err(|_| StoreError::Corrupt(format!("code_item valid_from '{f}'")))
                    })
                    .transpose()?,
            },
        ))
    })
    .collect()
}

fn merged(rows: &[(String, Code)]) -> Result<CodeLists> {
    reference::code_lists()
        .with(rows)
        .map_err(|e| StoreError::Corrupt(format!("code lists: {e}")))
}

pub(crate) fn code_lists(db: &impl Db) -> Result<CodeLists> {
    let rows = db.read(stored)?;
    merged(&rows)
}

pub(crate) fn upsert_codes(
    db: &mut impl Db,
    rows: &[(String, Code)],
    actor: &str,
) -> Result<usize> {
    db.write(|tx| {
        let mut all = stored(tx)?;
        for (list, c) in rows {
            match all.iter_mut().find(|(l, o)| l == list && o.code == c.code) {
                Some(o) => o.1 = c.clone(),
                None => all.push((list.clone(), c.clone())),
            }
        }
        reference::code_lists()
            .with(&all)
            .map_err(StoreError::Refused)?;
        for (list, c) in rows {
            tx.exec(
                "INSERT INTO code_item (list, code, label_vi, label_en, parent, aliases, ord, valid_from)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (list, code) DO UPDATE SET label_vi = excluded.label_vi, label_en = excluded.label_en,
                 parent = excluded.parent, aliases = excluded.aliases, ord = excluded.ord, valid_from = excluded.valid_from",
                &[
                    list.into(),
                    (&c.code).into(),
                    (&c.label_vi).into(),
                    (&c.label_en).into(),
                    (&c.parent).into(),
                    c.aliases.join("|").into(),
                    c.order.into(),
                    c.valid_from.map(|p| p.to_string()).into(),
                ],
            )?;
        }
        let mut lists: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        lists.sort_unstable();
        lists.dedup();
        record(
            tx,
            &AuditRecord {
                actor: Actor {
                    name: actor,
                    origin: "cli",
                },
                action: "codelist.upsert",
                target: &lists.join(","),
                before: None,
                after: None,
                detail: &format!("{} codes", rows.len()),
            },
        )?;
        Ok(rows.len())
    })
}

//! Moving a whole store between backends: `solieu migrate` (SQLite ⇄
//! PostgreSQL), `backup` (any store → a solieu archive, which is an SQLite
//! store file) and `restore` (an archive → any store).
//!
//! Every table is copied row for row with its numbers (imports, series,
//! accounts, audit entries keep their ids), read in one consistent snapshot
//! of the source and written in one transaction of the target: a copy is
//! whole or absent. It is then verified: the row count of every table and a
//! SHA-256 over every vintage (read through [`Store::each_observation`], so
//! the same on either backend) must agree on both sides.

use sha2::{Digest, Sha256};

use crate::{Backend, ObsQuery, Result, Store, StoreError};

/// A column's kind in both schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// TEXT.
    Text,
    /// INTEGER / BIGINT.
    Int,
    /// REAL / DOUBLE PRECISION.
    Real,
}

/// One table: its name and columns, the same in both schemas.
#[derive(Debug)]
pub struct Table {
    /// Name.
    pub name: &'static str,
    /// Columns and their kinds.
    pub columns: &'static [(&'static str, Kind)],
    /// The order rows are copied in (SQLite's `rowid` order for the tables
    /// whose order means something, kept in PostgreSQL's `seq`).
    pub ordered: bool,
    /// The generated number column whose counter follows a copy.
    pub id: Option<&'static str>,
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A real.
    Real(f64),
    /// Text.
    Text(String),
}

use Kind::{Int as I, Real as R, Text as T};

/// Every table of a store, parents before children.
pub const TABLES: &[Table] = &[
    Table {
        name: "area",
        columns: &[
            ("key", T),
            ("code", T),
            ("level", T),
            ("name_vi", T),
            ("name_en", T),
            ("parent", T),
            ("valid_from", T),
            ("valid_to", T),
        ],
        ordered: true,
        id: None,
    },
    Table {
        name: "succession",
        columns: &[
            ("date", T),
            ("kind", T),
            ("from_key", T),
            ("to_key", T),
            ("basis", T),
        ],
        ordered: true,
        id: None,
    },
    Table {
        name: "membership",
        columns: &[
            ("region_key", T),
            ("member_key", T),
            ("valid_from", T),
            ("valid_to", T),
        ],
        ordered: true,
        id: None,
    },
    Table {
        name: "indicator",
        columns: &[
            ("code", T),
            ("name_vi", T),
            ("name_en", T),
            ("unit", T),
            ("time_aggregation", T),
            ("area_aggregation", T),
            ("decimals", I),
            ("scope_note", T),
            ("reporting_unit", T),
            ("dimensions", T),
            ("formula", T),
            ("estimate", T),
        ],
        ordered: true,
        id: None,
    },
    Table {
        name: "code_item",
        columns: &[
            ("list", T),
            ("code", T),
            ("label_vi", T),
            ("label_en", T),
            ("parent", T),
            ("aliases", T),
            ("ord", I),
            ("valid_from", T),
        ],
        ordered: false,
        id: None,
    },
    Table {
        name: "label_map",
        columns: &[
            ("unit", T),
            ("label_key", T),
            ("label", T),
            ("indicator", T),
            ("dims", T),
        ],
        ordered: false,
        id: None,
    },
    Table {
        name: "series",
        columns: &[
            ("id", I),
            ("indicator", T),
            ("area_key", T),
            ("measure", T),
            ("dims", T),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "import",
        columns: &[
            ("id", I),
            ("recorded_at", I),
            ("submitter", T),
            ("origin", T),
            ("sha256", T),
            ("rows", I),
            ("new_vintages", I),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "vintage",
        columns: &[
            ("series_id", I),
            ("period", I),
            ("recorded_at", I),
            ("value", R),
            ("status", T),
            ("source", T),
            ("note", T),
            ("submitter", T),
            ("import_id", I),
        ],
        ordered: false,
        id: None,
    },
    Table {
        name: "audit",
        columns: &[
            ("id", I),
            ("at", I),
            ("actor", T),
            ("action", T),
            ("detail", T),
            ("origin", T),
            ("target", T),
            ("before", T),
            ("after", T),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "account",
        columns: &[
            ("id", I),
            ("name", T),
            ("role", T),
            ("password_hash", T),
            ("created_at", I),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "account_scope",
        columns: &[("account_id", I), ("kind", T), ("code", T)],
        ordered: false,
        id: None,
    },
    Table {
        name: "token",
        columns: &[
            ("id", I),
            ("account_id", I),
            ("sha256", T),
            ("created_at", I),
            ("revoked_at", I),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "form",
        columns: &[
            ("id", I),
            ("code", T),
            ("name", T),
            ("frequency", T),
            ("deadline_day", I),
            ("deadline_offset", I),
            ("created_at", I),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "form_indicator",
        columns: &[("form_id", I), ("indicator", T)],
        ordered: false,
        id: None,
    },
    Table {
        name: "form_unit",
        columns: &[("form_id", I), ("unit", T)],
        ordered: false,
        id: None,
    },
    Table {
        name: "round",
        columns: &[
            ("form_id", I),
            ("unit", T),
            ("period", I),
            ("status", T),
            ("draft", T),
            ("comment", T),
            ("submitted_at", I),
            ("submitted_by", T),
            ("decided_at", I),
            ("decided_by", T),
            ("updated_at", I),
        ],
        ordered: false,
        id: None,
    },
    Table {
        name: "rule",
        columns: &[
            ("id", I),
            ("code", T),
            ("expression", T),
            ("severity", T),
            ("description", T),
            ("active", I),
            ("created_at", I),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "task",
        columns: &[
            ("id", I),
            ("title", T),
            ("document", T),
            ("document_date", T),
            ("unit", T),
            ("deadline", T),
            ("status", T),
            ("progress", I),
            ("indicators", T),
            ("created_at", I),
            ("created_by", T),
            ("updated_at", I),
            ("done_at", I),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "task_note",
        columns: &[
            ("id", I),
            ("task_id", I),
            ("at", I),
            ("author", T),
            ("progress", I),
            ("note", T),
        ],
        ordered: false,
        id: Some("id"),
    },
    Table {
        name: "session",
        columns: &[
            ("sha256", T),
            ("account_id", I),
            ("csrf", T),
            ("created_at", I),
            ("expires_at", I),
            ("ended_at", I),
        ],
        ordered: false,
        id: None,
    },
    Table {
        name: "release",
        columns: &[("id", I), ("at", I), ("by", T), ("note", T)],
        ordered: false,
        id: Some("id"),
    },
];

impl Table {
    /// `"a", "b", …`: quoted, since `by`, `before` and `after` are keywords.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Called with each row of each table, tables in [`TABLES`] order.
pub type RowSink<'a> = &'a mut dyn FnMut(&'static Table, &[Cell]) -> Result<()>;

/// Reading and writing whole tables: what `migrate`, `backup` and `restore`
/// need of a backend.
pub trait Tables {
    /// Calls `sink` with every row of every table, from one consistent
    /// snapshot.
    fn dump(&self, sink: RowSink<'_>) -> Result<()>;
    /// In one transaction: empties every table first if `replace` (the only
    /// way rows ever leave a store), calls `feed` with a sink that writes
    /// rows into this store, sets the id counters past the copied rows, and
    /// commits. An error anywhere writes nothing and removes nothing.
    fn load(
        &mut self,
        replace: bool,
        feed: &mut dyn FnMut(RowSink<'_>) -> Result<()>,
    ) -> Result<()>;
    /// The number of rows of every table, in [`TABLES`] order.
    fn counts(&self) -> Result<Vec<(&'static str, i64)>>;
}

/// What identifies a store's content for a copy: the rows of every table and
/// a SHA-256 over every vintage in (indicator, area, measure, dims, period,
/// recording time) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// Rows by table.
    pub counts: Vec<(&'static str, i64)>,
    /// Vintages hashed.
    pub vintages: u64,
    /// Hex SHA-256.
    pub sha256: String,
}

/// The checksum of every vintage of a store.
pub fn vintage_checksum(store: &dyn Store) -> Result<(u64, String)> {
    let mut h = Sha256::new();
    let n = store.each_observation(&ObsQuery::default(), true, &mut |v| {
        let o = &v.obs;
        h.update(
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{:016x}\t{}\t{}\t{}\t{}\t{}\n",
                o.indicator,
                o.area,
                o.measure.as_str(),
                o.dims,
                o.period.key(),
                v.recorded_at,
                o.value.to_bits(),
                o.status.code(),
                o.source,
                o.note,
                v.submitter,
                v.import_id
            )
            .as_bytes(),
        );
        Ok(())
    })?;
    let sum = h.finalize();
    Ok((n as u64, sum.iter().map(|b| format!("{b:02x}")).collect()))
}

/// [`Checksum`] of a store.
pub fn checksum(store: &dyn Backend) -> Result<Checksum> {
    let counts = store.counts()?;
    let (vintages, sha256) = vintage_checksum(store.as_store())?;
    Ok(Checksum {
        counts,
        vintages,
        sha256,
    })
}

/// Whether a store holds nothing at all (a fresh schema).
pub fn is_empty(t: &dyn Backend) -> Result<bool> {
    Ok(t.counts()?.iter().all(|(_, n)| *n == 0))
}

/// What a copy did.
#[derive(Debug, Clone)]
pub struct CopyReport {
    /// The source's checksum, equal to the target's.
    pub checksum: Checksum,
}

/// Copies every row of `from` into `to`, which must be empty unless
/// `replace` (its rows are then removed in the same transaction), then
/// checks that both have the same rows and vintages. On a mismatch the error
/// says which table or the checksums; the target keeps what was written, for
/// inspection, but a failed write leaves the target as it was.
pub fn copy_store(from: &dyn Backend, to: &mut dyn Backend, replace: bool) -> Result<CopyReport> {
    if !replace && !is_empty(to)? {
        return Err(StoreError::Refused(
            "the target already holds a store; give --force to replace it".into(),
        ));
    }
    let before = checksum(from)?;
    to.load(replace, &mut |sink| from.dump(sink))?;
    let after = checksum(to)?;
    let source = checksum(from)?;
    if source != before {
        return Err(StoreError::Refused(
            "the source changed during the copy (an import?); run it again when it is quiet".into(),
        ));
    }
    verify(&source, &after)?;
    Ok(CopyReport { checksum: after })
}

/// Source and target agree, or an error that says where they differ.
pub fn verify(source: &Checksum, target: &Checksum) -> Result<()> {
    for ((t, a), (_, b)) in source.counts.iter().zip(&target.counts) {
        if a != b {
            return Err(StoreError::Corrupt(format!(
                "table {t}: {a} rows in the source, {b} in the target"
            )));
        }
    }
    if source.sha256 != target.sha256 || source.vintages != target.vintages {
        return Err(StoreError::Corrupt(format!(
            "vintage checksums differ: {} ({} vintages) in the source, {} ({}) in the target",
            source.sha256, source.vintages, target.sha256, target.vintages
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_name_each_column_once_and_ids_exist() {
        for t in TABLES {
            let mut seen = std::collections::HashSet::new();
            assert!(t.columns.iter().all(|(c, _)| seen.insert(*c)), "{}", t.name);
            if let Some(id) = t.id {
                assert!(t.columns.iter().any(|(c, _)| *c == id), "{}", t.name);
            }
        }
        assert_eq!(TABLES[0].column_list().split(", ").next(), Some("\"key\""));
    }
}

//! The small SQL interface the workflow is written once over
//! (`workflow_db.rs`): run a statement, read rows of integers and text,
//! in a transaction or not. Each backend implements it in a few lines;
//! what differs between the dialects is taken care of here, once:
//! statements are written in PostgreSQL's notation (`$1`, `COLLATE "C"` for
//! byte order, `CAST($1 AS TEXT) IS NULL` for an optional filter) and the
//! SQLite side rewrites `$n` to `?n` and drops the collation (SQLite's
//! default order is byte order already).

use postgres::types::{ToSql, Type};
use postgres::GenericClient;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::{PgStore, Result, SqliteStore, StoreError};

/// A value bound to a statement or read from a row: the workflow's tables
/// hold integers and text only (the PostgreSQL schema uses `BIGINT` and
/// `TEXT` to match SQLite's).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for V {
    fn from(v: i64) -> Self {
        V::Int(v)
    }
}

impl From<&str> for V {
    fn from(v: &str) -> Self {
        V::Text(v.to_string())
    }
}

impl From<&String> for V {
    fn from(v: &String) -> Self {
        V::Text(v.clone())
    }
}

impl From<String> for V {
    fn from(v: String) -> Self {
        V::Text(v)
    }
}

impl<T: Into<V>> From<Option<T>> for V {
    fn from(v: Option<T>) -> Self {
        v.map_or(V::Null, Into::into)
    }
}

impl From<&Option<String>> for V {
    fn from(v: &Option<String>) -> Self {
        v.as_deref().into()
    }
}

/// A row read.
pub(crate) struct Row(Vec<V>);

impl Row {
    fn at(&self, i: usize) -> Result<&V> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {i} in the row read")))
    }

    fn wrong(&self, i: usize, want: &str) -> StoreError {
        StoreError::Corrupt(format!(
            "column {i}: expected {want}, found {:?}",
            self.0[i]
        ))
    }

    /// An integer column.
    pub fn int(&self, i: usize) -> Result<i64> {
        match self.at(i)? {
            V::Int(v) => Ok(*v),
            _ => Err(self.wrong(i, "an integer")),
        }
    }

    /// An integer column that may be NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.at(i)? {
            V::Null => Ok(None),
            V::Int(v) => Ok(Some(*v)),
            _ => Err(self.wrong(i, "an integer or NULL")),
        }
    }

    /// A text column.
    pub fn text(&self, i: usize) -> Result<String> {
        match self.at(i)? {
            V::Text(v) => Ok(v.clone()),
            _ => Err(self.wrong(i, "text")),
        }
    }

    /// A text column that may be NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            V::Null => Ok(None),
            V::Text(v) => Ok(Some(v.clone())),
            _ => Err(self.wrong(i, "text or NULL")),
        }
    }
}

/// Statements on one connection (or in one transaction).
pub(crate) trait Sql {
    /// Runs a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[V]) -> Result<u64>;
    /// Every row a query answers.
    fn query(&mut self, sql: &str, args: &[V]) -> Result<Vec<Row>>;
    /// The first row a query answers, if any.
    fn query_opt(&mut self, sql: &str, args: &[V]) -> Result<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }
}

/// A backend the workflow runs on.
pub(crate) trait Db {
    /// Reads (no transaction needed: one statement sees one state).
    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T>;
    /// Writes in one transaction: committed when `f` succeeds, rolled back
    /// when it fails. What `f` reads in it is what it writes over.
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T>;
}

// ---- SQLite

/// SQLite statements on a connection or in a transaction.
pub(crate) struct Lite<'a>(pub(crate) &'a rusqlite::Connection);

/// A statement in SQLite's notation.
fn lite(sql: &str) -> String {
    let sql = sql.replace(" COLLATE \"C\"", "");
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl rusqlite::ToSql for V {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            V::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            V::Int(v) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*v)),
            V::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

impl Sql for Lite<'_> {
    fn exec(&mut self, sql: &str, args: &[V]) -> Result<u64> {
        let n = self
            .0
            .prepare_cached(&lite(sql))?
            .execute(rusqlite::params_from_iter(args))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, args: &[V]) -> Result<Vec<Row>> {
        let mut st = self.0.prepare_cached(&lite(sql))?;
        let n = st.column_count();
        let rows = st
            .query_map(rusqlite::params_from_iter(args), |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            ValueRef::Null => V::Null,
                            ValueRef::Integer(v) => V::Int(v),
                            ValueRef::Text(t) => V::Text(String::from_utf8_lossy(t).into_owned()),
                            ValueRef::Real(_) | ValueRef::Blob(_) => {
                                return Err(rusqlite::Error::InvalidColumnType(
                                    i,
                                    format!("column {i}"),
                                    r.get_ref(i)?.data_type(),
                                ))
                            }
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(Row)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

impl Db for SqliteStore {
    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        f(&mut Lite(&self.conn))
    }

    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        // IMMEDIATE: the write lock is taken first, so what the transaction
        // reads cannot be changed by another process before it writes
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&mut Lite(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

// ---- PostgreSQL

/// PostgreSQL statements on a client or in a transaction.
pub(crate) struct Pg<'a, C: GenericClient>(pub(crate) &'a mut C);

/// The arguments typed as the statement's parameters are (a NULL needs
/// the type of its parameter).
fn bind(types: &[Type], args: &[V]) -> Result<Vec<Box<dyn ToSql + Sync>>> {
    if types.len() != args.len() {
        return Err(StoreError::Corrupt(format!(
            "{} arguments for {} parameters",
            args.len(),
            types.len()
        )));
    }
    types
        .iter()
        .zip(args)
        .map(|(t, v)| -> Result<Box<dyn ToSql + Sync>> {
            Ok(match v {
                V::Null if *t == Type::INT8 => Box::new(None::<i64>),
                V::Null if *t == Type::INT4 => Box::new(None::<i32>),
                V::Null => Box::new(None::<String>),
                V::Int(i) if *t == Type::INT4 => Box::new(
                    i32::try_from(*i)
                        .map_err(|_| StoreError::Refused(format!("{i} is out of range")))?,
                ),
                V::Int(i) => Box::new(*i),
                V::Text(s) => Box::new(s.clone()),
            })
        })
        .collect()
}

fn pg_value(r: &postgres::Row, i: usize) -> Result<V> {
    let t = r.columns()[i].type_();
    Ok(if *t == Type::INT8 {
        r.get::<_, Option<i64>>(i).map_or(V::Null, V::Int)
    } else if *t == Type::INT4 {
        r.get::<_, Option<i32>>(i)
            .map_or(V::Null, |v| V::Int(v.into()))
    } else if *t == Type::INT2 {
        r.get::<_, Option<i16>>(i)
            .map_or(V::Null, |v| V::Int(v.into()))
    } else if *t == Type::BOOL {
        r.get::<_, Option<bool>>(i)
            .map_or(V::Null, |v| V::Int(v.into()))
    } else if [Type::TEXT, Type::VARCHAR, Type::NAME, Type::BPCHAR].contains(t) {
        r.get::<_, Option<String>>(i).map_or(V::Null, V::Text)
    } else {
        return Err(StoreError::Corrupt(format!(
            "column {} is {t}: the workflow reads integers and text",
            r.columns()[i].name()
        )));
    })
}

impl<C: GenericClient> Sql for Pg<'_, C> {
    fn exec(&mut self, sql: &str, args: &[V]) -> Result<u64> {
        let st = self.0.prepare(sql)?;
        let bound = bind(st.params(), args)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        Ok(self.0.execute(&st, &refs)?)
    }

    fn query(&mut self, sql: &str, args: &[V]) -> Result<Vec<Row>> {
        let st = self.0.prepare(sql)?;
        let bound = bind(st.params(), args)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        self.0
            .query(&st, &refs)?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| pg_value(r, i))
                    .collect::<Result<_>>()
                    .map(Row)
            })
            .collect()
    }
}

impl Db for PgStore {
    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        self.with(|c| f(&mut Pg(c)))
    }

    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let out = f(&mut Pg(&mut tx))?;
            tx.commit()?;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::lite;

    #[test]
    fn statements_are_rewritten_for_sqlite() {
        assert_eq!(
            lite("SELECT a FROM t WHERE x = $1 AND y = $12 ORDER BY a COLLATE \"C\""),
            "SELECT a FROM t WHERE x = ?1 AND y = ?12 ORDER BY a"
        );
        assert_eq!(lite("SELECT '$' || \"by\""), "SELECT '$' || \"by\"");
    }
}

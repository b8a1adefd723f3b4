//! `solieu migrate`, `backup` and `restore`: a whole store copied to another
//! place (a data directory, a PostgreSQL database, a backup file), verified
//! by row counts and a checksum of every vintage on both sides.
//!
//! A file target is written beside its final name and renamed into place
//! only once verified, so a failed copy leaves the old store (or nothing);
//! a PostgreSQL target is written in one transaction.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use solieu_store::copy::{copy_store, is_empty, Checksum};
use solieu_store::{Backend, Location, PgStore, SqliteStore};

/// The database file of a data directory.
const DB_FILE: &str = "solieu.db";

/// Where a copy comes from: a data directory, a store file (a backup) or a
/// PostgreSQL database.
pub fn open_source(spec: &str) -> Result<Box<dyn Backend>> {
    let loc = Location::parse(spec);
    match &loc {
        Location::Dir(p) if p.is_file() => Ok(Box::new(
            SqliteStore::open_file(p).with_context(|| format!("opening {}", p.display()))?,
        )),
        _ => loc
            .open()
            .with_context(|| format!("opening the store in {loc}")),
    }
}

/// A file copy is written here first: beside the target, renamed over it
/// when verified.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".partial-{}", std::process::id()));
    path.with_file_name(name)
}

fn remove_sqlite_files(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("removing {}", Path::new(&p).display()))
            }
        }
    }
    Ok(())
}

/// Copies `from` into the SQLite file `db` (a data directory's store or a
/// backup): a new file beside it, verified, renamed into place.
fn copy_to_file(from: &dyn Backend, db: &Path, force: bool) -> Result<Checksum> {
    if db.exists() && !force {
        // a store with nothing in it may be filled; anything else needs --force
        let empty = SqliteStore::open_file(db).and_then(|s| is_empty(&s));
        if !matches!(empty, Ok(true)) {
            bail!(
                "{} already holds a store (or another file); give --force to replace it",
                db.display()
            );
        }
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = partial(db);
    remove_sqlite_files(&tmp)?;
    let result = (|| -> Result<Checksum> {
        let mut target = SqliteStore::blank_file(&tmp)?;
        let report = copy_store(from, &mut target, false)?;
        drop(target); // closed: its write-ahead log folded into the file
        Ok(report.checksum)
    })();
    match result {
        Ok(sum) => {
            // the old store's log must not be replayed into the new file
            remove_sqlite_files(db)?;
            std::fs::rename(&tmp, db)
                .with_context(|| format!("moving the copy into place as {}", db.display()))?;
            Ok(sum)
        }
        Err(e) => {
            let _ = remove_sqlite_files(&tmp);
            Err(e)
        }
    }
}

/// Copies the store `from` to `to`; `force` replaces a store already there.
pub fn copy_to(from: &dyn Backend, to: &Location, force: bool) -> Result<Checksum> {
    match to {
        Location::Dir(dir) => copy_to_file(from, &dir.join(DB_FILE), force),
        Location::Postgres(url) => {
            let mut target =
                PgStore::connect_and_migrate(url).with_context(|| format!("connecting to {to}"))?;
            if !force && !is_empty(&target)? {
                bail!("{to} already holds a store; give --force to replace it");
            }
            Ok(copy_store(from, &mut target, force)?.checksum)
        }
    }
}

/// A backup: the whole store in one SQLite store file (which `restore`, or
/// `--data` with the file renamed `solieu.db`, reads).
pub fn backup(from: &dyn Backend, file: &Path) -> Result<Checksum> {
    if file.exists() {
        bail!("{} exists; a backup never overwrites", file.display());
    }
    copy_to_file(from, file, false)
}

/// One line for people: "N vintages, M imports, checksum …".
pub fn describe(sum: &Checksum) -> String {
    let n = |t: &str| sum.counts.iter().find(|c| c.0 == t).map_or(0, |c| c.1);
    format!(
        "{} vintages in {} imports, {} accounts, {} audit entries; vintage checksum sha256:{}",
        sum.vintages,
        n("import"),
        n("account"),
        n("audit"),
        sum.sha256
    )
}

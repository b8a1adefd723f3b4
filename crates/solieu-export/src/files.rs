//! Files written whole or not at all.

use std::path::Path;

use anyhow::{Context, Result};

/// Writes a file through a temporary one and a rename, so that a failure
/// leaves no half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("partial.{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes a file through `write`, into a temporary file renamed into place
/// when `write` succeeds: a failure leaves no half file.
pub fn write_file_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut (dyn std::io::Write + Send)) -> Result<T>,
) -> Result<T> {
    let tmp = path.with_extension(format!("partial.{}", std::process::id()));
    let done = (|| -> Result<T> {
        let f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        let t = write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(t)
    })();
    match done {
        Ok(t) => {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(t)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.context(format!("cannot write {}", path.display())))
        }
    }
}

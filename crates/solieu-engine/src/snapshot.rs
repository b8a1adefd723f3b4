//! A binary copy of the cube beside the store, so that a server starts in
//! seconds instead of scanning every vintage. It holds stored vintages only
//! (no derived figure), and it is used only when its fingerprint equals the
//! store's (same last import, same recording time, same counts); otherwise
//! the engine is loaded from the store and the snapshot rewritten.

use std::io::{self, Read, Write};

/// Little-endian writer helpers.
pub(crate) struct Out<W: Write>(pub W);

impl<W: Write> Out<W> {
    pub fn u8(&mut self, v: u8) -> io::Result<()> {
        self.0.write_all(&[v])
    }
    pub fn u32(&mut self, v: u32) -> io::Result<()> {
        self.0.write_all(&v.to_le_bytes())
    }
    pub fn u64(&mut self, v: u64) -> io::Result<()> {
        self.0.write_all(&v.to_le_bytes())
    }
    pub fn i64(&mut self, v: i64) -> io::Result<()> {
        self.0.write_all(&v.to_le_bytes())
    }
    pub fn f64(&mut self, v: f64) -> io::Result<()> {
        self.0.write_all(&v.to_le_bytes())
    }
    pub fn str(&mut self, s: &str) -> io::Result<()> {
        self.u64(s.len() as u64)?;
        self.0.write_all(s.as_bytes())
    }
    pub fn u32s(&mut self, v: &[u32]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        v.iter().try_for_each(|x| self.u32(*x))
    }
    pub fn f64s(&mut self, v: &[f64]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        v.iter().try_for_each(|x| self.f64(*x))
    }
    pub fn i64s(&mut self, v: &[i64]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        v.iter().try_for_each(|x| self.i64(*x))
    }
    pub fn bytes(&mut self, v: &[u8]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        self.0.write_all(v)
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("snapshot: {what}"))
}

/// Reads what [`Out`] wrote, checking every length against the data.
pub(crate) struct In<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> In<'a> {
    pub fn new(data: &'a [u8]) -> In<'a> {
        In { data, pos: 0 }
    }
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or_else(|| bad("truncated"))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("length checked"))
    }
    pub fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    pub fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    pub fn i64(&mut self) -> io::Result<i64> {
        Ok(i64::from_le_bytes(self.arr()?))
    }
    pub fn f64(&mut self) -> io::Result<f64> {
        Ok(f64::from_le_bytes(self.arr()?))
    }
    fn len(&mut self, width: usize) -> io::Result<usize> {
        let n = usize::try_from(self.u64()?).map_err(|_| bad("length"))?;
        if n.checked_mul(width)
            .is_none_or(|b| b > self.data.len() - self.pos)
        {
            return Err(bad("length beyond the end"));
        }
        Ok(n)
    }
    pub fn str(&mut self) -> io::Result<String> {
        let n = self.len(1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| bad("text"))
    }
    /// A length-prefixed array of fixed-width little-endian values.
    fn array<const N: usize, T>(&mut self, from: fn([u8; N]) -> T) -> io::Result<Vec<T>> {
        let n = self.len(N)?;
        Ok(self
            .take(n * N)?
            .chunks_exact(N)
            .map(|c| from(c.try_into().expect("N bytes")))
            .collect())
    }
    pub fn u32s(&mut self) -> io::Result<Vec<u32>> {
        self.array(u32::from_le_bytes)
    }
    pub fn f64s(&mut self) -> io::Result<Vec<f64>> {
        self.array(f64::from_le_bytes)
    }
    pub fn i64s(&mut self) -> io::Result<Vec<i64>> {
        self.array(i64::from_le_bytes)
    }
    pub fn bytes(&mut self) -> io::Result<Vec<u8>> {
        let n = self.len(1)?;
        Ok(self.take(n)?.to_vec())
    }
    pub fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }
}

/// Reads a whole file.
pub(crate) fn read_all(path: &std::path::Path) -> io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = Vec::with_capacity(f.metadata().map_or(0, |m| m.len() as usize));
    f.read_to_end(&mut buf)?;
    Ok(buf)
}

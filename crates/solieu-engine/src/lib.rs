//! The derived-figure engine: every measure leaders read (cumulative, month
//! on month, year on year, % of plan, regional totals, share and rank, on the
//! comparable basis across boundary changes), computed on demand from an
//! in-memory index of every vintage, so that a figure is never stale and can
//! be asked as of any time.
//!
//! There is no cache of derived figures: the [`Cube`] holds the stored
//! vintages only (21 bytes each), and [`Engine::apply`] adds a committed
//! import to it by the store's own rule, so a figure asked after a commit
//! reflects it. `tests/oracle.rs` checks every measure against a naive
//! recomputation from the raw vintages.
#![warn(missing_docs)]

pub mod cube;
mod eval;
pub mod formula;
mod model;
pub mod rules;
mod snapshot;

pub use cube::{Cell, Cube, SeriesKey, SeriesRef};
pub use eval::{Basis, Derived, Figure, Flags, Input, Options, Prefer, Why};
pub use model::{Engine, EngineError, Query};

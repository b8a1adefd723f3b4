//! The solieu application layer: every use case that the command line and
//! the HTTP server share (imports and submissions, derived figures, the
//! report, validation rules, accounts, reporting-round locks,
//! migrate/backup/restore, the demo data set), over the store, the engine
//! and the report crates. No HTTP, no SQL, no command-line parsing.

pub mod accounts;
pub mod demo;
pub mod error;
pub mod figures;
pub mod forms;
pub mod locks;
pub mod pull;
pub mod relocate;
pub mod reports;
pub mod rounds;
pub mod rules;
pub mod scope;
pub mod service;
pub mod submit;
pub mod timefmt;

pub use error::{Code, Detail, Error};

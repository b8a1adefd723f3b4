//! The solieu application: use cases shared by the CLI (and, later, the
//! HTTP server), the demo data set, and time formatting.

pub mod accounts;
pub mod demo;
pub mod exports;
pub mod figures;
pub mod locks;
pub mod parquet_out;
pub mod relocate;
pub mod reports;
pub mod rules;
pub mod sdmx;
pub mod sdmx_json;
pub mod server;
pub mod service;
pub mod timefmt;

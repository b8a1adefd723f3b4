//! The integration tests of the real `solieu` binary, in one test binary
//! (each binary links the whole program, typesetter included: one link
//! instead of five). `pg_restart` keeps a binary of its own: it restarts
//! the PostgreSQL cluster that the tests here use.

mod browser;
mod cli;
mod crash;
mod nodes;
#[path = "../pg/mod.rs"]
mod pg;
mod server;

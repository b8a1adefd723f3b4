//! `solieu serve`

use std::process::ExitCode;

use anyhow::{Context, Result};
use solieu_store::Location;

use super::{Ctx, ENGINE_SNAPSHOT};

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Who reads without an account: the data as of the latest release
    /// (`published`), nothing, or everything (a closed network).
    #[arg(long, value_enum, default_value = "published")]
    public: solieu_server::Public,
    /// Requests per second per token, session or address (0: no limit).
    #[arg(long, default_value_t = 100)]
    rate_limit: u32,
    /// Send the session cookie without `Secure`, for plain-HTTP intranets
    /// (browsers then send it over unencrypted connections).
    #[arg(long)]
    insecure_cookies: bool,
    /// Seconds a client has to send a request's head (request line and
    /// headers); slower connections are closed (slow-loris clients).
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<ExitCode> {
    if matches!(ctx.loc, Location::Postgres(_)) {
        // the node's own engine snapshot: a fast restart when the database has not changed
        std::fs::create_dir_all(&ctx.data)
            .with_context(|| format!("creating {}", ctx.data.display()))?;
    }
    solieu_server::serve(solieu_server::Config {
        store: ctx.loc.clone(),
        snapshot: ctx.data.join(ENGINE_SNAPSHOT),
        addr: a.addr,
        public: a.public,
        rate: a.rate_limit,
        secure_cookies: !a.insecure_cookies,
        header_timeout: std::time::Duration::from_secs(a.header_timeout.max(1)),
    })?;
    Ok(ExitCode::SUCCESS)
}

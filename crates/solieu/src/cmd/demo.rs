//! `solieu demo`

use std::process::ExitCode;

use anyhow::Result;
use solieu_store::Location;

use super::Ctx;

pub fn run(ctx: &Ctx) -> Result<ExitCode> {
    let loc = &ctx.loc;
    let mut store = loc.create()?;
    match solieu_app::demo::load(&mut *store)? {
        Some(report) => println!("{report}"),
        None => {
            println!("the store in {loc} already holds observations; demo data not loaded again")
        }
    }
    let at = match loc {
        Location::Dir(d) => format!("--data {}", d.display()),
        Location::Postgres(_) => format!("--database {loc}"),
    };
    println!("next: solieu {at} query --indicator RETAIL_GOODS --area 79 --period 2020-01/2020-10");
    println!("  or: solieu {at} serve   (then open http://127.0.0.1:8080/)");
    Ok(ExitCode::SUCCESS)
}

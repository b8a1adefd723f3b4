//! A reporter's scope: which areas and indicators an account may write.
//! Every write path asks here (the API, the pages, form submits).

use solieu_model::Observation;
use solieu_store::{Account, Role};

/// Whether the account may write for `unit` (an area code) the indicators
/// given (empty: any).
pub fn may_write(account: &Account, unit: &str, indicators: &[String]) -> bool {
    match account.role {
        Role::Admin | Role::Analyst => true,
        Role::Viewer => false,
        Role::Reporter => {
            if account.areas.is_empty() && account.indicators.is_empty() {
                return false;
            }
            let area_ok = account.areas.is_empty() || account.areas.iter().any(|a| a == unit);
            let ind_ok = account.indicators.is_empty()
                || indicators.iter().all(|i| account.indicators.contains(i));
            area_ok && ind_ok
        }
    }
}

/// What an account may not write among these observations (empty: all allowed).
pub fn out_of_scope(account: &Account, obs: &[Observation]) -> Vec<String> {
    match account.role {
        Role::Admin | Role::Analyst => vec![],
        Role::Viewer => vec![format!(
            "account {} is a viewer and writes nothing",
            account.name
        )],
        Role::Reporter => {
            if account.areas.is_empty() && account.indicators.is_empty() {
                return vec![format!(
                    "reporter {} has no scope to write in",
                    account.name
                )];
            }
            let mut out: Vec<String> = obs
                .iter()
                .filter(|o| {
                    let code = o.area.split('@').next().unwrap_or(&o.area);
                    !may_write(account, code, std::slice::from_ref(&o.indicator))
                })
                .map(|o| {
                    format!(
                        "{} {} {}: outside the scope of reporter {}",
                        o.indicator, o.area, o.period, account.name
                    )
                })
                .collect();
            out.dedup();
            out.truncate(100);
            out
        }
    }
}

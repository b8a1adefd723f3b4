//! Closed reporting rounds: which figures fall in a locked round, so that
//! every write path (the CLI's imports as well as the API) refuses them
//! unless an admin overrides, and says so in the audit log.

use std::collections::HashSet;

use anyhow::Result;
use solieu_model::{Frequency, Observation, Period};
use solieu_store::{Form, RoundStatus, Workflow};

/// The round period of a form that a figure's period falls in (a
/// year-to-date figure to month M belongs to month M's round).
pub fn round_period(form: &Form, p: Period) -> Option<Period> {
    match p {
        Period::Cumulative(y, m) if form.frequency == Frequency::Month => Some(Period::Month(y, m)),
        p if form.covers(p) => Some(p),
        _ => None,
    }
}

/// The rounds (form, unit, period) an observation falls in.
pub fn rounds_of<'f>(
    forms: &'f [Form],
    o: &Observation,
) -> impl Iterator<Item = (&'f str, String, Period)> + 'f {
    let unit = o.area.split('@').next().unwrap_or(&o.area).to_string();
    let indicator = o.indicator.clone();
    let period = o.period;
    forms.iter().filter_map(move |f| {
        (f.indicators.contains(&indicator) && f.units.contains(&unit))
            .then(|| round_period(f, period).map(|p| (f.code.as_str(), unit.clone(), p)))
            .flatten()
    })
}

/// The locked rounds of a store.
#[derive(Debug, Default)]
pub struct Locks {
    forms: Vec<Form>,
    locked: HashSet<(String, String, Period)>,
}

impl Locks {
    /// Reads the forms and the locked rounds.
    pub fn load(store: &dyn Workflow) -> Result<Locks> {
        let forms = store.forms()?;
        let locked = store
            .rounds(None, i64::MIN, i64::MAX)?
            .into_iter()
            .filter(|r| r.status == RoundStatus::Locked)
            .map(|r| (r.form, r.unit, r.period))
            .collect();
        Ok(Locks { forms, locked })
    }

    /// The locked rounds these observations fall in, as `FORM/UNIT/PERIOD`.
    pub fn hits(&self, obs: &[Observation]) -> Vec<String> {
        if self.locked.is_empty() {
            return vec![];
        }
        let mut out: Vec<String> = vec![];
        for o in obs {
            for (f, u, p) in rounds_of(&self.forms, o) {
                if self.locked.contains(&(f.to_string(), u.clone(), p)) {
                    let s = format!("{f}/{u}/{p}");
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        }
        out
    }
}

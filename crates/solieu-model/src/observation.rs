//! Observations and their vintages.

use std::fmt;

use crate::period::Period;

/// What a stored figure measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// The level in the indicator's unit.
    Level,
    /// Reported growth over the same period of the previous year, in %.
    YoyPct,
    /// Reported growth over the previous month, in %.
    MomPct,
    /// Reported share of the annual plan reached, in %.
    PlanPct,
    /// The plan level (kế hoạch / dự toán năm).
    Plan,
    /// The planned growth rate, in %.
    PlanYoyPct,
}

impl Measure {
    /// All measures, in display order.
    pub const ALL: [Measure; 6] = [
        Measure::Level,
        Measure::YoyPct,
        Measure::MomPct,
        Measure::PlanPct,
        Measure::Plan,
        Measure::PlanYoyPct,
    ];

    /// Name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Level => "level",
            Measure::YoyPct => "yoy_pct",
            Measure::MomPct => "mom_pct",
            Measure::PlanPct => "plan_pct",
            Measure::Plan => "plan",
            Measure::PlanYoyPct => "plan_yoy_pct",
        }
    }

    /// Parses [`Measure::as_str`] (also `pct_of_plan`).
    pub fn parse(s: &str) -> Option<Measure> {
        Some(match s.trim() {
            "" | "level" => Measure::Level,
            "yoy_pct" => Measure::YoyPct,
            "mom_pct" => Measure::MomPct,
            "plan_pct" | "pct_of_plan" => Measure::PlanPct,
            "plan" => Measure::Plan,
            "plan_yoy_pct" => Measure::PlanYoyPct,
            _ => return None,
        })
    }

    /// Whether the value is in the indicator's unit (else in %).
    pub fn in_indicator_unit(self) -> bool {
        matches!(self, Measure::Level | Measure::Plan)
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Publication status, with SDMX OBS_STATUS codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Ước tính (E).
    Estimate,
    /// Sơ bộ (P).
    Preliminary,
    /// Chính thức (A).
    Final,
}

impl Status {
    /// SDMX code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Estimate => "E",
            Status::Preliminary => "P",
            Status::Final => "A",
        }
    }

    /// Vietnamese word.
    pub fn name_vi(self) -> &'static str {
        match self {
            Status::Estimate => "ước tính",
            Status::Preliminary => "sơ bộ",
            Status::Final => "chính thức",
        }
    }

    /// Parses a code (`E`, `P`, `A`), an English word or a Vietnamese word.
    pub fn parse(s: &str) -> Option<Status> {
        // the stored codes, without folding (every stored row passes here)
        match s {
            "A" => return Some(Status::Final),
            "E" => return Some(Status::Estimate),
            "P" => return Some(Status::Preliminary),
            _ => {}
        }
        let f = crate::text::fold(s);
        Some(match f.as_str() {
            "" | "a" | "final" | "chinh thuc" | "thuc hien" => Status::Final,
            "e" | "estimate" | "uoc tinh" | "uoc" | "uoc thuc hien" | "uoc dat" => Status::Estimate,
            "p" | "preliminary" | "so bo" => Status::Preliminary,
            _ => return None,
        })
    }

    /// The least final of two statuses: a figure computed from an estimate is an estimate.
    pub fn weakest(self, other: Status) -> Status {
        self.min(other)
    }
}

/// Disaggregation codes of one observation, in the indicator's dimension
/// order, as `NAME=code` pairs joined by `;` (empty for none).
pub type Dims = String;

/// One observation ready to store: resolved, validated, in the indicator's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Indicator code.
    pub indicator: String,
    /// Area key (a version, not a bare code).
    pub area: String,
    /// Period.
    pub period: Period,
    /// Measure.
    pub measure: Measure,
    /// Dimension codes.
    pub dims: Dims,
    /// Value in the indicator's unit (or % for growth measures).
    pub value: f64,
    /// Status.
    pub status: Status,
    /// Source agency or document.
    pub source: String,
    /// Free note.
    pub note: String,
}

/// A stored vintage: an observation and when, by whom and through which
/// import it was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Vintage {
    /// The observation.
    pub obs: Observation,
    /// Time of recording, microseconds since the Unix epoch (UTC).
    pub recorded_at: i64,
    /// Who submitted it.
    pub submitter: String,
    /// Import batch number.
    pub import_id: i64,
}

/// What a committed observation does to its key: the one rule of vintages,
/// applied by both store backends on commit and by the engine on apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The key's first vintage.
    First,
    /// The same value, status, source and note as the latest vintage: no
    /// new vintage.
    Unchanged,
    /// A new vintage over a different latest one.
    Revision,
}

/// The latest vintage of a key, as the rule needs it.
#[derive(Debug, Clone, Copy)]
pub struct Latest {
    /// When it was recorded (µs).
    pub recorded_at: i64,
    /// Whether value, status, source and note equal the new observation's
    /// (see [`Observation::same_as`]; the engine compares interned texts).
    pub same: bool,
}

/// Decides what an observation recorded at `at` does to its key, whose
/// latest vintage is `latest`: unchanged adds nothing; a change is a
/// revision, refused when the batch's time is not after the latest
/// vintage's (a back-dated import over a later figure). `at` is `None` for
/// an import already committed (the engine applying it).
pub fn decide(
    latest: Option<Latest>,
    o: &Observation,
    at: Option<i64>,
) -> Result<Decision, String> {
    let Some(l) = latest else {
        return Ok(Decision::First);
    };
    if l.same {
        return Ok(Decision::Unchanged);
    }
    match at {
        Some(at) if l.recorded_at >= at => Err(format!(
            "{} {} {} {}: a vintage recorded at {} already exists, not before the batch's time {}",
            o.indicator, o.area, o.period, o.measure, l.recorded_at, at
        )),
        _ => Ok(Decision::Revision),
    }
}

impl Observation {
    /// Whether a stored vintage's content (value to the bit, status code,
    /// source, note) is this observation's.
    pub fn same_as(&self, value: f64, status_code: &str, source: &str, note: &str) -> bool {
        value.to_bits() == self.value.to_bits()
            && status_code == self.status.code()
            && source == self.source
            && note == self.note
    }
}

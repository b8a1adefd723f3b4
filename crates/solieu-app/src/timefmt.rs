//! Times as users write them. Vintages are stored in µs since the epoch
//! (UTC); users think in Vietnam time (UTC+07:00, no daylight saving).

use anyhow::{bail, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("valid offset")
}

/// Parses an `--as-of` value: a day `2020-11-15` means the end of that day
/// in Vietnam time; otherwise an RFC 3339 time (`2020-11-15T09:00:00+07:00`).
pub fn parse_as_of(s: &str) -> Result<i64> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let end = d
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .expect("valid time");
        let Some(t) = vietnam().from_local_datetime(&end).single() else {
            bail!("--as-of {s}: not a valid day")
        };
        return Ok(t.timestamp_micros());
    }
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Ok(t.timestamp_micros()),
        Err(_) => bail!("--as-of '{s}': expected a day (2020-11-15) or an RFC 3339 time (2020-11-15T09:00:00+07:00)"),
    }
}

/// The day in Vietnam of a stored time.
pub fn vietnam_day(micros: i64) -> NaiveDate {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.with_timezone(&vietnam()).date_naive())
        .unwrap_or_default()
}

/// A stored time as people read it, in Vietnam time: "13:16 ngày
/// 07/12/2026" (`vi`), "13:16, 07/12/2026" (otherwise). Files and the API
/// keep RFC 3339 ([`format_micros`]).
pub fn for_people(us: i64, vi: bool) -> String {
    match vietnam().timestamp_micros(us).single() {
        Some(t) if vi => t.format("%H:%M ngày %d/%m/%Y").to_string(),
        Some(t) => t.format("%H:%M, %d/%m/%Y").to_string(),
        None => us.to_string(),
    }
}

/// Formats a stored time in Vietnam time, RFC 3339.
pub fn format_micros(us: i64) -> String {
    match vietnam().timestamp_micros(us).single() {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => us.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_for_people_are_in_vietnam_time() {
        let us = parse_as_of("2026-12-07T06:16:00Z").unwrap();
        assert_eq!(for_people(us, true), "13:16 ngày 07/12/2026");
        assert_eq!(for_people(us, false), "13:16, 07/12/2026");
    }

    #[test]
    fn day_is_end_of_day_in_vietnam() {
        let t = parse_as_of("2020-11-15").unwrap();
        assert_eq!(format_micros(t), "2020-11-15T23:59:59+07:00");
        assert_eq!(
            parse_as_of("2020-11-15T09:00:00+07:00").unwrap() + 1,
            parse_as_of("2020-11-15T02:00:00.000001Z").unwrap()
        );
        assert!(parse_as_of("yesterday").is_err());
    }
}

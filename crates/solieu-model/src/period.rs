//! Reporting periods: year, half-year, quarter, month, the cumulative
//! period from January ("lũy kế", "10 tháng") and a span of years (the
//! five-year plan, "giai đoạn 2021–2025").

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// The first and last years a period may name. Figures outside this range are
/// typing errors (`0000-01`, `20200-01`), not statistics.
pub const MIN_YEAR: i32 = 1900;
/// See [`MIN_YEAR`].
pub const MAX_YEAR: i32 = 2200;

/// A reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// A calendar year: `2020`.
    Year(i32),
    /// A half-year, 1 or 2: `2020-S1`.
    Half(i32, u8),
    /// A quarter, 1 to 4: `2020-Q3`.
    Quarter(i32, u8),
    /// A month, 1 to 12: `2020-10`.
    Month(i32, u8),
    /// January to the given month of the year: `2020-01/2020-10` ("10 tháng").
    Cumulative(i32, u8),
    /// The years from its first to its last, given as the last year and
    /// the number of years (2–20): `2021/2025` is `Span(2025, 5)`.
    Span(i32, u8),
}

/// Why a period string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid period '{text}': {reason}; expected 2020, 2020-S1, 2020-Q3, 2020-10, 2020-M10, 2020-01/2020-10 or 2021/2025")]
pub struct PeriodError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The kind of a period, without its year and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Annual.
    Year,
    /// Half-yearly.
    Half,
    /// Quarterly.
    Quarter,
    /// Monthly.
    Month,
    /// Cumulative from January.
    Cumulative,
    /// Several years.
    Span,
}

impl Period {
    /// The year of the period.
    pub fn year(self) -> i32 {
        match self {
            Period::Year(y)
            | Period::Half(y, _)
            | Period::Quarter(y, _)
            | Period::Month(y, _)
            | Period::Cumulative(y, _)
            | Period::Span(y, _) => y,
        }
    }

    /// The first year of the period (of a span: its first; else its year).
    pub fn first_year(self) -> i32 {
        match self {
            Period::Span(y, n) => y - i32::from(n) + 1,
            p => p.year(),
        }
    }

    /// The kind of the period.
    pub fn frequency(self) -> Frequency {
        match self {
            Period::Year(_) => Frequency::Year,
            Period::Half(..) => Frequency::Half,
            Period::Quarter(..) => Frequency::Quarter,
            Period::Month(..) => Frequency::Month,
            Period::Cumulative(..) => Frequency::Cumulative,
            Period::Span(..) => Frequency::Span,
        }
    }

    /// First and last month (1–12) covered (of a span: of its last year).
    pub fn months(self) -> (u8, u8) {
        match self {
            Period::Year(_) | Period::Span(..) => (1, 12),
            Period::Half(_, h) => (6 * h - 5, 6 * h),
            Period::Quarter(_, q) => (3 * q - 2, 3 * q),
            Period::Month(_, m) => (m, m),
            Period::Cumulative(_, m) => (1, m),
        }
    }

    /// First day covered.
    pub fn start_date(self) -> NaiveDate {
        let (first, _) = self.months();
        NaiveDate::from_ymd_opt(self.first_year(), u32::from(first), 1).expect("validated period")
    }

    /// Last day covered.
    pub fn end_date(self) -> NaiveDate {
        let (_, last) = self.months();
        let (y, m) = if last == 12 {
            (self.year() + 1, 1)
        } else {
            (self.year(), u32::from(last) + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .expect("validated period")
            .pred_opt()
            .expect("not the first day ever")
    }

    /// The same period one year earlier ("cùng kỳ").
    pub fn previous_year(self) -> Period {
        self.shift_years(-1)
    }

    /// The same period `n` years later (negative: earlier).
    pub fn shift_years(self, n: i32) -> Period {
        match self {
            Period::Year(y) => Period::Year(y + n),
            Period::Half(y, h) => Period::Half(y + n, h),
            Period::Quarter(y, q) => Period::Quarter(y + n, q),
            Period::Month(y, m) => Period::Month(y + n, m),
            Period::Cumulative(y, m) => Period::Cumulative(y + n, m),
            Period::Span(y, k) => Period::Span(y + n, k),
        }
    }

    /// A compact integer that sorts like the periods of one kind and
    /// round-trips through [`Period::from_key`]; used as the storage key.
    pub fn key(self) -> i64 {
        let (kind, n) = match self {
            Period::Year(_) => (1, 0),
            Period::Half(_, h) => (2, h),
            Period::Quarter(_, q) => (3, q),
            Period::Month(_, m) => (4, m),
            Period::Cumulative(_, m) => (5, m),
            Period::Span(_, n) => (6, n),
        };
        i64::from(self.year()) * 1000 + kind * 100 + i64::from(n)
    }

    /// Inverse of [`Period::key`].
    pub fn from_key(key: i64) -> Option<Period> {
        let year = i32::try_from(key.div_euclid(1000)).ok()?;
        let rest = key.rem_euclid(1000);
        let (kind, n) = (rest / 100, u8::try_from(rest % 100).ok()?);
        let p = match kind {
            1 if n == 0 => Period::Year(year),
            2 => Period::Half(year, n),
            3 => Period::Quarter(year, n),
            4 => Period::Month(year, n),
            5 => Period::Cumulative(year, n),
            6 => Period::Span(year, n),
            _ => return None,
        };
        p.validate().ok()?;
        Some(p)
    }

    fn validate(self) -> Result<Self, String> {
        let y = self.year();
        if !(MIN_YEAR..=MAX_YEAR).contains(&y)
            || !(MIN_YEAR..=MAX_YEAR).contains(&self.first_year())
        {
            return Err(format!("year {y} is outside {MIN_YEAR}–{MAX_YEAR}"));
        }
        let ok = match self {
            Period::Year(_) => true,
            Period::Half(_, h) => (1..=2).contains(&h),
            Period::Quarter(_, q) => (1..=4).contains(&q),
            Period::Month(_, m) | Period::Cumulative(_, m) => (1..=12).contains(&m),
            Period::Span(_, n) => (2..=20).contains(&n),
        };
        if ok {
            Ok(self)
        } else {
            Err("number out of range".into())
        }
    }

    /// Parses a period as written in the canonical CSV.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let t = text.trim();
        let err = |reason: &str| PeriodError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        if t.is_empty() {
            return Err(err("empty"));
        }
        if let Some((a, b)) = t.split_once('/') {
            let from = parse_simple(a).map_err(|r| err(&r))?;
            let to = parse_simple(b).map_err(|r| err(&r))?;
            return match (from, to) {
                (Period::Month(y1, 1), Period::Month(y2, m)) if y1 == y2 => {
                    Ok(Period::Cumulative(y2, m))
                }
                (Period::Month(_, 1), Period::Month(..)) => Err(err(
                    "a cumulative period must start and end in the same year",
                )),
                (Period::Month(..), Period::Month(..)) => {
                    Err(err("a cumulative period must start in January (01)"))
                }
                (Period::Year(a), Period::Year(b)) if b > a && b - a < 20 => {
                    Ok(Period::Span(b, u8::try_from(b - a + 1).expect("checked")))
                }
                (Period::Year(_), Period::Year(_)) => Err(err(
                    "a span of years runs from an earlier year to a later one, at most 20 years (2021/2025)",
                )),
                _ => Err(err("a range must be two months or two years")),
            };
        }
        parse_simple(t).map_err(|r| err(&r))
    }
}

fn parse_year(s: &str) -> Result<i32, String> {
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' is not a four-digit year"));
    }
    s.parse::<i32>().map_err(|e| e.to_string())
}

fn parse_num(s: &str, max: u8, what: &str) -> Result<u8, String> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' is not a {what} number"));
    }
    let n: u8 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a {what} number"))?;
    if n == 0 || n > max {
        return Err(format!("{what} {n} is not between 1 and {max}"));
    }
    Ok(n)
}

fn parse_simple(t: &str) -> Result<Period, String> {
    let t = t.trim();
    let p = match t.split_once('-') {
        None => Period::Year(parse_year(t)?),
        Some((y, rest)) => {
            let year = parse_year(y)?;
            if rest.contains('-') {
                return Err("a day is not a reporting period".into());
            }
            let upper = rest.to_ascii_uppercase();
            if let Some(h) = upper.strip_prefix('S').or_else(|| upper.strip_prefix('H')) {
                Period::Half(year, parse_num(h, 2, "half-year")?)
            } else if let Some(q) = upper.strip_prefix('Q') {
                Period::Quarter(year, parse_num(q, 4, "quarter")?)
            } else if let Some(m) = upper.strip_prefix('M') {
                Period::Month(year, parse_num(m, 12, "month")?)
            } else {
                Period::Month(year, parse_num(rest, 12, "month")?)
            }
        }
    };
    p.validate()
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Half(y, h) => write!(f, "{y}-S{h}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
            Period::Cumulative(y, m) => write!(f, "{y}-01/{y}-{m:02}"),
            Period::Span(..) => write!(f, "{}/{}", self.first_year(), self.year()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Period::parse("2020").unwrap(), Period::Year(2020));
        assert_eq!(Period::parse("2020-S1").unwrap(), Period::Half(2020, 1));
        assert_eq!(Period::parse("2020-H2").unwrap(), Period::Half(2020, 2));
        assert_eq!(Period::parse("2020-Q3").unwrap(), Period::Quarter(2020, 3));
        assert_eq!(Period::parse("2020-10").unwrap(), Period::Month(2020, 10));
        assert_eq!(Period::parse("2020-M10").unwrap(), Period::Month(2020, 10));
        assert_eq!(
            Period::parse("2020-01/2020-10").unwrap(),
            Period::Cumulative(2020, 10)
        );
        assert_eq!(Period::parse("2021/2025").unwrap(), Period::Span(2025, 5));
        assert_eq!(Period::Span(2025, 5).to_string(), "2021/2025");
        assert_eq!(Period::Span(2020, 5).start_date().to_string(), "2016-01-01");
    }

    #[test]
    fn refuses_nonsense_with_reason() {
        for bad in [
            "2020-13",
            "2020-02-30",
            "0000-01",
            "2020-00",
            "2020-Q5",
            "2020-S3",
            "20-10",
            "",
            "2020-03/2020-10",
            "2019-01/2020-10",
            "abc",
            "2020-1x",
            "2025/2021",
            "2000/2025",
            "2020/2020",
        ] {
            let e = Period::parse(bad).unwrap_err();
            assert!(e.to_string().contains("expected 2020"), "{bad}: {e}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(Period::Month(2020, 2).end_date().to_string(), "2020-02-29");
        assert_eq!(
            Period::Quarter(2020, 4).end_date().to_string(),
            "2020-12-31"
        );
        assert_eq!(
            Period::Cumulative(2020, 10).start_date().to_string(),
            "2020-01-01"
        );
    }

    fn any_period() -> impl Strategy<Value = Period> {
        (MIN_YEAR + 20..=MAX_YEAR, 0u8..6, 1u8..=12).prop_map(|(y, k, n)| match k {
            0 => Period::Year(y),
            1 => Period::Half(y, 1 + n % 2),
            2 => Period::Quarter(y, 1 + n % 4),
            3 => Period::Month(y, n),
            4 => Period::Cumulative(y, n),
            _ => Period::Span(y, 1 + n),
        })
    }

    proptest! {
        #[test]
        fn display_parse_and_key_round_trip(p in any_period()) {
            prop_assert_eq!(Period::parse(&p.to_string()).unwrap(), p);
            prop_assert_eq!(Period::from_key(p.key()), Some(p));
        }
    }
}

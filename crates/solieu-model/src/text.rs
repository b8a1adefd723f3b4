//! Vietnamese text: NFC normalisation, accent folding for search, and
//! numbers written the Vietnamese way ("1.172.800", "9,9").

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The text in Unicode NFC, trimmed. Every text solieu stores passes here.
pub fn nfc(s: &str) -> String {
    let t = s.trim();
    // ASCII is already in NFC
    if t.is_ascii() {
        return t.to_string();
    }
    t.nfc().collect()
}

/// The accent-insensitive search key: decomposed, marks dropped, đ/Đ → d,
/// lower case, runs of whitespace and dashes collapsed to one space.
///
/// `fold("Thành phố Hồ Chí Minh") == "thanh pho ho chi minh"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_whitespace() || matches!(c, '-' | '–' | '—' | '_' | '.' | ',') {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        out.extend(c.to_lowercase());
        space = false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// How the decimal and thousands separators of a number are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberStyle {
    /// The canonical CSV: dot decimal, no grouping (`1172800.5`).
    Canonical,
    /// Vietnamese text: dot thousands, comma decimal (`1.172.800,5`, `9,9`).
    Vietnamese,
}

/// An exact decimal number: `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// Signed digits.
    pub mantissa: i128,
    /// Power of ten.
    pub exponent: i32,
}

impl Decimal {
    /// The same number times `10^n`, still exact.
    pub fn scale(self, n: i32) -> Decimal {
        Decimal {
            mantissa: self.mantissa,
            exponent: self.exponent + n,
        }
    }

    /// The number minus a whole number, exactly (index form 105,5 → growth 5,5).
    pub fn minus(self, n: i64) -> Option<Decimal> {
        let shift = u32::try_from(-self.exponent.min(0)).ok()?;
        let sub = i128::from(n).checked_mul(10i128.checked_pow(shift)?)?;
        let m = if self.exponent > 0 {
            self.mantissa
                .checked_mul(10i128.checked_pow(u32::try_from(self.exponent).ok()?)?)?
        } else {
            self.mantissa
        };
        Some(Decimal {
            mantissa: m.checked_sub(sub)?,
            exponent: self.exponent.min(0),
        })
    }

    /// The nearest `f64` (correctly rounded, via the standard parser).
    pub fn to_f64(self) -> f64 {
        // exact fast path (Clinger): both the mantissa and the power of ten are
        // exact doubles, so one multiplication or division rounds correctly
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        if self.mantissa.unsigned_abs() < (1u128 << 53) && self.exponent.unsigned_abs() <= 22 {
            let m = self.mantissa as f64;
            let p = POW10[self.exponent.unsigned_abs() as usize];
            let v = if self.exponent >= 0 { m * p } else { m / p };
            return if v == 0.0 { 0.0 } else { v };
        }
        let v: f64 = format!("{}e{}", self.mantissa, self.exponent)
            .parse()
            .unwrap_or(f64::NAN);
        if v == 0.0 {
            0.0 // no negative zero
        } else {
            v
        }
    }
}

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Empty cell.
    #[error("empty value; expected a number")]
    Empty,
    /// Not a number in the expected style.
    #[error("'{0}' is not a number; expected {1}")]
    Malformed(String, &'static str),
    /// NaN, infinity or beyond the range of a double.
    #[error("'{0}' is not a finite number")]
    NotFinite(String),
}

fn expected(style: NumberStyle) -> &'static str {
    match style {
        NumberStyle::Canonical => "a number with a dot decimal such as 1172800.5",
        NumberStyle::Vietnamese => "a number such as 1.172.800 or 9,9",
    }
}

/// Parses a number exactly. Refuses NaN, infinities, and numbers whose
/// separators contradict the style (`1.234.567,8,9`).
pub fn parse_decimal(text: &str, style: NumberStyle) -> Result<Decimal, NumberError> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    if t.is_empty() {
        return Err(NumberError::Empty);
    }
    let lower = t.to_ascii_lowercase();
    if [
        "nan",
        "inf",
        "+inf",
        "-inf",
        "infinity",
        "-infinity",
        "+infinity",
    ]
    .contains(&lower.as_str())
    {
        return Err(NumberError::NotFinite(text.to_string()));
    }
    let bad = || NumberError::Malformed(text.to_string(), expected(style));
    let (neg, body) = if let Some(rest) = t.strip_prefix(['-', '\u{2212}']) {
        (true, rest)
    } else if let Some(rest) = t.strip_prefix('+') {
        (false, rest)
    } else {
        (false, t.as_str())
    };
    let (mantissa_part, exp) = match style {
        NumberStyle::Canonical => match body.find(['e', 'E']) {
            Some(i) => {
                let e: i32 = body[i + 1..].parse().map_err(|_| bad())?;
                (&body[..i], e)
            }
            None => (body, 0),
        },
        NumberStyle::Vietnamese => (body, 0),
    };
    let (int_part, frac_part) = match style {
        NumberStyle::Canonical => {
            if mantissa_part.contains(',') {
                return Err(bad());
            }
            match mantissa_part.split_once('.') {
                Some((i, f)) => (i.to_string(), f.to_string()),
                None => (mantissa_part.to_string(), String::new()),
            }
        }
        NumberStyle::Vietnamese => {
            let (i, f) = match mantissa_part.split_once(',') {
                Some((i, f)) => (i, f),
                None => (mantissa_part, ""),
            };
            if f.contains(',') || f.contains('.') {
                return Err(bad());
            }
            // dot groups must be three digits each
            let groups: Vec<&str> = i.split('.').collect();
            if groups.len() > 1
                && (groups[0].is_empty()
                    || groups[0].len() > 3
                    || groups[1..].iter().any(|g| g.len() != 3))
            {
                return Err(bad());
            }
            (groups.concat(), f.to_string())
        }
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 36 {
        return Err(NumberError::NotFinite(text.to_string()));
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| bad())?
    };
    if neg {
        mantissa = -mantissa;
    }
    let frac_len = i32::try_from(frac_part.len()).map_err(|_| bad())?;
    let d = Decimal {
        mantissa,
        exponent: exp.checked_sub(frac_len).ok_or_else(bad)?,
    };
    if !d.to_f64().is_finite() {
        return Err(NumberError::NotFinite(text.to_string()));
    }
    Ok(d)
}

/// Parses a number and returns the nearest `f64`.
pub fn parse_number(text: &str, style: NumberStyle) -> Result<f64, NumberError> {
    parse_decimal(text, style).map(Decimal::to_f64)
}

/// At most about `n` characters of `s`: its start and its end around
/// `…[N characters]…` when longer, so that a message never echoes a 100 MB
/// cell or a header of a million columns, and keeps what comes after an
/// embedded value (`'1…1' is not a finite number`).
pub fn clip(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    let count = s.chars().count();
    if count <= n {
        return s.into();
    }
    let head: String = s.chars().take(n / 2).collect();
    let tail: String = s.chars().skip(count - n / 2).collect();
    format!("{head}…[{count} characters]…{tail}").into()
}

/// A value for files: rounded to remove binary noise (9.900000000000006 → 9.9).
pub fn clean(v: f64) -> f64 {
    let r = (v * 1e6).round() / 1e6;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Shortest text that reads back as the same double.
pub fn fmt_value(v: f64) -> String {
    format!("{v}")
}

/// Neutralises text that a spreadsheet would run as a formula; a plain
/// number ("-11.8") is left as it is, for it is read as a number.
pub fn inert(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn fast_decimal_conversion_rounds_like_the_parser() {
        let mut z: u64 = 12345;
        for _ in 0..200_000 {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mantissa =
                i128::from((z >> 11) as i64 % (1i64 << 53)) * if z & 1 == 0 { 1 } else { -1 };
            let exponent = (z >> 3) as i32 % 23 * if z & 4 == 0 { 1 } else { -1 };
            let d = Decimal { mantissa, exponent };
            let slow: f64 = format!("{mantissa}e{exponent}").parse().unwrap();
            let slow = if slow == 0.0 { 0.0 } else { slow };
            assert_eq!(
                d.to_f64().to_bits(),
                slow.to_bits(),
                "{mantissa}e{exponent}"
            );
        }
    }

    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold("Thành phố Hồ Chí Minh"), "thanh pho ho chi minh");
        assert_eq!(fold("Tỉnh Đồng Nai"), "tinh dong nai");
        assert_eq!(fold("Bà Rịa – Vũng Tàu"), "ba ria vung tau");
        assert_eq!(fold("Bà Rịa - Vũng Tàu"), fold("Ba Ria Vung Tau"));
    }

    #[test]
    fn nfc_and_nfd_agree() {
        let nfd = "Th\u{01B0}\u{0301} hai";
        assert_eq!(nfc(nfd), "Thứ hai");
    }

    #[test]
    fn vietnamese_numbers() {
        let vi = NumberStyle::Vietnamese;
        assert_eq!(parse_number("1.172.800", vi).unwrap(), 1_172_800.0);
        assert_eq!(parse_number("9,9", vi).unwrap(), 9.9);
        assert_eq!(parse_number("-4,1", vi).unwrap(), -4.1);
        assert_eq!(parse_number("39.682,7", vi).unwrap(), 39682.7);
        assert!(parse_number("1.234.567,8,9", vi).is_err());
        assert!(parse_number("1.23.4", vi).is_err());
        assert!(parse_number("12a", vi).is_err());
    }

    #[test]
    fn canonical_numbers() {
        let c = NumberStyle::Canonical;
        assert_eq!(parse_number("36.7", c).unwrap(), 36.7);
        assert_eq!(parse_number("-0", c).unwrap().to_bits(), 0f64.to_bits());
        assert_eq!(parse_number("1e3", c).unwrap(), 1000.0);
        assert!(matches!(
            parse_number("1e309", c),
            Err(NumberError::NotFinite(_))
        ));
        assert!(matches!(
            parse_number("NaN", c),
            Err(NumberError::NotFinite(_))
        ));
        assert!(matches!(
            parse_number("inf", c),
            Err(NumberError::NotFinite(_))
        ));
        assert!(parse_number("1,5", c).is_err());
        assert!(parse_number("--1", c).is_err());
        assert!(matches!(parse_number("  ", c), Err(NumberError::Empty)));
    }

    #[test]
    fn scaling_is_exact() {
        let d = parse_decimal("36.7", NumberStyle::Canonical).unwrap();
        assert_eq!(d.scale(3).to_f64(), 36700.0);
        let d = parse_decimal("0.1", NumberStyle::Canonical).unwrap();
        assert_eq!(d.scale(9).to_f64(), 100_000_000.0);
        let idx = parse_decimal("105,5", NumberStyle::Vietnamese).unwrap();
        assert_eq!(idx.minus(100).unwrap().to_f64(), 5.5);
        assert_eq!(
            parse_decimal("75,4", NumberStyle::Vietnamese)
                .unwrap()
                .minus(100)
                .unwrap()
                .to_f64(),
            -24.6
        );
        assert_eq!(
            parse_decimal("1e2", NumberStyle::Canonical)
                .unwrap()
                .minus(100)
                .unwrap()
                .to_f64(),
            0.0
        );
    }
}

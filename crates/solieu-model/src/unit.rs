//! Units of measure with a decimal scale: "tỷ đồng" is 10⁹ đồng, "triệu USD"
//! is 10⁶ USD, "billion USD" is 10⁹ USD. Conversion between two units of the
//! same base is an exact power of ten.

use std::fmt;

use crate::text::fold;

/// A unit: a power-of-ten scale over a base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Power of ten: 9 for "tỷ".
    pub scale: i32,
    /// What is counted or measured, folded ("dong", "usd", "%", "doanh nghiep").
    pub base: String,
    /// The unit as written in the catalogue, NFC.
    pub label: String,
}

/// Why a unit could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unit '{from}' cannot be converted to '{to}'")]
pub struct UnitError {
    /// Unit given.
    pub from: String,
    /// Unit expected.
    pub to: String,
}

const SCALES: &[(&str, i32)] = &[
    ("nghin ty", 12),
    ("ngan ty", 12),
    ("trillion", 12),
    ("nghin", 3),
    ("ngan", 3),
    ("thousand", 3),
    ("trieu", 6),
    ("million", 6),
    ("mn", 6),
    ("ty", 9),
    ("ti", 9),
    ("billion", 9),
    ("bn", 9),
];

/// Folded base names that mean the same thing.
fn canonical_base(b: &str) -> String {
    match b {
        "dong" | "vnd" | "vnđ" | "d" | "dong viet nam" => "dong".into(),
        "usd" | "us$" | "$" | "do la my" | "dollars" | "usd dollars" => "usd".into(),
        "%" | "percent" | "phan tram" => "%".into(),
        "nguoi" | "persons" | "people" => "nguoi".into(),
        "dn" | "doanh nghiep" | "enterprises" => "doanh nghiep".into(),
        other => other.to_string(),
    }
}

impl Unit {
    /// Reads a unit label. Never fails: an unknown word is a base of its own,
    /// convertible only to itself.
    pub fn parse(label: &str) -> Unit {
        let label = crate::text::nfc(label);
        let folded = fold(&label);
        let mut scale = 0;
        let mut rest = folded.as_str();
        for (word, s) in SCALES {
            if let Some(r) = rest.strip_prefix(word) {
                if r.is_empty() || r.starts_with(' ') {
                    scale = *s;
                    rest = r.trim_start();
                    break;
                }
            }
        }
        // "USD billion", "VND trillion": scale written after the base
        if scale == 0 {
            for (word, s) in SCALES {
                if let Some(r) = rest.strip_suffix(word) {
                    if r.ends_with(' ') {
                        scale = *s;
                        rest = r.trim_end();
                        break;
                    }
                }
            }
        }
        Unit {
            scale,
            base: canonical_base(rest),
            label,
        }
    }

    /// The power of ten to multiply a value in `self` by to express it in `to`.
    pub fn factor_to(&self, to: &Unit) -> Result<i32, UnitError> {
        if self.base == to.base {
            Ok(self.scale - to.scale)
        } else {
            Err(UnitError {
                from: self.label.clone(),
                to: to.label.clone(),
            })
        }
    }
}

/// A unit as a power of ten and powers of what is counted, for working out
/// the unit of a formula: "triệu đồng/người" is 10⁶ × đồng × người⁻¹, "%"
/// is 10⁻² of nothing, "tỷ đồng" ÷ "nghìn người" is 10⁶ đồng/người.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    /// Power of ten.
    pub scale: i32,
    /// Folded base names and their powers (none zero).
    pub powers: std::collections::BTreeMap<String, i32>,
}

impl Quantity {
    /// A pure number with a power of ten.
    pub fn number(scale: i32) -> Quantity {
        Quantity {
            scale,
            powers: Default::default(),
        }
    }

    /// The product (`sign` 1) or quotient (`sign` −1) of two quantities.
    pub fn times(&self, other: &Quantity, sign: i32) -> Quantity {
        let mut powers = self.powers.clone();
        for (b, p) in &other.powers {
            *powers.entry(b.clone()).or_insert(0) += sign * p;
        }
        powers.retain(|_, p| *p != 0);
        Quantity {
            scale: self.scale + sign * other.scale,
            powers,
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.scale {
            0 => String::new(),
            -2 if self.powers.is_empty() => return f.write_str("%"),
            3 => "nghìn ".into(),
            6 => "triệu ".into(),
            9 => "tỷ ".into(),
            12 => "nghìn tỷ ".into(),
            s => format!("10^{s} "),
        };
        let part = |sign: i32| {
            self.powers
                .iter()
                .filter(|(_, p)| p.signum() == sign)
                .map(|(b, p)| {
                    if p.abs() == 1 {
                        b.clone()
                    } else {
                        format!("{b}^{}", p.abs())
                    }
                })
                .collect::<Vec<_>>()
                .join("·")
        };
        let (num, den) = (part(1), part(-1));
        let num = if num.is_empty() && word.is_empty() {
            "1".to_string()
        } else {
            num
        };
        write!(f, "{word}{num}")?;
        if !den.is_empty() {
            write!(f, "/{den}")?;
        }
        Ok(())
    }
}

impl Unit {
    /// Whether the unit is a percentage (its changes are in percentage points).
    pub fn is_percent(&self) -> bool {
        self.quantity() == Quantity::number(-2)
    }

    /// The unit as a [`Quantity`]: the parts of `a/b/c` (or `a per b`)
    /// divide the first; a percentage is 10⁻²; "lần" (times) is a number.
    pub fn quantity(&self) -> Quantity {
        let folded = fold(&self.label);
        let mut q = Quantity::number(0);
        for (k, part) in folded
            .replace(" per ", "/")
            .split('/')
            .map(str::trim)
            .enumerate()
        {
            let u = Unit::parse(part);
            let one = match u.base.as_str() {
                "" | "lan" | "times" => Quantity::number(u.scale),
                "%" | "diem phan tram" | "pp" | "percentage points" => {
                    Quantity::number(u.scale - 2)
                }
                b => Quantity {
                    scale: u.scale,
                    powers: [(b.to_string(), 1)].into_iter().collect(),
                },
            };
            q = q.times(&one, if k == 0 { 1 } else { -1 });
        }
        q
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales() {
        let ty = Unit::parse("tỷ đồng");
        assert_eq!((ty.scale, ty.base.as_str()), (9, "dong"));
        assert_eq!(Unit::parse("tỉ đồng").scale, 9);
        assert_eq!(Unit::parse("nghìn tỷ đồng").scale, 12);
        assert_eq!(
            Unit::parse("triệu USD").factor_to(&Unit::parse("tỷ USD")),
            Ok(-3)
        );
        assert_eq!(
            Unit::parse("billion USD").factor_to(&Unit::parse("triệu USD")),
            Ok(3)
        );
        assert_eq!(
            Unit::parse("USD billion").factor_to(&Unit::parse("triệu USD")),
            Ok(3)
        );
        assert_eq!(
            Unit::parse("VND").factor_to(&Unit::parse("tỷ đồng")),
            Ok(-9)
        );
        assert!(Unit::parse("tỷ đồng")
            .factor_to(&Unit::parse("triệu USD"))
            .is_err());
        assert!(Unit::parse("%").factor_to(&Unit::parse("tỷ đồng")).is_err());
        assert_eq!(
            Unit::parse("doanh nghiệp").factor_to(&Unit::parse("DN")),
            Ok(0)
        );
    }

    #[test]
    fn quantities_divide_and_multiply() {
        let per_capita = Unit::parse("tỷ đồng")
            .quantity()
            .times(&Unit::parse("nghìn người").quantity(), -1);
        assert_eq!(per_capita, Unit::parse("triệu đồng/người").quantity());
        assert_eq!(per_capita.to_string(), "triệu dong/nguoi");
        assert_eq!(Unit::parse("%").quantity(), Quantity::number(-2));
        assert_eq!(
            Unit::parse("triệu USD")
                .quantity()
                .times(&Unit::parse("triệu USD").quantity(), -1),
            Quantity::number(0)
        );
        assert_eq!(
            Unit::parse("triệu đồng per người").quantity(),
            Unit::parse("triệu đồng/người").quantity()
        );
        assert_ne!(
            Unit::parse("triệu đồng").quantity(),
            Unit::parse("triệu đồng/người").quantity()
        );
    }
}

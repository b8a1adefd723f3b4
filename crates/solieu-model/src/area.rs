//! Areas (địa bàn) with validity intervals, successions and region
//! membership. A code is not an identity: `79` is the old Ho Chi Minh City
//! until 30 June 2025 and the merged one from 1 July 2025; `769` is Quận 2
//! until 2020 and Thành phố Thủ Đức from 2021. An area is therefore resolved
//! by its code *and* a date.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;

use crate::period::Period;
use crate::text::{fold, nfc};

/// Administrative level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// The country.
    Nation,
    /// A group of provinces (vùng).
    Region,
    /// Province or centrally-run city (tỉnh, thành phố trực thuộc TW).
    Province,
    /// District (quận, huyện, thị xã, thành phố thuộc tỉnh); abolished 1 July 2025.
    District,
    /// Commune or ward (xã, phường, thị trấn).
    Commune,
}

impl Level {
    /// The lower-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Nation => "nation",
            Level::Region => "region",
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
        }
    }

    /// Parses [`Level::as_str`].
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim() {
            "nation" => Level::Nation,
            "region" => Level::Region,
            "province" => Level::Province,
            "district" => Level::District,
            "commune" => Level::Commune,
            _ => return None,
        })
    }
}

/// One version of an area: a code, names and the interval in which they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// Stable identity of this version: `79`, `79@2025-07-01`.
    pub key: String,
    /// GSO code (`79`, `769`) or solieu's own code for a nation or region.
    pub code: String,
    /// Level.
    pub level: Level,
    /// Vietnamese name, NFC.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Code of the parent area (resolved at the same date).
    pub parent: Option<String>,
    /// First day of validity; `None`: before the reference data's horizon.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity, inclusive; `None`: still valid.
    pub valid_to: Option<NaiveDate>,
}

impl Area {
    /// The key of an area version: the code, plus `@valid_from` when the
    /// version has a start date.
    pub fn make_key(code: &str, valid_from: Option<NaiveDate>) -> String {
        match valid_from {
            Some(d) => format!("{code}@{d}"),
            None => code.to_string(),
        }
    }

    /// Whether the area exists on this day.
    pub fn valid_on(&self, d: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= d) && self.valid_to.is_none_or(|t| d <= t)
    }

    /// Whether figures for `p` may be recorded for this area: the period must
    /// end inside the validity, and start inside it too unless it is a
    /// year-to-date total starting on 1 January (which a successor reports
    /// for its whole territory, e.g. "9 tháng 2025" of the new Ho Chi Minh City).
    pub fn accepts(&self, p: Period) -> bool {
        if self.valid_from.is_none() && self.valid_to.is_none() {
            return true;
        }
        let ytd = p.months().0 == 1; // every period starts on the 1st of a month
        self.valid_on(p.end_date()) && (ytd || self.valid_on(p.start_date()))
    }

    /// "from … to …" for messages.
    pub fn validity(&self) -> String {
        let f = self
            .valid_from
            .map_or("(no start)".to_string(), |d| d.to_string());
        let t = self
            .valid_to
            .map_or("(open)".to_string(), |d| d.to_string());
        format!("{f} – {t}")
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} [{}]", self.code, self.name_vi, self.validity())
    }
}

/// Kinds of boundary change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuccessionKind {
    /// Several areas became one (each predecessor has one row).
    Merge,
    /// One area became several.
    Split,
    /// Same territory, new name or status.
    Rename,
}

impl SuccessionKind {
    /// Lower-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            SuccessionKind::Merge => "merge",
            SuccessionKind::Split => "split",
            SuccessionKind::Rename => "rename",
        }
    }
    /// Parses [`SuccessionKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "merge" => Self::Merge,
            "split" => Self::Split,
            "rename" => Self::Rename,
            _ => return None,
        })
    }
}

/// One edge of a boundary change: `from` (an area key) went into `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Succession {
    /// Day the change took effect.
    pub date: NaiveDate,
    /// Kind.
    pub kind: SuccessionKind,
    /// Predecessor area key.
    pub from: String,
    /// Successor area key.
    pub to: String,
    /// The legal act.
    pub basis: String,
}

/// A member of a region during an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Region area key.
    pub region: String,
    /// Member area key.
    pub member: String,
    /// First day, inclusive.
    pub valid_from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub valid_to: Option<NaiveDate>,
}

/// Why an area code could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaError {
    /// No area ever had the code.
    #[error("unknown area code '{0}'")]
    Unknown(String),
    /// The code exists but not for this period.
    #[error("area '{code}' has no version valid for {period}; versions: {versions}")]
    NotValid {
        /// Code.
        code: String,
        /// Period asked.
        period: Period,
        /// The versions and their validity.
        versions: String,
    },
}

/// All areas, successions and memberships, with look-ups by code and date.
#[derive(Debug, Clone, Default)]
pub struct AreaRegistry {
    areas: Vec<Area>,
    by_code: HashMap<String, Vec<usize>>,
    by_key: HashMap<String, usize>,
    successions: Vec<Succession>,
    memberships: Vec<Membership>,
}

/// Canonical form of an area code as typed: trimmed, one-digit province
/// codes padded ("1" → "01"), letters upper-cased.
pub fn normalize_code(code: &str) -> String {
    let c = code.trim();
    if c.len() == 1 && c.as_bytes()[0].is_ascii_digit() {
        format!("0{c}")
    } else {
        c.to_uppercase()
    }
}

impl AreaRegistry {
    /// Builds the registry. Keys must be unique.
    pub fn new(
        areas: Vec<Area>,
        successions: Vec<Succession>,
        memberships: Vec<Membership>,
    ) -> Self {
        let mut by_code: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_key = HashMap::new();
        for (i, a) in areas.iter().enumerate() {
            by_code.entry(a.code.clone()).or_default().push(i);
            by_key.insert(a.key.clone(), i);
        }
        AreaRegistry {
            areas,
            by_code,
            by_key,
            successions,
            memberships,
        }
    }

    /// Every area version.
    pub fn all(&self) -> &[Area] {
        &self.areas
    }

    /// Every succession edge.
    pub fn successions(&self) -> &[Succession] {
        &self.successions
    }

    /// Every membership.
    pub fn memberships(&self) -> &[Membership] {
        &self.memberships
    }

    /// The area version with this key.
    pub fn by_key(&self, key: &str) -> Option<&Area> {
        self.by_key.get(key).map(|&i| &self.areas[i])
    }

    /// All versions of a code.
    pub fn versions(&self, code: &str) -> Vec<&Area> {
        self.by_code
            .get(&normalize_code(code))
            .map(|v| v.iter().map(|&i| &self.areas[i]).collect())
            .unwrap_or_default()
    }

    /// The version of `code` that may hold figures for `period`.
    pub fn resolve(&self, code: &str, period: Period) -> Result<&Area, AreaError> {
        // a version's own key (`79@2025-07-01`, as SDMX messages give it)
        if code.contains('@') {
            if let Some(a) = self.by_key(code.trim()) {
                return if a.accepts(period) {
                    Ok(a)
                } else {
                    Err(AreaError::NotValid {
                        code: a.key.clone(),
                        period,
                        versions: a.validity(),
                    })
                };
            }
        }
        let code = normalize_code(code);
        let versions = self.versions(&code);
        if versions.is_empty() {
            return Err(AreaError::Unknown(code));
        }
        versions
            .iter()
            .find(|a| a.accepts(period))
            .copied()
            .ok_or_else(|| AreaError::NotValid {
                code: code.clone(),
                period,
                versions: versions
                    .iter()
                    .map(|a| a.validity())
                    .collect::<Vec<_>>()
                    .join("; "),
            })
    }

    /// The version of `code` valid on a day.
    pub fn resolve_on(&self, code: &str, day: NaiveDate) -> Option<&Area> {
        self.versions(code).into_iter().find(|a| a.valid_on(day))
    }

    /// The version of a code to evaluate for a period: the one valid then,
    /// else the newest (whose figures for the period are then worked out on
    /// the comparable basis, from its predecessors). `None`: an unknown code.
    pub fn version_for(&self, code: &str, period: Period) -> Option<&Area> {
        match self.resolve(code, period) {
            Ok(a) => Some(a),
            Err(_) => self
                .versions(&normalize_code(code))
                .into_iter()
                .max_by_key(|a| a.valid_from),
        }
    }

    /// Areas that went into `key` (its predecessors).
    pub fn predecessors(&self, key: &str) -> Vec<&Succession> {
        self.successions.iter().filter(|s| s.to == key).collect()
    }

    /// Areas that `key` went into (its successors).
    pub fn successors(&self, key: &str) -> Vec<&Succession> {
        self.successions.iter().filter(|s| s.from == key).collect()
    }

    /// Members of a region on a day.
    pub fn members_on(&self, region_key: &str, day: NaiveDate) -> Vec<&Area> {
        self.memberships
            .iter()
            .filter(|m| {
                m.region == region_key
                    && m.valid_from.is_none_or(|f| f <= day)
                    && m.valid_to.is_none_or(|t| day <= t)
            })
            .filter_map(|m| self.by_key(&m.member))
            .collect()
    }

    /// Accent-insensitive search on code, names and common aliases
    /// ("ho chi minh", "tphcm", "hcmc" find Thành phố Hồ Chí Minh).
    pub fn search(&self, query: &str) -> Vec<&Area> {
        let q = fold(&nfc(query));
        let q = expand_alias(&q);
        self.areas
            .iter()
            .filter(|a| {
                q.is_empty()
                    || a.code.eq_ignore_ascii_case(&q)
                    || fold(&a.name_vi).contains(&q)
                    || fold(&a.name_en).contains(&q)
            })
            .collect()
    }
}

fn expand_alias(q: &str) -> String {
    let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    match compact.as_str() {
        "tphcm" | "hcmc" | "hcm" | "tp hcm" | "saigon" => "ho chi minh".into(),
        "brvt" => "ba ria vung tau".into(),
        "vkttdpn" => "vung kinh te trong diem phia nam".into(),
        _ => q.to_string(),
    }
}

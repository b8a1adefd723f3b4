//! The reference data shipped inside the binary: areas (the 63 provinces
//! valid until 30 June 2025, the 34 from 1 July 2025, Ho Chi Minh City's
//! districts of 2020 and Thủ Đức city of 2021, the nation and the Southern
//! Key Economic Region), their successions and the region's membership, and
//! the built-in indicator catalogue. The files are in `reference/` beside
//! this crate; `reference/README.md` says where each fact comes from.

use chrono::NaiveDate;

use crate::area::{Area, AreaRegistry, Level, Membership, Succession, SuccessionKind};
use crate::codelist::CodeLists;
use crate::indicator::{Indicator, IndicatorFields};
use crate::text::nfc;

/// `reference/areas.csv`
pub const AREAS_CSV: &str = include_str!("../reference/areas.csv");
/// `reference/successions.csv`
pub const SUCCESSIONS_CSV: &str = include_str!("../reference/successions.csv");
/// `reference/memberships.csv`
pub const MEMBERSHIPS_CSV: &str = include_str!("../reference/memberships.csv");
/// `reference/indicators.csv`
pub const INDICATORS_CSV: &str = include_str!("../reference/indicators.csv");
/// `reference/codelists.csv`
pub const CODELISTS_CSV: &str = include_str!("../reference/codelists.csv");

fn rows(text: &str) -> impl Iterator<Item = csv::StringRecord> + '_ {
    csv::ReaderBuilder::new()
        .from_reader(text.as_bytes())
        .into_records()
        .map(|r| r.expect("reference data is valid CSV (checked by tests)"))
}

fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("reference dates are ISO dates"))
    }
}

/// Key of the area version with `code` that ends on `valid_to` or starts on `valid_from`.
fn key_of(
    areas: &[Area],
    code: &str,
    valid_to: Option<NaiveDate>,
    valid_from: Option<NaiveDate>,
) -> String {
    areas
        .iter()
        .find(|a| a.code == code && ((valid_to.is_some() && a.valid_to == valid_to) || (valid_from.is_some() && a.valid_from == valid_from)))
        .map(|a| a.key.clone())
        .unwrap_or_else(|| panic!("reference data names no version of {code} ending {valid_to:?} / starting {valid_from:?}"))
}

/// Parses the reference area files into a registry.
pub fn parse_areas(areas_csv: &str, successions_csv: &str, memberships_csv: &str) -> AreaRegistry {
    let areas: Vec<Area> = rows(areas_csv)
        .map(|r| {
            let valid_from = date(&r[1]);
            Area {
                key: Area::make_key(&r[0], valid_from),
                code: r[0].to_string(),
                valid_from,
                valid_to: date(&r[2]),
                level: Level::parse(&r[3]).expect("known level"),
                name_vi: nfc(&r[4]),
                name_en: nfc(&r[5]),
                parent: Some(r[6].to_string()).filter(|p| !p.is_empty()),
            }
        })
        .collect();
    let successions = rows(successions_csv)
        .map(|r| Succession {
            date: date(&r[0]).expect("succession date"),
            kind: SuccessionKind::parse(&r[1]).expect("known kind"),
            from: key_of(&areas, &r[2], date(&r[3]), None),
            to: key_of(&areas, &r[4], None, date(&r[5])),
            basis: nfc(&r[6]),
        })
        .collect();
    let memberships = rows(memberships_csv)
        .map(|r| {
            let (from, to) = (date(&r[2]), date(&r[3]));
            let day = from.or(to).expect("a membership has a start or an end");
            let member = areas
                .iter()
                .find(|a| a.code == r[1] && a.valid_on(day))
                .map(|a| a.key.clone())
                .expect("member valid at the start of its membership");
            Membership {
                region: r[0].to_string(),
                member,
                valid_from: from,
                valid_to: to,
            }
        })
        .collect();
    AreaRegistry::new(areas, successions, memberships)
}

/// The built-in areas.
pub fn areas() -> AreaRegistry {
    parse_areas(AREAS_CSV, SUCCESSIONS_CSV, MEMBERSHIPS_CSV)
}

/// The built-in code lists: product groups, markets, ownership sectors,
/// industries (VSIC 2018) and budget revenue sources.
/// Parsed once per process: every import and every engine start asks.
pub fn code_lists() -> CodeLists {
    static LISTS: std::sync::OnceLock<CodeLists> = std::sync::OnceLock::new();
    LISTS
        .get_or_init(|| {
            let rows =
                CodeLists::parse_csv(CODELISTS_CSV, None).expect("built-in code lists are valid");
            CodeLists::default()
                .with(&rows)
                .expect("built-in code lists are consistent")
        })
        .clone()
}

/// The built-in indicator catalogue.
pub fn indicators() -> Vec<Indicator> {
    rows(INDICATORS_CSV)
        .map(|r| {
            let cols: [&str; 12] = std::array::from_fn(|i| r.get(i).unwrap_or(""));
            Indicator::parse(&IndicatorFields::from_columns(&cols))
                .expect("built-in catalogue is valid")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Period;
    use crate::text::nfc as to_nfc;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_built_in_code_lists_load_and_every_breakdown_names_one() {
        let lists = code_lists();
        for name in [
            "PRODUCT",
            "MARKET",
            "SECTOR",
            "INDUSTRY",
            "REVENUE_SOURCE",
            "CPI_GROUP",
        ] {
            assert!(lists.get(name).is_some(), "{name}");
        }
        assert!(lists.get("MARKET").unwrap().codes().len() > 249);
        for i in indicators() {
            for d in &i.dimensions {
                assert!(
                    lists.get(&d.name).is_some() || !d.codes.is_empty(),
                    "{}: {}",
                    i.code,
                    d.name
                );
            }
        }
    }

    #[test]
    fn sixty_three_then_thirty_four_provinces() {
        let reg = areas();
        let count = |d: &str| {
            reg.all()
                .iter()
                .filter(|a| a.level == Level::Province && a.valid_on(day(d)))
                .count()
        };
        assert_eq!(count("2020-10-31"), 63);
        assert_eq!(count("2025-06-30"), 63);
        assert_eq!(count("2025-07-01"), 34);
        // every pre-reform province that ended on 30 June 2025 has exactly one successor
        for a in reg
            .all()
            .iter()
            .filter(|a| a.level == Level::Province && a.valid_to == Some(day("2025-06-30")))
        {
            assert_eq!(reg.successors(&a.key).len(), 1, "{a}");
        }
    }

    #[test]
    fn names_are_nfc() {
        for a in areas().all() {
            assert_eq!(a.name_vi, to_nfc(&a.name_vi));
        }
    }

    #[test]
    fn hcmc_merger_and_code_79() {
        let reg = areas();
        let old = reg.resolve("79", Period::Month(2020, 10)).unwrap();
        let new = reg.resolve("79", Period::Month(2025, 8)).unwrap();
        assert_ne!(old.key, new.key);
        let mut preds: Vec<String> = reg
            .predecessors(&new.key)
            .iter()
            .map(|s| s.from.clone())
            .collect();
        preds.sort();
        assert_eq!(preds, vec!["74", "77", "79"]);
        // a year-to-date total of 2025 belongs to the new city
        assert_eq!(
            reg.resolve("79", Period::Cumulative(2025, 9)).unwrap().key,
            new.key
        );
        assert_eq!(reg.resolve("79", Period::Year(2025)).unwrap().key, new.key);
        // Bình Dương has no figures after the reform
        assert!(reg.resolve("74", Period::Month(2025, 8)).is_err());
    }

    #[test]
    fn code_769_before_and_after_2021() {
        let reg = areas();
        assert_eq!(
            reg.resolve("769", Period::Month(2020, 12)).unwrap().name_vi,
            "Quận 2"
        );
        assert_eq!(
            reg.resolve("769", Period::Month(2021, 1)).unwrap().name_vi,
            "Thành phố Thủ Đức"
        );
        let hcm_2020_districts = reg
            .all()
            .iter()
            .filter(|a| {
                a.level == Level::District
                    && a.parent.as_deref() == Some("79")
                    && a.valid_on(day("2020-06-30"))
            })
            .count();
        assert_eq!(hcm_2020_districts, 24);
    }

    #[test]
    fn region_membership_by_date() {
        let reg = areas();
        assert_eq!(reg.members_on("VKTTDPN", day("2020-10-01")).len(), 8);
        assert_eq!(reg.members_on("VKTTDPN", day("2025-08-01")).len(), 4);
    }

    #[test]
    fn catalogue_parses() {
        let cat = indicators();
        assert!(cat.len() >= 25);
        assert!(cat.iter().any(|i| i.code == "RETAIL_GOODS"));
    }

    #[test]
    fn accent_insensitive_search() {
        let reg = areas();
        let hits = reg.search("ho chi minh");
        assert!(hits.iter().any(|a| a.code == "79"));
        assert!(reg.search("dong nai").iter().any(|a| a.code == "75"));
        assert!(reg.search("TPHCM").iter().any(|a| a.code == "79"));
    }
}

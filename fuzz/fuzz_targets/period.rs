//! Period text (`2020`, `2020-10`, `2020-Q3`, `2020-S1`, `2020-01/2020-10`,
//! `Tháng 10/2020` …): no panic, and what is accepted prints back to text
//! that parses to the same period.
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_model::Period;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Period::parse(text) {
        let again = Period::parse(&p.to_string());
        assert_eq!(again.ok(), Some(p), "{text:?} → {p}");
        assert!(p.start_date() <= p.end_date());
    }
});

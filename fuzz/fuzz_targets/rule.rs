//! The validation-rule language (`cumulative(RETAIL, m) >= cumulative(RETAIL, m-1)`,
//! `abs(yoy_pct(X)) <= 50` …): no panic, no stack overflow (depth and
//! length are limited), and an accepted rule prints back to text that
//! parses to the same rule.
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_engine::rules::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(e) = parse(src) {
        let printed = e.to_string();
        let again = parse(&printed).unwrap_or_else(|err| panic!("{src:?} printed as {printed:?}: {err}"));
        assert_eq!(again.to_string(), printed);
    }
});

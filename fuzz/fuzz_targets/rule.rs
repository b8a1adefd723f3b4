//! The validation-rule language (`cumulative(RETAIL, m) >= cumulative(RETAIL, m-1)`,
//! `abs(yoy_pct(X)) <= 50` …): no panic, no stack overflow (depth and
//! length are limited), and an accepted rule prints back to text that
//! parses to the same rule (when it is within the length limit).
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_engine::rules::{parse, MAX_RULE_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(e) = parse(src) {
        let printed = e.to_string();
        // printing adds spaces around operators: only the length limit of
        // what people type may then be exceeded
        if printed.len() > MAX_RULE_LEN {
            return;
        }
        let again = parse(&printed).unwrap_or_else(|err| panic!("{src:?} printed as {printed:?}: {err}"));
        assert_eq!(again.to_string(), printed);
    }
});

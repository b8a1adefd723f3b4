//! Number text in both styles (`1172800.5`; Vietnamese `1.172.800,5`,
//! `9,9`): no panic; an exact decimal and its float agree; nothing
//! non-finite is accepted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_model::text::{parse_decimal, parse_number, NumberStyle};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for style in [NumberStyle::Canonical, NumberStyle::Vietnamese] {
        let d = parse_decimal(text, style);
        let n = parse_number(text, style);
        if let Ok(n) = n {
            assert!(n.is_finite(), "{text:?} → {n}");
        }
        if let (Ok(d), Ok(n)) = (d, n) {
            let f = d.to_f64();
            assert!(f == n || (f - n).abs() <= f.abs().max(n.abs()) * 1e-12, "{text:?}: {f} vs {n}");
        }
    }
});

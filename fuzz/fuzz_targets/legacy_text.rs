//! The decoders of legacy Vietnamese text (TCVN3/ABC, VNI, Windows-1258)
//! and the detection that picks one: no panic, and the result is valid
//! UTF-8 in NFC.
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_ingest::legacy::{decode_tcvn3, decode_text_file, decode_vni};

fuzz_target!(|data: &[u8]| {
    let (text, _encoding) = decode_text_file(data);
    assert_eq!(text, solieu_model::text::nfc(&text));
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = decode_tcvn3(s, false);
        let _ = decode_tcvn3(s, true);
        let _ = decode_vni(s);
    }
});

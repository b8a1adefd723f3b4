//! The decoders of legacy Vietnamese text (TCVN3/ABC, VNI, Windows-1258)
//! and the detection that picks one: no panic; UTF-8 comes back as it was
//! (less a BOM), anything else decoded and in NFC.
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_ingest::legacy::{decode_tcvn3, decode_text_file, decode_vni};

fuzz_target!(|data: &[u8]| {
    let (text, encoding) = decode_text_file(data);
    if encoding == "UTF-8" {
        assert_eq!(text.as_bytes(), data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data));
    } else {
        assert!(unicode_normalization::is_nfc(&text), "{text:?}");
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = decode_tcvn3(s, false);
        let _ = decode_tcvn3(s, true);
        let _ = decode_vni(s);
    }
});

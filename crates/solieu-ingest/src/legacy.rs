//! Legacy Vietnamese encodings: TCVN3 (TCVN 5712:1993, the ".VnTime" fonts),
//! VNI-Windows (the "VNI-Times" fonts) and Windows-1258. Every decoder
//! returns NFC text.
//!
//! In an `.xlsx` file legacy text is stored as Unicode characters U+0000–U+00FF
//! (the bytes as Windows-1252 would show them); only the cell's font name tells
//! which encoding was meant. The tables here were written from TCVN 5712:1993
//! and the VNI-Windows layout and are checked by the tests against the
//! characters they must produce.

use solieu_model::text::nfc;

/// A legacy font family found in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyFont {
    /// TCVN3 ("ABC"): `.VnTime`, `.VnArial`…; `upper` for the capital-letter
    /// fonts whose names end in `H` (`.VnTimeH`), which draw the lower-case
    /// codes as capitals.
    Tcvn3 {
        /// Capital-letter font.
        upper: bool,
    },
    /// VNI-Windows: `VNI-Times`, `VNI-Helve`…
    Vni,
}

impl LegacyFont {
    /// Recognises a legacy font by its name.
    pub fn from_font_name(name: &str) -> Option<LegacyFont> {
        let n = name.trim();
        if let Some(rest) = n
            .strip_prefix(".Vn")
            .or_else(|| n.strip_prefix(".vn"))
            .or_else(|| n.strip_prefix(".VN"))
        {
            // .VnTimeH, .VnArialH, .VnTime H: capital fonts
            let upper = rest.ends_with('H') && rest.len() > 1;
            return Some(LegacyFont::Tcvn3 { upper });
        }
        if n.len() > 4 && n[..4].eq_ignore_ascii_case("VNI-") {
            return Some(LegacyFont::Vni);
        }
        None
    }

    /// Decodes text written in this font.
    pub fn decode(self, s: &str) -> String {
        match self {
            LegacyFont::Tcvn3 { upper } => decode_tcvn3(s, upper),
            LegacyFont::Vni => decode_vni(s),
        }
    }
}

/// TCVN 5712:1993 (VN1) bytes 0xA0–0xFF.
const TCVN3_HIGH: [char; 96] = [
    '\u{a0}', 'Ă', 'Â', 'Ê', 'Ô', 'Ơ', 'Ư', 'Đ', 'ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'đ', 'Ằ', // A0
    '\u{300}', '\u{309}', '\u{303}', '\u{301}', '\u{323}', 'à', 'ả', 'ã', 'á', 'ạ', 'Ẳ', 'ằ', 'ẳ',
    'ẵ', 'ắ', 'Ẵ', // B0
    'Ắ', 'Ầ', 'Ẩ', 'Ẫ', 'Ấ', 'Ề', 'ặ', 'ầ', 'ẩ', 'ẫ', 'ấ', 'ậ', 'è', 'Ể', 'ẻ', 'ẽ', // C0
    'é', 'ẹ', 'ề', 'ể', 'ễ', 'ế', 'ệ', 'ì', 'ỉ', 'Ễ', 'Ế', 'Ồ', 'ĩ', 'í', 'ị', 'ò', // D0
    'Ổ', 'ỏ', 'õ', 'ó', 'ọ', 'ồ', 'ổ', 'ỗ', 'ố', 'ộ', 'ờ', 'ở', 'ỡ', 'ớ', 'ợ', 'ù', // E0
    'Ỗ', 'ủ', 'ũ', 'ú', 'ụ', 'ừ', 'ử', 'ữ', 'ứ', 'ự', 'ỳ', 'ỷ', 'ỹ', 'ý', 'ỵ', 'Ố', // F0
];

/// TCVN 5712:1993 (VN1) bytes 0x80–0x9F (capitals with tone marks).
const TCVN3_80: [char; 32] = [
    'À', 'Ả', 'Ã', 'Á', 'Ạ', 'Ặ', 'Ậ', 'È', 'Ẻ', 'Ẽ', 'É', 'Ẹ', 'Ệ', 'Ì', 'Ỉ', 'Ĩ', // 80
    'Í', 'Ị', 'Ò', 'Ỏ', 'Õ', 'Ó', 'Ọ', 'Ộ', 'Ờ', 'Ở', 'Ỡ', 'Ớ', 'Ợ', 'Ù', 'Ủ', 'Ũ', // 90
];

/// The byte that a character stands for in a legacy-font cell: U+0000–U+00FF
/// directly, and the Windows-1252 characters of 0x80–0x9F.
fn legacy_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if u <= 0xFF {
        return Some(u as u8);
    }
    let mut utf8 = [0; 4];
    let (bytes, _, had_errors) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut utf8));
    (!had_errors && bytes.len() == 1).then(|| bytes[0])
}

/// Decodes TCVN3 text; `upper`: the text was set in a capital-letter font.
pub fn decode_tcvn3(s: &str, upper: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let d = match legacy_byte(c) {
            Some(b @ 0xA0..=0xFF) => TCVN3_HIGH[usize::from(b - 0xA0)],
            Some(b @ 0x80..=0x9F) => TCVN3_80[usize::from(b - 0x80)],
            _ => c,
        };
        if upper {
            out.extend(d.to_uppercase());
        } else {
            out.push(d);
        }
    }
    nfc(&out)
}

/// VNI-Windows: a base letter followed by a mark character. Lower-case
/// marks; the capital forms are the same letters upper-cased.
const VNI_MARKS: &[(char, &str)] = &[
    ('ù', "\u{301}"),        // sắc
    ('ø', "\u{300}"),        // huyền
    ('û', "\u{309}"),        // hỏi
    ('õ', "\u{303}"),        // ngã
    ('ï', "\u{323}"),        // nặng
    ('â', "\u{302}"),        // circumflex
    ('á', "\u{302}\u{301}"), // ấ
    ('à', "\u{302}\u{300}"), // ầ
    ('å', "\u{302}\u{309}"), // ẩ
    ('ã', "\u{302}\u{303}"), // ẫ
    ('ä', "\u{302}\u{323}"), // ậ
    ('ê', "\u{306}"),        // breve (ă)
    ('é', "\u{306}\u{301}"), // ắ
    ('è', "\u{306}\u{300}"), // ằ
    ('ú', "\u{306}\u{309}"), // ẳ
    ('ü', "\u{306}\u{303}"), // ẵ
    ('ë', "\u{306}\u{323}"), // ặ
];

/// Letters that VNI writes as one character.
const VNI_SINGLE: &[(char, char)] = &[
    ('ô', 'ơ'),
    ('ö', 'ư'),
    ('ñ', 'đ'),
    ('í', 'í'),
    ('ì', 'ì'),
    ('æ', 'ỉ'),
    ('ó', 'ĩ'),
    ('ò', 'ị'),
    ('î', 'ỵ'),
];

fn vni_mark(c: char) -> Option<&'static str> {
    let lower = c.to_lowercase().next()?;
    VNI_MARKS.iter().find(|(m, _)| *m == lower).map(|(_, s)| *s)
}

fn vni_single(c: char) -> Option<char> {
    let lower = c.to_lowercase().next()?;
    let mapped = VNI_SINGLE.iter().find(|(m, _)| *m == lower)?.1;
    Some(if c.is_uppercase() {
        mapped.to_uppercase().next()?
    } else {
        mapped
    })
}

/// Decodes VNI-Windows text.
pub fn decode_vni(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let base = if matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'o' | 'u' | 'y') {
            Some(c)
        } else if matches!(c.to_lowercase().next(), Some('ô' | 'ö')) {
            vni_single(c)
        } else {
            None
        };
        if let Some(b) = base {
            out.push(b);
            // one mark (vowel quality and/or tone) may follow; ơ/ư take tones only
            if let Some(&next) = chars.get(i + 1) {
                if let Some(m) = vni_mark(next) {
                    let quality_ok = matches!(b.to_ascii_lowercase(), 'a' | 'e' | 'o')
                        || !m.starts_with(['\u{302}', '\u{306}']);
                    let breve_ok = b.eq_ignore_ascii_case(&'a') || !m.starts_with('\u{306}');
                    if quality_ok && breve_ok {
                        out.push_str(m);
                        i += 2;
                        continue;
                    }
                }
            }
            i += 1;
            continue;
        }
        match vni_single(c) {
            Some(d) => out.push(d),
            None => out.push(c),
        }
        i += 1;
    }
    nfc(&out)
}

/// Decodes bytes of a text file: UTF-8 (with or without BOM) when valid,
/// otherwise Windows-1258. Returns the NFC text and the encoding used.
pub fn decode_text_file(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1258.decode(bytes);
            (nfc_keep_lines(&text), "windows-1258")
        }
    }
}

/// NFC without trimming (whole files).
fn nfc_keep_lines(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcvn3_words() {
        // "Thành phố Hồ Chí Minh" typed with the .VnTime font
        let raw: String = [
            'T', 'h', '\u{b5}', 'n', 'h', ' ', 'p', 'h', '\u{e8}', ' ', 'H', '\u{e5}', ' ', 'C',
            'h', '\u{dd}', ' ', 'M', 'i', 'n', 'h',
        ]
        .iter()
        .collect();
        assert_eq!(decode_tcvn3(&raw, false), "Thành phố Hồ Chí Minh");
        // "Đồng Nai": Đ is 0xA7
        assert_eq!(decode_tcvn3("\u{a7}\u{e5}ng Nai", false), "Đồng Nai");
        // the capital font draws the same codes as capitals
        assert_eq!(decode_tcvn3("\u{a7}\u{e5}ng nai", true), "ĐỒNG NAI");
    }

    #[test]
    fn tcvn3_covers_every_vietnamese_lowercase_letter() {
        let letters = "àảãáạăằẳẵắặâầẩẫấậđèẻẽéẹêềểễếệìỉĩíịòỏõóọôồổỗốộơờởỡớợùủũúụưừửữứựỳỷỹýỵ";
        let decoded: String = (0xA0u32..=0xFF)
            .map(|b| decode_tcvn3(&char::from_u32(b).unwrap().to_string(), false))
            .collect();
        for l in letters.chars() {
            assert!(decoded.contains(l), "{l} missing from the TCVN3 table");
        }
    }

    #[test]
    fn vni_words() {
        assert_eq!(
            decode_vni("Thaønh phoá Hoà Chí Minh"),
            "Thành phố Hồ Chí Minh"
        );
        assert_eq!(decode_vni("Ñoàng Nai"), "Đồng Nai");
        assert_eq!(decode_vni("Vieät Nam"), "Việt Nam");
        assert_eq!(decode_vni("tröôøng"), "trường");
        assert_eq!(decode_vni("aên"), "ăn");
        assert_eq!(decode_vni("THAØNH PHOÁ"), "THÀNH PHỐ");
        assert_eq!(decode_vni("Kim ngaïch xuaát khaåu"), "Kim ngạch xuất khẩu");
    }

    #[test]
    fn fonts() {
        assert_eq!(
            LegacyFont::from_font_name(".VnTime"),
            Some(LegacyFont::Tcvn3 { upper: false })
        );
        assert_eq!(
            LegacyFont::from_font_name(".VnTimeH"),
            Some(LegacyFont::Tcvn3 { upper: true })
        );
        assert_eq!(
            LegacyFont::from_font_name("VNI-Times"),
            Some(LegacyFont::Vni)
        );
        assert_eq!(LegacyFont::from_font_name("Times New Roman"), None);
    }

    #[test]
    fn windows_1258_is_nfc() {
        // "Hồ Chí Minh" in Windows-1258: ô (F4) + combining grave (CC)
        let bytes = b"H\xF4\xCC Ch\xED Minh";
        let (text, enc) = decode_text_file(bytes);
        assert_eq!(enc, "windows-1258");
        assert_eq!(text, "Hồ Chí Minh");
        let (text, enc) = decode_text_file("\u{feff}Hồ".as_bytes());
        assert_eq!((text.as_str(), enc), ("Hồ", "UTF-8"));
    }
}

//! Numbers, changes and periods as Vietnamese (and English) reports write
//! them: "1.172.800 tỷ đồng", "tăng 9,9%", "giảm 4,1%", "tương đương cùng
//! kỳ", "10 tháng năm 2020", "quý III/2020".

use solieu_model::Period;

solieu_model::named! {
    /// The language of a text.
    pub enum Lang ("language") {
        /// Vietnamese: decimal comma, dot thousands.
        Vi = "vi",
        /// English: decimal point, comma thousands.
        En = "en",
    }
}

impl Lang {
    /// Parses `vi` or `en`, in any case.
    pub fn parse(s: &str) -> Option<Lang> {
        s.trim().to_ascii_lowercase().parse().ok()
    }

    /// `vi` or `en` ([`Lang::name`]).
    pub fn code(self) -> &'static str {
        self.name()
    }
}

/// A number rounded to `decimals`, with the language's separators; no
/// "-0": a value that rounds to zero prints as zero.
pub fn number(v: f64, decimals: usize, lang: Lang) -> String {
    let (thousands, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    let zero = text.chars().all(|c| c == '0' || c == '.');
    let mut out = String::new();
    if v < 0.0 && !zero {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push(point);
        out.push_str(f);
    }
    out
}

/// Decimals for a percentage: a reported figure keeps the decimals it was
/// published with (up to two: "tăng 2,21%"); a computed one gets one, as the
/// statistics offices publish, or two when one would hide a small change
/// (0,04% is not 0,0%).
pub fn pct_decimals(v: f64, reported: bool) -> usize {
    if reported {
        let text = format!("{:.2}", v.abs());
        let trimmed = text.trim_end_matches('0');
        return trimmed.split_once('.').map_or(0, |(_, f)| f.len());
    }
    if v.abs() < 0.1 && v != 0.0 {
        2
    } else {
        1
    }
}

/// A percentage, unsigned: "9,9%".
pub fn pct(v: f64, decimals: usize, lang: Lang) -> String {
    format!("{}%", number(v.abs(), decimals, lang))
}

/// A change in words, never a minus sign: "tăng 9,9%", "giảm 4,1%",
/// "tương đương" when it rounds to zero (English: "up 9.9%", "down 4.1%",
/// "unchanged").
pub fn change(v: f64, decimals: usize, lang: Lang) -> String {
    let shown = number(v.abs(), decimals, lang);
    let zero = shown.chars().all(|c| matches!(c, '0' | ',' | '.'));
    match (lang, zero, v > 0.0) {
        (Lang::Vi, true, _) => "tương đương".into(),
        (Lang::Vi, false, true) => format!("tăng {shown}%"),
        (Lang::Vi, false, false) => format!("giảm {shown}%"),
        (Lang::En, true, _) => "unchanged".into(),
        (Lang::En, false, true) => format!("up {shown}%"),
        (Lang::En, false, false) => format!("down {shown}%"),
    }
}

/// A change in percentage points in words: "tăng 0,5 điểm phần trăm",
/// "giảm 1,06 điểm phần trăm", "không đổi".
pub fn pp(v: f64, decimals: usize, lang: Lang) -> String {
    let shown = number(v.abs(), decimals, lang);
    let zero = shown.chars().all(|c| matches!(c, '0' | ',' | '.'));
    match (lang, zero, v > 0.0) {
        (Lang::Vi, true, _) => "không đổi".into(),
        (Lang::Vi, false, true) => format!("tăng {shown} điểm phần trăm"),
        (Lang::Vi, false, false) => format!("giảm {shown} điểm phần trăm"),
        (Lang::En, true, _) => "unchanged".into(),
        (Lang::En, false, true) => format!("up {shown} percentage points"),
        (Lang::En, false, false) => format!("down {shown} percentage points"),
    }
}

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

/// A period as reports name it: "tháng 10/2020", "10 tháng năm 2020",
/// "quý III/2020", "6 tháng đầu năm 2020", "năm 2020".
pub fn period(p: Period, lang: Lang) -> String {
    match (lang, p) {
        (Lang::Vi, Period::Month(y, m)) => format!("tháng {m}/{y}"),
        (Lang::Vi, Period::Cumulative(y, 12)) | (Lang::Vi, Period::Year(y)) => format!("năm {y}"),
        (Lang::Vi, Period::Cumulative(y, m)) => format!("{m} tháng năm {y}"),
        (Lang::Vi, Period::Quarter(y, q)) => format!("quý {}/{y}", ROMAN[usize::from(q - 1)]),
        (Lang::Vi, Period::Half(y, 1)) => format!("6 tháng đầu năm {y}"),
        (Lang::Vi, Period::Half(y, _)) => format!("6 tháng cuối năm {y}"),
        (Lang::En, Period::Month(y, m)) => format!("{} {y}", month_name(m)),
        (Lang::En, Period::Cumulative(y, 12)) | (Lang::En, Period::Year(y)) => format!("{y}"),
        (Lang::En, Period::Cumulative(y, m)) => format!("the first {m} months of {y}"),
        (Lang::En, Period::Quarter(y, q)) => format!("Q{q} {y}"),
        (Lang::En, Period::Half(y, h)) => format!("H{h} {y}"),
        (Lang::Vi, Period::Span(y, _)) => format!("giai đoạn {}–{y}", p.first_year()),
        (Lang::En, Period::Span(y, _)) => format!("{}–{y}", p.first_year()),
    }
}

/// English month names.
pub fn month_name(m: u8) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][usize::from(m.clamp(1, 12) - 1)]
}

/// A level with its unit, promoted to a larger unit where reports do
/// ("36.700 triệu USD" is written "36,7 tỷ USD"); returns the number and
/// the unit label.
pub fn level(v: f64, unit: &str, decimals: usize, lang: Lang) -> (String, String) {
    let (v, unit, decimals) = match unit {
        "triệu USD" if v.abs() >= 1000.0 => (v / 1000.0, "tỷ USD".to_string(), 1),
        "nghìn USD" if v.abs() >= 1000.0 => (v / 1000.0, "triệu USD".to_string(), 1),
        _ => (v, unit.to_string(), decimals),
    };
    let unit = match lang {
        Lang::Vi => unit,
        Lang::En => english_unit(&unit),
    };
    (number(v, decimals, lang), unit)
}

fn english_unit(u: &str) -> String {
    match u {
        "tỷ đồng" => "billion VND".into(),
        "triệu đồng" => "million VND".into(),
        "tỷ USD" => "billion USD".into(),
        "triệu USD" => "million USD".into(),
        "nghìn USD" => "thousand USD".into(),
        "nghìn người" => "thousand people".into(),
        "doanh nghiệp" => "enterprises".into(),
        "dự án" => "projects".into(),
        "nhiệm vụ" => "tasks".into(),
        "sự kiện" => "events".into(),
        other => other.into(),
    }
}

/// "Thành phố Hồ Chí Minh, ngày 11 tháng 11 năm 2020".
pub fn place_date(place: &str, d: chrono::NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match lang {
        Lang::Vi => format!(
            "{place}, ngày {} tháng {} năm {}",
            d.day(),
            d.month(),
            d.year()
        ),
        Lang::En => format!(
            "{place}, {} {} {}",
            d.day(),
            month_name(d.month() as u8),
            d.year()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers() {
        assert_eq!(number(1_172_800.0, 0, Lang::Vi), "1.172.800");
        assert_eq!(number(9.9, 1, Lang::Vi), "9,9");
        assert_eq!(number(36.7, 1, Lang::Vi), "36,7");
        assert_eq!(number(-0.04, 1, Lang::Vi), "0,0");
        assert_eq!(number(1_234_567.891, 2, Lang::En), "1,234,567.89");
        assert_eq!(number(999.96, 1, Lang::Vi), "1.000,0");
        assert_eq!(number(-1234.5, 1, Lang::Vi), "-1.234,5");
    }

    #[test]
    fn changes_in_words() {
        let c = |v: f64, reported: bool| change(v, pct_decimals(v, reported), Lang::Vi);
        assert_eq!(c(9.900023, false), "tăng 9,9%");
        assert_eq!(c(-4.1, true), "giảm 4,1%");
        assert_eq!(c(2.21, true), "tăng 2,21%");
        assert_eq!(c(10.0, true), "tăng 10%");
        assert_eq!(c(0.0, false), "tương đương");
        assert_eq!(c(0.004, false), "tương đương");
        assert_eq!(c(0.04, false), "tăng 0,04%");
        assert_eq!(change(-2.3, 1, Lang::En), "down 2.3%");
        assert!(!c(-12.8, false).contains('-'));
        assert_eq!(pct(71.6, 1, Lang::Vi), "71,6%");
        assert_eq!(pp(0.5, 1, Lang::Vi), "tăng 0,5 điểm phần trăm");
        assert_eq!(pp(-1.06, 2, Lang::Vi), "giảm 1,06 điểm phần trăm");
        assert_eq!(pp(0.001, 2, Lang::Vi), "không đổi");
        assert_eq!(pp(-0.25, 2, Lang::En), "down 0.25 percentage points");
    }

    #[test]
    fn periods_and_units() {
        assert_eq!(
            period(Period::Cumulative(2020, 10), Lang::Vi),
            "10 tháng năm 2020"
        );
        assert_eq!(period(Period::Quarter(2020, 3), Lang::Vi), "quý III/2020");
        assert_eq!(period(Period::Month(2020, 10), Lang::Vi), "tháng 10/2020");
        assert_eq!(
            period(Period::Cumulative(2020, 10), Lang::En),
            "the first 10 months of 2020"
        );
        assert_eq!(
            level(36_700.0, "triệu USD", 1, Lang::Vi),
            ("36,7".into(), "tỷ USD".into())
        );
        assert_eq!(
            level(1_172_800.0, "tỷ đồng", 0, Lang::Vi),
            ("1.172.800".into(), "tỷ đồng".into())
        );
        assert_eq!(
            level(36_700.0, "triệu USD", 1, Lang::En),
            ("36.7".into(), "billion USD".into())
        );
        let d = chrono::NaiveDate::from_ymd_opt(2020, 11, 11).unwrap();
        assert_eq!(
            place_date("Thành phố Hồ Chí Minh", d, Lang::Vi),
            "Thành phố Hồ Chí Minh, ngày 11 tháng 11 năm 2020"
        );
    }
}

//! The wide layout departments really send: indicators as rows, and
//! columns such as "Thực hiện tháng 9 | Ước tính tháng 10 | Lũy kế 10 tháng |
//! Tháng 10 so với cùng kỳ (%) | Lũy kế so với cùng kỳ (%)", with merged
//! multi-row headers, a unit column, and numbers typed as Vietnamese text.
//! Columns are understood by their labels, never by position.

use std::collections::HashMap;

use solieu_model::codelist::Found;
use solieu_model::text::{fold, NumberStyle};
use solieu_model::{CodeList, Indicator, Measure, Period, Status, Unit};

use crate::validate::{Catalog, Diagnostic, Field, Loc, RawRecord, RawValue};
use crate::xlsx::{cell_ref, Cell, Sheet};

/// Options a user gives for a wide sheet.
#[derive(Debug, Clone, Default)]
pub struct WideOptions {
    /// Area code when the sheet does not name it.
    pub area: Option<String>,
    /// Year when the headers and title do not give it.
    pub year: Option<i32>,
    /// The indicators of a sheet whose rows are a breakdown (product
    /// groups, markets) when its title does not say (`EXPORTS,EXPORTS_VOLUME`).
    pub indicators: Vec<String>,
    /// Say how the sheet was understood (its area, its rows, each column).
    pub describe: bool,
}

const LABEL_HEADERS: &[&str] = &[
    "chi tieu",
    "ten chi tieu",
    "noi dung",
    "ten hang hoa",
    "indicator",
    "danh muc",
    "chi tieu chu yeu",
];

/// Whether the sheet looks like a wide form (has a "Chỉ tiêu" header cell).
pub fn find_label_header(sheet: &Sheet) -> Option<(usize, usize)> {
    for r in 0..sheet.rows.len().min(40) {
        for c in 0..sheet.rows[r].len() {
            let f = fold(sheet.get(r, c).text());
            if LABEL_HEADERS.contains(&f.as_str()) {
                return Some((r, c));
            }
        }
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Col {
    Code,
    Unit,
    Ignore,
    Value(Role),
}

#[derive(Debug, Clone, PartialEq)]
struct Role {
    measure: Measure,
    period: Period,
    status: Status,
    unit: Option<String>,
    index_form: bool,
    /// The header's text, as read (for `--dry-run`'s account).
    header: String,
}

/// What a header text says, before the report month is known.
#[derive(Debug, Clone, Default)]
struct Parsed {
    month: Option<u8>,
    months_cum: Option<u8>,
    quarter: Option<u8>,
    year: Option<i32>,
    cumulative: bool,
    same_period_last_year: bool,
    measure: Option<Measure>,
    status: Option<Status>,
    unit: Option<String>,
    growth_form: bool,
}

fn numbers_after(f: &str, word: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    let mut start = 0;
    while let Some(i) = f[start..].find(word) {
        let pos = start + i + word.len();
        let rest = f[pos..].trim_start();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            out.push((pos, digits));
        }
        start = pos;
    }
    out
}

fn roman(s: &str) -> Option<u8> {
    match s {
        "i" | "1" => Some(1),
        "ii" | "2" => Some(2),
        "iii" | "3" => Some(3),
        "iv" | "4" => Some(4),
        _ => None,
    }
}

/// The abbreviations of forms' headers written out: ƯTH (ước thực hiện),
/// TH (thực hiện), KH (kế hoạch), CK (cùng kỳ), SCK (so cùng kỳ), TT
/// (tháng trước), BQ (bình quân).
fn expand_abbreviations(f: &str) -> String {
    f.split(' ')
        .map(|w| match w {
            "uth" | "uoc th" => "uoc thuc hien",
            "th" => "thuc hien",
            "kh" => "ke hoach",
            "ck" => "cung ky",
            "sck" => "so cung ky",
            "tt" => "thang truoc",
            "bq" => "binh quan",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_header(text: &str) -> Parsed {
    let f = expand_abbreviations(&fold(text));
    let mut p = Parsed::default();
    // unit in parentheses
    if let (Some(a), Some(b)) = (text.find('('), text.rfind(')')) {
        if a < b {
            let inner = text[a + 1..b].trim();
            if inner == "%" {
                p.unit = Some("%".into());
            } else if !inner.is_empty() {
                let u = Unit::parse(inner);
                if u.scale != 0 || ["dong", "usd"].contains(&u.base.as_str()) {
                    p.unit = Some(inner.to_string());
                }
            }
        }
    }
    // years written out
    for w in f.split(|c: char| !c.is_ascii_digit()) {
        if w.len() == 4 {
            if let Ok(y) = w.parse::<i32>() {
                if (1990..=2100).contains(&y) {
                    p.year = Some(y);
                }
            }
        }
    }
    for (_, d) in numbers_after(&f, "thang") {
        if let Ok(m) = d.parse::<u8>() {
            if (1..=12).contains(&m) && d.len() <= 2 {
                p.month = Some(m);
            }
        }
    }
    // "10 thang" = ten months, cumulative
    let words: Vec<&str> = f.split(' ').collect();
    for w in words.windows(2) {
        if w[1] == "thang" {
            if let Ok(n) = w[0].parse::<u8>() {
                if (1..=12).contains(&n) {
                    p.months_cum = Some(n);
                }
            }
        }
        if w[0] == "quy" {
            p.quarter = roman(w[1].split('/').next().unwrap_or(""));
        }
    }
    if f.contains("6 thang dau nam") {
        p.months_cum = Some(6);
    }
    p.cumulative = p.months_cum.is_some()
        || ["luy ke", "cong don", "tinh chung"]
            .iter()
            .any(|w| f.contains(w));
    let has = |ws: &[&str]| ws.iter().any(|w| f.contains(w));
    p.measure = if has(&[
        "so voi cung ky",
        "so cung ky",
        "so ck",
        "so voi cung thang",
        "so voi ck",
    ]) {
        Some(Measure::YoyPct)
    } else if has(&[
        "so voi thang truoc",
        "so thang truoc",
        "so ky truoc",
        "so voi ky truoc",
    ]) {
        Some(Measure::MomPct)
    } else if has(&[
        "so voi ke hoach",
        "so ke hoach",
        "so kh",
        "so voi kh",
        "% ke hoach",
        "so du toan",
        "so voi du toan",
        "% du toan",
    ]) {
        Some(Measure::PlanPct)
    } else if has(&["ke hoach", "kh nam", "du toan"]) {
        Some(Measure::Plan)
    } else {
        None
    };
    // "tăng (+), giảm (-) %" columns hold growth; plain "so với cùng kỳ (%)" columns hold the index (= 100)
    p.growth_form = has(&["tang", "giam"]);
    p.same_period_last_year = p.measure.is_none() && has(&["cung ky"]);
    p.status = if has(&["uoc"]) {
        Some(Status::Estimate)
    } else if has(&["chinh thuc"]) {
        Some(Status::Final)
    } else if has(&["so bo", "thuc hien"]) {
        Some(Status::Preliminary)
    } else {
        None
    };
    p
}

fn is_column_id_row(sheet: &Sheet, r: usize) -> bool {
    let cells: Vec<&Cell> = sheet
        .rows
        .get(r)
        .map(|row| row.iter().filter(|c| !c.is_blank()).collect())
        .unwrap_or_default();
    !cells.is_empty()
        && cells.iter().all(|c| match c {
            Cell::Number(n) => n.fract() == 0.0 && *n < 100.0,
            Cell::Text(t) => {
                let t = t.trim();
                t.len() <= 12
                    && t.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "()=+-*/:., ".contains(ch))
            }
            Cell::Empty => true,
        })
}

/// Strips list numbering from a row label: "1.", "I.", "a)", "-", "+".
fn strip_numbering(label: &str) -> &str {
    let t = label
        .trim()
        .trim_start_matches(['-', '+', '*', '•', '–'])
        .trim();
    if let Some((head, rest)) = t.split_once(['.', ')']) {
        let h = head.trim();
        if !h.is_empty()
            && h.len() <= 4
            && h.chars()
                .all(|c| c.is_ascii_digit() || "IVXivx".contains(c) || c.is_ascii_lowercase())
        {
            return rest.trim();
        }
    }
    t
}

/// Where a sheet names its area: the cell, its text and the area's code.
struct AreaHint {
    row: usize,
    col: usize,
    text: String,
    code: String,
}

/// Folded text with the usual abbreviations written out (`UBND`, `TP.`).
fn spelled(text: &str) -> String {
    fold(text)
        .split(' ')
        .map(|w| match w {
            "ubnd" => "uy ban nhan dan",
            "tp" => "thanh pho",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The province (or centrally-run city) a folded text ends with
/// (`… thanh pho ho chi minh`, `… tinh dong nai`), or is (`ho chi minh`).
fn province_in(cat: &Catalog<'_>, text: &str, whole: bool) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for a in cat.areas.all() {
        if a.level != solieu_model::Level::Province {
            continue;
        }
        let full = fold(&a.name_vi);
        let bare = full
            .strip_prefix("thanh pho ")
            .or_else(|| full.strip_prefix("tinh "))
            .unwrap_or(&full)
            .to_string();
        let hit = if whole {
            text == full || text == bare
        } else {
            text.ends_with(&format!(" {full}"))
        };
        if hit && best.as_ref().is_none_or(|(n, _)| full.len() > *n) {
            best = Some((full.len(), a.code.clone()));
        }
    }
    best.map(|(_, c)| c)
}

/// Every place a sheet names its area: an "Địa bàn: …" cell above the
/// table, the issuing body in its header ("ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ
/// MINH", "SỞ CÔNG THƯƠNG TỈNH BÌNH DƯƠNG"), and the place of the
/// place-date line ("TP. Hồ Chí Minh, ngày 05 tháng 11 năm 2020"), above or
/// under the table.
fn area_hints(sheet: &Sheet, header_row: usize, cat: &Catalog<'_>) -> Vec<AreaHint> {
    let mut hints = vec![];
    for r in 0..sheet.rows.len() {
        for c in 0..sheet.rows[r].len() {
            let text = sheet.get(r, c).text();
            let f = spelled(text);
            if f.is_empty() {
                continue;
            }
            let mut code = None;
            if r < header_row {
                for label in ["dia ban", "tinh thanh pho", "tinh/thanh pho", "area"] {
                    if let Some(rest) = f.strip_prefix(label) {
                        let name = rest.trim_start_matches([':', ' ']).trim();
                        code = province_in(cat, name, true).or_else(|| {
                            cat.areas
                                .all()
                                .iter()
                                .find(|a| a.code == name.to_uppercase())
                                .map(|a| a.code.clone())
                        });
                    }
                }
                let issuer = [
                    "uy ban nhan dan ",
                    "so ",
                    "cuc thong ke ",
                    "chi cuc thong ke ",
                ];
                if code.is_none() && issuer.iter().any(|p| f.starts_with(p)) {
                    code = province_in(cat, &f, false);
                }
            }
            if code.is_none() {
                if let Some((place, _)) = place_date(&f) {
                    code = province_in(cat, place, true);
                }
            }
            if let Some(code) = code {
                hints.push(AreaHint {
                    row: r,
                    col: c,
                    text: text.to_string(),
                    code,
                });
            }
        }
    }
    hints
}

/// A place-date line, folded: (place, the rest) of "…, ngày … tháng … năm …".
fn place_date(f: &str) -> Option<(&str, &str)> {
    let at = if f.starts_with("ngay ") {
        0
    } else {
        f.find(" ngay ")? + 1
    };
    let rest = &f[at..];
    (rest.contains(" thang ") && rest.contains(" nam")).then(|| (f[..at].trim(), rest))
}

/// Words that begin what stands under a form's table: signatures, the
/// recipients, notes.
const UNDER_TABLE: [&str; 14] = [
    "nguoi lap bieu",
    "nguoi lap",
    "nguoi kiem tra",
    "thu truong don vi",
    "thu truong co quan",
    "giam doc",
    "kt giam doc",
    "pho giam doc",
    "chu tich",
    "kt chu tich",
    "tm uy ban nhan dan",
    "ke toan truong",
    "noi nhan",
    "ghi chu",
];

/// Whether row `r` begins what stands under the table: the place-date line,
/// a signature, the recipients ("Nơi nhận:") or a note ("Ghi chú:", "*").
fn under_table(sheet: &Sheet, r: usize) -> bool {
    (0..sheet.rows[r].len()).any(|c| {
        let text = sheet.get(r, c).text().trim();
        let f = spelled(text);
        !f.is_empty()
            && (text.starts_with('*')
                || place_date(&f).is_some()
                || UNDER_TABLE
                    .iter()
                    .any(|w| f == *w || f.starts_with(&format!("{w} "))))
    })
}

/// The period a sheet's title names ("THÁNG 10 VÀ 10 THÁNG NĂM 2020": the
/// year, and the month when it says one), with the title cell and text.
fn title_period(
    sheet: &Sheet,
    header_row: usize,
) -> Option<(i32, Option<u8>, usize, usize, String)> {
    for r in 0..header_row {
        for c in 0..sheet.rows[r].len() {
            let text = sheet.get(r, c).text();
            let p = parse_header(text);
            if let Some(y) = p.year {
                return Some((y, p.month, r, c, text.to_string()));
            }
        }
    }
    None
}

/// A row label without its numbering and the "Trong đó:" / "Chia ra:" /
/// "Gồm:" that introduces parts.
fn row_label(label: &str) -> &str {
    let t = strip_numbering(label);
    for lead in [
        "trong đó",
        "chia ra",
        "gồm",
        "bao gồm",
        "trong do",
        "chia theo",
    ] {
        if let Some(head) = t.get(..lead.len()) {
            if fold(head) == fold(lead) {
                let rest = t[lead.len()..].trim_start_matches([':', ',', ' ']);
                return strip_numbering(rest);
            }
        }
    }
    t
}

/// The indicator, breakdown and code a row under indicator `ind` names
/// ("- Khu vực có vốn đầu tư nước ngoài" under "Kim ngạch xuất khẩu").
fn part_of(cat: &Catalog<'_>, ind: &str, label: &str) -> Option<(String, String, String)> {
    let i = cat.indicators.get(ind)?;
    if label.is_empty() {
        return None;
    }
    i.dimensions.iter().find_map(|d| {
        let list = cat.lists.get(&d.name)?;
        match list.find(label) {
            Found::One(c) if !c.is_total() => {
                Some((i.code.clone(), d.name.clone(), c.code.clone()))
            }
            _ => None,
        }
    })
}

fn not_found(list: &CodeList, found: &Found<'_>) -> String {
    match found {
        Found::Ambiguous(cs) => {
            let names: Vec<String> = cs.iter().map(|c| format!("{} ({})", c.code, c.label_vi)).collect();
            format!("the label is given to {} of list {}", names.join(" and "), list.name)
        }
        _ => format!(
            "row label is not a code of list {} (the sheet's rows are {}); expected a label such as '{}' (see `solieu codelists {}`), or add it as an alias with `solieu codelists import`",
            list.name,
            list.name,
            list.codes().iter().find(|c| !c.is_total()).map_or("", |c| c.label_vi.as_str()),
            list.name
        ),
    }
}

/// A sheet whose rows are the codes of one list, and the indicator of each
/// value column.
struct Breakdown<'c> {
    list: &'c CodeList,
    columns: HashMap<usize, String>,
}

/// Whether the rows of a sheet are the codes of one breakdown, and then
/// which indicator each value column holds: the indicators broken down by
/// that list (or those given with `--indicator`), told apart by the unit in
/// a column's header ("Trị giá (Triệu USD)" → a value in USD, "Sản lượng
/// (Nghìn tấn)" → a quantity in tonnes) and then by the words of the title;
/// a growth or plan column belongs to the nearest value column on its left.
/// Where a sheet's table is: the file, the sheet, the header's last row
/// and the label column.
struct TableAt<'s> {
    file: &'s str,
    sheet: &'s Sheet,
    header_end: usize,
    label_col: usize,
}

fn breakdown_sheet<'c>(
    at: &TableAt<'_>,
    rows: &[usize],
    value_cols: &[(usize, Role)],
    opts: &WideOptions,
    cat: &'c Catalog<'c>,
) -> Result<Option<Breakdown<'c>>, Vec<Diagnostic>> {
    let (file, sheet, hr, lc) = (at.file, at.sheet, at.header_end, at.label_col);
    let loc = |r: usize, c: usize| Loc {
        file: file.to_string(),
        sheet: Some(sheet.name.clone()),
        row: r + 1,
        column: cell_ref(r, c),
    };
    let wanted: Vec<String> = opts
        .indicators
        .iter()
        .map(|i| i.trim().to_ascii_uppercase())
        .collect();
    let mut best: Option<(usize, &CodeList)> = None;
    let mut seen_lists: Vec<&str> = vec![];
    for ind in cat.indicators.values() {
        if !wanted.is_empty() && !wanted.contains(&ind.code) {
            continue;
        }
        for d in &ind.dimensions {
            let Some(list) = cat.lists.get(&d.name) else {
                continue;
            };
            if seen_lists.contains(&list.name.as_str()) {
                continue;
            }
            seen_lists.push(&list.name);
            let hits = rows
                .iter()
                .filter(|r| matches!(list.find(row_label(sheet.get(**r, lc).text())), Found::One(c) if !c.is_total()))
                .count();
            if hits > 0 && best.is_none_or(|(n, l)| hits > n || (hits == n && list.name < l.name)) {
                best = Some((hits, list));
            }
        }
    }
    let Some((_, list)) = best else {
        return Ok(None);
    };
    let mut candidates: Vec<&Indicator> = cat
        .indicators
        .values()
        .filter(|i| i.dimensions.iter().any(|d| d.name == list.name))
        .filter(|i| wanted.is_empty() || wanted.contains(&i.code))
        .copied()
        .collect();
    candidates.sort_by(|a, b| a.code.cmp(&b.code));
    for w in &wanted {
        if !candidates.iter().any(|i| i.code == *w) {
            return Err(vec![Diagnostic {
                loc: loc(hr, lc),
                value: w.clone(),
                message: match cat.indicators.get(w) {
                    Some(_) => format!(
                        "--indicator {w}: it is not broken down by {}, which the sheet's rows are",
                        list.name
                    ),
                    None => format!("--indicator {w}: not an indicator of the catalogue"),
                },
            }]);
        }
    }
    // the title: the text above the header
    let mut title = String::new();
    for r in 0..hr {
        for c in 0..sheet.rows[r].len() {
            title.push(' ');
            title.push_str(&fold(sheet.get(r, c).text()));
        }
    }
    let title_words: Vec<&str> = title.split(' ').filter(|w| !w.is_empty()).collect();
    let mut columns = HashMap::new();
    let mut errors = vec![];
    let mut last_level: Option<String> = None;
    let mut pending: Vec<usize> = vec![];
    for (c, role) in value_cols {
        if !role.measure.in_indicator_unit() {
            match &last_level {
                Some(i) => {
                    columns.insert(*c, i.clone());
                }
                None => pending.push(*c),
            }
            continue;
        }
        let mut fit: Vec<&Indicator> = candidates
            .iter()
            .filter(|i| {
                role.unit
                    .as_ref()
                    .is_none_or(|u| Unit::parse(u).factor_to(&i.unit).is_ok())
            })
            .copied()
            .collect();
        if fit.len() > 1 {
            // the words of its name that the others lack, found in the title
            let others = fit.clone();
            let score = |i: &Indicator| {
                let own: Vec<String> = fold(&i.name_vi).split(' ').map(str::to_string).collect();
                own.iter()
                    .filter(|w| {
                        w.len() > 2
                            && title_words.contains(&w.as_str())
                            && others
                                .iter()
                                .any(|o| !fold(&o.name_vi).split(' ').any(|x| x == w.as_str()))
                    })
                    .count()
            };
            let top = fit.iter().map(|i| score(i)).max().unwrap_or(0);
            if top > 0 {
                fit = others.iter().filter(|i| score(i) == top).copied().collect();
            }
        }
        match fit.as_slice() {
            [one] => {
                columns.insert(*c, one.code.clone());
                for p in pending.drain(..) {
                    columns.insert(p, one.code.clone());
                }
                last_level = Some(one.code.clone());
            }
            [] => errors.push(Diagnostic {
                loc: loc(hr, *c),
                value: role.unit.clone().unwrap_or_default(),
                message: format!(
                    "no indicator broken down by {} is measured in this column's unit; expected one of {} ({})",
                    list.name,
                    candidates.iter().map(|i| i.code.as_str()).collect::<Vec<_>>().join(", "),
                    candidates.iter().map(|i| i.unit.label.as_str()).collect::<Vec<_>>().join(", ")
                ),
            }),
            many => errors.push(Diagnostic {
                loc: loc(hr, *c),
                value: role.unit.clone().unwrap_or_default(),
                message: format!(
                    "the rows are codes of {} and this column could be {}; the sheet's title does not say which: name the sheet's indicators with --indicator (e.g. --indicator {})",
                    list.name,
                    many.iter().map(|i| i.code.as_str()).collect::<Vec<_>>().join(" or "),
                    many[0].code
                ),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Some(Breakdown { list, columns }))
}

/// Reads one wide sheet; with [`WideOptions::describe`], says in `notes`
/// how it understood the sheet.
pub fn read(
    sheet: &Sheet,
    file: &str,
    opts: &WideOptions,
    cat: &Catalog<'_>,
    notes: &mut Vec<String>,
) -> Result<Vec<RawRecord>, Vec<Diagnostic>> {
    let loc = |r: usize, c: usize| Loc {
        file: file.to_string(),
        sheet: Some(sheet.name.clone()),
        row: r + 1,
        column: cell_ref(r, c),
    };
    let diag = |r: usize, c: usize, value: &str, message: String| Diagnostic {
        loc: loc(r, c),
        value: value.to_string(),
        message,
    };
    let Some((hr, lc)) = find_label_header(sheet) else {
        return Err(vec![diag(0, 0, "", "no 'Chỉ tiêu' header cell; expected the long layout (indicator,area,period,value) or a wide form whose indicator column is headed 'Chỉ tiêu'".into())]);
    };
    // header band: the label row and the rows its merged cells reach
    let mut he = hr;
    for m in &sheet.merges {
        if m.start.0 <= hr && hr <= m.end.0 {
            he = he.max(m.end.0);
        }
    }
    let mut first_data = he + 1;
    while first_data < sheet.rows.len() && is_column_id_row(sheet, first_data) {
        first_data += 1;
    }
    let area = match &opts.area {
        Some(a) => a.clone(),
        None => {
            let hints = area_hints(sheet, hr, cat);
            let Some(first) = hints.first() else {
                return Err(vec![diag(hr, lc, "", "the sheet does not name its area (an issuing body such as 'ỦY BAN NHÂN DÂN TỈNH …', a cell 'Địa bàn: …' or a place-date line); give the area code with --area".into())]);
            };
            if let Some(other) = hints.iter().find(|h| h.code != first.code) {
                return Err(hints
                    .iter()
                    .map(|h| {
                        diag(
                            h.row,
                            h.col,
                            &h.text,
                            format!(
                                "the sheet names two areas: {} here, {} at {}; give the area code with --area",
                                h.code,
                                if h.code == first.code { &other.code } else { &first.code },
                                if h.code == first.code {
                                    cell_ref(other.row, other.col)
                                } else {
                                    cell_ref(first.row, first.col)
                                }
                            ),
                        )
                    })
                    .collect());
            }
            first.code.clone()
        }
    };
    let title = title_period(sheet, hr);
    let default_year = opts.year.or_else(|| title.as_ref().map(|t| t.0));
    // classify columns
    let mut parsed: Vec<(usize, String, Parsed)> = vec![];
    let mut cols: HashMap<usize, Col> = HashMap::new();
    let mut errors = vec![];
    for c in 0..sheet.width() {
        if c == lc {
            continue;
        }
        let mut parts: Vec<&str> = vec![];
        for r in hr..=he {
            let t = sheet.get_merged(r, c).text();
            if !t.is_empty() && parts.last() != Some(&t) {
                parts.push(t);
            }
        }
        let text = parts.join(" ");
        let f = fold(&text);
        if f.is_empty() {
            continue;
        }
        if ["ma so", "ma", "code", "ma chi tieu"].contains(&f.as_str()) {
            cols.insert(c, Col::Code);
        } else if ["don vi tinh", "dvt", "don vi", "unit"].contains(&f.as_str()) {
            cols.insert(c, Col::Unit);
        } else if ["stt", "so tt", "tt", "ghi chu", "note"].contains(&f.as_str())
            || f.contains("tham khao")
        {
            // a column "(tham khảo)" gives figures for reference only (last
            // year's, in a template solieu wrote): not the unit's report
            cols.insert(c, Col::Ignore);
        } else {
            parsed.push((c, text, parse_header(&parts.join(" "))));
        }
    }
    let report_year = default_year.or_else(|| parsed.iter().filter_map(|p| p.2.year).max());
    let report_month = parsed
        .iter()
        .filter(|(_, _, p)| p.year.is_none() || p.year == report_year)
        .filter_map(|(_, _, p)| p.month.or(p.months_cum))
        .max();
    for (c, text, p) in parsed {
        let Some(y0) = p.year.or(report_year) else {
            errors.push(diag(hr, c, &text, "no year in the header or the title; expected e.g. 'năm 2020' in the title, or give --year".into()));
            continue;
        };
        let measure = p.measure.unwrap_or(Measure::Level);
        let y = if p.same_period_last_year && p.year.is_none() {
            y0 - 1
        } else {
            y0
        };
        let period = if measure == Measure::Plan {
            Some(Period::Year(y))
        } else if let Some(q) = p.quarter {
            Some(Period::Quarter(y, q))
        } else if p.cumulative {
            p.months_cum
                .or(p.month)
                .or(report_month)
                .map(|n| Period::Cumulative(y, n))
        } else if let Some(m) = p.month {
            Some(Period::Month(y, m))
        } else if measure == Measure::PlanPct {
            report_month.map(|n| Period::Cumulative(y, n))
        } else if p.same_period_last_year || measure != Measure::Level {
            report_month.map(|m| Period::Month(y, m))
        } else {
            None
        };
        let Some(period) = period else {
            errors.push(diag(
                hr,
                c,
                &text,
                "column header not understood; expected e.g. 'Thực hiện tháng 9', 'Ước tính tháng 10', 'Lũy kế 10 tháng', 'Tháng 10 so với cùng kỳ (%)', 'Kế hoạch năm'".into(),
            ));
            continue;
        };
        // a column of a later period than the title's is a contradiction
        // (a column of the previous year is a comparison, and normal)
        if let Some((ty, tm, tr, tc, title)) = &title {
            let (py, pm) = (period.year(), period.months().1);
            let later = match period {
                _ if measure == Measure::Plan || measure == Measure::PlanYoyPct => py > *ty,
                Period::Month(..) | Period::Cumulative(..) => {
                    py > *ty || (py == *ty && tm.is_some_and(|m| pm > m))
                }
                _ => py > *ty,
            };
            if later {
                errors.push(diag(
                    hr,
                    c,
                    &text,
                    format!(
                        "the column is for {period} but the title ({}: '{}') reports {}; expected the title's period or an earlier one (correct the header or the title)",
                        cell_ref(*tr, *tc),
                        title.trim(),
                        match tm {
                            Some(m) => format!("{ty}-{m:02}"),
                            None => ty.to_string(),
                        }
                    ),
                ));
                continue;
            }
        }
        let status = p.status.unwrap_or_else(|| {
            if Some(period.year()) != report_year {
                Status::Final
            } else if Some(period.months().1) == report_month {
                Status::Estimate
            } else {
                Status::Preliminary
            }
        });
        let unit = if measure.in_indicator_unit() {
            p.unit.filter(|u| u != "%")
        } else {
            Some("%".to_string())
        };
        let index_form = matches!(measure, Measure::YoyPct | Measure::MomPct) && !p.growth_form;
        cols.insert(
            c,
            Col::Value(Role {
                measure,
                period,
                status,
                unit,
                index_form,
                header: text.split_whitespace().collect::<Vec<_>>().join(" "),
            }),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if !cols.values().any(|c| matches!(c, Col::Value(_))) {
        return Err(vec![diag(
            hr,
            lc,
            "",
            "no value columns found next to 'Chỉ tiêu'".into(),
        )]);
    }
    // index of names for matching row labels
    let mut names: HashMap<String, String> = HashMap::new();
    for ind in cat.indicators.values() {
        names.insert(fold(&ind.name_vi), ind.code.clone());
        names.insert(fold(&ind.name_en), ind.code.clone());
        names.insert(ind.code.to_lowercase(), ind.code.clone());
    }
    // the names of old indicators that are now breakdown codes (validation maps them)
    for (code, name_vi, _, _) in solieu_model::indicator::ALIASES {
        names
            .entry(fold(name_vi))
            .or_insert_with(|| code.to_string());
        names
            .entry(code.to_lowercase())
            .or_insert_with(|| code.to_string());
    }
    let code_col = cols.iter().find(|(_, k)| **k == Col::Code).map(|(c, _)| *c);
    let unit_col = cols.iter().find(|(_, k)| **k == Col::Unit).map(|(c, _)| *c);
    let mut value_cols: Vec<(usize, Role)> = cols
        .into_iter()
        .filter_map(|(c, k)| match k {
            Col::Value(r) => Some((c, r)),
            _ => None,
        })
        .collect();
    value_cols.sort_by_key(|(c, _)| *c);
    // the table's rows, up to what stands under it
    let mut rows = vec![];
    for r in first_data..sheet.rows.len() {
        let no_number = value_cols.iter().all(|(c, _)| match sheet.get(r, *c) {
            Cell::Number(_) => false,
            other => [NumberStyle::Vietnamese, NumberStyle::Canonical]
                .iter()
                .all(|st| solieu_model::text::parse_decimal(other.text(), *st).is_err()),
        });
        if no_number && under_table(sheet, r) {
            break; // the place-date line, signatures, notes: the table has ended
        }
        rows.push(r);
    }
    let indicator_of = |r: usize| -> Option<String> {
        let by_code = code_col
            .map(|c| match sheet.get(r, c) {
                Cell::Number(n) => format!("{n}"),
                other => other.text().to_string(),
            })
            .filter(|t| !t.is_empty())
            .and_then(|t| {
                cat.indicators
                    .get(&t.to_ascii_uppercase())
                    .map(|i| i.code.clone())
            });
        by_code
            .or_else(|| {
                names
                    .get(&fold(row_label(sheet.get(r, lc).text())))
                    .cloned()
            })
            .or_else(|| {
                // the department's own label for an indicator's total
                cat.labels
                    .find(&area, row_label(sheet.get(r, lc).text()))
                    .filter(|(_, dims)| dims.is_empty())
                    .map(|(i, _)| i.to_string())
            })
    };
    // the department's own label for a breakdown code of an indicator
    let mapped_part = |r: usize| -> Option<(String, (String, String))> {
        let (ind, dims) = cat.labels.find(&area, row_label(sheet.get(r, lc).text()))?;
        let (d, c) = dims.split_once('=')?;
        Some((
            ind.to_string(),
            (d.trim().to_string(), c.trim().to_string()),
        ))
    };
    // a sheet whose rows are the codes of one breakdown (product groups,
    // markets): its columns say which indicator each holds
    let breakdown = if rows
        .iter()
        .any(|r| indicator_of(*r).is_some() || mapped_part(*r).is_some())
    {
        None
    } else {
        let at = TableAt {
            file,
            sheet,
            header_end: he,
            label_col: lc,
        };
        breakdown_sheet(&at, &rows, &value_cols, opts, cat)?
    };
    if opts.describe {
        let at = format!("{file}[{}]", sheet.name);
        notes.push(format!(
            "{at}: area {area}{}; the table from row {} to row {}{}",
            if opts.area.is_some() {
                " (--area)"
            } else {
                " (named by the sheet)"
            },
            first_data + 1,
            rows.last().map_or(first_data + 1, |r| r + 1),
            breakdown.as_ref().map_or(String::new(), |b| format!(
                "; its rows are codes of {}",
                b.list.name
            ))
        ));
        for (c, role) in &value_cols {
            let ind = breakdown
                .as_ref()
                .and_then(|b| b.columns.get(c).cloned())
                .unwrap_or_else(|| "the row's indicator".to_string());
            notes.push(format!(
                "{at} column {} '{}': {ind}, {} {}, {}{}{}",
                cell_ref(he, *c).trim_end_matches(char::is_numeric),
                role.header,
                role.measure.as_str(),
                role.period,
                match role.status {
                    Status::Estimate => "ước tính",
                    Status::Preliminary => "sơ bộ",
                    Status::Final => "chính thức",
                },
                role.unit
                    .as_ref()
                    .map_or(String::new(), |u| format!(", in {u}")),
                if role.index_form {
                    ", index form (105,5 = +5,5 %)"
                } else {
                    ""
                }
            ));
        }
    }
    let mut out = vec![];
    let mut current: Option<String> = None;
    for r in rows {
        let label = sheet.get(r, lc).text().to_string();
        let blank = value_cols.iter().all(|(c, _)| sheet.get(r, *c).is_blank());
        // the indicator of the row, and its breakdown code, if any
        let (code, part) = if let Some(code) = indicator_of(r) {
            current = Some(code.clone());
            (Some(code), None)
        } else if let Some((ind, part)) = mapped_part(r) {
            (Some(ind), Some(part))
        } else if let Some(b) = &breakdown {
            match b.list.find(row_label(&label)) {
                Found::One(c) => (None, Some((b.list.name.clone(), c.code.clone()))),
                found if blank => {
                    let _ = found;
                    continue;
                }
                found => {
                    errors.push(diag(r, lc, &label, not_found(b.list, &found)));
                    continue;
                }
            }
        } else if let Some((ind, dim, c)) = current
            .as_ref()
            .and_then(|i| part_of(cat, i, row_label(&label)))
        {
            (Some(ind), Some((dim, c)))
        } else if blank {
            continue; // group heading or blank row
        } else {
            errors.push(diag(
                r,
                lc,
                &label,
                match current.as_ref().and_then(|i| cat.indicators.get(i)) {
                    Some(i) if !i.dimensions.is_empty() => format!(
                        "row label is not an indicator of the catalogue, nor a code of the breakdowns of {} above it ({}); expected an indicator's Vietnamese name, a code in a 'Mã số' column, or a code or label of {}",
                        i.code,
                        i.dimensions.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", "),
                        i.dimensions.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(" or ")
                    ),
                    _ => {
                        let near = solieu_model::labels::nearest(
                            row_label(&label),
                            cat.indicators.values().map(|i| i.name_vi.as_str()),
                            3,
                        );
                        format!(
                            "row label is not an indicator of the catalogue; expected its Vietnamese name{}, a code in a 'Mã số' column, or a mapping of this label (`solieu mapping import`, for unit {area})",
                            if near.is_empty() {
                                String::new()
                            } else {
                                format!(" (nearest: {})", near.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", "))
                            }
                        )
                    }
                },
            ));
            continue;
        };
        if blank {
            continue;
        }
        let row_unit = unit_col
            .map(|c| sheet.get(r, c).text().to_string())
            .unwrap_or_default();
        for (c, role) in &value_cols {
            let cell = sheet.get(r, *c);
            let value = match cell {
                Cell::Empty => continue,
                Cell::Text(t) if t.trim().is_empty() || t.trim() == "-" => continue,
                Cell::Text(t) => RawValue::Text(t.clone(), NumberStyle::Vietnamese),
                Cell::Number(n) => RawValue::Number(*n),
            };
            let Some(code) = code
                .clone()
                .or_else(|| breakdown.as_ref().and_then(|b| b.columns.get(c).cloned()))
            else {
                continue;
            };
            let unit = role.unit.clone().unwrap_or_else(|| row_unit.clone());
            let col = cell_ref(r, *c);
            out.push(RawRecord {
                file: file.into(),
                sheet: Some(sheet.name.clone()),
                row: r + 1,
                indicator: Field::new(code, cell_ref(r, lc)),
                area: Field::new(area.clone(), "--area"),
                period: Field::new(role.period.to_string(), cell_ref(hr, *c)),
                value: Field {
                    text: value,
                    column: col.clone().into(),
                },
                measure: Field::new(role.measure.as_str(), cell_ref(hr, *c)),
                status: Field::new(role.status.code(), cell_ref(hr, *c)),
                unit: Field::new(
                    unit,
                    unit_col.map_or(cell_ref(hr, *c), |uc| cell_ref(r, uc)),
                ),
                source: Field::new("", ""),
                note: Field::new("", ""),
                dims: part
                    .iter()
                    .map(|(d, code)| Field {
                        text: (d.clone(), code.clone()),
                        column: cell_ref(r, lc).into(),
                    })
                    .collect(),
                index_form: role.index_form,
            });
        }
    }
    growth_columns(&mut out, file, sheet, notes, &mut errors);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A comparison column read as an index (same period = 100) whose figures
/// cannot be indices — one at or below zero — or are all small (below 50
/// in magnitude) gives growth rates ("So cùng kỳ (%)": -2,1): it is read
/// so, and the notes say it. A column with both (105,5 and -2,1) is
/// ambiguous: a located error.
fn growth_columns(
    out: &mut [RawRecord],
    file: &str,
    sheet: &Sheet,
    notes: &mut Vec<String>,
    errors: &mut Vec<Diagnostic>,
) {
    let number = |v: &RawValue| match v {
        RawValue::Number(n) => Some(*n),
        RawValue::Text(t, style) => solieu_model::text::parse_decimal(t, *style)
            .ok()
            .map(|d| d.to_f64()),
    };
    let mut by_col: Vec<(std::sync::Arc<str>, Vec<usize>)> = vec![];
    for (i, r) in out.iter().enumerate().filter(|(_, r)| r.index_form) {
        match by_col.iter_mut().find(|(c, _)| *c == r.period.column) {
            Some((_, v)) => v.push(i),
            None => by_col.push((r.period.column.clone(), vec![i])),
        }
    }
    for (col, rows) in by_col {
        let vals: Vec<(usize, f64)> = rows
            .iter()
            .filter_map(|&i| number(&out[i].value.text).map(|v| (i, v)))
            .collect();
        let Some(&(first_low, low)) = vals.iter().find(|(_, v)| *v <= 0.0) else {
            if !vals.is_empty() && vals.iter().all(|(_, v)| v.abs() < 50.0) {
                rows.iter().for_each(|&i| out[i].index_form = false);
                notes.push(format!(
                    "{file}[{}] column {col}: every figure is below 50, read as growth rates (%), not as an index",
                    sheet.name
                ));
            }
            continue;
        };
        if let Some(&(high, hv)) = vals.iter().find(|(_, v)| *v >= 50.0) {
            let r = &out[first_low];
            errors.push(Diagnostic {
                loc: Loc {
                    file: file.to_string(),
                    sheet: Some(sheet.name.clone()),
                    row: r.row,
                    column: r.value.column.to_string(),
                },
                value: low.to_string(),
                message: format!(
                    "column {col} mixes indices (same period = 100, e.g. {hv} in row {}) and growth rates ({low}); expected one form per column: an index such as 105,5 or a rate such as 5,5 (write 'Tăng/giảm (%)' in the header for rates)",
                    out[high].row
                ),
            });
        } else {
            rows.iter().for_each(|&i| out[i].index_form = false);
            notes.push(format!(
                "{file}[{}] column {col}: a figure at or below zero cannot be an index: the column is read as growth rates (%)",
                sheet.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let p = parse_header("Ước tính tháng 10");
        assert_eq!(
            (p.month, p.status, p.measure),
            (Some(10), Some(Status::Estimate), None)
        );
        let p = parse_header("Lũy kế thực hiện 10 tháng");
        assert!(p.cumulative);
        assert_eq!(p.months_cum, Some(10));
        let p = parse_header("Tháng 10 so với cùng kỳ (%)");
        assert_eq!(
            (p.month, p.measure, p.unit.as_deref()),
            (Some(10), Some(Measure::YoyPct), Some("%"))
        );
        let p = parse_header("Lũy kế so với cùng kỳ (%)");
        assert!(p.cumulative);
        assert_eq!(p.measure, Some(Measure::YoyPct));
        let p = parse_header("Tháng 02 Trị giá (Triệu USD)");
        assert_eq!((p.month, p.unit.as_deref()), (Some(2), Some("Triệu USD")));
        let p = parse_header("Kế hoạch năm 2020");
        assert_eq!((p.measure, p.year), (Some(Measure::Plan), Some(2020)));
        let p = parse_header("Tháng 10/2019");
        assert_eq!((p.month, p.year), (Some(10), Some(2019)));
    }

    #[test]
    fn numbering() {
        assert_eq!(
            strip_numbering("1. Doanh thu bán lẻ hàng hóa"),
            "Doanh thu bán lẻ hàng hóa"
        );
        assert_eq!(strip_numbering("II. Kim ngạch"), "Kim ngạch");
        assert_eq!(strip_numbering("- Thu nội địa"), "Thu nội địa");
    }
}

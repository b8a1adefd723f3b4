//! Reading `.xlsx` workbooks into grids of cells: values and merged regions
//! through calamine, and one extra pass over the package's XML for what
//! calamine does not expose, the fonts of cells and of rich-text runs, so
//! that text set in a legacy Vietnamese font (".VnTime", "VNI-Times") is
//! decoded to Unicode.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use quick_xml::events::Event;
use solieu_model::text::nfc;

use crate::legacy::LegacyFont;

/// Largest uncompressed XML part read for fonts (a guard against zip bombs).
const MAX_PART: u64 = 256 * 1024 * 1024;

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text, NFC (legacy fonts decoded).
    Text(String),
    /// A number.
    Number(f64),
}

impl Cell {
    /// The text of a text cell, trimmed; empty otherwise.
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(t) => t.trim(),
            _ => "",
        }
    }
    /// Whether the cell holds nothing (or only spaces).
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            Cell::Number(_) => false,
        }
    }
}

/// A merged region, inclusive, 0-based (row, col).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    /// Top-left.
    pub start: (usize, usize),
    /// Bottom-right.
    pub end: (usize, usize),
}

/// One worksheet.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Name.
    pub name: String,
    /// Rows of cells, from A1.
    pub rows: Vec<Vec<Cell>>,
    /// Merged regions.
    pub merges: Vec<Merge>,
    /// Cells whose text was decoded from a legacy font: (row, col) → font.
    pub legacy: HashMap<(usize, usize), LegacyFont>,
}

impl Sheet {
    /// The cell at (row, col), `Empty` outside the grid.
    pub fn get(&self, row: usize, col: usize) -> &Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&Cell::Empty)
    }

    /// The cell, or the top-left cell of the merged region covering it.
    pub fn get_merged(&self, row: usize, col: usize) -> &Cell {
        for m in &self.merges {
            if (m.start.0..=m.end.0).contains(&row) && (m.start.1..=m.end.1).contains(&col) {
                return self.get(m.start.0, m.start.1);
            }
        }
        self.get(row, col)
    }

    /// Number of columns of the widest row.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// `A1`-style reference of a 0-based cell.
pub fn cell_ref(row: usize, col: usize) -> String {
    let mut c = col + 1;
    let mut letters = vec![];
    while c > 0 {
        let r = (c - 1) % 26;
        letters.push(b'A' + r as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).expect("ASCII"), row + 1)
}

fn parse_ref(r: &str) -> Option<(usize, usize)> {
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    let mut col = 0usize;
    for b in letters.bytes() {
        if !b.is_ascii_uppercase() {
            return None;
        }
        col = col
            .checked_mul(26)?
            .checked_add(usize::from(b - b'A') + 1)?;
    }
    let row: usize = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col.checked_sub(1)?))
}

/// Largest total of a workbook's parts once uncompressed: a provincial
/// form is a few megabytes; more is a zip bomb or data that belongs in CSV.
pub const MAX_UNCOMPRESSED: u64 = 256 * 1024 * 1024;

/// Largest area a worksheet's cells may span (rows × columns): the reader
/// holds a sheet as a grid, so one stray value at `XFD1048576` would ask
/// for 17 billion cells.
pub const MAX_CELLS: u64 = 10_000_000;

/// Checks a package before it is read: its parts expand to at most
/// [`MAX_UNCOMPRESSED`] bytes in all (counted while inflating, whatever the
/// zip headers claim), and each worksheet's cells span at most
/// [`MAX_CELLS`].
pub fn check_package(bytes: &[u8]) -> Result<(), String> {
    check_package_within(bytes, MAX_UNCOMPRESSED, MAX_CELLS)
}

fn check_package_within(bytes: &[u8], max_total: u64, max_cells: u64) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .xlsx workbook: {e}"))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| format!("not a readable .xlsx workbook: {e}"))?;
        let name = f.name().map(|n| n.to_string()).unwrap_or_default();
        let sheet = name.starts_with("xl/worksheets/") && name.ends_with(".xml");
        let left = max_total - total;
        let mut limited = (&mut f).take(left + 1);
        let n = if sheet {
            let (n, rows, cols) = sheet_span(&mut limited)
                .map_err(|e| format!("{name}: not a readable worksheet: {e}"))?;
            if rows * cols > max_cells {
                return Err(format!(
                    "{name}: its cells reach {}, an area of {} cells; expected a table of at most {max_cells} cells (delete stray values far below or to the right of the table)",
                    cell_ref(rows.saturating_sub(1) as usize, cols.saturating_sub(1) as usize),
                    rows * cols
                ));
            }
            n
        } else {
            std::io::copy(&mut limited, &mut std::io::sink())
                .map_err(|e| format!("{name}: not readable: {e}"))?
        };
        total += n;
        if total > max_total {
            return Err(format!(
                "the workbook expands to more than {} MiB once uncompressed; expected a form of a few megabytes (send large data as CSV)",
                max_total >> 20
            ));
        }
    }
    Ok(())
}

/// Bytes read, and the rows and columns spanned by the `<c r="…">` cells
/// of a worksheet's XML (1-based counts).
fn sheet_span(r: &mut dyn Read) -> Result<(u64, u64, u64), String> {
    struct Count<'a> {
        inner: &'a mut dyn Read,
        n: u64,
    }
    impl Read for Count<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let k = self.inner.read(buf)?;
            self.n += k as u64;
            Ok(k)
        }
    }
    let mut count = Count { inner: r, n: 0 };
    let (mut rows, mut cols) = (0u64, 0u64);
    {
        let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(&mut count));
        let mut buf = vec![];
        loop {
            match xml.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                    if e.local_name().as_ref() == "c" =>
                {
                    if let Some((row, col)) = attr(&e, "r").and_then(|r| parse_ref(&r)) {
                        rows = rows.max(row as u64 + 1);
                        cols = cols.max(col as u64 + 1);
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
            buf.clear();
        }
    }
    Ok((count.n, rows, cols))
}

/// The first bytes of an Excel 97-2003 (`.xls`) file: an OLE2 compound file.
const OLE2: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Whether bytes are a workbook this reader takes: `.xlsx` or `.ods` (a
/// ZIP package) or `.xls` (Excel 97-2003).
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(OLE2)
}

/// Reads every worksheet of a workbook: `.xlsx` (after [`check_package`],
/// with the cells' legacy fonts) or `.xls` (Excel 97-2003). An HTML page
/// saved as `.xls` (what web portals' "export to Excel" gives) is refused
/// with what to do.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    if bytes.starts_with(OLE2) {
        // calamine's reader of the old binary format is the least exercised
        // of its parsers: a panic on a damaged file is a refusal, not a crash
        return std::panic::catch_unwind(|| read_xls(bytes)).unwrap_or_else(|_| {
            Err("not a readable .xls workbook: its structure is damaged".into())
        });
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('<') && (head.contains("<html") || head.contains("<table")) {
        return Err("an HTML page saved with a spreadsheet's name (a web portal's \"export to Excel\"), not a workbook: open it in Excel and save it as .xlsx, or export it as CSV".into());
    }
    if is_ods(bytes) {
        return read_ods(bytes);
    }
    check_package(bytes)?;
    let mut wb: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("not a readable .xlsx workbook: {e}"))?;
    let legacy = legacy_cells(bytes).unwrap_or_default();
    let mut sheets = vec![];
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| format!("sheet '{name}': {e}"))?;
        let mut rows = grid(&range);
        let merges = merges(wb.merge_cells_by_sheet_name(&name).unwrap_or_default());
        let mut fonts = HashMap::new();
        if let Some(cells) = legacy.get(&name) {
            for (&(r, c), (text, font)) in cells {
                if let Some(row) = rows.get_mut(r) {
                    if let Some(cell) = row.get_mut(c) {
                        if matches!(cell, Cell::Text(_)) {
                            *cell = Cell::Text(text.clone());
                            fonts.insert((r, c), *font);
                        }
                    }
                }
            }
        }
        sheets.push(Sheet {
            name,
            rows,
            merges,
            legacy: fonts,
        });
    }
    Ok(sheets)
}

/// Reads an Excel 97-2003 workbook: values and merged regions (the legacy
/// fonts of its cells are not read: calamine does not give them).
fn read_xls(bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    let mut wb = calamine::Xls::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .xls workbook: {e}"))?;
    let sheets = value_sheets(&mut wb, |wb, name| {
        merges(wb.merge_cells_by_sheet_name(name).unwrap_or_default())
    })?;
    Ok(sheets.into_iter().map(legacy_sheet).collect())
}

/// The sheets of a workbook calamine reads (`.xls`, `.ods`): values within
/// the cell limit, and the merged regions `merged` finds.
fn value_sheets<RS, W: Reader<RS>>(
    wb: &mut W,
    mut merged: impl FnMut(&mut W, &str) -> Vec<Merge>,
) -> Result<Vec<Sheet>, String>
where
    RS: std::io::Read + std::io::Seek,
    W::Error: std::fmt::Display,
{
    let mut sheets = vec![];
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| format!("sheet '{name}': {e}"))?;
        if range.get_size().0 as u64 * range.get_size().1 as u64 > MAX_CELLS {
            return Err(format!(
                "sheet '{name}': more than {MAX_CELLS} cells; expected a form or a table"
            ));
        }
        sheets.push(Sheet {
            rows: grid(&range),
            merges: merged(wb, &name),
            name,
            legacy: HashMap::new(),
        });
    }
    Ok(sheets)
}

/// A `.xls` sheet typed in a legacy Vietnamese font (TCVN3 `.VnTime`, VNI):
/// calamine gives no cell fonts for this format, so a sheet in which no
/// table is recognised, but is once its text cells are read as TCVN3 (or
/// VNI), is taken as written in that font, every text cell decoded.
fn legacy_sheet(sheet: Sheet) -> Sheet {
    let recognised = |s: &Sheet| {
        crate::wide::find_label_header(s).is_some()
            || s.rows.iter().any(|r| {
                r.iter()
                    .any(|c| c.text().trim().eq_ignore_ascii_case("indicator"))
            })
    };
    if recognised(&sheet) {
        return sheet;
    }
    for font in [LegacyFont::Tcvn3 { upper: false }, LegacyFont::Vni] {
        let mut decoded = sheet.clone();
        for (r, row) in decoded.rows.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().enumerate() {
                if let Cell::Text(t) = cell {
                    let d = font.decode(t);
                    if d != *t {
                        *t = d;
                        decoded.legacy.insert((r, c), font);
                    }
                }
            }
        }
        if !decoded.legacy.is_empty() && recognised(&decoded) {
            return decoded;
        }
    }
    sheet
}

/// The media type an OpenDocument spreadsheet (`.ods`) stores first in
/// its package.
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Whether bytes are an OpenDocument spreadsheet (`.ods`, LibreOffice's).
pub fn is_ods(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        && bytes[..bytes.len().min(256)]
            .windows(ODS_MIME.len())
            .any(|w| w == ODS_MIME)
}

/// Reads an OpenDocument spreadsheet: values through calamine, merged
/// regions from one pass over its `content.xml` (calamine does not give
/// them), within the same size limits as a workbook.
fn read_ods(bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    check_package(bytes)?;
    let mut wb = calamine::Ods::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .ods spreadsheet: {e}"))?;
    let mut spans = ods_merges(bytes).unwrap_or_default();
    value_sheets(&mut wb, |_, name| spans.remove(name).unwrap_or_default())
}

/// The merged regions of each sheet of an `.ods`: cells with
/// `number-columns-spanned` or `number-rows-spanned`, placed by counting
/// cells, covered cells and their repetitions.
fn ods_merges(bytes: &[u8]) -> Option<HashMap<String, Vec<Merge>>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let xml = part(&mut zip, "content.xml")?;
    let mut r = quick_xml::Reader::from_reader(&xml[..]);
    let mut buf = vec![];
    let mut out: HashMap<String, Vec<Merge>> = HashMap::new();
    let mut sheet: Option<String> = None;
    let (mut row, mut col, mut repeat) = (0usize, 0usize, 1usize);
    let num = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> usize {
        attr(e, name)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1)
    };
    loop {
        let ev = r.read_event_into(&mut buf).ok()?;
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "table" => {
                    sheet = attr(&e, "table:name");
                    row = 0;
                }
                "table-row" => {
                    col = 0;
                    repeat = num(&e, "table:number-rows-repeated");
                    if empty {
                        row = row.saturating_add(repeat);
                    }
                }
                "table-cell" | "covered-table-cell" => {
                    let cs = num(&e, "table:number-columns-spanned");
                    let rs = num(&e, "table:number-rows-spanned");
                    if (cs > 1 || rs > 1) && e.local_name().as_ref() == "table-cell" {
                        if let Some(s) = &sheet {
                            out.entry(s.clone()).or_default().push(Merge {
                                start: (row, col),
                                end: (row + rs - 1, col + cs - 1),
                            });
                        }
                    }
                    col = col.saturating_add(num(&e, "table:number-columns-repeated"));
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "table-row" => row = row.saturating_add(repeat),
                "table" => sheet = None,
                _ => {}
            },
            _ => {}
        }
        buf.clear();
    }
    Some(out)
}

/// A worksheet's values as cells from A1, text in NFC.
fn grid(range: &calamine::Range<Data>) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = vec![];
    if let (Some((r0, c0)), Some((r1, c1))) = (range.start(), range.end()) {
        let (r0, c0, r1, c1) = (r0 as usize, c0 as usize, r1 as usize, c1 as usize);
        rows = vec![vec![Cell::Empty; c1 + 1]; r1 + 1];
        for (i, row) in range.rows().enumerate() {
            for (j, v) in row.iter().enumerate() {
                rows[r0 + i][c0 + j] = match v {
                    Data::Empty => Cell::Empty,
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                        Cell::Text(nfc(s))
                    }
                    Data::Float(f) => Cell::Number(*f),
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::Bool(b) => Cell::Text(b.to_string()),
                    Data::DateTime(d) => Cell::Text(d.to_string()),
                    Data::Error(e) => Cell::Text(format!("#{e:?}")),
                };
            }
        }
    }
    rows
}

fn merges(dims: Vec<calamine::Dimensions>) -> Vec<Merge> {
    dims.into_iter()
        .map(|d| Merge {
            start: (d.start.0 as usize, d.start.1 as usize),
            end: (d.end.0 as usize, d.end.1 as usize),
        })
        .collect()
}

// ---- the font pass -------------------------------------------------------

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn part(zip: &mut Zip<'_>, name: &str) -> Option<Vec<u8>> {
    let f = zip.by_name(name).ok()?;
    let mut out = vec![];
    f.take(MAX_PART).read_to_end(&mut out).ok()?;
    Some(out)
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.into_owned())
    })
}

fn entity(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match r.xml10_content().as_ref() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    }
    .to_string()
}

/// A string as a list of runs, each with its font name if it sets one.
type Runs = Vec<(String, Option<String>)>;

fn shared_strings(xml: &[u8]) -> Vec<Runs> {
    let mut rd = quick_xml::Reader::from_reader(xml);
    let mut buf = vec![];
    let mut out = vec![];
    let (mut cur, mut font, mut in_t, mut in_rph): (Runs, Option<String>, bool, bool) =
        (vec![], None, false, false);
    loop {
        match rd.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "si" => cur = vec![],
                "r" => font = None,
                "t" if !in_rph => {
                    in_t = true;
                    cur.push((String::new(), font.clone()));
                }
                "rPh" => in_rph = true,
                _ => {}
            },
            Ok(Event::Empty(e)) if e.local_name().as_ref() == "rFont" => font = attr(&e, "val"),
            Ok(Event::Text(t)) if in_t => {
                if let Some(last) = cur.last_mut() {
                    last.0.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) if in_t => {
                if let Some(last) = cur.last_mut() {
                    last.0.push_str(&entity(&r));
                }
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "rPh" => in_rph = false,
                "si" => out.push(std::mem::take(&mut cur)),
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// Font name of each cell style (`cellXfs` index).
fn style_fonts(xml: &[u8]) -> Vec<Option<String>> {
    let mut rd = quick_xml::Reader::from_reader(xml);
    let mut buf = vec![];
    let (mut fonts, mut xf_fonts) = (vec![], vec![]);
    let (mut in_fonts, mut in_font, mut in_xfs) = (false, false, false);
    loop {
        let ev = rd.read_event_into(&mut buf);
        let (start, e) = match &ev {
            Ok(Event::Start(e)) => (true, Some(e.clone())),
            Ok(Event::Empty(e)) => (false, Some(e.clone())),
            Ok(Event::End(e)) => {
                match e.local_name().as_ref() {
                    "fonts" => in_fonts = false,
                    "font" => in_font = false,
                    "cellXfs" => in_xfs = false,
                    _ => {}
                }
                (false, None)
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => (false, None),
        };
        if let Some(e) = e {
            match e.local_name().as_ref() {
                "fonts" if start => in_fonts = true,
                "font" if in_fonts => {
                    fonts.push(None);
                    in_font = start;
                }
                "name" if in_font => {
                    if let Some(last) = fonts.last_mut() {
                        *last = attr(&e, "val");
                    }
                }
                "cellXfs" if start => in_xfs = true,
                "xf" if in_xfs => {
                    let id: usize = attr(&e, "fontId").and_then(|v| v.parse().ok()).unwrap_or(0);
                    xf_fonts.push(fonts.get(id).cloned().flatten());
                }
                _ => {}
            }
        }
        buf.clear();
    }
    xf_fonts
}

/// Sheet name → XML part path.
fn sheet_paths(zip: &mut Zip<'_>) -> Vec<(String, String)> {
    let (Some(wb), Some(rels)) = (
        part(zip, "xl/workbook.xml"),
        part(zip, "xl/_rels/workbook.xml.rels"),
    ) else {
        return vec![];
    };
    let mut targets = HashMap::new();
    let mut rd = quick_xml::Reader::from_reader(rels.as_slice());
    let mut buf = vec![];
    loop {
        match rd.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(t)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    let path = match t.strip_prefix('/') {
                        Some(abs) => abs.to_string(),
                        None => format!("xl/{t}"),
                    };
                    targets.insert(id, path);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    let mut out = vec![];
    let mut rd = quick_xml::Reader::from_reader(wb.as_slice());
    loop {
        match rd.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "sheet" => {
                if let (Some(name), Some(id)) = (attr(&e, "name"), attr(&e, "r:id")) {
                    if let Some(p) = targets.get(&id) {
                        out.push((nfc(&name), p.clone()));
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

fn decode_runs(runs: &Runs, cell_font: Option<LegacyFont>) -> Option<(String, LegacyFont)> {
    let mut any = cell_font;
    let mut text = String::new();
    for (t, f) in runs {
        let font = f
            .as_deref()
            .and_then(LegacyFont::from_font_name)
            .or(if f.is_none() { cell_font } else { None });
        match font {
            Some(lf) => {
                any = any.or(Some(lf));
                text.push_str(&lf.decode(t));
            }
            None => text.push_str(t),
        }
    }
    any.map(|f| (nfc(&text), f))
}

/// Decoded text and font of the legacy-font cells of one sheet.
type LegacyCells = HashMap<(usize, usize), (String, LegacyFont)>;

/// For each sheet, the decoded text of cells whose text is set in a legacy font.
fn legacy_cells(bytes: &[u8]) -> Option<HashMap<String, LegacyCells>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let xf_fonts: Vec<Option<LegacyFont>> = part(&mut zip, "xl/styles.xml")
        .map(|x| style_fonts(&x))
        .unwrap_or_default()
        .iter()
        .map(|f| f.as_deref().and_then(LegacyFont::from_font_name))
        .collect();
    let sst = part(&mut zip, "xl/sharedStrings.xml")
        .map(|x| shared_strings(&x))
        .unwrap_or_default();
    let any_run_font = sst
        .iter()
        .flatten()
        .any(|(_, f)| f.as_deref().and_then(LegacyFont::from_font_name).is_some());
    if xf_fonts.iter().all(Option::is_none) && !any_run_font {
        return Some(HashMap::new());
    }
    let mut out = HashMap::new();
    for (name, path) in sheet_paths(&mut zip) {
        let Some(xml) = part(&mut zip, &path) else {
            continue;
        };
        let mut cells = HashMap::new();
        let mut rd = quick_xml::Reader::from_reader(xml.as_slice());
        let mut buf = vec![];
        // current cell: (pos, style font, type), and inline text
        let mut cur: Option<((usize, usize), Option<LegacyFont>, String)> = None;
        let (mut in_v, mut in_t, mut text) = (false, false, String::new());
        loop {
            match rd.read_event_into(&mut buf) {
                Ok(Event::Start(e)) => match e.local_name().as_ref() {
                    "c" => {
                        let pos = attr(&e, "r").and_then(|r| parse_ref(&r));
                        let style: usize = attr(&e, "s").and_then(|s| s.parse().ok()).unwrap_or(0);
                        let t = attr(&e, "t").unwrap_or_default();
                        cur = pos.map(|p| (p, xf_fonts.get(style).copied().flatten(), t));
                        text.clear();
                    }
                    "v" => in_v = true,
                    "t" => in_t = true,
                    _ => {}
                },
                Ok(Event::Text(t)) if in_v || in_t => text.push_str(&t.xml10_content()),
                Ok(Event::GeneralRef(r)) if in_v || in_t => text.push_str(&entity(&r)),
                Ok(Event::End(e)) => match e.local_name().as_ref() {
                    "v" => in_v = false,
                    "t" => in_t = false,
                    "c" => {
                        if let Some((pos, font, t)) = cur.take() {
                            let runs: Option<Runs> = match t.as_str() {
                                "s" => text
                                    .trim()
                                    .parse::<usize>()
                                    .ok()
                                    .and_then(|i| sst.get(i).cloned()),
                                "inlineStr" | "str" => Some(vec![(text.clone(), None)]),
                                _ => None,
                            };
                            if let Some(decoded) = runs.and_then(|r| decode_runs(&r, font)) {
                                cells.insert(pos, decoded);
                            }
                        }
                    }
                    _ => {}
                },
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
            buf.clear();
        }
        out.insert(name, cells);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(6, 3), "D7");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(parse_ref("AA1"), Some((0, 26)));
        assert_eq!(parse_ref("D7"), Some((6, 3)));
    }

    fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            w.start_file(*name, opts).unwrap();
            std::io::Write::write_all(&mut w, body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_bomb_is_refused_while_inflating() {
        // 4 MiB of spaces deflate to a few kilobytes; the limit here is 1 MiB
        let spaces = vec![b' '; 4 << 20];
        let bomb = package(&[("xl/sharedStrings.xml", &spaces)]);
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        let e = check_package_within(&bomb, 1 << 20, MAX_CELLS).unwrap_err();
        assert!(e.contains("expands to more than 1 MiB"), "{e}");
        // the same bytes in a worksheet part
        let bomb = package(&[("xl/worksheets/sheet1.xml", &spaces)]);
        assert!(check_package_within(&bomb, 1 << 20, MAX_CELLS).is_err());
        assert!(check_package_within(&bomb, 8 << 20, MAX_CELLS).is_ok());
    }

    #[test]
    fn a_stray_cell_far_away_is_refused_before_any_grid_is_made() {
        let sheet = br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#;
        let wb = package(&[("xl/worksheets/sheet1.xml", sheet)]);
        let e = read_workbook(&wb).unwrap_err();
        assert!(
            e.contains("XFD1048576") && e.contains("17179869184 cells"),
            "{e}"
        );
        // a normal table passes the check
        let ok = br#"<worksheet><sheetData><row r="1"><c r="A1"/><c r="H200"/></row></sheetData></worksheet>"#;
        assert!(check_package(&package(&[("xl/worksheets/sheet1.xml", ok)])).is_ok());
    }
}

//! A reporting unit's form as an Excel workbook laid out like the office's
//! paper form (what DHIS2's bulk-load app does, in the offices' own layout):
//! issuing body and national motto, the title with the period, the
//! indicator rows with their codes and units, last year's figures for
//! reference, the columns to fill, and the place-date line and signature
//! block. Everything but the cells to fill is protected. Filled in, it
//! imports back with no option and no mapping: the reader finds the area
//! in the issuing body, the period in the title and headers, the indicator
//! in the `Mã số` column, and leaves the `(tham khảo)` columns alone.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// One indicator row of the form.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    /// Catalogue code (the `Mã số` cell the reader matches).
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Decimals the figures are shown with.
    pub decimals: usize,
    /// Whether the indicator has a year-to-date (a flow, a mean).
    pub cumulative: bool,
    /// The same month of the previous year, for reference.
    pub last_year_month: Option<f64>,
    /// The previous year's year-to-date to the same month, for reference.
    pub last_year_cumulative: Option<f64>,
}

/// The form of one unit for one month.
#[derive(Debug, Clone)]
pub struct Template {
    /// The issuing body's first line ("ỦY BAN NHÂN DÂN").
    pub body: String,
    /// The area's name in capitals ("THÀNH PHỐ HỒ CHÍ MINH").
    pub area_upper: String,
    /// The area's name for the place-date line ("Thành phố Hồ Chí Minh").
    pub place: String,
    /// The form's code and name, shown under the title.
    pub form: String,
    /// The year and month reported.
    pub year: i32,
    /// The month reported.
    pub month: u8,
    /// The deadline, written under the title ("14/10/2020").
    pub deadline: String,
    /// The indicator rows.
    pub rows: Vec<TemplateRow>,
}

fn number_format(decimals: usize) -> String {
    if decimals == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(decimals))
    }
}

/// Writes the form as `.xlsx` bytes.
pub fn write_template(t: &Template) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(format!("Thang {:02}-{}", t.month, t.year))?;
    let font = "Times New Roman";
    let base = Format::new().set_font_name(font).set_font_size(12);
    let bold_c = base
        .clone()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let italic_c = base.clone().set_italic().set_align(FormatAlign::Center);
    let head = bold_c
        .clone()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(0xF2F2F2);
    let cell = base.clone().set_border(FormatBorder::Thin).set_text_wrap();
    let cell_c = cell.clone().set_align(FormatAlign::Center);
    let y = t.year;
    let m = t.month;
    // the heading: issuing body on the left, the national motto on the right
    ws.merge_range(0, 0, 0, 3, &t.body, &bold_c)?;
    ws.merge_range(1, 0, 1, 3, &t.area_upper, &bold_c)?;
    ws.merge_range(0, 5, 0, 9, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", &bold_c)?;
    ws.merge_range(1, 5, 1, 9, "Độc lập - Tự do - Hạnh phúc", &bold_c)?;
    let title = if m == 1 {
        format!("MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI THÁNG {m:02} NĂM {y}")
    } else {
        format!("MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI THÁNG {m:02} VÀ {m:02} THÁNG NĂM {y}")
    };
    ws.merge_range(3, 0, 3, 9, &title, &bold_c.clone().set_font_size(13))?;
    ws.merge_range(
        4,
        0,
        4,
        9,
        &format!("({}; hạn nộp: {})", t.form, t.deadline),
        &italic_c,
    )?;
    // the header: two rows, the comparison band over its two columns
    let (h1, h2) = (6u32, 7u32);
    let cols: [(u16, &str, f64); 8] = [
        (0, "STT", 5.0),
        (1, "Chỉ tiêu", 42.0),
        (2, "Mã số", 16.0),
        (3, "Đơn vị tính", 11.0),
        (4, "", 15.0),
        (5, "", 15.0),
        (6, "", 15.0),
        (7, "", 15.0),
    ];
    for (c, h, w) in cols {
        ws.set_column_width(c, w)?;
        if !h.is_empty() {
            ws.merge_range(h1, c, h2, c, h, &head)?;
        }
    }
    ws.set_column_width(8, 12.0)?;
    ws.set_column_width(9, 12.0)?;
    ws.merge_range(
        h1,
        4,
        h2,
        4,
        &format!("Thực hiện tháng {m:02}/{} (tham khảo)", y - 1),
        &head,
    )?;
    ws.merge_range(h1, 5, h2, 5, &format!("Ước tính tháng {m:02}/{y}"), &head)?;
    ws.merge_range(
        h1,
        6,
        h2,
        6,
        &format!("Lũy kế {m} tháng năm {} (tham khảo)", y - 1),
        &head,
    )?;
    ws.merge_range(h1, 7, h2, 7, &format!("Lũy kế {m} tháng năm {y}"), &head)?;
    ws.merge_range(h1, 8, h1, 9, "So với cùng kỳ (%)", &head)?;
    ws.write_with_format(h2, 8, format!("Tháng {m:02}"), &head)?;
    ws.write_with_format(h2, 9, "Lũy kế", &head)?;
    ws.set_row_height(h1, 32)?;
    ws.set_row_height(h2, 32)?;
    ws.set_freeze_panes(h2 + 1, 2)?;
    // the rows: what the unit owes, last year's figures beside the cells to fill
    let mut r = h2 + 1;
    for (i, row) in t.rows.iter().enumerate() {
        let num = cell
            .clone()
            .set_num_format(number_format(row.decimals))
            .set_align(FormatAlign::Right);
        let reference = num.clone().set_font_color(0x595959).set_italic();
        let input = num.clone().set_unlocked().set_background_color(0xFFF9DB);
        let pct = cell
            .clone()
            .set_num_format("0.0")
            .set_unlocked()
            .set_background_color(0xFFF9DB);
        ws.write_with_format(r, 0, (i + 1).to_string(), &cell_c)?;
        ws.write_with_format(r, 1, &row.name, &cell)?;
        ws.write_with_format(r, 2, &row.code, &cell_c)?;
        ws.write_with_format(r, 3, &row.unit, &cell_c)?;
        match row.last_year_month {
            Some(v) => ws.write_number_with_format(r, 4, v, &reference)?,
            None => ws.write_blank(r, 4, &reference)?,
        };
        ws.write_blank(r, 5, &input)?;
        if row.cumulative {
            match row.last_year_cumulative {
                Some(v) => ws.write_number_with_format(r, 6, v, &reference)?,
                None => ws.write_blank(r, 6, &reference)?,
            };
            ws.write_blank(r, 7, &input)?;
            ws.write_blank(r, 9, &pct)?;
        } else {
            ws.write_blank(r, 6, &reference)?;
            ws.write_blank(r, 7, &cell)?;
            ws.write_blank(r, 9, &cell)?;
        }
        ws.write_blank(r, 8, &pct)?;
        r += 1;
    }
    // under the table: a note, the place-date line and the signatures
    ws.merge_range(
        r + 1,
        0,
        r + 1,
        9,
        "Ghi chú: ô màu vàng là ô cần điền; cột \"So với cùng kỳ (%)\" ghi chỉ số (cùng kỳ = 100), ví dụ 105,5.",
        &base.clone().set_italic().set_text_wrap(),
    )?;
    ws.merge_range(
        r + 3,
        5,
        r + 3,
        9,
        &format!("{}, ngày … tháng … năm {y}", t.place),
        &italic_c,
    )?;
    ws.merge_range(r + 4, 0, r + 4, 3, "Người lập biểu", &bold_c)?;
    ws.merge_range(r + 4, 5, r + 4, 9, "THỦ TRƯỞNG ĐƠN VỊ", &bold_c)?;
    ws.merge_range(r + 5, 0, r + 5, 3, "(Ký, ghi rõ họ tên)", &italic_c)?;
    ws.merge_range(
        r + 5,
        5,
        r + 5,
        9,
        "(Ký, đóng dấu, ghi rõ họ tên)",
        &italic_c,
    )?;
    // printing: landscape, one page wide, the header repeated
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(h1, h2)?;
    ws.protect();
    wb.save_to_buffer()
}

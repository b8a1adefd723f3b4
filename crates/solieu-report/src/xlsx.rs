//! The key-indicator table as a workbook: numbers as numbers, with number
//! formats (Excel shows them with the reader's separators).

use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use crate::numfmt::Lang;
use crate::{Report, ReportError};

fn capitalised(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|f| f.to_uppercase().chain(cs).collect())
        .unwrap_or_default()
}

/// The table of the report as `.xlsx` bytes.
pub fn table(report: &Report) -> Result<Vec<u8>, ReportError> {
    let lang = Lang::parse(&report.lang).unwrap_or(Lang::Vi);
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Write(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(if lang == Lang::Vi {
        "Chỉ tiêu chủ yếu"
    } else {
        "Key indicators"
    })
    .map_err(err)?;
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let title = match lang {
        Lang::Vi => format!(
            "{} — Tình hình kinh tế - xã hội {}",
            report.area, report.period_title
        ),
        Lang::En => format!(
            "{} — Socio-economic situation, {}",
            report.area, report.period_title
        ),
    };
    ws.write_string_with_format(0, 0, &title, &bold)
        .map_err(err)?;
    let prev = if report.month == 1 {
        12
    } else {
        report.month - 1
    };
    let headers: Vec<String> = match lang {
        Lang::Vi => vec![
            "Chỉ tiêu".into(),
            "Đơn vị tính".into(),
            format!("Thực hiện tháng {prev}"),
            format!("Ước tính tháng {}", report.month),
            format!("Lũy kế {}", report.cumulative_label),
            format!("Tháng {} so với cùng kỳ (%)", report.month),
            "Lũy kế so với cùng kỳ (%)".into(),
            "% kế hoạch năm".into(),
        ],
        Lang::En => vec![
            "Indicator".into(),
            "Unit".into(),
            crate::numfmt::month_name(prev).into(),
            format!("{} (est.)", crate::numfmt::month_name(report.month)),
            format!("First {}", report.cumulative_label),
            "Month, same month last year = 100".into(),
            "Year to date, same period = 100".into(),
            "% of annual plan".into(),
        ],
    };
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, h, &head)
            .map_err(err)?;
    }
    let mut r = 3u32;
    for s in &report.sections {
        for i in &s.items {
            let level =
                Format::new().set_num_format(if i.decimals == 0 { "#,##0" } else { "#,##0.0" });
            let index = Format::new().set_num_format("0.0");
            ws.write_string(r, 0, &i.name).map_err(err)?;
            ws.write_string(r, 1, crate::numfmt::level(0.0, &i.unit, 0, lang).1)
                .map_err(err)?;
            let cells = [
                (2, i.previous_month.as_ref().map(|n| n.value), &level),
                (3, i.month.as_ref().map(|n| n.value), &level),
                (4, i.cumulative.as_ref().map(|n| n.value), &level),
                (5, i.yoy.as_ref().map(|n| 100.0 + n.value), &index),
                (
                    6,
                    i.cumulative_yoy.as_ref().map(|n| 100.0 + n.value),
                    &index,
                ),
                (7, i.plan_pct.as_ref().map(|n| n.value), &index),
            ];
            for (c, v, f) in cells {
                if let Some(v) = v {
                    ws.write_number_with_format(r, c, v, f).map_err(err)?;
                }
            }
            r += 1;
        }
    }
    ws.set_column_width(0, 55).map_err(err)?;
    ws.set_column_width(1, 14).map_err(err)?;
    for c in 2..8 {
        ws.set_column_width(c, 16).map_err(err)?;
    }
    // a sheet for each breakdown: the indicator by product group, market …
    let mut names: Vec<String> = vec![];
    for s in &report.sections {
        for i in &s.items {
            for b in &i.breakdowns {
                let ws = wb.add_worksheet();
                // sheet names: at most 31 characters, once each
                let mut name: String = format!("{} - {}", i.code, b.list)
                    .chars()
                    .take(31)
                    .collect();
                while names.contains(&name) {
                    name.push('_');
                }
                ws.set_name(&name).map_err(err)?;
                names.push(name);
                let title = match lang {
                    Lang::Vi => format!(
                        "{} theo {} — {}, {}",
                        i.name, b.noun, report.area, report.period_title
                    ),
                    Lang::En => format!(
                        "{} by {} — {}, {}",
                        i.name, b.noun, report.area, report.period_title
                    ),
                };
                ws.write_string_with_format(0, 0, &title, &bold)
                    .map_err(err)?;
                let unit = crate::numfmt::level(0.0, &i.unit, 0, lang).1;
                let headers: Vec<String> = match lang {
                    Lang::Vi => vec![
                        capitalised(&b.noun),
                        format!("Tháng {} ({unit})", report.month),
                        format!("Lũy kế {} ({unit})", report.cumulative_label),
                        "Tỷ trọng (%)".into(),
                        format!("Tháng {} so với cùng kỳ (%)", report.month),
                        "Lũy kế so với cùng kỳ (%)".into(),
                    ],
                    Lang::En => vec![
                        capitalised(&b.noun),
                        format!("{} ({unit})", crate::numfmt::month_name(report.month)),
                        format!("First {} ({unit})", report.cumulative_label),
                        "Share (%)".into(),
                        "Month, same month last year = 100".into(),
                        "Year to date, same period = 100".into(),
                    ],
                };
                for (c, h) in headers.iter().enumerate() {
                    ws.write_string_with_format(2, c as u16, h, &head)
                        .map_err(err)?;
                }
                let level =
                    Format::new().set_num_format(if i.decimals == 0 { "#,##0" } else { "#,##0.0" });
                let index = Format::new().set_num_format("0.0");
                for (k, x) in b.parts.iter().enumerate() {
                    let r = 3 + k as u32;
                    ws.write_string(r, 0, &x.label).map_err(err)?;
                    let cells = [
                        (1, x.month.as_ref().map(|n| n.value), &level),
                        (2, x.cumulative.as_ref().map(|n| n.value), &level),
                        (3, x.share.as_ref().map(|n| n.value), &index),
                        (4, x.yoy.as_ref().map(|n| 100.0 + n.value), &index),
                        (
                            5,
                            x.cumulative_yoy.as_ref().map(|n| 100.0 + n.value),
                            &index,
                        ),
                    ];
                    for (c, v, f) in cells {
                        if let Some(v) = v {
                            ws.write_number_with_format(r, c, solieu_model::text::clean(v), f)
                                .map_err(err)?;
                        }
                    }
                }
                ws.set_column_width(0, 50).map_err(err)?;
                for c in 1..6 {
                    ws.set_column_width(c, 16).map_err(err)?;
                }
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

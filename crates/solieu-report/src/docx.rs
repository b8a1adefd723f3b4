//! The report as a Word document in the layout of Vietnamese administrative
//! documents (Decree 30/2020/NĐ-CP): Times New Roman, the national title and
//! motto beside the issuing body, place and date, "BÁO CÁO" and its subject,
//! A4 with margins of 20/30/20/15 mm. The body is the report's Markdown, so
//! the wording comes from the same template as every other format.

use docx_rs::{
    AlignmentType, Docx, Paragraph, Run, RunFonts, SpecialIndentType, Table, TableCell, TableRow,
    WidthType,
};

use crate::numfmt::{self, Lang};
use crate::render::Block;
use crate::{Report, ReportError};

/// Who issues the report, and when.
#[derive(Debug, Clone)]
pub struct Issuer {
    /// The superior body ("ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH").
    pub superior: String,
    /// The issuing body ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ").
    pub body: String,
    /// Place of issue ("Thành phố Hồ Chí Minh").
    pub place: String,
    /// Day of issue.
    pub date: chrono::NaiveDate,
}

impl Issuer {
    /// The usual issuer of the monthly report of an area: its people's
    /// committee over the department of planning (merged into the
    /// department of finance in 2025).
    pub fn default_for(report: &Report, date: chrono::NaiveDate) -> Issuer {
        let place = report
            .area
            .strip_prefix("Tỉnh ")
            .unwrap_or(&report.area)
            .to_string();
        Issuer {
            superior: format!("ỦY BAN NHÂN DÂN {}", report.area.to_uppercase()),
            body: if report.year >= 2025 {
                "SỞ TÀI CHÍNH"
            } else {
                "SỞ KẾ HOẠCH VÀ ĐẦU TƯ"
            }
            .to_string(),
            place,
            date,
        }
    }
}

const FONT: &str = "Times New Roman";
/// Half-points.
const BODY: usize = 28;
const SMALL: usize = 24;

fn fonts() -> RunFonts {
    RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .cs(FONT)
        .east_asia(FONT)
}

fn run(text: &str, size: usize) -> Run {
    Run::new().add_text(text).size(size).fonts(fonts())
}

fn centered(runs: Vec<Run>) -> Paragraph {
    runs.into_iter().fold(
        Paragraph::new().align(AlignmentType::Center),
        Paragraph::add_run,
    )
}

/// Inline style.
#[derive(Default, Clone, Copy)]
struct Style {
    bold: bool,
    italic: bool,
}

fn styled(text: &str, size: usize, s: Style) -> Run {
    let mut r = run(text, size);
    if s.bold {
        r = r.bold();
    }
    if s.italic {
        r = r.italic();
    }
    r
}

/// The report as `.docx` bytes; `markdown` is the rendered report.
pub fn document(report: &Report, markdown: &str, issuer: &Issuer) -> Result<Vec<u8>, ReportError> {
    let lang = Lang::parse(&report.lang).unwrap_or(Lang::Vi);
    let none = docx_rs::TableCellBorders::with_empty();
    let left = TableCell::new()
        .width(4200, WidthType::Dxa)
        .set_borders(none.clone())
        .add_paragraph(centered(vec![run(&issuer.superior, 26)]))
        .add_paragraph(centered(vec![run(&issuer.body, 26).bold()]))
        .add_paragraph(centered(vec![run("Số:      /BC-", 26)]));
    let (nation, motto) = match lang {
        Lang::Vi => (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
        ),
        Lang::En => (
            "SOCIALIST REPUBLIC OF VIETNAM",
            "Independence - Freedom - Happiness",
        ),
    };
    let right = TableCell::new()
        .width(5600, WidthType::Dxa)
        .set_borders(none)
        .add_paragraph(centered(vec![run(nation, 26).bold()]))
        .add_paragraph(centered(vec![run(motto, BODY).bold().underline("single")]))
        .add_paragraph(centered(vec![run(
            &numfmt::place_date(&issuer.place, issuer.date, lang),
            BODY,
        )
        .italic()]));
    let header =
        Table::without_borders(vec![TableRow::new(vec![left, right])]).set_grid(vec![4200, 5600]);
    let (title, subject) = match lang {
        Lang::Vi => (
            "BÁO CÁO".to_string(),
            format!("Tình hình kinh tế - xã hội {}", report.period_title),
        ),
        Lang::En => (
            "REPORT".to_string(),
            format!("Socio-economic situation, {}", report.period_title),
        ),
    };
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(docx_rs::PageMargin {
            top: 1134,
            left: 1701,
            bottom: 1134,
            right: 850,
            header: 720,
            footer: 720,
            gutter: 0,
        })
        .add_table(header)
        .add_paragraph(Paragraph::new())
        .add_paragraph(centered(vec![run(&title, BODY).bold()]))
        .add_paragraph(centered(vec![run(&subject, BODY).bold()]))
        .add_paragraph(Paragraph::new());

    // the body: the Markdown after its title
    for b in crate::render::blocks(markdown) {
        doc = match b {
            Block::Heading(spans) => {
                doc.add_paragraph(spans.iter().fold(Paragraph::new().keep_next(true), |p, s| {
                    p.add_run(styled(
                        &s.text,
                        BODY,
                        Style {
                            bold: true,
                            italic: s.italic,
                        },
                    ))
                }))
            }
            Block::Paragraph(spans) => doc.add_paragraph(spans.iter().fold(
                Paragraph::new().align(AlignmentType::Both).indent(
                    None,
                    Some(SpecialIndentType::FirstLine(567)),
                    None,
                    None,
                ),
                |p, s| {
                    p.add_run(styled(
                        &s.text,
                        BODY,
                        Style {
                            bold: s.bold,
                            italic: s.italic,
                        },
                    ))
                },
            )),
            Block::Table(rows) => doc.add_table(data_table(&rows)),
        };
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| ReportError::Write(e.to_string()))?;
    Ok(buf.into_inner())
}

fn data_table(rows: &[Vec<String>]) -> Table {
    let rows = rows
        .iter()
        .enumerate()
        .map(|(r, cells)| {
            TableRow::new(
                cells
                    .iter()
                    .enumerate()
                    .map(|(c, text)| {
                        let align = if r == 0 || c < 2 {
                            AlignmentType::Left
                        } else {
                            AlignmentType::Right
                        };
                        let mut t = run(text, SMALL);
                        if r == 0 {
                            t = t.bold();
                        }
                        TableCell::new().add_paragraph(Paragraph::new().align(align).add_run(t))
                    })
                    .collect(),
            )
        })
        .collect();
    Table::new(rows)
}

//! The report as PDF, typeset by typst with its own embedded fonts
//! (Libertinus Serif from the `typst-assets` crate: every Vietnamese
//! diacritic, no font file in the repository, nothing from the system). The
//! layout is the DOCX's (Decree 30/2020); the body is the report's Markdown,
//! so the wording comes from the same template.

use typst_as_lib::TypstEngine;

use crate::docx::Issuer;
use crate::numfmt::{self, Lang};
use crate::render::Block;
use crate::{Report, ReportError};

/// Text as a typst string literal: `#"…"` shows it verbatim.
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str("#\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The typst source of the report.
pub fn source(report: &Report, markdown: &str, issuer: &Issuer) -> String {
    let lang = Lang::parse(&report.lang).unwrap_or(Lang::Vi);
    let (nation, motto, title, subject) = match lang {
        Lang::Vi => (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "BÁO CÁO",
            format!("Tình hình kinh tế - xã hội {}", report.period_title),
        ),
        Lang::En => (
            "SOCIALIST REPUBLIC OF VIETNAM",
            "Independence - Freedom - Happiness",
            "REPORT",
            format!("Socio-economic situation, {}", report.period_title),
        ),
    };
    let mut t = String::new();
    t.push_str(&format!(
        "#set document(title: {title_lit})\n\
         #set page(paper: \"a4\", margin: (top: 20mm, bottom: 20mm, left: 30mm, right: 15mm), numbering: \"1\")\n\
         #set text(font: \"Libertinus Serif\", size: 13pt, lang: \"{code}\")\n\
         #set par(justify: true, first-line-indent: (amount: 1cm, all: true), spacing: 0.8em)\n\
         #grid(columns: (41%, 59%), column-gutter: 1.2em, align: center,\n\
           text(size: 12pt)[{superior} \\ *{body}* \\ {number}],\n\
           text(size: 12pt)[*{nation}* \\ #text(size: 13pt)[#underline[*{motto}*]] \\ #emph[{date}]])\n\
         #v(1em)\n\
         #align(center)[#text(size: 14pt)[*{title}*] \\ *{subject}*]\n\
         #v(0.5em)\n",
        title_lit = lit(&subject).trim_start_matches('#'),
        code = lang.code(),
        superior = lit(&issuer.superior),
        body = lit(&issuer.body),
        number = lit("Số:      /BC-"),
        nation = lit(nation),
        motto = lit(motto),
        date = lit(&numfmt::place_date(&issuer.place, issuer.date, lang)),
        title = lit(title),
        subject = lit(&subject),
    ));
    // the body: the Markdown after its title
    let inline = |spans: &[crate::render::Span]| -> String {
        spans
            .iter()
            .map(|s| {
                let mut piece = lit(&s.text);
                if s.bold {
                    piece = format!("#strong[{piece}]");
                }
                if s.italic {
                    piece = format!("#emph[{piece}]");
                }
                piece
            })
            .collect()
    };
    for b in crate::render::blocks(markdown) {
        match b {
            Block::Heading(spans) => t.push_str(&format!(
                "\n#block(above: 1.2em, below: 0.6em, sticky: true)[#set par(first-line-indent: 0pt); *{}*]\n",
                inline(&spans)
            )),
            Block::Paragraph(spans) => t.push_str(&format!("\n{}\n", inline(&spans))),
            Block::Table(rows) => t.push_str(&table(&rows)),
        }
    }
    t
}

fn table(rows: &[Vec<String>]) -> String {
    let n = rows.first().map_or(0, Vec::len);
    let mut t = format!(
        "\n#block(above: 1em)[#set par(first-line-indent: 0pt, justify: false); #set text(size: 9pt)\n#table(columns: (2.6fr, 1fr{}), align: (left, left{}), inset: 3pt,\n",
        ", 1.1fr".repeat(n.saturating_sub(2)),
        ", right".repeat(n.saturating_sub(2)),
    );
    for (r, row) in rows.iter().enumerate() {
        for c in row {
            if r == 0 {
                t.push_str(&format!("[*{}*], ", lit(c)));
            } else {
                t.push_str(&format!("[{}], ", lit(c)));
            }
        }
        t.push('\n');
    }
    t.push_str(")]\n");
    t
}

/// The report as PDF bytes.
pub fn document(report: &Report, markdown: &str, issuer: &Issuer) -> Result<Vec<u8>, ReportError> {
    let src = source(report, markdown, issuer);
    let engine = TypstEngine::builder()
        .main_file(src)
        .fonts(typst_assets::fonts())
        .build();
    let doc = engine
        .compile()
        .output
        .map_err(|e| ReportError::Write(format!("typesetting failed: {e:?}")))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| ReportError::Write(format!("PDF failed: {e:?}")))
}

//! The monthly report in each format, for the CLI and the server alike.

use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use solieu_engine::Engine;
use solieu_report::{docx::Issuer, Report, Request};

solieu_model::named! {
    /// The formats a report is written in.
    pub enum Format ("report format") {
        /// Markdown.
        Md = "md",
        /// HTML with the chart.
        Html = "html",
        /// The key-indicator table as numbers.
        Xlsx = "xlsx",
        /// A Decree 30 document.
        Docx = "docx",
        /// The same document typeset (cargo feature `pdf`).
        Pdf = "pdf",
    }
}

impl Format {
    /// The media type of the file.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Md => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Xlsx => solieu_export::XLSX_MEDIA_TYPE,
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
        }
    }

    /// Whether the file is binary (never written to a terminal).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Xlsx | Format::Docx | Format::Pdf)
    }
}

/// Builds the report and renders it; `day` dates the official document
/// (DOCX, PDF), `issuer` overrides the issuing body.
pub fn render(
    engine: &Engine,
    req: &Request,
    format: Format,
    template: Option<&Path>,
    day: NaiveDate,
    issuer: Option<String>,
) -> Result<Vec<u8>> {
    let report = solieu_report::build(engine, req)?;
    Ok(match format {
        Format::Md => {
            solieu_report::render(&report, solieu_report::Format::Md, template)?.into_bytes()
        }
        Format::Html => {
            solieu_report::render(&report, solieu_report::Format::Html, template)?.into_bytes()
        }
        Format::Xlsx => solieu_report::xlsx::table(&report)?,
        Format::Docx | Format::Pdf => {
            let mut who = Issuer::default_for(&report, day);
            if let Some(i) = issuer {
                who.body = i;
            }
            let md = solieu_report::render(&report, solieu_report::Format::Md, template)?;
            if format == Format::Docx {
                solieu_report::docx::document(&report, &md, &who)?
            } else {
                pdf(&report, &md, &who)?
            }
        }
    })
}

#[cfg(feature = "pdf")]
fn pdf(report: &Report, md: &str, who: &Issuer) -> Result<Vec<u8>> {
    Ok(solieu_report::pdf::document(report, md, who)?)
}

#[cfg(not(feature = "pdf"))]
fn pdf(_: &Report, _: &str, _: &Issuer) -> Result<Vec<u8>> {
    anyhow::bail!("this solieu was built without PDF (cargo feature `pdf`)")
}

//! The monthly report in each format, for the CLI and the server alike.

use std::path::Path;

use anyhow::{bail, Result};
use chrono::NaiveDate;
use solieu_engine::Engine;
use solieu_report::{docx::Issuer, Format, Report, Request};

/// The formats a report is written in.
pub const FORMATS: [&str; 5] = ["md", "html", "xlsx", "docx", "pdf"];

/// The media type and file extension of a format.
pub fn media_type(format: &str) -> &'static str {
    match format {
        "md" => "text/markdown; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/pdf",
    }
}

/// Builds the report and renders it; `day` dates the official document
/// (DOCX, PDF), `issuer` overrides the issuing body.
pub fn render(
    engine: &Engine,
    req: &Request,
    format: &str,
    template: Option<&Path>,
    day: NaiveDate,
    issuer: Option<String>,
) -> Result<Vec<u8>> {
    if !FORMATS.contains(&format) {
        bail!("format {format}: expected md, html, xlsx, docx or pdf");
    }
    let report = solieu_report::build(engine, req)?;
    Ok(match format {
        "md" => solieu_report::render(&report, Format::Md, template)?.into_bytes(),
        "html" => solieu_report::render(&report, Format::Html, template)?.into_bytes(),
        "xlsx" => solieu_report::xlsx::table(&report)?,
        _ => {
            let mut who = Issuer::default_for(&report, day);
            if let Some(i) = issuer {
                who.body = i;
            }
            let md = solieu_report::render(&report, Format::Md, template)?;
            if format == "docx" {
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
    bail!("this solieu was built without PDF (cargo feature `pdf`)")
}

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

/// The key tasks a report of `area` for `year`-`month` lists for the
/// coming month: those still to do whose deadline falls by the end of the
/// next month, the overdue (at the end of the report's month) first, then
/// by deadline. A task assigned to an area is the area's, a region's
/// member's or a child's; a task assigned to a department (any other unit)
/// is every report's. An area's code is written as its name.
pub fn task_lines(
    reg: &solieu_model::AreaRegistry,
    tasks: &[solieu_store::Task],
    area: &str,
    year: i32,
    month: u8,
) -> Vec<solieu_report::TaskLine> {
    let p = solieu_model::Period::Month(year, month);
    let end = p.end_date();
    let next_end = crate::service::next_period(p).end_date();
    let area = solieu_model::area::normalize_code(area);
    let members: Vec<String> = reg
        .resolve_on(&area, end)
        .map(|a| {
            reg.members_on(&a.key, end)
                .iter()
                .map(|m| m.code.clone())
                .collect()
        })
        .unwrap_or_default();
    let ours = |unit: &str| match reg.resolve_on(unit, end) {
        None => true,
        Some(u) => {
            u.code == area || members.contains(&u.code) || u.parent.as_deref() == Some(&area)
        }
    };
    let mut due: Vec<&solieu_store::Task> = tasks
        .iter()
        .filter(|t| t.status.is_pending() && t.deadline <= next_end && ours(&t.unit))
        .collect();
    due.sort_by_key(|t| (!t.is_overdue(end), t.deadline, t.id));
    due.iter()
        .map(|t| solieu_report::TaskLine {
            title: t.title.clone(),
            unit: reg
                .resolve_on(&t.unit, end)
                .map_or(t.unit.clone(), |a| a.name_vi.clone()),
            document: t.document.clone(),
            deadline: t.deadline.format("%d/%m/%Y").to_string(),
            progress: t.progress,
            overdue: t.is_overdue(end),
        })
        .collect()
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

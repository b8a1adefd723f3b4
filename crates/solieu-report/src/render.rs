//! Templates and their number filters.

use std::path::Path;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};

use crate::numfmt::{self, Lang};
use crate::{Report, ReportError};

/// Output formats written from templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown.
    Md,
    /// HTML with an SVG chart (Markdown body rendered, then wrapped).
    Html,
}

/// The built-in templates, by file name; a department copies them into a
/// directory, edits the wording, and passes `--template DIR`.
pub const TEMPLATE_NAMES: [&str; 3] = ["report.vi.md", "report.en.md", "report.html"];

fn builtin(name: &str) -> Option<&'static str> {
    match name {
        "report.vi.md" => Some(include_str!("../templates/report.vi.md")),
        "report.en.md" => Some(include_str!("../templates/report.en.md")),
        "report.html" => Some(include_str!("../templates/report.html")),
        _ => None,
    }
}

/// Markdown escaping of text put into the Markdown templates, so that a
/// name with `|` or `*` cannot break a table or start emphasis, and `<`
/// cannot open HTML.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '|' | '*' | '_' | '<' | '>' | '[' | ']' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn environment(lang: Lang, dir: Option<&Path>) -> Environment<'static> {
    let mut env = Environment::new();
    let dir = dir.map(Path::to_path_buf);
    env.set_loader(move |name| {
        if let Some(d) = &dir {
            let p = d.join(name);
            if p.exists() {
                return std::fs::read_to_string(&p).map(Some).map_err(|e| {
                    Error::new(ErrorKind::InvalidOperation, format!("{}: {e}", p.display()))
                });
            }
        }
        Ok(builtin(name).map(str::to_string))
    });
    env.set_keep_trailing_newline(true);
    env.set_formatter(|out, state, value| {
        let md = state.name().ends_with(".md");
        match value.as_str() {
            Some(s) if md && !value.is_safe() => out.write_str(&md_escape(s)).map_err(Error::from),
            _ => minijinja::escape_formatter(out, state, value),
        }
    });
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    add_filters(&mut env, lang);
    env
}

/// The number and wording filters of the reports (`num`, `change`, `pp`, `pct`,
/// `level`, `unit`, `month_name`, `lcfirst`, `roman`), for any template
/// environment that writes figures (the web pages use them too).
pub fn add_filters(env: &mut Environment<'_>, lang: Lang) {
    let decimals = |d: Option<usize>| d.unwrap_or(0).min(6);
    env.add_filter("num", move |v: f64, d: Option<usize>| {
        numfmt::number(v, decimals(d), lang)
    });
    env.add_filter("change", move |v: f64, d: Option<usize>| {
        numfmt::change(v, decimals(d), lang)
    });
    env.add_filter("pp", move |v: f64, d: Option<usize>| {
        numfmt::pp(v, decimals(d), lang)
    });
    env.add_filter("pct", move |v: f64, d: Option<usize>| {
        numfmt::pct(v, decimals(d), lang)
    });
    env.add_filter("level", move |v: f64, unit: String, d: Option<usize>| {
        let (n, u) = numfmt::level(v, &unit, decimals(d), lang);
        format!("{n} {u}")
    });
    env.add_filter("unit", move |u: String| numfmt::level(0.0, &u, 0, lang).1);
    env.add_filter("month_name", |m: u8| numfmt::month_name(m).to_string());
    env.add_filter("lcfirst", |s: String| {
        let mut c = s.chars();
        match c.next() {
            Some(f) => f.to_lowercase().chain(c).collect::<String>(),
            None => s,
        }
    });
    env.add_filter("roman", |n: usize| {
        const R: [&str; 12] = [
            "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
        ];
        R.get(n.wrapping_sub(1))
            .map_or(n.to_string(), |r| r.to_string())
    });
}

fn template_error(e: &Error) -> ReportError {
    let mut msg = e.to_string();
    if let Some(name) = e.name() {
        msg = format!("{name}:{}: {msg}", e.line().unwrap_or(0));
    }
    ReportError::Template(msg)
}

/// Writes the report through its template: `report.<lang>.md`, and for
/// HTML that Markdown rendered and wrapped by `report.html` with a chart.
pub fn render(report: &Report, format: Format, dir: Option<&Path>) -> Result<String, ReportError> {
    let lang = Lang::parse(&report.lang).unwrap_or(Lang::Vi);
    let env = environment(lang, dir);
    let md_name = format!("report.{}.md", lang.code());
    let md = env
        .get_template(&md_name)
        .and_then(|t| t.render(Value::from_serialize(report)))
        .map_err(|e| template_error(&e))?;
    // blank lines left by the template's control blocks are not content
    let md = tidy(&md);
    match format {
        Format::Md => Ok(md),
        Format::Html => {
            let body = markdown_to_html(&md);
            let chart = crate::chart::growth_bars(report, lang);
            let title = md
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("# ")
                .to_string();
            let ctx = minijinja::context! {
                lang => lang.code(),
                title => title,
                body => Value::from_safe_string(body),
                chart => Value::from_safe_string(chart),
            };
            env.get_template("report.html")
                .and_then(|t| t.render(ctx))
                .map_err(|e| template_error(&e))
        }
    }
}

/// Collapses runs of blank lines and trims line ends.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_start_matches('\n').to_string()
}

/// Markdown to HTML; raw HTML in the Markdown is shown as text, never run.
fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        e => e,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

/// A run of text with its emphasis.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Text.
    pub text: String,
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
}

/// The report's Markdown as blocks, for the formats that lay it out
/// themselves (DOCX, PDF); the title (`#`) is left out, they set their own.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading.
    Heading(Vec<Span>),
    /// A paragraph.
    Paragraph(Vec<Span>),
    /// A table: the header row first.
    Table(Vec<Vec<String>>),
}

/// Splits rendered Markdown into [`Block`]s.
pub fn blocks(md: &str) -> Vec<Block> {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let mut out = vec![];
    let mut spans: Vec<Span> = vec![];
    let (mut bold, mut italic, mut title) = (false, false, false);
    let mut table: Option<Vec<Vec<String>>> = None;
    let mut cell = String::new();
    for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match e {
            Event::Start(Tag::Heading { level, .. }) => {
                title = level == HeadingLevel::H1;
                spans.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                if !title {
                    out.push(Block::Heading(std::mem::take(&mut spans)));
                }
                title = false;
            }
            Event::Start(Tag::Paragraph) => spans.clear(),
            Event::End(TagEnd::Paragraph) if table.is_none() => {
                out.push(Block::Paragraph(std::mem::take(&mut spans)));
            }
            Event::Start(Tag::Strong) => bold = true,
            Event::End(TagEnd::Strong) => bold = false,
            Event::Start(Tag::Emphasis) => italic = true,
            Event::End(TagEnd::Emphasis) => italic = false,
            Event::Start(Tag::Table(_)) => table = Some(vec![]),
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                if let Some(t) = table.as_mut() {
                    t.push(vec![]);
                }
            }
            Event::Start(Tag::TableCell) => cell.clear(),
            Event::End(TagEnd::TableCell) => {
                if let Some(row) = table.as_mut().and_then(|t| t.last_mut()) {
                    row.push(std::mem::take(&mut cell));
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = table.take() {
                    out.push(Block::Table(t));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if table.is_some() {
                    cell.push_str(&t);
                } else {
                    spans.push(Span {
                        text: t.to_string(),
                        bold,
                        italic,
                    });
                }
            }
            Event::SoftBreak | Event::HardBreak => spans.push(Span {
                text: " ".into(),
                bold: false,
                italic: false,
            }),
            _ => {}
        }
    }
    out
}

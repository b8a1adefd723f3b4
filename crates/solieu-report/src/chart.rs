//! SVG charts drawn in Rust (no script, no font from the internet); the web
//! UI will draw with the same code.

use crate::numfmt::{self, Lang};
use crate::Report;

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars of the year-to-date growth of every indicator that has
/// one, falls to the left of the axis; empty when there is none.
pub fn growth_bars(report: &Report, lang: Lang) -> String {
    let rows: Vec<(&str, f64, usize)> = report
        .sections
        .iter()
        .flat_map(|s| s.items.iter())
        .filter(|i| i.kind != "stock")
        .filter_map(|i| {
            i.cumulative_yoy
                .as_ref()
                .map(|g| (i.name.as_str(), g.value, g.decimals))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let (label_w, bar_w, row_h) = (420.0, 320.0, 22.0);
    let max = rows.iter().map(|r| r.1.abs()).fold(1.0f64, f64::max);
    let has_neg = rows.iter().any(|r| r.1 < 0.0);
    let zero = label_w + if has_neg { bar_w / 2.0 } else { 0.0 };
    let scale = if has_neg { bar_w / 2.0 } else { bar_w } / max;
    let height = row_h * rows.len() as f64 + 10.0;
    let width = label_w + bar_w + 70.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" font-family=\"serif\" font-size=\"12\">"
    );
    for (k, (name, v, d)) in rows.iter().enumerate() {
        let y = 5.0 + row_h * k as f64;
        let w = (v.abs() * scale).max(0.5);
        let x = if *v < 0.0 { zero - w } else { zero };
        let color = if *v < 0.0 { "#b2413b" } else { "#2f6f9f" };
        let label: String = if name.chars().count() > 62 {
            name.chars().take(60).chain("…".chars()).collect()
        } else {
            name.to_string()
        };
        let value = format!(
            "{}{}%",
            if *v < 0.0 { "−" } else { "" },
            numfmt::number(v.abs(), *d, lang)
        );
        // the value beside the bar, on the side of the axis away from the names
        let tx = if *v < 0.0 { zero + 4.0 } else { x + w + 4.0 };
        let anchor = "start";
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h}\" fill=\"{color}\"><title>{title}: {value}</title></rect><text x=\"{tx:.1}\" y=\"{ty}\" text-anchor=\"{anchor}\">{value}</text>",
            lx = label_w - 8.0,
            ty = y + 15.0,
            label = xml(&label),
            h = row_h - 6.0,
            title = xml(name),
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"{zero}\" y1=\"0\" x2=\"{zero}\" y2=\"{height}\" stroke=\"#333\" stroke-width=\"1\"/></svg>"
    ));
    svg
}

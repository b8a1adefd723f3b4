//! SVG charts drawn in Rust (no script, no font from the internet, no inline
//! style, so a strict Content-Security-Policy allows them); the reports and
//! the web pages draw with the same code.

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
    bars(&rows, "%", lang)
}

/// Horizontal bars, one per (name, value, decimals), the value written
/// beside each with `suffix` ("%", or nothing for levels); negative values
/// fall to the left of the axis. Empty when there are no rows.
pub fn bars(rows: &[(&str, f64, usize)], suffix: &str, lang: Lang) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let (label_w, bar_w, row_h) = (420.0, 320.0, 22.0);
    // the bars' scale ends at a round value above the largest
    let largest = rows.iter().map(|r| r.1.abs()).fold(0.0, f64::max);
    let max = *nice_ticks(0.0, largest, 4).0.last().unwrap_or(&1.0);
    let has_neg = rows.iter().any(|r| r.1 < 0.0);
    let zero = label_w + if has_neg { bar_w / 2.0 } else { 0.0 };
    let scale = if has_neg { bar_w / 2.0 } else { bar_w } / max;
    let height = row_h * rows.len() as f64 + 10.0;
    let width = label_w + bar_w + 90.0;
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
            "{}{}{suffix}",
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

/// A small line of the last values (oldest first; gaps stay gaps), for a
/// card. Empty with fewer than two values.
pub fn sparkline(values: &[Option<f64>], label: &str) -> String {
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    if known.len() < 2 {
        return String::new();
    }
    let (w, h, pad) = (120.0, 32.0, 3.0);
    // a round scale around the values, as the full charts have
    let (ticks, _) = nice_ticks(
        known.iter().copied().fold(f64::INFINITY, f64::min),
        known.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        4,
    );
    let (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = (w - 2.0 * pad) / (values.len().max(2) - 1) as f64;
    let mut path = String::new();
    let mut pen_up = true;
    let mut last = (0.0, 0.0);
    for (k, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let x = pad + step * k as f64;
                let y = h - pad - (v - lo) / span * (h - 2.0 * pad);
                path.push_str(&format!("{}{x:.1},{y:.1} ", if pen_up { "M" } else { "L" }));
                pen_up = false;
                last = (x, y);
            }
            None => pen_up = true,
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{label}\"><path d=\"{path}\" fill=\"none\" stroke=\"#2f6f9f\" stroke-width=\"1.5\"/><circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#2f6f9f\"/></svg>",
        last.0,
        last.1,
        label = xml(label)
    )
}

/// A round scale over `lo..=hi`: ticks at a step of 1, 2, 2.5 or 5 × 10ⁿ,
/// about `n` of them, the first at or below `lo` and the last at or above
/// `hi`; and the decimals the step needs (0 for 1.000, 2 for 0,25).
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> (Vec<f64>, usize) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else if lo == 0.0 {
        (0.0, 1.0)
    } else {
        (lo - lo.abs() * 0.1, hi + hi.abs() * 0.1)
    };
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let decimals = if step >= 1.0 {
        0
    } else {
        // 0,25 needs two, 0,5 one
        let mut d = 0;
        while d < 12 && ((step * 10f64.powi(d)).round() - step * 10f64.powi(d)).abs() > 1e-9 {
            d += 1;
        }
        d
    };
    let first = (lo / step + 1e-9).floor();
    let last = (hi / step - 1e-9).ceil();
    let unit = 10f64.powi(decimals);
    let ticks: Vec<f64> = (0..=(last - first) as i64)
        .map(|k| {
            // 0,30000000000000004 → 0,3; -0 → 0
            let v = ((first + k as f64) * step * unit).round() / unit;
            if v == 0.0 {
                0.0
            } else {
                v
            }
        })
        .collect();
    (ticks, decimals as usize)
}

/// One line of a [`lines`] chart.
pub struct Line<'a> {
    /// Legend.
    pub name: &'a str,
    /// Colour (`#rrggbb`).
    pub color: &'a str,
    /// Dashed.
    pub dashed: bool,
    /// A value per x label (gaps stay gaps).
    pub values: Vec<Option<f64>>,
}

/// A line chart over named x positions (months), with a round scale
/// ([`nice_ticks`]) written in the language's number style, the unit over
/// the axis, and a legend.
pub fn lines(
    title: &str,
    x: &[String],
    series: &[Line<'_>],
    decimals: usize,
    unit: &str,
    lang: Lang,
) -> String {
    let known: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .collect();
    if known.is_empty() || x.is_empty() {
        return String::new();
    }
    let (w, h, left, right, top, bottom) = (640.0, 296.0, 70.0, 10.0, 44.0, 40.0);
    let min = known.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    let max = known
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(0.0);
    let (ticks, tick_decimals) = nice_ticks(min, max, 5);
    let (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let xs = |k: usize| {
        left + if x.len() > 1 {
            pw * k as f64 / (x.len() - 1) as f64
        } else {
            pw / 2.0
        }
    };
    let ys = |v: f64| top + ph - (v - lo) / (hi - lo) * ph;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"11\"><title>{t}</title>",
        t = xml(title)
    );
    for v in &ticks {
        let y = ys(*v);
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text>",
            w - right,
            if *v == 0.0 { "#999" } else { "#ddd" },
            left - 6.0,
            y + 4.0,
            xml(&numfmt::number(*v, tick_decimals, lang))
        ));
    }
    if !unit.is_empty() {
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text>",
            left - 6.0,
            top - 10.0,
            xml(unit)
        ));
    }
    for (k, label) in x.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            xs(k),
            h - bottom + 16.0,
            xml(label)
        ));
    }
    for (n, s) in series.iter().enumerate() {
        let mut d = String::new();
        let mut up = true;
        for (k, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => {
                    d.push_str(&format!(
                        "{}{:.1},{:.1} ",
                        if up { "M" } else { "L" },
                        xs(k),
                        ys(*v)
                    ));
                    up = false;
                }
                None => up = true,
            }
        }
        let dash = if s.dashed {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        svg.push_str(&format!(
            "<path d=\"{d}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"{dash}/>",
            c = s.color
        ));
        for (k, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                svg.push_str(&format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{c}\"><title>{}: {} {}</title></circle>",
                    xs(k),
                    ys(*v),
                    xml(s.name),
                    xml(&x[k]),
                    xml(&numfmt::number(*v, decimals, lang)),
                    c = s.color
                ));
            }
        }
        let lx = left + 8.0 + 170.0 * n as f64;
        svg.push_str(&format!(
            "<line x1=\"{lx:.1}\" y1=\"12\" x2=\"{:.1}\" y2=\"12\" stroke=\"{c}\" stroke-width=\"2\"{dash}/><text x=\"{:.1}\" y=\"16\" fill=\"#111\">{}</text>",
            lx + 22.0,
            lx + 27.0,
            xml(s.name),
            c = s.color
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_text_and_keep_gaps() {
        let s = sparkline(&[Some(1.0), None, Some(3.0), Some(2.0)], "a<b");
        assert!(s.contains("a&lt;b") && s.matches('M').count() == 2, "{s}");
        assert_eq!(sparkline(&[Some(1.0)], "x"), "");
        let c = lines(
            "<script>",
            &["T1".into(), "T2".into()],
            &[Line {
                name: "2026",
                color: "#2f6f9f",
                dashed: false,
                values: vec![Some(1.5), Some(-2.0)],
            }],
            1,
            "%",
            Lang::Vi,
        );
        assert!(
            c.contains("&lt;script&gt;") && !c.contains("<script"),
            "{c}"
        );
        assert!(c.contains("1,5"), "Vietnamese numbers: {c}");
        assert!(!c.contains("style="), "no inline style under a strict CSP");
    }

    /// Each tick is a whole number of a step of 1, 2, 2,5 or 5 × 10ⁿ.
    fn round_step(t: &[f64]) -> f64 {
        let step = t[1] - t[0];
        let mag = 10f64.powf(step.log10().floor());
        let m = step / mag;
        assert!(
            [1.0, 2.0, 2.5, 5.0, 10.0]
                .iter()
                .any(|x| (m - x).abs() < 1e-9),
            "step {step} of {t:?}"
        );
        for w in t.windows(2) {
            assert!(((w[1] - w[0]) - step).abs() < step * 1e-9, "{t:?}");
        }
        step
    }

    #[test]
    fn scales_take_round_steps_at_every_magnitude() {
        for (lo, hi) in [
            (0.0, 4231.1),
            (0.0, 0.3),
            (0.0, 1e9),
            (-12.5, 8.2),
            (-3.0, -0.4),
            (95.0, 118.7),
            (0.0, 0.0),
            (7.0, 7.0),
        ] {
            let (t, d) = nice_ticks(lo, hi, 5);
            let step = round_step(&t);
            assert!(
                t[0] <= lo + 1e-12 && *t.last().unwrap() >= hi - 1e-12,
                "{lo}..{hi}: {t:?}"
            );
            assert!((3..=11).contains(&t.len()), "{lo}..{hi}: {t:?}");
            // the decimals show every tick exactly
            for v in &t {
                let shown = format!("{v:.d$}");
                assert!(
                    (shown.parse::<f64>().unwrap() - v).abs() < step * 1e-6,
                    "{v} as {shown}"
                );
            }
        }
        assert_eq!(
            nice_ticks(0.0, 4231.1, 5).0,
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
        );
        assert_eq!(nice_ticks(0.0, 0.3, 5), (vec![0.0, 0.1, 0.2, 0.3], 1));
        assert_eq!(
            nice_ticks(0.0, 1.1, 5),
            (vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25], 2)
        );
        assert_eq!(
            nice_ticks(-12.5, 8.2, 5).0,
            [-15.0, -10.0, -5.0, 0.0, 5.0, 10.0]
        );
        // the indicator page's axis: 0 · 1.000 · … · 5.000, the unit over it
        let c = lines(
            "x",
            &["T1".into(), "T2".into()],
            &[Line {
                name: "2020",
                color: "#2f6f9f",
                dashed: false,
                values: vec![Some(3900.2), Some(4231.1)],
            }],
            1,
            "triệu USD",
            Lang::Vi,
        );
        for tick in [">0<", ">1.000<", ">2.000<", ">5.000<", ">triệu USD<"] {
            assert!(c.contains(tick), "{tick}: {c}");
        }
        assert!(!c.contains("1.057,8"), "{c}");
    }
}

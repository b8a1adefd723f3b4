//! The monthly socio-economic report, written from the data.
//!
//! [`build`] asks the engine for every figure of the report (as of a time,
//! reported figures preferred) and gathers them into a [`Report`]: sections
//! in the order Vietnamese reports use, one item per indicator that has data,
//! and the key-indicator table. [`render`] writes it through a template
//! (Markdown or HTML, built in or a department's own copy) whose numbers are
//! formatted by the filters of [`numfmt`]; [`xlsx`] writes the table as
//! numbers. The same data and the same templates give the same bytes, so a
//! report asked as of a date is reproducible after later revisions.
#![warn(missing_docs)]

pub mod chart;
pub mod docx;
pub mod numfmt;
#[cfg(feature = "pdf")]
pub mod pdf;
mod render;
pub mod xlsx;

use serde::Serialize;
use solieu_engine::{Derived, Engine, Figure, Flags, Options, Query};
use solieu_model::{Period, Status, TimeAggregation};

pub use numfmt::Lang;
pub use render::{add_filters, blocks, render, Block, Format, Span, TEMPLATE_NAMES};

/// Report errors.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A request that cannot be answered.
    #[error("{0}")]
    Request(String),
    /// The engine refused a request.
    #[error(transparent)]
    Engine(#[from] solieu_engine::EngineError),
    /// A template failed.
    #[error("template: {0}")]
    Template(String),
    /// Writing failed.
    #[error("{0}")]
    Write(String),
}

/// Sections in the order of the reports, with the indicators each holds.
pub const SECTIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "growth",
        "Tăng trưởng kinh tế",
        "Economic growth",
        &[
            "GRDP_CONST",
            "GRDP_CURRENT",
            "GRDP_PER_CAPITA",
            "GRDP_SHARE_AGRI",
            "GRDP_SHARE_INDUSTRY",
            "GRDP_SHARE_SERVICES",
            "GRDP_SHARE_TAXES",
        ],
    ),
    (
        "agriculture",
        "Nông, lâm nghiệp và thủy sản",
        "Agriculture, forestry and fishery",
        &[],
    ),
    ("industry", "Sản xuất công nghiệp", "Industry", &["IIP"]),
    (
        "investment",
        "Đầu tư và phát triển doanh nghiệp",
        "Investment and enterprises",
        &[
            "INVESTMENT_TOTAL",
            "INVESTMENT_STATE_BUDGET",
            "FDI_REGISTERED",
            "FDI_NEW_PROJECTS",
            "NEW_ENTERPRISES",
            "NEW_ENTERPRISE_CAPITAL",
        ],
    ),
    (
        "trade",
        "Thương mại, dịch vụ và xuất nhập khẩu",
        "Trade, services and external trade",
        &[
            "RETAIL_TOTAL",
            "RETAIL_GOODS",
            "TOURISM_REVENUE",
            "EXPORTS",
            "EXPORTS_FDI_SHARE",
            "EXPORTS_EXCL_CRUDE",
            "IMPORTS",
        ],
    ),
    ("prices", "Giá cả", "Prices", &["CPI"]),
    (
        "budget",
        "Thu, chi ngân sách nhà nước",
        "State budget",
        &[
            "BUDGET_REVENUE",
            "BUDGET_REVENUE_DOMESTIC",
            "BUDGET_REVENUE_GRDP",
            "BUDGET_EXPENDITURE",
        ],
    ),
    (
        "science",
        "Khoa học, công nghệ và đổi mới sáng tạo",
        "Science, technology and innovation",
        &[
            "ST_TASKS_CONTRACTED",
            "ST_ADVISORY_TASKS",
            "ST_FUND_ENTERPRISES",
            "ST_CERTIFIED_ENTERPRISES",
            "ST_TRAINED_ENTERPRISES",
            "ST_INNOVATION_EVENTS",
        ],
    ),
    (
        "social",
        "Văn hóa - xã hội",
        "Social affairs",
        &["POPULATION"],
    ),
];

/// What to report on.
#[derive(Debug, Clone)]
pub struct Request {
    /// Area code as typed (`79`).
    pub area: String,
    /// The month.
    pub year: i32,
    /// The month number.
    pub month: u8,
    /// Language.
    pub lang: Lang,
    /// Evaluate as of this time (µs); `None`: everything known.
    pub as_of: Option<i64>,
    /// The as-of time as the user wrote it, printed in the report.
    pub as_of_label: Option<String>,
    /// List the stored vintages behind every number in an appendix.
    pub sources: bool,
    /// The key tasks assigned to departments that are still to do (the
    /// caller reads them from the store), for "Nhiệm vụ trọng tâm".
    pub tasks: Vec<TaskLine>,
}

/// A key task still to do, as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskLine {
    /// What is to be done.
    pub title: String,
    /// The responsible unit.
    pub unit: String,
    /// The assigning document (`Kết luận 123/KL-TU`), if any.
    pub document: String,
    /// Its deadline, `dd/mm/yyyy`.
    pub deadline: String,
    /// Progress, %.
    pub progress: u8,
    /// Past its deadline at the end of the report's month.
    pub overdue: bool,
}

/// One figure as the templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct Num {
    /// The value.
    pub value: f64,
    /// Decimals to print it with.
    pub decimals: usize,
    /// Reported by a source (else computed).
    pub reported: bool,
    /// An estimate ("ước").
    pub estimate: bool,
    /// Computed on the comparable basis (across a boundary change).
    pub comparable: bool,
}

/// One indicator of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Indicator code.
    pub code: String,
    /// Name in the report's language.
    pub name: String,
    /// Unit label (Vietnamese; the filters translate).
    pub unit: String,
    /// Decimals of the indicator.
    pub decimals: usize,
    /// `flow`, `stock`, `index`, `mean`, or `ratio` for a formula
    /// indicator in % (a share, a ratio to GRDP): its changes are in
    /// percentage points.
    pub kind: String,
    /// The formula of a formula indicator.
    pub formula: Option<String>,
    /// For a ratio: the month's change on the same month a year earlier, in points.
    pub change_pp: Option<Num>,
    /// For a ratio: the year-to-date's change on the same months a year earlier, in points.
    pub cumulative_change_pp: Option<Num>,
    /// The month.
    pub month: Option<Num>,
    /// The previous month.
    pub previous_month: Option<Num>,
    /// January to the month.
    pub cumulative: Option<Num>,
    /// Month on month, %.
    pub mom: Option<Num>,
    /// The month on the same month of the previous year, %.
    pub yoy: Option<Num>,
    /// The year-to-date on the same months of the previous year, %.
    pub cumulative_yoy: Option<Num>,
    /// The same growth a year earlier, % (the parentheses "cùng kỳ năm trước tăng …").
    pub previous_cumulative_yoy: Option<Num>,
    /// Year-to-date as % of the annual plan.
    pub plan_pct: Option<Num>,
    /// The country's growth of the same indicator on the same month of
    /// the previous year, % (the nation's own figure, as the statistics
    /// office publishes it; none for the nation's report).
    pub national_yoy: Option<Num>,
    /// The country's year-to-date growth, %.
    pub national_cumulative_yoy: Option<Num>,
    /// Its breakdowns with figures for the area (product groups, markets …).
    pub breakdowns: Vec<Breakdown>,
    /// The five-year plan's target of average annual growth, where one is
    /// set, against the average growth of the plan's years so far.
    pub five_year: Option<FiveYear>,
}

/// Where a five-year target stands ("bình quân 2021–2024 tăng 6,2%/năm,
/// kế hoạch 2021–2025 tăng 7%/năm").
#[derive(Debug, Clone, Serialize)]
pub struct FiveYear {
    /// The plan's span as written ("2021–2025").
    pub plan: String,
    /// The years so far ("2021–2024"; one year: "2021").
    pub so_far: String,
    /// Average annual growth of the years so far, %.
    pub growth: Num,
    /// The planned average annual growth, %.
    pub target: Num,
    /// Whether the growth so far is at or above the target.
    pub on_track: bool,
}

/// The five-year plan a year falls in (2016–2020, 2021–2025, 2026–2030 …).
pub fn five_year_plan(year: i32) -> Period {
    let first = year - (year - 2011).rem_euclid(5);
    Period::Span(first + 4, 5)
}

/// The five-year target of an indicator for an area and where it stands
/// at the start of `year` (the years of the plan before it).
fn five_year(
    engine: &Engine,
    code: &str,
    key: &str,
    year: i32,
    opts: &Options,
) -> Result<Option<FiveYear>, ReportError> {
    let plan = five_year_plan(year);
    let Some((target, status)) = engine.stored(
        code,
        key,
        solieu_model::Measure::PlanYoyPct,
        plan,
        opts.as_of,
    ) else {
        return Ok(None);
    };
    let first = plan.first_year();
    // the plan's years before this one; in its first year, none yet
    if year <= first {
        return Ok(None);
    }
    let (period, measure, so_far) = if year - 1 == first {
        (Period::Year(first), Derived::YoyPct, first.to_string())
    } else {
        (
            Period::Span(year - 1, u8::try_from(year - first).unwrap_or(u8::MAX)),
            Derived::AvgAnnualGrowthPct,
            format!("{first}–{}", year - 1),
        )
    };
    let f = engine.eval(
        &Query {
            indicator: code,
            area: key,
            dims: "",
            period,
            measure,
        },
        &Options {
            explain: false,
            ..*opts
        },
    )?;
    let Some(growth) = num(&f, true) else {
        return Ok(None);
    };
    let target = Num {
        value: target,
        decimals: numfmt::pct_decimals(target, true),
        reported: true,
        estimate: status == Status::Estimate,
        comparable: false,
    };
    Ok(Some(FiveYear {
        plan: format!("{first}–{}", plan.year()),
        so_far,
        on_track: growth.value + 1e-9 >= target.value,
        growth,
        target,
    }))
}

/// An indicator broken down by one list, as the report writes it: its
/// codes with figures, the largest year-to-date first.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    /// The list (`PRODUCT`).
    pub list: String,
    /// What its codes are, in the report's language ("nhóm hàng", "thị trường").
    pub noun: String,
    /// The whole a share is of ("tổng kim ngạch", "tổng thu", "tổng số").
    pub whole: String,
    /// The codes, the largest year-to-date first (the residual "other" last).
    pub parts: Vec<Part>,
}

/// One code of a breakdown.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    /// Code (`ELECTRONICS`).
    pub code: String,
    /// Label in the report's language.
    pub label: String,
    /// The label inside a sentence (lower-cased, but a country's name kept).
    pub in_sentence: String,
    /// Whether this is the list's residual code ("Hàng hóa khác").
    pub other: bool,
    /// The month.
    pub month: Option<Num>,
    /// January to the month.
    pub cumulative: Option<Num>,
    /// Share of the indicator's year-to-date total, %.
    pub share: Option<Num>,
    /// The month on the same month of the previous year, %.
    pub yoy: Option<Num>,
    /// The year-to-date on the same months of the previous year, %.
    pub cumulative_yoy: Option<Num>,
}

/// What the codes of a list are called in a report ("nhóm hàng", "product groups").
fn noun(list: &str, lang: Lang) -> String {
    let (vi, _, en) = solieu_model::codelist::list_names(list);
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The breakdowns of an indicator with figures for the area (key) and
/// month: what the report's breakdown paragraphs and tables say, and what
/// the indicator page shows.
pub fn breakdowns(
    engine: &Engine,
    ind: &solieu_model::Indicator,
    key: &str,
    p: Period,
    lang: Lang,
    opts: &Options,
) -> Result<Vec<Breakdown>, ReportError> {
    let mut out = vec![];
    let ytd = match p {
        Period::Month(y, m) => Period::Cumulative(y, m),
        other => other,
    };
    for d in &ind.dimensions {
        let prefix = format!("{}=", d.name);
        let texts = engine.breakdowns_over(&ind.code, &[d.name.as_str()]);
        if texts.is_empty() {
            continue;
        }
        let asks = [
            (p, Derived::Value),
            (p, Derived::Cumulative),
            (ytd, Derived::SharePct),
            (p, Derived::YoyPct),
            (p, Derived::CumulativeYoyPct),
        ];
        let queries: Vec<Query<'_>> = texts
            .iter()
            .flat_map(|t| {
                asks.iter().map(move |(period, measure)| Query {
                    indicator: &ind.code,
                    area: key,
                    dims: t,
                    period: *period,
                    measure: *measure,
                })
            })
            .collect();
        let figures = engine.eval_many(&queries, opts)?;
        let list = engine.code_lists().get(&d.name);
        let level = |f: &Figure| {
            num(f, false).map(|n| Num {
                decimals: usize::from(ind.decimals),
                ..n
            })
        };
        let mut parts: Vec<Part> = texts
            .iter()
            .zip(figures.chunks(asks.len()))
            .filter_map(|(t, f)| {
                let code = t.trim_start_matches(&prefix).to_string();
                let c = list.and_then(|l| l.get(&code));
                let label = match (c, lang) {
                    (Some(c), Lang::Vi) => c.label_vi.clone(),
                    (Some(c), Lang::En) if !c.label_en.is_empty() => c.label_en.clone(),
                    (Some(c), Lang::En) => c.label_vi.clone(),
                    (None, _) => code.clone(),
                };
                let in_sentence = if d.name == "MARKET" {
                    label.clone()
                } else {
                    let mut cs = label.chars();
                    cs.next()
                        .map(|f| f.to_lowercase().chain(cs).collect())
                        .unwrap_or_default()
                };
                let part = Part {
                    in_sentence,
                    label: match (c, lang) {
                        (Some(c), Lang::Vi) => c.label_vi.clone(),
                        (Some(c), Lang::En) if !c.label_en.is_empty() => c.label_en.clone(),
                        (Some(c), Lang::En) => c.label_vi.clone(),
                        (None, _) => code.clone(),
                    },
                    other: code == "OTHER",
                    code,
                    month: level(&f[0]),
                    cumulative: level(&f[1]),
                    share: num(&f[2], true),
                    yoy: num(&f[3], true),
                    cumulative_yoy: num(&f[4], true),
                };
                (part.month.is_some() || part.cumulative.is_some()).then_some(part)
            })
            .collect();
        if parts.is_empty() {
            continue;
        }
        let size = |p: &Part| {
            p.cumulative
                .as_ref()
                .or(p.month.as_ref())
                .map_or(0.0, |n| n.value)
        };
        parts.sort_by(|a, b| a.other.cmp(&b.other).then(size(b).total_cmp(&size(a))));
        let name = solieu_model::text::fold(&ind.name_vi);
        out.push(Breakdown {
            list: d.name.clone(),
            noun: noun(&d.name, lang),
            whole: match lang {
                Lang::Vi if name.starts_with("kim ngach") => "tổng kim ngạch".into(),
                Lang::Vi if name.contains("thu ngan sach") => "tổng thu".into(),
                Lang::Vi => "tổng số".into(),
                Lang::En => "of the total".into(),
            },
            parts,
        });
    }
    Ok(out)
}

/// One section.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Identifier.
    pub id: String,
    /// Title in the report's language.
    pub title: String,
    /// Its indicators with data.
    pub items: Vec<Item>,
}

/// A stored vintage behind the report's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct SourceLine {
    /// Indicator code.
    pub indicator: String,
    /// Period.
    pub period: String,
    /// Measure.
    pub measure: String,
    /// Value.
    pub value: f64,
    /// Import number.
    pub import: u32,
    /// Recording day.
    pub recorded: String,
    /// Source.
    pub source: String,
}

/// The whole report, ready for a template.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `vi` or `en`.
    pub lang: String,
    /// Area name.
    pub area: String,
    /// Area code.
    pub area_code: String,
    /// Year.
    pub year: i32,
    /// Month.
    pub month: u8,
    /// "tháng 10 và 10 tháng năm 2020".
    pub period_title: String,
    /// "10 tháng".
    pub cumulative_label: String,
    /// The sections that have data, in order.
    pub sections: Vec<Section>,
    /// The as-of time, as asked.
    pub as_of: Option<String>,
    /// The vintages used, when asked.
    pub sources: Vec<SourceLine>,
    /// The indicators whose figures come, in part, from synthetic series
    /// (a demo store's: their source says "synthetic"), for the footnote
    /// that says so.
    pub synthetic: Vec<String>,
    /// The members whose figures in a regional total are estimates (they
    /// have not reported): "Tỉnh Tiền Giang (doanh thu bán lẻ hàng hóa tháng 10)".
    pub estimated: Vec<String>,
    /// A region's report: its members side by side, one table per summed
    /// indicator (year-to-date, share of the region, rank, growth).
    pub members: Vec<MemberTable>,
    /// The key tasks for the coming month: those still to do with a
    /// deadline by its end, the overdue first.
    pub tasks: Vec<TaskLine>,
    /// "tháng 11/2020": the coming month.
    pub next_month: String,
}

/// A region's members for one indicator, the largest first.
#[derive(Debug, Clone, Serialize)]
pub struct MemberTable {
    /// Indicator code.
    pub code: String,
    /// Its name in the report's language.
    pub name: String,
    /// Unit label.
    pub unit: String,
    /// Decimals of the indicator.
    pub decimals: usize,
    /// The members.
    pub rows: Vec<MemberRow>,
}

/// One member of a region for one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRow {
    /// The member's name.
    pub name: String,
    /// January to the month.
    pub cumulative: Option<Num>,
    /// % of the region's year-to-date.
    pub share: Option<Num>,
    /// Rank by the year-to-date among the members, 1 = largest.
    pub rank: Option<u32>,
    /// The year-to-date on the same months of the previous year, %.
    pub cumulative_yoy: Option<Num>,
    /// Rank by that growth, 1 = fastest.
    pub rank_yoy: Option<u32>,
}

/// The members' tables of a region's report: every summed flow indicator
/// of the sections with a year-to-date figure for some member.
fn member_tables(
    engine: &Engine,
    region: &str,
    sections: &[Section],
    p: Period,
    lang: Lang,
    opts: &Options,
) -> Result<Vec<MemberTable>, ReportError> {
    let Period::Month(year, month) = p else {
        return Ok(vec![]);
    };
    let ytd = Period::Cumulative(year, month);
    let members: Vec<(String, String)> = engine
        .registry()
        .members_on(region, p.end_date())
        .iter()
        .map(|a| {
            let name = match lang {
                Lang::Vi => a.name_vi.clone(),
                Lang::En => a.name_en.clone(),
            };
            (a.key.clone(), name)
        })
        .collect();
    if members.is_empty() {
        return Ok(vec![]);
    }
    let opts = Options {
        explain: false,
        ..*opts
    };
    let mut out = vec![];
    for item in sections.iter().flat_map(|s| &s.items) {
        let Some(ind) = engine.indicator(&item.code) else {
            continue;
        };
        if ind.time_aggregation != TimeAggregation::Flow
            || ind.area_aggregation != solieu_model::AreaAggregation::Sum
            || ind.is_formula()
        {
            continue;
        }
        let asks = [
            Derived::Cumulative,
            Derived::SharePct,
            Derived::Rank,
            Derived::CumulativeYoyPct,
            Derived::RankYoy,
        ];
        let queries: Vec<Query<'_>> = members
            .iter()
            .flat_map(|(key, _)| {
                asks.iter().map(move |m| Query {
                    indicator: &ind.code,
                    area: key,
                    dims: "",
                    period: ytd,
                    measure: *m,
                })
            })
            .collect();
        let f = engine.eval_many(&queries, &opts)?;
        let rank = |f: &Figure| f.value.map(|v| v as u32);
        let mut rows: Vec<MemberRow> = members
            .iter()
            .zip(f.chunks(asks.len()))
            .map(|((_, name), f)| MemberRow {
                name: name.clone(),
                cumulative: num(&f[0], false).map(|n| Num {
                    decimals: usize::from(ind.decimals),
                    ..n
                }),
                share: num(&f[1], true),
                rank: rank(&f[2]),
                cumulative_yoy: num(&f[3], true),
                rank_yoy: rank(&f[4]),
            })
            .collect();
        if rows.iter().all(|r| r.cumulative.is_none()) {
            continue;
        }
        rows.sort_by(|a, b| {
            let v = |r: &MemberRow| r.cumulative.as_ref().map_or(f64::MIN, |n| n.value);
            v(b).total_cmp(&v(a))
        });
        out.push(MemberTable {
            code: ind.code.clone(),
            name: item.name.clone(),
            unit: ind.unit.label.clone(),
            decimals: usize::from(ind.decimals),
            rows,
        });
    }
    Ok(out)
}

fn num(f: &Figure, lang_pct: bool) -> Option<Num> {
    let v = f.value?;
    let reported = f.flags.has(Flags::REPORTED);
    Some(Num {
        value: v,
        decimals: if lang_pct {
            numfmt::pct_decimals(v, reported)
        } else {
            0
        },
        reported,
        estimate: f.status == Status::Estimate,
        comparable: f.flags.has(Flags::COMPARABLE),
    })
}

/// The area version to report on for a code and a month: the one valid
/// then, else the newest (on the comparable basis).
fn area_key(engine: &Engine, code: &str, p: Period) -> Result<(String, String), ReportError> {
    let a = engine.registry().version_for(code, p).ok_or_else(|| {
        ReportError::Request(format!(
            "unknown area code '{}'",
            solieu_model::area::normalize_code(code)
        ))
    })?;
    Ok((a.key.clone(), a.name_vi.clone()))
}

/// Gathers the report's figures from the engine.
pub fn build(engine: &Engine, req: &Request) -> Result<Report, ReportError> {
    if !(1..=12).contains(&req.month) {
        return Err(ReportError::Request(format!(
            "month {} is not 1–12",
            req.month
        )));
    }
    let p = Period::Month(req.year, req.month);
    let prev_month = if req.month == 1 {
        Period::Month(req.year - 1, 12)
    } else {
        Period::Month(req.year, req.month - 1)
    };
    let (key, area_name) = area_key(engine, &req.area, p)?;
    // the country, for "cả nước tăng …" beside the area's growth
    let nation = area_key(engine, "VN", p)
        .ok()
        .map(|(k, _)| k)
        .filter(|k| *k != key);
    // every figure with its inputs: their sources list the vintages when
    // asked, and always tell a synthetic series from a published figure
    let opts = Options {
        as_of: req.as_of,
        explain: true,
        ..Options::default()
    };
    let mut synthetic = vec![];
    // the figures of one indicator, in this order
    let asks: [(Period, Derived); 10] = [
        (p, Derived::Value),
        (prev_month, Derived::Value),
        (p, Derived::Cumulative),
        (p, Derived::MomPct),
        (p, Derived::YoyPct),
        (p, Derived::CumulativeYoyPct),
        (
            Period::Month(req.year - 1, req.month),
            Derived::CumulativeYoyPct,
        ),
        // the plan is for the year: its % is the year-to-date's
        (Period::Cumulative(req.year, req.month), Derived::PlanPct),
        (p, Derived::ChangePp),
        (Period::Cumulative(req.year, req.month), Derived::ChangePp),
    ];
    let mut estimated: Vec<String> = vec![];
    let mut sections = vec![];
    let mut sources = vec![];
    for (id, vi, en, codes) in SECTIONS {
        let mut items = vec![];
        for code in codes.iter() {
            let Some(ind) = engine.indicator(code) else {
                continue;
            };
            let queries: Vec<Query<'_>> = asks
                .iter()
                .map(|(period, measure)| Query {
                    indicator: code,
                    area: &key,
                    dims: "",
                    period: *period,
                    measure: *measure,
                })
                .collect();
            let f = engine.eval_many(&queries, &opts)?;
            let level = |f: &Figure| {
                num(f, false).map(|n| Num {
                    decimals: usize::from(ind.decimals),
                    ..n
                })
            };
            let ratio = ind.is_formula() && ind.unit.is_percent();
            let pp = |f: &Figure| {
                num(f, false).map(|n| Num {
                    decimals: usize::from(ind.decimals).max(1),
                    ..n
                })
            };
            let item = Item {
                code: ind.code.clone(),
                name: match req.lang {
                    Lang::Vi => ind.name_vi.clone(),
                    Lang::En => ind.name_en.clone(),
                },
                unit: ind.unit.label.clone(),
                decimals: usize::from(ind.decimals),
                kind: if ratio {
                    "ratio".to_string()
                } else {
                    ind.time_aggregation.as_str().to_string()
                },
                formula: ind.is_formula().then(|| ind.formula.clone()),
                change_pp: if ratio { pp(&f[8]) } else { None },
                cumulative_change_pp: if ratio { pp(&f[9]) } else { None },
                month: level(&f[0]),
                previous_month: level(&f[1]),
                cumulative: if ind.time_aggregation == TimeAggregation::Flow {
                    level(&f[2])
                } else {
                    None
                },
                // a ratio's changes are in points, not in % of itself
                mom: num(&f[3], true).filter(|_| !ratio),
                yoy: num(&f[4], true).filter(|_| !ratio),
                cumulative_yoy: if ind.time_aggregation == TimeAggregation::Stock || ratio {
                    None
                } else {
                    num(&f[5], true)
                },
                previous_cumulative_yoy: num(&f[6], true).filter(|_| !ratio),
                plan_pct: num(&f[7], true),
                national_yoy: None,
                national_cumulative_yoy: None,
                breakdowns: if ind.dimensions.is_empty() {
                    vec![]
                } else {
                    breakdowns(
                        engine,
                        ind,
                        &key,
                        p,
                        req.lang,
                        &Options {
                            explain: false,
                            ..opts
                        },
                    )?
                },
                five_year: None,
            };
            let mut item = item;
            item.five_year = five_year(engine, code, &key, req.year, &opts)?;
            if let Some(vn) = &nation {
                let ask = |measure| Query {
                    indicator: code,
                    area: vn,
                    dims: "",
                    period: p,
                    measure,
                };
                let n = engine.eval_many(
                    &[ask(Derived::YoyPct), ask(Derived::CumulativeYoyPct)],
                    &Options {
                        explain: false,
                        ..opts
                    },
                )?;
                item.national_yoy = item.yoy.as_ref().and(num(&n[0], true));
                item.national_cumulative_yoy = item.cumulative_yoy.as_ref().and(num(&n[1], true));
            }
            // an indicator without a figure for the period is left out, not printed as zero
            let has_data = item.month.is_some()
                || item.five_year.is_some()
                || item.cumulative.is_some()
                || item.yoy.is_some()
                || item.cumulative_yoy.is_some();
            if !has_data {
                continue;
            }
            if f.iter()
                .take(6)
                .filter(|fig| fig.value.is_some())
                .flat_map(|fig| &fig.inputs)
                .any(|i| i.source.contains("synthetic"))
            {
                synthetic.push(item.name.clone());
            }
            // members of a region that have not reported: their estimates
            for (fig, (period, _)) in f.iter().zip(&asks).take(6) {
                if fig.value.is_none() {
                    continue;
                }
                for i in fig.inputs.iter().filter(|i| i.import_id == 0) {
                    let who =
                        engine
                            .registry()
                            .by_key(&i.area)
                            .map_or(i.area.clone(), |a| match req.lang {
                                Lang::Vi => a.name_vi.clone(),
                                Lang::En => a.name_en.clone(),
                            });
                    let what = format!(
                        "{who} ({} {})",
                        lcfirst(&item.name),
                        numfmt::period(*period, req.lang)
                    );
                    if !estimated.contains(&what) {
                        estimated.push(what);
                    }
                }
            }
            if req.sources {
                for (fig, (period, measure)) in f.iter().zip(&asks).take(6) {
                    if fig.value.is_none() {
                        continue;
                    }
                    for i in &fig.inputs {
                        sources.push(SourceLine {
                            indicator: i.indicator.clone(),
                            period: i.period.to_string(),
                            measure: format!("{} ({} {})", i.measure, measure, period),
                            value: i.value,
                            import: i.import_id,
                            recorded: chrono::DateTime::from_timestamp_micros(i.recorded_at)
                                .map(|t| t.format("%Y-%m-%d").to_string())
                                .unwrap_or_default(),
                            source: i.source.replace('\t', " · "),
                        });
                    }
                }
            }
            items.push(item);
        }
        if !items.is_empty() {
            sections.push(Section {
                id: id.to_string(),
                title: match req.lang {
                    Lang::Vi => vi.to_string(),
                    Lang::En => en.to_string(),
                },
                items,
            });
        }
    }
    if sections.is_empty() {
        return Err(ReportError::Request(format!(
            "no figures for {} ({}) in {}{}: nothing to report",
            area_name,
            solieu_model::area::normalize_code(&req.area),
            p,
            req.as_of_label
                .as_ref()
                .map_or(String::new(), |a| format!(" as of {a}"))
        )));
    }
    sources.sort_by(|a, b| {
        (&a.indicator, &a.period, a.import).cmp(&(&b.indicator, &b.period, b.import))
    });
    sources.dedup_by(|a, b| {
        a.indicator == b.indicator
            && a.period == b.period
            && a.import == b.import
            && a.value == b.value
    });
    let (period_title, cumulative_label) = match req.lang {
        Lang::Vi => (
            if req.month == 1 {
                format!("tháng 1 năm {}", req.year)
            } else {
                format!(
                    "tháng {} và {} tháng năm {}",
                    req.month, req.month, req.year
                )
            },
            format!("{} tháng", req.month),
        ),
        Lang::En => (
            format!(
                "{} and the first {} months of {}",
                numfmt::month_name(req.month),
                req.month,
                req.year
            ),
            format!("{} months", req.month),
        ),
    };
    let members = member_tables(engine, &key, &sections, p, req.lang, &opts)?;
    let next = if req.month == 12 {
        Period::Month(req.year + 1, 1)
    } else {
        Period::Month(req.year, req.month + 1)
    };
    Ok(Report {
        lang: req.lang.code().to_string(),
        area: area_name,
        area_code: solieu_model::area::normalize_code(&req.area),
        year: req.year,
        month: req.month,
        period_title,
        cumulative_label,
        sections,
        as_of: req.as_of_label.clone(),
        members,
        tasks: req.tasks.clone(),
        next_month: numfmt::period(next, req.lang),
        sources,
        synthetic,
        estimated,
    })
}

/// The first letter in lower case (a name inside a sentence).
fn lcfirst(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|f| f.to_lowercase().chain(cs).collect())
        .unwrap_or_default()
}

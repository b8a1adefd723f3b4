//! SDMX: solieu's model as SDMX structures, and its stored figures as SDMX
//! data messages (SDMX-ML 2.1 Structure, GenericData 2.1, SDMX-CSV 1.0).
//!
//! The mapping (see `docs/sdmx.md` for the reasons):
//! - one data structure `SOLIEU:DSD_SOLIEU(1.0)` and one dataflow
//!   `SOLIEU:DF_SOLIEU(1.0)` over every indicator;
//! - dimensions `FREQ` (A, S, Q, M), `INDICATOR` (the catalogue), `REF_AREA`
//!   (area *versions*: `79` is Ho Chi Minh City until 30/6/2025,
//!   `79@2025-07-01` the merged city), `MEASURE` (what the number is:
//!   `VALUE`, `YOY_PCT`, … and their year-to-date forms `VALUE_YTD`, …),
//!   `TIME_PERIOD`;
//! - a year-to-date figure ("10 tháng") is `MEASURE=VALUE_YTD` at the
//!   month it ends (`2020-10`), not an SDMX time range, which clients read
//!   poorly;
//! - then one dimension per breakdown of the catalogue (`SECTOR`,
//!   `PRODUCT`, `MARKET`, `INDUSTRY`, `REVENUE_SOURCE`, then others by name), coded by the
//!   breakdown's code list (`CL_PRODUCT`, with its hierarchy) and `_T` for
//!   the total: an indicator not broken down by it is always `_T`;
//! - attributes `OBS_STATUS` (A chính thức, E ước tính, P sơ bộ: SDMX's own
//!   codes), `UNIT_MEASURE`, `UNIT_MULT` (0: values are in the unit as
//!   written), `DECIMALS`.

pub mod json;
pub mod query;

use std::collections::BTreeMap;

use quick_xml::escape::escape;
use solieu_model::{AreaRegistry, CodeLists, Indicator, Measure, Period, Status, Vintage, TOTAL};

/// The maintenance agency.
pub const AGENCY: &str = "SOLIEU";
/// The version of every structure.
pub const VERSION: &str = "1.0";
/// The dataflow.
pub const FLOW: &str = "DF_SOLIEU";
/// The data structure.
pub const DSD: &str = "DSD_SOLIEU";
/// The concept scheme.
pub const CONCEPTS: &str = "CS_SOLIEU";
/// The first dimensions in key order; the breakdowns follow (TIME_PERIOD
/// last, not in keys).
pub const DIMENSIONS: [&str; 4] = ["FREQ", "INDICATOR", "REF_AREA", "MEASURE"];

/// The breakdowns of a catalogue: the dimensions after `MEASURE`, the
/// built-in lists first in a fixed order (SECTOR, PRODUCT, MARKET, INDUSTRY,
/// REVENUE_SOURCE), then any other by name, so that keys keep their shape
/// when the catalogue changes.
pub fn breakdowns(inds: &[Indicator]) -> Vec<String> {
    const FIRST: [&str; 5] = ["SECTOR", "PRODUCT", "MARKET", "INDUSTRY", "REVENUE_SOURCE"];
    let mut out: Vec<String> = vec![];
    for i in inds {
        for d in &i.dimensions {
            if !out.contains(&d.name) {
                out.push(d.name.clone());
            }
        }
    }
    out.sort_by_key(|n| {
        (
            FIRST.iter().position(|f| f == n).unwrap_or(FIRST.len()),
            n.clone(),
        )
    });
    out
}

/// Every dimension in key order with its code list: the first four and a
/// dimension per breakdown.
pub fn dimensions(inds: &[Indicator]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [
        ("FREQ", "CL_FREQ"),
        ("INDICATOR", "CL_INDICATOR"),
        ("REF_AREA", "CL_AREA"),
        ("MEASURE", "CL_MEASURE"),
    ]
    .iter()
    .map(|(d, c)| (d.to_string(), c.to_string()))
    .collect();
    out.extend(
        breakdowns(inds)
            .into_iter()
            .map(|b| (b.clone(), format!("CL_{b}"))),
    );
    out
}

/// The names of a breakdown's concept (Vietnamese, English): "Nhóm hàng", "Product group".
fn breakdown_names(name: &str) -> (String, String) {
    let (vi, en, _) = solieu_model::codelist::list_names(name);
    let upper = |s: String| {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    };
    (upper(vi), upper(en))
}

/// The code of each breakdown of a stored figure (`_T`: the total).
pub fn breakdown_codes(dims: &str, names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            dims.split(';')
                .filter_map(|p| p.split_once('='))
                .find(|(d, _)| d == n)
                .map_or(TOTAL.to_string(), |(_, c)| c.to_string())
        })
        .collect()
}

/// SDMX's frequency code of a period.
pub fn freq(p: Period) -> &'static str {
    match p {
        Period::Year(_) | Period::Span(..) => "A",
        Period::Half(..) => "S",
        Period::Quarter(..) => "Q",
        Period::Month(..) | Period::Cumulative(..) => "M",
    }
}

/// The SDMX time period: `2020`, `2020-S1`, `2020-Q3`, `2020-10`; a
/// year-to-date period is its last month; a span of years is a time range
/// (`2021-01-01/P5Y`).
pub fn time_period(p: Period) -> String {
    match p {
        Period::Span(_, n) => format!("{}-01-01/P{n}Y", p.first_year()),
        Period::Year(y) => format!("{y}"),
        Period::Half(y, h) => format!("{y}-S{h}"),
        Period::Quarter(y, q) => format!("{y}-Q{q}"),
        Period::Month(y, m) | Period::Cumulative(y, m) => format!("{y}-{m:02}"),
    }
}

/// The `MEASURE` code of a stored figure.
pub fn measure_code(m: Measure, p: Period) -> String {
    let base = match m {
        Measure::Level => "VALUE",
        Measure::YoyPct => "YOY_PCT",
        Measure::MomPct => "MOM_PCT",
        Measure::PlanPct => "PLAN_PCT",
        Measure::Plan => "PLAN",
        Measure::PlanYoyPct => "PLAN_YOY_PCT",
    };
    if matches!(p, Period::Cumulative(..)) {
        format!("{base}_YTD")
    } else {
        base.to_string()
    }
}

const MEASURES: [(&str, &str, &str); 12] = [
    ("VALUE", "Giá trị", "Value"),
    ("VALUE_YTD", "Lũy kế từ đầu năm", "Year to date"),
    (
        "YOY_PCT",
        "Tăng/giảm so với cùng kỳ (%)",
        "Change on a year earlier (%)",
    ),
    (
        "YOY_PCT_YTD",
        "Lũy kế: tăng/giảm so với cùng kỳ (%)",
        "Year to date: change on a year earlier (%)",
    ),
    (
        "MOM_PCT",
        "Tăng/giảm so với kỳ trước (%)",
        "Change on the previous period (%)",
    ),
    (
        "MOM_PCT_YTD",
        "Lũy kế: tăng/giảm so với kỳ trước (%)",
        "Year to date: change on the previous period (%)",
    ),
    ("PLAN_PCT", "So với kế hoạch (%)", "Share of the plan (%)"),
    (
        "PLAN_PCT_YTD",
        "Lũy kế: so với kế hoạch (%)",
        "Year to date: share of the plan (%)",
    ),
    ("PLAN", "Kế hoạch", "Plan"),
    ("PLAN_YTD", "Kế hoạch lũy kế", "Plan to date"),
    (
        "PLAN_YOY_PCT",
        "Kế hoạch tăng trưởng (%)",
        "Planned growth (%)",
    ),
    (
        "PLAN_YOY_PCT_YTD",
        "Lũy kế: kế hoạch tăng trưởng (%)",
        "Year to date: planned growth (%)",
    ),
];

/// The `UNIT_MEASURE` code of a unit label: folded, upper case, `_`
/// between words (`tỷ đồng` → `TY_DONG`, `%` → `PCT`).
pub fn unit_code(label: &str) -> String {
    let folded = solieu_model::text::fold(label).replace('%', " pct ");
    let code: Vec<String> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    if code.is_empty() {
        "UNIT".into()
    } else {
        code.join("_")
    }
}

fn x(s: &str) -> std::borrow::Cow<'_, str> {
    escape(s)
}

fn names(vi: &str, en: &str) -> String {
    let mut s = format!("<com:Name xml:lang=\"vi\">{}</com:Name>", x(vi));
    if !en.is_empty() {
        s.push_str(&format!("<com:Name xml:lang=\"en\">{}</com:Name>", x(en)));
    }
    s
}

fn header(id: &str, prepared: &str) -> String {
    format!(
        "<mes:Header><mes:ID>{}</mes:ID><mes:Test>false</mes:Test><mes:Prepared>{prepared}</mes:Prepared><mes:Sender id=\"{AGENCY}\"/></mes:Header>",
        x(id)
    )
}

fn concept_ref(id: &str) -> String {
    format!(
        "<str:ConceptIdentity><Ref id=\"{id}\" maintainableParentID=\"{CONCEPTS}\" maintainableParentVersion=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"conceptscheme\" class=\"Concept\"/></str:ConceptIdentity>"
    )
}

fn codelist_ref(id: &str) -> String {
    format!(
        "<str:LocalRepresentation><str:Enumeration><Ref id=\"{id}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"codelist\" class=\"Codelist\"/></str:Enumeration></str:LocalRepresentation>"
    )
}

/// The structures a query asks for.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Dataflows.
    pub dataflows: bool,
    /// Codelists (`None`: all, else only this one).
    pub codelists: bool,
    /// Only this codelist.
    pub codelist: Option<String>,
    /// Concept schemes.
    pub concepts: bool,
    /// Data structures.
    pub dsds: bool,
}

/// Codes of a codelist: (id, name in Vietnamese, name in English, parent).
pub type Codes = Vec<(String, String, String, Option<String>)>;

/// The annotation type of an indicator code that is computed by a formula
/// (its text: the formula, `GRDP_CURRENT / POPULATION`).
pub const FORMULA_ANNOTATION: &str = "SOLIEU_FORMULA";

/// The formula of a formula indicator's code.
pub fn formula_of<'a>(inds: &'a [Indicator], code: &str) -> Option<&'a str> {
    inds.iter()
        .find(|i| i.code == code && i.is_formula())
        .map(|i| i.formula.as_str())
}

/// The codelists and their codes: (id, name vi, name en, codes).
pub fn codelists(
    reg: &AreaRegistry,
    inds: &[Indicator],
    lists: &CodeLists,
) -> Vec<(String, String, String, Codes)> {
    let plain = |v: Vec<(String, String, String)>| -> Codes {
        v.into_iter().map(|(c, vi, en)| (c, vi, en, None)).collect()
    };
    let freq = plain(vec![
        ("A".into(), "Năm".into(), "Annual".into()),
        ("S".into(), "Sáu tháng".into(), "Half-yearly".into()),
        ("Q".into(), "Quý".into(), "Quarterly".into()),
        ("M".into(), "Tháng".into(), "Monthly".into()),
    ]);
    let indicators = plain(
        inds.iter()
            .map(|i| (i.code.clone(), i.name_vi.clone(), i.name_en.clone()))
            .collect(),
    );
    let areas = reg
        .all()
        .iter()
        .map(|a| {
            let validity = a.validity();
            let suffix = if validity.is_empty() {
                String::new()
            } else {
                format!(" ({validity})")
            };
            (
                a.key.clone(),
                format!("{}{suffix}", a.name_vi),
                format!("{}{suffix}", a.name_en),
                None,
            )
        })
        .collect();
    let measures = MEASURES
        .iter()
        .map(|(c, v, e)| (c.to_string(), v.to_string(), e.to_string(), None))
        .collect();
    let status = plain(vec![
        ("A".into(), "Chính thức".into(), "Normal value".into()),
        ("E".into(), "Ước tính".into(), "Estimated value".into()),
        ("P".into(), "Sơ bộ".into(), "Provisional value".into()),
    ]);
    let mut units: BTreeMap<String, (String, String)> = BTreeMap::new();
    units.insert("PCT".into(), ("%".into(), "per cent".into()));
    for i in inds {
        units
            .entry(unit_code(&i.unit.label))
            .or_insert_with(|| (i.unit.label.clone(), i.unit.label.clone()));
    }
    let units = units
        .into_iter()
        .map(|(c, (v, e))| (c, v, e, None))
        .collect();
    let mut out: Vec<(String, String, String, Codes)> = vec![
        (
            "CL_FREQ".into(),
            "Tần suất".into(),
            "Frequency".into(),
            freq,
        ),
        (
            "CL_INDICATOR".into(),
            "Chỉ tiêu".into(),
            "Indicator".into(),
            indicators,
        ),
        (
            "CL_AREA".into(),
            "Địa bàn".into(),
            "Reference area".into(),
            areas,
        ),
        (
            "CL_MEASURE".into(),
            "Loại số liệu".into(),
            "Measure".into(),
            measures,
        ),
        (
            "CL_OBS_STATUS".into(),
            "Trạng thái số liệu".into(),
            "Observation status".into(),
            status,
        ),
        (
            "CL_UNIT".into(),
            "Đơn vị tính".into(),
            "Unit of measure".into(),
            units,
        ),
    ];
    // a breakdown's codes: its list's (the total `_T` first), or the
    // codes an indicator names when no list has its name
    for b in breakdowns(inds) {
        let (vi, en) = breakdown_names(&b);
        let codes: Codes = match lists.get(&b) {
            Some(l) => l
                .codes()
                .iter()
                .map(|c| {
                    (
                        c.code.clone(),
                        c.label_vi.clone(),
                        c.label_en.clone(),
                        c.parent.clone(),
                    )
                })
                .collect(),
            None => {
                let mut codes: Codes = vec![(TOTAL.into(), "Tổng số".into(), "Total".into(), None)];
                for i in inds {
                    for d in i.dimensions.iter().filter(|d| d.name == b) {
                        for c in &d.codes {
                            if !codes.iter().any(|x| x.0 == *c) {
                                codes.push((c.clone(), c.clone(), c.clone(), None));
                            }
                        }
                    }
                }
                codes
            }
        };
        out.push((format!("CL_{b}"), vi, en, codes));
    }
    out
}

/// The concepts of a catalogue: [`CONCEPT_LIST`] and one per breakdown.
pub fn concepts(inds: &[Indicator]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = CONCEPT_LIST
        .iter()
        .map(|(c, v, e)| (c.to_string(), v.to_string(), e.to_string()))
        .collect();
    for b in breakdowns(inds) {
        let (vi, en) = breakdown_names(&b);
        out.push((b, vi, en));
    }
    out
}

/// The concepts: (id, name vi, name en).
pub const CONCEPT_LIST: [(&str, &str, &str); 10] = [
    ("FREQ", "Tần suất", "Frequency"),
    ("INDICATOR", "Chỉ tiêu", "Indicator"),
    ("REF_AREA", "Địa bàn", "Reference area"),
    ("MEASURE", "Loại số liệu", "Measure"),
    ("TIME_PERIOD", "Kỳ", "Time period"),
    ("OBS_VALUE", "Giá trị", "Observation value"),
    ("OBS_STATUS", "Trạng thái số liệu", "Observation status"),
    ("UNIT_MEASURE", "Đơn vị tính", "Unit of measure"),
    ("UNIT_MULT", "Hệ số đơn vị", "Unit multiplier"),
    ("DECIMALS", "Số chữ số thập phân", "Decimals"),
];

/// An SDMX-ML 2.1 Structure message.
pub fn structure_message(
    reg: &AreaRegistry,
    inds: &[Indicator],
    lists: &CodeLists,
    w: Wanted,
    prepared: &str,
) -> String {
    let mut s = String::with_capacity(64 << 10);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mes:Structure xmlns:mes=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:str=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure\" xmlns:com=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">");
    s.push_str(&header("STRUCT", prepared));
    s.push_str("<mes:Structures>");
    if w.dataflows {
        s.push_str(&format!(
            "<str:Dataflows><str:Dataflow id=\"{FLOW}\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"true\">{}<str:Structure><Ref id=\"{DSD}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"datastructure\" class=\"DataStructure\"/></str:Structure></str:Dataflow></str:Dataflows>",
            names("Chỉ tiêu kinh tế - xã hội", "Socio-economic indicators")
        ));
    }
    if w.codelists {
        s.push_str("<str:Codelists>");
        for (id, vi, en, codes) in codelists(reg, inds, lists) {
            if w.codelist.as_deref().is_some_and(|c| c != id) {
                continue;
            }
            s.push_str(&format!(
                "<str:Codelist id=\"{id}\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"true\">{}",
                names(&vi, &en)
            ));
            for (c, v, e, parent) in codes {
                let parent = parent.map_or(String::new(), |p| {
                    format!("<str:Parent><Ref id=\"{}\"/></str:Parent>", x(&p))
                });
                let annotation = if id == "CL_INDICATOR" {
                    formula_of(inds, &c).map_or(String::new(), |f| {
                        format!(
                            "<com:Annotations><com:Annotation><com:AnnotationType>{FORMULA_ANNOTATION}</com:AnnotationType><com:AnnotationText xml:lang=\"en\">{}</com:AnnotationText></com:Annotation></com:Annotations>",
                            x(f)
                        )
                    })
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "<str:Code id=\"{}\">{annotation}{}{parent}</str:Code>",
                    x(&c),
                    names(&v, &e)
                ));
            }
            s.push_str("</str:Codelist>");
        }
        s.push_str("</str:Codelists>");
    }
    if w.concepts {
        s.push_str(&format!(
            "<str:Concepts><str:ConceptScheme id=\"{CONCEPTS}\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"true\">{}",
            names("Khái niệm", "Concepts")
        ));
        for (id, vi, en) in concepts(inds) {
            s.push_str(&format!(
                "<str:Concept id=\"{id}\">{}</str:Concept>",
                names(&vi, &en)
            ));
        }
        s.push_str("</str:ConceptScheme></str:Concepts>");
    }
    if w.dsds {
        s.push_str(&format!(
            "<str:DataStructures><str:DataStructure id=\"{DSD}\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"true\">{}<str:DataStructureComponents><str:DimensionList id=\"DimensionDescriptor\">",
            names("Cấu trúc dữ liệu solieu", "solieu data structure")
        ));
        let dims = dimensions(inds);
        for (k, (dim, cl)) in dims.iter().enumerate() {
            s.push_str(&format!(
                "<str:Dimension id=\"{dim}\" position=\"{}\">{}{}</str:Dimension>",
                k + 1,
                concept_ref(dim),
                codelist_ref(cl)
            ));
        }
        s.push_str(&format!(
            "<str:TimeDimension id=\"TIME_PERIOD\" position=\"{}\">{}<str:LocalRepresentation><str:TextFormat textType=\"ObservationalTimePeriod\"/></str:LocalRepresentation></str:TimeDimension></str:DimensionList>",
            dims.len() + 1,
            concept_ref("TIME_PERIOD")
        ));
        s.push_str("<str:AttributeList id=\"AttributeDescriptor\">");
        s.push_str(&format!(
            "<str:Attribute id=\"OBS_STATUS\" assignmentStatus=\"Conditional\">{}{}<str:AttributeRelationship><str:PrimaryMeasure><Ref id=\"OBS_VALUE\"/></str:PrimaryMeasure></str:AttributeRelationship></str:Attribute>",
            concept_ref("OBS_STATUS"),
            codelist_ref("CL_OBS_STATUS")
        ));
        let series_rel = "<str:AttributeRelationship><str:Dimension><Ref id=\"INDICATOR\"/></str:Dimension><str:Dimension><Ref id=\"MEASURE\"/></str:Dimension></str:AttributeRelationship>";
        s.push_str(&format!(
            "<str:Attribute id=\"UNIT_MEASURE\" assignmentStatus=\"Mandatory\">{}{}{series_rel}</str:Attribute>",
            concept_ref("UNIT_MEASURE"),
            codelist_ref("CL_UNIT")
        ));
        for a in ["UNIT_MULT", "DECIMALS"] {
            s.push_str(&format!(
                "<str:Attribute id=\"{a}\" assignmentStatus=\"Conditional\">{}<str:LocalRepresentation><str:TextFormat textType=\"Integer\"/></str:LocalRepresentation>{series_rel}</str:Attribute>",
                concept_ref(a)
            ));
        }
        s.push_str(&format!(
            "</str:AttributeList><str:MeasureList id=\"MeasureDescriptor\"><str:PrimaryMeasure id=\"OBS_VALUE\">{}</str:PrimaryMeasure></str:MeasureList></str:DataStructureComponents></str:DataStructure></str:DataStructures>",
            concept_ref("OBS_VALUE")
        ));
    }
    s.push_str("</mes:Structures></mes:Structure>\n");
    s
}

/// One series of a data message.
#[derive(Debug, Clone)]
pub struct Series {
    /// FREQ, INDICATOR, REF_AREA, MEASURE and a code per breakdown.
    pub key: Vec<String>,
    /// The dimensions of the key, in order.
    pub dims: std::sync::Arc<[String]>,
    /// UNIT_MEASURE.
    pub unit: String,
    /// DECIMALS.
    pub decimals: u8,
    /// (TIME_PERIOD, value, OBS_STATUS), in time order.
    pub obs: Vec<(String, f64, &'static str)>,
}

/// What a data query keeps (`detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything.
    Full,
    /// No attributes.
    DataOnly,
    /// Series keys only.
    SeriesKeysOnly,
    /// Series and their attributes, no observations.
    NoData,
}

impl Detail {
    /// Parses the `detail` parameter.
    pub fn parse(s: &str) -> Option<Detail> {
        Some(match s {
            "full" => Detail::Full,
            "dataonly" => Detail::DataOnly,
            "serieskeysonly" => Detail::SeriesKeysOnly,
            "nodata" => Detail::NoData,
            _ => return None,
        })
    }
}

fn status_code(s: Status) -> &'static str {
    s.code()
}

/// Groups stored vintages (the current one of each key) into series.
pub fn series_of(vintages: &[Vintage], inds: &[Indicator]) -> Vec<Series> {
    let names = breakdowns(inds);
    let dims: std::sync::Arc<[String]> = dimensions(inds).into_iter().map(|(d, _)| d).collect();
    let mut by: BTreeMap<Vec<String>, Vec<(Period, f64, &'static str)>> = BTreeMap::new();
    for v in vintages {
        let p = v.obs.period;
        let mut key = vec![
            freq(p).to_string(),
            v.obs.indicator.clone(),
            v.obs.area.clone(),
            measure_code(v.obs.measure, p),
        ];
        key.extend(breakdown_codes(&v.obs.dims, &names));
        by.entry(key)
            .or_default()
            .push((p, v.obs.value, status_code(v.obs.status)));
    }
    by.into_iter()
        .map(|(key, mut obs)| {
            obs.sort_by_key(|o| o.0);
            let ind = inds.iter().find(|i| i.code == key[1]);
            // rates are in per cent whatever the indicator's unit
            let pct = key[3].contains("PCT");
            Series {
                unit: if pct {
                    "PCT".into()
                } else {
                    ind.map_or("UNIT".into(), |i| unit_code(&i.unit.label))
                },
                decimals: if pct {
                    1
                } else {
                    ind.map_or(0, |i| i.decimals)
                },
                obs: obs
                    .into_iter()
                    .map(|(p, v, s)| (time_period(p), v, s))
                    .collect(),
                key,
                dims: dims.clone(),
            }
        })
        .collect()
}

fn num(v: f64) -> String {
    solieu_model::text::fmt_value(solieu_model::text::clean(v))
}

/// A GenericData 2.1 message.
pub fn generic_data(series: &[Series], detail: Detail, prepared: &str) -> String {
    generic_history(&[(None, series.to_vec())], detail, false, prepared)
}

/// A GenericData 2.1 message of several data sets: with `includeHistory`,
/// one per import, each `validFromDate` the time it was recorded, so that a
/// client sees every revision (solieu deletes nothing, so there are no
/// deletion sets).
/// With `flat` (`dimensionAtObservation=AllDimensions`), every observation
/// stands alone in the data set with its full key, series attributes
/// included.
pub fn generic_history(
    sets: &[(Option<String>, Vec<Series>)],
    detail: Detail,
    flat: bool,
    prepared: &str,
) -> String {
    let mut out = Vec::new();
    let _ = generic_history_to(&mut out, sets, detail, flat, prepared);
    String::from_utf8(out).unwrap_or_default()
}

/// Text is handed to the writer in pieces of about this size.
const PIECE: usize = 64 << 10;

fn spill(out: &mut dyn std::io::Write, s: &mut String) -> std::io::Result<()> {
    if s.len() >= PIECE {
        out.write_all(s.as_bytes())?;
        s.clear();
    }
    Ok(())
}

/// [`generic_history`] written into `out` a piece at a time (a streamed
/// answer holds one piece, not the message).
pub fn generic_history_to(
    out: &mut dyn std::io::Write,
    sets: &[(Option<String>, Vec<Series>)],
    detail: Detail,
    flat: bool,
    prepared: &str,
) -> std::io::Result<()> {
    let at_obs = if flat { "AllDimensions" } else { "TIME_PERIOD" };
    let mut s = String::with_capacity(1 << 16);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mes:GenericData xmlns:mes=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:gen=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic\" xmlns:com=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">");
    s.push_str(&format!(
        "<mes:Header><mes:ID>DATA</mes:ID><mes:Test>false</mes:Test><mes:Prepared>{prepared}</mes:Prepared><mes:Sender id=\"{AGENCY}\"/><mes:Structure structureID=\"{AGENCY}_{DSD}_1_0\" dimensionAtObservation=\"{at_obs}\"><com:Structure><Ref id=\"{DSD}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\"/></com:Structure></mes:Structure></mes:Header>"
    ));
    for (valid_from, series) in sets {
        let from = valid_from
            .as_ref()
            .map_or(String::new(), |t| format!(" validFromDate=\"{t}\""));
        s.push_str(&format!(
            "<mes:DataSet structureRef=\"{AGENCY}_{DSD}_1_0\" action=\"Information\"{from}>"
        ));
        if flat {
            for ser in series {
                for (t, v, st) in &ser.obs {
                    s.push_str("<gen:Obs><gen:ObsKey>");
                    for (d, k) in ser.dims.iter().zip(&ser.key) {
                        s.push_str(&format!("<gen:Value id=\"{d}\" value=\"{}\"/>", x(k)));
                    }
                    s.push_str(&format!(
                        "<gen:Value id=\"TIME_PERIOD\" value=\"{t}\"/></gen:ObsKey><gen:ObsValue value=\"{}\"/>",
                        num(*v)
                    ));
                    if detail == Detail::Full {
                        s.push_str(&format!(
                            "<gen:Attributes><gen:Value id=\"OBS_STATUS\" value=\"{st}\"/><gen:Value id=\"UNIT_MEASURE\" value=\"{}\"/><gen:Value id=\"UNIT_MULT\" value=\"0\"/><gen:Value id=\"DECIMALS\" value=\"{}\"/></gen:Attributes>",
                            x(&ser.unit),
                            ser.decimals
                        ));
                    }
                    s.push_str("</gen:Obs>");
                    spill(out, &mut s)?;
                }
            }
            s.push_str("</mes:DataSet>");
            continue;
        }
        for ser in series {
            s.push_str("<gen:Series><gen:SeriesKey>");
            for (d, v) in ser.dims.iter().zip(&ser.key) {
                s.push_str(&format!("<gen:Value id=\"{d}\" value=\"{}\"/>", x(v)));
            }
            s.push_str("</gen:SeriesKey>");
            if matches!(detail, Detail::Full | Detail::NoData) {
                s.push_str(&format!(
                "<gen:Attributes><gen:Value id=\"UNIT_MEASURE\" value=\"{}\"/><gen:Value id=\"UNIT_MULT\" value=\"0\"/><gen:Value id=\"DECIMALS\" value=\"{}\"/></gen:Attributes>",
                x(&ser.unit),
                ser.decimals
            ));
            }
            if matches!(detail, Detail::Full | Detail::DataOnly) {
                for (t, v, st) in &ser.obs {
                    s.push_str(&format!(
                        "<gen:Obs><gen:ObsDimension value=\"{t}\"/><gen:ObsValue value=\"{}\"/>",
                        num(*v)
                    ));
                    if detail == Detail::Full {
                        s.push_str(&format!(
                        "<gen:Attributes><gen:Value id=\"OBS_STATUS\" value=\"{st}\"/></gen:Attributes>"
                    ));
                    }
                    s.push_str("</gen:Obs>");
                }
            }
            s.push_str("</gen:Series>");
            spill(out, &mut s)?;
        }
        s.push_str("</mes:DataSet>");
    }
    s.push_str("</mes:GenericData>\n");
    out.write_all(s.as_bytes())
}

/// A StructureSpecificData 2.1 message (components as XML attributes;
/// the data set's type comes from the DSD's own schema).
pub fn structure_specific(series: &[Series], detail: Detail, prepared: &str) -> String {
    let mut out = Vec::new();
    let _ = structure_specific_to(&mut out, series, detail, prepared);
    String::from_utf8(out).unwrap_or_default()
}

/// [`structure_specific`] written into `out` a piece at a time.
pub fn structure_specific_to(
    out: &mut dyn std::io::Write,
    series: &[Series],
    detail: Detail,
    prepared: &str,
) -> std::io::Result<()> {
    let urn = format!(
        "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD}({VERSION}):ObsLevelDim:TIME_PERIOD"
    );
    let mut s = String::with_capacity(1 << 16);
    s.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mes:StructureSpecificData xmlns:mes=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:ss=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific\" xmlns:com=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:ns1=\"{urn}\">"
    ));
    s.push_str(&format!(
        "<mes:Header><mes:ID>DATA</mes:ID><mes:Test>false</mes:Test><mes:Prepared>{prepared}</mes:Prepared><mes:Sender id=\"{AGENCY}\"/><mes:Structure structureID=\"{AGENCY}_{DSD}_1_0\" namespace=\"{urn}\" dimensionAtObservation=\"TIME_PERIOD\"><com:Structure><Ref id=\"{DSD}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\"/></com:Structure></mes:Structure></mes:Header>"
    ));
    s.push_str(&format!(
        "<mes:DataSet ss:structureRef=\"{AGENCY}_{DSD}_1_0\" xsi:type=\"ns1:DataSetType\" action=\"Information\">"
    ));
    for ser in series {
        s.push_str("<Series");
        for (d, v) in ser.dims.iter().zip(&ser.key) {
            s.push_str(&format!(" {d}=\"{}\"", x(v)));
        }
        if matches!(detail, Detail::Full | Detail::NoData) {
            s.push_str(&format!(
                " UNIT_MEASURE=\"{}\" UNIT_MULT=\"0\" DECIMALS=\"{}\"",
                x(&ser.unit),
                ser.decimals
            ));
        }
        s.push('>');
        if matches!(detail, Detail::Full | Detail::DataOnly) {
            for (t, v, st) in &ser.obs {
                s.push_str(&format!(
                    "<Obs TIME_PERIOD=\"{t}\" OBS_VALUE=\"{}\"",
                    num(*v)
                ));
                if detail == Detail::Full {
                    s.push_str(&format!(" OBS_STATUS=\"{st}\""));
                }
                s.push_str("/>");
            }
        }
        s.push_str("</Series>");
        spill(out, &mut s)?;
    }
    s.push_str("</mes:DataSet></mes:StructureSpecificData>\n");
    out.write_all(s.as_bytes())
}

/// SDMX-CSV 1.0: one row per observation.
pub fn csv_data(series: &[Series], detail: Detail, inds: &[Indicator]) -> String {
    let out = csv_rows(Vec::new(), series, detail, false, inds).unwrap_or_default();
    String::from_utf8(out).unwrap_or_default()
}

/// SDMX-CSV 2.0: `STRUCTURE`, `STRUCTURE_ID`, `ACTION` (`I`), then the
/// components as in 1.0.
pub fn csv2_data(series: &[Series], detail: Detail, inds: &[Indicator]) -> String {
    let out = csv_rows(Vec::new(), series, detail, true, inds).unwrap_or_default();
    String::from_utf8(out).unwrap_or_default()
}

/// SDMX-CSV (1.0, or 2.0 with `v2`) written into `out`; the columns are the
/// dimensions of the catalogue `inds`.
pub fn csv_rows<W: std::io::Write>(
    out: W,
    series: &[Series],
    detail: Detail,
    v2: bool,
    inds: &[Indicator],
) -> std::io::Result<W> {
    let mut w = SdmxCsv::new(out, detail, v2, inds)?;
    for ser in series {
        w.series(ser)?;
    }
    w.finish()
}

/// SDMX-CSV written a series (or a stored figure) at a time.
pub struct SdmxCsv<W: std::io::Write> {
    w: csv::Writer<W>,
    detail: Detail,
    v2: bool,
    flow: String,
    n_dims: usize,
}

impl<W: std::io::Write> SdmxCsv<W> {
    /// Writes the header: the dimensions of the catalogue `inds`.
    pub fn new(out: W, detail: Detail, v2: bool, inds: &[Indicator]) -> std::io::Result<Self> {
        let dims = dimensions(inds);
        let mut w = csv::Writer::from_writer(out);
        let mut head: Vec<String> = if v2 {
            vec!["STRUCTURE".into(), "STRUCTURE_ID".into(), "ACTION".into()]
        } else {
            vec!["DATAFLOW".into()]
        };
        head.extend(dims.iter().map(|d| d.0.clone()));
        head.push("TIME_PERIOD".into());
        head.push("OBS_VALUE".into());
        if detail == Detail::Full {
            head.extend(["OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT", "DECIMALS"].map(String::from));
        }
        w.write_record(&head)?;
        Ok(SdmxCsv {
            w,
            detail,
            v2,
            flow: format!("{AGENCY}:{FLOW}({VERSION})"),
            n_dims: dims.len(),
        })
    }

    /// The rows of one series.
    pub fn series(&mut self, ser: &Series) -> std::io::Result<()> {
        let lead = if self.v2 { 3 } else { 1 };
        let value_col = lead + self.n_dims + 1;
        for (t, v, st) in &ser.obs {
            let mut row = if self.v2 {
                vec!["dataflow".to_string(), self.flow.clone(), "I".into()]
            } else {
                vec![self.flow.clone()]
            };
            row.extend(ser.key.iter().cloned());
            row.push(t.clone());
            row.push(num(*v));
            if self.detail == Detail::Full {
                row.extend([
                    st.to_string(),
                    ser.unit.clone(),
                    "0".into(),
                    ser.decimals.to_string(),
                ]);
            }
            // codes and attributes made inert; the value stays a number (`-1.5`)
            self.w.write_record(row.iter().enumerate().map(|(k, c)| {
                if k == value_col {
                    c.clone()
                } else {
                    solieu_model::text::inert(c)
                }
            }))?;
        }
        Ok(())
    }

    /// One stored figure (rows of SDMX-CSV stand alone: they need not come
    /// grouped by series).
    pub fn vintage(&mut self, v: &Vintage, inds: &[Indicator]) -> std::io::Result<()> {
        for ser in series_of(std::slice::from_ref(v), inds) {
            self.series(&ser)?;
        }
        Ok(())
    }

    /// Flushes; the writer back.
    pub fn finish(self) -> std::io::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.error().to_string()))
    }
}

/// The SDMX error message of a status (`100` no results, `140` syntax, …).
pub fn error_message(code: u16, text: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mes:Error xmlns:mes=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:com=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\"><mes:ErrorMessage code=\"{code}\"><com:Text xml:lang=\"en\">{}</com:Text></mes:ErrorMessage></mes:Error>\n",
        x(text)
    )
}

/// Which codes of each dimension have data, and the time range they span:
/// the answer to an availability query (`/availableconstraint`), as an
/// SDMX-ML 2.1 structure message holding one actual `ContentConstraint` on
/// the dataflow. `codes` holds, per dimension in key order, the codes with
/// data (dimensions left out: not asked, with `componentID`); `time` the
/// first and last period.
pub fn availability_21(
    dims: &[String],
    codes: &[Option<std::collections::BTreeSet<String>>],
    time: Option<(&str, &str)>,
    prepared: &str,
) -> String {
    let mut s = String::with_capacity(4096);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mes:Structure xmlns:mes=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:str=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure\" xmlns:com=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">");
    s.push_str(&header("AVAILABILITY", prepared));
    s.push_str(&format!(
        "<mes:Structures><str:Constraints><str:ContentConstraint id=\"CC_{FLOW}_AVAILABLE\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"false\" type=\"Actual\">{}<str:ConstraintAttachment><str:Dataflow><Ref id=\"{FLOW}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"datastructure\" class=\"Dataflow\"/></str:Dataflow></str:ConstraintAttachment><str:CubeRegion include=\"true\">",
        names("Số liệu hiện có", "Data available")
    ));
    for (d, set) in dims.iter().zip(codes) {
        let Some(set) = set else { continue };
        s.push_str(&format!("<com:KeyValue id=\"{}\">", x(d)));
        for c in set {
            s.push_str(&format!("<com:Value>{}</com:Value>", x(c)));
        }
        s.push_str("</com:KeyValue>");
    }
    if let Some((from, to)) = time {
        s.push_str(&format!(
            "<com:KeyValue id=\"TIME_PERIOD\"><com:TimeRange><com:StartPeriod isInclusive=\"true\">{}</com:StartPeriod><com:EndPeriod isInclusive=\"true\">{}</com:EndPeriod></com:TimeRange></com:KeyValue>",
            x(from),
            x(to)
        ));
    }
    s.push_str("</str:CubeRegion></str:ContentConstraint></str:Constraints></mes:Structures></mes:Structure>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_periods() {
        assert_eq!(unit_code("tỷ đồng"), "TY_DONG");
        assert_eq!(unit_code("%"), "PCT");
        assert_eq!(unit_code("triệu USD"), "TRIEU_USD");
        assert_eq!(time_period(Period::Cumulative(2020, 10)), "2020-10");
        assert_eq!(
            measure_code(Measure::Level, Period::Cumulative(2020, 10)),
            "VALUE_YTD"
        );
        assert_eq!(
            measure_code(Measure::YoyPct, Period::Month(2020, 10)),
            "YOY_PCT"
        );
        assert_eq!(time_period(Period::Quarter(2020, 3)), "2020-Q3");
        assert_eq!(freq(Period::Half(2020, 1)), "S");
        assert!(error_message(100, "a<b").contains("a&lt;b"));
    }
}

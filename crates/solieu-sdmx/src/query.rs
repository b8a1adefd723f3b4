//! SDMX REST queries, without a web framework: the data query's key and
//! filters (`c[COMPONENT]=ge:2020-01+le:2020-06`), its parameters, and the
//! content negotiation of structure and data messages from an `Accept`
//! header. The server reads the request and answers; what is asked is
//! worked out here.

use chrono::NaiveDate;
use solieu_model::{Period, Vintage};

pub const STRUCTURE_XML: &str = "application/vnd.sdmx.structure+xml;version=2.1";
pub const STRUCTURE_JSON: &str = "application/vnd.sdmx.structure+json;version=2.0.0";
pub const GENERIC_XML: &str = "application/vnd.sdmx.genericdata+xml;version=2.1";
pub const SPECIFIC_XML: &str = "application/vnd.sdmx.structurespecificdata+xml;version=2.1";
pub const CSV_1: &str = "application/vnd.sdmx.data+csv;version=1.0.0";
pub const CSV_2: &str = "application/vnd.sdmx.data+csv;version=2.0.0";
pub const DATA_JSON: &str = "application/vnd.sdmx.data+json;version=2.0.0";

/// The routes.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query's parameters, percent-decoded only (`+` stays `+`).
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
}

pub fn params(raw: Option<&str>) -> Params {
    Params(
        raw.unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect(),
    )
}

pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect()
}

/// `a`, `a+b` (v1), `a,b` (v2), `all`, `*`: whether `want` is among them.
pub fn matches_any(list: &str, want: &str) -> bool {
    list.split(['+', ','])
        .any(|x| x == "all" || x == "*" || x.eq_ignore_ascii_case(want))
}

/// Versions: `latest` (v1), `~` and `+` (v2: latest, latest stable), `*`,
/// or solieu's `1.0`.
pub fn version_ok(v: &str) -> bool {
    v == "+"
        || v.split(',').any(|x| {
            matches!(x, "latest" | "~" | "+" | "*" | "1.0" | "1.0.0")
                || x.split('+').any(|y| y == crate::VERSION)
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StructureFormat {
    Xml,
    Json,
}

/// The structure format asked for. v1 answers SDMX-ML 2.1 by default, v2
/// SDMX-JSON 2.0.
pub fn structure_format(accept: &str, v2: bool) -> Option<StructureFormat> {
    if accept.trim().is_empty() {
        return Some(if v2 {
            StructureFormat::Json
        } else {
            StructureFormat::Xml
        });
    }
    for range in accept.split(',') {
        let r = range.trim();
        let version = media_version(r);
        if r.contains("structure+json") && matches!(version, None | Some("2.0.0")) {
            return Some(StructureFormat::Json);
        }
        if r.contains("structure+xml") && matches!(version, None | Some("2.1")) {
            return Some(StructureFormat::Xml);
        }
        if r.starts_with("application/json") {
            return Some(StructureFormat::Json);
        }
        if r.starts_with("application/xml") || r.starts_with("text/xml") {
            return Some(StructureFormat::Xml);
        }
        if r.starts_with("*/*") || r.starts_with("application/*") {
            return Some(if v2 {
                StructureFormat::Json
            } else {
                StructureFormat::Xml
            });
        }
    }
    None
}

/// The `version=` parameter of a media range.
pub fn media_version(range: &str) -> Option<&str> {
    range
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().strip_prefix("version="))
        .map(|v| v.trim().trim_matches('"'))
        .next()
}

/// The data formats served.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DataFormat {
    Generic,
    Specific,
    Csv1,
    Csv2,
    Json,
}

/// The first media range of `Accept` that is served. `*/*` (what sdmx1
/// sends) is GenericData on both mounts: it is the safe default, readable
/// without the DSD.
pub fn data_format(accept: &str, v2: bool) -> Option<DataFormat> {
    if accept.trim().is_empty() {
        return Some(DataFormat::Generic);
    }
    for range in accept.split(',') {
        let r = range.trim();
        let version = media_version(r);
        let csv_default = if v2 {
            DataFormat::Csv2
        } else {
            DataFormat::Csv1
        };
        let f = if r.contains("genericdata+xml") {
            Some(DataFormat::Generic)
        } else if r.contains("structurespecificdata+xml") {
            Some(DataFormat::Specific)
        } else if r.contains("data+csv") {
            match version {
                None => Some(csv_default),
                Some("1.0.0") => Some(DataFormat::Csv1),
                Some("2.0.0") => Some(DataFormat::Csv2),
                Some(_) => None,
            }
        } else if r.contains("data+json") {
            matches!(version, None | Some("2.0.0")).then_some(DataFormat::Json)
        } else if r.starts_with("text/csv") {
            Some(csv_default)
        } else if r.starts_with("application/json") {
            Some(DataFormat::Json)
        } else if r.starts_with("*/*")
            || r.starts_with("application/*")
            || r.starts_with("application/xml")
            || r.starts_with("text/xml")
        {
            Some(DataFormat::Generic)
        } else {
            None
        };
        if f.is_some() {
            return f;
        }
    }
    None
}

pub const DATA_TYPES: [&str; 5] = [GENERIC_XML, SPECIFIC_XML, CSV_1, CSV_2, DATA_JSON];

/// One condition of a `c[COMPONENT]` filter.
#[derive(Debug, Clone)]
pub struct Term {
    pub op: Op,
    pub value: String,
    pub number: Option<f64>,
    pub time: Option<(NaiveDate, NaiveDate)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Co,
    Nc,
    Sw,
    Ew,
}

/// `c[COMPONENT]=…`: any of (`,`) all of (`+`) the terms.
#[derive(Debug, Clone)]
pub struct Filter {
    pub component: String,
    pub any: Vec<Vec<Term>>,
}

pub const FILTERABLE: [&str; 7] = [
    "FREQ",
    "INDICATOR",
    "REF_AREA",
    "MEASURE",
    "TIME_PERIOD",
    "OBS_VALUE",
    "OBS_STATUS",
];

/// A filter `c[COMPONENT]=…` on one of [`FILTERABLE`] or a breakdown of
/// `breakdowns` (`c[PRODUCT]=ELECTRONICS`).
pub fn parse_filter(component: &str, value: &str, breakdowns: &[String]) -> Result<Filter, String> {
    if !FILTERABLE.contains(&component) && !breakdowns.iter().any(|b| b == component) {
        let mut all: Vec<&str> = FILTERABLE.to_vec();
        all.extend(breakdowns.iter().map(String::as_str));
        return Err(format!(
            "c[{component}]: the components that can be filtered are {}",
            all.join(", ")
        ));
    }
    let mut any = vec![];
    for alt in value.split(',') {
        let mut all = vec![];
        for t in alt.split('+').filter(|t| !t.is_empty()) {
            let (op, v) = match t.split_once(':') {
                Some((o, v)) if o.len() == 2 => {
                    let op = match o {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "lt" => Op::Lt,
                        "le" => Op::Le,
                        "gt" => Op::Gt,
                        "ge" => Op::Ge,
                        "co" => Op::Co,
                        "nc" => Op::Nc,
                        "sw" => Op::Sw,
                        "ew" => Op::Ew,
                        _ => {
                            return Err(format!(
                                "c[{component}]={value}: '{o}' is not an operator (eq ne lt le gt ge co nc sw ew)"
                            ))
                        }
                    };
                    (op, v)
                }
                _ => (Op::Eq, t),
            };
            let time = if component == "TIME_PERIOD" {
                let b = bounds(v);
                if b.is_none() && !matches!(op, Op::Co | Op::Nc | Op::Sw | Op::Ew) {
                    return Err(format!(
                        "c[TIME_PERIOD]={value}: '{v}' is not a period (2020, 2020-10, 2020-Q3, 2020-S1, 2020-10-31)"
                    ));
                }
                b
            } else {
                None
            };
            let number = v.parse::<f64>().ok();
            if component == "OBS_VALUE"
                && number.is_none()
                && matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge)
            {
                return Err(format!("c[OBS_VALUE]={value}: '{v}' is not a number"));
            }
            all.push(Term {
                op,
                value: v.to_string(),
                number,
                time,
            });
        }
        if !all.is_empty() {
            any.push(all);
        }
    }
    Ok(Filter {
        component: component.to_string(),
        any,
    })
}

/// The dates a stored period covers (a year-to-date figure: its month).
pub fn span(p: Period) -> (NaiveDate, NaiveDate) {
    match p {
        Period::Cumulative(y, m) => {
            let mp = Period::Month(y, m);
            (mp.start_date(), mp.end_date())
        }
        _ => (p.start_date(), p.end_date()),
    }
}

pub fn text_test(op: Op, have: &str, want: &str) -> bool {
    match op {
        Op::Eq => have == want,
        Op::Ne => have != want,
        Op::Lt => have < want,
        Op::Le => have <= want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Co => have.contains(want),
        Op::Nc => !have.contains(want),
        Op::Sw => have.starts_with(want),
        Op::Ew => have.ends_with(want),
    }
}

impl Filter {
    pub fn passes(&self, v: &Vintage) -> bool {
        let p = v.obs.period;
        self.any.iter().any(|all| {
            all.iter().all(|t| match self.component.as_str() {
                "TIME_PERIOD" => {
                    let (ps, pe) = span(p);
                    match (t.op, t.time) {
                        // periods that overlap the bound, as startPeriod and endPeriod
                        (Op::Ge, Some((s, _))) => pe >= s,
                        (Op::Gt, Some((_, e))) => ps > e,
                        (Op::Le, Some((_, e))) => ps <= e,
                        (Op::Lt, Some((s, _))) => pe < s,
                        (Op::Eq, Some((s, e))) => ps == s && pe == e,
                        (Op::Ne, Some((s, e))) => !(ps == s && pe == e),
                        (op, _) => text_test(op, &crate::time_period(p), &t.value),
                    }
                }
                "OBS_VALUE" => match (t.op, t.number) {
                    (Op::Eq, Some(n)) => v.obs.value == n,
                    (Op::Ne, Some(n)) => v.obs.value != n,
                    (Op::Lt, Some(n)) => v.obs.value < n,
                    (Op::Le, Some(n)) => v.obs.value <= n,
                    (Op::Gt, Some(n)) => v.obs.value > n,
                    (Op::Ge, Some(n)) => v.obs.value >= n,
                    (op, _) => text_test(
                        op,
                        &solieu_model::text::fmt_value(solieu_model::text::clean(v.obs.value)),
                        &t.value,
                    ),
                },
                c => {
                    let have = match c {
                        "FREQ" => crate::freq(p).to_string(),
                        "INDICATOR" => v.obs.indicator.clone(),
                        "REF_AREA" => v.obs.area.clone(),
                        "MEASURE" => crate::measure_code(v.obs.measure, p),
                        "OBS_STATUS" => v.obs.status.code().to_string(),
                        // a breakdown: its code, `_T` for the total
                        b => crate::breakdown_codes(&v.obs.dims, &[b.to_string()]).remove(0),
                    };
                    text_test(t.op, &have, &t.value)
                }
            })
        })
    }

    /// The codes when the filter is a plain list (`A,B` or `eq:A,eq:B`),
    /// to narrow what is read from the store.
    pub fn codes(&self) -> Option<Vec<String>> {
        self.any
            .iter()
            .map(|all| match all.as_slice() {
                [t] if t.op == Op::Eq => Some(t.value.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A data query, from either mount.
#[derive(Debug, Default)]
pub struct DataQuery {
    /// Any of these keys (FREQ, INDICATOR, REF_AREA, MEASURE and the
    /// breakdowns, in the data structure's order; an empty list is any code).
    pub keys: Vec<Vec<Vec<String>>>,
    pub filters: Vec<Filter>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub first_n: Option<usize>,
    pub last_n: Option<usize>,
    pub updated_after: Option<i64>,
    pub history: bool,
}

/// A key `A.RETAIL+EXPORTS..VALUE`: codes per dimension of `dims` (the
/// data structure's, in order), `+` (v1) between codes, empty or `*` for
/// any; missing trailing dimensions are any.
pub fn parse_key(key: &str, dims: &[String]) -> Result<Vec<Vec<String>>, String> {
    let k: Vec<&str> = key.split('.').collect();
    if k.len() > dims.len() {
        return Err(format!(
            "key {key}: at most {} dimensions ({})",
            dims.len(),
            dims.join(".")
        ));
    }
    Ok((0..dims.len())
        .map(|i| {
            k.get(i)
                .map(|s| {
                    s.split('+')
                        .filter(|x| !x.is_empty() && *x != "*")
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect())
}

pub fn whole(q: &Params, k: &str) -> Result<Option<usize>, String> {
    q.get(k)
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| format!("{k}={v}: expected a whole number"))
        })
        .transpose()
}

pub fn flat_param(q: &Params) -> Result<bool, String> {
    match q.get("dimensionAtObservation") {
        None | Some("TIME_PERIOD") => Ok(false),
        Some("AllDimensions") => Ok(true),
        Some(d) => Err(format!(
            "dimensionAtObservation={d}: TIME_PERIOD and AllDimensions are served"
        )),
    }
}

/// The bounds of an SDMX period parameter (`2020`, `2020-10`, `2020-Q3`,
/// `2020-S1`, `2020-M10`, `2020-10-31`).
pub fn bounds(s: &str) -> Option<(NaiveDate, NaiveDate)> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some((d, d));
    }
    let s = s.replace("-M", "-");
    let p = Period::parse(&s).ok()?;
    Some((p.start_date(), p.end_date()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_keys() {
        let f = parse_filter("TIME_PERIOD", "ge:2020-01+le:2020-06", &[]).unwrap();
        assert_eq!(f.any.len(), 1);
        assert_eq!(f.any[0].len(), 2);
        let f = parse_filter("INDICATOR", "RETAIL_GOODS,EXPORTS", &[]).unwrap();
        assert_eq!(
            f.codes(),
            Some(vec!["RETAIL_GOODS".to_string(), "EXPORTS".into()])
        );
        assert!(parse_filter("TIME_PERIOD", "ge:soon", &[]).is_err());
        assert!(parse_filter("OBS_VALUE", "gt:many", &[]).is_err());
        assert!(parse_filter("NOPE", "x", &[]).is_err());
        assert!(parse_filter("PRODUCT", "ELECTRONICS", &["PRODUCT".into()]).is_ok());
        assert!(parse_filter("FREQ", "xx:M", &[]).is_err());
        let dims: Vec<String> = ["FREQ", "INDICATOR", "REF_AREA", "MEASURE"]
            .map(String::from)
            .to_vec();
        let parse_key = |k: &str| parse_key(k, &dims);
        let k = parse_key("M.RETAIL_GOODS+EXPORTS.*").unwrap();
        assert_eq!(k[0], vec!["M"]);
        assert_eq!(k[1].len(), 2);
        assert!(k[2].is_empty() && k[3].is_empty());
        assert!(parse_key("a.b.c.d.e").is_err());
        assert!(version_ok("~") && version_ok("+") && version_ok("1.0") && !version_ok("2.0"));
        assert_eq!(media_version("x;version=2.0.0"), Some("2.0.0"));
    }
}

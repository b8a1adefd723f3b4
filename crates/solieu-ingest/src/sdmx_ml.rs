//! SDMX-ML 2.1 data messages — StructureSpecificData and GenericData, with
//! their series or flat observations — read as a stream and mapped to the
//! catalogue.
//!
//! A message of this service's own structure (`SOLIEU:DSD_SOLIEU`) is read
//! as it is written: `INDICATOR`, `REF_AREA`, `MEASURE` and the breakdown
//! dimensions name the catalogue's codes. Any other structure goes through
//! a [`Mapping`]: rows that say which series (by the values of its
//! dimensions and attributes) are which indicator and breakdown, and what
//! power of ten the catalogue unit is of the source's base unit, so that
//! `UNIT_MULT` is applied exactly. A mapping for the IMF's `ECOFIN_DSD`,
//! the structure of the statistics office's National Summary Data Page,
//! is built in.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use solieu_model::text::NumberStyle;

use crate::validate::{Diagnostic, Field, Loc, RawRecord, RawValue};

/// The built-in mapping: the IMF `ECOFIN_DSD` series of the statistics
/// office's National Summary Data Page.
pub const ECOFIN_MAPPING: &str = include_str!("../reference/sdmx_ecofin.csv");

/// Whether bytes (the first few kilobytes suffice) are an SDMX-ML data
/// message.
pub fn is_sdmx_ml(head: &[u8]) -> bool {
    let h = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let t = h.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('<') && (t.contains("StructureSpecificData") || t.contains("GenericData"))
}

/// One row of a mapping.
#[derive(Debug, Clone)]
struct MapRow {
    /// `AGENCY:ID(VERSION)` of the structure or dataflow; the version may
    /// be left out.
    structure: String,
    /// The values the series must have (dimensions or attributes).
    when: Vec<(String, String)>,
    indicator: String,
    dims: Vec<(String, String)>,
    measure: String,
    /// The power of ten of one catalogue unit in the source's base unit
    /// (9 for tỷ đồng of đồng); `None` for a rate or an index, which
    /// `UNIT_MULT` does not scale.
    unit_power: Option<i32>,
    area: String,
    source: String,
    /// Line in the mapping file.
    line: usize,
}

/// Which series of a foreign structure are which catalogue indicators.
///
/// A CSV file `structure,series,indicator,dims,measure,unit_power,area,source`:
/// `series` is `DIM=value;…` (every condition must hold), `dims` the
/// breakdown codes (`INDUSTRY=C`), `measure` empty for the level,
/// `unit_power` empty for rates and indices, `area` empty to read
/// `REF_AREA`, `source` empty for the message's sender. The first row that
/// matches a series maps it.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    rows: Vec<MapRow>,
    /// Where it came from, for messages.
    pub name: String,
}

fn pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().to_ascii_uppercase(), v.trim().to_string()))
            }
            _ => Err(format!("'{p}' is not NAME=value")),
        })
        .collect()
}

impl Mapping {
    /// The built-in mapping of the IMF `ECOFIN_DSD`.
    pub fn builtin() -> Mapping {
        // parsed once per process: every message and every pull asks
        static BUILTIN: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Mapping::parse(ECOFIN_MAPPING, "built-in ECOFIN mapping")
                    .expect("the built-in mapping is valid")
            })
            .clone()
    }

    /// Parses a mapping file; every bad row is located.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, Vec<Diagnostic>> {
        const COLUMNS: [&str; 8] = [
            "structure",
            "series",
            "indicator",
            "dims",
            "measure",
            "unit_power",
            "area",
            "source",
        ];
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let loc = |row: usize, column: &str| Loc {
            file: file.to_string(),
            sheet: None,
            row,
            column: column.to_string(),
        };
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
            Err(e) => {
                return Err(vec![Diagnostic {
                    loc: loc(1, "header"),
                    value: String::new(),
                    message: format!("not CSV: {e}"),
                }])
            }
        };
        let mut errors = vec![];
        for h in &header {
            if !COLUMNS.contains(&h.as_str()) {
                errors.push(Diagnostic {
                    loc: loc(1, h),
                    value: h.clone(),
                    message: format!("unknown column; expected {}", COLUMNS.join(",")),
                });
            }
        }
        for required in ["structure", "series", "indicator"] {
            if !header.iter().any(|h| h == required) {
                errors.push(Diagnostic {
                    loc: loc(1, "header"),
                    value: header.join(","),
                    message: format!("no '{required}' column; expected {}", COLUMNS.join(",")),
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let col = |name: &str| header.iter().position(|h| h == name);
        let mut rows = vec![];
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    errors.push(Diagnostic {
                        loc: loc(line, "-"),
                        value: String::new(),
                        message: format!("not CSV: {e}"),
                    });
                    continue;
                }
            };
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let get = |name: &str| {
                col(name)
                    .and_then(|c| rec.get(c))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let mut bad = |column: &str, value: String, message: String| {
                errors.push(Diagnostic {
                    loc: loc(line, column),
                    value,
                    message,
                })
            };
            let when = match pairs(&get("series")) {
                Ok(w) if !w.is_empty() => w,
                Ok(_) => {
                    bad(
                        "series",
                        String::new(),
                        "expected the series' values, e.g. INDICATOR=PCPI_IX;FREQ=M".into(),
                    );
                    vec![]
                }
                Err(m) => {
                    bad("series", get("series"), m);
                    vec![]
                }
            };
            let dims = pairs(&get("dims")).unwrap_or_else(|m| {
                bad("dims", get("dims"), m);
                vec![]
            });
            let unit_power = match get("unit_power").as_str() {
                "" => None,
                p => match p.parse::<i32>() {
                    Ok(n) if (-30..=30).contains(&n) => Some(n),
                    _ => {
                        bad(
                            "unit_power",
                            p.to_string(),
                            "expected an integer power of ten (9 for tỷ đồng of đồng), or nothing for a rate or an index".into(),
                        );
                        None
                    }
                },
            };
            let indicator = get("indicator").to_ascii_uppercase();
            if indicator.is_empty() {
                bad(
                    "indicator",
                    String::new(),
                    "expected a catalogue indicator code".into(),
                );
            }
            let structure = get("structure");
            if structure.is_empty() {
                bad(
                    "structure",
                    String::new(),
                    "expected the message's structure, e.g. IMF:ECOFIN_DSD(1.0)".into(),
                );
            }
            rows.push(MapRow {
                structure,
                when,
                indicator,
                dims,
                measure: get("measure"),
                unit_power,
                area: get("area"),
                source: get("source"),
                line,
            });
        }
        if rows.is_empty() && errors.is_empty() {
            errors.push(Diagnostic {
                loc: loc(1, "-"),
                value: String::new(),
                message: "no mapping rows; expected one row per series".into(),
            });
        }
        if errors.is_empty() {
            Ok(Mapping {
                rows,
                name: file.to_string(),
            })
        } else {
            Err(errors)
        }
    }

    /// The catalogue indicators a mapping names (to check them against the
    /// catalogue before reading).
    pub fn indicators(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|r| r.indicator.as_str())
    }

    /// Every row naming an indicator `known` does not know, located.
    pub fn unknown_indicators(&self, known: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
        self.rows
            .iter()
            .filter(|r| !known(&r.indicator))
            .map(|r| Diagnostic {
                loc: Loc {
                    file: self.name.clone(),
                    sheet: None,
                    row: r.line,
                    column: "indicator".into(),
                },
                value: r.indicator.clone(),
                message:
                    "not an indicator of the catalogue; expected a code `solieu catalog` lists"
                        .into(),
            })
            .collect()
    }

    fn covers(&self, structure: &Structure) -> bool {
        self.rows.iter().any(|r| structure.is(&r.structure))
    }

    fn find(&self, structure: &Structure, values: &Values) -> Option<&MapRow> {
        self.rows.iter().find(|r| {
            structure.is(&r.structure)
                && r.when
                    .iter()
                    .all(|(k, v)| values.get(k) == Some(v.as_str()))
        })
    }
}

/// A structure or dataflow reference: agency, id, version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Structure {
    agency: String,
    id: String,
    version: String,
}

impl Structure {
    fn is(&self, pattern: &str) -> bool {
        let (agency, rest) = pattern.split_once(':').unwrap_or(("", pattern));
        let (id, version) = match rest.split_once('(') {
            Some((i, v)) => (i, v.trim_end_matches(')')),
            None => (rest, ""),
        };
        agency.eq_ignore_ascii_case(&self.agency)
            && id.eq_ignore_ascii_case(&self.id)
            && (version.is_empty() || version == self.version)
    }
}

impl std::fmt::Display for Structure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}({})", self.agency, self.id, self.version)
    }
}

/// What the message's header says.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// `<ID>`.
    pub id: String,
    /// `<Prepared>`, as written.
    pub prepared: String,
    /// `<Sender id>`.
    pub sender: String,
    /// The structure (or dataflow) the data follows, `AGENCY:ID(VERSION)`.
    pub structure: String,
    structure_ref: Structure,
    /// The dimension at the observation level (`TIME_PERIOD` by default).
    at_obs: String,
}

impl Header {
    /// The `Prepared` time in microseconds since the Unix epoch, when it
    /// is a valid date-time: the recording time of what the message brings.
    pub fn prepared_micros(&self) -> Option<i64> {
        chrono::DateTime::parse_from_rfc3339(self.prepared.trim())
            .ok()
            .map(|t| t.timestamp_micros())
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(self.prepared.trim(), "%Y-%m-%dT%H:%M:%S")
                    .ok()
                    .map(|t| t.and_utc().timestamp_micros())
            })
    }
}

/// The header of a message that starts with `head` (its first kilobytes),
/// when the header ends there.
pub fn peek_header(head: &[u8]) -> Option<Header> {
    let mut s = SdmxMlStream::unread(head, "", None);
    s.read_header().ok()?;
    Some(s.header)
}

/// The values of a series and its observation: dimensions and attributes.
#[derive(Debug, Clone, Default)]
struct Values(Vec<(String, String)>);

impl Values {
    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn set(&mut self, k: String, v: String) {
        self.0.push((k, v));
    }
    fn key(&self) -> String {
        self.0
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "OBS_VALUE" | "TIME_PERIOD"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// What was not imported, for the import's notes.
#[derive(Debug, Default)]
pub struct Skipped {
    /// Series no mapping row covers, with their observation counts.
    pub unmapped: BTreeMap<String, usize>,
    /// Observations whose value is missing (`NaN`, `na`, empty).
    pub missing: usize,
    /// Series of rates or indices whose `UNIT_MULT` was not 0 (not applied).
    pub unit_mult_ignored: BTreeMap<String, String>,
}

/// Where the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum In {
    Header,
    Body,
    /// Inside a GenericData `SeriesKey`, `Attributes` or `ObsKey`.
    GenericValues,
}

/// An SDMX-ML data message read a number of observations at a time.
pub struct SdmxMlStream<R: BufRead> {
    xml: quick_xml::Reader<R>,
    buf: Vec<u8>,
    file: Arc<str>,
    /// The message's header.
    pub header: Header,
    mapping: Option<Mapping>,
    generic: bool,
    dataset: Values,
    series: Values,
    series_label: String,
    obs: Option<Values>,
    state: In,
    obs_count: usize,
    done: bool,
    /// What was left out, for the notes.
    pub skipped: Skipped,
}

fn attr_values(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = vec![];
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.prefix().is_some() || a.key.as_ref().starts_with("xmlns") {
            continue;
        }
        let k = a.key.local_name().as_ref().to_string();
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?
            .into_owned();
        out.push((k, v));
    }
    Ok(out)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    attr_values(e)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

impl<R: BufRead> SdmxMlStream<R> {
    /// Opens a message and reads its header. `mapping`: for a structure
    /// other than this service's own (`None`: the built-in ones).
    pub fn new(reader: R, file: &str, mapping: Option<Mapping>) -> Result<Self, Vec<Diagnostic>> {
        let mut s = Self::unread(reader, file, mapping);
        s.read_header()
            .map_err(|m| vec![s.error(0, "header", "", m)])?;
        let st = &s.header.structure_ref;
        if st.agency.is_empty() && st.id.is_empty() {
            return Err(vec![s.error(
                0,
                "Header/Structure",
                "",
                "the message names no structure; expected <Structure> with a <Ref agencyID id version> in its header".into(),
            )]);
        }
        if let Some(m) = s.unmapped() {
            return Err(vec![s.error(0, "Header/Structure", &s.header.structure, m)]);
        }
        Ok(s)
    }

    /// When the message is of a structure neither this service's own nor
    /// one its mapping (the built-in one unless given) covers: what to say.
    fn unmapped(&mut self) -> Option<String> {
        if self.own() {
            return None;
        }
        let m = self.mapping.get_or_insert_with(Mapping::builtin);
        (!m.covers(&self.header.structure_ref)).then(|| {
            format!(
                "the message follows {}, which {} does not map; expected {} or a mapping file for this structure (--mapping FILE)",
                self.header.structure,
                m.name,
                if m.name.starts_with("built-in") {
                    "SOLIEU:DSD_SOLIEU or IMF:ECOFIN_DSD(1.0)"
                } else {
                    "a structure it maps"
                }
            )
        })
    }

    fn unread(reader: R, file: &str, mapping: Option<Mapping>) -> Self {
        SdmxMlStream {
            xml: quick_xml::Reader::from_reader(reader),
            buf: vec![],
            file: file.into(),
            header: Header {
                at_obs: "TIME_PERIOD".into(),
                ..Header::default()
            },
            mapping,
            generic: false,
            dataset: Values::default(),
            series: Values::default(),
            series_label: String::new(),
            obs: None,
            state: In::Header,
            obs_count: 0,
            done: false,
            skipped: Skipped::default(),
        }
    }

    /// Whether the message is of this service's own structure.
    fn own(&self) -> bool {
        let st = &self.header.structure_ref;
        st.agency == "SOLIEU"
    }

    fn error(&self, row: usize, column: &str, value: &str, message: String) -> Diagnostic {
        Diagnostic {
            loc: Loc {
                file: self.file.to_string(),
                sheet: (!self.series_label.is_empty()).then(|| self.series_label.clone()),
                row,
                column: column.to_string(),
            },
            value: value.to_string(),
            message,
        }
    }

    fn read_header(&mut self) -> Result<(), String> {
        let mut text_of: Option<&'static str> = None;
        loop {
            let ev = self
                .xml
                .read_event_into(&mut self.buf)
                .map_err(|e| format!("not well-formed XML: {e}"))?;
            match ev {
                Event::Start(e) | Event::Empty(e) => {
                    let name = e.local_name();
                    match name.as_ref() {
                        "StructureSpecificData" => self.generic = false,
                        "GenericData" => self.generic = true,
                        "ID" => text_of = Some("ID"),
                        "Prepared" => text_of = Some("Prepared"),
                        "Sender" => self.header.sender = attr(&e, "id").unwrap_or_default(),
                        "Structure" => {
                            if let Some(d) = attr(&e, "dimensionAtObservation") {
                                self.header.at_obs = d;
                            }
                        }
                        "Ref" => {
                            let st = Structure {
                                agency: attr(&e, "agencyID").unwrap_or_default(),
                                id: attr(&e, "id").unwrap_or_default(),
                                version: attr(&e, "version").unwrap_or_default(),
                            };
                            self.header.structure = st.to_string();
                            self.header.structure_ref = st;
                        }
                        "DataSet" => {
                            self.dataset = Values(attr_values(&e)?);
                            self.state = In::Body;
                            return Ok(());
                        }
                        "Error" => {
                            return Err("the message is an SDMX error message, not data".into())
                        }
                        _ => {}
                    }
                }
                Event::Text(t) => {
                    if let Some(which) = text_of.take() {
                        let v = t.xml10_content().trim().to_string();
                        match which {
                            "ID" if self.header.id.is_empty() => self.header.id = v,
                            "Prepared" => self.header.prepared = v,
                            _ => {}
                        }
                    }
                }
                Event::End(_) => text_of = None,
                Event::Eof => {
                    return Err(
                        "no <DataSet> in the message; expected an SDMX-ML 2.1 data message".into(),
                    )
                }
                _ => {}
            }
            self.buf.clear();
        }
    }

    /// The next `n` observations (at most) as records; `None` at the end.
    pub fn next_records(&mut self, n: usize) -> Result<Option<Vec<RawRecord>>, Vec<Diagnostic>> {
        if self.done {
            return Ok(None);
        }
        let mut out = vec![];
        let mut errors = vec![];
        let mut seen = 0;
        while seen < n {
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(e) => e.into_owned(),
                Err(e) => {
                    errors.push(self.error(
                        self.obs_count,
                        "-",
                        "",
                        format!("not well-formed XML: {e}"),
                    ));
                    self.done = true;
                    break;
                }
            };
            match ev {
                Event::Eof => {
                    self.done = true;
                    break;
                }
                Event::Start(e) | Event::Empty(e) if !self.generic => {
                    match e.local_name().as_ref() {
                        "Series" => {
                            let v = attr_values(&e)
                                .map_err(|m| vec![self.error(self.obs_count, "Series", "", m)])?;
                            self.series = Values(v);
                            self.series_label = self.series.key();
                        }
                        "Obs" => {
                            let v = attr_values(&e)
                                .map_err(|m| vec![self.error(self.obs_count, "Obs", "", m)])?;
                            seen += 1;
                            let mut all = self.dataset.clone();
                            all.0.extend(self.series.0.iter().cloned());
                            all.0.extend(v);
                            self.observation(all, &mut out, &mut errors);
                        }
                        _ => {}
                    }
                }
                Event::End(e) if !self.generic && e.local_name().as_ref() == "Series" => {
                    self.series = Values::default();
                    self.series_label.clear();
                }
                Event::End(_) if !self.generic => {}
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    "Series" => {
                        self.series = Values::default();
                        self.series_label.clear();
                    }
                    "SeriesKey" | "ObsKey" | "Attributes" => self.state = In::GenericValues,
                    "Value" if self.state == In::GenericValues => {
                        if let (Some(id), Some(v)) = (attr(&e, "id"), attr(&e, "value")) {
                            match &mut self.obs {
                                Some(o) => o.set(id, v),
                                None => self.series.set(id, v),
                            }
                        }
                    }
                    "Obs" => self.obs = Some(Values::default()),
                    "ObsDimension" => {
                        if let (Some(o), Some(v)) = (&mut self.obs, attr(&e, "value")) {
                            let id = attr(&e, "id").unwrap_or_else(|| self.header.at_obs.clone());
                            o.set(id, v);
                        }
                    }
                    "ObsValue" => {
                        if let (Some(o), Some(v)) = (&mut self.obs, attr(&e, "value")) {
                            o.set("OBS_VALUE".into(), v);
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "SeriesKey" => {
                        self.state = In::Body;
                        self.series_label = self.series.key();
                    }
                    "ObsKey" | "Attributes" => self.state = In::Body,
                    "Obs" => {
                        if let Some(o) = self.obs.take() {
                            seen += 1;
                            let mut all = self.dataset.clone();
                            all.0.extend(self.series.0.iter().cloned());
                            all.0.extend(o.0);
                            self.observation(all, &mut out, &mut errors);
                        }
                    }
                    "Series" => {
                        self.series = Values::default();
                        self.series_label.clear();
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(if seen == 0 && self.done {
            None
        } else {
            Some(out)
        })
    }

    /// One observation with every value of its data set, series and own.
    fn observation(&mut self, v: Values, out: &mut Vec<RawRecord>, errors: &mut Vec<Diagnostic>) {
        self.obs_count += 1;
        let row = self.obs_count;
        let time = v
            .get(&self.header.at_obs)
            .or_else(|| v.get("TIME_PERIOD"))
            .unwrap_or("")
            .to_string();
        let column = |c: &str| -> Arc<str> { Arc::from(format!("{c} of {time}").as_str()) };
        let raw = v.get("OBS_VALUE").unwrap_or("").trim().to_string();
        if raw.is_empty() || raw.eq_ignore_ascii_case("nan") || raw.eq_ignore_ascii_case("na") {
            self.skipped.missing += 1;
            return;
        }
        if self.own() {
            match self.own_record(&v, &time, raw, row) {
                Ok(r) => out.push(r),
                Err(d) => errors.push(*d),
            }
            return;
        }
        let Some(m) = self
            .mapping
            .as_ref()
            .and_then(|m| m.find(&self.header.structure_ref, &v))
        else {
            let label = match v.get("INDICATOR") {
                Some(i) => format!("INDICATOR={i}"),
                None => v.key(),
            };
            *self.skipped.unmapped.entry(label).or_default() += 1;
            return;
        };
        let unit_mult = match v.get("UNIT_MULT").map(str::trim) {
            None | Some("") => 0,
            Some(u) => match u.parse::<i32>() {
                Ok(n) if (-30..=30).contains(&n) => n,
                _ => {
                    errors.push(self.error(
                        row,
                        &format!("UNIT_MULT of {time}"),
                        u,
                        "expected an integer power of ten (0, 3, 6, 9 …)".into(),
                    ));
                    return;
                }
            },
        };
        let value = match m.unit_power {
            Some(p) => match shift_decimal(&raw, unit_mult - p) {
                Some(s) => s,
                None => {
                    errors.push(self.error(
                        row,
                        &format!("OBS_VALUE of {time}"),
                        &raw,
                        "expected a number (a decimal with a point, as SDMX writes it)".into(),
                    ));
                    return;
                }
            },
            None => {
                if unit_mult != 0 {
                    self.skipped
                        .unit_mult_ignored
                        .insert(m.indicator.clone(), unit_mult.to_string());
                }
                raw.clone()
            }
        };
        let area = if m.area.is_empty() {
            v.get("REF_AREA").unwrap_or("").to_string()
        } else {
            m.area.clone()
        };
        let status = match v.get("OBS_STATUS").unwrap_or("") {
            "E" | "F" | "I" => "E",
            "P" => "P",
            _ => "",
        };
        let source = if !m.source.is_empty() {
            m.source.clone()
        } else if !self.header.sender.is_empty() {
            format!("SDMX {}", self.header.sender)
        } else {
            String::new()
        };
        let note = match v.get("BASE_PER") {
            Some(b) if !b.is_empty() && b != "_Z" => format!("kỳ gốc {b} = 100"),
            _ => String::new(),
        };
        out.push(RawRecord {
            file: self.file.clone(),
            sheet: Some(self.series_label.clone()),
            row,
            indicator: Field::new(m.indicator.clone(), "INDICATOR"),
            area: Field::new(area, "REF_AREA"),
            period: Field::new(time.replace("-M", "-"), column("TIME_PERIOD")),
            value: Field {
                text: RawValue::Text(value, NumberStyle::Canonical),
                column: column("OBS_VALUE"),
            },
            measure: Field::new(m.measure.clone(), "mapping measure"),
            status: Field::new(status, column("OBS_STATUS")),
            unit: Field::new("", "UNIT_MEASURE"),
            source: Field::new(source, "Sender"),
            note: Field::new(note, "BASE_PER"),
            dims: m
                .dims
                .iter()
                .map(|(k, c)| Field {
                    text: (k.clone(), c.clone()),
                    column: Arc::from(format!("mapping dims {k}").as_str()),
                })
                .collect(),
            index_form: false,
        });
    }

    /// An observation of this service's own structure.
    fn own_record(
        &self,
        v: &Values,
        time: &str,
        raw: String,
        row: usize,
    ) -> Result<RawRecord, Box<Diagnostic>> {
        let m = v.get("MEASURE").unwrap_or("VALUE");
        let Some((measure, ytd)) = crate::sdmx_csv::measure_of(m) else {
            return Err(Box::new(self.error(row, "MEASURE", m, "expected VALUE, YOY_PCT, MOM_PCT, PLAN, PLAN_PCT, PLAN_YOY_PCT or one of them with _YTD".into())));
        };
        let period = crate::sdmx_csv::period_text(time, ytd)
            .map_err(|msg| Box::new(self.error(row, "TIME_PERIOD", time, msg)))?;
        let mut dims: HashMap<&str, &str> = HashMap::new();
        for (k, val) in &v.0 {
            if !crate::sdmx_csv::FIXED.contains(&k.as_str())
                && k != &self.header.at_obs
                && !self.dataset.0.iter().any(|(d, _)| d == k)
            {
                dims.insert(k, val);
            }
        }
        let mut dims: Vec<_> = dims.into_iter().collect();
        dims.sort();
        Ok(RawRecord {
            file: self.file.clone(),
            sheet: Some(self.series_label.clone()),
            row,
            indicator: Field::new(v.get("INDICATOR").unwrap_or(""), "INDICATOR"),
            area: Field::new(v.get("REF_AREA").unwrap_or(""), "REF_AREA"),
            period: Field::new(period, "TIME_PERIOD"),
            value: Field {
                text: RawValue::Text(raw, NumberStyle::Canonical),
                column: Arc::from("OBS_VALUE"),
            },
            measure: Field::new(measure, "MEASURE"),
            status: Field::new(v.get("OBS_STATUS").unwrap_or(""), "OBS_STATUS"),
            unit: Field::new("", "UNIT_MEASURE"),
            source: Field::new("", "SOURCE"),
            note: Field::new("", "NOTE"),
            dims: dims
                .into_iter()
                .map(|(k, c)| Field {
                    text: (k.to_string(), c.to_string()),
                    column: Arc::from(k),
                })
                .collect(),
            index_form: false,
        })
    }
}

/// A decimal written with a point, its point moved `by` places (× 10^by),
/// exactly: the digits are moved, not multiplied in binary. `None`: not a
/// decimal.
pub fn shift_decimal(text: &str, by: i32) -> Option<String> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        // an exponent form (1.5E9) is a number too: read it as one
        return t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| format!("{}{}", if neg { "-" } else { "" }, v * 10f64.powi(by)));
    }
    let digits = format!("{int}{frac}");
    let point = int.len() as i64 + i64::from(by);
    let s = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    let s = s.trim_start_matches('0');
    let s = if s.is_empty() || s.starts_with('.') {
        format!("0{s}")
    } else {
        s.to_string()
    };
    Some(format!("{}{s}", if neg { "-" } else { "" }))
}

/// Whether bytes (the first kilobytes suffice) are an SDMX-JSON data
/// message (1.0 or 2.0).
pub fn is_sdmx_json(head: &[u8]) -> bool {
    let h = String::from_utf8_lossy(&head[..head.len().min(65536)]);
    let t = h.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('{') && t.contains("\"dataSets\"")
}

/// `AGENCY:ID(VERSION)` out of an SDMX URN
/// (`urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=SOLIEU:DF_SOLIEU(1.0)`).
fn structure_of_urn(urn: &str) -> Option<Structure> {
    let (_, rest) = urn.split_once('=')?;
    let (agency, rest) = rest.split_once(':')?;
    let (id, version) = match rest.split_once('(') {
        Some((i, v)) => (i, v.trim_end_matches(')')),
        None => (rest, ""),
    };
    Some(Structure {
        agency: agency.to_string(),
        id: id.to_string(),
        version: version.to_string(),
    })
}

/// Reads an SDMX-JSON data message (1.0: `header`, `structure`; 2.0:
/// `meta`, `data.structures`), series or flat observations, through the
/// same mapping as SDMX-ML: the records, the header and what was left out.
pub fn read_json(
    bytes: &[u8],
    file: &str,
    mapping: Option<Mapping>,
) -> Result<(Vec<RawRecord>, Header, Skipped), Vec<Diagnostic>> {
    use serde_json::Value;
    let fail = |column: &str, message: String| {
        vec![Diagnostic {
            loc: Loc {
                file: file.to_string(),
                sheet: None,
                row: 0,
                column: column.to_string(),
            },
            value: String::new(),
            message,
        }]
    };
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| fail("-", format!("not JSON: {e}")))?;
    // 2.0 keeps the message under `data` and its header in `meta`
    let (head, body) = match (doc.get("meta"), doc.get("data")) {
        (Some(m), Some(d)) => (m, d),
        _ => (doc.get("header").unwrap_or(&Value::Null), &doc),
    };
    let structures: Vec<&Value> = match body.get("structures").and_then(Value::as_array) {
        Some(a) => a.iter().collect(),
        None => body.get("structure").into_iter().collect(),
    };
    let Some(sets) = body.get("dataSets").and_then(Value::as_array) else {
        return Err(fail(
            "dataSets",
            "no dataSets; expected an SDMX-JSON data message".into(),
        ));
    };
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let mut s = SdmxMlStream::unread(&[][..], file, mapping);
    s.header.id = head.get("id").and_then(text).unwrap_or_default();
    s.header.prepared = head.get("prepared").and_then(text).unwrap_or_default();
    s.header.sender = head
        .get("sender")
        .and_then(|x| x.get("id"))
        .and_then(text)
        .unwrap_or_default();
    // the structure's URN: in the structure's links, or the data sets'
    let urns: Vec<String> = structures
        .iter()
        .copied()
        .chain(sets.iter())
        .flat_map(|st| {
            st.get("links")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|l| l.get("urn").and_then(text))
        .collect();
    let Some(st) = urns.iter().find_map(|u| structure_of_urn(u)) else {
        return Err(fail(
            "structure.links",
            "the message names no structure; expected a link with the URN of its dataflow or data structure".into(),
        ));
    };
    s.header.structure = st.to_string();
    s.header.structure_ref = st;
    if let Some(m) = s.unmapped() {
        return Err(fail("structure.links", m));
    }
    // the components of one structure, by level: (id, the codes by index)
    type Comps = Vec<(String, Vec<String>)>;
    let comps = |st: &Value, kind: &str, level: &str| -> Comps {
        st.get(kind)
            .and_then(|k| k.get(level))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|c| {
                        let id = c.get("id").and_then(text).unwrap_or_default();
                        let codes = c
                            .get("values")
                            .and_then(Value::as_array)
                            .map(|vs| {
                                vs.iter()
                                    .map(|v| {
                                        v.get("id")
                                            .or_else(|| v.get("value"))
                                            .and_then(text)
                                            .unwrap_or_default()
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        (id, codes)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = vec![];
    let mut errors = vec![];
    for set in sets {
        let st_index = set.get("structure").and_then(Value::as_u64).unwrap_or(0) as usize;
        let Some(st) = structures.get(st_index) else {
            errors.extend(fail(
                "dataSets.structure",
                format!("structure {st_index} is not in the message"),
            ));
            continue;
        };
        let (ds_dims, series_dims, obs_dims) = (
            comps(st, "dimensions", "dataSet"),
            comps(st, "dimensions", "series"),
            comps(st, "dimensions", "observation"),
        );
        let (ds_attrs, series_attrs, obs_attrs) = (
            comps(st, "attributes", "dataSet"),
            comps(st, "attributes", "series"),
            comps(st, "attributes", "observation"),
        );
        // values by position: the code at index i of component k
        let pick = |comps: &Comps, k: usize, v: &Value| -> Option<(String, String)> {
            let (id, codes) = comps.get(k)?;
            let i = v.as_u64()? as usize;
            Some((id.clone(), codes.get(i)?.clone()))
        };
        // the data set's own attributes (not its dimensions, which are codes
        // of every series: a breakdown code there is still a breakdown code)
        let mut attrs = Values::default();
        if let Some(a) = set.get("attributes").and_then(Value::as_array) {
            for (k, v) in a.iter().enumerate() {
                if let Some((id, c)) = pick(&ds_attrs, k, v) {
                    attrs.set(id, c);
                }
            }
        }
        let mut base = attrs.clone();
        for (id, codes) in &ds_dims {
            if let Some(c) = codes.first() {
                base.set(id.clone(), c.clone());
            }
        }
        s.dataset = attrs;
        let key_values = |key: &str, comps: &Comps, into: &mut Values| -> bool {
            for (k, part) in key.split(':').enumerate() {
                let Ok(i) = part.parse::<u64>() else {
                    return false;
                };
                match pick(comps, k, &Value::from(i)) {
                    Some((id, c)) => into.set(id, c),
                    None => return false,
                }
            }
            true
        };
        let observation = |s: &mut SdmxMlStream<&[u8]>,
                           mut vals: Values,
                           arr: &Value,
                           out: &mut Vec<RawRecord>,
                           errors: &mut Vec<Diagnostic>| {
            let a = arr.as_array().cloned().unwrap_or_default();
            let value = a.first().and_then(text).unwrap_or_default();
            vals.set("OBS_VALUE".into(), value);
            for (k, v) in a.iter().skip(1).enumerate() {
                if let Some((id, c)) = pick(&obs_attrs, k, v) {
                    vals.set(id, c);
                }
            }
            s.observation(vals, out, errors);
        };
        if let Some(series) = set.get("series").and_then(Value::as_object) {
            for (key, ser) in series {
                let mut vals = base.clone();
                if !key_values(key, &series_dims, &mut vals) {
                    errors.extend(fail(
                        "dataSets.series",
                        format!(
                            "series key '{key}' does not match the structure's series dimensions"
                        ),
                    ));
                    continue;
                }
                if let Some(a) = ser.get("attributes").and_then(Value::as_array) {
                    for (k, v) in a.iter().enumerate() {
                        if let Some((id, c)) = pick(&series_attrs, k, v) {
                            vals.set(id, c);
                        }
                    }
                }
                s.series_label = vals.key();
                let Some(obs) = ser.get("observations").and_then(Value::as_object) else {
                    continue;
                };
                for (okey, arr) in obs {
                    let mut ov = vals.clone();
                    if !key_values(okey, &obs_dims, &mut ov) {
                        errors.extend(fail("observations", format!("observation key '{okey}' of series '{key}' does not match the structure")));
                        continue;
                    }
                    observation(&mut s, ov, arr, &mut out, &mut errors);
                }
            }
        }
        if let Some(obs) = set.get("observations").and_then(Value::as_object) {
            // flat: every dimension at the observation level
            for (okey, arr) in obs {
                let mut ov = base.clone();
                if !key_values(okey, &obs_dims, &mut ov) {
                    errors.extend(fail(
                        "observations",
                        format!("observation key '{okey}' does not match the structure"),
                    ));
                    continue;
                }
                s.series_label = ov.key();
                observation(&mut s, ov, arr, &mut out, &mut errors);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((out, s.header, s.skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_shift_exactly() {
        assert_eq!(shift_decimal("51978.4", 3).unwrap(), "51978400");
        assert_eq!(
            shift_decimal("779337.6704454578", 0).unwrap(),
            "779337.6704454578"
        );
        assert_eq!(shift_decimal("1.5", -3).unwrap(), "0.0015");
        assert_eq!(shift_decimal("-12.25", 1).unwrap(), "-122.5");
        assert_eq!(shift_decimal("0.5", 2).unwrap(), "50");
        assert!(shift_decimal("abc", 0).is_none());
        assert!(shift_decimal("1.2.3", 0).is_none());
    }

    const GENERIC: &str = r#"<?xml version="1.0"?><message:GenericData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" xmlns:generic="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic" xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"><message:Header><message:ID>G1</message:ID><message:Prepared>2024-11-13T06:49:09Z</message:Prepared><message:Sender id="GSO"/><message:Structure structureID="S" dimensionAtObservation="TIME_PERIOD"><common:Structure><Ref agencyID="IMF" id="ECOFIN_DSD" version="1.0"/></common:Structure></message:Structure></message:Header><message:DataSet structureRef="S"><generic:Series><generic:SeriesKey><generic:Value id="DATA_DOMAIN" value="POP"/><generic:Value id="REF_AREA" value="VN"/><generic:Value id="INDICATOR" value="LP_PE_NUM"/><generic:Value id="COUNTERPART_AREA" value="_Z"/><generic:Value id="FREQ" value="A"/></generic:SeriesKey><generic:Attributes><generic:Value id="UNIT_MULT" value="3"/></generic:Attributes><generic:Obs><generic:ObsDimension value="2020"/><generic:ObsValue value="97582.7"/></generic:Obs><generic:Obs><generic:ObsDimension value="2021"/><generic:ObsValue value="NaN"/></generic:Obs></generic:Series></message:DataSet></message:GenericData>"#;

    #[test]
    fn a_generic_message_maps_through_the_built_in_mapping() {
        assert!(is_sdmx_ml(GENERIC.as_bytes()));
        let mut s = SdmxMlStream::new(GENERIC.as_bytes(), "pop.xml", None).unwrap();
        assert_eq!(s.header.id, "G1");
        assert_eq!(s.header.structure, "IMF:ECOFIN_DSD(1.0)");
        assert!(s.header.prepared_micros().is_some());
        let r = s.next_records(usize::MAX).unwrap().unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].indicator.text, "POPULATION");
        assert_eq!(r[0].area.text, "VN");
        assert_eq!(r[0].period.text, "2020");
        assert_eq!(
            r[0].value.text,
            RawValue::Text("97582.7".into(), NumberStyle::Canonical)
        );
        assert_eq!(s.skipped.missing, 1);
        assert!(s.next_records(10).unwrap().is_none());
    }

    #[test]
    fn another_structure_is_refused_with_what_was_expected() {
        let other = GENERIC.replace("ECOFIN_DSD", "BOP_DSD");
        let e = SdmxMlStream::new(other.as_bytes(), "bop.xml", None)
            .err()
            .unwrap();
        assert!(e[0].message.contains("IMF:BOP_DSD(1.0)"), "{}", e[0]);
        assert!(e[0].message.contains("--mapping"), "{}", e[0]);
    }

    #[test]
    fn a_bad_unit_mult_and_a_bad_value_are_located() {
        let bad = GENERIC.replace(
            r#"value="3"/></generic:Attributes>"#,
            r#"value="x"/></generic:Attributes>"#,
        );
        let mut s = SdmxMlStream::new(bad.as_bytes(), "pop.xml", None).unwrap();
        let e = s.next_records(usize::MAX).unwrap_err();
        assert!(e[0].loc.column.starts_with("UNIT_MULT"), "{}", e[0]);
        let bad = GENERIC.replace("97582.7", "97 582,7");
        let mut s = SdmxMlStream::new(bad.as_bytes(), "pop.xml", None).unwrap();
        let e = s.next_records(usize::MAX).unwrap_err();
        assert!(e[0].to_string().contains("OBS_VALUE of 2020"), "{}", e[0]);
        assert!(e[0].to_string().contains("INDICATOR=LP_PE_NUM"), "{}", e[0]);
    }

    #[test]
    fn an_sdmx_json_1_message_maps_like_sdmx_ml() {
        let msg = r#"{"header":{"id":"J1","prepared":"2024-10-09T01:24:42Z","sender":{"id":"GSO"}},
          "dataSets":[{"action":"Information","series":{"0:0":{"attributes":[0],"observations":{"0":["97582.693"],"1":["NaN"],"2":[98506.193]}}}}],
          "structure":{"links":[{"rel":"datastructure","urn":"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=IMF:ECOFIN_DSD(1.0)"}],
            "dimensions":{"dataSet":[{"id":"REF_AREA","values":[{"id":"VN"}]}],
              "series":[{"id":"INDICATOR","values":[{"id":"LP_PE_NUM"}]},{"id":"FREQ","values":[{"id":"A"}]}],
              "observation":[{"id":"TIME_PERIOD","values":[{"id":"2020"},{"id":"2021"},{"id":"2022"}]}]},
            "attributes":{"dataSet":[],"series":[{"id":"UNIT_MULT","values":[{"id":"3"}]}],"observation":[]}}}"#;
        assert!(is_sdmx_json(msg.as_bytes()));
        let (r, h, skipped) = read_json(msg.as_bytes(), "pop.json", None).unwrap();
        assert_eq!(h.structure, "IMF:ECOFIN_DSD(1.0)");
        assert_eq!(h.id, "J1");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].indicator.text, "POPULATION");
        assert_eq!(r[0].area.text, "VN");
        assert_eq!(
            (r[0].period.text.as_str(), r[1].period.text.as_str()),
            ("2020", "2022")
        );
        assert_eq!(
            r[1].value.text,
            RawValue::Text("98506.193".into(), NumberStyle::Canonical)
        );
        assert_eq!(skipped.missing, 1);
        let other = msg.replace("ECOFIN_DSD", "BOP_DSD");
        let e = read_json(other.as_bytes(), "bop.json", None).unwrap_err();
        assert!(e[0].message.contains("IMF:BOP_DSD(1.0)"), "{}", e[0]);
    }

    #[test]
    fn a_mapping_file_is_checked_row_by_row() {
        let e = Mapping::parse(
            "structure,series,indicator,colour\nIMF:X,INDICATOR=A,CPI,red\n",
            "m.csv",
        )
        .unwrap_err();
        assert!(e[0].message.contains("unknown column"), "{}", e[0]);
        let e = Mapping::parse(
            "structure,series,indicator,unit_power\nIMF:X,INDICATOR,CPI,nine\n",
            "m.csv",
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].loc.row, 2);
        let m = Mapping::parse(
            "structure,series,indicator\nIMF:X(1.0),INDICATOR=A;FREQ=M,CPI\n",
            "m.csv",
        )
        .unwrap();
        assert_eq!(m.indicators().collect::<Vec<_>>(), ["CPI"]);
    }
}

//! SDMX-JSON 2.0: the structure message that pysdmx's `RegistryClient`
//! reads (SDMX 3.0 REST `/structure` and `/schema`), and the data message
//! that browser clients such as the .Stat Data Explorer read.
//!
//! Same mapping as the SDMX-ML messages (the crate root). Every name is
//! given in the language asked for (`name`) and in both (`names`). Numbers
//! that are neither codes nor observation values are sent as strings: the
//! official schema's `oneOf[integer, number]` refuses a JSON integer
//! (sdmx-twg/sdmx-json#116).

use serde_json::{json, Map, Value};
use solieu_model::{AreaRegistry, CodeLists, Indicator};

use crate::{
    codelists, concepts, dimensions, Detail, Series, Wanted, AGENCY, CONCEPTS, DSD, FLOW, VERSION,
};

const STRUCTURE_SCHEMA: &str = "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/structure-message/tools/schemas/2.0.0/sdmx-json-structure-schema.json";
const DATA_SCHEMA: &str = "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json";

/// The language of the `name` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese (the default).
    Vi,
    /// English.
    En,
}

impl Lang {
    /// From an `Accept-Language` header: English when it comes before
    /// Vietnamese, else Vietnamese.
    pub fn from_accept(h: Option<&str>) -> Lang {
        let h = h.unwrap_or("").to_ascii_lowercase();
        let pos = |l: &str| {
            h.split(',')
                .position(|t| t.trim().starts_with(l))
                .unwrap_or(usize::MAX)
        };
        if pos("en") < pos("vi") {
            Lang::En
        } else {
            Lang::Vi
        }
    }

    /// The tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

fn named(obj: &mut Map<String, Value>, vi: &str, en: &str, lang: Lang) {
    let best = if lang == Lang::En && !en.is_empty() {
        en
    } else {
        vi
    };
    obj.insert("name".into(), json!(best));
    let mut names = Map::new();
    names.insert("vi".into(), json!(vi));
    if !en.is_empty() {
        names.insert("en".into(), json!(en));
    }
    obj.insert("names".into(), Value::Object(names));
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The URN of the dataflow.
pub fn flow_urn() -> String {
    format!("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{FLOW}({VERSION})")
}

fn dsd_urn() -> String {
    format!("urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD}({VERSION})")
}

fn concept_urn(id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:{CONCEPTS}({VERSION}).{id}")
}

fn codelist_urn(id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.codelist.Codelist={AGENCY}:{id}({VERSION})")
}

fn meta(schema: &str, id: &str, prepared: &str, lang: Lang) -> Value {
    json!({
        "schema": schema,
        "id": id,
        "test": false,
        "prepared": prepared,
        "contentLanguages": [lang.tag()],
        "sender": {"id": AGENCY},
    })
}

fn data_structure(inds: &[Indicator], lang: Lang) -> Value {
    let all = dimensions(inds);
    let dims: Vec<Value> = all
        .iter()
        .enumerate()
        .map(|(k, (d, cl))| {
            json!({
                "id": d,
                "position": k,
                "conceptIdentity": concept_urn(d),
                "localRepresentation": {"enumeration": codelist_urn(cl)},
            })
        })
        .collect();
    let series_rel = json!({"dimensions": ["INDICATOR", "MEASURE"]});
    let mut m = obj(json!({
        "id": DSD,
        "agencyID": AGENCY,
        "version": VERSION,
        "isFinal": true,
        "dataStructureComponents": {
            "dimensionList": {
                "id": "DimensionDescriptor",
                "dimensions": dims,
                "timeDimension": {
                    "id": "TIME_PERIOD",
                    "position": all.len(),
                    "conceptIdentity": concept_urn("TIME_PERIOD"),
                    "localRepresentation": {"format": {"dataType": "ObservationalTimePeriod"}},
                },
            },
            "attributeList": {
                "id": "AttributeDescriptor",
                "attributes": [
                    {
                        "id": "OBS_STATUS",
                        "usage": "optional",
                        "conceptIdentity": concept_urn("OBS_STATUS"),
                        "localRepresentation": {"enumeration": codelist_urn("CL_OBS_STATUS")},
                        "attributeRelationship": {"observation": {}},
                    },
                    {
                        "id": "UNIT_MEASURE",
                        "usage": "mandatory",
                        "conceptIdentity": concept_urn("UNIT_MEASURE"),
                        "localRepresentation": {"enumeration": codelist_urn("CL_UNIT")},
                        "attributeRelationship": series_rel,
                    },
                    {
                        "id": "UNIT_MULT",
                        "usage": "optional",
                        "conceptIdentity": concept_urn("UNIT_MULT"),
                        "localRepresentation": {"format": {"dataType": "Integer"}},
                        "attributeRelationship": series_rel,
                    },
                    {
                        "id": "DECIMALS",
                        "usage": "optional",
                        "conceptIdentity": concept_urn("DECIMALS"),
                        "localRepresentation": {"format": {"dataType": "Integer"}},
                        "attributeRelationship": series_rel,
                    },
                ],
            },
            "measureList": {
                "id": "MeasureDescriptor",
                "measures": [{
                    "id": "OBS_VALUE",
                    "conceptIdentity": concept_urn("OBS_VALUE"),
                    "localRepresentation": {"format": {"dataType": "Double"}},
                }],
            },
        },
    }));
    named(
        &mut m,
        "Cấu trúc dữ liệu solieu",
        "solieu data structure",
        lang,
    );
    Value::Object(m)
}

/// An SDMX-JSON 2.0 structure message.
pub fn structure(
    reg: &AreaRegistry,
    inds: &[Indicator],
    lists: &CodeLists,
    w: Wanted,
    prepared: &str,
    lang: Lang,
) -> Value {
    let mut data = Map::new();
    if w.dataflows {
        let mut f = obj(json!({
            "id": FLOW,
            "agencyID": AGENCY,
            "version": VERSION,
            "isFinal": true,
            "structure": dsd_urn(),
        }));
        named(
            &mut f,
            "Chỉ tiêu kinh tế - xã hội",
            "Socio-economic indicators",
            lang,
        );
        data.insert("dataflows".into(), json!([f]));
    }
    if w.dsds {
        data.insert("dataStructures".into(), json!([data_structure(inds, lang)]));
    }
    if w.codelists {
        let mut out = vec![];
        for (id, vi, en, codes) in codelists(reg, inds, lists) {
            if w.codelist.as_deref().is_some_and(|c| c != id) {
                continue;
            }
            let codes: Vec<Value> = codes
                .iter()
                .map(|(c, v, e, parent)| {
                    let mut m = obj(json!({"id": c}));
                    named(&mut m, v, e, lang);
                    if let Some(p) = parent {
                        m.insert("parent".into(), json!(p));
                    }
                    if let Some(f) = (id == "CL_INDICATOR")
                        .then(|| crate::formula_of(inds, c))
                        .flatten()
                    {
                        m.insert(
                            "annotations".into(),
                            json!([{"type": crate::FORMULA_ANNOTATION, "text": f}]),
                        );
                    }
                    Value::Object(m)
                })
                .collect();
            let mut m = obj(json!({
                "id": id,
                "agencyID": AGENCY,
                "version": VERSION,
                "isFinal": true,
                "codes": codes,
            }));
            named(&mut m, &vi, &en, lang);
            out.push(Value::Object(m));
        }
        data.insert("codelists".into(), Value::Array(out));
    }
    if w.concepts {
        let concepts: Vec<Value> = concepts(inds)
            .iter()
            .map(|(id, vi, en)| {
                let mut m = obj(json!({"id": id}));
                named(&mut m, vi, en, lang);
                Value::Object(m)
            })
            .collect();
        let mut m = obj(json!({
            "id": CONCEPTS,
            "agencyID": AGENCY,
            "version": VERSION,
            "isFinal": true,
            "concepts": concepts,
        }));
        named(&mut m, "Khái niệm", "Concepts", lang);
        data.insert("conceptSchemes".into(), json!([m]));
    }
    json!({
        "meta": meta(STRUCTURE_SCHEMA, "STRUCT", prepared, lang),
        "data": data,
    })
}

/// The text of a message, `meta` first: pysdmx tells SDMX-JSON 2.0 from
/// other JSON by the schema URL in the first 350 characters.
pub fn text(message: &Value) -> String {
    let mut out = String::from("{");
    for (k, key) in ["meta", "data", "errors"].iter().enumerate() {
        if let Some(v) = message.get(key) {
            if k > 0 && out.len() > 1 {
                out.push(',');
            }
            out.push_str(&format!("\"{key}\":{v}"));
        }
    }
    out.push('}');
    out
}

/// Values seen, in order of first appearance.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn index(&mut self, v: &str) -> usize {
        match self.0.iter().position(|x| x == v) {
            Some(k) => k,
            None => {
                self.0.push(v.to_string());
                self.0.len() - 1
            }
        }
    }
}

/// An SDMX-JSON 2.0 data message: one data set per entry of `sets`
/// (`validFrom` the time it was recorded, with `includeHistory`), series
/// keyed by the positions of their codes, observations `[value, status]`.
pub fn data(
    sets: &[(Option<String>, Vec<Series>)],
    detail: Detail,
    reg: &AreaRegistry,
    inds: &[Indicator],
    code_lists: &CodeLists,
    prepared: &str,
    lang: Lang,
) -> Value {
    let lists = codelists(reg, inds, code_lists);
    let all = dimensions(inds);
    let concept_list = concepts(inds);
    let name_of = |list: &str, code: &str| -> (String, String) {
        lists
            .iter()
            .find(|l| l.0 == list)
            .and_then(|l| l.3.iter().find(|c| c.0 == code))
            .map_or((code.to_string(), String::new()), |c| {
                (c.1.clone(), c.2.clone())
            })
    };
    let mut dims: Vec<Seen> = all.iter().map(|_| Seen::default()).collect();
    let mut times = Seen::default();
    let mut units = Seen::default();
    let mut decimals = Seen::default();
    let mut statuses = Seen::default();
    // time periods in time order: the series already are
    let mut all_times: Vec<&String> = sets
        .iter()
        .flat_map(|(_, s)| s.iter().flat_map(|x| x.obs.iter().map(|o| &o.0)))
        .collect();
    all_times.sort();
    all_times.dedup();
    for t in all_times {
        times.index(t);
    }
    let with_attrs = matches!(detail, Detail::Full | Detail::NoData);
    let with_obs = matches!(detail, Detail::Full | Detail::DataOnly);
    let mut data_sets = vec![];
    for (valid_from, series) in sets {
        let mut ser_map = Map::new();
        for s in series {
            let key: Vec<String> = s
                .key
                .iter()
                .enumerate()
                .map(|(k, code)| dims[k].index(code).to_string())
                .collect();
            let mut entry = Map::new();
            if with_attrs {
                entry.insert(
                    "attributes".into(),
                    json!([
                        units.index(&s.unit),
                        0,
                        decimals.index(&s.decimals.to_string())
                    ]),
                );
            }
            let mut obs = Map::new();
            if with_obs {
                for (t, v, st) in &s.obs {
                    let mut o = vec![json!(solieu_model::text::fmt_value(
                        solieu_model::text::clean(*v)
                    ))];
                    if detail == Detail::Full {
                        o.push(json!(statuses.index(st)));
                    }
                    obs.insert(times.index(t).to_string(), Value::Array(o));
                }
            }
            entry.insert("observations".into(), Value::Object(obs));
            ser_map.insert(key.join(":"), Value::Object(entry));
        }
        let mut ds = obj(json!({
            "structure": 0,
            "action": "Information",
            "links": [{"urn": flow_urn(), "rel": "dataflow"}],
            "series": ser_map,
        }));
        if let Some(t) = valid_from {
            ds.insert("validFrom".into(), json!(t));
        }
        data_sets.push(Value::Object(ds));
    }
    let concept_name = |id: &str| -> (String, String) {
        concept_list
            .iter()
            .find(|c| c.0 == id)
            .map_or((id.to_string(), id.to_string()), |c| {
                (c.1.clone(), c.2.clone())
            })
    };
    let component = |id: &str, extra: Value| {
        let mut m = obj(extra);
        m.insert("id".into(), json!(id));
        let (vi, en) = concept_name(id);
        named(&mut m, &vi, &en, lang);
        m
    };
    let coded = |list: &str, seen: &Seen| -> Vec<Value> {
        seen.0
            .iter()
            .map(|c| {
                let (vi, en) = name_of(list, c);
                let mut m = obj(json!({"id": c}));
                named(&mut m, &vi, &en, lang);
                Value::Object(m)
            })
            .collect()
    };
    let series_dims: Vec<Value> = all
        .iter()
        .enumerate()
        .map(|(k, (d, cl))| {
            let mut m = component(d, json!({"keyPosition": k}));
            m.insert("values".into(), Value::Array(coded(cl, &dims[k])));
            Value::Object(m)
        })
        .collect();
    let mut time = component(
        "TIME_PERIOD",
        json!({"keyPosition": all.len(), "roles": ["TIME_PERIOD"]}),
    );
    time.insert(
        "values".into(),
        Value::Array(times.0.iter().map(|t| json!({"value": t})).collect()),
    );
    let series_rel = json!({"dimensions": ["INDICATOR", "MEASURE"]});
    let mut structure = obj(json!({
        "links": [{"urn": flow_urn(), "rel": "dataflow"}, {"urn": dsd_urn(), "rel": "datastructure"}],
        "dimensions": {"dataSet": [], "series": series_dims, "observation": [time]},
        "measures": {"observation": [component("OBS_VALUE", json!({}))]},
    }));
    named(
        &mut structure,
        "Chỉ tiêu kinh tế - xã hội",
        "Socio-economic indicators",
        lang,
    );
    let mut series_attrs = vec![];
    let mut obs_attrs = vec![];
    if with_attrs && !units.0.is_empty() {
        let mut u = component("UNIT_MEASURE", json!({"relationship": series_rel}));
        u.insert("values".into(), Value::Array(coded("CL_UNIT", &units)));
        series_attrs.push(Value::Object(u));
        series_attrs.push(Value::Object(component(
            "UNIT_MULT",
            json!({"relationship": series_rel, "values": [{"value": "0"}]}),
        )));
        let dec: Vec<Value> = decimals.0.iter().map(|d| json!({"value": d})).collect();
        series_attrs.push(Value::Object(component(
            "DECIMALS",
            json!({"relationship": series_rel, "values": dec}),
        )));
    }
    if detail == Detail::Full && !statuses.0.is_empty() {
        let mut s = component("OBS_STATUS", json!({"relationship": {"observation": {}}}));
        s.insert(
            "values".into(),
            Value::Array(coded("CL_OBS_STATUS", &statuses)),
        );
        obs_attrs.push(Value::Object(s));
    }
    structure.insert(
        "attributes".into(),
        json!({"series": series_attrs, "observation": obs_attrs}),
    );
    if times.0.is_empty() {
        // no observation asked for (serieskeysonly, nodata): the time
        // dimension has no values, which the schema does not allow
        if let Some(d) = structure.get_mut("dimensions") {
            d["observation"] = json!([]);
        }
    }
    json!({
        "meta": meta(DATA_SCHEMA, "DATA", prepared, lang),
        "data": {"structures": [structure], "dataSets": data_sets},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(Lang::from_accept(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept(Some("vi,en;q=0.8")), Lang::Vi);
        assert_eq!(Lang::from_accept(None), Lang::Vi);
    }

    #[test]
    fn meta_comes_first() {
        let reg = AreaRegistry::default();
        let m = structure(
            &reg,
            &[],
            &CodeLists::default(),
            Wanted::default(),
            "2026-01-01T00:00:00Z",
            Lang::Vi,
        );
        let t = text(&m);
        let first: String = t.chars().take(350).collect();
        assert!(
            first.contains("2.0.0/sdmx-json-structure-schema.json"),
            "{t}"
        );
        let back: Value = serde_json::from_str(&t).unwrap();
        assert_eq!(back, m);
    }
}

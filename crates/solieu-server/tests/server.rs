//! The server's documents as data, from the router run in-process over the
//! demo store: the OpenAPI document and the SDMX structure messages,
//! compared with the snapshots in `tests/snapshots/` (`insta`; after a
//! deliberate change, `INSTA_UPDATE=always cargo test -p solieu-server` and
//! review the diff). The behaviour over HTTP is tested with the real binary
//! in `crates/solieu/tests/it`.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

struct App {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

/// The router over a demo store, built once for the whole binary.
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut store = solieu_store::SqliteStore::create(&data).unwrap();
        solieu_app::demo::load(&mut store).unwrap();
        drop(store);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let cfg = solieu_server::Config {
            store: solieu_store::Location::Dir(data.clone()),
            snapshot: data.join("engine.snapshot"),
            addr: "127.0.0.1:0".parse().unwrap(),
            public: solieu_server::Public::All,
            rate: 0,
            secure_cookies: true,
            header_timeout: std::time::Duration::from_secs(10),
        };
        let router = rt.block_on(async { solieu_server::app(&cfg) }).unwrap();
        App {
            rt,
            router,
            _dir: dir,
        }
    })
}

/// A GET through the router: status and body.
fn get(uri: &str, accept: &str) -> (StatusCode, String) {
    let app = app();
    let mut req = Request::get(uri)
        .header("accept", accept)
        .body(Body::empty())
        .unwrap();
    // what the server's accept loop attaches to every request
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    app.rt.block_on(async {
        let res = app.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    })
}

/// The `prepared` time of SDMX messages, the one thing that differs per run.
fn without_prepared(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find("<mes:Prepared>") {
        let j = rest[i..]
            .find("</mes:Prepared>")
            .map_or(rest.len(), |j| i + j);
        out.push_str(&rest[..i]);
        out.push_str("<mes:Prepared>[prepared]");
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_openapi_document() {
    let (status, body) = get("/api/v1/openapi.json", "application/json");
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    insta::assert_snapshot!("openapi", serde_json::to_string_pretty(&doc).unwrap());
}

/// A client generator needs a type for every answer: no success response of
/// the API is declared with an empty schema, and every `$ref` resolves.
#[test]
fn every_answer_of_the_api_has_a_type() {
    let (_, body) = get("/api/v1/openapi.json", "application/json");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut untyped = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                for (media, content) in resp["content"].as_object().into_iter().flatten() {
                    let schema = &content["schema"];
                    let empty = schema.as_object().is_none_or(|o| o.is_empty());
                    if status.starts_with('2') && media == "application/json" && empty {
                        untyped.push(format!("{method} {path} {status}"));
                    }
                }
            }
        }
    }
    assert!(untyped.is_empty(), "answers without a type: {untyped:#?}");
    fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(|r| r.as_str()) {
                    out.push(r);
                }
                o.values().for_each(|x| refs(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = vec![];
    refs(&doc, &mut all);
    assert!(all.len() > 30, "{} references", all.len());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(r);
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} is referred to but not defined"
        );
    }
}

#[test]
fn the_sdmx_structures_and_a_data_message() {
    let (status, body) = get(
        "/sdmx/v1/dataflow/SOLIEU/DF_SOLIEU/1.0?references=all",
        "application/vnd.sdmx.structure+xml;version=2.1",
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<str:Codelist"), "{body}");
    insta::assert_snapshot!("sdmx21_dataflow_all", without_prepared(&body));
    let (status, body) = get(
        "/sdmx/v1/data/DF_SOLIEU/M.RETAIL_GOODS+EXPORTS.79.VALUE._T._T._T._T._T._T?startPeriod=2020-08&endPeriod=2020-10",
        "application/vnd.sdmx.genericdata+xml;version=2.1",
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    insta::assert_snapshot!("sdmx21_generic_data_79", without_prepared(&body));
    let (status, body) = get(
        "/sdmx/v1/data/DF_SOLIEU/M.RETAIL_GOODS+EXPORTS.79.VALUE._T._T._T._T._T._T?startPeriod=2020-08&endPeriod=2020-10",
        "application/vnd.sdmx.data+csv;version=2.0.0",
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    insta::assert_snapshot!("sdmx_csv2_data_79", body);
}

//! The query strings of the HTTP API: every read route of `solieu serve`
//! (JSON API and SDMX REST), run in-process over a demo store with any query
//! string. Whatever the parameters: an answer, never a panic, and never a 500
//! (a bad parameter is the client's 4xx).
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const ROUTES: [&str; 16] = [
    "/api/v1/observations",
    "/api/v1/figures",
    "/api/v1/areas",
    "/api/v1/indicators",
    "/api/v1/plans",
    "/api/v1/report",
    "/api/v1/export",
    "/api/v1/rounds",
    "/api/v1/forms",
    "/api/v1/tasks",
    "/api/v1/validation",
    "/sdmx/v1/data/DF_SOLIEU/M.RETAIL_GOODS.79.",
    "/sdmx/v1/dataflow/SOLIEU/DF_SOLIEU/1.0",
    "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/1.0/M.RETAIL_GOODS+EXPORTS.79.",
    "/sdmx/v2/structure/dataflow/SOLIEU/DF_SOLIEU/1.0",
    "/",
];

struct App {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let mut store = solieu_store::SqliteStore::create(&data).expect("store");
        solieu_app::demo::load(&mut store).expect("demo");
        drop(store);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let cfg = solieu_server::Config {
            store: solieu_store::Location::Dir(data.clone()),
            snapshot: data.join("engine.snapshot"),
            addr: "127.0.0.1:0".parse().expect("addr"),
            public: solieu_server::Public::All,
            rate: 0,
            secure_cookies: true,
            header_timeout: std::time::Duration::from_secs(10),
        };
        let router = rt.block_on(async { solieu_server::app(&cfg) }).expect("app");
        App { rt, router, _dir: dir }
    })
}

/// Bytes outside what a URI's query may hold, percent-encoded.
fn query(bytes: &[u8]) -> String {
    let mut q = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%[]".contains(&b) {
            q.push(b as char);
        } else {
            q.push_str(&format!("%{b:02X}"));
        }
    }
    q
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let route = ROUTES[usize::from(pick) % ROUTES.len()];
    let uri = format!("{route}?{}", query(rest));
    let Ok(mut req) = axum::http::Request::get(&uri).body(axum::body::Body::empty()) else {
        return;
    };
    // what the server's accept loop attaches to every request
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let app = app();
    let status = app
        .rt
        .block_on(app.router.clone().oneshot(req))
        .expect("infallible")
        .status();
    assert!(status.as_u16() != 500, "{uri}: 500");
});

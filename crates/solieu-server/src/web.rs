//! The web UI: server-rendered pages (minijinja, the same engine and number
//! filters as the reports; charts as SVG from `solieu_report::chart`) with
//! one small script of our own for the actions, which call the JSON API
//! with the session's CSRF token. Every asset is embedded (rust-embed);
//! nothing is loaded from elsewhere, and the Content-Security-Policy says so.
//!
//! Pages: overview (key indicators as cards, the report's sections, the
//! region's provinces side by side), indicator (charts, areas, revisions,
//! rules), reporting (a unit's forms; an analyst's completeness matrix),
//! entry (the data-entry grid and the Excel upload of a round), tasks, the
//! report, login. Vietnamese by default, English by `?lang=en` (kept in a
//! cookie). The server refuses what a page does not offer anyway.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Datelike;
use minijinja::Environment;
use serde::Deserialize;
use serde_json::{json, Value};
use solieu_engine::{Derived, Engine, Figure, Flags, Options, Query as EQuery};
use solieu_model::{Period, Status};
use solieu_report::numfmt::{self, Lang};
use solieu_store::{ObsQuery, Role};

use super::auth::{self, read_as_of, Principal};
use super::AppState;
use solieu_app::Code;

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Assets;

/// The policy of every page: our own script and styles only.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The language cookie.
const LANG_COOKIE: &str = "solieu_lang";

fn environment(lang: Lang) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_loader(|name| {
        Ok(Assets::get(&format!("templates/{name}"))
            .map(|f| String::from_utf8_lossy(&f.data).into_owned()))
    });
    solieu_report::add_filters(&mut env, lang);
    env
}

fn env(lang: Lang) -> &'static Environment<'static> {
    static VI: OnceLock<Environment<'static>> = OnceLock::new();
    static EN: OnceLock<Environment<'static>> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| environment(Lang::Vi)),
        Lang::En => EN.get_or_init(|| environment(Lang::En)),
    }
}

/// The words of the pages, in both languages: (key, Vietnamese, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("app", "Hệ thống thông tin kinh tế - xã hội", "Socio-economic information system"),
    ("overview", "Tổng quan", "Overview"),
    ("indicator", "Chỉ tiêu", "Indicator"),
    ("reporting", "Báo cáo số liệu", "Reporting"),
    ("tasks", "Nhiệm vụ", "Tasks"),
    ("report", "Báo cáo", "Report"),
    ("login", "Đăng nhập", "Sign in"),
    ("logout", "Đăng xuất", "Sign out"),
    ("name", "Tên đăng nhập", "User name"),
    ("password", "Mật khẩu", "Password"),
    ("area", "Địa bàn", "Area"),
    ("period", "Kỳ", "Period"),
    ("show", "Xem", "Show"),
    ("month", "Tháng", "Month"),
    ("cumulative", "Lũy kế", "Year to date"),
    ("yoy", "so với cùng kỳ", "on a year earlier"),
    ("plan", "kế hoạch", "of plan"),
    ("status", "Trạng thái", "Status"),
    ("status_E", "ước tính", "estimate"),
    ("status_P", "sơ bộ", "preliminary"),
    ("status_A", "chính thức", "final"),
    ("comparable", "Số liệu kỳ trước của địa bàn mới được tính trên cùng phạm vi địa giới (cộng các đơn vị trước sáp nhập).", "Earlier figures of a new area are on its present boundaries (the sum of the areas it merged)."),
    ("peers", "Các địa phương trong vùng", "The region's provinces"),
    ("by", "Theo", "By"),
    ("formula", "Công thức tính", "Formula"),
    ("avg_growth", "Bình quân", "Average over"),
    ("per_year", "/năm", " a year"),
    ("plan_period", "kế hoạch giai đoạn", "the plan for"),
    ("on_track", "đạt mục tiêu", "on track"),
    ("below_target", "thấp hơn mục tiêu", "below target"),
    ("formula_note", "Chỉ tiêu tính từ các chỉ tiêu khác, cho mọi địa bàn và kỳ (một vùng: tổng tử số chia tổng mẫu số); không lưu trữ.", "Computed from other indicators for every area and period (a region: the sum of numerators over the sum of denominators); never stored."),
    ("sort_by", "Sắp xếp theo", "Sort by"),
    ("value", "Giá trị", "Value"),
    ("share", "Tỷ trọng (%)", "Share (%)"),
    ("rank", "Xếp hạng", "Rank"),
    ("growth", "Tăng/giảm so với cùng kỳ (%)", "Change on a year earlier (%)"),
    ("revisions", "Lịch sử điều chỉnh", "Revisions"),
    ("recorded", "Thời điểm ghi", "Recorded"),
    ("submitter", "Người gửi", "Submitted by"),
    ("source", "Nguồn", "Source"),
    ("rules", "Quy tắc kiểm tra", "Validation rules"),
    ("violations", "Vi phạm", "Violations"),
    ("none", "Không có", "None"),
    ("forms", "Biểu mẫu phải báo cáo", "Forms owed"),
    ("deadline", "Hạn nộp", "Due"),
    ("enter", "Nhập số liệu", "Enter figures"),
    ("save_draft", "Lưu nháp", "Save draft"),
    ("admin", "Quản trị", "Administration"),
    (
        "pulls",
        "Các lần kéo số liệu từ máy chủ SDMX",
        "Pulls from SDMX endpoints",
    ),
    ("outcome", "Kết quả", "Outcome"),
    ("endpoint", "Nguồn", "Endpoint"),
    ("detail", "Chi tiết", "Detail"),
    ("pull_ok", "Thành công", "Succeeded"),
    ("pull_failed", "Thất bại", "Failed"),
    (
        "download_form",
        "Tải biểu mẫu Excel để điền",
        "Download the form as an Excel workbook to fill in",
    ),
    ("submit", "Gửi báo cáo", "Submit"),
    ("approve", "Phê duyệt", "Approve"),
    ("return", "Trả lại", "Return"),
    ("lock", "Khóa sổ", "Lock"),
    ("comment", "Ý kiến", "Comment"),
    ("late", "Trễ hạn", "Late"),
    ("completeness", "Mức độ đầy đủ", "Completeness"),
    ("timeliness", "Đúng hạn", "Timeliness"),
    ("unit", "Đơn vị", "Unit"),
    ("last_year", "Cùng kỳ năm trước", "A year earlier"),
    ("stored", "Đã ghi nhận", "Stored"),
    ("note", "Ghi chú", "Note"),
    ("upload", "Tải lên tệp Excel", "Upload an Excel file"),
    ("upload_help", "Tệp được kiểm tra trước; chưa ghi gì cho đến khi bấm Ghi số liệu.", "The file is checked first; nothing is written until you press Write."),
    ("write", "Ghi số liệu", "Write"),
    ("preview", "Xem trước", "Preview"),
    ("errors", "Lỗi", "Errors"),
    ("overdue", "Quá hạn", "Overdue"),
    ("due_soon", "Sắp đến hạn", "Due soon"),
    ("progress", "Tiến độ", "Progress"),
    ("document", "Văn bản giao", "Assigned by"),
    ("new_task", "Giao nhiệm vụ mới", "Assign a new task"),
    ("title", "Nội dung", "Title"),
    ("create", "Tạo", "Create"),
    ("update", "Cập nhật", "Update"),
    ("language", "English", "Tiếng Việt"),
    ("format", "Định dạng", "Format"),
    ("download", "Tải về", "Download"),
    ("scope", "Phạm vi", "Scope"),
    ("all_data", "toàn bộ số liệu", "all data"),
    ("no_data", "Chưa có số liệu cho kỳ này.", "No figures for this period yet."),
    ("unknown_area", "Không có địa bàn mã", "There is no area with the code"),
    ("unknown_indicator", "Không có chỉ tiêu mã", "There is no indicator with the code"),
    ("unknown_form", "Không có biểu mẫu mã", "There is no form with the code"),
    ("bad_period", "Kỳ không hợp lệ (ví dụ đúng: 2026-10):", "Not a period (for example 2026-10):"),
    ("saved", "Đã lưu nháp.", "Draft saved."),
    ("submitted", "Đã gửi báo cáo.", "Submitted."),
    ("fix_errors", "Có lỗi, chưa ghi gì. Xem thông báo tại từng ô.", "There are errors; nothing was written. See the message at each cell."),
    ("this_year", "Năm nay", "This year"),
    ("previous_year", "Năm trước", "Last year"),
    ("round_status", "Tình trạng", "Round"),
    ("rs_missing", "chưa nộp", "missing"),
    ("rs_draft", "đang nhập", "draft"),
    ("rs_submitted", "đã gửi", "submitted"),
    ("rs_approved", "đã duyệt", "approved"),
    ("rs_locked", "đã khóa", "locked"),
    ("ts_open", "chưa thực hiện", "open"),
    ("ts_in_progress", "đang thực hiện", "in progress"),
    ("ts_done", "hoàn thành", "done"),
    ("ts_cancelled", "đã hủy", "cancelled"),
];

fn words(lang: Lang) -> Value {
    let vi = lang == Lang::Vi;
    Value::Object(
        WORDS
            .iter()
            .map(|(k, v, e)| (k.to_string(), json!(if vi { v } else { e })))
            .collect(),
    )
}

/// "There is no area with the code X", in the page's language.
fn unknown(pg: &Page, what: &str, code: &str) -> String {
    format!("{} {code}", words(pg.lang)[what].as_str().unwrap_or(what))
}

/// The caller, the language and the session's CSRF token.
struct Page {
    p: Principal,
    lang: Lang,
    csrf: Option<String>,
    /// This page in the other language.
    switch: String,
}

fn page(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    lang_q: Option<&str>,
    uri: &axum::http::Uri,
) -> Result<Page, Redirect> {
    let p = match auth::principal(state, headers, &Method::GET, peer) {
        Ok(p) => p,
        // an ended session: sign in again
        Err(_) => return Err(Redirect::to("/login")),
    };
    let cookie_lang = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .map(|(_, v)| v.to_string());
    let lang = lang_q
        .or(cookie_lang.as_deref())
        .and_then(Lang::parse)
        .unwrap_or(Lang::Vi);
    let csrf = match auth::session_cookie(headers) {
        Some(sid) => state
            .store()
            .ok()
            .and_then(|s| {
                s.session(
                    &solieu_app::accounts::token_hash(sid),
                    solieu_store::now_micros(),
                )
                .ok()
            })
            .flatten()
            .map(|(_, c)| c),
        None => None,
    };
    let other = if lang == Lang::Vi { "en" } else { "vi" };
    let mut query: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
        .map(str::to_string)
        .collect();
    query.push(format!("lang={other}"));
    let switch = format!("{}?{}", uri.path(), query.join("&"));
    Ok(Page {
        p,
        lang,
        csrf,
        switch,
    })
}

fn render(pg: &Page, name: &str, active: &str, mut ctx: Value) -> Response {
    let user = pg.p.account.as_ref().map(|a| {
        json!({"name": a.name, "role": a.role.as_str(), "areas": a.areas, "indicators": a.indicators,
               "staff": matches!(a.role, Role::Admin | Role::Analyst),
               "writer": matches!(a.role, Role::Admin | Role::Analyst | Role::Reporter)})
    });
    if let Value::Object(m) = &mut ctx {
        m.insert("t".into(), words(pg.lang));
        m.insert("lang".into(), json!(pg.lang.code()));
        m.insert(
            "other_lang".into(),
            json!(if pg.lang == Lang::Vi { "en" } else { "vi" }),
        );
        m.insert("switch".into(), json!(pg.switch));
        m.insert("user".into(), json!(user));
        m.insert("csrf".into(), json!(pg.csrf));
        m.insert("active".into(), json!(active));
    }
    let html = env(pg.lang).get_template(name).and_then(|t| t.render(&ctx));
    match html {
        Ok(h) => html_response(StatusCode::OK, h),
        Err(e) => {
            tracing::error!("template {name}: {e:#}");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!DOCTYPE html><title>solieu</title><p>internal error</p>".into(),
            )
        }
    }
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    // `no-referrer` would make the browser send `Origin: null` with the
    // pages' own form posts, which the sign-in check refuses
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

fn error_page(pg: &Page, status: StatusCode, message: &str) -> Response {
    let mut r = render(pg, "error.html", "", json!({"message": message}));
    *r.status_mut() = status;
    r
}

/// The time a page reads as of, with the engine options: what the caller
/// may read (anonymous readers: the latest release), else a sign-in.
fn reading(
    state: &AppState,
    pg: &Page,
    next: &str,
) -> Result<(Option<i64>, Options), Box<Response>> {
    let as_of = read_as_of(state, &pg.p, None).map_err(|_| Box::new(login_redirect(next)))?;
    Ok((
        as_of,
        Options {
            as_of,
            ..Options::default()
        },
    ))
}

impl axum::extract::FromRequestParts<Arc<AppState>> for Page {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)), |c| c.0);
        let lang = parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .map(str::to_string);
        page(state, &parts.headers, peer, lang.as_deref(), &parts.uri)
            .map_err(IntoResponse::into_response)
    }
}

fn login_redirect(next: &str) -> Response {
    let next: String = next
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "/?&=-_.%,".contains(*c))
        .collect();
    Redirect::to(&format!("/login?next={}", pct_encode(&next))).into_response()
}

fn pct_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The pages and the assets.
pub fn routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/overview") }))
        .route(
            "/favicon.ico",
            get(|| async { Redirect::permanent("/static/favicon.svg") }),
        )
        .route("/static/{*path}", get(asset))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/overview", get(overview))
        .route("/indicator/{code}", get(indicator))
        .route("/reporting", get(reporting))
        .route("/entry/{form}/{unit}/{period}", get(entry))
        .route("/tasks", get(tasks))
        .route("/reports", get(reports))
        .route("/admin", get(admin))
        .with_state(state)
}

async fn asset(Path(path): Path<String>) -> Response {
    let Some(f) = Assets::get(&format!("static/{path}")) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let media = match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, media),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        f.data.into_owned(),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct LangQ {
    lang: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

async fn login_page(pg: Page, Query(q): Query<LangQ>) -> Response {
    let mut r = render(
        &pg,
        "login.html",
        "login",
        json!({"next": q.next.unwrap_or_else(|| "/overview".into()), "failed": q.error.is_some(),
            "locked": q.error.as_deref() == Some("locked")}),
    );
    remember_lang(&mut r, q.lang.as_deref());
    r
}

fn remember_lang(r: &mut Response, lang: Option<&str>) {
    if let Some(l) = lang.and_then(Lang::parse) {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            l.code()
        )) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

/// Signs in from the form; a cross-site form cannot (the Origin must be ours).
async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site sign-in refused").into_response();
    }
    let next = f
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/overview".into());
    let origin = format!("web login from {peer}");
    let out = state
        .blocking(move |st| auth::sign_in(st, &f.name, &f.password, &origin))
        .await;
    match out {
        Ok(Some(done)) => {
            let mut r = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&done.cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) if e.code == Code::RateLimited => {
            Redirect::to(&format!("/login?error=locked&next={}", pct_encode(&next))).into_response()
        }
        _ => Redirect::to(&format!("/login?error=1&next={}", pct_encode(&next))).into_response(),
    }
}

fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()),
        host,
    ) {
        (None, _) => true,
        (Some(o), Some(h)) => o.split_once("://").is_some_and(|(_, rest)| rest == h),
        _ => false,
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Ok(pg) = page(
        &state,
        &headers,
        peer,
        None,
        &axum::http::Uri::from_static("/"),
    ) {
        if let (Some(sid), Some(csrf), Some(_)) =
            (auth::session_cookie(&headers), &pg.csrf, &pg.p.account)
        {
            if csrf == &f.csrf {
                if let Ok(mut s) = state.store() {
                    let _ = s.end_session(&solieu_app::accounts::token_hash(sid), pg.p.actor());
                }
            }
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("solieu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

#[derive(Deserialize, Default)]
struct AreaQ {
    area: Option<String>,
    period: Option<String>,
    lang: Option<String>,
    format: Option<String>,
    form: Option<String>,
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// A breakdown's order: `value` (the default) or `growth`.
    sort: Option<String>,
}

/// The month asked, else the latest month (within three years) with figures
/// for the area.
/// A period asked for that is not a month is said so, not silently replaced.
fn check_month(pg: &Page, asked: Option<&str>) -> Result<(), Box<Response>> {
    match asked {
        Some(a) if !matches!(Period::parse(a), Ok(Period::Month(..))) => Err(Box::new(error_page(
            pg,
            StatusCode::BAD_REQUEST,
            &unknown(pg, "bad_period", a),
        ))),
        _ => Ok(()),
    }
}

fn month_of(engine: &Engine, area: &str, asked: Option<&str>, opts: &Options) -> Option<(i32, u8)> {
    if let Some(Ok(Period::Month(y, m))) = asked.map(Period::parse) {
        return Some((y, m));
    }
    let today = super::work::today();
    let mut p = Period::Month(today.year(), today.month() as u8);
    let probes: Vec<&str> = [
        "RETAIL_GOODS",
        "RETAIL_TOTAL",
        "EXPORTS",
        "IIP",
        "BUDGET_REVENUE",
    ]
    .into_iter()
    .filter(|i| engine.indicator(i).is_some())
    .collect();
    let probes: Vec<&str> = if probes.is_empty() {
        engine
            .indicators()
            .iter()
            .take(5)
            .map(|i| i.code.as_str())
            .collect()
    } else {
        probes
    };
    for _ in 0..120 {
        let key = engine.registry().version_for(area, p)?.key.clone();
        for ind in &probes {
            if fig(engine, ind, &key, p, Derived::Value, opts)
                .value
                .is_some()
            {
                if let Period::Month(y, m) = p {
                    return Some((y, m));
                }
            }
        }
        p = solieu_engine::rules::shift(p, -1)?;
    }
    None
}

fn fig(engine: &Engine, ind: &str, key: &str, p: Period, m: Derived, opts: &Options) -> Figure {
    engine
        .eval(
            &EQuery {
                indicator: ind,
                area: key,
                dims: "",
                period: p,
                measure: m,
            },
            opts,
        )
        .unwrap_or_else(|_| Figure::absent(solieu_engine::Why::NoData))
}

fn status_code(s: Status) -> &'static str {
    s.code()
}

/// The key indicators shown as cards, in order, when they have figures.
const CARDS: [&str; 10] = [
    "GRDP_CONST",
    "IIP",
    "RETAIL_TOTAL",
    "RETAIL_GOODS",
    "EXPORTS",
    "IMPORTS",
    "CPI",
    "BUDGET_REVENUE",
    "INVESTMENT_STATE_BUDGET",
    "FDI_REGISTERED",
];

fn default_area(engine: &Engine, p: &Principal) -> String {
    if let Some(a) = p.account.as_ref().and_then(|a| a.areas.first()) {
        return a.clone();
    }
    if !engine.registry().versions("79").is_empty() {
        return "79".into();
    }
    engine
        .registry()
        .all()
        .iter()
        .find(|a| a.level == solieu_model::Level::Province)
        .map_or_else(String::new, |a| a.code.clone())
}

fn area_options(engine: &Engine, day: chrono::NaiveDate, lang: Lang) -> Vec<Value> {
    let mut v: Vec<&solieu_model::Area> = engine
        .registry()
        .all()
        .iter()
        .filter(|a| a.valid_on(day))
        .filter(|a| {
            !matches!(
                a.level,
                solieu_model::Level::Commune | solieu_model::Level::District
            )
        })
        .collect();
    v.sort_by(|a, b| {
        (
            a.level.as_str() != "nation",
            a.level.as_str() != "region",
            &a.code,
        )
            .cmp(&(
                b.level.as_str() != "nation",
                b.level.as_str() != "region",
                &b.code,
            ))
    });
    v.iter()
        .map(|a| json!({"code": a.code, "name": if lang == Lang::Vi { &a.name_vi } else { &a.name_en }}))
        .collect()
}

fn name_of(engine: &Engine, key: &str, lang: Lang) -> String {
    engine.registry().by_key(key).map_or(key.to_string(), |a| {
        if lang == Lang::Vi {
            a.name_vi.clone()
        } else {
            a.name_en.clone()
        }
    })
}

fn ind_name(engine: &Engine, code: &str, lang: Lang) -> String {
    engine.indicator(code).map_or(code.to_string(), |i| {
        if lang == Lang::Vi || i.name_en.is_empty() {
            i.name_vi.clone()
        } else {
            i.name_en.clone()
        }
    })
}

fn change_text(v: f64, lang: Lang) -> String {
    numfmt::change(v, 1, lang)
}

/// The peers of an area on a day: its region's members, or, for a region,
/// its own members.
fn peers(engine: &Engine, key: &str, day: chrono::NaiveDate) -> (Option<String>, Vec<String>) {
    let reg = engine.registry();
    let own = reg.members_on(key, day);
    if !own.is_empty() {
        return (
            Some(key.to_string()),
            own.iter().map(|a| a.key.clone()).collect(),
        );
    }
    for m in reg.memberships() {
        let valid = m.valid_from.is_none_or(|f| f <= day) && m.valid_to.is_none_or(|t| day <= t);
        if m.member == key && valid {
            return (
                Some(m.region.clone()),
                reg.members_on(&m.region, day)
                    .iter()
                    .map(|a| a.key.clone())
                    .collect(),
            );
        }
    }
    (None, vec![])
}

async fn overview(
    State(state): State<Arc<AppState>>,
    pg: Page,
    Query(q): Query<AreaQ>,
) -> Response {
    let (as_of, opts) = match reading(&state, &pg, "/overview") {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Err(r) = check_month(&pg, q.period.as_deref()) {
        return *r;
    }
    let Ok(engine) = state.engine() else {
        return error_page(&pg, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    };
    let area = q
        .area
        .clone()
        .unwrap_or_else(|| default_area(&engine, &pg.p));
    let lang = pg.lang;
    let Some((year, month)) = month_of(&engine, &area, q.period.as_deref(), &opts) else {
        let msg = if engine.registry().versions(&area).is_empty() {
            unknown(&pg, "unknown_area", &area)
        } else {
            words(lang)["no_data"].as_str().unwrap_or("").to_string()
        };
        return error_page(&pg, StatusCode::NOT_FOUND, &msg);
    };
    let p = Period::Month(year, month);
    let Some(key) = engine
        .registry()
        .version_for(&area, p)
        .map(|a| a.key.clone())
    else {
        return error_page(
            &pg,
            StatusCode::NOT_FOUND,
            &unknown(&pg, "unknown_area", &area),
        );
    };
    let day = p.end_date();
    let mut comparable = false;
    let mut cards = vec![];
    for code in CARDS {
        let Some(ind) = engine.indicator(code) else {
            continue;
        };
        let value = fig(&engine, code, &key, p, Derived::Value, &opts);
        let cum = fig(&engine, code, &key, p, Derived::Cumulative, &opts);
        let Some(main) = value.value.or(cum.value) else {
            continue;
        };
        let show_cum = value.value.is_none();
        let yoy = fig(
            &engine,
            code,
            &key,
            p,
            if show_cum {
                Derived::CumulativeYoyPct
            } else {
                Derived::YoyPct
            },
            &opts,
        );
        let cum_yoy = fig(&engine, code, &key, p, Derived::CumulativeYoyPct, &opts);
        let plan = fig(&engine, code, &key, p, Derived::PlanPct, &opts);
        let shown = if show_cum { &cum } else { &value };
        comparable |= shown.flags.has(Flags::COMPARABLE) || yoy.flags.has(Flags::COMPARABLE);
        // on the area's present territory (a merged province: the sum of its predecessors)
        let spark: Vec<Option<f64>> = (0..13)
            .rev()
            .map(|k| {
                let pk = solieu_engine::rules::shift(p, -k)?;
                fig(&engine, code, &key, pk, Derived::Value, &opts).value
            })
            .collect();
        let name = ind_name(&engine, code, lang);
        let (num, unit) = numfmt::level(main, &ind.unit.label, ind.decimals as usize, lang);
        cards.push(json!({
            "code": code, "name": name, "value": num, "unit": unit,
            "basis": if show_cum { "cumulative" } else { "month" },
            "yoy": yoy.value.map(|v| change_text(v, lang)),
            "yoy_dir": yoy.value.map(|v| if v > 0.05 { "up" } else if v < -0.05 { "down" } else { "flat" }),
            "cum_yoy": if show_cum { None } else { cum_yoy.value.map(|v| change_text(v, lang)) },
            "plan_pct": plan.value.map(|v| numfmt::number(v, 1, lang)),
            "status": status_code(shown.status),
            "spark": solieu_report::chart::sparkline(&spark, &name),
        }));
    }
    // the report's sections, with every indicator that has figures
    let report = solieu_report::build(
        &engine,
        &solieu_report::Request {
            area: area.clone(),
            year,
            month,
            lang,
            as_of,
            as_of_label: None,
            sources: false,
            tasks: vec![],
        },
    )
    .ok();
    if let Some(r) = &report {
        comparable |= r.sections.iter().flat_map(|s| &s.items).any(|i| {
            [&i.month, &i.cumulative, &i.yoy, &i.cumulative_yoy]
                .iter()
                .any(|n| n.as_ref().is_some_and(|n| n.comparable))
        });
    }
    // the region's provinces side by side: year-to-date growth of the card indicators
    let (region, members) = peers(&engine, &key, day);
    let cols: Vec<&str> = cards
        .iter()
        .filter_map(|c| c["code"].as_str())
        .take(5)
        .collect();
    let peer_rows: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({
                "code": engine.registry().by_key(m).map_or(m.clone(), |a| a.code.clone()),
                "name": name_of(&engine, m, lang),
                "current": m == &key,
                "values": cols.iter().map(|c| fig(&engine, c, m, Period::Cumulative(year, month), Derived::CumulativeYoyPct, &opts)
                    .value.map(|v| change_text(v, lang))).collect::<Vec<_>>(),
            })
        })
        .collect();
    let months: Vec<Value> = (0..24)
        .filter_map(|k| solieu_engine::rules::shift(p, 6 - k))
        .map(|x| json!({"value": x.to_string(), "label": numfmt::period(x, lang), "selected": x == p}))
        .collect();
    let ctx = json!({
        "area": area, "area_name": name_of(&engine, &key, lang), "year": year, "month": month,
        "period": p.to_string(), "period_label": numfmt::period(p, lang),
        "cumulative_label": report.as_ref().map(|r| r.cumulative_label.clone()),
        "cards": cards, "sections": report.as_ref().map(|r| &r.sections), "comparable": comparable,
        "region": region.map(|r| name_of(&engine, &r, lang)),
        "peer_cols": cols.iter().map(|c| ind_name(&engine, c, lang)).collect::<Vec<_>>(),
        "peers": peer_rows, "areas": area_options(&engine, day, lang), "months": months,
        "as_of": as_of.map(|t| solieu_app::timefmt::for_people(t, lang == Lang::Vi)),
    });
    drop(engine);
    let mut r = render(&pg, "overview.html", "overview", ctx);
    remember_lang(&mut r, q.lang.as_deref());
    r
}

async fn indicator(
    State(state): State<Arc<AppState>>,
    pg: Page,
    Path(code): Path<String>,
    Query(q): Query<AreaQ>,
) -> Response {
    let (as_of, opts) = match reading(&state, &pg, &format!("/indicator/{code}")) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Err(r) = check_month(&pg, q.period.as_deref()) {
        return *r;
    }
    let lang = pg.lang;
    let code = code.to_ascii_uppercase();
    let (ctx, area, period) = {
        let Ok(engine) = state.engine() else {
            return error_page(&pg, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        };
        let Some(ind) = engine.indicator(&code).cloned() else {
            return error_page(
                &pg,
                StatusCode::NOT_FOUND,
                &unknown(&pg, "unknown_indicator", &code),
            );
        };
        let area = q
            .area
            .clone()
            .unwrap_or_else(|| default_area(&engine, &pg.p));
        let Some((year, month)) = month_of(&engine, &area, q.period.as_deref(), &opts) else {
            return error_page(
                &pg,
                StatusCode::NOT_FOUND,
                words(lang)["no_data"].as_str().unwrap_or(""),
            );
        };
        let p = Period::Month(year, month);
        let Some(key) = engine
            .registry()
            .version_for(&area, p)
            .map(|a| a.key.clone())
        else {
            return error_page(
                &pg,
                StatusCode::NOT_FOUND,
                &unknown(&pg, "unknown_area", &area),
            );
        };
        let series = |y: i32, m: Derived| -> Vec<Option<f64>> {
            (1..=12u8)
                .map(|mm| fig(&engine, &code, &key, Period::Month(y, mm), m, &opts).value)
                .collect()
        };
        let months: Vec<String> = (1..=12).map(|m| format!("T{m}")).collect();
        let w = words(lang);
        let label = |k: &str| w[k].as_str().unwrap_or("").to_string();
        let (ty, ly) = (
            format!("{} {year}", label("this_year")),
            format!("{} {}", label("previous_year"), year - 1),
        );
        let unit = numfmt::level(0.0, &ind.unit.label, 0, lang).1;
        // this year against last, of a measure
        let chart = |title: String, m: Derived| {
            solieu_report::chart::lines(
                &title,
                &months,
                &[
                    solieu_report::chart::Line {
                        name: &ty,
                        color: "#2f6f9f",
                        dashed: false,
                        values: series(year, m),
                    },
                    solieu_report::chart::Line {
                        name: &ly,
                        color: "#8a8a8a",
                        dashed: true,
                        values: series(year - 1, m),
                    },
                ],
                ind.decimals as usize,
                &unit,
                lang,
            )
        };
        let name = ind_name(&engine, &code, lang);
        let month_chart = chart(format!("{name} ({unit})"), Derived::Value);
        let cum_chart = chart(
            format!("{name} — {} ({unit})", label("cumulative")),
            Derived::Cumulative,
        );
        let day = p.end_date();
        let (_, members) = peers(&engine, &key, day);
        let cp = Period::Cumulative(year, month);
        let mut rows: Vec<Value> = members
            .iter()
            .map(|m| {
                let v = fig(&engine, &code, m, cp, Derived::Value, &opts);
                json!({
                    "code": engine.registry().by_key(m).map_or(m.clone(), |a| a.code.clone()),
                    "name": name_of(&engine, m, lang), "current": m == &key,
                    "value": v.value.map(|x| numfmt::number(x, ind.decimals as usize, lang)),
                    "share": fig(&engine, &code, m, cp, Derived::SharePct, &opts).value.map(|x| numfmt::number(x, 1, lang)),
                    "rank": fig(&engine, &code, m, cp, Derived::Rank, &opts).value.map(|x| x as i64),
                    "growth": fig(&engine, &code, m, cp, Derived::CumulativeYoyPct, &opts).value.map(|x| change_text(x, lang)),
                })
            })
            .collect();
        rows.sort_by_key(|r| r["rank"].as_i64().unwrap_or(i64::MAX));
        // its breakdowns (product groups, markets …): a table and bars, by
        // value or by growth
        let by_growth = q.sort.as_deref() == Some("growth");
        let parts =
            solieu_report::breakdowns(&engine, &ind, &key, p, lang, &opts).unwrap_or_default();
        let breakdowns: Vec<Value> = parts
            .into_iter()
            .map(|mut b| {
                let size = |x: &solieu_report::Part| x.cumulative.as_ref().or(x.month.as_ref()).map_or(f64::MIN, |n| n.value);
                let growth = |x: &solieu_report::Part| x.cumulative_yoy.as_ref().map_or(f64::MIN, |n| n.value);
                if by_growth {
                    b.parts.sort_by(|a, c| growth(c).total_cmp(&growth(a)));
                }
                let bars: Vec<(&str, f64, usize)> = b
                    .parts
                    .iter()
                    .filter_map(|x| {
                        if by_growth {
                            x.cumulative_yoy.as_ref().map(|n| (x.label.as_str(), n.value, 1))
                        } else {
                            x.cumulative.as_ref().map(|n| (x.label.as_str(), size(x).max(0.0), n.decimals))
                        }
                    })
                    .collect();
                let chart = solieu_report::chart::bars(&bars, if by_growth { "%" } else { "" }, lang);
                json!({
                    "list": b.list, "noun": b.noun, "chart": chart,
                    "rows": b.parts.iter().map(|x| json!({
                        "label": x.label, "other": x.other,
                        "month": x.month.as_ref().map(|n| numfmt::number(n.value, ind.decimals as usize, lang)),
                        "cumulative": x.cumulative.as_ref().map(|n| numfmt::number(n.value, ind.decimals as usize, lang)),
                        "share": x.share.as_ref().map(|n| numfmt::number(n.value, 1, lang)),
                        "growth": x.cumulative_yoy.as_ref().map(|n| change_text(n.value, lang)),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let ctx = json!({
            "breakdowns": breakdowns, "sort": if by_growth { "growth" } else { "value" },
            "code": code, "name": ind_name(&engine, &code, lang), "unit": unit,
            "area": area, "area_name": name_of(&engine, &key, lang), "period": p.to_string(),
            "period_label": numfmt::period(p, lang), "cum_label": numfmt::period(cp, lang),
            "month_chart": month_chart, "cum_chart": cum_chart, "rows": rows,
            "areas": area_options(&engine, day, lang),
        });
        (ctx, key, p)
    };
    // revisions of the month's value, and the rules reading the indicator
    let mut ctx = ctx;
    let history = state.store().ok().and_then(|s| {
        s.history(&ObsQuery {
            indicators: vec![code.clone()],
            areas: vec![area.clone()],
            periods: vec![period],
            measures: vec![],
            as_of,
        })
        .ok()
    });
    let hist: Vec<Value> = history
        .unwrap_or_default()
        .iter()
        .filter(|v| v.obs.dims.is_empty()) // the total's revisions, not each breakdown code's
        .rev()
        .map(|v| {
            json!({"value": numfmt::number(v.obs.value, 2, lang).trim_end_matches('0').trim_end_matches(',').trim_end_matches('.').to_string(),
                   "measure": v.obs.measure.as_str(), "status": v.obs.status.code(),
                   "recorded": solieu_app::timefmt::for_people(v.recorded_at, lang == Lang::Vi), "submitter": v.submitter,
                   "import": v.import_id, "source": v.obs.source})
        })
        .collect();
    let rules = state
        .store()
        .ok()
        .and_then(|s| s.rules().ok())
        .unwrap_or_default();
    let (compiled, _) = solieu_app::rules::compile(&rules);
    let mine: Vec<solieu_app::rules::Compiled> = compiled
        .into_iter()
        .filter(|c| c.expr.indicators().contains(&code))
        .collect();
    let violations = match state.engine() {
        Ok(engine) => {
            let code_of = engine
                .registry()
                .by_key(&area)
                .map_or(area.clone(), |a| a.code.clone());
            solieu_app::rules::run(
                &engine,
                &mine,
                &BTreeSet::from([(code_of, period)]),
                Some(&BTreeSet::from([code.clone()])),
                &opts,
            )
        }
        Err(_) => vec![],
    };
    ctx["history"] = json!(hist);
    ctx["formula"] = json!(state.engine().ok().and_then(|e| e
        .indicator(&code)
        .filter(|i| i.is_formula())
        .map(|i| i.formula.clone())));
    ctx["rules"] = json!(mine.iter().map(|c| json!({"code": c.rule.code, "expression": c.rule.expression, "severity": c.rule.severity.as_str()})).collect::<Vec<_>>());
    ctx["violations"] = json!(violations);
    render(&pg, "indicator.html", "indicator", ctx)
}

/// The administrator's page: the pulls from SDMX endpoints, the failed
/// ones first to the eye (each with the reason it wrote nothing).
async fn admin(State(state): State<Arc<AppState>>, pg: Page) -> Response {
    let Some(account) = pg.p.account.clone() else {
        return login_redirect("/admin");
    };
    if account.role != Role::Admin {
        let msg = if pg.lang == Lang::Vi {
            "Trang này dành cho quản trị viên."
        } else {
            "This page is for administrators."
        };
        return error_page(&pg, StatusCode::FORBIDDEN, msg);
    }
    let log = state
        .store()
        .ok()
        .and_then(|s| {
            s.audit_log(&solieu_store::AuditQuery {
                action: Some("pull.".into()),
                limit: 100,
                ..Default::default()
            })
            .ok()
        })
        .unwrap_or_default();
    let pulls: Vec<Value> = log
        .iter()
        .map(|e| {
            json!({
                "at": solieu_app::timefmt::for_people(e.at, pg.lang == Lang::Vi),
                "failed": e.action == "pull.failed",
                "target": e.target.strip_prefix("pull ").unwrap_or(&e.target),
                "detail": e.detail, "actor": e.actor,
            })
        })
        .collect();
    render(&pg, "admin.html", "admin", json!({ "pulls": pulls }))
}

async fn reporting(
    State(state): State<Arc<AppState>>,
    pg: Page,
    Query(q): Query<AreaQ>,
) -> Response {
    let Some(account) = pg.p.account.clone() else {
        return login_redirect("/reporting");
    };
    let forms = state
        .store()
        .ok()
        .and_then(|s| s.forms().ok())
        .unwrap_or_default();
    let staff = matches!(account.role, Role::Admin | Role::Analyst);
    // the rounds a unit owes: its forms, for the last three periods
    let mut owed = vec![];
    for f in &forms {
        let units: Vec<&String> = f
            .units
            .iter()
            .filter(|u| staff || auth::may_write(&account, u, &f.indicators))
            .collect();
        if units.is_empty() || staff {
            continue;
        }
        let today = super::work::today();
        let current = match f.frequency {
            solieu_model::Frequency::Year => Period::Year(today.year()),
            solieu_model::Frequency::Quarter => {
                Period::Quarter(today.year(), (today.month() as u8 - 1) / 3 + 1)
            }
            solieu_model::Frequency::Half => {
                Period::Half(today.year(), if today.month() <= 6 { 1 } else { 2 })
            }
            _ => Period::Month(today.year(), today.month() as u8),
        };
        for u in units {
            for k in 0..3 {
                let Some(per) = solieu_engine::rules::shift(current, -k) else {
                    continue;
                };
                let r = state
                    .store()
                    .ok()
                    .and_then(|s| s.round(&f.code, u, per).ok())
                    .unwrap_or_else(|| solieu_store::Round::missing(&f.code, u, per));
                owed.push(json!({
                    "form": f.code, "form_name": f.name, "unit": u, "period": per.to_string(),
                    "status": r.status.as_str(), "deadline": f.deadline(per).to_string(),
                    "late": r.status < solieu_store::RoundStatus::Submitted && f.deadline(per) < today,
                    "comment": r.comment,
                }));
            }
        }
    }
    // the analyst's matrix of one form
    let chosen = q
        .form
        .clone()
        .or_else(|| forms.first().map(|f| f.code.clone()));
    let matrix = match (&chosen, staff) {
        (Some(form), true) => super::work::matrix(
            &state,
            &super::work::RoundsQuery {
                form: form.clone(),
                from: q.from.clone(),
                to: q.to.clone(),
                unit: q.unit.clone(),
            },
        )
        .ok(),
        _ => None,
    };
    let ctx = json!({
        "forms": forms.iter().map(super::api::FormOut::from).collect::<Vec<_>>(),
        "owed": owed, "staff": staff, "form": chosen, "matrix": matrix,
    });
    render(&pg, "reporting.html", "reporting", ctx)
}

async fn entry(
    State(state): State<Arc<AppState>>,
    pg: Page,
    Path((form, unit, period)): Path<(String, String, String)>,
) -> Response {
    let Some(account) = pg.p.account.clone() else {
        return login_redirect(&format!("/entry/{form}/{unit}/{period}"));
    };
    let lang = pg.lang;
    let Ok(p) = Period::parse(&period) else {
        return error_page(
            &pg,
            StatusCode::BAD_REQUEST,
            &unknown(&pg, "bad_period", &period),
        );
    };
    let Some(f) = state
        .store()
        .ok()
        .and_then(|s| s.forms().ok())
        .and_then(|fs| fs.into_iter().find(|f| f.code == form))
    else {
        return error_page(
            &pg,
            StatusCode::NOT_FOUND,
            &unknown(&pg, "unknown_form", &form),
        );
    };
    if !f.units.contains(&unit) || !auth::may_write(&account, &unit, &f.indicators) {
        return error_page(&pg, StatusCode::FORBIDDEN, &format!("{unit} / {form}: ✗"));
    }
    let round = state
        .store()
        .ok()
        .and_then(|s| s.round(&f.code, &unit, p).ok())
        .unwrap_or_else(|| solieu_store::Round::missing(&f.code, &unit, p));
    let draft: Vec<Value> = round
        .draft
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let Ok(engine) = state.engine() else {
        return error_page(&pg, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    };
    let Some(key) = engine
        .registry()
        .version_for(&unit, p)
        .map(|a| a.key.clone())
    else {
        return error_page(
            &pg,
            StatusCode::NOT_FOUND,
            &unknown(&pg, "unknown_area", &unit),
        );
    };
    let opts = Options::default();
    let rows: Vec<Value> = f
        .indicators
        .iter()
        .filter_map(|code| {
            let ind = engine.indicator(code)?;
            let stored = fig(&engine, code, &key, p, Derived::Value, &opts);
            let ly = p.shift_years(-1);
            let ly_key = engine.registry().version_for(&unit, ly).map(|a| a.key.clone()).unwrap_or(key.clone());
            let last = fig(&engine, code, &ly_key, ly, Derived::Value, &opts);
            let d = draft.iter().find(|v| v["indicator"].as_str() == Some(code.as_str()));
            Some(json!({
                "code": code, "name": ind_name(&engine, code, lang),
                "unit": numfmt::level(0.0, &ind.unit.label, 0, lang).1,
                "stored": stored.value.map(|v| numfmt::number(v, ind.decimals as usize, lang)),
                "stored_status": stored.value.map(|_| stored.status.code()),
                "last_year": last.value.map(|v| numfmt::number(v, ind.decimals as usize, lang)),
                "draft": d.map(|v| match &v["value"] { Value::String(s) => s.clone(), Value::Null => String::new(), x => x.to_string() }),
                "draft_status": d.and_then(|v| v["status"].as_str().map(str::to_string)),
            }))
        })
        .collect();
    let ctx = json!({
        "form": f.code, "form_name": f.name, "unit": unit, "unit_name": name_of(&engine, &key, lang),
        "period": p.to_string(), "period_label": numfmt::period(p, lang),
        "deadline": f.deadline(p).to_string(), "status": round.status.as_str(), "comment": round.comment,
        "rows": rows, "editable": !matches!(round.status, solieu_store::RoundStatus::Approved | solieu_store::RoundStatus::Locked) || account.role == Role::Admin,
    });
    drop(engine);
    render(&pg, "entry.html", "reporting", ctx)
}

async fn tasks(State(state): State<Arc<AppState>>, pg: Page, Query(q): Query<AreaQ>) -> Response {
    let Some(account) = pg.p.account.clone() else {
        return login_redirect("/tasks");
    };
    let today = super::work::today();
    let mut list = state
        .store()
        .ok()
        .and_then(|s| s.tasks(q.unit.as_deref()).ok())
        .unwrap_or_default();
    list.sort_by_key(|t| {
        (
            !t.is_overdue(today),
            !t.status.is_pending(),
            t.deadline,
            t.id,
        )
    });
    let mut units: Vec<Value> = vec![];
    let engine = state.engine().ok();
    let mut seen: Vec<String> = vec![];
    for t in &list {
        if !seen.contains(&t.unit) {
            seen.push(t.unit.clone());
        }
    }
    for u in seen {
        let mine: Vec<Value> = list
            .iter()
            .filter(|t| t.unit == u)
            .map(|t| {
                let mut v = json!(super::api::TaskOut::new(t, today));
                v["can_update"] = json!(auth::may_write(&account, &t.unit, &[]));
                v
            })
            .collect();
        let name = engine
            .as_ref()
            .and_then(|e| {
                e.registry().resolve_on(&u, today).map(|a| {
                    if pg.lang == Lang::Vi {
                        a.name_vi.clone()
                    } else {
                        a.name_en.clone()
                    }
                })
            })
            .unwrap_or_else(|| u.clone());
        units.push(json!({"unit": u, "name": name, "tasks": mine}));
    }
    drop(engine);
    let ctx = json!({
        "groups": units, "today": today.to_string(),
        "overdue": list.iter().filter(|t| t.is_overdue(today)).count(),
        "due_soon": list.iter().filter(|t| t.is_due_soon(today, super::work::DUE_SOON_DAYS)).count(),
        "filter_unit": q.unit,
    });
    render(&pg, "tasks.html", "tasks", ctx)
}

async fn reports(State(state): State<Arc<AppState>>, pg: Page, Query(q): Query<AreaQ>) -> Response {
    let (_, opts) = match reading(&state, &pg, "/reports") {
        Ok(x) => x,
        Err(r) => return *r,
    };
    if let Err(r) = check_month(&pg, q.period.as_deref()) {
        return *r;
    }
    let Ok(engine) = state.engine() else {
        return error_page(&pg, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    };
    let area = q
        .area
        .clone()
        .unwrap_or_else(|| default_area(&engine, &pg.p));
    let (year, month) = month_of(&engine, &area, q.period.as_deref(), &opts).unwrap_or_else(|| {
        let today = super::work::today();
        (today.year(), today.month() as u8)
    });
    let p = Period::Month(year, month);
    let lang_r = q.format.as_deref().map(|_| pg.lang).unwrap_or(pg.lang);
    let months: Vec<Value> = (0..36)
        .filter_map(|k| solieu_engine::rules::shift(p, 6 - k))
        .map(|x| json!({"value": x.to_string(), "label": numfmt::period(x, pg.lang), "selected": x == p}))
        .collect();
    let ctx = json!({
        "area": area, "period": p.to_string(), "report_lang": lang_r.code(),
        "areas": area_options(&engine, p.end_date(), pg.lang), "months": months,
        "formats": solieu_app::reports::Format::NAMES,
    });
    drop(engine);
    render(&pg, "reports.html", "report", ctx)
}

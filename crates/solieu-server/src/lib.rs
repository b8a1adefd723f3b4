//! `solieu serve`: the JSON API over the same store and engine as the CLI.
//!
//! Every route is declared with `#[utoipa::path]` and registered through
//! `utoipa_axum`, so the OpenAPI document at `/api/v1/openapi.json` is made
//! from the code and covers every route. Who may do what is decided in one
//! place per route (`auth::need*`), writes are audited in the same
//! transaction as the change, the engine applies each committed import at
//! once, and errors are JSON with a stable code, a message and a request id —
//! no internals leak.
//!
//! Modules: `auth` (tokens, sessions, CSRF, roles and scopes), `data`
//! (areas, indicators, observations, submissions, plans, report), `work`
//! (forms, rounds, rules and validation, tasks, releases), `admin` (users,
//! tokens, audit).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use solieu_app::error::{Code, Detail, Error as AppErr};
use solieu_engine::Engine;
use solieu_store::{Backend, Location};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod admin;
pub mod api;
pub mod auth;
mod data;
mod sdmx;
pub mod stream;
mod web;
mod work;

pub use auth::out_of_scope;

/// Largest request body accepted (413 beyond).
pub const MAX_BODY_BYTES: usize = 64 << 20;
/// A request taking longer is answered 503 (reports in PDF take well under).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Who may read without signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Public {
    /// Nobody: every read needs an account.
    None,
    /// The data as of the latest release (`POST /api/v1/releases`).
    Published,
    /// Everything (a closed network where every reader is trusted).
    All,
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the store is: the data directory or a PostgreSQL database.
    pub store: Location,
    /// Engine snapshot file.
    pub snapshot: PathBuf,
    /// Address.
    pub addr: SocketAddr,
    /// Anonymous reads.
    pub public: Public,
    /// Requests per second per token, session or address (0: no limit).
    pub rate: u32,
    /// Mark the session cookie `Secure` (off only for plain-HTTP intranets).
    pub secure_cookies: bool,
    /// Time a client has to send a request's head.
    pub header_timeout: std::time::Duration,
}

/// Shared by every request.
pub struct AppState {
    store: Mutex<Box<dyn Backend>>,
    /// Where the store is, for readers on their own connection
    location: Location,
    engine: RwLock<Engine>,
    next_request: AtomicU64,
    snapshot: PathBuf,
    /// µs of the last look at the store for imports by other processes
    checked: AtomicI64,
    public: Public,
    secure_cookies: bool,
    /// (last import, vintages) for the health check
    vintage_count: Mutex<(i64, Option<usize>)>,
}

/// How often the store is asked whether another process imported.
const REFRESH_EVERY_US: i64 = 200_000;

/// An API error: the use case's [`Code`] (its HTTP status from
/// [`status_of`]), message, details.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Code,
    message: String,
    details: Vec<Detail>,
    extra: Option<serde_json::Value>,
    request: u64,
}

/// The one place where an error's code decides its HTTP status.
pub fn status_of(code: Code) -> StatusCode {
    match code {
        Code::BadRequest => StatusCode::BAD_REQUEST,
        Code::InvalidSubmission | Code::InvalidRule => StatusCode::UNPROCESSABLE_ENTITY,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Csrf | Code::Forbidden => StatusCode::FORBIDDEN,
        Code::Conflict | Code::Locked | Code::RuleViolations => StatusCode::CONFLICT,
        Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Code::Timeout | Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of every error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// See [`ErrorBody`].
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `bad_request`, `invalid_submission`, `invalid_rule`,
    /// `rule_violations`, `not_found`, `unauthenticated`, `csrf`, `forbidden`,
    /// `conflict`, `locked`, `too_large`, `rate_limited`,
    /// `unsupported_media_type`, `method_not_allowed`, `timeout`,
    /// `unavailable` (the database cannot be reached: try again), `internal`.
    code: String,
    /// For people.
    message: String,
    /// Quote it when reporting a problem.
    request_id: String,
    /// Located errors (file, sheet, row, column, value, message, and the
    /// whole line as `text`) or refused items (`text` only).
    details: Vec<Detail>,
}

impl ApiError {
    /// Adds details: located errors, refused rounds or items.
    pub fn with_details<D: Into<Detail>>(mut self, d: impl IntoIterator<Item = D>) -> ApiError {
        self.details = d.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a structured part to the body (`violations`, …).
    pub fn with_extra(mut self, v: serde_json::Value) -> ApiError {
        self.extra = Some(v);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "error": {
                "code": self.code.name(),
                "message": self.message,
                "request_id": format!("r{:08}", self.request),
                "details": self.details,
            }
        });
        if let Some(extra) = self.extra {
            body["error"]["extra"] = extra;
        }
        (self.status, Json(body)).into_response()
    }
}

impl AppState {
    fn request_id(&self) -> u64 {
        self.next_request.fetch_add(1, Ordering::Relaxed)
    }

    /// An error answer of a kind; its status is [`status_of`] the code.
    pub fn fail(&self, code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status_of(code),
            code,
            message: message.into(),
            details: vec![],
            extra: None,
            request: self.request_id(),
        }
    }

    /// A use case's error: its code, message and details; the cause of an
    /// internal or unavailable failure is logged, never sent.
    pub fn app(&self, e: AppErr) -> ApiError {
        let mut err = self
            .fail(e.code, e.message.clone())
            .with_details(e.details.iter().cloned());
        err.extra = e.extra.clone();
        match e.code {
            Code::Unavailable => tracing::warn!(request = err.request, "{}", e.verbose()),
            Code::Internal => tracing::error!(request = err.request, "{}", e.verbose()),
            _ => {}
        }
        err
    }

    /// 422 with located errors: `what` says what was not done
    /// ("nothing was written", "the draft was not saved").
    pub fn invalid<D: Into<Detail>>(&self, errors: Vec<D>, what: &str) -> ApiError {
        self.app(AppErr::invalid(
            errors.into_iter().map(Into::into).collect(),
            what,
        ))
    }

    /// 400.
    pub fn bad(&self, message: impl Into<String>) -> ApiError {
        self.fail(Code::BadRequest, message)
    }

    /// 404.
    pub fn not_found(&self, message: impl Into<String>) -> ApiError {
        self.fail(Code::NotFound, message)
    }

    /// A failure underneath: its kind read from its type (the store's
    /// `Unavailable` is 503 and `Refused` 409, whatever wrapped them; the
    /// rest 500), the cause logged, never sent.
    pub fn internal(&self, e: impl Into<anyhow::Error>) -> ApiError {
        self.app(AppErr::internal(e))
    }

    /// A poisoned lock (a thread panicked holding it): internal.
    pub fn poisoned(&self, e: impl std::fmt::Display) -> ApiError {
        self.internal(anyhow::anyhow!("a lock is poisoned: {e}"))
    }

    /// A store error: see [`AppState::internal`].
    pub fn store_error(&self, e: solieu_store::StoreError) -> ApiError {
        self.internal(e)
    }

    /// A connection of its own to the store, for a long read (a streamed
    /// export) that must not hold the shared one: SQLite's WAL lets it read
    /// one consistent snapshot while others write.
    pub fn reader(&self) -> Result<Box<dyn Backend>, ApiError> {
        self.location.reconnect().map_err(|e| self.internal(e))
    }

    /// The store.
    pub fn store(&self) -> Result<MutexGuard<'_, Box<dyn Backend>>, ApiError> {
        self.store.lock().map_err(|e| self.poisoned(e))
    }

    /// The engine, brought up to date with imports and catalogue changes made
    /// by other processes (the CLI while the server runs, other nodes on the
    /// same PostgreSQL) at most [`REFRESH_EVERY_US`] ago: the `import` table
    /// is the change log, its last number the position a node has reached.
    pub fn engine(&self) -> Result<RwLockReadGuard<'_, Engine>, ApiError> {
        let now = solieu_store::now_micros();
        let last = self.checked.load(Ordering::Relaxed);
        if now - last >= REFRESH_EVERY_US
            && self
                .checked
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // a read never waits for the store: while a write holds it (a
            // commit, a checkpoint) the look is left to the next request, and
            // the writer applies its own import. The database unreachable:
            // go on with the figures last loaded (writes answer 503).
            match self.store.try_lock() {
                Ok(store) => {
                    if let Err(e) = self.refresh_with(&store) {
                        tracing::warn!(
                            request = e.request,
                            "the engine was not refreshed: serving the figures last loaded"
                        );
                    }
                }
                Err(_) => self.checked.store(last, Ordering::Relaxed),
            }
        }
        self.engine.read().map_err(|e| self.poisoned(e))
    }

    fn refresh(&self) -> Result<(), ApiError> {
        let store = self.store()?;
        self.refresh_with(&store)
    }

    fn refresh_with(&self, store: &MutexGuard<'_, Box<dyn Backend>>) -> Result<(), ApiError> {
        let (store_last, _) = store.last_import().map_err(|e| self.internal(e))?;
        // the catalogue too: `solieu catalog import` while the server runs
        let indicators = store.indicators().map_err(|e| self.internal(e))?;
        let last = {
            let engine = self.engine.read().map_err(|e| self.poisoned(e))?;
            let last = engine.cube().last_import();
            if store_last == last && indicators == engine.indicators() {
                return Ok(());
            }
            (indicators == engine.indicators() && store_last > last).then_some(last)
        };
        if let Some(last) = last {
            if self.catch_up(&***store, last)? {
                return Ok(());
            }
        }
        let (engine, _) =
            Engine::open(store.as_store(), &self.snapshot).map_err(|e| self.internal(e))?;
        *self.engine.write().map_err(|e| self.poisoned(e))? = engine;
        Ok(())
    }

    /// Applies the imports after `last` to the engine, read from the store's
    /// change log, instead of loading everything again. False when that is
    /// not the way: the store is not the one the engine was loaded from (its
    /// import `last` is missing or from another time: a restore), or the
    /// imports to apply are too many to hold (a reload is then cheaper).
    fn catch_up(&self, store: &dyn Backend, last: i64) -> Result<bool, ApiError> {
        const MOST: usize = 2_000_000;
        let known = self
            .engine
            .read()
            .map_err(|e| self.poisoned(e))?
            .cube()
            .recorded_at(u32::try_from(last).unwrap_or(u32::MAX));
        let (mut same_store, mut held) = (last == 0, 0usize);
        let mut batches = vec![];
        store
            .imports_since(last.saturating_sub(1), &mut |summary, obs| {
                if summary.import_id == last {
                    same_store = summary.recorded_at == known;
                    return same_store;
                }
                held += obs.len();
                batches.push((summary, obs));
                same_store && held <= MOST
            })
            .map_err(|e| self.internal(e))?;
        if !same_store || held > MOST {
            return Ok(false);
        }
        let mut engine = self.engine.write().map_err(|e| self.poisoned(e))?;
        for (summary, obs) in &batches {
            // another caller may have applied some meanwhile
            if summary.import_id > engine.cube().last_import() {
                engine.apply(obs, summary);
            }
        }
        Ok(true)
    }

    /// Runs blocking work (the store, the engine at length) off the async workers.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Arc<AppState>) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let st = self.clone();
        tokio::task::spawn_blocking(move || f(&st))
            .await
            .map_err(|e| self.internal(e))?
    }
}

/// The OpenAPI document's frame; the paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "solieu API",
        description = "Socio-economic figures of Vietnamese provinces and regions: collection, validation, every revision, derived figures (so với cùng kỳ, lũy kế, % kế hoạch, regional totals on the comparable basis), reporting rounds, rules, key tasks and the monthly report.\n\nAuthentication: `Authorization: Bearer TOKEN` (API tokens, `solieu token create`), or the session cookie from `POST /api/v1/session` with the `X-CSRF-Token` header on every write. Errors: `{\"error\": {\"code\", \"message\", \"request_id\", \"details\"}}`.",
        license(name = "Apache-2.0")
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Security),
    tags(
        (name = "data", description = "Areas, indicators, figures, submissions, plans, report"),
        (name = "reporting", description = "Forms, rounds and their workflow, completeness"),
        (name = "validation", description = "Rules and their results"),
        (name = "tasks", description = "Key tasks (nhiệm vụ)"),
        (name = "admin", description = "Accounts, tokens, sessions, releases, audit log")
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// The OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "admin",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object)))]
async fn openapi_json(
    axum::extract::State(doc): axum::extract::State<Arc<String>>,
) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.as_str().to_string(),
    )
}

async fn fallback(state: Arc<AppState>) -> ApiError {
    state.not_found("no such route; see /api/v1/openapi.json")
}

/// Every documented route, and the document.
pub fn api(state: Arc<AppState>) -> (Router, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(data::health))
        .routes(routes!(data::indicators))
        .routes(routes!(data::areas))
        .routes(routes!(data::observations))
        .routes(routes!(data::figures))
        .routes(routes!(data::submit))
        .routes(routes!(data::plans, data::put_plans))
        .routes(routes!(data::report))
        .routes(routes!(data::export))
        .routes(routes!(work::forms))
        .routes(routes!(work::put_form))
        .routes(routes!(work::form_template))
        .routes(routes!(work::rounds))
        .routes(routes!(work::round_action))
        .routes(routes!(work::rules))
        .routes(routes!(work::put_rule))
        .routes(routes!(work::validation))
        .routes(routes!(work::tasks, work::create_task))
        .routes(routes!(work::update_task))
        .routes(routes!(work::publish, work::latest_release))
        .routes(routes!(admin::users, admin::create_user))
        .routes(routes!(admin::tokens, admin::create_token))
        .routes(routes!(admin::revoke_token))
        .routes(routes!(admin::audit))
        .routes(routes!(admin::whoami, admin::login, admin::logout))
        .with_state(state)
        .split_for_parts();
    (router, api)
}

/// The routes with the document, limits and headers.
pub fn router(state: Arc<AppState>, rate: u32) -> Router {
    use tower_http::set_header::SetResponseHeaderLayer;
    let (api_router, mut doc) = api(state.clone());
    // document the document's own route, then serve it
    let (_, own) = OpenApiRouter::<Arc<String>>::new()
        .routes(routes!(openapi_json))
        .with_state::<()>(Arc::new(String::new()))
        .split_for_parts();
    doc.paths.paths.extend(own.paths.paths);
    let text = Arc::new(doc.to_json().unwrap_or_else(|_| "{}".into()));
    let mut app = api_router
        .merge(
            Router::new()
                .route("/api/v1/openapi.json", axum::routing::get(openapi_json))
                .with_state(text),
        )
        .merge(web::routes(state.clone()))
        .merge(sdmx::routes(state.clone()))
        .fallback({
            let state = state.clone();
            move || async move { fallback(state).await }
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if rate > 0 {
        app = auth::rate_limit(app, state.clone(), rate);
    }
    app.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        REQUEST_TIMEOUT,
    ))
    .layer(
        tower_http::trace::TraceLayer::new_for_http()
            .make_span_with(tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO))
            .on_response(
                tower_http::trace::DefaultOnResponse::new()
                    .level(tracing::Level::INFO)
                    .latency_unit(tower_http::LatencyUnit::Micros),
            ),
    )
}

/// Turns axum's plain-text rejections (413 from the body limit, 400/415/422
/// from extractors) into the JSON error body.
async fn limits(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let res = next.run(req).await;
    // only axum's own plain-text (or empty) rejections; JSON errors and the
    // SDMX error messages are already what the client expects
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    let status = res.status();
    if !plain || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            Code::TooLarge,
            format!(
                "the request body is larger than {} MiB; split the submission",
                MAX_BODY_BYTES >> 20
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            Code::UnsupportedMediaType,
            "send JSON with Content-Type: application/json".to_string(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            Code::MethodNotAllowed,
            "this route does not take this method; see /api/v1/openapi.json".to_string(),
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            Code::Timeout,
            format!(
                "the request took longer than {} s",
                REQUEST_TIMEOUT.as_secs()
            ),
        ),
        s if s.is_server_error() => (Code::Internal, "internal error".to_string()),
        _ => {
            let bytes = axum::body::to_bytes(res.into_body(), 64 << 10)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes)
                .chars()
                .take(300)
                .collect::<String>();
            // axum's own status for its rejection (400, 415, 422): the
            // extractor decided it, not a reading of the text
            let mut err = state.bad(format!("malformed request: {text}"));
            err.status = status;
            return err.into_response();
        }
    };
    let mut err = state.fail(code, message);
    err.status = status;
    err.into_response()
}

/// Accepts connections until `shutdown`, then lets the requests in flight
/// finish. Each connection is served by hyper with a deadline on reading a
/// request's head: `axum::serve` installs no timer, so hyper's
/// header-read timeout would be inert and a slow-loris client (a request
/// head dribbled a byte at a time) could hold a connection for ever.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // out of file descriptors and the like: wait, go on
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let app = app.clone();
                let service = hyper::service::service_fn(
                    move |mut req: hyper::Request<hyper::body::Incoming>| {
                        req.extensions_mut()
                            .insert(axum::extract::ConnectInfo(peer));
                        app.clone().oneshot(req.map(axum::body::Body::new))
                    },
                );
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection from {peer}: {e}");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The change feed of a node on PostgreSQL: a thread of its own LISTENs on
/// [`solieu_store::CHANGES_CHANNEL`] (every import and catalogue change
/// NOTIFYs it on commit) and brings the engine up to date at once, so that a
/// write through another node is in this node's figures within
/// milliseconds. Notifications are only a nudge: the `import` table is the
/// source of truth, and the engine's own look at it every
/// [`REFRESH_EVERY_US`] catches up whatever was missed (this thread
/// reconnecting after a database restart looks at once).
fn listen_for_changes(state: Arc<AppState>, location: Location) {
    let spawned = std::thread::Builder::new()
        .name("solieu-changes".into())
        .spawn(move || loop {
            let followed = location.follow_changes(&mut || {
                state
                    .checked
                    .store(solieu_store::now_micros(), Ordering::Relaxed);
                if let Err(e) = state.refresh() {
                    tracing::warn!(request = e.request, "change feed: refresh failed");
                }
            });
            match followed {
                Ok(false) => return,
                Ok(true) => {}
                Err(e) => tracing::warn!("change feed: {e}; listening again in a second"),
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        });
    if let Err(e) = spawned {
        tracing::warn!(
            "change feed not started ({e}): figures follow other nodes within {} ms",
            REFRESH_EVERY_US / 1000
        );
    }
}

/// What every request shares: the store opened, the engine loaded.
fn state(cfg: &Config) -> Result<Arc<AppState>> {
    let store = cfg
        .store
        .open()
        .with_context(|| format!("opening the store in {}", cfg.store))?;
    let (engine, _) = Engine::open(store.as_store(), &cfg.snapshot)?;
    Ok(Arc::new(AppState {
        store: Mutex::new(store),
        location: cfg.store.clone(),
        engine: RwLock::new(engine),
        next_request: AtomicU64::new(1),
        snapshot: cfg.snapshot.clone(),
        checked: AtomicI64::new(solieu_store::now_micros()),
        public: cfg.public,
        secure_cookies: cfg.secure_cookies,
        vintage_count: Mutex::new((0, None)),
    }))
}

/// Every route over the store of `cfg`, without a listener: for running
/// requests in-process (the HTTP fuzz target). Call it inside a tokio runtime.
pub fn app(cfg: &Config) -> Result<Router> {
    Ok(router(state(cfg)?, cfg.rate))
}

/// Runs the server until Ctrl-C or SIGTERM; in-flight requests finish.
pub fn serve(cfg: Config) -> Result<()> {
    let state = state(&cfg)?;
    if let Location::Postgres(_) = &cfg.store {
        listen_for_changes(state.clone(), cfg.store.clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.addr)
            .await
            .with_context(|| format!("cannot listen on {}", cfg.addr))?;
        let local = listener.local_addr()?;
        println!("solieu listening on http://{local}");
        use std::io::Write;
        std::io::stdout().flush()?;
        tracing::info!(addr = %local, public = ?cfg.public, rate = cfg.rate, "serving");
        let app = router(state, cfg.rate);
        serve_connections(listener, app, cfg.header_timeout, async {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("signal handler");
                tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
            }
            #[cfg(not(unix))]
            let _ = ctrl_c.await;
            tracing::info!("shutting down: finishing requests in flight");
        })
        .await;
        Ok(())
    })
}

//! `solieu serve`: the JSON API over the same store and engine as the CLI.
//!
//! This first part serves reading (areas, indicators, derived figures as of
//! any time) and authenticated submissions: an API token names an account,
//! the account's role and scopes decide what it may write, a submission is
//! validated with the CLI's located errors and committed all or nothing, the
//! engine applies it at once (so every derived figure reflects it on the
//! next request), and the audit log records who wrote what from where.
//! Errors are JSON with a stable code, a message and a request id; no
//! internals leak.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use anyhow::{Context, Result};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use solieu_engine::{Engine, Options};
use solieu_ingest::ReadOptions;
use solieu_model::Observation;
use solieu_store::{Account, Role, SqliteStore, Store};

use crate::figures;

/// Largest request body accepted (413 beyond).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// Shared by every request.
pub struct AppState {
    store: Mutex<SqliteStore>,
    engine: RwLock<Engine>,
    next_request: AtomicU64,
    snapshot: PathBuf,
}

/// An API error: HTTP status, stable code, message, details.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<String>,
    request: u64,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "request_id": format!("r{:08}", self.request),
                "details": self.details,
            }
        });
        (self.status, Json(body)).into_response()
    }
}

impl AppState {
    fn request_id(&self) -> u64 {
        self.next_request.fetch_add(1, Ordering::Relaxed)
    }

    fn error(
        &self,
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: vec![],
            request: self.request_id(),
        }
    }

    /// An internal failure: logged with its cause, answered without it.
    fn internal(&self, e: impl std::fmt::Display) -> ApiError {
        let err = self.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        );
        tracing::error!(request = err.request, "{e}");
        err
    }
}

/// Brings the engine up to date with imports made by other processes (a
/// CLI import while the server runs): the store's last import is compared
/// with the engine's on every read, and the engine reloaded when they differ.
fn refresh(state: &AppState) -> Result<(), ApiError> {
    let store = state.store.lock().map_err(|e| state.internal(e))?;
    let fp = store.fingerprint().map_err(|e| state.internal(e))?;
    if fp.last_import
        == state
            .engine
            .read()
            .expect("engine lock")
            .cube()
            .last_import()
    {
        return Ok(());
    }
    let (engine, _) = Engine::open(&*store, &state.snapshot).map_err(|e| state.internal(e))?;
    *state.engine.write().expect("engine lock") = engine;
    Ok(())
}

/// The token's account, from `Authorization: Bearer …`.
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<(Account, i64), ApiError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            state.error(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "an API token is required: Authorization: Bearer TOKEN",
            )
        })?;
    let hash = crate::accounts::token_hash(token);
    let store = state.store.lock().map_err(|e| state.internal(e))?;
    store
        .account_by_token(&hash)
        .map_err(|e| state.internal(e))?
        .ok_or_else(|| {
            state.error(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "unknown or revoked token",
            )
        })
}

/// What an account may not write among these observations (empty: all allowed).
pub fn out_of_scope(account: &Account, obs: &[Observation]) -> Vec<String> {
    match account.role {
        Role::Admin | Role::Analyst => vec![],
        Role::Viewer => vec![format!(
            "account {} is a viewer and writes nothing",
            account.name
        )],
        Role::Reporter => {
            if account.areas.is_empty() && account.indicators.is_empty() {
                return vec![format!(
                    "reporter {} has no scope to write in",
                    account.name
                )];
            }
            let mut out: Vec<String> = obs
                .iter()
                .filter(|o| {
                    let code = o.area.split('@').next().unwrap_or(&o.area);
                    let area_ok =
                        account.areas.is_empty() || account.areas.iter().any(|a| a == code);
                    let ind_ok =
                        account.indicators.is_empty() || account.indicators.contains(&o.indicator);
                    !(area_ok && ind_ok)
                })
                .map(|o| {
                    format!(
                        "{} {} {}: outside the scope of reporter {}",
                        o.indicator, o.area, o.period, account.name
                    )
                })
                .collect();
            out.dedup();
            out.truncate(100);
            out
        }
    }
}

async fn health(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    refresh(&state)?;
    let engine = state.engine.read().expect("engine lock");
    let (cells, old) = engine.cube().counts();
    let last = engine.cube().last_import();
    Ok(Json(
        json!({"status": "ok", "vintages": cells + old, "last_import": last}),
    ))
}

async fn indicators(State(state): State<Arc<AppState>>) -> Json<Value> {
    let engine = state.engine.read().expect("engine lock");
    let list: Vec<Value> = engine
        .indicators()
        .iter()
        .map(|i| {
            json!({
                "code": i.code, "name_vi": i.name_vi, "name_en": i.name_en, "unit": i.unit.label,
                "time_aggregation": i.time_aggregation.as_str(), "area_aggregation": i.area_aggregation.to_string(),
                "decimals": i.decimals,
            })
        })
        .collect();
    Json(Value::Array(list))
}

#[derive(serde::Deserialize)]
struct AreasQuery {
    on: Option<String>,
}

async fn areas(
    State(state): State<Arc<AppState>>,
    Query(q): Query<AreasQuery>,
) -> Result<Json<Value>, ApiError> {
    let day = match q.on.as_deref() {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                state.error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("on={d}: expected YYYY-MM-DD"),
                )
            })?,
        ),
        None => None,
    };
    let engine = state.engine.read().expect("engine lock");
    let list: Vec<Value> = engine
        .registry()
        .all()
        .iter()
        .filter(|a| day.is_none_or(|d| a.valid_on(d)))
        .map(|a| {
            json!({
                "key": a.key, "code": a.code, "level": a.level.as_str(), "name_vi": a.name_vi, "name_en": a.name_en,
                "parent": a.parent, "valid_from": a.valid_from.map(|d| d.to_string()), "valid_to": a.valid_to.map(|d| d.to_string()),
            })
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

#[derive(serde::Deserialize)]
struct FiguresQuery {
    indicator: String,
    area: String,
    period: String,
    measure: Option<String>,
    as_of: Option<String>,
    explain: Option<bool>,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

async fn figures_handler(
    State(state): State<Arc<AppState>>,
    Query(q): Query<FiguresQuery>,
) -> Result<Json<Value>, ApiError> {
    let bad = |m: String| state.error(StatusCode::BAD_REQUEST, "bad_request", m);
    let periods =
        crate::service::parse_periods(&list(&q.period)).map_err(|e| bad(e.to_string()))?;
    if periods.len() > 10_000 {
        return Err(bad("at most 10,000 periods per request".into()));
    }
    let grid = figures::Grid {
        indicators: list(&q.indicator)
            .iter()
            .map(|i| i.to_ascii_uppercase())
            .collect(),
        areas: list(&q.area),
        periods,
        measures: match q.measure.as_deref() {
            None => vec![solieu_engine::Derived::Value],
            Some(m) => figures::parse_derived(&list(m)).map_err(|e| bad(e.to_string()))?,
        },
    };
    refresh(&state)?;
    let explain = q.explain.unwrap_or(false);
    let opts = Options {
        as_of: q
            .as_of
            .as_deref()
            .map(crate::timefmt::parse_as_of)
            .transpose()
            .map_err(|e| bad(e.to_string()))?,
        explain,
        ..Options::default()
    };
    let engine = state.engine.read().expect("engine lock");
    let rows = figures::evaluate(&engine, &grid, &opts).map_err(|e| bad(e.to_string()))?;
    let text = figures::json(&engine, &rows, explain).map_err(|e| state.internal(e))?;
    serde_json::from_str(&text)
        .map(Json)
        .map_err(|e| state.internal(e))
}

async fn submit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (account, token_id) = authenticate(&state, &headers)?;
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .filter(|n| !n.is_empty() && n.len() < 200)
        .unwrap_or("submission.csv")
        .to_string();
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = st.store.lock().map_err(|e| st.internal(e))?;
        let contents = vec![(name.clone(), body.to_vec())];
        let read = crate::service::read_inputs(&*store, &contents, &ReadOptions::default())
            .map_err(|e| st.internal(e))?;
        let read = match read {
            Ok(r) => r,
            Err(errors) => {
                let mut e = st.error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_submission",
                    format!("{} error(s); nothing was written", errors.len()),
                );
                e.details = errors;
                return Err(e);
            }
        };
        let refused = out_of_scope(&account, &read.observations);
        if !refused.is_empty() {
            let _ = store.record_audit(
                &account.name,
                "api.submission.refused",
                &format!(
                    "token {token_id} from {peer}: {} observation(s) outside the account's scope",
                    read.observations.len()
                ),
            );
            let mut e = st.error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the submission writes outside the account's scope; nothing was written",
            );
            e.details = refused;
            return Err(e);
        }
        let (summary, observations) =
            crate::service::commit_read(&mut *store, read, &account.name, &format!("api: {name}"))
                .map_err(|e| match e.downcast_ref::<solieu_store::StoreError>() {
                    Some(solieu_store::StoreError::Refused(m)) => st.error(
                        StatusCode::CONFLICT,
                        "refused",
                        format!("{m}; nothing was written"),
                    ),
                    _ => st.internal(e),
                })?;
        let _ = store.record_audit(
            &account.name,
            "api.submission",
            &format!(
                "token {token_id} from {peer}: import {} ({} rows, {} new vintages)",
                summary.import_id, summary.rows, summary.new_vintages
            ),
        );
        // fresh: every derived figure sees the submission from the next request on
        st.engine
            .write()
            .expect("engine lock")
            .apply(&observations, &summary);
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "import": summary.import_id,
                "rows": summary.rows,
                "new_vintages": summary.new_vintages,
                "revisions": summary.revisions,
                "recorded_at": crate::timefmt::format_micros(summary.recorded_at),
            })),
        ))
    })
    .await
    .map_err(|e| state.internal(e))?
}

async fn not_found(State(state): State<Arc<AppState>>) -> ApiError {
    state.error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see /api/v1/health",
    )
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/indicators", get(indicators))
        .route("/api/v1/areas", get(areas))
        .route("/api/v1/figures", get(figures_handler))
        .route("/api/v1/submissions", post(submit))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Runs the server until Ctrl-C or SIGTERM; in-flight requests finish.
pub fn serve(data: PathBuf, addr: SocketAddr, snapshot: PathBuf) -> Result<()> {
    let store = SqliteStore::open(&data)?;
    let (engine, _) = Engine::open(&store, &snapshot)?;
    let state = Arc::new(AppState {
        store: Mutex::new(store),
        engine: RwLock::new(engine),
        next_request: AtomicU64::new(1),
        snapshot,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        println!("solieu listening on http://{local}");
        use std::io::Write;
        std::io::stdout().flush()?;
        axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
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
        })
        .await?;
        Ok(())
    })
}

//! Who is asking, and what they may do: API tokens (`Authorization:
//! Bearer`), web sessions (an HttpOnly cookie plus a CSRF token that every
//! write repeats in `X-CSRF-Token`), roles and reporter scopes, anonymous
//! reads of published data, and per-caller rate limits.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request};
use solieu_store::{Account, Actor, Role};
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use super::{ApiError, AppState, Public};
use solieu_app::Code;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "solieu_session";
/// How long a session lasts (µs): a working day.
pub const SESSION_MICROS: i64 = 8 * 3600 * 1_000_000;

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account, when signed in.
    pub account: Option<Account>,
    /// For the audit log: `token 3 from 10.0.0.5:41234`.
    pub origin: String,
}

impl Principal {
    /// For store writes.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            name: self
                .account
                .as_ref()
                .map_or("anonymous", |a| a.name.as_str()),
            origin: &self.origin,
        }
    }

    /// The role, when signed in.
    pub fn role(&self) -> Option<Role> {
        self.account.as_ref().map(|a| a.role)
    }
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The session cookie's value, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Works out the caller: a token, else a session (whose writes must carry
/// the CSRF token), else anonymous. A token or session that is given but
/// not valid is refused (401), never treated as anonymous.
pub fn principal(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    peer: SocketAddr,
) -> Result<Principal, ApiError> {
    let unauth = |m: &str| state.fail(Code::Unauthenticated, m);
    if let Some(token) = bearer(headers) {
        let hash = solieu_app::accounts::token_hash(token);
        let store = state.store()?;
        let (account, id) = store
            .account_by_token(&hash)
            .map_err(|e| state.internal(e))?
            .ok_or_else(|| unauth("unknown or revoked token"))?;
        return Ok(Principal {
            account: Some(account),
            origin: format!("token {id} from {peer}"),
        });
    }
    if let Some(sid) = session_cookie(headers) {
        let hash = solieu_app::accounts::token_hash(sid);
        let store = state.store()?;
        let (account, csrf) = store
            .session(&hash, solieu_store::now_micros())
            .map_err(|e| state.internal(e))?
            .ok_or_else(|| unauth("the session has ended; sign in again"))?;
        let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let given = headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_eq(given.as_bytes(), csrf.as_bytes()) {
                return Err(state.fail(
                    Code::Csrf,
                    "a write from a session must carry its X-CSRF-Token header",
                ));
            }
        }
        return Ok(Principal {
            account: Some(account),
            origin: format!("session {} from {peer}", &hash[..12]),
        });
    }
    Ok(Principal {
        account: None,
        origin: format!("anonymous from {peer}"),
    })
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The caller of an API request, as an extractor: a handler takes
/// `Caller(p): Caller` and is refused before it runs when the credentials
/// given are not valid (or a session's write lacks its CSRF token).
pub struct Caller(pub Principal);

impl axum::extract::FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .ok_or_else(|| state.internal(anyhow::anyhow!("no peer address on the request")))?;
        if bearer(&parts.headers).is_none() && session_cookie(&parts.headers).is_none() {
            return principal(state, &parts.headers, &parts.method, peer).map(Caller);
        }
        // looking up a token or session waits for the store, which a commit
        // may hold: off the async workers, so that reads never queue behind it
        let (headers, method) = (parts.headers.clone(), parts.method.clone());
        state
            .blocking(move |st| principal(st, &headers, &method, peer))
            .await
            .map(Caller)
    }
}

/// The account, when its role is one of `roles` (401 anonymous, 403 other roles).
pub fn need<'p>(
    state: &AppState,
    p: &'p Principal,
    roles: &[Role],
    what: &str,
) -> Result<&'p Account, ApiError> {
    let Some(a) = &p.account else {
        return Err(state.fail(
            Code::Unauthenticated,
            format!("{what} needs an account: send a token or sign in"),
        ));
    };
    if !roles.contains(&a.role) {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return Err(state.fail(
            Code::Forbidden,
            format!(
                "{what} is for {}; account {} is {}",
                names.join(" or "),
                a.name,
                a.role.as_str()
            ),
        ));
    }
    Ok(a)
}

/// The time reads are evaluated as of: what the caller asked, limited for
/// anonymous callers to the latest release (or refused).
pub fn read_as_of(
    state: &AppState,
    p: &Principal,
    asked: Option<i64>,
) -> Result<Option<i64>, ApiError> {
    if p.account.is_some() || state.public == Public::All {
        return Ok(asked);
    }
    if state.public == Public::None {
        return Err(state.fail(
            Code::Unauthenticated,
            "this server publishes nothing anonymously: send a token or sign in",
        ));
    }
    let release = state
        .store()?
        .last_release()
        .map_err(|e| state.internal(e))?;
    match release {
        None => Err(state.fail(
            Code::Unauthenticated,
            "nothing has been published yet: sign in to read data not yet released",
        )),
        Some((_, at)) => Ok(Some(asked.map_or(at, |a| a.min(at)))),
    }
}

/// [`read_as_of`] of an `as_of` parameter as given (a day or an RFC 3339
/// time): 400 when it is neither.
pub fn read_as_of_param(
    state: &AppState,
    p: &Principal,
    text: Option<&str>,
) -> Result<Option<i64>, ApiError> {
    let asked = text
        .map(solieu_app::timefmt::parse_as_of)
        .transpose()
        .map_err(|e| state.bad(e.to_string()))?;
    read_as_of(state, p, asked)
}

pub use solieu_app::scope::{may_write, out_of_scope};

/// Rate limits are per caller: the token, else the session, else the address.
#[derive(Clone)]
pub struct CallerKey;

impl KeyExtractor for CallerKey {
    type Key = String;

    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        let h = req.headers();
        if let Some(t) = bearer(h) {
            return Ok(format!("t:{}", solieu_app::accounts::token_hash(t)));
        }
        if let Some(s) = session_cookie(h) {
            return Ok(format!("s:{}", solieu_app::accounts::token_hash(s)));
        }
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| format!("a:{}", c.0.ip()))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// `rate` requests per second per caller, bursts of twice that; beyond, 429
/// with `Retry-After`.
pub fn rate_limit(app: axum::Router, state: Arc<AppState>, rate: u32) -> axum::Router {
    let config = GovernorConfigBuilder::default()
        .per_nanosecond((1_000_000_000 / u64::from(rate.max(1))).max(1))
        .burst_size(rate.saturating_mul(2).max(1))
        .key_extractor(CallerKey)
        .finish()
        .expect("non-zero rate limits");
    app.layer(GovernorLayer::new(config).error_handler(move |e| {
        use axum::response::IntoResponse;
        let (wait, mut res) = match e {
            GovernorError::TooManyRequests { wait_time, .. } => (
                wait_time.max(1),
                state
                    .fail(
                        Code::RateLimited,
                        format!("too many requests; retry in {} s", wait_time.max(1)),
                    )
                    .into_response(),
            ),
            _ => (
                1,
                state
                    .bad("the caller could not be identified for rate limiting")
                    .into_response(),
            ),
        };
        if let Ok(v) = axum::http::HeaderValue::from_str(&wait.max(1).to_string()) {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }))
}

/// A valid argon2id hash of nothing anyone types: an unknown name is
/// checked against it, so that it takes as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29saWV1LWR1bW15LXNhbHQ$Z2xI0b7fM0d6yV5yq2o2fQ2kYw3Vh8l1xJm6y3n4d5A";

/// A session just opened: the account, the cookie's value and its header,
/// and the CSRF token its writes must repeat.
pub struct SignedIn {
    /// The account.
    pub account: Account,
    /// `Set-Cookie` value.
    pub cookie: String,
    /// The CSRF token.
    pub csrf: String,
}

/// Checks a name and password (argon2id; blocking: call off the async
/// workers) and opens a session; a failure is audited. `None`: refused.
/// Failed sign-ins of one name that lock it ([`LOCK_MINUTES`] after the
/// oldest of them): password guessing is slowed per account whatever the
/// address, on every node (the audit log is the count), for names that exist
/// and names that do not alike (no telling them apart).
pub const LOCK_AFTER: usize = 10;
/// See [`LOCK_AFTER`].
pub const LOCK_MINUTES: i64 = 15;

/// What the audit log's sign-in entries are about.
fn sign_in_target(name: &str) -> String {
    format!("account {name}")
}

/// A sign-in that did not open a session (`session.login_failed`,
/// `session.login_locked`), in the audit log that [`locked_out`] counts.
fn sign_in_event(
    store: &mut dyn solieu_store::Backend,
    name: &str,
    origin: &str,
    action: &str,
) -> solieu_store::Result<()> {
    store.record(&solieu_store::AuditRecord {
        actor: Actor { name, origin },
        action,
        target: &sign_in_target(name),
        before: None,
        after: None,
        detail: "",
    })
}

/// Minutes left when `name` has failed [`LOCK_AFTER`] times in the last
/// [`LOCK_MINUTES`] without a success since.
fn locked_out(state: &AppState, name: &str) -> Result<Option<i64>, ApiError> {
    let window = LOCK_MINUTES * 60 * 1_000_000;
    let now = solieu_store::now_micros();
    let target = sign_in_target(name);
    let recent = state
        .store()?
        .audit_log(&solieu_store::AuditQuery {
            action: Some("session.login".into()),
            target: Some(target.clone()),
            since: Some(now - window),
            limit: 200,
            ..Default::default()
        })
        .map_err(|e| state.internal(e))?;
    let failures: Vec<i64> = recent
        .iter()
        .filter(|e| e.target == target)
        .take_while(|e| e.action != "session.login")
        .filter(|e| e.action == "session.login_failed")
        .map(|e| e.at)
        .collect();
    Ok((failures.len() >= LOCK_AFTER).then(|| {
        // unlocked when the LOCK_AFTER-th most recent failure leaves the window
        let oldest = failures[LOCK_AFTER - 1];
        ((oldest + window - now) / 60_000_000 + 1).max(1)
    }))
}

pub fn sign_in(
    state: &AppState,
    name: &str,
    password: &str,
    origin: &str,
) -> Result<Option<SignedIn>, ApiError> {
    let name = name.trim();
    if let Some(minutes) = locked_out(state, name)? {
        let _ = sign_in_event(&mut **state.store()?, name, origin, "session.login_locked");
        return Err(state.fail(
                Code::RateLimited,
            format!(
                "too many failed sign-ins for '{name}': try again in {minutes} minute(s), or ask an administrator"
            ),
        ));
    }
    let account = state
        .store()?
        .account(name)
        .map_err(|e| state.internal(e))?;
    let ok = match &account {
        Some(a) => solieu_app::accounts::verify_password(password, &a.password_hash),
        None => {
            let _ = solieu_app::accounts::verify_password(password, DUMMY_HASH);
            false
        }
    };
    let mut store = state.store()?;
    let Some(account) = account.filter(|_| ok) else {
        sign_in_event(&mut **store, name, origin, "session.login_failed")
            .map_err(|e| state.internal(e))?;
        return Ok(None);
    };
    let sid = solieu_app::accounts::new_token();
    let csrf = solieu_app::accounts::new_token();
    store
        .create_session(
            account.id,
            &solieu_app::accounts::token_hash(&sid),
            &csrf,
            solieu_store::now_micros() + SESSION_MICROS,
            Actor {
                name: &account.name,
                origin,
            },
        )
        .map_err(|e| state.internal(e))?;
    let cookie = format!(
        "{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MICROS / 1_000_000,
        if state.secure_cookies { "; Secure" } else { "" }
    );
    Ok(Some(SignedIn {
        account,
        cookie,
        csrf,
    }))
}

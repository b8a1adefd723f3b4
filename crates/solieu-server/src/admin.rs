//! Accounts, API tokens, web sessions and the audit log.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use solieu_store::{AuditQuery, Role};
use utoipa::{IntoParams, ToSchema};

use super::api::{
    AccountOut, AuditOut, AuditPage, NewToken, Revoked, SessionOut, SignedOut, TokenOut,
};
use super::auth::{self, need, Caller};
use super::{ApiError, AppState};
use solieu_app::Code;

type Peer = ConnectInfo<SocketAddr>;

/// Every account (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Accounts (never their secrets)", body = [AccountOut]),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Not allowed for this account", body = super::ErrorBody)))]
pub async fn users(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
) -> Result<Json<Vec<AccountOut>>, ApiError> {
    need(&state, &p, &[Role::Admin], "listing accounts")?;
    let list = state.store()?.accounts().map_err(|e| state.internal(e))?;
    Ok(Json(list.iter().map(AccountOut::from).collect()))
}

/// An account to create.
#[derive(Deserialize, ToSchema)]
pub struct UserIn {
    /// Login name.
    name: String,
    /// admin, analyst, reporter or viewer.
    role: String,
    /// At least `solieu_app::accounts::MIN_PASSWORD` (12) characters;
    /// stored as an argon2id hash.
    #[schema(min_length = 12)]
    password: String,
    /// Area codes a reporter writes for.
    areas: Option<Vec<String>>,
    /// Indicator codes a reporter writes.
    indicators: Option<Vec<String>>,
}

/// Creates an account (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = UserIn,
    security(("token" = []), ("session" = [])),
    responses((status = 201, description = "Created", body = AccountOut), (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Not allowed for this account", body = super::ErrorBody), (status = 409, description = "Conflict with the current state", body = super::ErrorBody)))]
pub async fn create_user(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Json(body): Json<UserIn>,
) -> Result<(StatusCode, Json<AccountOut>), ApiError> {
    need(&state, &p, &[Role::Admin], "creating accounts")?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| state.bad("role: expected admin, analyst, reporter or viewer"))?;
    let new = solieu_app::accounts::NewAccount {
        name: body.name,
        role,
        areas: body.areas.unwrap_or_default(),
        indicators: body.indicators.unwrap_or_default(),
        password: body.password,
    };
    state
        .blocking(move |st| {
            let actor = format!("{} ({})", p.actor().name, p.origin);
            let account = solieu_app::accounts::add_account(&mut **st.store()?, new, &actor)
                .map_err(|e| st.app(e))?;
            Ok((StatusCode::CREATED, Json(AccountOut::from(&account))))
        })
        .await
}

/// `?account`
#[derive(Deserialize, IntoParams)]
pub struct TokensQuery {
    /// Only this account's tokens (admins); others see their own.
    account: Option<String>,
}

/// API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", params(TokensQuery),
    security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Tokens", body = [TokenOut]), (status = 401, description = "No or unknown credentials", body = super::ErrorBody)))]
pub async fn tokens(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<TokensQuery>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let a = need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst, Role::Reporter, Role::Viewer],
        "listing tokens",
    )?;
    let whose = if a.role == Role::Admin {
        q.account.clone()
    } else {
        Some(a.name.clone())
    };
    let list = state
        .store()?
        .tokens(whose.as_deref())
        .map_err(|e| state.internal(e))?;
    Ok(Json(list.iter().map(TokenOut::from).collect()))
}

/// A token to create.
#[derive(Deserialize, ToSchema)]
pub struct TokenIn {
    /// For which account (admins); default: the caller.
    account: Option<String>,
}

/// Creates an API token, shown once in the answer (stored as SHA-256).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = TokenIn,
    security(("token" = []), ("session" = [])),
    responses((status = 201, description = "The token, shown this once", body = NewToken),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Not allowed for this account", body = super::ErrorBody), (status = 404, description = "Not found", body = super::ErrorBody)))]
pub async fn create_token(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Json(body): Json<TokenIn>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let a = need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst, Role::Reporter, Role::Viewer],
        "creating tokens",
    )?;
    let owner = match body.account {
        Some(o) if o != a.name => {
            need(
                &state,
                &p,
                &[Role::Admin],
                "creating tokens for another account",
            )?;
            o
        }
        _ => a.name.clone(),
    };
    let actor = format!("{} ({})", p.actor().name, p.origin);
    let (token, id) = solieu_app::accounts::create_token(&mut **state.store()?, &owner, &actor)
        .map_err(|e| state.app(e))?;
    Ok((
        StatusCode::CREATED,
        Json(NewToken {
            id,
            account: owner,
            token,
            note: "shown once: store it now; solieu keeps only its hash".into(),
        }),
    ))
}

/// Revokes a token (admins, or the token's owner).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Token number")), security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Revoked", body = Revoked), (status = 403, description = "Not allowed for this account", body = super::ErrorBody),
        (status = 404, description = "Not found", body = super::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Path(id): Path<i64>,
) -> Result<Json<Revoked>, ApiError> {
    let a = need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst, Role::Reporter, Role::Viewer],
        "revoking tokens",
    )?;
    let mut store = state.store()?;
    let t = store
        .tokens(None)
        .map_err(|e| state.internal(e))?
        .into_iter()
        .find(|t| t.id == id && t.revoked_at.is_none())
        .ok_or_else(|| state.not_found(format!("no active token {id}")))?;
    if t.account != a.name && a.role != Role::Admin {
        return Err(state.fail(
            Code::Forbidden,
            "only an admin revokes another account's token",
        ));
    }
    store
        .revoke_token(id, p.actor())
        .map_err(|e| state.store_error(e))?;
    Ok(Json(Revoked { revoked: id }))
}

/// `?actor&action&target&since&before_id&limit`
#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    /// Only this actor.
    actor: Option<String>,
    /// Actions starting with this (`round.`, `submission`).
    action: Option<String>,
    /// Targets starting with this (`round BC_THANG/79`).
    target: Option<String>,
    /// From this time (RFC 3339 or YYYY-MM-DD).
    since: Option<String>,
    /// Entries before this number (paging; newest first).
    before_id: Option<i64>,
    /// At most this many (default 200, at most 10000).
    limit: Option<usize>,
}

/// The audit log, newest first (admins, analysts).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    security(("token" = []), ("session" = [])),
    responses((status = 200, description = "Entries: who, when, what, before → after, from where", body = AuditPage),
        (status = 401, description = "No or unknown credentials", body = super::ErrorBody), (status = 403, description = "Not allowed for this account", body = super::ErrorBody)))]
pub async fn audit(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    Query(q): Query<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    need(
        &state,
        &p,
        &[Role::Admin, Role::Analyst],
        "reading the audit log",
    )?;
    let since = q
        .since
        .as_deref()
        .map(solieu_app::timefmt::parse_as_of)
        .transpose()
        .map_err(|e| state.bad(e.to_string()))?;
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000);
    let list = state
        .store()?
        .audit_log(&AuditQuery {
            actor: q.actor,
            action: q.action,
            target: q.target,
            since,
            before_id: q.before_id,
            limit,
        })
        .map_err(|e| state.internal(e))?;
    let next = (list.len() == limit)
        .then(|| list.last().map(|e| e.id))
        .flatten();
    Ok(Json(AuditPage {
        entries: list.iter().map(AuditOut::from).collect(),
        next_before_id: next,
    }))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/session", tag = "admin",
    responses((status = 200, description = "The signed-in account and its CSRF token, or null", body = Option<SessionOut>)))]
pub async fn whoami(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    headers: HeaderMap,
) -> Result<Json<Option<SessionOut>>, ApiError> {
    let csrf = match auth::session_cookie(&headers) {
        Some(sid) => state
            .store()?
            .session(
                &solieu_app::accounts::token_hash(sid),
                solieu_store::now_micros(),
            )
            .map_err(|e| state.internal(e))?
            .map(|(_, c)| c),
        None => None,
    };
    Ok(Json(p.account.as_ref().map(|a| SessionOut {
        account: AccountOut::from(a),
        csrf_token: csrf,
    })))
}

/// Credentials.
#[derive(Deserialize, ToSchema)]
pub struct LoginIn {
    /// Login name.
    name: String,
    /// Password.
    password: String,
}

/// Signs in: sets the session cookie (HttpOnly, SameSite=Strict) and
/// answers the CSRF token every write of the session must repeat.
#[utoipa::path(post, path = "/api/v1/session", tag = "admin", request_body = LoginIn,
    responses((status = 200, description = "Signed in", body = SessionOut), (status = 401, description = "No or unknown credentials", body = super::ErrorBody)))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Json(body): Json<LoginIn>,
) -> Result<Response, ApiError> {
    let origin = format!("login from {}", peer.0);
    state
        .blocking(move |st| {
            let Some(done) = auth::sign_in(st, &body.name, &body.password, &origin)? else {
                return Err(st.fail(Code::Unauthenticated, "wrong name or password"));
            };
            Ok((
                [(header::SET_COOKIE, done.cookie)],
                Json(SessionOut {
                    account: AccountOut::from(&done.account),
                    csrf_token: Some(done.csrf),
                }),
            )
                .into_response())
        })
        .await
}

/// Signs out.
#[utoipa::path(delete, path = "/api/v1/session", tag = "admin",
    responses((status = 200, description = "Signed out", body = SignedOut)))]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    Caller(p): Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let (Some(sid), Some(_)) = (auth::session_cookie(&headers), &p.account) {
        state
            .store()?
            .end_session(&solieu_app::accounts::token_hash(sid), p.actor())
            .map_err(|e| state.internal(e))?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            format!(
                "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
                auth::SESSION_COOKIE
            ),
        )],
        Json(SignedOut { signed_out: true }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    #[test]
    fn the_documented_password_rule_is_the_enforced_one() {
        let schema = serde_json::to_value(super::UserIn::schema()).unwrap();
        assert_eq!(
            schema["properties"]["password"]["minLength"],
            solieu_app::accounts::MIN_PASSWORD,
            "{schema}"
        );
    }
}

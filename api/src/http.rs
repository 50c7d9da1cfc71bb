//! HTTP routes: GraphQL (authentication at the edge; the response leaves
//! only once its accesses are in the access log), the GraphiQL playground,
//! the token endpoint and keys, health, readiness and metrics. Every
//! request has an id (`X-Request-Id`), in its log lines and its response.

use crate::access::cache::AccessCache;
use crate::audit::writer::AuditWriter;
use crate::audit::{Declared, Trail};
use crate::auth::keys::SigningKeys;
use crate::auth::token::{self, TokenSettings};
use crate::auth::{Principal, ScopeSet};
use crate::db::Db;
use crate::graphql::{self, LienthongSchema, Services};
use crate::metrics::{Metrics, PoolFigures};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entities::access::AgencyStatus;
use serde::Deserialize;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: LienthongSchema,
    pub db: Db,
    pub keys: Arc<SigningKeys>,
    pub tokens: TokenSettings,
    pub cache: Arc<AccessCache>,
    /// Lifetime of tokens from `/oauth/token`, in seconds.
    pub token_ttl: i64,
    pub rate: Arc<crate::limits::RateLimits>,
    pub limits: crate::limits::Limits,
    pub audit: AuditWriter,
    pub metrics: Arc<Metrics>,
    pub feed: Arc<crate::registers::feed::Feed>,
    pub verified: Arc<token::VerifiedTokens>,
    /// Rate limits, lockouts and bounded secret checks for `/oauth/token`.
    pub login: Arc<crate::access::login::LoginGuard>,
}

impl AppState {
    fn services(&self) -> Services {
        Services {
            db: self.db.conn.clone(),
            cache: self.cache.clone(),
            revocation_retention: crate::access::revocation_retention(
                self.token_ttl.max(12 * 3600),
            ),
            feed: self.feed.clone(),
            limits: self.limits.clone(),
        }
    }
}

/// The router with its layers.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/graphql", get(playground).post(graphql_handler))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/oauth/token", axum::routing::post(oauth_token))
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        request_id = %id,
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_bad_request_id))
}

const REQUEST_ID: &str = "x-request-id";

/// A caller may name its request (`X-Request-Id`), to find it in the
/// hub's logs and access log; an id that is not a short token is replaced
/// by one of the hub's own.
async fn drop_bad_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    let good = request.headers().get(REQUEST_ID).is_none_or(|v| {
        let bytes = v.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 64
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    if !good {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// `GET /graphql/ws`: subscriptions over `graphql-transport-ws` (and the
/// older `graphql-ws`). The token comes in `connection_init`
/// (`{"Authorization": "Bearer …"}`); the connection is closed (4401 or
/// 4403) when the token expires or is revoked, or the agency loses scopes.
async fn graphql_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    use std::str::FromStr;
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| async_graphql::http::WebSocketProtocols::from_str(p.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return graphql_error(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "ask for the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol)",
        );
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve_ws(state, protocol, socket))
}

async fn serve_ws(
    state: AppState,
    protocol: async_graphql::http::WebSocketProtocols,
    socket: axum::extract::ws::WebSocket,
) {
    use async_graphql::http::WsMessage;
    use axum::extract::ws::{CloseFrame, Message};
    use futures::{SinkExt, StreamExt, future};
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let (closing, mut close) = tokio::sync::mpsc::channel::<(u16, String)>(1);
    let init_state = state.clone();
    let outgoing = async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol)
        .on_connection_init(move |payload| async move {
            let headers = init_headers(&payload);
            let principal = authenticate(&init_state, &headers).await.map_err(|error| {
                tracing::info!(reason = %error, "subscription refused");
                async_graphql::Error::new("the bearer token is invalid")
            })?;
            let connection_id = uuid::Uuid::new_v4().to_string();
            tokio::spawn(watch_access(init_state.clone(), principal.clone(), closing));
            let mut data = async_graphql::Data::default();
            data.insert(principal);
            data.insert(init_state.db.conn.clone());
            data.insert(graphql::changes::SubscriptionServices {
                db: init_state.db.conn.clone(),
                audit: init_state.audit.clone(),
                connection_id,
                feed: init_state.feed.clone(),
            });
            Ok(data)
        });
    futures::pin_mut!(outgoing);
    loop {
        tokio::select! {
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            Some((code, reason)) = close.recv() => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
        }
    }
}

/// The `Authorization` header carried in a `connection_init` payload
/// (`Authorization`, `authorization` or `token`).
fn init_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned))
        .or_else(|| {
            payload
                .get("token")
                .and_then(|v| v.as_str())
                .map(|t| format!("Bearer {t}"))
        });
    if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::AUTHORIZATION, value);
    }
    headers
}

/// Closes a subscription connection when its token expires or is revoked,
/// its agency is suspended, or the agency no longer holds a scope the
/// connection was opened with. Checks every half second.
async fn watch_access(
    state: AppState,
    principal: Principal,
    closing: tokio::sync::mpsc::Sender<(u16, String)>,
) {
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if closing.is_closed() {
            return;
        }
        let reason = if chrono::Utc::now().timestamp() >= principal.expires_at {
            Some((4401, "the token expired".to_owned()))
        } else if state.cache.sync().await.is_err() {
            None
        } else if state.cache.is_revoked(&principal.token_id) {
            Some((4401, "the token was revoked".to_owned()))
        } else {
            match state.cache.access(&principal.agency).await {
                Ok(Some(access)) if access.status == AgencyStatus::Active => {
                    (!principal.scopes.is_subset(access.scopes)).then(|| {
                        (
                            4403,
                            "access was revoked: reconnect with a new token".to_owned(),
                        )
                    })
                }
                Ok(_) => Some((4403, "the agency is suspended or unknown".to_owned())),
                Err(_) => None,
            }
        };
        if let Some(reason) = reason {
            let _ = closing.send(reason).await;
            return;
        }
    }
}

/// Readiness: the database answers, the signing key signs, and the audit
/// writer takes work. 503 with the failing checks otherwise.
async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.db.conn.ping().await.is_ok();
    let signing_key = state.keys.self_check();
    let audit_writer = state.audit.ping(std::time::Duration::from_secs(2)).await;
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let ready = database && signing_key && audit_writer;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "node": state.audit.node(),
        "checks": {
            "database": word(database),
            "signingKey": word(signing_key),
            "auditWriter": word(audit_writer),
        }
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Prometheus text exposition of the node's counters, for the hub
/// operator (`hub:admin`): they name agencies and their traffic. A scraper
/// gets its token from `/oauth/token` (Prometheus' `oauth2` settings).
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match authenticate(&state, &headers).await {
        Ok(principal) if principal.has(crate::auth::Scope::HubAdmin) => {}
        Ok(_) => {
            return graphql_error(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "the metrics need the scope hub:admin",
            );
        }
        Err(error) => return unauthorized(&error),
    }
    let pool = pool_figures(&state.db);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&pool),
    )
        .into_response()
}

fn pool_figures(db: &Db) -> PoolFigures {
    let (size, idle, max) = match &db.conn {
        conn if conn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite => {
            let pool = conn.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
        conn => {
            let pool = conn.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
    };
    PoolFigures {
        size,
        idle,
        max,
        statements: db.statements(),
    }
}

/// Reads the declared purpose and case reference. Either may be absent;
/// present, each must be non-blank UTF-8 of reasonable length.
fn declared(headers: &HeaderMap) -> Result<Declared, String> {
    let text = |name: &str, max: usize| -> Result<Option<String>, String> {
        let Some(value) = headers.get(name) else {
            return Ok(None);
        };
        let text = std::str::from_utf8(value.as_bytes())
            .map_err(|_| format!("{name} must be UTF-8 text"))?
            .trim();
        if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
            return Err(format!(
                "{name} must have between 1 and {max} characters, without control characters"
            ));
        }
        Ok(Some(text.to_owned()))
    };
    let idempotency_key = text("idempotency-key", 100)?;
    if let Some(key) = &idempotency_key
        && !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err("Idempotency-Key must be printable ASCII without spaces".into());
    }
    Ok(Declared {
        purpose: text("x-purpose", 500)?,
        case_ref: text("x-case-ref", 128)?,
        idempotency_key,
        request_hash: String::new(),
        request_id: headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned(),
    })
}

async fn healthz() -> &'static str {
    "ok"
}

/// Why a request was not authenticated. Logged; the caller only learns
/// that the token is missing or invalid.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("malformed Authorization header")]
    Malformed,
    #[error(transparent)]
    Token(#[from] token::TokenError),
    #[error("agency {0} is not registered")]
    UnknownAgency(String),
    #[error("agency {0} is suspended")]
    Suspended(String),
    #[error("token {0} was revoked")]
    Revoked(String),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// Turns the bearer token into a principal: a valid signature and claims,
/// a token not revoked, and the agency as it is now (registered, active),
/// whose scopes and jurisdiction right now bound the token's.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Malformed);
    }
    let claims = state
        .verified
        .verify(&state.keys, &state.tokens, token.trim())?;
    state.cache.sync().await?;
    if state.cache.is_revoked(&claims.token_id) {
        return Err(AuthError::Revoked(claims.token_id));
    }
    let access = state
        .cache
        .access(&claims.agency)
        .await?
        .ok_or_else(|| AuthError::UnknownAgency(claims.agency.clone()))?;
    if access.status != AgencyStatus::Active {
        return Err(AuthError::Suspended(claims.agency));
    }
    Ok(Principal::narrowed(claims, &access))
}

fn unauthorized(error: &AuthError) -> Response {
    let (status, message) = match error {
        AuthError::Database(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the hub cannot check your token right now",
        ),
        AuthError::Missing => (
            StatusCode::UNAUTHORIZED,
            "a bearer token is required (Authorization: Bearer <token>)",
        ),
        _ => (StatusCode::UNAUTHORIZED, "the bearer token is invalid"),
    };
    if let AuthError::Database(e) = error {
        tracing::error!(error = %e, "authentication failed on the database");
    } else {
        tracing::info!(reason = %error, "request refused");
    }
    let code = if status == StatusCode::UNAUTHORIZED {
        "UNAUTHENTICATED"
    } else {
        "INTERNAL"
    };
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

/// A GraphQL error response with a code, outside of execution.
fn graphql_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, Json(body)).into_response()
}

async fn graphql_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let (response, agency, operation, outcome) = serve_graphql(&state, &headers, body).await;
    state.metrics.request(
        "graphql",
        agency.as_deref().unwrap_or("-"),
        operation.as_deref().unwrap_or("-"),
        outcome,
        started.elapsed(),
    );
    response
}

/// Serves one GraphQL request; also says who asked, which operation and
/// how it ended, for the metrics.
async fn serve_graphql(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> (Response, Option<String>, Option<String>, &'static str) {
    let principal = match authenticate(state, headers).await {
        Ok(principal) => principal,
        Err(error) => return (unauthorized(&error), None, None, "unauthenticated"),
    };
    let agency = Some(principal.agency.clone());
    let refused =
        |response: Response, outcome: &'static str| (response, agency.clone(), None, outcome);
    if let Err(wait) = state.rate.check(&principal.agency) {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut response = graphql_error(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            &format!(
                "too many requests from {}; retry in {seconds} s",
                principal.agency
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return refused(response, "rate_limited");
    }
    let bad_request = |status: StatusCode, message: &str| {
        refused(
            graphql_error(status, "BAD_USER_INPUT", message),
            "bad_request",
        )
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request(rejection.status(), &rejection.body_text()),
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) if body.first() == Some(&b'[') => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                "batched requests are not accepted: send one operation per request",
            );
        }
        Err(error) => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                &format!("the body must be a JSON GraphQL request: {error}"),
            );
        }
    };
    if request.query.len() > state.limits.max_document_bytes {
        return bad_request(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the document has {} bytes; at most {} are accepted",
                request.query.len(),
                state.limits.max_document_bytes
            ),
        );
    }
    let mut declared = match declared(headers) {
        Ok(declared) => declared,
        Err(message) => return bad_request(StatusCode::BAD_REQUEST, &message),
    };
    if declared.idempotency_key.is_some() {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(request.query.as_bytes());
        hasher.update(b"\n");
        hasher.update(serde_json::to_vec(&request.variables).unwrap_or_default());
        declared.request_hash = format!("{:x}", hasher.finalize());
    }
    let mut operation = request.operation_name.clone();
    let trail = Trail::new(declared);
    let services = state.services();
    let execution = graphql::execute(
        &state.schema,
        request,
        principal.clone(),
        &services,
        trail.clone(),
    );
    let response = match tokio::time::timeout(state.limits.request_timeout, execution).await {
        Ok(response) => response,
        // Dropping the execution cancels its database work.
        Err(_) => {
            return (
                graphql_error(
                    StatusCode::OK,
                    "BAD_USER_INPUT",
                    &format!(
                        "the query ran longer than {} ms and was cancelled: ask for smaller pages or fewer nested lists",
                        state.limits.request_timeout.as_millis()
                    ),
                ),
                agency,
                operation,
                "timeout",
            );
        }
    };
    // The accesses are committed before any data leaves.
    let (entries, counts) = trail.entries(&principal, chrono::Utc::now());
    if operation.is_none() {
        operation = trail.operation();
    }
    if let Err(error) = state.audit.record(entries, counts).await {
        tracing::error!(%error, "response withheld: its accesses could not be recorded");
        return (
            graphql_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "the access could not be recorded, so no data is sent; try again",
            ),
            agency,
            operation,
            "audit_failed",
        );
    }
    let outcome = match (
        response.errors.is_empty(),
        response.data == async_graphql::Value::Null,
    ) {
        (true, _) => "ok",
        (false, false) => "partial",
        (false, true) => "error",
    };
    let content_type = match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        Some(accept) if accept.contains("application/graphql-response+json") => {
            "application/graphql-response+json"
        }
        _ => "application/json",
    };
    let body = serde_json::to_vec(&response).unwrap_or_else(|_| b"{}".to_vec());
    (
        ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        agency,
        operation,
        outcome,
    )
}

/// The JSON Web Key Set: the public keys that verify the hub's tokens, the
/// current one first, then earlier ones whose tokens may still be alive.
async fn jwks(State(state): State<AppState>) -> Response {
    let keys: Vec<_> = state
        .keys
        .public_keys()
        .into_iter()
        .map(|(kid, x)| {
            serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid, "x": x,
            })
        })
        .collect();
    let body = serde_json::json!({ "keys": keys });
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(body)).into_response()
}

/// The form of a client-credentials token request (RFC 6749 §4.4).
#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"lienthong\""),
        );
    }
    response
}

/// Client id and secret from HTTP Basic, if given.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Why a client got no token, as the OAuth error it is told; an unknown
/// client and a wrong secret get the very same answer.
fn login_refused(error: &crate::access::login::LoginError) -> Response {
    use crate::access::login::{LoginError, retry_after_secs};
    let (mut response, retry_after) = match error {
        LoginError::Malformed(message) => (
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request", message),
            None,
        ),
        LoginError::RateLimited { retry_after } => {
            let seconds = retry_after_secs(*retry_after);
            let message = format!("too many token requests; retry in {seconds} s");
            (
                oauth_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "temporarily_unavailable",
                    &message,
                ),
                Some(seconds),
            )
        }
        LoginError::Busy => (
            oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the hub is busy; retry in 1 s",
            ),
            Some(1),
        ),
        LoginError::InvalidClient => (
            oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            ),
            None,
        ),
        LoginError::Database(error) => {
            tracing::error!(%error, "token endpoint: database");
            (
                oauth_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "try again",
                ),
                None,
            )
        }
    };
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// `POST /oauth/token`: the client-credentials grant. The token carries the
/// scopes the agency holds now (or the asked-for subset of them).
async fn oauth_token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send application/x-www-form-urlencoded with grant_type=client_credentials",
        );
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let (client_id, client_secret) = match (
        basic_credentials(&headers),
        form.client_id,
        form.client_secret,
    ) {
        (Some(basic), None, None) => basic,
        (None, Some(id), Some(secret)) => (id, secret),
        (Some(_), _, _) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "give the client credentials once: HTTP Basic or the form, not both",
            );
        }
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            );
        }
    };
    let agency = match state
        .login
        .authenticate(&state.db.conn, peer.ip(), &client_id, client_secret)
        .await
    {
        Ok(agency) => agency,
        Err(error) => return login_refused(&error),
    };
    let requested = match form.scope.as_deref().map(ScopeSet::parse).transpose() {
        Ok(requested) => requested,
        Err(message) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &message),
    };
    match crate::startup::issue_agency_token(&state, &agency.code, requested, state.token_ttl).await
    {
        Ok(issued) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(serde_json::json!({
                "access_token": issued.token,
                "token_type": "Bearer",
                "expires_in": state.token_ttl,
                "scope": issued.scopes.to_string(),
            })),
        )
            .into_response(),
        Err(crate::startup::IssueError::Scope(message)) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &message)
        }
        Err(error) => {
            tracing::error!(%error, "token endpoint");
            oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        }
    }
}

async fn playground() -> Html<&'static str> {
    Html(PLAYGROUND)
}

const PLAYGROUND: &str = include_str!("playground.html");

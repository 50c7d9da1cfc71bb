//! HTTP routes: GraphQL over HTTP and over WebSocket (both handed to the
//! one session in `session`: authentication at the edge here, everything
//! else there), the GraphiQL playground, the token endpoint and keys,
//! health, readiness and metrics. Every request has an id
//! (`X-Request-Id`), in its log lines and its response.

use crate::auth::ScopeSet;
use crate::db::Db;
use crate::metrics::PoolFigures;
pub use crate::session::{AppState, AuthError};
use crate::session::{Caller, Outcome, Served, Transport};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

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

/// `GET /graphql/ws`: `graphql-transport-ws` (and the older `graphql-ws`).
/// The token comes in `connection_init` (`{"Authorization": "Bearer …"}`,
/// with `X-Purpose` and `X-Case-Ref` if the caller declares them); every
/// `subscribe` (query, mutation or subscription) runs through the session.
/// The connection is closed (4401 or 4403) when the token expires or is
/// revoked, or the agency's access narrows; 4429 when the agency already
/// holds its most connections.
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

/// A WebSocket connection as the session sees it.
#[derive(Clone)]
struct Connection {
    caller: Caller,
    id: String,
}

/// Runs every `subscribe` of a connection through the session.
#[derive(Clone)]
struct WsExecutor(AppState);

impl async_graphql::Executor for WsExecutor {
    async fn execute(&self, _: async_graphql::Request) -> async_graphql::Response {
        crate::session::refusal(crate::error::ApiError::BadUserInput(
            "send operations with subscribe messages".into(),
        ))
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<async_graphql::Data>>,
    ) -> futures::stream::BoxStream<'static, async_graphql::Response> {
        use futures::StreamExt;
        let connection = session_data.as_deref().and_then(|data| {
            data.get(&std::any::TypeId::of::<Connection>())
                .and_then(|any| any.downcast_ref::<Connection>())
                .cloned()
        });
        match connection {
            Some(connection) => self.0.operate(connection.caller, request, connection.id),
            None => futures::stream::once(async {
                crate::session::refusal(crate::error::ApiError::Unauthenticated)
            })
            .boxed(),
        }
    }
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
    // The connection's place in its agency's cap, held until it ends.
    let slot = Arc::new(std::sync::Mutex::new(None));
    let init_state = state.clone();
    let init_slot = slot.clone();
    let outgoing = async_graphql::http::WebSocket::new(WsExecutor(state.clone()), input, protocol)
        .on_connection_init(move |payload| async move {
            let headers = init_headers(&payload);
            let principal = init_state.authenticate(&headers).await.map_err(|error| {
                tracing::info!(reason = %error, "WebSocket connection refused");
                async_graphql::Error::new("the bearer token is invalid")
            })?;
            let id = uuid::Uuid::new_v4().to_string();
            let declared =
                crate::session::declared(&headers, &id).map_err(async_graphql::Error::new)?;
            let max = init_state.limits.max_connections_per_agency;
            let Some(place) = init_state.connections.take(&principal.agency, max) else {
                let reason = format!(
                    "{} has {max} open connections on this node, the most allowed",
                    principal.agency
                );
                let _ = closing.try_send((4429, reason.clone()));
                return Err(async_graphql::Error::new(reason));
            };
            *init_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(place);
            tokio::spawn(watch_access(init_state.clone(), principal.clone(), closing));
            let mut data = async_graphql::Data::default();
            data.insert(Connection {
                caller: Caller {
                    principal,
                    declared,
                },
                id,
            });
            Ok(data)
        });
    futures::pin_mut!(outgoing);
    loop {
        tokio::select! {
            biased;
            Some((code, reason)) = close.recv() => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    // A reason of the hub's own (4429) wins over the protocol's.
                    let (code, reason) = close.try_recv().unwrap_or((code, reason));
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
        }
    }
    drop(slot);
}

/// The headers carried in a `connection_init` payload: `Authorization`
/// (or a bare `token`), `X-Purpose` and `X-Case-Ref`, any case.
fn init_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(fields) = payload.as_object() else {
        return headers;
    };
    for (key, value) in fields {
        let Some(text) = value.as_str() else {
            continue;
        };
        let (name, text) = match key.to_ascii_lowercase().as_str() {
            "authorization" => (header::AUTHORIZATION, text.to_owned()),
            "token" => (header::AUTHORIZATION, format!("Bearer {text}")),
            "x-purpose" => (
                header::HeaderName::from_static("x-purpose"),
                text.to_owned(),
            ),
            "x-case-ref" => (
                header::HeaderName::from_static("x-case-ref"),
                text.to_owned(),
            ),
            _ => continue,
        };
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.insert(name, value);
        }
    }
    headers
}

/// Closes a WebSocket connection when its token expires or is revoked, or
/// its agency's access narrows (a scope, a province, a purpose
/// requirement, a suspension). Subscriptions also check before each
/// delivery, so nothing is delivered past a narrowing even before this
/// closes the connection.
async fn watch_access(
    state: AppState,
    principal: crate::auth::Principal,
    closing: tokio::sync::mpsc::Sender<(u16, String)>,
) {
    loop {
        tokio::time::sleep(crate::session::RECHECK).await;
        if closing.is_closed() {
            return;
        }
        if let Err(reason) = state.cache.still_allowed(&principal).await {
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
    match state.authenticate(&headers).await {
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

async fn healthz() -> &'static str {
    "ok"
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
    let (response, agency, label, outcome) = serve_graphql(&state, &headers, body).await;
    state.metrics.request(
        "graphql",
        agency.as_deref().unwrap_or("-"),
        &label,
        outcome,
        started.elapsed(),
    );
    response
}

/// Serves one GraphQL request over HTTP: authenticates it, reads the body
/// and the declared headers, and hands it to the session; also says who
/// asked, which operation and how it ended, for the metrics.
async fn serve_graphql(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> (Response, Option<String>, String, &'static str) {
    let principal = match state.authenticate(headers).await {
        Ok(principal) => principal,
        Err(error) => return (unauthorized(&error), None, "-".into(), "unauthenticated"),
    };
    let agency = Some(principal.agency.clone());
    let bad_request = |status: StatusCode, message: &str| {
        (
            graphql_error(status, "BAD_USER_INPUT", message),
            agency.clone(),
            "-".to_owned(),
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
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let declared = match crate::session::declared(headers, request_id) {
        Ok(declared) => declared,
        Err(message) => return bad_request(StatusCode::BAD_REQUEST, &message),
    };
    let caller = Caller {
        principal,
        declared,
    };
    let Served {
        response,
        outcome,
        retry_after,
        label,
    } = state.run(caller, request, Transport::Http).await;
    let status = match outcome {
        Outcome::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Outcome::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Outcome::AuditFailed => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let content_type = match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        Some(accept) if accept.contains("application/graphql-response+json") => {
            "application/graphql-response+json"
        }
        _ => "application/json",
    };
    let body = match serde_json::to_value(&response) {
        // A request error (refused, unparsable, invalid): no `data` at all,
        // as GraphQL over HTTP has it.
        Ok(serde_json::Value::Object(mut body))
            if response.data == async_graphql::Value::Null
                && !response.errors.is_empty()
                && response.errors.iter().all(|e| e.path.is_empty()) =>
        {
            body.remove("data");
            serde_json::to_vec(&body)
        }
        Ok(body) => serde_json::to_vec(&body),
        Err(error) => Err(error),
    }
    .unwrap_or_else(|_| b"{}".to_vec());
    let mut http = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some(seconds) = retry_after {
        http.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    (http, agency, label, outcome.label())
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
    match state
        .issue_token(&agency.code, requested, state.token_ttl)
        .await
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
        Err(crate::access::issue::IssueError::Scope(message)) => {
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

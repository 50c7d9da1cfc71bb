//! HTTP: the router and what every route shares — request ids,
//! authentication at the edge (the [`Authenticated`] extractor) and the
//! shape of an error answered outside GraphQL execution. The routes live
//! beside it: `graphql` (GraphQL over HTTP), `playground` (the page and
//! the files it loads), `ws` (GraphQL over WebSocket), `oauth` (the token
//! endpoint and the keys), `ops` (health, readiness, metrics); `edge` is
//! the server loop (timeouts, connection cap). What a request may do is decided in
//! `session`, not here.

mod edge;
mod graphql;
mod oauth;
mod ops;
mod playground;
mod ws;
mod ws_protocol;

use crate::auth::Principal;
pub use crate::session::{AppState, AuthError};
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
pub use edge::{EdgeSettings, serve};
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The router with its layers.
pub fn router(state: AppState, max_body_bytes: usize, cors: Option<CorsLayer>) -> Router {
    let router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/playground/{file}", get(playground::asset))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/oauth/token", post(oauth::token))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn(crate::telemetry::answer_trace))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let span = tracing::info_span!(
                        "request",
                        request_id = %request_id(request.headers()),
                        method = %request.method(),
                        path = %request.uri().path(),
                        otel.name = %format_args!("{} {}", request.method(), request.uri().path()),
                        otel.kind = "server",
                    );
                    crate::telemetry::continue_trace(&span, request.headers());
                    span
                })
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_bad_request_id));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// The CORS policy for `origins` (none: no cross-origin browser access).
/// An origin is a scheme and a host, with a port if not the default one;
/// anything else (a path, a wildcard) is refused at startup. Browsers may
/// send the token, the declared purpose and case, a request id, an
/// idempotency key and trace context, and read the request id,
/// `Retry-After` and `traceparent`.
pub fn cors(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    use axum::http::{HeaderName, Method};
    if origins.is_empty() {
        return Ok(None);
    }
    let mut allowed = Vec::new();
    for origin in origins {
        let origin = origin.trim();
        let ok = is_origin(origin);
        anyhow::ensure!(
            ok,
            "cors_origins: {origin:?} is not an origin (scheme://host[:port], e.g. https://dichvucong.lamdong.gov.vn)"
        );
        allowed.push(HeaderValue::from_str(origin)?);
    }
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allowed)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("x-purpose"),
                HeaderName::from_static("x-case-ref"),
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("traceparent"),
                HeaderName::from_static("tracestate"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                header::RETRY_AFTER,
                HeaderName::from_static("traceparent"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    ))
}

/// Whether `text` is a web origin as a browser sends it: `http` or
/// `https`, a host (a name of letters, digits, dots and hyphens, or an
/// address), and a port only if given in full; no user, path, query or
/// wildcard.
fn is_origin(text: &str) -> bool {
    let Ok(uri) = text.parse::<axum::http::Uri>() else {
        return false;
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return false;
    };
    let host = authority.host();
    let port_ok = match authority.as_str().strip_prefix(host) {
        Some("") => true,
        Some(port) => port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0)),
        None => false,
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }));
    matches!(scheme, "http" | "https")
        && host_ok
        && port_ok
        && text == format!("{scheme}://{authority}")
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

/// The caller of a request, authenticated at the edge from its bearer
/// token: a token that is present but invalid is refused, never taken as
/// absent. Handlers that count refusals take `Result<Authenticated,
/// AuthError>`.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        state.authenticate(&parts.headers).await.map(Authenticated)
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        unauthorized(&self)
    }
}

/// The line of an HTTP request whose line the session did not write (the
/// token endpoint, the keys, health, metrics, the playground, a WebSocket's
/// upgrade): the same line, with no agency and no operation.
fn log_response<B>(
    response: &axum::http::Response<B>,
    elapsed: std::time::Duration,
    _: &tracing::Span,
) {
    if response
        .extensions()
        .get::<crate::session::Logged>()
        .is_some()
    {
        return;
    }
    let status = response.status();
    crate::session::log(&crate::session::Finished {
        transport: crate::session::Transport::Http,
        agency: None,
        operation: "-",
        outcome: if status.is_client_error() || status.is_server_error() {
            "error"
        } else {
            "ok"
        },
        status: Some(status.as_u16()),
        request_id: request_id(response.headers()),
        elapsed,
        subscription: false,
    });
}

/// The request id the caller gave or the hub assigned.
fn request_id(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
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
        "INTERNAL_SERVER_ERROR"
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_whole_origins_are_origins() {
        for good in [
            "https://dichvucong.lamdong.gov.vn",
            "http://127.0.0.1:8081",
            "http://localhost:3000",
            "https://[::1]:8443",
        ] {
            assert!(super::is_origin(good), "{good}");
        }
        for bad in [
            "https://:",
            "https://",
            "https://host:",
            "https://host:0",
            "https://host:99999",
            "https://host/",
            "https://host/path",
            "https://host?x=1",
            "https://user@host",
            "https://*.gov.vn",
            "https://.gov.vn",
            "https://-a.gov.vn",
            "ftp://host",
            "host",
            "*",
        ] {
            assert!(!super::is_origin(bad), "{bad}");
        }
    }
}

//! The OAuth token endpoint (`POST /oauth/token`, client credentials)
//! and the key set that verifies the hub's tokens
//! (`/.well-known/jwks.json`). Checking the secret is `access::login`;
//! what a token carries is `access::issue`.

use super::AppState;
use crate::auth::ScopeSet;
use axum::Json;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The JSON Web Key Set: the public keys that verify the hub's tokens, the
/// current one first, then earlier ones whose tokens may still be alive.
pub(super) async fn jwks(State(state): State<AppState>) -> Response {
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
pub(super) async fn token(
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

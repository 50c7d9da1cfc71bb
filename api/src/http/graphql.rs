//! GraphQL over HTTP, as the GraphQL-over-HTTP specification has it:
//! `POST /graphql` with `Content-Type: application/json`, and `GET
//! /graphql?query=…` for queries (never mutations); `GET /graphql` with
//! no query is the playground (`playground.rs`). Reads the request and the
//! declared purpose, hands it to the session and shapes its answer: the
//! status (400 for a request error when the client accepts
//! `application/graphql-response+json`, 405 for a mutation over GET, 415
//! for a body that is not JSON), the content type, and no `data` on a
//! request error. Limits, execution and the access log are the session's.

use super::{AppState, AuthError, Authenticated, graphql_error, request_id};
use crate::session::{Caller, Finished, Logged, Outcome, Served, Transport};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The media type of a GraphQL response under the specification.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// What one HTTP request becomes before the session: a GraphQL request,
/// or the answer that refuses it.
type Parsed = Result<async_graphql::Request, (StatusCode, String)>;

/// `POST /graphql`.
pub(super) async fn post(
    State(state): State<AppState>,
    caller: Result<Authenticated, AuthError>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let parsed = parse_post(&headers, body);
    serve(&state, caller, &headers, parsed, Transport::Http).await
}

/// `GET /graphql`: a query in the URL (`query`, `operationName`, and
/// `variables` and `extensions` as JSON), or the playground when the URL
/// asks for nothing.
pub(super) async fn get(
    State(state): State<AppState>,
    caller: Result<Authenticated, AuthError>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return super::playground::page();
    };
    let parsed = parse_get(&query);
    serve(&state, caller, &headers, parsed, Transport::HttpGet).await
}

/// A POST body: JSON, one operation.
fn parse_post(
    headers: &HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Parsed {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json".into(),
        ));
    }
    let body = body.map_err(|rejection| (rejection.status(), rejection.body_text()))?;
    serde_json::from_slice(&body).map_err(|error| {
        let message = if body.first() == Some(&b'[') {
            "batched requests are not accepted: send one operation per request".to_owned()
        } else {
            format!("the body must be a JSON GraphQL request: {error}")
        };
        (StatusCode::BAD_REQUEST, message)
    })
}

/// The parameters of a GET request.
fn parse_get(query: &str) -> Parsed {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Params {
        query: Option<String>,
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let bad = |message: String| (StatusCode::BAD_REQUEST, message);
    let params: Params = serde_urlencoded::from_str(query).map_err(|e| {
        bad(format!(
            "the URL's parameters are query, operationName, variables and extensions: {e}"
        ))
    })?;
    let json =
        |name: &str, text: Option<String>| -> Result<serde_json::Value, (StatusCode, String)> {
            match text {
                None => Ok(serde_json::Value::Null),
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| bad(format!("{name} must be a JSON object: {e}"))),
            }
        };
    let request = serde_json::json!({
        "query": params.query.unwrap_or_default(),
        "operationName": params.operation_name,
        "variables": json("variables", params.variables)?,
        "extensions": json("extensions", params.extensions)?,
    });
    serde_json::from_value(request)
        .map_err(|e| bad(format!("the request is not a GraphQL request: {e}")))
}

/// Serves one request: counts it in the metrics and logs its line, under
/// who asked, which operation and how it ended.
async fn serve(
    state: &AppState,
    caller: Result<Authenticated, AuthError>,
    headers: &HeaderMap,
    parsed: Parsed,
    transport: Transport,
) -> Response {
    let started = std::time::Instant::now();
    let (mut response, agency, label, outcome) = match caller {
        Ok(Authenticated(principal)) => {
            serve_graphql(state, principal, headers, parsed, transport).await
        }
        Err(error) => (error.into_response(), None, "-".into(), "unauthenticated"),
    };
    state.finished(&Finished {
        transport,
        agency: agency.as_deref(),
        operation: &label,
        outcome,
        status: Some(response.status().as_u16()),
        request_id: request_id(headers),
        elapsed: started.elapsed(),
        subscription: false,
    });
    response.extensions_mut().insert(Logged);
    response
}

/// Serves one authenticated GraphQL request over HTTP: reads the body and
/// the declared headers, and hands it to the session; also says who
/// asked, which operation and how it ended, for the metrics.
async fn serve_graphql(
    state: &AppState,
    principal: crate::auth::Principal,
    headers: &HeaderMap,
    parsed: Parsed,
    transport: Transport,
) -> (Response, Option<String>, String, &'static str) {
    let agency = Some(principal.agency.clone());
    let bad_request = |status: StatusCode, message: &str| {
        (
            graphql_error(status, "BAD_USER_INPUT", message),
            agency.clone(),
            "-".to_owned(),
            "bad_request",
        )
    };
    let request = match parsed {
        Ok(request) => request,
        Err((status, message)) => return bad_request(status, &message),
    };
    let request_id = request_id(headers);
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
    } = state.run(caller, request, transport).await;
    let accepts_graphql_response = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE));
    // A request error (refused, unparsable, invalid, variables that do not
    // coerce): no `data` at all, as GraphQL over HTTP has it.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = match outcome {
        Outcome::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Outcome::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Outcome::AuditFailed => StatusCode::SERVICE_UNAVAILABLE,
        Outcome::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Outcome::Forbidden => StatusCode::FORBIDDEN,
        _ if request_error && accepts_graphql_response => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let content_type = if accepts_graphql_response {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    let body = match serde_json::to_value(&response) {
        Ok(serde_json::Value::Object(mut body)) if request_error => {
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
    if status == StatusCode::METHOD_NOT_ALLOWED {
        http.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    (http, agency, label, outcome.label())
}

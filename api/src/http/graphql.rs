//! GraphQL over HTTP (`POST /graphql`) and the playground (`GET
//! /graphql`): reads the body and the declared purpose, hands the request
//! to the session and shapes its answer (status, content type, no `data`
//! on a request error). Limits, execution and the access log are the
//! session's.

use super::{AppState, AuthError, Authenticated, graphql_error, request_id};
use crate::session::{Caller, Outcome, Served, Transport};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub(super) async fn handler(
    State(state): State<AppState>,
    caller: Result<Authenticated, AuthError>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let (response, agency, label, outcome) = match caller {
        Ok(Authenticated(principal)) => serve_graphql(&state, principal, &headers, body).await,
        Err(error) => (error.into_response(), None, "-".into(), "unauthenticated"),
    };
    state.metrics.request(
        "graphql",
        agency.as_deref().unwrap_or("-"),
        &label,
        outcome,
        started.elapsed(),
    );
    response
}

/// Serves one authenticated GraphQL request over HTTP: reads the body and
/// the declared headers, and hands it to the session; also says who
/// asked, which operation and how it ended, for the metrics.
async fn serve_graphql(
    state: &AppState,
    principal: crate::auth::Principal,
    headers: &HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
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

pub(super) async fn playground() -> Html<&'static str> {
    Html(PLAYGROUND)
}

const PLAYGROUND: &str = include_str!("playground.html");

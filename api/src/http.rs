//! HTTP routes: GraphQL (with authentication at the edge), the GraphiQL
//! playground and health.

use crate::auth::keys::SigningKeys;
use crate::auth::token::{self, TokenSettings};
use crate::auth::{Jurisdiction, Principal, ScopeSet};
use crate::db::Db;
use crate::graphql::{self, LienthongSchema};
use async_graphql_axum::GraphQLRequest;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entities::access::{AgencyStatus, agency};
use sea_orm::EntityTrait;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: LienthongSchema,
    pub db: Db,
    pub keys: Arc<SigningKeys>,
    pub tokens: TokenSettings,
}

/// The router with its layers.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/graphql", get(playground).post(graphql_handler))
        .route("/healthz", get(healthz))
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
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
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// Turns the bearer token into a principal: a valid signature and claims,
/// then the agency as it is now (registered, active), whose ceiling bounds
/// the token's scopes and jurisdiction.
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
    let mut principal = token::verify(&state.keys, &state.tokens, token.trim())?;
    let agency = agency::Entity::find_by_id(principal.agency.clone())
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| AuthError::UnknownAgency(principal.agency.clone()))?;
    if agency.status != AgencyStatus::Active {
        return Err(AuthError::Suspended(agency.code));
    }
    let ceiling = ScopeSet::parse(&agency.scopes).unwrap_or_default();
    principal.scopes = principal.scopes.intersect(ceiling);
    let allowed = Jurisdiction::parse(&agency.jurisdiction)
        .unwrap_or(Jurisdiction::Provinces(Default::default()));
    principal.jurisdiction = principal.jurisdiction.intersect(&allowed);
    Ok(principal)
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

async fn graphql_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(error) => return unauthorized(&error),
    };
    let response = graphql::execute(
        &state.schema,
        request.into_inner(),
        principal,
        state.db.conn.clone(),
    )
    .await;
    let content_type = match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        Some(accept) if accept.contains("application/graphql-response+json") => {
            "application/graphql-response+json"
        }
        _ => "application/json",
    };
    let body = serde_json::to_vec(&response).unwrap_or_else(|_| b"{}".to_vec());
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn playground() -> Html<&'static str> {
    Html(PLAYGROUND)
}

const PLAYGROUND: &str = include_str!("playground.html");

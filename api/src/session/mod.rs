//! One session for every operation.
//!
//! Whatever carries an operation — `POST /graphql`, a `subscribe` message
//! on `/graphql/ws` (query, mutation or subscription), anything added
//! later — the edge authenticates the caller once ([`AppState::authenticate`])
//! and reads what it declared ([`declared`]); then [`AppState::run`] (or
//! [`AppState::operate`] for a WebSocket message) does the rest, in this
//! order and nowhere else:
//!
//! 1. the agency's request rate;
//! 2. the document's size, parse and shape (aliases, root fields through
//!    fragments, fragment expansion, one `verifyCitizen`), before
//!    async-graphql validates it;
//! 3. the typed context every resolver reads ([`graphql::Operation`]:
//!    principal, trail, a loader of its own, the node's services);
//! 4. execution with a deadline, on a task of its own, so that a client
//!    that goes away cannot cut a write off from its log row;
//! 5. the access log: the response leaves only once its rows are durable
//!    (a subscription's events are logged before each delivery).
//!
//! Refusals are GraphQL errors with a code, and are counted in the metrics
//! under a bounded vocabulary of operation names (the root field, or
//! `multiple`, `invalid`, `-`).

use crate::access::cache::AccessCache;
use crate::audit::writer::AuditWriter;
use crate::audit::{Declared, Trail};
use crate::auth::Principal;
use crate::auth::keys::SigningKeys;
use crate::auth::token::{self, TokenSettings};
use crate::db::Db;
use crate::error::ApiError;
use crate::graphql::loaders::Loaders;
use crate::graphql::{self, LienthongSchema, Operation, Services};
use crate::limits::{Limits, RateLimits, Shape};
use crate::metrics::Metrics;
use async_graphql::Pos;
use async_graphql::dataloader::DataLoader;
use async_graphql::parser::types::OperationType;
use axum::http::{HeaderMap, header};
use entities::access::AgencyStatus;
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every operation shares: the schema, the database, keys, caches,
/// limits, the audit writer and the metrics. One per node.
#[derive(Clone)]
pub struct AppState {
    pub schema: LienthongSchema,
    pub db: Db,
    pub keys: Arc<SigningKeys>,
    pub tokens: TokenSettings,
    pub cache: Arc<AccessCache>,
    /// Lifetime of tokens from `/oauth/token`, in seconds.
    pub token_ttl: i64,
    pub rate: Arc<RateLimits>,
    pub limits: Limits,
    pub audit: AuditWriter,
    pub metrics: Arc<Metrics>,
    pub feed: Arc<crate::registers::feed::Feed>,
    pub verified: Arc<token::VerifiedTokens>,
    pub cursors: graphql::page::CursorKey,
    pub verifications: Arc<crate::limits::VerifyLimits>,
    /// Open WebSocket connections per agency.
    pub connections: Arc<Occupancy>,
    /// Live subscriptions per agency.
    pub subscriptions: Arc<Occupancy>,
    /// Rate limits, lockouts and bounded secret checks for `/oauth/token`.
    pub login: Arc<crate::access::login::LoginGuard>,
    /// Becomes `true` when the node is shutting down: open WebSockets
    /// close with 1001 (going away) instead of being cut.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// Parsed documents by the SHA-256 of their text: Apollo's automatic
    /// persisted queries, and no second parse of a document sent again.
    pub documents: Arc<Documents>,
}

/// Who runs an operation, as the edge established it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub declared: Declared,
}

/// How an operation arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `POST /graphql`.
    Http,
    /// `GET /graphql?query=…`: queries only, never a mutation.
    HttpGet,
    WebSocket,
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Data with errors.
    Partial,
    /// Errors without data.
    Error,
    RateLimited,
    BadRequest,
    /// The document is larger than the limit.
    TooLarge,
    Timeout,
    /// The access log could not be written, so no data was sent.
    AuditFailed,
    /// A mutation sent with GET.
    MethodNotAllowed,
    /// A document the agency may not run (it is held to trusted documents).
    Forbidden,
}

impl Outcome {
    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Error => "error",
            Outcome::RateLimited => "rate_limited",
            Outcome::BadRequest | Outcome::TooLarge | Outcome::MethodNotAllowed => "bad_request",
            Outcome::Timeout => "timeout",
            Outcome::AuditFailed => "audit_failed",
            Outcome::Forbidden => "forbidden",
        }
    }
}

/// A finished operation.
pub struct Served {
    pub response: async_graphql::Response,
    pub outcome: Outcome,
    /// Seconds to wait before trying again, when rate-limited.
    pub retry_after: Option<u64>,
    /// Its name in the metrics: the root field it selected (a name of the
    /// schema), `multiple`, `invalid` or `-`.
    pub label: String,
}

impl Served {
    fn refused(error: ApiError, outcome: Outcome) -> Served {
        Served {
            response: refusal(error),
            outcome,
            retry_after: None,
            label: "-".into(),
        }
    }
}

/// A response that is one error with a code and no data.
pub fn refusal(error: ApiError) -> async_graphql::Response {
    let mut error = error.into_graphql().into_server_error(Default::default());
    // Not about a place in the document.
    error.locations.clear();
    async_graphql::Response::from_errors(vec![error])
}

/// Why a caller was not authenticated. Logged; the caller only learns
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

impl AppState {
    /// Issues a token for a registered, active agency (see
    /// [`crate::access::issue::issue`]).
    pub async fn issue_token(
        &self,
        agency_code: &str,
        requested: Option<crate::auth::ScopeSet>,
        ttl_seconds: i64,
    ) -> Result<crate::access::issue::Issued, crate::access::issue::IssueError> {
        crate::access::issue::issue(
            &self.cache,
            &self.keys,
            &self.tokens,
            agency_code,
            requested,
            ttl_seconds,
        )
        .await
    }

    /// The node's services, as resolvers see them.
    pub fn services(&self) -> Services {
        Services {
            db: self.db.conn.clone(),
            cache: self.cache.clone(),
            revocation_retention: crate::access::revocation_retention(
                self.token_ttl.max(12 * 3600),
            ),
            feed: self.feed.clone(),
            limits: self.limits.clone(),
            cursors: self.cursors.clone(),
            verifications: self.verifications.clone(),
            audit: self.audit.clone(),
        }
    }

    /// Turns the bearer token into a principal: a valid signature and
    /// claims, a token not revoked, and the agency as it is now
    /// (registered, active), whose scopes and jurisdiction right now bound
    /// the token's.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AuthError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or(AuthError::Missing)?
            .to_str()
            .map_err(|_| AuthError::Malformed)?;
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(AuthError::Malformed);
        }
        let claims = self
            .verified
            .verify(&self.keys, &self.tokens, token.trim())?;
        self.cache.sync().await?;
        if self.cache.is_revoked(&claims.agency, &claims.token_id) {
            return Err(AuthError::Revoked(claims.token_id));
        }
        let access = self
            .cache
            .access(&claims.agency)
            .await?
            .ok_or_else(|| AuthError::UnknownAgency(claims.agency.clone()))?;
        if access.status != AgencyStatus::Active {
            return Err(AuthError::Suspended(claims.agency));
        }
        Ok(access.narrow(claims))
    }
}

/// Reads what the caller declared about the request (purpose, case
/// reference, idempotency key) and its id. Either may be absent; present,
/// each must be non-blank text of reasonable length.
pub fn declared(headers: &HeaderMap, request_id: &str) -> Result<Declared, String> {
    // The one text rule (`text::clean`): NFC, no control, bidi or
    // zero-width characters, a bounded length; these go into the log.
    let text = |name: &str, max: usize| -> Result<Option<String>, String> {
        let Some(value) = headers.get(name) else {
            return Ok(None);
        };
        let text = header_text(value.as_bytes()).ok_or_else(|| {
            format!("{name} must be UTF-8 text, or percent-encoded UTF-8 after UTF-8''")
        })?;
        crate::text::clean(name, &text, max)
            .map(Some)
            .map_err(|e| e.to_string())
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
        request_id: request_id.to_owned(),
    })
}

/// A header's text: UTF-8 as sent, or, in the form of RFC 8187
/// (`UTF-8''%C4%90%C4%83ng%20k%C3%BD`), percent-decoded — a browser can send
/// only ISO-8859-1 in a header, and a Vietnamese purpose needs more.
fn header_text(bytes: &[u8]) -> Option<String> {
    const PREFIX: &[u8] = b"utf-8''";
    match bytes.get(..PREFIX.len()) {
        Some(start) if start.eq_ignore_ascii_case(PREFIX) => {
            let decoded: Vec<u8> =
                percent_encoding::percent_decode(&bytes[PREFIX.len()..]).collect();
            String::from_utf8(decoded).ok()
        }
        _ => std::str::from_utf8(bytes).ok().map(str::to_owned),
    }
}

/// The purpose and case reference a client puts in the request's
/// `extensions` (`purpose`, `caseRef`), for a client that cannot set
/// headers: the same rule as the headers, and a value given both ways
/// must be the same.
pub fn declared_in_extensions(
    declared: &mut Declared,
    extensions: &HashMap<String, async_graphql::Value>,
) -> Result<(), String> {
    for (key, max, slot) in [
        ("purpose", 500, &mut declared.purpose),
        ("caseRef", 128, &mut declared.case_ref),
    ] {
        let Some(value) = extensions.get(key) else {
            continue;
        };
        let async_graphql::Value::String(text) = value else {
            return Err(format!("extensions.{key} must be a string"));
        };
        let text = crate::text::clean(&format!("extensions.{key}"), text, max)
            .map_err(|e| e.to_string())?;
        match slot {
            Some(header) if *header != text => {
                return Err(format!(
                    "extensions.{key} and its header differ: give it once"
                ));
            }
            _ => *slot = Some(text),
        }
    }
    Ok(())
}

/// How often a WebSocket connection's access is checked again.
pub const RECHECK: Duration = Duration::from_millis(500);

mod documents;
mod finish;
mod occupancy;
mod run;

pub use documents::{Documents, Parsed};
pub use finish::{Finished, Logged, log};
pub use occupancy::{Occupancy, Slot};

#[cfg(test)]
mod tests;

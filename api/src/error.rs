//! The one error type of the API and the one place that turns it into a
//! GraphQL error with `extensions.code`.
//!
//! async-graphql turns any `Display` error into a GraphQL error *without* a
//! code, so resolvers never return `ApiError` through a bare `?`: they call
//! [`Gql::gql`] (or [`ApiError::into_graphql`]), and [`finish`] gives every
//! remaining error (parse, validation, input coercion) the code
//! `BAD_USER_INPUT`. (A function on the response, not an extension: any
//! extension sends every field through async-graphql's slow path.)

use async_graphql::{ErrorExtensions, Name, PathSegment, Response, Value};
use std::sync::Arc;

/// Everything that can go wrong in a request, as the caller should see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("this field needs the scope {required_scope}")]
    Forbidden { required_scope: &'static str },
    /// Refused for a reason other than a missing scope: outside the
    /// caller's jurisdiction, or not the owner of the data.
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Too many requests, or too much held open: says what and for how long.
    #[error("{0}")]
    RateLimited(String),
    #[error("a declared purpose (X-Purpose header) is required")]
    PurposeRequired,
    /// An automatic persisted query (Apollo) whose hash the hub does not
    /// know: it keeps none, so the client sends the document itself.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// Logged once with its cause; the caller sees only a safe message.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "UNAUTHENTICATED",
            ApiError::Forbidden { .. } | ApiError::NotAllowed(_) => "FORBIDDEN",
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::RateLimited(_) => "RATE_LIMITED",
            ApiError::PurposeRequired => "PURPOSE_REQUIRED",
            ApiError::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(error.into())
    }

    /// The GraphQL error, with `extensions.code` (and `requiredScope` for a
    /// missing scope).
    pub fn into_graphql(self) -> async_graphql::Error {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let code = self.code();
        let required = match &self {
            ApiError::Forbidden { required_scope } => Some(*required_scope),
            _ => None,
        };
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(scope) = required {
                ext.set("requiredScope", scope);
            }
        })
    }
}

/// A write the database refuses because it names a row that does not exist
/// (a foreign key) is the caller's `BAD_USER_INPUT`: the registers check
/// what a write names before writing, and where one does not (an industry
/// code, say), or the row went away meanwhile, the database's refusal is
/// the last line of defence. Any other database error is internal.
impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        match error.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(detail)) => {
                tracing::warn!(%detail, "a write named a row that does not exist");
                ApiError::BadUserInput(format!(
                    "the write names a record that does not exist: {detail}"
                ))
            }
            _ => ApiError::internal(error),
        }
    }
}

impl From<Arc<sea_orm::DbErr>> for ApiError {
    fn from(error: Arc<sea_orm::DbErr>) -> Self {
        ApiError::Internal(anyhow::anyhow!("{error}"))
    }
}

impl From<crate::ids::IdError> for ApiError {
    fn from(error: crate::ids::IdError) -> Self {
        ApiError::BadUserInput(error.0)
    }
}

/// A unique violation is a `CONFLICT`; any other database error as
/// `From<DbErr>` says.
pub fn conflict_on_unique(error: sea_orm::DbErr) -> ApiError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) => {
            ApiError::Conflict(format!("already exists: {detail}"))
        }
        _ => error.into(),
    }
}

/// `Result<T, ApiError>` → `async_graphql::Result<T>` with the error code.
pub trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<ApiError>> Gql<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().into_graphql())
    }
}

/// Gives every error of a response an `extensions.code` (errors from the
/// resolvers have one already; what is left comes from parsing, validating
/// or coercing the caller's document and variables) and a `null` where a
/// failed field was left out.
pub fn finish(response: &mut Response) {
    fill_nulls(response);
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Value::from("BAD_USER_INPUT"));
        }
    }
}

/// async-graphql leaves a field that failed out of `data`; GraphQL says it
/// is `null`, and clients rely on that. Puts a `null` at the path of every
/// field error whose parent was served.
fn fill_nulls(response: &mut Response) {
    if response.errors.is_empty() || response.errors.iter().any(|e| e.path.is_empty()) {
        // Request errors (parse, validation): there is no data at all.
        return;
    }
    if response.data == Value::Null {
        response.data = Value::Object(Default::default());
    }
    for error in &response.errors {
        let Some((last, parents)) = error.path.split_last() else {
            continue;
        };
        let node = parents
            .iter()
            .try_fold(&mut response.data, |node, segment| match (segment, node) {
                (PathSegment::Field(name), Value::Object(map)) => map.get_mut(name.as_str()),
                (PathSegment::Index(i), Value::List(list)) => list.get_mut(*i),
                _ => None,
            });
        if let (PathSegment::Field(name), Some(Value::Object(map))) = (last, node) {
            map.entry(Name::new(name)).or_insert(Value::Null);
        }
    }
}

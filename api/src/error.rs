//! The one error type of the API and the one place that turns it into a
//! GraphQL error with `extensions.code`.
//!
//! async-graphql turns any `Display` error into a GraphQL error *without* a
//! code, so resolvers never return `ApiError` through a bare `?`: they call
//! [`Gql::gql`] (or [`ApiError::into_graphql`]), and [`finish`] and
//! [`classify`] give every remaining error the code an Apollo client
//! knows: `GRAPHQL_PARSE_FAILED` for a document that does not parse,
//! `GRAPHQL_VALIDATION_FAILED` for one that does not fit the schema,
//! `BAD_USER_INPUT` for variables that do not fit it or an argument a
//! resolver refuses. (Functions on the response, not an extension: any
//! extension sends every field through async-graphql's slow path.)

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ErrorExtensions, Name, PathSegment, Pos, Response, Value};
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
    /// An automatic persisted query (Apollo) whose hash this node has not
    /// seen: the client sends the document with its hash, once.
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
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
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

/// Gives every field error of a response an `extensions.code` (errors
/// from the resolvers have one already; what is left is an argument the
/// caller gave that did not coerce: `BAD_USER_INPUT`) and a `null` where a
/// failed field was left out. Request errors are [`classify`]'s.
pub fn finish(response: &mut Response) {
    fill_nulls(response);
    for error in &mut response.errors {
        if error.path.is_empty() {
            continue;
        }
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Value::from("BAD_USER_INPUT"));
        }
    }
}

/// Gives each request error without a code (what async-graphql's
/// validation found) its code: `BAD_USER_INPUT` when it is about the value
/// of an argument that a variable gives (the variables do not fit, or a
/// required one is missing), `GRAPHQL_VALIDATION_FAILED` otherwise.
/// `variable_arguments` are the positions of the arguments whose value
/// holds a variable ([`variable_arguments`]).
pub fn classify(response: &mut Response, variable_arguments: &[Pos]) {
    for error in &mut response.errors {
        if !error.path.is_empty() {
            continue;
        }
        // async-graphql's own limits (complexity, depth) are limits like
        // the hub's, refused as the caller's input.
        let limit = error.message.starts_with("Query is too complex")
            || error.message.starts_with("Query is nested too deep")
            || error.message.starts_with("The recursion depth");
        let about_variable = limit
            || error.message.starts_with("Variable ")
            || (error.message.starts_with("Invalid value for argument")
                && error
                    .locations
                    .iter()
                    .any(|at| variable_arguments.contains(at)));
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            let code = if about_variable {
                "BAD_USER_INPUT"
            } else {
                "GRAPHQL_VALIDATION_FAILED"
            };
            extensions.set("code", Value::from(code));
        }
    }
}

/// The positions of the arguments (of fields and directives) whose value
/// holds a variable, anywhere in the document; empty when no operation
/// declares a variable.
pub fn variable_arguments(document: &ExecutableDocument) -> Vec<Pos> {
    let declares = document
        .operations
        .iter()
        .any(|(_, op)| !op.node.variable_definitions.is_empty());
    if !declares {
        return Vec::new();
    }
    fn has_variable(value: &async_graphql_value::Value) -> bool {
        use async_graphql_value::Value as V;
        match value {
            V::Variable(_) => true,
            V::List(items) => items.iter().any(has_variable),
            V::Object(fields) => fields.values().any(has_variable),
            _ => false,
        }
    }
    let mut found = Vec::new();
    let _ = crate::limits::each_argument(document, |_, name, value| {
        if has_variable(&value.node) {
            found.push(name.pos);
        }
        Ok::<(), std::convert::Infallible>(())
    });
    found
}

/// The parser's report (several lines, with an ASCII-art pointer) as one
/// line: `at line L, column C: expected …`.
pub fn one_line(report: &str) -> String {
    let at = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("--> "))
        .and_then(|at| at.trim().split_once(':'))
        .map(|(line, column)| format!("at line {line}, column {column}: "))
        .unwrap_or_default();
    let reason = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("= "))
        .unwrap_or(report.trim());
    format!("{at}{reason}")
}

/// The error for a document that does not parse (`GRAPHQL_PARSE_FAILED`),
/// with where and why on one line.
pub fn parse_failed(error: &async_graphql::ServerError) -> async_graphql::ServerError {
    // A document nested past the parser's own limit is refused as a limit
    // (`BAD_USER_INPUT`), like the hub's other limits.
    let (message, code) = if error.message.contains("recursion limit") {
        (
            "the document nests deeper than the hub reads (the parser's recursion limit): ask for fewer nested levels".to_owned(),
            "BAD_USER_INPUT",
        )
    } else {
        (
            format!(
                "the document is not valid GraphQL {}",
                one_line(&error.message)
            ),
            "GRAPHQL_PARSE_FAILED",
        )
    };
    let mut failed = async_graphql::ServerError::new(message, None);
    failed.locations = error.locations.clone();
    failed.extensions = Some(Default::default());
    if let Some(extensions) = failed.extensions.as_mut() {
        extensions.set("code", Value::from(code));
    }
    failed
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

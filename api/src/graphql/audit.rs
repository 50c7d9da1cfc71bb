//! Reading the access log: `accessLog` for the owners of datasets (their
//! own datasets only), and `subjectAccessLog` — "who looked at my data" —
//! for the population owner acting for a citizen.

use super::access::Dataset;
use super::page::{Conn, CursorKind, PageRequest, connection};
use super::{db, principal};
use crate::auth::Scope;
use crate::error::{ApiError, Gql};
use crate::ids;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entities::access::{self as acc, agency};
use entities::audit::{access_log, access_log_subject};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// One request's access to one dataset, as logged.
pub struct AccessLogEntry(access_log::Model);

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// One request's access to one dataset, as logged.
#[Object]
impl AccessLogEntry {
    /// Position in the log (increasing).
    async fn seq(&self) -> ID {
        ID(self.0.seq.to_string())
    }
    /// When the response was released.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The server that wrote the row (each keeps its own hash chain).
    async fn node(&self) -> &str {
        &self.0.node
    }
    /// The agency that read.
    async fn agency(&self) -> &str {
        &self.0.agency
    }
    /// The grants it read under; empty when it read its own dataset.
    async fn grant_ids(&self) -> Vec<&str> {
        self.0
            .grant_id
            .as_deref()
            .map(|g| g.split(' ').collect())
            .unwrap_or_default()
    }
    /// The GraphQL operation's name (`anonymous` without one).
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The dataset read.
    async fn dataset(&self) -> Dataset {
        self.0.dataset.into()
    }
    /// Personal ids, certificate numbers and enterprise codes returned.
    async fn subjects(&self) -> Vec<String> {
        json_list(&self.0.subjects)
    }
    /// The personal-data fields returned, as `Type.field`.
    async fn fields(&self) -> Vec<String> {
        json_list(&self.0.fields)
    }
    /// The purpose declared in `X-Purpose`.
    async fn purpose(&self) -> Option<&str> {
        self.0.purpose.as_deref()
    }
    /// The case reference declared in `X-Case-Ref`.
    async fn case_ref(&self) -> Option<&str> {
        self.0.case_ref.as_deref()
    }
    /// The request id (`X-Request-Id` of the response).
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
    /// SHA-256 of the previous row of this node's chain and this row.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// Which log rows to list; the filters combine with AND.
#[derive(InputObject, Default, Debug)]
pub struct AccessLogFilter {
    /// One of your datasets (all of them by default).
    pub dataset: Option<Dataset>,
    /// Accesses by this agency.
    pub agency: Option<String>,
    /// Rows that name this subject: a personal id, a certificate number or
    /// an enterprise code.
    pub subject: Option<String>,
    /// At or after this moment.
    pub from: Option<DateTime<Utc>>,
    /// Before this moment.
    pub to: Option<DateTime<Utc>>,
    /// Rows whose declared purpose is exactly this.
    pub purpose: Option<String>,
}

/// One access to a citizen's data, as the citizen would see it.
pub struct SubjectAccess {
    row: access_log::Model,
    agency_name: Option<String>,
}

/// One access to a citizen's data, as the citizen would see it.
#[Object]
impl SubjectAccess {
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.row.at
    }
    /// Which agency (code).
    async fn agency_code(&self) -> &str {
        &self.row.agency
    }
    /// Which agency (name).
    async fn agency_name(&self) -> Option<&str> {
        self.agency_name.as_deref()
    }
    /// Which dataset.
    async fn dataset(&self) -> Dataset {
        self.row.dataset.into()
    }
    /// Which fields were returned in that request (of this dataset).
    async fn fields(&self) -> Vec<String> {
        json_list(&self.row.fields)
    }
    /// The declared purpose.
    async fn purpose(&self) -> Option<&str> {
        self.row.purpose.as_deref()
    }
    /// The declared case reference.
    async fn case_ref(&self) -> Option<&str> {
        self.row.case_ref.as_deref()
    }
}

/// Rows naming `subject`, as a sub-query on the subject index.
fn naming(subject: &str) -> sea_orm::Condition {
    sea_orm::Condition::all().add(
        access_log::Column::Seq.in_subquery(
            Query::select()
                .column(access_log_subject::Column::Seq)
                .from(access_log_subject::Entity)
                .and_where(access_log_subject::Column::Subject.eq(subject))
                .to_owned(),
        ),
    )
}

/// Newest first, after the cursor's row.
async fn page_of_log(
    db: &DatabaseConnection,
    mut query: sea_orm::Select<access_log::Entity>,
    page: &PageRequest,
) -> Result<Vec<access_log::Model>, ApiError> {
    if let Some(key) = &page.after {
        let seq: i64 = key[0]
            .parse()
            .map_err(|_| ApiError::BadUserInput("after: not a cursor of this listing".into()))?;
        query = query.filter(access_log::Column::Seq.lt(seq));
    }
    Ok(query
        .order_by_desc(access_log::Column::Seq)
        .limit(page.limit())
        .all(db)
        .await?)
}

fn check_subject(subject: &str) -> Result<(), ApiError> {
    if subject.is_empty()
        || subject.len() > 32
        || !subject
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ApiError::BadUserInput(
            "subject must be a personal id, a certificate number or an enterprise code".into(),
        ));
    }
    Ok(())
}

/// Access-log queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The access log of the datasets you own, newest first.
    #[graphql(
        guard = "Scope::AuditRead",
        complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 1"
    )]
    async fn access_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AccessLogFilter>,
        #[graphql(desc = "Page size, 50 by default, at most 500.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Conn<AccessLogEntry>>> {
        let filter = filter.unwrap_or_default();
        let (listing, page) = super::paged(ctx, CursorKind::AccessLog, &filter, first, after)?;
        let p = principal(ctx)?;
        let datasets = p
            .owned_or_all(filter.dataset.map(acc::Dataset::from))
            .gql()?;
        if datasets.is_empty() {
            return Err(ApiError::NotAllowed(
                "the access log is for the owners of datasets".into(),
            )
            .into_graphql());
        }
        let mut query =
            access_log::Entity::find().filter(access_log::Column::Dataset.is_in(datasets));
        if let Some(code) = &filter.agency {
            query = query.filter(access_log::Column::Agency.eq(code.as_str()));
        }
        if let Some(subject) = &filter.subject {
            check_subject(subject).gql()?;
            query = query.filter(naming(subject));
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from >= to
        {
            return Err(
                ApiError::BadUserInput(format!("from ({from}) is not before to ({to})"))
                    .into_graphql(),
            );
        }
        if let Some(from) = filter.from {
            query = query.filter(access_log::Column::At.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(access_log::Column::At.lt(to));
        }
        if let Some(purpose) = &filter.purpose {
            query = query.filter(access_log::Column::Purpose.eq(purpose.as_str()));
        }
        let rows = page_of_log(db(ctx)?, query, &page).await.gql()?;
        Ok(Some(connection(
            rows,
            &page,
            |row| listing.cursor(&[&row.seq.to_string()]),
            AccessLogEntry,
        )))
    }

    /// Who read a citizen's data — in every dataset — newest first: what
    /// the citizen would see on a "who looked at my data" page. For the
    /// owner of the population register, acting for the citizen.
    #[graphql(
        guard = "Scope::AuditRead",
        complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 1"
    )]
    async fn subject_access_log(
        &self,
        ctx: &Context<'_>,
        personal_id: String,
        #[graphql(desc = "Page size, 50 by default, at most 500.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Conn<SubjectAccess>>> {
        ids::parse_personal_id(&personal_id).gql()?;
        let (listing, page) =
            super::paged(ctx, CursorKind::SubjectLog, &personal_id, first, after)?;
        principal(ctx)?
            .require_owner(acc::Dataset::Population)
            .gql()?;
        let query = access_log::Entity::find().filter(naming(&personal_id));
        let rows = page_of_log(db(ctx)?, query, &page).await.gql()?;
        let mut codes: Vec<&str> = rows.iter().map(|r| r.agency.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        let names: HashMap<String, String> = agency::Entity::find()
            .filter(agency::Column::Code.is_in(codes))
            .all(db(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(|a| (a.code, a.name))
            .collect();
        Ok(Some(connection(
            rows,
            &page,
            |row| listing.cursor(&[&row.seq.to_string()]),
            |row| SubjectAccess {
                agency_name: names.get(&row.agency).cloned(),
                row,
            },
        )))
    }
}

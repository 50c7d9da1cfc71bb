//! Access queries: the caller (`me`), agencies, grants and access
//! requests, each as the caller may see them.

use super::types::*;
use crate::access::{self as rules};
use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::{db, principal};
use async_graphql::{Context, Object};
use chrono::Utc;
use entities::access::{self as acc, access_grant, access_request, agency};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

/// Access queries.
#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// The calling agency, its scopes and jurisdiction.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let p = principal(ctx)?;
        Ok(Me {
            agency: p.agency.clone(),
            scopes: p.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            jurisdictions: p
                .jurisdictions
                .iter()
                .map(|(dataset, j)| DatasetJurisdiction {
                    dataset: (*dataset).into(),
                    provinces: j.codes(),
                })
                .collect(),
            expires_at: p.expires_at,
            token_id: p.token_id.clone(),
        })
    }

    /// Every registered agency, by code.
    async fn agencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Agency>> {
        let rows = agency::Entity::find()
            .order_by_asc(agency::Column::Code)
            .all(db(ctx)?)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Agency).collect())
    }

    /// An agency by code; `null` if none has it.
    async fn agency(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Agency>> {
        Ok(agency::Entity::find_by_id(code)
            .one(db(ctx)?)
            .await
            .gql()?
            .map(Agency))
    }

    /// Grants you received or gave (all of them for the hub operator),
    /// newest first.
    async fn grants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only grants in force now.")] active_only: Option<bool>,
    ) -> async_graphql::Result<Vec<Grant>> {
        let p = principal(ctx)?;
        let mut query = access_grant::Entity::find();
        if !p.has(Scope::HubAdmin) {
            query = query.filter(
                Condition::any()
                    .add(access_grant::Column::Grantee.eq(p.agency.as_str()))
                    .add(access_grant::Column::GrantedBy.eq(p.agency.as_str())),
            );
        }
        let rows = query
            .order_by_desc(access_grant::Column::GrantedAt)
            .all(db(ctx)?)
            .await
            .gql()?;
        let now = Utc::now();
        Ok(rows
            .into_iter()
            .filter(|g| !active_only.unwrap_or(false) || rules::is_active(g, now))
            .map(Grant)
            .collect())
    }

    /// Requests you made, and requests for the datasets you own, newest first.
    async fn access_requests(
        &self,
        ctx: &Context<'_>,
        status: Option<RequestStatus>,
    ) -> async_graphql::Result<Vec<AccessRequest>> {
        let p = principal(ctx)?;
        let mut mine =
            Condition::any().add(access_request::Column::Requester.eq(p.agency.as_str()));
        if !p.owns.is_empty() {
            mine = mine.add(access_request::Column::Dataset.is_in(p.owns.iter().copied()));
        }
        let mut query = access_request::Entity::find().filter(mine);
        if let Some(status) = status {
            query =
                query.filter(access_request::Column::Status.eq(acc::RequestStatus::from(status)));
        }
        let rows = query
            .order_by_desc(access_request::Column::RequestedAt)
            .all(db(ctx)?)
            .await
            .gql()?;
        Ok(rows.into_iter().map(AccessRequest).collect())
    }
}

//! Handing a dataset to another owner, in two steps by two parties: the
//! owner proposes, the receiving ministry accepts (`access::transfer`).

use super::access::Dataset;
use super::{db, principal};
use crate::error::Gql;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// A proposed, accepted or cancelled hand-over of a dataset.
#[derive(SimpleObject)]
pub struct OwnershipTransfer {
    /// Its id.
    pub id: String,
    /// The dataset handed over.
    pub dataset: Dataset,
    /// The owner that proposed it.
    pub from_agency: String,
    /// The ministry that is to own it.
    pub to_agency: String,
    /// The legal act behind it.
    pub reason: String,
    /// When it was proposed.
    pub proposed_at: DateTime<Utc>,
    /// `PENDING`, `ACCEPTED` or `CANCELLED`.
    pub state: String,
    /// When it was accepted or cancelled.
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<entities::access::ownership_transfer::Model> for OwnershipTransfer {
    fn from(row: entities::access::ownership_transfer::Model) -> Self {
        OwnershipTransfer {
            id: row.id,
            dataset: row.dataset.into(),
            from_agency: row.from_agency,
            to_agency: row.to_agency,
            reason: row.reason,
            proposed_at: row.proposed_at,
            state: row.state,
            decided_at: row.decided_at,
        }
    }
}

/// A hand-over to propose.
#[derive(InputObject)]
pub struct ProposeOwnershipTransferInput {
    /// A dataset you own.
    pub dataset: Dataset,
    /// The ministry that is to own it.
    pub to_agency: String,
    /// The legal act behind the hand-over.
    pub reason: String,
}

/// Ownership queries.
#[derive(Default)]
pub struct OwnershipQuery;

#[Object]
impl OwnershipQuery {
    /// Hand-overs of datasets you take part in (every one, for the hub
    /// operator), newest first.
    async fn ownership_transfers(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<OwnershipTransfer>> {
        let rows = crate::access::transfer::list(db(ctx)?, principal(ctx)?)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// Ownership mutations.
#[derive(Default)]
pub struct OwnershipMutation;

#[Object]
impl OwnershipMutation {
    /// Proposes to hand a dataset you own to another ministry; it changes
    /// hands only when that ministry accepts.
    async fn propose_ownership_transfer(
        &self,
        ctx: &Context<'_>,
        input: ProposeOwnershipTransferInput,
    ) -> async_graphql::Result<Option<OwnershipTransfer>> {
        let row = crate::access::transfer::propose(
            db(ctx)?,
            principal(ctx)?,
            input.dataset.into(),
            &input.to_agency,
            &input.reason,
        )
        .await
        .gql()?;
        Ok(Some(row.into()))
    }

    /// Accepts a hand-over proposed to you: the dataset is yours from now on.
    async fn accept_ownership_transfer(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<OwnershipTransfer>> {
        let operation = super::operation(ctx)?;
        let row = crate::access::transfer::accept(
            &operation.services.db,
            &operation.services.cache,
            &operation.principal,
            &id,
        )
        .await
        .gql()?;
        Ok(Some(row.into()))
    }

    /// Cancels a hand-over you proposed, while it is pending.
    async fn cancel_ownership_transfer(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<OwnershipTransfer>> {
        let row = crate::access::transfer::cancel(db(ctx)?, principal(ctx)?, &id)
            .await
            .gql()?;
        Ok(Some(row.into()))
    }
}

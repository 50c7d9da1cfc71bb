//! Handing a dataset to another owner: a two-party procedure, and the only
//! way ownership changes once the hub runs.
//!
//! The owner proposes (`propose`), naming the receiving ministry and the
//! legal act behind the hand-over; the receiving ministry accepts with its
//! own token (`accept`), and only then, in one transaction, the dataset
//! moves from one `owns` to the other. The proposer may cancel a pending
//! proposal. The hub operator takes part in neither step (it owns nothing
//! and cannot receive a dataset), so it can never make itself or anyone an
//! owner. Every step is kept with its time, for both agencies and the
//! operator to read (`list`). One proposal per dataset is pending at a time.

use super::cache::{AccessCache, Change};
use super::owned;
use crate::auth::{Principal, Scope};
use crate::error::ApiError;
use chrono::Utc;
use entities::access::{AgencyKind, AgencyStatus, Dataset, agency, ownership_transfer};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};

const PENDING: &str = "PENDING";
const ACCEPTED: &str = "ACCEPTED";
const CANCELLED: &str = "CANCELLED";

/// The owner of `dataset` proposes to hand it to the ministry `to`.
pub async fn propose(
    db: &DatabaseConnection,
    principal: &Principal,
    dataset: Dataset,
    to: &str,
    reason: &str,
) -> Result<ownership_transfer::Model, ApiError> {
    principal.require_owner(dataset)?;
    let reason = crate::text::clean("reason", reason, 500)?;
    if to == principal.agency {
        return Err(ApiError::BadUserInput(format!(
            "{to} owns this dataset already"
        )));
    }
    let receiver = agency::Entity::find_by_id(to.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agency is registered as {to}")))?;
    if receiver.kind != AgencyKind::Ministry || receiver.status != AgencyStatus::Active {
        return Err(ApiError::BadUserInput(format!(
            "a dataset can be handed only to an active ministry; {to} is not one"
        )));
    }
    let pending = ownership_transfer::Entity::find()
        .filter(ownership_transfer::Column::Dataset.eq(dataset))
        .filter(ownership_transfer::Column::State.eq(PENDING))
        .one(db)
        .await?;
    if let Some(pending) = pending {
        return Err(ApiError::Conflict(format!(
            "transfer {} of this dataset is pending: accept or cancel it first",
            pending.id
        )));
    }
    Ok(ownership_transfer::Model {
        id: uuid::Uuid::new_v4().to_string(),
        dataset,
        from_agency: principal.agency.clone(),
        to_agency: to.to_owned(),
        reason,
        proposed_at: Utc::now(),
        state: PENDING.into(),
        decided_at: None,
    }
    .into_active_model()
    .insert(db)
    .await?)
}

/// The receiving ministry accepts a pending transfer: the dataset moves
/// from the proposer's `owns` to the receiver's, in one transaction, and
/// both agencies' access changes on every node at once.
pub async fn accept(
    db: &DatabaseConnection,
    cache: &AccessCache,
    principal: &Principal,
    id: &str,
) -> Result<ownership_transfer::Model, ApiError> {
    let txn = db.begin().await?;
    let transfer = find(&txn, id).await?;
    if transfer.to_agency != principal.agency {
        return Err(ApiError::NotAllowed(format!(
            "only {} accepts transfer {id}",
            transfer.to_agency
        )));
    }
    decide(&txn, &transfer, ACCEPTED).await?;
    let giver = agency::Entity::find_by_id(transfer.from_agency.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{} is gone", transfer.from_agency)))?;
    let receiver = agency::Entity::find_by_id(transfer.to_agency.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{} is gone", transfer.to_agency)))?;
    let mut given = owned(&giver);
    if !given.remove(&transfer.dataset) {
        return Err(ApiError::Conflict(format!(
            "{} no longer owns this dataset",
            transfer.from_agency
        )));
    }
    let mut received = owned(&receiver);
    received.insert(transfer.dataset);
    for (row, owns) in [(giver, given), (receiver, received)] {
        let mut row = row.into_active_model();
        row.owns = Set(owns
            .iter()
            .map(sea_orm::ActiveEnum::to_value)
            .collect::<Vec<_>>()
            .join(","));
        row.update(&txn).await?;
    }
    txn.commit().await?;
    cache
        .publish(Change::Agency(transfer.from_agency.clone()))
        .await?;
    cache
        .publish(Change::Agency(transfer.to_agency.clone()))
        .await?;
    find(db, id).await
}

/// The proposer cancels a pending transfer.
pub async fn cancel(
    db: &DatabaseConnection,
    principal: &Principal,
    id: &str,
) -> Result<ownership_transfer::Model, ApiError> {
    let transfer = find(db, id).await?;
    if transfer.from_agency != principal.agency {
        return Err(ApiError::NotAllowed(format!(
            "only {} cancels transfer {id}",
            transfer.from_agency
        )));
    }
    decide(db, &transfer, CANCELLED).await?;
    find(db, id).await
}

/// The transfers the caller takes part in (all of them for the operator),
/// newest first.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
) -> Result<Vec<ownership_transfer::Model>, ApiError> {
    let mut query = ownership_transfer::Entity::find();
    if !principal.has(Scope::HubAdmin) {
        query = query.filter(
            Condition::any()
                .add(ownership_transfer::Column::FromAgency.eq(principal.agency.as_str()))
                .add(ownership_transfer::Column::ToAgency.eq(principal.agency.as_str())),
        );
    }
    Ok(query
        .order_by_desc(ownership_transfer::Column::ProposedAt)
        .all(db)
        .await?)
}

async fn find(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
) -> Result<ownership_transfer::Model, ApiError> {
    ownership_transfer::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no ownership transfer {id}")))
}

/// Moves a pending transfer to `state`, if it is still pending (a
/// conditional update: of two decisions, one wins).
async fn decide(
    db: &impl sea_orm::ConnectionTrait,
    transfer: &ownership_transfer::Model,
    state: &str,
) -> Result<(), ApiError> {
    let moved = ownership_transfer::Entity::update_many()
        .col_expr(ownership_transfer::Column::State, Expr::value(state))
        .col_expr(
            ownership_transfer::Column::DecidedAt,
            Expr::value(Utc::now()),
        )
        .filter(ownership_transfer::Column::Id.eq(transfer.id.as_str()))
        .filter(ownership_transfer::Column::State.eq(PENDING))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(ApiError::Conflict(format!(
            "transfer {} was already decided",
            transfer.id
        )));
    }
    Ok(())
}

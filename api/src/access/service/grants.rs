//! Grants as plain functions: an owner gives and revokes them on its own
//! dataset; any agency asks for access and the owner decides.

use crate::access::cache::{AccessCache, Change};
use crate::access::{NewGrant, check_grant, check_text, due_by, grantable};
use crate::auth::{Jurisdiction, Principal, ScopeSet};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use entities::access::{Dataset, RequestStatus, access_grant, access_request, agency};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};

/// Stores a grant after `check_grant`'s rules; `granter` must own the
/// dataset.
pub async fn grant_access(
    db: &DatabaseConnection,
    cache: &AccessCache,
    granter: &Principal,
    input: NewGrant,
) -> Result<access_grant::Model, ApiError> {
    let now = Utc::now();
    let grantee = agency::Entity::find_by_id(input.grantee.clone())
        .one(db)
        .await?;
    let row = grant_row(granter, grantee.as_ref(), &input, now)?
        .into_active_model()
        .insert(db)
        .await?;
    cache.publish(Change::Agency(input.grantee)).await?;
    Ok(row)
}

/// The row of a new grant, after `check_grant`'s rules.
fn grant_row(
    granter: &Principal,
    grantee: Option<&agency::Model>,
    input: &NewGrant,
    now: DateTime<Utc>,
) -> Result<access_grant::Model, ApiError> {
    let checked = check_grant(granter, grantee, input, now)?;
    Ok(access_grant::Model {
        id: uuid::Uuid::new_v4().to_string(),
        dataset: input.dataset,
        grantee: input.grantee.clone(),
        scopes: checked.scopes.to_string(),
        jurisdiction: checked.jurisdiction.to_string(),
        purpose: input.purpose.trim().to_owned(),
        legal_basis: input.legal_basis.trim().to_owned(),
        requires_purpose: input.requires_purpose,
        valid_from: checked.valid_from,
        valid_until: input.valid_until,
        granted_by: granter.agency.clone(),
        granted_at: now,
        revoked_at: None,
        revoke_reason: None,
    })
}

/// Revokes a grant: only the owner that gave it, once; effective on the
/// grantee's next request.
pub async fn revoke_access(
    db: &DatabaseConnection,
    cache: &AccessCache,
    caller: &str,
    id: &str,
    reason: &str,
) -> Result<access_grant::Model, ApiError> {
    check_text("reason", reason)?;
    let grant = access_grant::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no grant {id}")))?;
    if grant.granted_by != caller {
        // Someone else's grant: as if it did not exist, for a non-owner.
        return Err(ApiError::NotAllowed(format!(
            "grant {id} was given by {}; only its owner may revoke it",
            grant.granted_by
        )));
    }
    // Only a grant not yet revoked is revoked: of two concurrent
    // revocations, one wins and the other is told so.
    let now = Utc::now();
    let updated = access_grant::Entity::update_many()
        .col_expr(access_grant::Column::RevokedAt, Expr::value(now))
        .col_expr(
            access_grant::Column::RevokeReason,
            Expr::value(reason.trim().to_owned()),
        )
        .filter(access_grant::Column::Id.eq(id))
        .filter(access_grant::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::Conflict(format!("grant {id} is already revoked")));
    }
    let grantee = grant.grantee.clone();
    let row = access_grant::Model {
        revoked_at: Some(now),
        revoke_reason: Some(reason.trim().to_owned()),
        ..grant
    };
    cache.publish(Change::Agency(grantee)).await?;
    Ok(row)
}

/// What a consumer asks for.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub dataset: Dataset,
    pub scopes: Vec<String>,
    pub jurisdiction: Vec<String>,
    pub purpose: String,
    pub legal_basis: String,
}

/// Files a request for access, due two working days later.
pub async fn request_access(
    db: &DatabaseConnection,
    requester: &str,
    input: NewRequest,
) -> Result<access_request::Model, ApiError> {
    let scopes = ScopeSet::parse(&input.scopes.join(" ")).map_err(ApiError::BadUserInput)?;
    let allowed = grantable(input.dataset);
    if scopes == ScopeSet::default() || !scopes.is_subset(allowed) {
        return Err(ApiError::BadUserInput(format!(
            "ask for some of the grantable scopes of {:?}: {allowed}",
            input.dataset
        )));
    }
    let jurisdiction =
        Jurisdiction::parse(&input.jurisdiction.join(" ")).map_err(ApiError::BadUserInput)?;
    check_text("purpose", &input.purpose)?;
    check_text("legalBasis", &input.legal_basis)?;
    let now = Utc::now();
    Ok(access_request::Model {
        id: uuid::Uuid::new_v4().to_string(),
        requester: requester.to_owned(),
        dataset: input.dataset,
        scopes: scopes.to_string(),
        jurisdiction: jurisdiction.to_string(),
        purpose: input.purpose.trim().to_owned(),
        legal_basis: input.legal_basis.trim().to_owned(),
        requested_at: now,
        due_by: due_by(now),
        status: RequestStatus::Pending,
        decided_at: None,
        decided_by: None,
        decision_reason: None,
        grant_id: None,
    }
    .into_active_model()
    .insert(db)
    .await?)
}

/// The owner's answer to a request (`owner` must own the requested
/// dataset): approving creates the grant in the same transaction.
pub async fn decide_request(
    db: &DatabaseConnection,
    cache: &AccessCache,
    owner: &Principal,
    id: &str,
    approve: bool,
    reason: &str,
    valid_until: Option<DateTime<Utc>>,
) -> Result<(access_request::Model, Option<access_grant::Model>), ApiError> {
    check_text("reason", reason)?;
    let request = access_request::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no access request {id}")))?;
    owner.require_owner(request.dataset)?;
    if request.status != RequestStatus::Pending {
        return Err(ApiError::Conflict(format!(
            "request {id} is already decided"
        )));
    }
    let now = Utc::now();
    // The grant is worked out before the transaction, which then writes
    // first: a transaction that read before writing could not wait for a
    // concurrent writer on SQLite (it would fail with "database is locked").
    let grant = if approve {
        let grantee = agency::Entity::find_by_id(request.requester.clone())
            .one(db)
            .await?;
        let input = NewGrant {
            dataset: request.dataset,
            grantee: request.requester.clone(),
            scopes: request.scopes.split(' ').map(str::to_owned).collect(),
            jurisdiction: request.jurisdiction.split(' ').map(str::to_owned).collect(),
            purpose: request.purpose.clone(),
            legal_basis: request.legal_basis.clone(),
            requires_purpose: false,
            valid_from: None,
            valid_until,
        };
        Some(grant_row(owner, grantee.as_ref(), &input, now)?)
    } else {
        None
    };
    let requester = request.requester.clone();
    let status = if approve {
        RequestStatus::Approved
    } else {
        RequestStatus::Rejected
    };
    let txn = db.begin().await?;
    // Decided once: of two concurrent decisions, one wins and the other
    // rolls back.
    let updated = access_request::Entity::update_many()
        .col_expr(access_request::Column::Status, Expr::value(status))
        .col_expr(access_request::Column::DecidedAt, Expr::value(now))
        .col_expr(
            access_request::Column::DecidedBy,
            Expr::value(owner.agency.clone()),
        )
        .col_expr(
            access_request::Column::DecisionReason,
            Expr::value(reason.trim().to_owned()),
        )
        .col_expr(
            access_request::Column::GrantId,
            Expr::value(grant.as_ref().map(|g| g.id.clone())),
        )
        .filter(access_request::Column::Id.eq(id))
        .filter(access_request::Column::Status.eq(RequestStatus::Pending))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::Conflict(format!(
            "request {id} is already decided"
        )));
    }
    let grant = match grant {
        Some(grant) => Some(grant.into_active_model().insert(&txn).await?),
        None => None,
    };
    let request = access_request::Model {
        status,
        decided_at: Some(now),
        decided_by: Some(owner.agency.clone()),
        decision_reason: Some(reason.trim().to_owned()),
        grant_id: grant.as_ref().map(|g| g.id.clone()),
        ..request
    };
    txn.commit().await?;
    if grant.is_some() {
        cache.publish(Change::Agency(requester)).await?;
    }
    Ok((request, grant))
}

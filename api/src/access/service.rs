//! The access mutations as plain functions: register and suspend agencies,
//! rotate secrets, give, revoke, request and decide grants, revoke tokens.
//! Each commits, then publishes the change so that every node's cache
//! forgets what it knew.
//!
//! The hub operator administers agencies but never holds an owner's
//! authority: who owns a dataset is set on the server (the demo seed, or
//! `lienthong register-agency --owns`), and afterwards changes only by the
//! two-party hand-over of `transfer` (owner proposes, receiver accepts),
//! in which the operator has no part; an owner's
//! secret is rotated by the owner itself (or reset on the server), and its
//! status is changed on the server only. Every rotation of a secret is
//! recorded with who did it, for the agency concerned to see. What the
//! caller owns is its `Principal`'s (`Principal::require_owner`), never
//! read again here; the agency rows read here are those of the agency
//! acted upon.

use super::cache::{AccessCache, Change};
use super::{NewGrant, check_grant, check_text, due_by, grantable, owned, secret};
use crate::auth::{Jurisdiction, Principal, ScopeSet};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use entities::access::{
    AgencyKind, AgencyStatus, Dataset, RequestStatus, access_grant, access_request, agency,
    revoked_token, secret_rotation,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};

async fn find_agency(db: &DatabaseConnection, code: &str) -> Result<agency::Model, ApiError> {
    agency::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agency is registered as {code}")))
}

/// Who asks for an administrative change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// An agency, through the API, with its token's standing.
    Agency {
        code: &'a str,
        /// Whether it holds `hub:admin`.
        hub_admin: bool,
    },
    /// A command run on the hub's own server (`lienthong ...`): whoever
    /// runs it holds the machine, its keys and its database already.
    Server,
}

impl Actor<'_> {
    /// The name recorded for this actor: the agency's code, or `server`.
    pub fn name(&self) -> &str {
        match self {
            Actor::Agency { code, .. } => code,
            Actor::Server => "server",
        }
    }

    fn is_operator(&self) -> bool {
        matches!(
            self,
            Actor::Server
                | Actor::Agency {
                    hub_admin: true,
                    ..
                }
        )
    }
}

/// Datasets as the `owns` column and the API name them: `POPULATION,LAND`.
fn dataset_names<'a>(datasets: impl IntoIterator<Item = &'a Dataset>) -> String {
    datasets
        .into_iter()
        .map(sea_orm::ActiveEnum::to_value)
        .collect::<Vec<_>>()
        .join(",")
}

/// What the hub operator gives to register an agency.
#[derive(Debug, Clone)]
pub struct NewAgency {
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
    pub province_code: Option<String>,
    pub owns: Vec<Dataset>,
}

/// Registers an agency; returns it with its client secret (shown once).
/// Only the server makes an owner: through the API, `owns` must be empty.
pub async fn register_agency(
    db: &DatabaseConnection,
    actor: Actor<'_>,
    input: NewAgency,
) -> Result<(agency::Model, String), ApiError> {
    if !actor.is_operator() {
        return Err(crate::auth::Scope::HubAdmin.missing());
    }
    if actor != Actor::Server && !input.owns.is_empty() {
        return Err(ApiError::NotAllowed(format!(
            "ownership of a dataset is fixed by the hub's configuration, not given through the API: register {} without `owns` (asked for: {})",
            input.code,
            dataset_names(&input.owns)
        )));
    }
    let code_ok = (2..=32).contains(&input.code.len())
        && input
            .code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if !code_ok {
        return Err(ApiError::BadUserInput(
            "code must be 2 to 32 capital letters, digits or hyphens".into(),
        ));
    }
    check_text("name", &input.name)?;
    if let Some(code) = &input.province_code {
        crate::ids::check_province_code(code)?;
    }
    if input.kind == AgencyKind::Province && input.province_code.is_none() {
        return Err(ApiError::BadUserInput(
            "a province agency needs its provinceCode".into(),
        ));
    }
    if agency::Entity::find_by_id(input.code.clone())
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "an agency is already registered as {}",
            input.code
        )));
    }
    let client_secret = secret::generate();
    let hash = secret::hash_blocking(client_secret.clone())
        .await
        .map_err(ApiError::internal)?;
    let row = agency::Model {
        owns: dataset_names(&input.owns),
        code: input.code,
        name: input.name.trim().to_owned(),
        kind: input.kind,
        province_code: input.province_code,
        status: AgencyStatus::Active,
        client_secret_hash: Some(hash),
        created_at: Utc::now(),
    };
    let row = row
        .into_active_model()
        .insert(db)
        .await
        .map_err(crate::error::conflict_on_unique)?;
    Ok((row, client_secret))
}

/// Suspends or reactivates an agency: its tokens stop or start working on
/// the next request. The hub operator may not change an owner's status
/// through the API (which would take its dataset's grants, log and
/// register out of its hands); the server may (`lienthong
/// set-agency-status`).
pub async fn set_agency_status(
    db: &DatabaseConnection,
    cache: &AccessCache,
    actor: Actor<'_>,
    code: &str,
    status: AgencyStatus,
) -> Result<agency::Model, ApiError> {
    if !actor.is_operator() {
        return Err(crate::auth::Scope::HubAdmin.missing());
    }
    let row = find_agency(db, code).await?;
    let owns = owned(&row);
    if actor != Actor::Server && !owns.is_empty() {
        return Err(ApiError::NotAllowed(format!(
            "{code} owns {}: an owner's status is changed only on the hub's server (lienthong set-agency-status)",
            dataset_names(&owns)
        )));
    }
    let mut active = row.into_active_model();
    active.status = Set(status);
    let row = active.update(db).await?;
    cache.publish(Change::Agency(code.to_owned())).await?;
    Ok(row)
}

/// Gives an agency a new client secret (shown once); the old one stops
/// working for new tokens. An agency rotates its own; the hub operator
/// rotates any agency's but an owner's (whoever holds an owner's secret
/// acts as the owner); the server resets any (`lienthong
/// reset-client-secret`, for a lost secret). Each rotation is recorded
/// with who did it and when, shown to the agency on `agency(code)`.
pub async fn rotate_client_secret(
    db: &DatabaseConnection,
    actor: Actor<'_>,
    code: &str,
) -> Result<(agency::Model, String), ApiError> {
    let own = matches!(actor, Actor::Agency { code: caller, .. } if caller == code);
    if !own && !actor.is_operator() {
        return Err(ApiError::NotAllowed(
            "an agency rotates only its own client secret".into(),
        ));
    }
    let row = find_agency(db, code).await?;
    let owns = owned(&row);
    if !own && actor != Actor::Server && !owns.is_empty() {
        return Err(ApiError::NotAllowed(format!(
            "{code} owns {}: only {code} rotates its secret (with its own token); a lost one is reset on the hub's server (lienthong reset-client-secret)",
            dataset_names(&owns)
        )));
    }
    let client_secret = secret::generate();
    let hash = secret::hash_blocking(client_secret.clone())
        .await
        .map_err(ApiError::internal)?;
    let txn = db.begin().await?;
    let mut active = row.into_active_model();
    active.client_secret_hash = Set(Some(hash));
    let row = active.update(&txn).await?;
    secret_rotation::ActiveModel {
        agency: Set(code.to_owned()),
        rotated_at: Set(Utc::now()),
        rotated_by: Set(actor.name().to_owned()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((row, client_secret))
}

/// Gives a client secret to an agency that has none yet (the demo's first
/// secrets); `None` if it has one or is not registered. Not a rotation:
/// nothing is replaced.
pub async fn issue_first_secret(
    db: &DatabaseConnection,
    code: &str,
) -> Result<Option<String>, ApiError> {
    let row = agency::Entity::find_by_id(code.to_owned()).one(db).await?;
    if row.is_none_or(|r| r.client_secret_hash.is_some()) {
        return Ok(None);
    }
    let client_secret = secret::generate();
    let hash = secret::hash_blocking(client_secret.clone())
        .await
        .map_err(ApiError::internal)?;
    let updated = agency::Entity::update_many()
        .col_expr(agency::Column::ClientSecretHash, Expr::value(hash))
        .filter(agency::Column::Code.eq(code))
        .filter(agency::Column::ClientSecretHash.is_null())
        .exec(db)
        .await?;
    Ok((updated.rows_affected == 1).then_some(client_secret))
}

/// The rotations of an agency's secret, newest first.
pub async fn secret_rotations(
    db: &DatabaseConnection,
    code: &str,
) -> Result<Vec<secret_rotation::Model>, ApiError> {
    use sea_orm::QueryOrder;
    Ok(secret_rotation::Entity::find()
        .filter(secret_rotation::Column::Agency.eq(code))
        .order_by_desc(secret_rotation::Column::Id)
        .all(db)
        .await?)
}

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

/// A token id as the hub issues them: a UUID, hyphenated; returned in
/// lower case.
pub fn check_token_id(jti: &str) -> Result<String, ApiError> {
    match uuid::Uuid::try_parse(jti) {
        Ok(id) if jti.len() == 36 => Ok(id.hyphenated().to_string()),
        _ => Err(ApiError::BadUserInput(
            "jti must be a token id: a UUID such as 0b6e1c52-3f0a-4c1e-9d55-2f8a3c1e7b90 (see me { tokenId })"
                .into(),
        )),
    }
}

/// Revokes a token by id, effective on its next use on every node. An
/// agency revokes its own tokens only: the revocation is recorded for the
/// caller's agency, so an id of another agency's token changes nothing
/// (and the caller, told the same either way, learns nothing of it). The
/// hub operator's revocation reaches any agency's token (`*`).
pub async fn revoke_token(
    db: &DatabaseConnection,
    cache: &AccessCache,
    actor: Actor<'_>,
    jti: &str,
    keep_until: DateTime<Utc>,
) -> Result<String, ApiError> {
    let jti = check_token_id(jti)?;
    let whose = if actor.is_operator() {
        "*"
    } else {
        actor.name()
    };
    revoked_token::Entity::insert(
        revoked_token::Model {
            jti: jti.clone(),
            agency: whose.to_owned(),
            expires_at: keep_until,
            revoked_at: Utc::now(),
            revoked_by: actor.name().to_owned(),
        }
        .into_active_model(),
    )
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    cache
        .publish(Change::Token {
            agency: whose.to_owned(),
            jti: jti.clone(),
        })
        .await?;
    Ok(jti)
}

#[cfg(test)]
mod tests;

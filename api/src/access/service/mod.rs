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
use super::{check_text, owned, secret};
use crate::error::ApiError;
use chrono::Utc;
use entities::access::{AgencyKind, AgencyStatus, Dataset, agency, secret_rotation};
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

pub mod documents;
mod grants;
mod tokens;

pub use grants::*;
pub use tokens::*;

#[cfg(test)]
mod tests;

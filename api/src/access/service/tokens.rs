//! Revoking a token: an agency revokes its own, the hub operator any.

use super::Actor;
use crate::access::cache::{AccessCache, Change};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use entities::access::revoked_token;
use sea_orm::{DatabaseConnection, EntityTrait, IntoActiveModel};

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

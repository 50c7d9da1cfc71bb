//! A token revoked before its expiry: its id and the agency whose token it
//! is (`*`: any agency's, revoked by the hub operator).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revoked_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: String,
    /// The agency whose token with this id is refused: the revoking agency
    /// itself, or `*` when the hub operator revoked it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency: String,
    /// Kept until then; after it the token is refused anyway.
    pub expires_at: DateTimeUtc,
    pub revoked_at: DateTimeUtc,
    pub revoked_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

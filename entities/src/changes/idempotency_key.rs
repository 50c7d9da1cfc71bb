//! A mutation done under an `Idempotency-Key`: a retry finds it here and
//! returns its result instead of writing again.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// SHA-256 of the operation and its input: a key reused for another
    /// request is refused.
    pub request_hash: String,
    pub operation: String,
    /// The key of the row the mutation wrote (e.g. the new certificate).
    pub result_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

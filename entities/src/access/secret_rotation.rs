//! One rotation of an agency's client secret: who did it and when.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "secret_rotation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The agency whose secret was replaced.
    pub agency: String,
    pub rotated_at: DateTimeUtc,
    /// The agency that rotated it (itself or the hub operator), or
    /// `server` for a reset with `lienthong reset-client-secret`.
    pub rotated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

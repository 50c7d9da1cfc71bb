//! A grant: a data owner lets an agency use some scopes of its dataset.
use super::Dataset;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_grant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub dataset: Dataset,
    /// The agency that receives the access.
    pub grantee: String,
    /// Space-separated scopes, all of `dataset`.
    pub scopes: String,
    /// `*` or space-separated province codes.
    pub jurisdiction: String,
    pub purpose: String,
    pub legal_basis: String,
    /// Whether each request under the grant must declare its purpose.
    pub requires_purpose: bool,
    pub valid_from: DateTimeUtc,
    pub valid_until: Option<DateTimeUtc>,
    /// The owner agency that gave it.
    pub granted_by: String,
    pub granted_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoke_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

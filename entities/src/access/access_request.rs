//! An agency's request for access to a dataset, answered by its owner.
use super::{Dataset, RequestStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_request")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub requester: String,
    pub dataset: Dataset,
    pub scopes: String,
    pub jurisdiction: String,
    pub purpose: String,
    pub legal_basis: String,
    pub requested_at: DateTimeUtc,
    /// Two working days after the request.
    pub due_by: DateTimeUtc,
    pub status: RequestStatus,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    /// The grant an approval created.
    pub grant_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

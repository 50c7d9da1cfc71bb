//! One change to one row of a register, numbered in commit order.
use crate::access::Dataset;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: DateTimeUtc,
    pub dataset: Dataset,
    /// `Citizen`, `Household`, `Enterprise`, `LandParcel` or `LandRight`.
    pub entity: String,
    /// The row's key: personal id, household id, enterprise code, parcel id
    /// or certificate number.
    pub key: String,
    /// `CREATED`, `UPDATED`, `MOVED_OUT`, `DIED`, `TRANSFERRED`.
    pub op: String,
    /// The province the change concerns (a move emits one per province).
    pub province_code: String,
    /// The owner that wrote it.
    pub agency: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A member (capital contributor or shareholder) of an enterprise.
use super::MemberKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub enterprise_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_kind: MemberKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: String,
    /// Share of the charter capital in basis points (10,000 = whole).
    pub share_bp: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

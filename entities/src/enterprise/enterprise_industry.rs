//! An industry (VSIC code) an enterprise registered.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise_industry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub enterprise_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub vsic_code: String,
    pub is_main: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

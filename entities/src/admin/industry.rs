//! An industry of the Vietnam Standard Industrial Classification (VSIC 2018).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "industry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub vsic_code: String,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! One (former commune, new commune) pair: a former commune split between
//! several new ones has one row for each.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legacy_commune")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub old_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub new_code: String,
    pub old_name: String,
    pub old_district_name: String,
    pub old_province_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

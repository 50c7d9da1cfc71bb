//! Per day, dataset and agency: how many requests were served data of the
//! dataset and how many had a field of it refused.
use crate::access::Dataset;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sharing_day")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset: Dataset,
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency: String,
    pub requests: i64,
    pub refusals: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

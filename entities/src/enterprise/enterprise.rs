//! A registered enterprise, identified by its tax code.
use super::{EnterpriseStatus, EnterpriseType};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprise")]
pub struct Model {
    /// 10-digit tax code (13 characters with a branch suffix).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub search_name: String,
    pub name_en: Option<String>,
    pub enterprise_type: EnterpriseType,
    pub status: EnterpriseStatus,
    pub founded_on: Date,
    pub registered_capital_vnd: i64,
    pub head_office_commune: String,
    /// Denormalised from `head_office_commune` for listings by province.
    pub head_office_province: String,
    pub head_office_line: String,
    pub legal_rep_id: String,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A commune, ward or special zone (the lower tier since 1 July 2025).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commune")]
pub struct Model {
    /// Five-digit statistical code, e.g. `00004`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub name_ascii: String,
    /// `xa`, `phuong` or `dac_khu`.
    pub kind: String,
    pub province_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A province or centrally-run city (the upper tier since 1 July 2025).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "province")]
pub struct Model {
    /// Two-digit statistical code, e.g. `01`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    /// Name without the `Tỉnh` / `Thành phố` prefix and without diacritics.
    pub name_en: String,
    /// `tinh` or `thanh_pho_trung_uong`.
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

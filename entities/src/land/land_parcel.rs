//! A land parcel, identified by its commune, map sheet and parcel number.
use super::LandUse;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "land_parcel")]
pub struct Model {
    /// `<commune code>-<map sheet>-<parcel number>`, e.g. `00004-12-345`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub commune_code: String,
    /// Denormalised from `commune_code` for listings by province.
    pub province_code: String,
    pub map_sheet: i32,
    pub parcel_number: i32,
    pub area_m2: f64,
    pub land_use: LandUse,
    pub address_line: String,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

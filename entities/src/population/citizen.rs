//! A citizen of the national population database.
use super::{CitizenStatus, Sex};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "citizen")]
pub struct Model {
    /// The 12-digit personal identification number.
    #[sea_orm(primary_key, auto_increment = false)]
    pub personal_id: String,
    pub full_name: String,
    /// `full_name` folded to lower-case ASCII, for diacritic-insensitive search.
    pub search_name: String,
    pub sex: Sex,
    pub date_of_birth: Date,
    pub ethnicity: String,
    pub nationality: String,
    pub place_of_origin_commune: String,
    pub residence_commune: String,
    /// Denormalised from `residence_commune`, so that listings filter by
    /// province without a join.
    pub residence_province: String,
    pub residence_line: String,
    pub household_id: Option<i64>,
    pub father_id: Option<String>,
    pub mother_id: Option<String>,
    pub spouse_id: Option<String>,
    pub status: CitizenStatus,
    pub date_of_death: Option<Date>,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

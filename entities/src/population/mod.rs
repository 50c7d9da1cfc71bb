//! The `POPULATION` dataset, owned by the Ministry of Public Security:
//! citizens and the households they live in.

pub mod citizen;
pub mod household;

use sea_orm::entity::prelude::*;

/// Sex as recorded in the population register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Sex {
    #[sea_orm(string_value = "MALE")]
    Male,
    #[sea_orm(string_value = "FEMALE")]
    Female,
}

/// Whether a citizen is alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum CitizenStatus {
    #[sea_orm(string_value = "ALIVE")]
    Alive,
    #[sea_orm(string_value = "DECEASED")]
    Deceased,
}

//! Who may use the hub: the registered agencies.

pub mod agency;

use sea_orm::entity::prelude::*;

/// What kind of body an agency is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum AgencyKind {
    #[sea_orm(string_value = "MINISTRY")]
    Ministry,
    #[sea_orm(string_value = "PROVINCE")]
    Province,
    #[sea_orm(string_value = "HUB")]
    Hub,
}

/// Whether an agency may call the hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum AgencyStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}

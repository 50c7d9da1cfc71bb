//! The `LAND` dataset, owned by the Ministry of Agriculture and Environment:
//! land parcels and the land-use right certificates issued on them.

pub mod land_parcel;
pub mod land_right;

use sea_orm::entity::prelude::*;

/// Land-use purpose codes of the land law (the most common ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(4))")]
pub enum LandUse {
    /// Urban residential land.
    #[sea_orm(string_value = "ODT")]
    Odt,
    /// Rural residential land.
    #[sea_orm(string_value = "ONT")]
    Ont,
    /// Specialised rice land.
    #[sea_orm(string_value = "LUC")]
    Luc,
    /// Other annual crops.
    #[sea_orm(string_value = "BHK")]
    Bhk,
    /// Perennial crops.
    #[sea_orm(string_value = "CLN")]
    Cln,
    /// Production forest.
    #[sea_orm(string_value = "RSX")]
    Rsx,
    /// Aquaculture.
    #[sea_orm(string_value = "NTS")]
    Nts,
    /// Non-agricultural production and business.
    #[sea_orm(string_value = "SKC")]
    Skc,
    /// Commerce and services.
    #[sea_orm(string_value = "TMD")]
    Tmd,
    /// Transport.
    #[sea_orm(string_value = "DGT")]
    Dgt,
}

/// Who holds a land right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum HolderKind {
    #[sea_orm(string_value = "CITIZEN")]
    Citizen,
    #[sea_orm(string_value = "ENTERPRISE")]
    Enterprise,
}

/// The state of a land-use right certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum RightStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "TRANSFERRED")]
    Transferred,
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

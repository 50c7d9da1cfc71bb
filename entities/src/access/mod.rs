//! Who may use the hub: the registered agencies, the grants the data
//! owners gave them, their requests for access, revoked tokens, the
//! rotations of their client secrets and the documents they are trusted
//! to run.

pub mod access_grant;
pub mod access_request;
pub mod agency;
pub mod ownership_transfer;
pub mod revoked_token;
pub mod secret_rotation;
pub mod trusted_document;
pub mod trusted_document_requirement;

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

/// A national dataset, with its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum Dataset {
    #[sea_orm(string_value = "POPULATION")]
    Population,
    #[sea_orm(string_value = "LAND")]
    Land,
    #[sea_orm(string_value = "ENTERPRISE")]
    Enterprise,
}

/// Where an access request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum RequestStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

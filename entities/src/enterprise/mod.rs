//! The `ENTERPRISE` dataset, owned by the Ministry of Finance: the national
//! business register.

// The table is `enterprise` like the dataset; the entity keeps the table's name.
#[allow(clippy::module_inception)]
pub mod enterprise;
pub mod enterprise_industry;
pub mod enterprise_member;

use sea_orm::entity::prelude::*;

/// Legal form of an enterprise under the Law on Enterprises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum EnterpriseType {
    /// Single-member limited liability company.
    #[sea_orm(string_value = "LLC_ONE")]
    LlcOne,
    /// Limited liability company with two or more members.
    #[sea_orm(string_value = "LLC_MULTI")]
    LlcMulti,
    #[sea_orm(string_value = "JOINT_STOCK")]
    JointStock,
    #[sea_orm(string_value = "PRIVATE")]
    Private,
    #[sea_orm(string_value = "PARTNERSHIP")]
    Partnership,
}

/// Registration status of an enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum EnterpriseStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
    #[sea_orm(string_value = "DISSOLVED")]
    Dissolved,
}

/// Whether an enterprise member is a person or another enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum MemberKind {
    #[sea_orm(string_value = "CITIZEN")]
    Citizen,
    #[sea_orm(string_value = "ENTERPRISE")]
    Enterprise,
}

//! A registered agency: a ministry, a province's people's committee or the hub.
use super::{AgencyKind, AgencyStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency")]
pub struct Model {
    /// Short code, e.g. `BCA` or `UBND-68`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
    pub province_code: Option<String>,
    /// Datasets the agency owns, comma-separated (`POPULATION`).
    pub owns: String,
    pub status: AgencyStatus,
    pub client_secret_hash: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

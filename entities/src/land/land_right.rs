//! A land-use right certificate: who holds which share of a parcel.
use super::{HolderKind, RightStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "land_right")]
pub struct Model {
    /// Certificate serial, two letters and six digits, e.g. `DA123456`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub certificate_number: String,
    pub parcel_id: String,
    pub holder_kind: HolderKind,
    /// A personal id or an enterprise code, depending on `holder_kind`.
    pub holder_id: String,
    /// The holder's share of the parcel in basis points (10,000 = whole).
    pub share_bp: i32,
    pub issued_on: Date,
    pub status: RightStatus,
    pub mortgaged: bool,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

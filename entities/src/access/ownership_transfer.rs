//! A proposed hand-over of a dataset from its owner to another ministry:
//! proposed by the owner, accepted (or not) by the receiver.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ownership_transfer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub dataset: super::Dataset,
    /// The owner that proposed it.
    pub from_agency: String,
    /// The ministry that is to own the dataset.
    pub to_agency: String,
    /// Why (the legal act behind the hand-over).
    pub reason: String,
    pub proposed_at: DateTimeUtc,
    /// `PENDING`, `ACCEPTED` or `CANCELLED`.
    pub state: String,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! That an agency may run only its trusted documents, as one authority
//! (the hub operator or an owner that granted it access) requires. The
//! agency is held to them while any such row exists.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trusted_document_requirement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub required_by: String,
    pub since: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

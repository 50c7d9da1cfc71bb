//! A GraphQL document registered for an agency: it may run it by id, and
//! when the agency is held to trusted documents, only such documents.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trusted_document")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency: String,
    /// The SHA-256 of the document's text, lower-case hex: the id a client
    /// sends (`extensions.persistedQuery.sha256Hash`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub document: String,
    /// The hub operator or the owner that registered it.
    pub registered_by: String,
    pub registered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

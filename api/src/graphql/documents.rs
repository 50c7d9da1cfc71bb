//! Trusted documents in the graph: what an agency is trusted to run, and
//! the mutations by which the hub operator or an owner that granted it
//! access registers documents and holds it to them
//! (`access::service::documents`). A client runs a registered document
//! by its id, as an Apollo persisted query
//! (`extensions.persistedQuery.sha256Hash`); the session refuses any
//! other document from an agency that is held to its list.

use super::{db, operation, principal};
use crate::access::service::documents::{self, DocumentList, NewDocument};
use crate::error::Gql;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::access::trusted_document;

/// A GraphQL document registered for an agency.
#[derive(SimpleObject)]
pub struct TrustedDocument {
    /// The SHA-256 of the document's text, lower-case hex: the id a client
    /// sends as `extensions.persistedQuery.sha256Hash`.
    pub id: String,
    /// The agency that may run it.
    pub agency: String,
    /// A name for people.
    pub name: String,
    /// The document.
    pub document: String,
    /// The hub operator or owner that registered it.
    pub registered_by: String,
    /// When it was registered.
    pub registered_at: DateTime<Utc>,
}

impl From<trusted_document::Model> for TrustedDocument {
    fn from(row: trusted_document::Model) -> Self {
        TrustedDocument {
            id: row.id,
            agency: row.agency,
            name: row.name,
            document: row.document,
            registered_by: row.registered_by,
            registered_at: row.registered_at,
        }
    }
}

/// What an agency is trusted to run.
#[derive(SimpleObject)]
pub struct TrustedDocuments {
    /// The agency.
    pub agency: String,
    /// Whether it may run only these documents.
    pub required: bool,
    /// The hub operator and owners that hold it to them (each lifts only
    /// its own requirement).
    pub required_by: Vec<String>,
    /// The documents, by name.
    pub documents: Vec<TrustedDocument>,
}

impl TrustedDocuments {
    fn of(agency: &str, list: DocumentList) -> Self {
        TrustedDocuments {
            agency: agency.to_owned(),
            required: !list.requirements.is_empty(),
            required_by: list
                .requirements
                .into_iter()
                .map(|r| r.required_by)
                .collect(),
            documents: list.documents.into_iter().map(Into::into).collect(),
        }
    }
}

/// A document to register.
#[derive(InputObject)]
pub struct RegisterTrustedDocumentInput {
    /// The agency that is to run it.
    pub agency: String,
    /// A name for people, e.g. "Hồ sơ thường trú — tra cứu công dân".
    pub name: String,
    /// The document, exactly as the client sends it (its SHA-256 is its id).
    pub document: String,
}

/// Trusted-document queries.
#[derive(Default)]
pub struct DocumentsQuery;

#[Object]
impl DocumentsQuery {
    /// The documents an agency is trusted to run: for the agency itself,
    /// the hub operator, and the owners that granted it access.
    async fn trusted_documents(
        &self,
        ctx: &Context<'_>,
        agency: String,
    ) -> async_graphql::Result<TrustedDocuments> {
        let list = documents::list(db(ctx)?, principal(ctx)?, &agency)
            .await
            .gql()?;
        Ok(TrustedDocuments::of(&agency, list))
    }
}

/// Trusted-document mutations.
#[derive(Default)]
pub struct DocumentsMutation;

#[Object]
impl DocumentsMutation {
    /// Registers a document for an agency (the hub operator, or an owner
    /// whose dataset it reads under a grant). The same text again changes
    /// nothing.
    async fn register_trusted_document(
        &self,
        ctx: &Context<'_>,
        input: RegisterTrustedDocumentInput,
    ) -> async_graphql::Result<Option<TrustedDocument>> {
        let operation = operation(ctx)?;
        let row = documents::register(
            &operation.services.db,
            &operation.services.cache,
            &operation.principal,
            NewDocument {
                agency: &input.agency,
                name: &input.name,
                document: &input.document,
                max_bytes: operation.services.limits.max_document_bytes,
            },
        )
        .await
        .gql()?;
        Ok(Some(row.into()))
    }

    /// Removes a document from an agency's list (whoever registered it, or
    /// the hub operator).
    async fn remove_trusted_document(
        &self,
        ctx: &Context<'_>,
        agency: String,
        id: String,
    ) -> async_graphql::Result<Option<TrustedDocument>> {
        let operation = operation(ctx)?;
        let row = documents::remove(
            &operation.services.db,
            &operation.services.cache,
            &operation.principal,
            &agency,
            &id,
        )
        .await
        .gql()?;
        Ok(Some(row.into()))
    }

    /// Holds an agency to its trusted documents (`required: true`) or lifts
    /// your own requirement (`false`); it stays held while any authority
    /// requires it. Takes effect on its next request, on every node.
    async fn require_trusted_documents(
        &self,
        ctx: &Context<'_>,
        agency: String,
        required: bool,
    ) -> async_graphql::Result<Option<TrustedDocuments>> {
        let operation = operation(ctx)?;
        let list = documents::require(
            &operation.services.db,
            &operation.services.cache,
            &operation.principal,
            &agency,
            required,
        )
        .await
        .gql()?;
        Ok(Some(TrustedDocuments::of(&agency, list)))
    }
}

//! Trusted documents: the GraphQL documents registered for an agency,
//! each by the SHA-256 of its text, and who holds the agency to running
//! only those. An allow-list shrinks what a token can do if it leaks: the
//! holder can run the portal's own queries and nothing else.
//!
//! They are part of an agency's [`Access`](super::Access), so they are
//! cached, forgotten and re-read exactly as grants are: a requirement
//! added on one node holds on the very next request on every node.

use entities::access::{trusted_document, trusted_document_requirement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The documents registered for one agency.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TrustedDocuments {
    /// Each document's text, by its id.
    pub documents: HashMap<String, Arc<str>>,
    /// The authorities (the hub operator, owners) that hold the agency to
    /// these documents; empty: it may run any document.
    pub required_by: BTreeSet<String>,
}

impl TrustedDocuments {
    /// Whether the agency may run only these documents.
    pub fn required(&self) -> bool {
        !self.required_by.is_empty()
    }

    /// Whether a caller that was given `before` is given no more now: if
    /// the agency is held to documents now, it was then, and every document
    /// it may run now it could run then.
    pub fn within(&self, before: &TrustedDocuments) -> bool {
        !self.required()
            || (before.required()
                && before
                    .documents
                    .keys()
                    .all(|id| self.documents.contains_key(id)))
    }

    /// The text of the document with this id, if one is registered.
    pub fn get(&self, id: &str) -> Option<&Arc<str>> {
        self.documents.get(id)
    }
}

/// The id of a document: the SHA-256 of its text, lower-case hex, as
/// Apollo's persisted queries name it.
pub fn document_id(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// Whether `id` has the form of a document id.
pub fn is_document_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The agency's trusted documents, as stored.
pub async fn load(db: &impl ConnectionTrait, agency: &str) -> Result<TrustedDocuments, DbErr> {
    let documents = trusted_document::Entity::find()
        .filter(trusted_document::Column::Agency.eq(agency))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, Arc::from(row.document)))
        .collect();
    let required_by = trusted_document_requirement::Entity::find()
        .filter(trusted_document_requirement::Column::Agency.eq(agency))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.required_by)
        .collect();
    Ok(TrustedDocuments {
        documents,
        required_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(ids: &[&str]) -> TrustedDocuments {
        TrustedDocuments {
            documents: ids
                .iter()
                .map(|id| (id.to_string(), Arc::from(*id)))
                .collect(),
            required_by: ["BCA".to_owned()].into(),
        }
    }

    #[test]
    fn a_new_requirement_or_a_removed_document_narrows() {
        let free = TrustedDocuments::default();
        assert!(free.within(&free));
        assert!(free.within(&held(&["a"])));
        assert!(!held(&["a"]).within(&free), "newly held to documents");
        assert!(held(&["a", "b"]).within(&held(&["a"])), "a document added");
        assert!(
            !held(&["a"]).within(&held(&["a", "b"])),
            "a document removed"
        );
    }

    #[test]
    fn ids_are_sha256_hex() {
        let id = document_id("{ __typename }");
        assert!(is_document_id(&id));
        assert_eq!(
            id,
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
        assert!(!is_document_id("ECF4"));
        assert!(!is_document_id(&id.to_uppercase()));
    }
}

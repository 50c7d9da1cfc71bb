//! Documents by id: the node's cache of parsed documents, keyed by the
//! SHA-256 of their text. It serves Apollo's automatic persisted queries
//! (a client sends only the hash; the hub runs the document it saw under
//! that hash, or answers `PERSISTED_QUERY_NOT_FOUND` and the client sends
//! both once) and spares a document sent again its parse. Validation
//! still runs on every request: async-graphql validates a document
//! together with its variables.
//!
//! A hash names its text (the hub computes it, never takes it on trust),
//! so one caller cannot make another's hash run a different document; the
//! cache is bounded by an estimate of its memory and forgets the least
//! used first.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Pos, ServerError};
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::sync::Arc;

/// A document and what admission needs of it, parsed once.
pub struct Parsed {
    pub text: Arc<str>,
    pub document: ExecutableDocument,
    /// Where its arguments hold variables (`error::variable_arguments`).
    pub variable_arguments: Arc<[Pos]>,
}

/// What a parsed document is taken to cost in memory: its text several
/// times over (the syntax tree's names and positions), plus the entry.
#[derive(Clone)]
struct Footprint;

impl Weighter<String, Arc<Parsed>> for Footprint {
    fn weight(&self, _id: &String, parsed: &Arc<Parsed>) -> u64 {
        parsed.text.len() as u64 * 8 + 512
    }
}

/// The node's parsed documents (none kept when configured with 0 bytes).
pub struct Documents {
    cache: Option<Cache<String, Arc<Parsed>, Footprint>>,
}

impl Documents {
    /// A cache of at most about `bytes` of parsed documents.
    pub fn new(bytes: u64) -> Documents {
        Documents {
            cache: (bytes > 0)
                .then(|| Cache::with_weighter((bytes / 4096).max(16) as usize, bytes, Footprint)),
        }
    }

    /// The document with this id, if this node has parsed it lately.
    pub fn get(&self, id: &str) -> Option<Arc<Parsed>> {
        self.cache.as_ref()?.get(id)
    }

    /// The document `text` (whose id is `id`), parsed now or earlier.
    pub fn parse(&self, id: &str, text: &str) -> Result<Arc<Parsed>, ServerError> {
        if let Some(parsed) = self.get(id) {
            return Ok(parsed);
        }
        let document = async_graphql::parser::parse_query(text)
            .map_err(|error| crate::error::parse_failed(&error.into()))?;
        let parsed = Arc::new(Parsed {
            text: Arc::from(text),
            variable_arguments: crate::error::variable_arguments(&document).into(),
            document,
        });
        if let Some(cache) = &self.cache {
            cache.insert(id.to_owned(), parsed.clone());
        }
        Ok(parsed)
    }
}

impl Default for Documents {
    /// 32 MiB of parsed documents: some thousands of portal queries.
    fn default() -> Self {
        Documents::new(32 << 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::trusted::document_id;

    #[test]
    fn a_document_is_parsed_once_and_found_by_its_hash() {
        let documents = Documents::default();
        let text = "query Q($id: String!) { citizen(personalId: $id) { fullName } }";
        let id = document_id(text);
        assert!(documents.get(&id).is_none());
        let first = documents.parse(&id, text).unwrap();
        let again = documents.get(&id).expect("kept");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(&*again.text, text);
        assert_eq!(again.variable_arguments.len(), 1);
    }

    #[test]
    fn a_bad_document_is_not_kept_and_says_where_on_one_line() {
        let documents = Documents::default();
        let text = "{ citizen(personalId: ) { fullName } }";
        let id = document_id(text);
        let Err(error) = documents.parse(&id, text) else {
            panic!("a bad document parsed");
        };
        assert!(!error.message.contains('\n'), "{}", error.message);
        assert!(
            error
                .message
                .starts_with("the document is not valid GraphQL at line 1, column"),
            "{}",
            error.message
        );
        assert!(documents.get(&id).is_none());
    }

    #[test]
    fn no_bytes_keeps_nothing() {
        let documents = Documents::new(0);
        let text = "{ __typename }";
        let id = document_id(text);
        assert!(documents.parse(&id, text).is_ok());
        assert!(documents.get(&id).is_none());
    }

    #[test]
    fn the_cache_stays_within_its_bound() {
        let documents = Documents::new(64 << 10);
        for i in 0..2_000 {
            let text = format!("{{ a{i}: __typename }}");
            documents.parse(&document_id(&text), &text).unwrap();
        }
        let kept = (0..2_000)
            .filter(|i| {
                let text = format!("{{ a{i}: __typename }}");
                documents.get(&document_id(&text)).is_some()
            })
            .count();
        assert!(kept < 2_000 && kept > 0, "kept {kept}");
    }
}

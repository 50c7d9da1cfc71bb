//! Limits that keep one caller from exhausting the hub: document size,
//! aliases and root fields (checked here, on the parsed document), depth
//! and complexity (async-graphql's own), page size (`graphql::page`),
//! request body size and execution time (`http`), and a request rate per
//! agency (a token bucket). Each refusal is quick, clear and leaves the
//! server serving everyone else.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// The configured limits.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_document_bytes: usize,
    pub request_timeout: Duration,
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            max_complexity: 50_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_document_bytes: 32 * 1024,
            request_timeout: Duration::from_secs(10),
            introspection: true,
        }
    }
}

/// Aliases anywhere in a selection set, counting each fragment's own
/// aliases where it is defined.
fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Fields a document selects at the root of its operations (a fragment
/// spread at the root counts as one).
pub fn document_counts(document: &ExecutableDocument) -> (usize, usize) {
    let mut aliases: usize = document
        .fragments
        .values()
        .map(|f| count_aliases(&f.node.selection_set.node))
        .sum();
    let mut root = 0;
    for (_, operation) in document.operations.iter() {
        let set = &operation.node.selection_set.node;
        aliases += count_aliases(set);
        root = root.max(set.items.len());
    }
    (aliases, root)
}

/// Refuses a parsed document with more aliases or root fields than the
/// limits allow. (Checked before execution, with the document the request
/// will run, so that no resolver starts.)
pub fn check_document(document: &ExecutableDocument, limits: &Limits) -> Result<(), String> {
    let (aliases, root_fields) = document_counts(document);
    if aliases > limits.max_aliases {
        return Err(format!(
            "the document has {aliases} aliases; at most {} are allowed",
            limits.max_aliases
        ));
    }
    if root_fields > limits.max_root_fields {
        return Err(format!(
            "the operation selects {root_fields} root fields; at most {} are allowed",
            limits.max_root_fields
        ));
    }
    Ok(())
}

/// Requests per agency: a token bucket of `burst` requests refilled at
/// `per_second`.
pub struct RateLimits {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl RateLimits {
    pub fn new(per_second: u32, burst: u32) -> RateLimits {
        let per_second = NonZeroU32::new(per_second.max(1)).expect("positive");
        let burst = NonZeroU32::new(burst.max(1)).expect("positive");
        RateLimits {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
        }
    }

    /// `Ok` if the agency may make a request now, else how long to wait.
    pub fn check(&self, agency: &str) -> Result<(), Duration> {
        use governor::clock::{Clock, DefaultClock};
        self.limiter
            .check_key(&agency.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_root_fields_are_counted_through_fragments() {
        let document = async_graphql::parser::parse_query(
            "query { a: me { agencyCode } b: me { x: agencyCode } provinces { code } ...F }
             fragment F on QueryRoot { c: provinces { code } }",
        )
        .unwrap();
        assert_eq!(document_counts(&document), (4, 4));
    }

    #[test]
    fn the_bucket_empties_and_names_the_wait() {
        let limits = RateLimits::new(1, 2);
        assert!(limits.check("UBND-68").is_ok());
        assert!(limits.check("UBND-68").is_ok());
        let wait = limits.check("UBND-68").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(limits.check("BCA").is_ok(), "buckets are per agency");
    }
}

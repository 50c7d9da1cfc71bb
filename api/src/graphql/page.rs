//! Relay connections with keyset cursors.
//!
//! A cursor is the sort key of the last row seen, tagged with the listing it
//! belongs to and base64url-encoded; the next page is `key > cursor`, so its
//! cost does not grow with how far the caller has paged. `first` defaults to
//! 50 and may not exceed 500.

use crate::error::ApiError;
use async_graphql::OutputType;
use async_graphql::connection::{Connection, CursorType, Edge};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 500;

/// An opaque cursor string, already encoded.
pub struct Cursor(String);

impl CursorType for Cursor {
    type Error = std::convert::Infallible;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        Ok(Cursor(s.to_owned()))
    }

    fn encode_cursor(&self) -> String {
        self.0.clone()
    }
}

/// A connection of `N` nodes with opaque cursors.
pub type Conn<N> = Connection<Cursor, N>;

/// A validated page request: how many rows, and after which key.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub first: u64,
    /// The sort key after which the page starts.
    pub after: Option<Vec<String>>,
}

impl PageRequest {
    /// Checks `first` and decodes `after` for the listing `kind` whose keys
    /// have `parts` components.
    pub fn new(
        first: Option<i32>,
        after: Option<&str>,
        kind: &str,
        parts: usize,
    ) -> Result<PageRequest, ApiError> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
            Some(n) => {
                return Err(ApiError::BadUserInput(format!(
                    "first must be between 0 and {MAX_PAGE_SIZE}, got {n}"
                )));
            }
        };
        let after = after.map(|c| decode(c, kind, parts)).transpose()?;
        Ok(PageRequest { first, after })
    }

    /// Rows to fetch: one more than asked, to learn whether there is a next
    /// page.
    pub fn limit(&self) -> u64 {
        self.first + 1
    }
}

fn decode(cursor: &str, kind: &str, parts: usize) -> Result<Vec<String>, ApiError> {
    let invalid = || ApiError::BadUserInput(format!("after: not a cursor of this {kind} listing"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let mut key: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if key.len() != parts + 1 || key[0] != kind {
        return Err(invalid());
    }
    key.remove(0);
    Ok(key)
}

/// Encodes the sort key of a row as a cursor of the listing `kind`.
pub fn encode(kind: &str, key: &[&str]) -> String {
    let mut all = Vec::with_capacity(key.len() + 1);
    all.push(kind);
    all.extend_from_slice(key);
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&all).expect("strings serialise"))
}

/// Builds a connection from up to `first + 1` rows fetched in key order.
pub fn connection<R, N: OutputType>(
    mut rows: Vec<R>,
    page: &PageRequest,
    cursor: impl Fn(&R) -> String,
    node: impl Fn(R) -> N,
) -> Conn<N> {
    let has_next = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let mut connection = Connection::new(page.after.is_some(), has_next);
    connection.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(Cursor(cursor(&row)), node(row))),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_tied_to_their_listing() {
        let cursor = encode("citizen", &["079085000001"]);
        let page = PageRequest::new(Some(10), Some(&cursor), "citizen", 1).unwrap();
        assert_eq!(page.after.unwrap(), vec!["079085000001".to_string()]);
        assert!(PageRequest::new(None, Some(&cursor), "enterprise", 1).is_err());
        assert!(PageRequest::new(None, Some(&cursor), "citizen", 2).is_err());
        assert!(PageRequest::new(None, Some("not a cursor"), "citizen", 1).is_err());
    }

    #[test]
    fn page_size_defaults_and_is_capped() {
        assert_eq!(PageRequest::new(None, None, "x", 1).unwrap().first, 50);
        assert_eq!(
            PageRequest::new(Some(500), None, "x", 1).unwrap().first,
            500
        );
        assert!(PageRequest::new(Some(501), None, "x", 1).is_err());
        assert!(PageRequest::new(Some(-1), None, "x", 1).is_err());
    }
}

//! Relay connections with keyset cursors that are opaque to clients.
//!
//! A cursor is the sort key of the last row seen, sealed with an AEAD
//! (XChaCha20-Poly1305) under a key derived from the hub's signing key
//! (every node of one hub opens every other node's cursors). The sealed
//! data is bound to the [`Listing`]: its kind, the caller's agency and the
//! filter it was made under, so a cursor discloses nothing (no names, no
//! ids), cannot be forged or edited, and is refused by another listing,
//! another filter or another agency. The next page is `key > cursor`, so
//! its cost does not grow with how far the caller has paged. `first`
//! defaults to 50 and may not exceed 500.

use crate::auth::Principal;
use crate::error::ApiError;
pub use crate::registers::listing::PageRequest;
use async_graphql::OutputType;
use async_graphql::connection::{Connection, CursorType, Edge};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 500;

/// Bytes of the random nonce that opens a sealed cursor.
const NONCE: usize = 24;

/// The key that seals and opens cursors.
#[derive(Clone)]
pub struct CursorKey(Arc<XChaCha20Poly1305>);

impl CursorKey {
    /// A cursor key derived from secret key material (the signing key).
    pub fn derive(secret: &[u8]) -> CursorKey {
        let mut hasher = Sha256::new();
        hasher.update(b"lienthong cursor key v1\0");
        hasher.update(secret);
        let key = hasher.finalize();
        CursorKey(Arc::new(XChaCha20Poly1305::new(&key)))
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// An opaque cursor string, already sealed.
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

/// Every listing that hands out cursors, with its sort key: the one place
/// a cursor's kind is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorKind {
    /// Citizens by personal id.
    Citizens,
    /// Citizens by folded name, then personal id.
    CitizensByName,
    /// Enterprises by code.
    Enterprises,
    /// Land parcels by id.
    LandParcels,
    /// A province's communes by code.
    Communes,
    /// A dataset's change feed by sequence number.
    Changes,
    /// The access log by sequence number.
    AccessLog,
    /// One citizen's accesses by sequence number.
    SubjectLog,
}

impl CursorKind {
    /// The name sealed into the cursor (and shown when a cursor is used
    /// on another listing).
    pub fn tag(self) -> &'static str {
        match self {
            CursorKind::Citizens => "citizen",
            CursorKind::CitizensByName => "citizen-name",
            CursorKind::Enterprises => "enterprise",
            CursorKind::LandParcels => "land-parcel",
            CursorKind::Communes => "commune",
            CursorKind::Changes => "change",
            CursorKind::AccessLog => "access-log",
            CursorKind::SubjectLog => "subject-log",
        }
    }

    /// How many components the sort key has.
    pub fn parts(self) -> usize {
        match self {
            CursorKind::CitizensByName => 2,
            _ => 1,
        }
    }
}

/// One listing as one caller asked for it: the cursors it hands out open
/// only for the same listing, filter and agency.
pub struct Listing {
    kind: &'static str,
    parts: usize,
    /// What the sealed key is bound to (the AEAD's associated data).
    binding: Vec<u8>,
    key: CursorKey,
}

impl Listing {
    /// The listing `kind` for `principal` under `filter` (any value whose
    /// `Debug` form names the filter).
    pub fn new(
        key: &CursorKey,
        principal: &Principal,
        kind: CursorKind,
        filter: &impl std::fmt::Debug,
    ) -> Listing {
        let (kind, parts) = (kind.tag(), kind.parts());
        let binding = format!("v1\0{kind}\0{}\0{filter:?}", principal.agency).into_bytes();
        Listing {
            kind,
            parts,
            binding,
            key: key.clone(),
        }
    }

    /// Checks `first` and opens `after`.
    pub fn page(&self, first: Option<i32>, after: Option<&str>) -> Result<PageRequest, ApiError> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
            Some(n) => {
                return Err(ApiError::BadUserInput(format!(
                    "first must be between 0 and {MAX_PAGE_SIZE}, got {n}"
                )));
            }
        };
        let after = after.map(|c| self.open(c)).transpose()?;
        Ok(PageRequest { first, after })
    }

    /// Seals the sort key of a row as a cursor of this listing.
    pub fn cursor(&self, key: &[&str]) -> String {
        let mut nonce = [0u8; NONCE];
        rand::thread_rng().fill_bytes(&mut nonce);
        let plain = serde_json::to_vec(key).expect("strings serialise");
        let sealed = self
            .key
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &self.binding,
                },
            )
            .expect("sealing a short message cannot fail");
        let mut bytes = Vec::with_capacity(NONCE + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn open(&self, cursor: &str) -> Result<Vec<String>, ApiError> {
        let invalid = || {
            ApiError::BadUserInput(format!(
                "after: not a cursor of this {} listing (cursors are tied to the listing, its filter and your agency)",
                self.kind
            ))
        };
        if cursor.len() > 1024 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        if bytes.len() <= NONCE {
            return Err(invalid());
        }
        let (nonce, sealed) = bytes.split_at(NONCE);
        let nonce = XNonce::from(<[u8; NONCE]>::try_from(nonce).map_err(|_| invalid())?);
        let plain = self
            .key
            .0
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &self.binding,
                },
            )
            .map_err(|_| invalid())?;
        let key: Vec<String> = serde_json::from_slice(&plain).map_err(|_| invalid())?;
        if key.len() != self.parts {
            return Err(invalid());
        }
        Ok(key)
    }
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

    fn principal(agency: &str) -> Principal {
        Principal::bare(agency)
    }

    #[test]
    fn cursors_round_trip_and_disclose_nothing() {
        let key = CursorKey::derive(b"secret");
        let listing = Listing::new(
            &key,
            &principal("UBND-68"),
            CursorKind::CitizensByName,
            &"68",
        );
        let cursor = listing.cursor(&["nguyen van anh", "079085000001"]);
        let page = listing.page(Some(10), Some(&cursor)).unwrap();
        assert_eq!(
            page.after.unwrap(),
            vec!["nguyen van anh".to_string(), "079085000001".to_string()]
        );
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("nguyen") && !text.contains("079085"));
        assert_ne!(cursor, listing.cursor(&["nguyen van anh", "079085000001"]));
    }

    #[test]
    fn a_cursor_opens_only_for_its_listing_filter_agency_and_key() {
        let key = CursorKey::derive(b"secret");
        let p = principal("UBND-68");
        let listing = Listing::new(&key, &p, CursorKind::Citizens, &"68");
        let cursor = listing.cursor(&["079085000001"]);
        let refused = |other: &Listing| other.page(None, Some(&cursor)).unwrap_err().code();
        assert_eq!(
            refused(&Listing::new(&key, &p, CursorKind::Enterprises, &"68")),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            refused(&Listing::new(&key, &p, CursorKind::Citizens, &"01")),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            refused(&Listing::new(
                &key,
                &principal("UBND-01"),
                CursorKind::Citizens,
                &"68"
            )),
            "BAD_USER_INPUT"
        );
        let other_key = CursorKey::derive(b"another hub");
        assert_eq!(
            refused(&Listing::new(&other_key, &p, CursorKind::Citizens, &"68")),
            "BAD_USER_INPUT"
        );
        // A flipped bit is refused, and so is junk.
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(
            listing
                .page(None, Some(&URL_SAFE_NO_PAD.encode(bytes)))
                .is_err()
        );
        assert!(listing.page(None, Some("not a cursor")).is_err());
        assert!(listing.page(None, Some("")).is_err());
    }

    #[test]
    fn page_size_defaults_and_is_capped() {
        let key = CursorKey::derive(b"secret");
        let listing = Listing::new(&key, &principal("BCA"), CursorKind::Communes, &());
        assert_eq!(listing.page(None, None).unwrap().first, 50);
        assert_eq!(listing.page(Some(500), None).unwrap().first, 500);
        assert!(listing.page(Some(501), None).is_err());
        assert!(listing.page(Some(-1), None).is_err());
    }
}

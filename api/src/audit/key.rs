//! The audit key: a secret the database does not hold, with which the
//! writer puts an HMAC-SHA256 on the last row of every batch it commits,
//! and without which `lienthong audit verify` does not run.
//!
//! The hash chain alone proves only that the rows agree with each other:
//! anyone who can write to the database can delete rows, recompute every
//! later hash with plain SHA-256 and move the chain's head. A batch MAC
//! covers the node, the batch's first and last positions in the chain and
//! the chain hash of its last row, so such a rewrite leaves every later
//! MAC wrong, and it cannot be recomputed without this key.
//!
//! What stays undetectable without checkpoints kept outside the database:
//! cutting a chain back to an earlier batch boundary (deleting whole
//! batches at its end and moving `audit_chain` back to the last one kept),
//! or restoring an older copy of the database. Every remaining row still
//! carries a valid MAC then; only a record of how long the chain was, held
//! elsewhere (a signed checkpoint), can tell.
//!
//! The key file holds 32 random bytes in hex; it is created with mode 0600
//! in demo mode (beside the signing key) and required otherwise. Keep it
//! as long as the log: rows whose MAC was made with a lost key cannot be
//! verified again.

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of key material.
const KEY_BYTES: usize = 32;

/// The key that authenticates the access log's batches.
#[derive(Clone)]
pub struct AuditKey {
    key: [u8; KEY_BYTES],
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("AuditKey").finish_non_exhaustive()
    }
}

impl AuditKey {
    /// A key from its bytes (tests).
    pub fn from_bytes(key: [u8; KEY_BYTES]) -> AuditKey {
        AuditKey { key }
    }

    /// Reads the key at `path`; when it does not exist and `create` is set,
    /// generates one and writes it with mode 0600.
    pub fn load_or_create(path: &Path, create: bool) -> anyhow::Result<AuditKey> {
        if !path.exists() {
            if !create {
                bail!(
                    "audit key {} does not exist: set LIENTHONG_AUDIT_KEY to the file of 64 hex digits the hub's servers write the access log with, or run in demo mode to create one",
                    path.display()
                );
            }
            let mut key = [0u8; KEY_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut key);
            let text = format!("{}\n", super::hex(&key));
            crate::auth::keys::write_private(path, text.as_bytes())?;
            tracing::info!(path = %path.display(), "created a new audit key");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading audit key {}", path.display()))?;
        Self::parse(text.trim()).with_context(|| format!("audit key {}", path.display()))
    }

    /// Reads an existing key; never creates one (for `audit verify`).
    pub fn load(path: &Path) -> anyhow::Result<AuditKey> {
        Self::load_or_create(path, false)
    }

    fn parse(text: &str) -> anyhow::Result<AuditKey> {
        if text.len() != 2 * KEY_BYTES || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("expected {} hex digits", 2 * KEY_BYTES);
        }
        let mut key = [0u8; KEY_BYTES];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)?;
        }
        Ok(AuditKey { key })
    }

    fn hmac(&self, node: &str, first: i64, last: i64, hash: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        // A JSON array: no field can run into the next.
        let message =
            serde_json::to_vec(&("batch-v1", node, first, last, hash)).expect("serialises");
        mac.update(&message);
        mac
    }

    /// The MAC of a batch of node `node` that holds the rows at positions
    /// `first..=last` of its chain (counted from 1), the last of which has
    /// chain hash `hash`; lower-case hex.
    pub fn batch_mac(&self, node: &str, first: i64, last: i64, hash: &str) -> String {
        super::hex(&self.hmac(node, first, last, hash).finalize().into_bytes())
    }

    /// Whether `mac` is the batch MAC of these positions and hash
    /// (compared in constant time).
    pub fn verifies(&self, node: &str, first: i64, last: i64, hash: &str, mac: &str) -> bool {
        let Some(bytes) = unhex(mac) else {
            return false;
        };
        self.hmac(node, first, last, hash)
            .verify_slice(&bytes)
            .is_ok()
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// A batch MAC verifies with its own key and inputs only: another key,
    /// node, position or hash, or a truncated MAC, does not.
    #[test]
    fn a_batch_mac_binds_the_key_node_positions_and_hash() {
        let key = AuditKey::from_bytes([7; 32]);
        let mac = key.batch_mac("node-a", 1, 4, HASH);
        assert_eq!(mac.len(), 64);
        assert!(key.verifies("node-a", 1, 4, HASH, &mac));
        assert!(!AuditKey::from_bytes([8; 32]).verifies("node-a", 1, 4, HASH, &mac));
        assert!(!key.verifies("node-b", 1, 4, HASH, &mac));
        assert!(!key.verifies("node-a", 2, 4, HASH, &mac));
        assert!(!key.verifies("node-a", 1, 5, HASH, &mac));
        assert!(!key.verifies("node-a", 1, 4, &HASH.replace('5', "6"), &mac));
        assert!(!key.verifies("node-a", 1, 4, HASH, &mac[..62]));
        assert!(!key.verifies("node-a", 1, 4, HASH, "not hex"));
        // Plain SHA-256 of the same inputs is not the MAC.
        let plain = super::super::hex(&<Sha256 as sha2::Digest>::digest(
            serde_json::to_vec(&("batch-v1", "node-a", 1, 4, HASH)).unwrap(),
        ));
        assert_ne!(plain, mac);
    }

    /// In demo mode the key is created once, mode 0600, and read back the
    /// same; otherwise a missing key is an error that names the setting.
    #[test]
    fn the_key_file_is_created_private_once_and_required_otherwise() {
        let dir = std::env::temp_dir().join(format!("lienthong-audit-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hub.audit.key");
        let missing = AuditKey::load(&path).unwrap_err().to_string();
        assert!(missing.contains("LIENTHONG_AUDIT_KEY"), "{missing}");
        let first = AuditKey::load_or_create(&path, true).unwrap();
        let again = AuditKey::load(&path).unwrap();
        assert_eq!(first.key, again.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "short").unwrap();
        assert!(AuditKey::load(&path).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

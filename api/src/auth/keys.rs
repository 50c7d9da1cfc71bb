//! The hub's Ed25519 signing key: loaded from a PKCS#8 PEM file, or created
//! beside the database (mode 0600) in demo mode.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// The key pair that signs and verifies the hub's tokens, and the public
/// keys of earlier signing keys, still honoured until their tokens expire.
pub struct SigningKeys {
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// Key id: the first 16 hex digits of the SHA-256 of the public key.
    pub kid: String,
    /// The public key, base64url (JWK `x`).
    pub public_x: String,
    /// Earlier keys: verify only, never sign.
    pub previous: Vec<VerifyingKey>,
    /// A secret derived from the private key, for keys of other purposes
    /// (sealing cursors) that every node holding this key shares.
    derived: [u8; 32],
}

/// A public key that verifies tokens.
pub struct VerifyingKey {
    pub kid: String,
    pub public_x: String,
    pub decoding: DecodingKey,
}

impl SigningKeys {
    /// The key that verifies tokens with key id `kid`, current or earlier.
    pub fn verifying(&self, kid: &str) -> Option<&DecodingKey> {
        if kid == self.kid {
            return Some(&self.decoding);
        }
        self.previous
            .iter()
            .find(|k| k.kid == kid)
            .map(|k| &k.decoding)
    }

    /// A secret derived from the private key (never the key itself).
    pub fn derived_secret(&self) -> &[u8; 32] {
        &self.derived
    }

    /// Whether the current key still signs what it verifies (for `/readyz`).
    pub fn self_check(&self) -> bool {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        let claims = serde_json::json!({ "sub": "readyz" });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
            &claims,
            &self.encoding,
        )
        .and_then(|token| {
            jsonwebtoken::decode::<serde_json::Value>(&token, &self.decoding, &validation)
        })
        .is_ok_and(|data| data.claims == claims)
    }

    /// Every public key, current first: `(kid, x)`.
    pub fn public_keys(&self) -> Vec<(&str, &str)> {
        std::iter::once((self.kid.as_str(), self.public_x.as_str()))
            .chain(
                self.previous
                    .iter()
                    .map(|k| (k.kid.as_str(), k.public_x.as_str())),
            )
            .collect()
    }

    /// Adds earlier keys (PKCS#8 PEM private keys or their files), so that
    /// tokens they signed stay valid after a rotation until they expire.
    pub fn with_previous(mut self, paths: &[std::path::PathBuf]) -> anyhow::Result<SigningKeys> {
        for path in paths {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("reading previous signing key {}", path.display()))?;
            let old = SigningKeys::from_pem(&pem)
                .with_context(|| format!("previous signing key {}", path.display()))?;
            if old.kid != self.kid {
                self.previous.push(VerifyingKey {
                    kid: old.kid,
                    public_x: old.public_x,
                    decoding: old.decoding,
                });
            }
        }
        Ok(self)
    }
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Reads the key at `path`; when it does not exist and `create` is set,
    /// generates one and writes it with mode 0600.
    pub fn load_or_create(path: &Path, create: bool) -> anyhow::Result<SigningKeys> {
        if !path.exists() {
            if !create {
                bail!(
                    "signing key {} does not exist: set LIENTHONG_SIGNING_KEY to an Ed25519 PKCS#8 PEM file, or run in demo mode to create one",
                    path.display()
                );
            }
            let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .context("encoding the new signing key")?;
            write_private(path, pem.as_bytes())?;
            tracing::info!(path = %path.display(), "created a new signing key");
        }
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("reading signing key {}", path.display()))?;
        Self::from_pem(&pem).with_context(|| format!("signing key {}", path.display()))
    }

    /// Builds the key pair from a PKCS#8 PEM private key.
    pub fn from_pem(pem: &str) -> anyhow::Result<SigningKeys> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .context("not an Ed25519 private key in PKCS#8 PEM form")?;
        let public = key.verifying_key().to_bytes();
        let public_x = URL_SAFE_NO_PAD.encode(public);
        let digest = Sha256::digest(public);
        let kid = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let mut derive = Sha256::new();
        derive.update(b"lienthong derived secret v1\0");
        derive.update(key.to_bytes());
        let derived = derive.finalize().into();
        Ok(SigningKeys {
            encoding: EncodingKey::from_ed_pem(pem.as_bytes())?,
            decoding: DecodingKey::from_ed_components(&public_x)?,
            kid,
            public_x,
            previous: Vec::new(),
            derived,
        })
    }
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating key file {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("creating key file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_key_file_once_and_reloads_it() {
        let dir = tempfile_dir();
        let path = dir.join("hub.key");
        let first = SigningKeys::load_or_create(&path, true).unwrap();
        let again = SigningKeys::load_or_create(&path, true).unwrap();
        assert_eq!(first.kid, again.kid);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(SigningKeys::load_or_create(&dir.join("missing.key"), false).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("lienthong-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

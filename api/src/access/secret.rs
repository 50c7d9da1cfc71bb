//! Client secrets: random, shown once, stored only as an Argon2id hash.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// A new client secret: 32 random bytes, base64url.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The Argon2id hash of a secret, in PHC string form. Slow by design: call
/// from a blocking thread.
pub fn hash(secret: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a client secret: {e}"))
}

/// Whether `secret` matches `stored`. Slow by design: call from a blocking
/// thread.
pub fn verify(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes on a blocking thread.
pub async fn hash_blocking(secret: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&secret)).await?
}

/// The hash of a secret nobody knows, with the parameters of real ones: a
/// client without a secret (or unknown) is checked against it, so that its
/// refusal costs the same time as a wrong secret's.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&generate()).expect("Argon2 hashes with its default parameters"))
}

/// Verifies on a blocking thread, against `stored` or, when there is none,
/// against [`dummy_hash`] (always false then). `slot` is held until the
/// hashing ends, even if the caller has gone: it is what bounds the memory
/// and threads that Argon2 takes.
pub async fn verify_blocking<T: Send + 'static>(
    secret: String,
    stored: Option<String>,
    slot: T,
) -> bool {
    tokio::task::spawn_blocking(move || {
        let against = stored.as_deref().unwrap_or_else(|| dummy_hash());
        let verified = std::hint::black_box(verify(&secret, against));
        drop(slot);
        verified && stored.is_some()
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let secret = generate();
        let stored = hash(&secret).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains(&secret));
        assert!(verify(&secret, &stored));
        assert!(!verify(&generate(), &stored));
        assert!(!verify(&secret, "not a hash"));
    }

    /// The dummy hash has the parameters of real hashes, so checking a
    /// secret against it costs what a wrong secret costs.
    #[test]
    fn the_dummy_hash_is_shaped_like_a_real_one() {
        let real = PasswordHash::new(hash(&generate()).unwrap().as_str())
            .unwrap()
            .params
            .to_string();
        let dummy = PasswordHash::new(dummy_hash()).unwrap().params.to_string();
        assert_eq!(real, dummy);
        assert!(!verify(&generate(), dummy_hash()));
    }
}

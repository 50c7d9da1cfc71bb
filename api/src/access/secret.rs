//! Client secrets: random, shown once, stored only as an Argon2id hash.

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    verify_in(secret, stored, &mut Workspace::default())
}

/// Argon2's working memory (19 MiB with the default parameters), kept
/// from one check to the next: a burst of checks then reuses a few
/// buffers instead of leaving freed ones behind in every allocator arena.
#[derive(Default)]
pub struct Workspace(Vec<Block>);

/// Like [`verify`], in `workspace`, grown if the hash needs more memory.
/// (What `PasswordVerifier::verify_password` does, but in memory of our
/// own; the comparison is `Output`'s, in constant time.)
pub fn verify_in(secret: &str, stored: &str, workspace: &mut Workspace) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if workspace.0.len() < params.block_count() {
        workspace.0.resize(params.block_count(), Block::default());
    }
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            secret.as_bytes(),
            salt,
            &mut computed,
            &mut workspace.0[..],
        )
        .is_ok()
        && Output::new(&computed).is_ok_and(|computed| computed == expected)
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

/// Verifies on a blocking thread, in the slot's workspace, against
/// `stored` or, when there is none, against [`dummy_hash`] (always false
/// then). `slot` is held until the hashing ends, even if the caller has
/// gone: it is what bounds the memory and threads that Argon2 takes.
pub async fn verify_blocking<T: AsMut<Workspace> + Send + 'static>(
    secret: String,
    stored: Option<String>,
    mut slot: T,
) -> bool {
    tokio::task::spawn_blocking(move || {
        let against = stored.as_deref().unwrap_or_else(|| dummy_hash());
        let verified = std::hint::black_box(verify_in(&secret, against, slot.as_mut()));
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

    /// One workspace serves checks of hashes with other parameters, one
    /// after the other, and reused memory gives the same answers.
    #[test]
    fn a_workspace_is_reused_across_checks() {
        let secret = generate();
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        )
        .hash_password(
            secret.as_bytes(),
            &SaltString::generate(&mut argon2::password_hash::rand_core::OsRng),
        )
        .unwrap()
        .to_string();
        let default = hash(&secret).unwrap();
        let mut workspace = Workspace::default();
        for _ in 0..2 {
            assert!(verify_in(&secret, &default, &mut workspace));
            assert!(verify_in(&secret, &small, &mut workspace));
            assert!(!verify_in("wrong", &small, &mut workspace));
            assert!(!verify_in("wrong", &default, &mut workspace));
        }
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

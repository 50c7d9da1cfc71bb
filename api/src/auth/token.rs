//! Access tokens: signed JWTs (EdDSA) with RFC 9068's claims plus the
//! agency's jurisdiction.
//!
//! Verification pins the algorithm, requires `exp`, `nbf`, `iss`, `aud`,
//! `sub` and `jti`, and checks the key id, so that a token that is present
//! but wrong in any way is refused, never treated as absent.

use super::keys::SigningKeys;
use super::{Jurisdiction, ScopeSet, TokenClaims};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of a Lienthong access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The agency code.
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// Space-separated scopes.
    pub scope: String,
    /// `*` or space-separated province codes.
    pub jurisdiction: String,
}

/// Who the tokens are issued by and for.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
}

/// Signs a token for `agency` valid for `ttl_seconds` from now.
pub fn issue(
    keys: &SigningKeys,
    settings: &TokenSettings,
    agency: &str,
    scopes: ScopeSet,
    jurisdiction: &Jurisdiction,
    ttl_seconds: i64,
) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        sub: agency.to_owned(),
        iat: now,
        nbf: now,
        exp: now + ttl_seconds,
        jti: uuid::Uuid::new_v4().to_string(),
        scope: scopes.to_string(),
        jurisdiction: jurisdiction.to_string(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(keys.kid.clone());
    Ok(jsonwebtoken::encode(&header, &claims, &keys.encoding)?)
}

/// Why a token was refused. The message is for logs; the caller is told
/// only that the token is invalid.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token header: {0}")]
    Header(jsonwebtoken::errors::Error),
    #[error("token signed with unknown key id {0:?}")]
    UnknownKey(Option<String>),
    #[error("token rejected: {0}")]
    Invalid(jsonwebtoken::errors::Error),
    #[error("token claims: {0}")]
    Claims(String),
}

/// Verifies a token and returns what it claims. The agency's current state
/// (suspended, deleted, its grants) is checked by the caller.
pub fn verify(
    keys: &SigningKeys,
    settings: &TokenSettings,
    token: &str,
) -> Result<TokenClaims, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(TokenError::Header)?;
    let Some(key) = header.kid.as_deref().and_then(|kid| keys.verifying(kid)) else {
        return Err(TokenError::UnknownKey(header.kid));
    };
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY;
    let data =
        jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(TokenError::Invalid)?;
    let claims = data.claims;
    if claims.sub.is_empty() || claims.jti.is_empty() {
        return Err(TokenError::Claims("empty sub or jti".into()));
    }
    Ok(TokenClaims {
        scopes: ScopeSet::parse(&claims.scope).map_err(TokenError::Claims)?,
        jurisdiction: Jurisdiction::parse(&claims.jurisdiction).map_err(TokenError::Claims)?,
        agency: claims.sub,
        token_id: claims.jti,
        expires_at: claims.exp,
    })
}

/// Seconds of clock skew allowed on `exp` and `nbf`.
pub const LEEWAY: u64 = 30;

/// Tokens whose signature and claims were already checked, so that a
/// caller's next requests skip the signature check (an Ed25519
/// verification per request). Keyed by the whole token; an entry is used
/// only until the token expires. Revocation, the agency's status and its
/// grants are still checked on every request, after this.
#[derive(Default)]
pub struct VerifiedTokens {
    /// Sharded, so that callers on different shards never wait for each
    /// other, and a clean-up holds one shard at a time.
    tokens: dashmap::DashMap<Box<str>, TokenClaims>,
}

/// Most tokens remembered; past it, expired ones are dropped (or all).
const REMEMBERED: usize = 10_000;

impl VerifiedTokens {
    /// [`verify`], remembering the answer until the token expires.
    pub fn verify(
        &self,
        keys: &SigningKeys,
        settings: &TokenSettings,
        token: &str,
    ) -> Result<TokenClaims, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let alive = |claims: &TokenClaims| claims.expires_at + LEEWAY as i64 > now;
        if let Some(claims) = self.tokens.get(token).filter(|c| alive(c)) {
            return Ok(claims.clone());
        }
        let claims = verify(keys, settings, token)?;
        if self.tokens.len() >= REMEMBERED {
            self.tokens.retain(|_, c| alive(c));
            if self.tokens.len() >= REMEMBERED {
                self.tokens.clear();
            }
        }
        self.tokens.insert(token.into(), claims.clone());
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBpz7sQpMm1rIz5lL8sQdSL0dm0HHq+ZH2m7GdIqkY1c\n-----END PRIVATE KEY-----\n";

    /// A token of `BCA` with no scope, nationally, living `ttl` seconds.
    fn bca(keys: &SigningKeys, ttl: i64) -> String {
        let national = Jurisdiction::parse("*").unwrap();
        issue(
            keys,
            &settings(),
            "BCA",
            ScopeSet::default(),
            &national,
            ttl,
        )
        .unwrap()
    }

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "lienthong".into(),
            audience: "lienthong-api".into(),
        }
    }

    #[test]
    fn a_verified_token_is_remembered_but_no_other_string_is() {
        let keys = SigningKeys::from_pem(PEM).unwrap();
        let verified = VerifiedTokens::default();
        let token = bca(&keys, 60);
        let first = verified.verify(&keys, &settings(), &token).unwrap();
        let again = verified.verify(&keys, &settings(), &token).unwrap();
        assert_eq!(
            (first.agency, first.token_id),
            (again.agency, again.token_id)
        );
        assert_eq!(verified.tokens.len(), 1);
        // A token altered by one character is checked, and refused.
        let mut altered = token.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(verified.verify(&keys, &settings(), &altered).is_err());
        // An expired token is refused, not remembered.
        let expired = bca(&keys, -120);
        assert!(verified.verify(&keys, &settings(), &expired).is_err());
        assert_eq!(verified.tokens.len(), 1);
    }

    #[test]
    fn a_token_round_trips_to_its_principal() {
        let keys = SigningKeys::from_pem(PEM).unwrap();
        let scopes: ScopeSet = [Scope::LandRead, Scope::PopulationVerify]
            .into_iter()
            .collect();
        let jurisdiction = Jurisdiction::parse("68").unwrap();
        let token = issue(&keys, &settings(), "UBND-68", scopes, &jurisdiction, 60).unwrap();
        let principal = verify(&keys, &settings(), &token).unwrap();
        assert_eq!(principal.agency, "UBND-68");
        assert_eq!(principal.scopes, scopes);
        assert_eq!(principal.jurisdiction, jurisdiction);
    }

    #[test]
    fn expired_wrong_audience_and_tampered_tokens_are_refused() {
        let keys = SigningKeys::from_pem(PEM).unwrap();
        let expired = bca(&keys, -120);
        assert!(verify(&keys, &settings(), &expired).is_err());

        let token = bca(&keys, 60);
        let other = TokenSettings {
            audience: "elsewhere".into(),
            ..settings()
        };
        assert!(verify(&keys, &other, &token).is_err());

        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1].push('A');
        assert!(verify(&keys, &settings(), &parts.join(".")).is_err());
    }

    #[test]
    fn tokens_of_a_previous_key_stay_valid_after_rotation() {
        let dir = std::env::temp_dir().join(format!("lienthong-rotate-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("old.pem"), PEM).unwrap();
        let old = SigningKeys::from_pem(PEM).unwrap();
        let token = bca(&old, 60);
        let new = SigningKeys::load_or_create(&dir.join("new.key"), true).unwrap();
        assert!(verify(&new, &settings(), &token).is_err(), "unknown before");
        let rotated = new.with_previous(&[dir.join("old.pem")]).unwrap();
        assert!(
            verify(&rotated, &settings(), &token).is_ok(),
            "honoured after"
        );
        assert_eq!(rotated.public_keys().len(), 2);
        let fresh = bca(&rotated, 60);
        let header = jsonwebtoken::decode_header(&fresh).unwrap();
        assert_eq!(
            header.kid.as_deref(),
            Some(rotated.kid.as_str()),
            "signs with the new key"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

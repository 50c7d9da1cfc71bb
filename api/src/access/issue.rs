//! Issuing an agency's token: what it may carry (the scopes the agency
//! holds now, the union of its jurisdictions), signed by `auth::token`.
//! Checking a client's secret is `login`; verifying a token is
//! `auth::token`.

use super::cache::AccessCache;
use crate::auth::keys::SigningKeys;
use crate::auth::{Jurisdiction, Scope, ScopeSet, token};
use entities::access::AgencyStatus;

/// A signed token and the scopes it carries.
pub struct Issued {
    pub token: String,
    pub scopes: ScopeSet,
}

/// Why a token was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("agency {0} is not registered")]
    UnknownAgency(String),
    #[error("agency {0} is suspended")]
    Suspended(String),
    #[error("{0}")]
    Scope(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Issues a token for a registered, active agency: the scopes it holds now
/// (by right and by active grants), or the `requested` subset of them, and
/// the union of its jurisdictions. Takes the parts it needs (the agencies'
/// access, the key, the token settings), so that the `token` command uses
/// it with no server.
pub async fn issue(
    cache: &AccessCache,
    keys: &SigningKeys,
    tokens: &token::TokenSettings,
    agency_code: &str,
    requested: Option<ScopeSet>,
    ttl_seconds: i64,
) -> Result<Issued, IssueError> {
    let access = cache
        .access(agency_code)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| IssueError::UnknownAgency(agency_code.to_owned()))?;
    if access.status != AgencyStatus::Active {
        return Err(IssueError::Suspended(agency_code.to_owned()));
    }
    let scopes = requested.unwrap_or(access.scopes);
    if !scopes.is_subset(access.scopes) {
        let extra: Vec<&str> = scopes
            .iter()
            .filter(|s| !access.scopes.contains(*s))
            .map(Scope::as_str)
            .collect();
        return Err(IssueError::Scope(format!(
            "{agency_code} holds no grant for {}",
            extra.join(" ")
        )));
    }
    let jurisdiction = access
        .jurisdictions
        .values()
        .fold(None::<Jurisdiction>, |acc, j| {
            Some(acc.map_or_else(|| j.clone(), |a| super::union(&a, j)))
        })
        .unwrap_or(Jurisdiction::Provinces(Default::default()));
    let jurisdiction = match jurisdiction {
        // A token must name somewhere; an agency without any grant gets its
        // own scopes only (e.g. the hub), which no listing uses.
        Jurisdiction::Provinces(codes) if codes.is_empty() => Jurisdiction::National,
        j => j,
    };
    let token = token::issue(
        keys,
        tokens,
        agency_code,
        scopes,
        &jurisdiction,
        ttl_seconds,
    )?;
    Ok(Issued { token, scopes })
}

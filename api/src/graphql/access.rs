//! Who am I: the calling agency, its effective scopes and jurisdiction.

use super::principal;
use async_graphql::{Context, Object};

/// The caller of this request, as the hub sees it.
pub struct Me {
    agency: String,
    scopes: Vec<String>,
    jurisdiction: Vec<String>,
    expires_at: i64,
}

/// The caller of this request, as the hub sees it.
#[Object]
impl Me {
    /// The agency code, e.g. `UBND-68`.
    async fn agency_code(&self) -> &str {
        &self.agency
    }

    /// The scopes in force for this request.
    async fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Province codes the agency may list and count in, or `["*"]` for national.
    async fn jurisdiction(&self) -> &[String] {
        &self.jurisdiction
    }

    /// When the access token expires (Unix seconds).
    async fn token_expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// Access queries.
#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// The calling agency, its scopes and jurisdiction.
    async fn me(&self, ctx: &Context<'_>) -> Me {
        let p = principal(ctx);
        Me {
            agency: p.agency.clone(),
            scopes: p.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            jurisdiction: p.jurisdiction.codes(),
            expires_at: p.expires_at,
        }
    }
}

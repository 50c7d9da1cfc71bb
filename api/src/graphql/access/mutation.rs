//! Access mutations: register and suspend agencies, give and revoke
//! grants, ask for access and decide requests, rotate a secret, revoke
//! tokens. Who may do which is `access::service`.

use super::types::*;
use crate::access::NewGrant;
use crate::access::service::{self, NewAgency, NewRequest};
use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::{db, principal};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// A new agency.
#[derive(InputObject)]
pub struct RegisterAgencyInput {
    /// Short code: capital letters, digits and hyphens, e.g. `UBND-68`.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Ministry, province or hub.
    pub kind: AgencyKind,
    /// For a province agency, its province code.
    pub province_code: Option<String>,
    /// Must be empty: who owns a dataset is fixed by the hub's
    /// configuration and never given through the API (a non-empty list is
    /// `FORBIDDEN`).
    #[graphql(
        default,
        deprecation = "ownership of a dataset is not given through the API; leave it out"
    )]
    pub owns: Vec<Dataset>,
}

/// A registered agency and its client secret, shown this once.
#[derive(SimpleObject)]
pub struct RegisterAgencyPayload {
    /// The agency.
    pub agency: Agency,
    /// The client secret for `POST /oauth/token`; only its hash is kept.
    pub client_secret: String,
}

/// An agency with a new client secret, shown this once.
#[derive(SimpleObject)]
pub struct RotateClientSecretPayload {
    /// The agency.
    pub agency: Agency,
    /// The new client secret; the old one no longer gets tokens.
    pub client_secret: String,
}

/// Access to give on a dataset you own.
#[derive(InputObject)]
pub struct GrantAccessInput {
    /// Your dataset.
    pub dataset: Dataset,
    /// The agency that receives access.
    pub grantee: String,
    /// Scopes of the dataset, e.g. `["population:read"]`.
    pub scopes: Vec<String>,
    /// Province codes, or `["*"]` for national.
    pub jurisdiction: Vec<String>,
    /// Why access is given.
    pub purpose: String,
    /// The legal instrument it rests on.
    pub legal_basis: String,
    /// Whether each request must declare its purpose (`X-Purpose`).
    #[graphql(default)]
    pub requires_purpose: bool,
    /// From when (default: now).
    pub valid_from: Option<DateTime<Utc>>,
    /// Until when (default: until revoked).
    pub valid_until: Option<DateTime<Utc>>,
}

/// The grant given or revoked.
#[derive(SimpleObject)]
pub struct GrantPayload {
    /// The grant.
    pub grant: Grant,
}

/// Access to ask a dataset's owner for.
#[derive(InputObject)]
pub struct RequestAccessInput {
    /// The dataset.
    pub dataset: Dataset,
    /// Scopes of the dataset.
    pub scopes: Vec<String>,
    /// Province codes, or `["*"]`.
    pub jurisdiction: Vec<String>,
    /// Why access is needed.
    pub purpose: String,
    /// The legal instrument it rests on.
    pub legal_basis: String,
}

/// The request filed.
#[derive(SimpleObject)]
pub struct RequestAccessPayload {
    /// The request, with its due time.
    pub request: AccessRequest,
}

/// An owner's answer to a request.
#[derive(InputObject)]
pub struct DecideAccessRequestInput {
    /// The request.
    pub id: String,
    /// Approve (a grant is created) or reject.
    pub approve: bool,
    /// Reasons, required either way.
    pub reason: String,
    /// For an approval, until when the grant applies.
    pub valid_until: Option<DateTime<Utc>>,
}

/// The decided request and, for an approval, its grant.
#[derive(SimpleObject)]
pub struct DecideAccessRequestPayload {
    /// The request.
    pub request: AccessRequest,
    /// The grant an approval created.
    pub grant: Option<Grant>,
}

/// The token revoked.
#[derive(SimpleObject)]
pub struct RevokeTokenPayload {
    /// The revoked token's id.
    pub token_id: String,
}

/// Access mutations.
#[derive(Default)]
pub struct AccessMutation;

#[Object]
impl AccessMutation {
    /// Registers an agency (hub operator only). It owns no dataset: its
    /// scopes come from the grants owners give it.
    #[graphql(guard = "Scope::HubAdmin")]
    async fn register_agency(
        &self,
        ctx: &Context<'_>,
        input: RegisterAgencyInput,
    ) -> async_graphql::Result<Option<RegisterAgencyPayload>> {
        let (row, client_secret) = service::register_agency(
            db(ctx)?,
            actor(ctx)?,
            NewAgency {
                code: input.code,
                name: input.name,
                kind: input.kind.into(),
                province_code: input.province_code,
                owns: input.owns.into_iter().map(Into::into).collect(),
            },
        )
        .await
        .gql()?;
        Ok(Some(RegisterAgencyPayload {
            agency: Agency(row),
            client_secret,
        }))
    }

    /// Suspends or reactivates an agency (hub operator only): takes effect
    /// on its next request. A dataset's owner is not suspended through the
    /// API (`FORBIDDEN`), only on the hub's server.
    #[graphql(guard = "Scope::HubAdmin")]
    async fn set_agency_status(
        &self,
        ctx: &Context<'_>,
        code: String,
        status: AgencyStatus,
    ) -> async_graphql::Result<Option<Agency>> {
        let row =
            service::set_agency_status(db(ctx)?, cache(ctx)?, actor(ctx)?, &code, status.into())
                .await
                .gql()?;
        Ok(Some(Agency(row)))
    }

    /// Gives an agency a new client secret, shown once: your own, or, for
    /// the hub operator, any agency's but a dataset owner's (`FORBIDDEN`:
    /// an owner rotates its own). Each rotation is recorded with who did it
    /// (`Agency.secretRotations`).
    async fn rotate_client_secret(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<RotateClientSecretPayload>> {
        let (row, client_secret) = service::rotate_client_secret(db(ctx)?, actor(ctx)?, &code)
            .await
            .gql()?;
        Ok(Some(RotateClientSecretPayload {
            agency: Agency(row),
            client_secret,
        }))
    }

    /// Gives an agency access to some scopes of a dataset you own.
    #[graphql(guard = "Scope::GrantsManage")]
    async fn grant_access(
        &self,
        ctx: &Context<'_>,
        input: GrantAccessInput,
    ) -> async_graphql::Result<Option<GrantPayload>> {
        let grant = service::grant_access(
            db(ctx)?,
            cache(ctx)?,
            principal(ctx)?,
            NewGrant {
                dataset: input.dataset.into(),
                grantee: input.grantee,
                scopes: input.scopes,
                jurisdiction: input.jurisdiction,
                purpose: input.purpose,
                legal_basis: input.legal_basis,
                requires_purpose: input.requires_purpose,
                valid_from: input.valid_from,
                valid_until: input.valid_until,
            },
        )
        .await
        .gql()?;
        Ok(Some(GrantPayload {
            grant: Grant(grant),
        }))
    }

    /// Revokes a grant you gave: the grantee's next request no longer has it.
    #[graphql(guard = "Scope::GrantsManage")]
    async fn revoke_access(
        &self,
        ctx: &Context<'_>,
        id: String,
        reason: String,
    ) -> async_graphql::Result<Option<GrantPayload>> {
        let grant =
            service::revoke_access(db(ctx)?, cache(ctx)?, &principal(ctx)?.agency, &id, &reason)
                .await
                .gql()?;
        Ok(Some(GrantPayload {
            grant: Grant(grant),
        }))
    }

    /// Asks a dataset's owner for access; due two working days later.
    async fn request_access(
        &self,
        ctx: &Context<'_>,
        input: RequestAccessInput,
    ) -> async_graphql::Result<Option<RequestAccessPayload>> {
        let request = service::request_access(
            db(ctx)?,
            &principal(ctx)?.agency,
            NewRequest {
                dataset: input.dataset.into(),
                scopes: input.scopes,
                jurisdiction: input.jurisdiction,
                purpose: input.purpose,
                legal_basis: input.legal_basis,
            },
        )
        .await
        .gql()?;
        Ok(Some(RequestAccessPayload {
            request: AccessRequest(request),
        }))
    }

    /// Approves or rejects a request for a dataset you own.
    #[graphql(guard = "Scope::GrantsManage")]
    async fn decide_access_request(
        &self,
        ctx: &Context<'_>,
        input: DecideAccessRequestInput,
    ) -> async_graphql::Result<Option<DecideAccessRequestPayload>> {
        let (request, grant) = service::decide_request(
            db(ctx)?,
            cache(ctx)?,
            principal(ctx)?,
            &input.id,
            input.approve,
            &input.reason,
            input.valid_until,
        )
        .await
        .gql()?;
        Ok(Some(DecideAccessRequestPayload {
            request: AccessRequest(request),
            grant: grant.map(Grant),
        }))
    }

    /// Revokes one of your own tokens by its id (`jti`, a UUID; default:
    /// the token of this request). It is refused from its next use on. An
    /// id that is not one of your tokens changes nothing, and the answer is
    /// the same; the hub operator revokes any agency's token.
    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        jti: Option<String>,
    ) -> async_graphql::Result<Option<RevokeTokenPayload>> {
        let p = principal(ctx)?;
        let jti = jti.unwrap_or_else(|| p.token_id.clone());
        let keep_until = Utc::now()
            + crate::graphql::operation(ctx)?
                .services
                .revocation_retention;
        let token_id = service::revoke_token(db(ctx)?, cache(ctx)?, actor(ctx)?, &jti, keep_until)
            .await
            .gql()?;
        Ok(Some(RevokeTokenPayload { token_id }))
    }
}

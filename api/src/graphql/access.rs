//! Agencies, grants and access requests in the graph, and `me`.
//!
//! `hub:admin` registers and suspends agencies, but never makes one the
//! owner of a dataset, nor rotates an owner's secret or changes its status
//! (see `access::service`); an owner with `grants:manage` gives and
//! revokes grants on its own dataset and decides requests for it; any
//! agency may ask for access, see its own grants, rotate its own secret
//! and revoke its own tokens.

use super::{db, principal};
use crate::access::cache::AccessCache;
use crate::access::service::{self, Actor, NewAgency, NewRequest};
use crate::access::{self as rules, NewGrant};
use crate::auth::Scope;
use crate::error::Gql;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::access::{self as acc, access_grant, access_request, agency};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use std::sync::Arc;

mirror_enum!(
    /// A national dataset.
    Dataset = acc::Dataset {
        /// Citizens and households, owned by the Ministry of Public Security (BCA).
        Population,
        /// Land parcels and land-use rights, owned by the Ministry of Agriculture and Environment (BNNMT).
        Land,
        /// The business register, owned by the Ministry of Finance (BTC).
        Enterprise,
    }
);

mirror_enum!(
    /// What kind of body an agency is.
    AgencyKind = acc::AgencyKind {
        /// A ministry (may own a dataset).
        Ministry,
        /// A province's people's committee.
        Province,
        /// The hub operator.
        Hub,
    }
);

mirror_enum!(
    /// Whether an agency may call the hub.
    AgencyStatus = acc::AgencyStatus {
        /// Its tokens work.
        Active,
        /// Its tokens are refused from the next request on.
        Suspended,
    }
);

mirror_enum!(
    /// Where an access request stands.
    RequestStatus = acc::RequestStatus {
        /// Waiting for the owner.
        Pending,
        /// Approved: a grant was created.
        Approved,
        /// Rejected, with reasons.
        Rejected,
    }
);

fn cache<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<AccessCache>> {
    Ok(&super::operation(ctx)?.services.cache)
}

/// The caller as an actor of the access rules.
fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<Actor<'a>> {
    let p = principal(ctx)?;
    Ok(Actor::Agency {
        code: &p.agency,
        hub_admin: p.has(Scope::HubAdmin),
    })
}

/// The caller's jurisdiction over one dataset.
#[derive(SimpleObject)]
pub struct DatasetJurisdiction {
    /// The dataset.
    pub dataset: Dataset,
    /// Province codes where the caller may list and count, or `["*"]`.
    pub provinces: Vec<String>,
}

/// The caller of this request, as the hub sees it.
pub struct Me {
    agency: String,
    scopes: Vec<String>,
    jurisdictions: Vec<DatasetJurisdiction>,
    expires_at: i64,
    token_id: String,
}

/// The caller of this request, as the hub sees it.
#[Object]
impl Me {
    /// The agency code, e.g. `UBND-68`.
    async fn agency_code(&self) -> &str {
        &self.agency
    }

    /// The scopes in force for this request: in the token, and held now.
    async fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Where the caller may list and count, per dataset it has access to.
    async fn jurisdictions(&self) -> &[DatasetJurisdiction] {
        &self.jurisdictions
    }

    /// When the access token expires (Unix seconds).
    async fn token_expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The token's id (`jti`), to revoke it with `revokeToken`.
    async fn token_id(&self) -> &str {
        &self.token_id
    }
}

/// A registered agency.
pub struct Agency(pub agency::Model);

/// A registered agency.
#[Object]
impl Agency {
    /// Short code, e.g. `BCA` or `UBND-68`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Ministry, province or hub.
    async fn kind(&self) -> AgencyKind {
        self.0.kind.into()
    }

    /// For a province agency, its province code.
    async fn province_code(&self) -> Option<&str> {
        self.0.province_code.as_deref()
    }

    /// The datasets it owns.
    async fn owns(&self) -> Vec<Dataset> {
        rules::owned(&self.0)
            .into_iter()
            .map(Dataset::from)
            .collect()
    }

    /// Active or suspended.
    async fn status(&self) -> AgencyStatus {
        self.0.status.into()
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When its client secret was last rotated; `null` if never. For the
    /// agency itself and the hub operator.
    async fn secret_rotated_at(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        Ok(self.rotations(ctx).await?.first().map(|r| r.at))
    }

    /// Who last rotated its client secret: the agency itself, the hub
    /// operator's code, or `server` for a reset on the hub's server. For
    /// the agency itself and the hub operator.
    async fn secret_rotated_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.rotations(ctx).await?.first().map(|r| r.by.clone()))
    }

    /// Every rotation of its client secret, newest first. For the agency
    /// itself and the hub operator.
    async fn secret_rotations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<SecretRotation>> {
        self.rotations(ctx).await
    }
}

impl Agency {
    /// The secret's rotations, if the caller may see them.
    async fn rotations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SecretRotation>> {
        let p = principal(ctx)?;
        if p.agency != self.0.code && !p.has(Scope::HubAdmin) {
            return Err(crate::error::ApiError::NotAllowed(format!(
                "only {} and the hub operator see the rotations of its secret",
                self.0.code
            ))
            .into_graphql());
        }
        let rows = service::secret_rotations(db(ctx)?, &self.0.code)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|r| SecretRotation {
                at: r.rotated_at,
                by: r.rotated_by,
            })
            .collect())
    }
}

/// One rotation of an agency's client secret.
#[derive(SimpleObject)]
pub struct SecretRotation {
    /// When the secret was replaced.
    pub at: DateTime<Utc>,
    /// Who replaced it: the agency itself, the hub operator's code, or
    /// `server` for a reset on the hub's server.
    pub by: String,
}

/// A grant: an owner lets an agency use some scopes of its dataset.
pub struct Grant(pub access_grant::Model);

/// A grant: an owner lets an agency use some scopes of its dataset.
#[Object]
impl Grant {
    /// Grant id.
    async fn id(&self) -> &str {
        &self.0.id
    }

    /// The dataset.
    async fn dataset(&self) -> Dataset {
        self.0.dataset.into()
    }

    /// The agency that receives access.
    async fn grantee(&self) -> &str {
        &self.0.grantee
    }

    /// The owner that gave it.
    async fn granted_by(&self) -> &str {
        &self.0.granted_by
    }

    /// The scopes granted.
    async fn scopes(&self) -> Vec<&str> {
        self.0.scopes.split_whitespace().collect()
    }

    /// Province codes where the grantee may list and count, or `["*"]`.
    async fn jurisdiction(&self) -> Vec<&str> {
        self.0.jurisdiction.split_whitespace().collect()
    }

    /// Why the access is given.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }

    /// The legal instrument it rests on.
    async fn legal_basis(&self) -> &str {
        &self.0.legal_basis
    }

    /// Whether each request under the grant must declare its purpose.
    async fn requires_purpose(&self) -> bool {
        self.0.requires_purpose
    }

    /// From when it applies.
    async fn valid_from(&self) -> DateTime<Utc> {
        self.0.valid_from
    }

    /// Until when it applies, if limited.
    async fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.0.valid_until
    }

    /// When it was given.
    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.granted_at
    }

    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// Why it was revoked.
    async fn revoke_reason(&self) -> Option<&str> {
        self.0.revoke_reason.as_deref()
    }

    /// Whether it is in force now.
    async fn active(&self) -> bool {
        rules::is_active(&self.0, Utc::now())
    }
}

/// A request for access to a dataset, answered by its owner.
pub struct AccessRequest(pub access_request::Model);

/// A request for access to a dataset, answered by its owner.
#[Object]
impl AccessRequest {
    /// Request id.
    async fn id(&self) -> &str {
        &self.0.id
    }

    /// The agency asking.
    async fn requester(&self) -> &str {
        &self.0.requester
    }

    /// The dataset asked for.
    async fn dataset(&self) -> Dataset {
        self.0.dataset.into()
    }

    /// The scopes asked for.
    async fn scopes(&self) -> Vec<&str> {
        self.0.scopes.split_whitespace().collect()
    }

    /// The provinces asked for, or `["*"]`.
    async fn jurisdiction(&self) -> Vec<&str> {
        self.0.jurisdiction.split_whitespace().collect()
    }

    /// Why access is needed.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }

    /// The legal instrument it rests on.
    async fn legal_basis(&self) -> &str {
        &self.0.legal_basis
    }

    /// When it was asked.
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }

    /// The owner must answer by then: two working days after the request.
    async fn due_by(&self) -> DateTime<Utc> {
        self.0.due_by
    }

    /// Whether it is still pending after its due time.
    async fn overdue(&self) -> bool {
        self.0.status == acc::RequestStatus::Pending && Utc::now() > self.0.due_by
    }

    /// Pending, approved or rejected.
    async fn status(&self) -> RequestStatus {
        self.0.status.into()
    }

    /// When it was decided.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// Who decided it.
    async fn decided_by(&self) -> Option<&str> {
        self.0.decided_by.as_deref()
    }

    /// The owner's reasons.
    async fn decision_reason(&self) -> Option<&str> {
        self.0.decision_reason.as_deref()
    }

    /// The grant an approval created.
    async fn grant_id(&self) -> Option<&str> {
        self.0.grant_id.as_deref()
    }
}

/// Access queries.
#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// The calling agency, its scopes and jurisdiction.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let p = principal(ctx)?;
        Ok(Me {
            agency: p.agency.clone(),
            scopes: p.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            jurisdictions: p
                .jurisdictions
                .iter()
                .map(|(dataset, j)| DatasetJurisdiction {
                    dataset: (*dataset).into(),
                    provinces: j.codes(),
                })
                .collect(),
            expires_at: p.expires_at,
            token_id: p.token_id.clone(),
        })
    }

    /// Every registered agency, by code.
    async fn agencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Agency>> {
        let rows = agency::Entity::find()
            .order_by_asc(agency::Column::Code)
            .all(db(ctx)?)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Agency).collect())
    }

    /// An agency by code; `null` if none has it.
    async fn agency(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Agency>> {
        Ok(agency::Entity::find_by_id(code)
            .one(db(ctx)?)
            .await
            .gql()?
            .map(Agency))
    }

    /// Grants you received or gave (all of them for the hub operator),
    /// newest first.
    async fn grants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only grants in force now.")] active_only: Option<bool>,
    ) -> async_graphql::Result<Vec<Grant>> {
        let p = principal(ctx)?;
        let mut query = access_grant::Entity::find();
        if !p.has(Scope::HubAdmin) {
            query = query.filter(
                Condition::any()
                    .add(access_grant::Column::Grantee.eq(p.agency.as_str()))
                    .add(access_grant::Column::GrantedBy.eq(p.agency.as_str())),
            );
        }
        let rows = query
            .order_by_desc(access_grant::Column::GrantedAt)
            .all(db(ctx)?)
            .await
            .gql()?;
        let now = Utc::now();
        Ok(rows
            .into_iter()
            .filter(|g| !active_only.unwrap_or(false) || rules::is_active(g, now))
            .map(Grant)
            .collect())
    }

    /// Requests you made, and requests for the datasets you own, newest first.
    async fn access_requests(
        &self,
        ctx: &Context<'_>,
        status: Option<RequestStatus>,
    ) -> async_graphql::Result<Vec<AccessRequest>> {
        let p = principal(ctx)?;
        let mut mine =
            Condition::any().add(access_request::Column::Requester.eq(p.agency.as_str()));
        if !p.owns.is_empty() {
            mine = mine.add(access_request::Column::Dataset.is_in(p.owns.iter().copied()));
        }
        let mut query = access_request::Entity::find().filter(mine);
        if let Some(status) = status {
            query =
                query.filter(access_request::Column::Status.eq(acc::RequestStatus::from(status)));
        }
        let rows = query
            .order_by_desc(access_request::Column::RequestedAt)
            .all(db(ctx)?)
            .await
            .gql()?;
        Ok(rows.into_iter().map(AccessRequest).collect())
    }
}

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
        let keep_until = Utc::now() + super::operation(ctx)?.services.revocation_retention;
        let token_id = service::revoke_token(db(ctx)?, cache(ctx)?, actor(ctx)?, &jti, keep_until)
            .await
            .gql()?;
        Ok(Some(RevokeTokenPayload { token_id }))
    }
}

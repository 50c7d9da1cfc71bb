//! The access objects of the graph: `Me`, `Agency`, `Grant`,
//! `AccessRequest` and their enums.

use crate::access::cache::AccessCache;
use crate::access::service::{self, Actor};
use crate::access::{self as rules};
use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::{db, principal};
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::access::{self as acc, access_grant, access_request, agency};
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

pub(super) fn cache<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<AccessCache>> {
    Ok(&crate::graphql::operation(ctx)?.services.cache)
}

/// The caller as an actor of the access rules.
pub(super) fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<Actor<'a>> {
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
    pub(super) agency: String,
    pub(super) scopes: Vec<String>,
    pub(super) jurisdictions: Vec<DatasetJurisdiction>,
    pub(super) expires_at: i64,
    pub(super) token_id: String,
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

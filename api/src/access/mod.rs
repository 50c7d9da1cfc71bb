//! Who may read what, now: the scopes an agency holds by right (its own
//! datasets, the hub's administration) and by the grants that owners gave
//! it, and the rules for giving, revoking and requesting grants.
//!
//! The rules are plain functions so that tests call them without GraphQL;
//! `cache` keeps each agency's current access in memory and drops it the
//! moment a grant, an agency or a token changes (on every node, through
//! PostgreSQL's LISTEN/NOTIFY).

pub mod cache;
pub mod issue;
pub mod login;
pub mod secret;
pub mod service;
pub mod transfer;
pub mod trusted;

use crate::auth::{DatasetScopes, Jurisdiction, Principal, Scope, ScopeSet, TokenClaims};
use crate::error::ApiError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use entities::access::{AgencyKind, AgencyStatus, Dataset, access_grant, agency};
use std::collections::{BTreeMap, BTreeSet};

/// The dataset a scope reads or writes, if it belongs to one (see
/// [`Scope::dataset`], where the table is).
pub fn dataset_of(scope: Scope) -> Option<Dataset> {
    scope.dataset()
}

/// The scopes an owner may grant on its dataset: every read scope, never
/// writing (owners write their own data) nor administration.
pub fn grantable(dataset: Dataset) -> ScopeSet {
    dataset
        .scopes()
        .without([dataset.write_scope()].into_iter().collect())
}

/// The datasets an agency owns (`owns` is comma-separated), as its row
/// says. On the request path, ask the [`Principal`] instead: its
/// ownership comes from here once per agency, through the access cache.
pub fn owned(agency: &agency::Model) -> BTreeSet<Dataset> {
    agency
        .owns
        .split(',')
        .filter_map(|d| match d.trim() {
            "POPULATION" => Some(Dataset::Population),
            "LAND" => Some(Dataset::Land),
            "ENTERPRISE" => Some(Dataset::Enterprise),
            _ => None,
        })
        .collect()
}

/// Scopes an agency holds by right: all of its own datasets, with
/// `grants:manage` and `audit:read` on them; `hub:admin` for the hub.
pub fn own_scopes(agency: &agency::Model) -> ScopeSet {
    let mut scopes = ScopeSet::default();
    if agency.kind == AgencyKind::Hub {
        scopes.insert(Scope::HubAdmin);
    }
    let datasets = owned(agency);
    for dataset in &datasets {
        for scope in dataset.scopes().iter() {
            scopes.insert(scope);
        }
    }
    if !datasets.is_empty() {
        scopes.insert(Scope::GrantsManage);
        scopes.insert(Scope::AuditRead);
    }
    scopes
}

/// Whether a grant is in force at `now`.
pub fn is_active(grant: &access_grant::Model, now: DateTime<Utc>) -> bool {
    grant.revoked_at.is_none()
        && grant.valid_from <= now
        && grant.valid_until.is_none_or(|until| until > now)
}

/// An agency's access at one moment.
#[derive(Debug, Clone)]
pub struct Access {
    pub status: AgencyStatus,
    pub scopes: ScopeSet,
    /// Where the agency may list and count, per dataset.
    pub jurisdictions: BTreeMap<Dataset, Jurisdiction>,
    /// For each scope held by a grant (not by right), the grant that gives
    /// it, named in the access log.
    pub scope_grants: BTreeMap<Scope, String>,
    /// Datasets read under a grant that asks every request to declare its
    /// purpose.
    pub purpose_required: BTreeSet<Dataset>,
    /// The datasets the agency owns, from its row.
    pub owns: BTreeSet<Dataset>,
    /// When this answer may change by itself (a grant starts or ends).
    pub valid_until: Option<DateTime<Utc>>,
    /// The documents registered for the agency, and whether it may run
    /// only those.
    pub trusted: std::sync::Arc<trusted::TrustedDocuments>,
}

impl Access {
    /// Whether this access still gives everything `principal` was given:
    /// every scope, every province of every dataset, every dataset it
    /// owned, and no new purpose requirement. Any narrowing (a revoked or
    /// shrunk grant, a suspension) makes it `false`, so that a long-lived
    /// connection ends.
    pub fn admits(&self, principal: &Principal) -> bool {
        let none = Jurisdiction::Provinces(BTreeSet::new());
        self.status == AgencyStatus::Active
            && principal.scopes.is_subset(self.scopes)
            && principal
                .jurisdictions
                .iter()
                .all(|(dataset, j)| j.is_within(self.jurisdictions.get(dataset).unwrap_or(&none)))
            && self.purpose_required.is_subset(&principal.purpose_required)
            && principal.owns.is_subset(&self.owns)
            && self.trusted.within(&principal.trusted)
    }

    /// The principal of a token's `claims`, given this access now: what
    /// the token says, narrowed to what the agency still holds.
    pub fn narrow(&self, claims: TokenClaims) -> Principal {
        let jurisdictions = self
            .jurisdictions
            .iter()
            .map(|(dataset, j)| (*dataset, j.intersect(&claims.jurisdiction)))
            .collect();
        Principal {
            agency: claims.agency,
            scopes: claims.scopes.intersect(self.scopes),
            jurisdictions,
            token_id: claims.token_id,
            expires_at: claims.expires_at,
            grants: self.scope_grants.clone(),
            purpose_required: self.purpose_required.clone(),
            owns: self.owns.clone(),
            trusted: self.trusted.clone(),
        }
    }
}

/// Computes an agency's access from its row and its grants.
pub fn access_of(
    agency: &agency::Model,
    grants: &[access_grant::Model],
    now: DateTime<Utc>,
) -> Access {
    let mut scopes = own_scopes(agency);
    let by_right = scopes;
    let owns = owned(agency);
    let mut scope_grants = BTreeMap::new();
    let mut purpose_required = BTreeSet::new();
    let mut jurisdictions = BTreeMap::new();
    for dataset in &owns {
        jurisdictions.insert(*dataset, Jurisdiction::National);
    }
    let mut valid_until: Option<DateTime<Utc>> = None;
    let mut changes_at = |at: DateTime<Utc>| {
        valid_until = Some(valid_until.map_or(at, |v| v.min(at)));
    };
    for grant in grants.iter().filter(|g| g.revoked_at.is_none()) {
        if grant.valid_from > now {
            changes_at(grant.valid_from);
            continue;
        }
        match grant.valid_until {
            Some(until) if until <= now => continue,
            Some(until) => changes_at(until),
            None => {}
        }
        let granted = ScopeSet::parse(&grant.scopes)
            .unwrap_or_default()
            .intersect(grantable(grant.dataset));
        for scope in granted.iter() {
            scopes.insert(scope);
            if !by_right.contains(scope) {
                scope_grants
                    .entry(scope)
                    .or_insert_with(|| grant.id.clone());
            }
        }
        if grant.requires_purpose && !owns.contains(&grant.dataset) {
            purpose_required.insert(grant.dataset);
        }
        let Ok(jurisdiction) = Jurisdiction::parse(&grant.jurisdiction) else {
            continue;
        };
        let merged = match jurisdictions.remove(&grant.dataset) {
            Some(existing) => union(&existing, &jurisdiction),
            None => jurisdiction,
        };
        jurisdictions.insert(grant.dataset, merged);
    }
    Access {
        status: agency.status,
        scopes,
        jurisdictions,
        scope_grants,
        purpose_required,
        owns,
        valid_until,
        trusted: Default::default(),
    }
}

/// The wider of two jurisdictions.
pub fn union(a: &Jurisdiction, b: &Jurisdiction) -> Jurisdiction {
    match (a, b) {
        (Jurisdiction::National, _) | (_, Jurisdiction::National) => Jurisdiction::National,
        (Jurisdiction::Provinces(x), Jurisdiction::Provinces(y)) => {
            Jurisdiction::Provinces(x.union(y).cloned().collect())
        }
    }
}

/// What an owner asks to grant.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub dataset: Dataset,
    pub grantee: String,
    pub scopes: Vec<String>,
    pub jurisdiction: Vec<String>,
    pub purpose: String,
    pub legal_basis: String,
    pub requires_purpose: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// A checked grant, ready to store.
#[derive(Debug, Clone)]
pub struct CheckedGrant {
    pub scopes: ScopeSet,
    pub jurisdiction: Jurisdiction,
    pub valid_from: DateTime<Utc>,
}

/// The rules of giving a grant: only the dataset's owner, only the
/// dataset's read scopes, to another registered agency, with a purpose, a
/// legal basis and a sensible validity window.
pub fn check_grant(
    granter: &Principal,
    grantee: Option<&agency::Model>,
    input: &NewGrant,
    now: DateTime<Utc>,
) -> Result<CheckedGrant, ApiError> {
    granter.require_owner(input.dataset)?;
    let Some(grantee) = grantee else {
        return Err(ApiError::BadUserInput(format!(
            "no agency is registered as {}",
            input.grantee
        )));
    };
    if grantee.code == granter.agency {
        return Err(ApiError::BadUserInput(
            "an owner already holds every scope of its own dataset".into(),
        ));
    }
    let scopes = ScopeSet::parse(&input.scopes.join(" ")).map_err(ApiError::BadUserInput)?;
    if scopes == ScopeSet::default() {
        return Err(ApiError::BadUserInput("name at least one scope".into()));
    }
    let allowed = grantable(input.dataset);
    if let Some(extra) = scopes.iter().find(|s| !allowed.contains(*s)) {
        return Err(ApiError::BadUserInput(format!(
            "{extra} cannot be granted on {:?}: grantable scopes are {allowed}",
            input.dataset
        )));
    }
    let jurisdiction =
        Jurisdiction::parse(&input.jurisdiction.join(" ")).map_err(ApiError::BadUserInput)?;
    check_text("purpose", &input.purpose)?;
    check_text("legalBasis", &input.legal_basis)?;
    let valid_from = input.valid_from.unwrap_or(now);
    if let Some(until) = input.valid_until
        && (until <= valid_from || until <= now)
    {
        return Err(ApiError::BadUserInput(
            "validUntil must be after validFrom and in the future".into(),
        ));
    }
    Ok(CheckedGrant {
        scopes,
        jurisdiction,
        valid_from,
    })
}

/// A required free-text field: not blank, at most 2,000 characters.
pub fn check_text(field: &str, value: &str) -> Result<(), ApiError> {
    let len = value.trim().chars().count();
    if len == 0 || len > 2_000 {
        return Err(ApiError::BadUserInput(format!(
            "{field} must have between 1 and 2,000 characters"
        )));
    }
    Ok(())
}

/// Vietnam's time zone (UTC+7, no daylight saving).
fn vietnam() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset")
}

/// Whether `day` is a working day: not a weekend nor a public holiday with a
/// fixed solar date (New Year, Reunification Day, Labour Day, the two
/// National Day holidays). The lunar holidays (Tết, Hùng Kings) are set each
/// year by decision and are not counted here.
pub fn is_working_day(day: NaiveDate) -> bool {
    let fixed = [(1, 1), (4, 30), (5, 1), (9, 1), (9, 2)];
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        && !fixed.contains(&(day.month(), day.day()))
}

/// The end (23:59:59 in Vietnam) of the second working day after the day
/// a request was made: the decree on data sharing gives the provider two
/// working days to answer or give reasons.
pub fn due_by(requested_at: DateTime<Utc>) -> DateTime<Utc> {
    let mut day = requested_at.with_timezone(&vietnam()).date_naive();
    let mut counted = 0;
    while counted < 2 {
        day = day.succ_opt().expect("a date after");
        if is_working_day(day) {
            counted += 1;
        }
    }
    let end = day.and_hms_opt(23, 59, 59).expect("valid time");
    vietnam()
        .from_local_datetime(&end)
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc)
}

/// How long a revoked token id is kept: longer than any token lives.
pub fn revocation_retention(token_ttl_seconds: i64) -> Duration {
    Duration::seconds(token_ttl_seconds.max(0)) + Duration::days(1)
}

#[cfg(test)]
mod tests;

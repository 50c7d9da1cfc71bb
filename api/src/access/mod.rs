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
mod tests {
    use super::*;

    fn agency(code: &str, kind: AgencyKind, owns: &str) -> agency::Model {
        agency::Model {
            code: code.into(),
            name: code.into(),
            kind,
            province_code: None,
            owns: owns.into(),
            status: AgencyStatus::Active,
            client_secret_hash: None,
            created_at: Utc::now(),
        }
    }

    fn grant(dataset: Dataset, scopes: &str, jurisdiction: &str) -> access_grant::Model {
        let now = Utc::now();
        access_grant::Model {
            id: format!("g-{scopes}"),
            dataset,
            grantee: "UBND-68".into(),
            scopes: scopes.into(),
            jurisdiction: jurisdiction.into(),
            purpose: "p".into(),
            legal_basis: "l".into(),
            requires_purpose: false,
            valid_from: now - Duration::days(1),
            valid_until: None,
            granted_by: "BCA".into(),
            granted_at: now,
            revoked_at: None,
            revoke_reason: None,
        }
    }

    /// The principal of a token with every scope, nationally, for
    /// `agency` as its row and grants make it now.
    fn principal_of(agency: &agency::Model, grants: &[access_grant::Model]) -> Principal {
        let claims = crate::auth::TokenClaims {
            agency: agency.code.clone(),
            scopes: Scope::ALL.into_iter().collect(),
            jurisdiction: Jurisdiction::National,
            token_id: "t".into(),
            expires_at: 0,
        };
        access_of(agency, grants, Utc::now()).narrow(claims)
    }

    fn new_grant(scopes: &[&str]) -> NewGrant {
        NewGrant {
            dataset: Dataset::Population,
            grantee: "UBND-68".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            jurisdiction: vec!["68".into()],
            purpose: "one-stop shop procedures".into(),
            legal_basis: "Decree 47/2024".into(),
            requires_purpose: false,
            valid_from: None,
            valid_until: None,
        }
    }

    #[test]
    fn owners_may_grant_every_read_scope_of_their_dataset_and_nothing_else() {
        use Scope::*;
        let expect = |scopes: &[Scope]| scopes.iter().copied().collect::<ScopeSet>();
        assert_eq!(
            grantable(Dataset::Population),
            expect(&[PopulationVerify, PopulationRead, PopulationReadPii])
        );
        assert_eq!(
            grantable(Dataset::Land),
            expect(&[LandRead, LandReadHolders])
        );
        assert_eq!(
            grantable(Dataset::Enterprise),
            expect(&[EnterpriseRead, EnterpriseReadMembers])
        );
    }

    #[test]
    fn owners_hold_their_dataset_and_the_hub_administers() {
        let bca = own_scopes(&agency("BCA", AgencyKind::Ministry, "POPULATION"));
        assert!(bca.contains(Scope::PopulationWrite) && bca.contains(Scope::GrantsManage));
        assert!(!bca.contains(Scope::LandRead) && !bca.contains(Scope::HubAdmin));
        let hub = own_scopes(&agency("TTDLQG", AgencyKind::Hub, ""));
        assert_eq!(hub, [Scope::HubAdmin].into_iter().collect());
        assert_eq!(
            own_scopes(&agency("UBND-68", AgencyKind::Province, "")),
            ScopeSet::default()
        );
    }

    #[test]
    fn active_grants_add_scopes_and_jurisdiction_per_dataset() {
        let province = agency("UBND-68", AgencyKind::Province, "");
        let now = Utc::now();
        let mut expired = grant(Dataset::Land, "land:read", "*");
        expired.valid_until = Some(now - Duration::hours(1));
        let mut revoked = grant(Dataset::Enterprise, "enterprise:read", "*");
        revoked.revoked_at = Some(now);
        let mut later = grant(Dataset::Land, "land:read:holders", "*");
        later.valid_from = now + Duration::hours(2);
        let grants = vec![
            grant(
                Dataset::Population,
                "population:read population:write",
                "68",
            ),
            grant(Dataset::Population, "population:verify", "01"),
            expired,
            revoked,
            later.clone(),
        ];
        let access = access_of(&province, &grants, now);
        let expected: ScopeSet = [Scope::PopulationRead, Scope::PopulationVerify]
            .into_iter()
            .collect();
        assert_eq!(access.scopes, expected, "write is never taken from a grant");
        assert_eq!(
            access.jurisdictions[&Dataset::Population],
            Jurisdiction::parse("01 68").unwrap()
        );
        assert!(!access.jurisdictions.contains_key(&Dataset::Land));
        assert_eq!(access.valid_until, Some(later.valid_from));
    }

    /// What an agency owns comes from its row, once, into its access and
    /// every principal of its tokens; a grant never makes an owner.
    #[test]
    fn ownership_reaches_the_principal_from_the_row_only() {
        let bca = agency("BCA", AgencyKind::Ministry, "POPULATION, LAND");
        let access = access_of(&bca, &[], Utc::now());
        let both: BTreeSet<Dataset> = [Dataset::Population, Dataset::Land].into();
        assert_eq!(access.owns, both);
        assert_eq!(principal_of(&bca, &[]).owns, both);
        let province = agency("UBND-68", AgencyKind::Province, "");
        let granted = principal_of(
            &province,
            &[grant(Dataset::Population, "population:read", "*")],
        );
        assert!(granted.owns.is_empty() && granted.has(Scope::PopulationRead));
        assert_eq!(
            granted
                .require_owner(Dataset::Population)
                .unwrap_err()
                .code(),
            "FORBIDDEN"
        );
        // Losing a dataset narrows the principal like losing a scope.
        let before = principal_of(&bca, &[]);
        assert!(access.admits(&before));
        let mut lost = access.clone();
        lost.owns.remove(&Dataset::Land);
        assert!(!lost.admits(&before));
    }

    #[test]
    fn only_owners_grant_and_only_what_the_dataset_has() {
        let now = Utc::now();
        let bca = principal_of(&agency("BCA", AgencyKind::Ministry, "POPULATION"), &[]);
        let btc = principal_of(&agency("BTC", AgencyKind::Ministry, "ENTERPRISE"), &[]);
        let province = agency("UBND-68", AgencyKind::Province, "");
        let bca_row = agency("BCA", AgencyKind::Ministry, "POPULATION");
        let ok = check_grant(&bca, Some(&province), &new_grant(&["population:read"]), now);
        assert!(ok.is_ok());
        let not_owner = check_grant(&btc, Some(&province), &new_grant(&["population:read"]), now);
        assert_eq!(not_owner.unwrap_err().code(), "FORBIDDEN");
        for scopes in [
            vec!["land:read"],
            vec!["population:write"],
            vec!["grants:manage"],
            vec![],
        ] {
            let refused = check_grant(&bca, Some(&province), &new_grant(&scopes), now);
            assert_eq!(refused.unwrap_err().code(), "BAD_USER_INPUT", "{scopes:?}");
        }
        assert!(check_grant(&bca, None, &new_grant(&["population:read"]), now).is_err());
        assert!(check_grant(&bca, Some(&bca_row), &new_grant(&["population:read"]), now).is_err());
        let mut past = new_grant(&["population:read"]);
        past.valid_until = Some(now - Duration::days(1));
        assert!(check_grant(&bca, Some(&province), &past, now).is_err());
        let mut blank = new_grant(&["population:read"]);
        blank.purpose = "  ".into();
        assert!(check_grant(&bca, Some(&province), &blank, now).is_err());
    }

    #[test]
    fn requests_are_due_two_working_days_later() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Monday morning in Hà Nội → end of Wednesday.
        assert_eq!(
            due_by(at("2026-11-23T09:00:00+07:00")),
            at("2026-11-25T23:59:59+07:00")
        );
        // Friday → end of Tuesday.
        assert_eq!(
            due_by(at("2026-11-27T16:00:00+07:00")),
            at("2026-12-01T23:59:59+07:00")
        );
        // Late Sunday evening UTC is already Monday in Vietnam → Wednesday.
        assert_eq!(
            due_by(at("2026-11-22T18:00:00Z")),
            at("2026-11-25T23:59:59+07:00")
        );
        // Around 30 April and 1 May.
        assert_eq!(
            due_by(at("2026-04-29T10:00:00+07:00")),
            at("2026-05-05T23:59:59+07:00")
        );
    }
}

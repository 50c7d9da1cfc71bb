//! Unit tests of `access`.

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
    for (asked, due) in [
        // Monday morning in Hà Nội → end of Wednesday.
        ("2026-11-23T09:00:00+07:00", "2026-11-25T23:59:59+07:00"),
        // Friday → end of Tuesday.
        ("2026-11-27T16:00:00+07:00", "2026-12-01T23:59:59+07:00"),
        // Late Sunday evening UTC is already Monday in Vietnam → Wednesday.
        ("2026-11-22T18:00:00Z", "2026-11-25T23:59:59+07:00"),
        // Around 30 April and 1 May.
        ("2026-04-29T10:00:00+07:00", "2026-05-05T23:59:59+07:00"),
    ] {
        assert_eq!(due_by(at(asked)), at(due), "asked {asked}");
    }
}

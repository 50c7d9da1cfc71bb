//! Unit tests of `auth`.

use super::*;

#[test]
fn scope_strings_round_trip() {
    for scope in Scope::ALL {
        assert_eq!(Scope::parse(scope.as_str()), Some(scope));
    }
    let set = ScopeSet::parse("land:read population:read:pii").unwrap();
    assert!(set.contains(Scope::LandRead) && set.contains(Scope::PopulationReadPii));
    assert!(!set.contains(Scope::PopulationRead));
    assert_eq!(set.to_string(), "population:read:pii land:read");
    assert!(ScopeSet::parse("land:read land:delete").is_err());
}

/// The scope ↔ dataset table: every scope named `<dataset>:…` belongs
/// to that dataset, the others to none; each dataset's read and write
/// scopes are its own, and every dataset has its row.
#[test]
fn scopes_and_datasets_map_both_ways() {
    use sea_orm::{ActiveEnum, Iterable};
    for scope in Scope::ALL {
        let prefix = scope.as_str().split(':').next().unwrap();
        let expected = Dataset::iter().find(|d| d.to_value().to_lowercase() == prefix);
        assert_eq!(scope.dataset(), expected, "{scope}");
    }
    for dataset in Dataset::iter() {
        let scopes = dataset.scopes();
        assert!(scopes.contains(dataset.read_scope()), "{dataset:?}");
        assert!(scopes.contains(dataset.write_scope()), "{dataset:?}");
        assert_eq!(dataset.read_scope().dataset(), Some(dataset));
        assert!(scopes.iter().all(|s| s.dataset() == Some(dataset)));
    }
    assert_eq!(Dataset::Population.read_scope(), Scope::PopulationRead);
    assert_eq!(Dataset::Land.read_scope(), Scope::LandRead);
    assert_eq!(Dataset::Enterprise.read_scope(), Scope::EnterpriseRead);
    assert_eq!(Dataset::Land.write_scope(), Scope::LandWrite);
    assert_eq!(
        Dataset::Land.scopes(),
        ScopeSet::parse("land:read land:read:holders land:write").unwrap()
    );
    for scope in [Scope::GrantsManage, Scope::AuditRead, Scope::HubAdmin] {
        assert_eq!(scope.dataset(), None);
    }
}

fn principal(agency: &str, owns: &[Dataset]) -> Principal {
    Principal {
        owns: owns.iter().copied().collect(),
        ..Principal::bare(agency)
    }
}

/// An owner passes for its own datasets only; anyone else is
/// FORBIDDEN with a message that names the dataset and the caller.
#[test]
fn only_an_owner_passes_require_owner() {
    let bca = principal("BCA", &[Dataset::Population]);
    assert!(bca.require_owner(Dataset::Population).is_ok());
    let refused = bca.require_owner(Dataset::Land).unwrap_err();
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(
        refused.to_string(),
        "only the owner of LAND may do this, and BCA does not own it"
    );
    let province = principal("UBND-68", &[]);
    for dataset in [Dataset::Population, Dataset::Land, Dataset::Enterprise] {
        assert_eq!(
            province.require_owner(dataset).unwrap_err().code(),
            "FORBIDDEN"
        );
    }
    // Scopes are not ownership: holding every scope owns nothing.
    let mut everything = principal("TTDLQG", &[]);
    everything.scopes = Scope::ALL.into_iter().collect();
    assert!(everything.require_owner(Dataset::Population).is_err());
}

#[test]
fn jurisdiction_limits_and_intersects() {
    let national = Jurisdiction::parse("*").unwrap();
    let lam_dong = Jurisdiction::parse("68").unwrap();
    assert!(national.allows("01") && lam_dong.allows("68") && !lam_dong.allows("01"));
    assert_eq!(national.intersect(&lam_dong), lam_dong);
    assert_eq!(
        lam_dong.intersect(&Jurisdiction::parse("01").unwrap()),
        Jurisdiction::Provinces(BTreeSet::new())
    );
    assert!(lam_dong.is_within(&national) && !national.is_within(&lam_dong));
    assert!(!lam_dong.is_within(&Jurisdiction::parse("01").unwrap()));
    assert!(Jurisdiction::parse("99").is_err());
    assert!(Jurisdiction::parse("").is_err());
}

//! Who is calling: scopes, jurisdiction and the authenticated [`Principal`].
//!
//! Authentication happens once, at the edge (`http`): the bearer token is
//! verified (`token`) and becomes a `Principal`, or the request is answered
//! with 401. Field guards and services read the `Principal` from the
//! GraphQL context.

pub mod keys;
pub mod token;

use crate::error::ApiError;
use entities::access::Dataset;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One access scope, `<dataset>:<action>[:<qualifier>]` (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Scope {
    PopulationVerify,
    PopulationRead,
    PopulationReadPii,
    PopulationWrite,
    LandRead,
    LandReadHolders,
    LandWrite,
    EnterpriseRead,
    EnterpriseReadMembers,
    EnterpriseWrite,
    GrantsManage,
    AuditRead,
    HubAdmin,
}

impl Scope {
    /// The error of a caller that does not hold this scope
    /// (`FORBIDDEN`, with `requiredScope`).
    pub fn missing(self) -> ApiError {
        ApiError::Forbidden {
            required_scope: self.as_str(),
        }
    }

    pub const ALL: [Scope; 13] = [
        Scope::PopulationVerify,
        Scope::PopulationRead,
        Scope::PopulationReadPii,
        Scope::PopulationWrite,
        Scope::LandRead,
        Scope::LandReadHolders,
        Scope::LandWrite,
        Scope::EnterpriseRead,
        Scope::EnterpriseReadMembers,
        Scope::EnterpriseWrite,
        Scope::GrantsManage,
        Scope::AuditRead,
        Scope::HubAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PopulationVerify => "population:verify",
            Scope::PopulationRead => "population:read",
            Scope::PopulationReadPii => "population:read:pii",
            Scope::PopulationWrite => "population:write",
            Scope::LandRead => "land:read",
            Scope::LandReadHolders => "land:read:holders",
            Scope::LandWrite => "land:write",
            Scope::EnterpriseRead => "enterprise:read",
            Scope::EnterpriseReadMembers => "enterprise:read:members",
            Scope::EnterpriseWrite => "enterprise:write",
            Scope::GrantsManage => "grants:manage",
            Scope::AuditRead => "audit:read",
            Scope::HubAdmin => "hub:admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    const fn bit(self) -> u16 {
        1 << (self as u8)
    }

    /// The dataset this scope reads or writes; `None` for the scopes of no
    /// dataset (`grants:manage`, `audit:read`, `hub:admin`). Read from
    /// [`DATASET_SCOPES`], like [`DatasetScopes::read_scope`].
    pub fn dataset(self) -> Option<Dataset> {
        DATASET_SCOPES
            .iter()
            .find(|row| row.scopes.contains(self))
            .map(|row| row.dataset)
    }
}

/// One dataset's scopes: the scope that reads it at all (its change feed
/// and its lookups), the owner's write scope, and every scope of it.
#[derive(Debug)]
pub struct DatasetRow {
    pub dataset: Dataset,
    pub read: Scope,
    pub write: Scope,
    pub scopes: ScopeSet,
}

/// Which scopes belong to which dataset, in both directions: the one table
/// that guards, the access log, grants and the change feed all read
/// (through [`Scope::dataset`] and [`DatasetScopes`]).
pub const DATASET_SCOPES: [DatasetRow; 3] = {
    use Scope::*;
    [
        DatasetRow {
            dataset: Dataset::Population,
            read: PopulationRead,
            write: PopulationWrite,
            scopes: ScopeSet::of(&[
                PopulationVerify,
                PopulationRead,
                PopulationReadPii,
                PopulationWrite,
            ]),
        },
        DatasetRow {
            dataset: Dataset::Land,
            read: LandRead,
            write: LandWrite,
            scopes: ScopeSet::of(&[LandRead, LandReadHolders, LandWrite]),
        },
        DatasetRow {
            dataset: Dataset::Enterprise,
            read: EnterpriseRead,
            write: EnterpriseWrite,
            scopes: ScopeSet::of(&[EnterpriseRead, EnterpriseReadMembers, EnterpriseWrite]),
        },
    ]
};

/// A dataset's scopes, from [`DATASET_SCOPES`]. (A trait because
/// `Dataset` is the entities crate's type.)
pub trait DatasetScopes {
    /// The scope that lets a caller read the dataset at all, e.g.
    /// `population:read`.
    fn read_scope(self) -> Scope;
    /// The owner's scope for writing the dataset, never granted.
    fn write_scope(self) -> Scope;
    /// Every scope of the dataset.
    fn scopes(self) -> ScopeSet;
}

impl DatasetScopes for Dataset {
    fn read_scope(self) -> Scope {
        row(self).read
    }

    fn write_scope(self) -> Scope {
        row(self).write
    }

    fn scopes(self) -> ScopeSet {
        row(self).scopes
    }
}

fn row(dataset: Dataset) -> &'static DatasetRow {
    DATASET_SCOPES
        .iter()
        .find(|row| row.dataset == dataset)
        .expect("every dataset has a row in DATASET_SCOPES")
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, as a bit set: checking a guard is one AND.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(u16);

impl ScopeSet {
    /// The set of these scopes (usable in constants).
    pub const fn of(scopes: &[Scope]) -> ScopeSet {
        let mut bits = 0;
        let mut i = 0;
        while i < scopes.len() {
            bits |= scopes[i].bit();
            i += 1;
        }
        ScopeSet(bits)
    }

    pub const fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= scope.bit();
    }

    pub fn intersect(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & other.0)
    }

    pub fn is_subset(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The scopes of this set that are not in `other`.
    pub fn without(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & !other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Parses a space-separated scope string (RFC 9068's `scope` claim).
    /// Unknown scopes are an error, never silently dropped.
    pub fn parse(text: &str) -> Result<ScopeSet, String> {
        let mut set = ScopeSet::default();
        for word in text.split_whitespace() {
            set.insert(Scope::parse(word).ok_or_else(|| format!("unknown scope {word:?}"))?);
        }
        Ok(set)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::default();
        for scope in iter {
            set.insert(scope);
        }
        set
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<_> = self.iter().map(Scope::as_str).collect();
        f.write_str(&words.join(" "))
    }
}

/// Where an agency may list, search and count: the whole country or some
/// provinces. Lookups by identifier are national whatever this says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Jurisdiction {
    National,
    Provinces(BTreeSet<String>),
}

impl Jurisdiction {
    /// Parses `*` or space- or comma-separated province codes, each checked
    /// against the provinces in force.
    pub fn parse(text: &str) -> Result<Jurisdiction, String> {
        let words: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        if words == ["*"] {
            return Ok(Jurisdiction::National);
        }
        if words.is_empty() {
            return Err("jurisdiction is empty".into());
        }
        let mut codes = BTreeSet::new();
        for word in words {
            crate::ids::check_province_code(word).map_err(|e| e.0)?;
            codes.insert(word.to_owned());
        }
        Ok(Jurisdiction::Provinces(codes))
    }

    pub fn allows(&self, province_code: &str) -> bool {
        match self {
            Jurisdiction::National => true,
            Jurisdiction::Provinces(codes) => codes.contains(province_code),
        }
    }

    /// The narrower of two jurisdictions.
    pub fn intersect(&self, other: &Jurisdiction) -> Jurisdiction {
        match (self, other) {
            (Jurisdiction::National, j) | (j, Jurisdiction::National) => j.clone(),
            (Jurisdiction::Provinces(a), Jurisdiction::Provinces(b)) => {
                Jurisdiction::Provinces(a.intersection(b).cloned().collect())
            }
        }
    }

    /// Whether every province this allows, `other` allows too.
    pub fn is_within(&self, other: &Jurisdiction) -> bool {
        match (self, other) {
            (_, Jurisdiction::National) => true,
            (Jurisdiction::National, Jurisdiction::Provinces(_)) => false,
            (Jurisdiction::Provinces(a), Jurisdiction::Provinces(b)) => a.is_subset(b),
        }
    }

    /// The province codes, or `["*"]` for national.
    pub fn codes(&self) -> Vec<String> {
        match self {
            Jurisdiction::National => vec!["*".into()],
            Jurisdiction::Provinces(codes) => codes.iter().cloned().collect(),
        }
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.codes().join(" "))
    }
}

/// What a verified token says: who, which scopes, where, until when.
#[derive(Clone, Debug)]
pub struct TokenClaims {
    /// The agency code (`sub`).
    pub agency: String,
    pub scopes: ScopeSet,
    pub jurisdiction: Jurisdiction,
    /// The token's id (`jti`), for revocation.
    pub token_id: String,
    pub expires_at: i64,
}

/// The authenticated caller of one request: what the token says, narrowed
/// to what the agency holds right now.
#[derive(Clone, Debug)]
pub struct Principal {
    pub agency: String,
    /// Scopes in the token and held now (by right or by an active grant).
    pub scopes: ScopeSet,
    /// Where the caller may list and count, per dataset.
    pub jurisdictions: BTreeMap<Dataset, Jurisdiction>,
    pub token_id: String,
    pub expires_at: i64,
    /// The grant behind each scope held by grant, for the access log.
    pub grants: BTreeMap<Scope, String>,
    /// Datasets whose requests must declare a purpose.
    pub purpose_required: BTreeSet<Dataset>,
    /// The datasets the agency owns (fixed on the server, never given
    /// through the API): the authority to grant on them, decide requests
    /// for them and read their access log and sharing statistics.
    pub owns: BTreeSet<Dataset>,
    /// The documents registered for the agency, and whether it may run
    /// only those.
    pub trusted: std::sync::Arc<crate::access::trusted::TrustedDocuments>,
}

impl Principal {
    /// The one check of a data owner's authority: `FORBIDDEN` unless the
    /// caller's agency owns `dataset`.
    pub fn require_owner(&self, dataset: Dataset) -> Result<(), ApiError> {
        if self.owns.contains(&dataset) {
            return Ok(());
        }
        Err(ApiError::NotAllowed(format!(
            "only the owner of {} may do this, and {} does not own it",
            sea_orm::ActiveEnum::to_value(&dataset),
            self.agency
        )))
    }

    /// The datasets an owner's view covers: `dataset` when given (and
    /// owned), else every dataset the caller owns (possibly none).
    pub fn owned_or_all(&self, dataset: Option<Dataset>) -> Result<Vec<Dataset>, ApiError> {
        match dataset {
            Some(dataset) => {
                self.require_owner(dataset)?;
                Ok(vec![dataset])
            }
            None => Ok(self.owns.iter().copied().collect()),
        }
    }

    /// The grant under which `scope` is held; `None` when held by right.
    pub fn grant_for(&self, scope: Scope) -> Option<&str> {
        self.grants.get(&scope).map(String::as_str)
    }

    /// Whether reading `dataset` needs a declared purpose.
    pub fn requires_purpose(&self, dataset: Dataset) -> bool {
        self.purpose_required.contains(&dataset)
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }

    /// The caller's jurisdiction over a dataset (no province if none).
    pub fn jurisdiction(&self, dataset: Dataset) -> Jurisdiction {
        self.jurisdictions
            .get(&dataset)
            .cloned()
            .unwrap_or_else(|| Jurisdiction::Provinces(BTreeSet::new()))
    }
}

/// A principal of `agency` holding nothing (no scope, province or
/// dataset), for unit tests to build on.
#[cfg(test)]
impl Principal {
    pub(crate) fn bare(agency: &str) -> Principal {
        Principal {
            agency: agency.into(),
            scopes: ScopeSet::default(),
            jurisdictions: Default::default(),
            token_id: "t".into(),
            expires_at: 0,
            grants: Default::default(),
            purpose_required: Default::default(),
            owns: Default::default(),
            trusted: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests;

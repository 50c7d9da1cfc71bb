//! Every access to personal data is recorded.
//!
//! While a request runs, the field guards note on the request's [`Trail`]
//! which subjects (personal ids, certificates, enterprise codes and their
//! members) and which fields were returned, per dataset. Before the response
//! leaves, `http` turns the trail into one [`Entry`] per dataset and hands
//! them to the node's [`writer::AuditWriter`], which commits the entries of
//! concurrent requests in one transaction and chains them:
//! `hash = sha256(prev_hash || canonical row)`, with an HMAC of the
//! [`key::AuditKey`] (which the database does not hold) on the last row of
//! each batch. If the commit fails, the caller gets an error instead of the
//! data. [`verify`] walks the chains and checks the MACs.

pub mod key;
pub mod verify;
pub mod writer;

use crate::auth::{Principal, Scope, ScopeSet};
use chrono::{DateTime, SubsecRound, Utc};
use entities::access::Dataset;
use entities::audit::access_log;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

/// The `prev_hash` of the first row of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What the caller declared about the request (headers) and its id.
#[derive(Clone, Debug, Default)]
pub struct Declared {
    /// Why the data is read (`X-Purpose`).
    pub purpose: Option<String>,
    /// The administrative case it is read for (`X-Case-Ref`).
    pub case_ref: Option<String>,
    /// The request id (`X-Request-Id`), also in the response and the logs.
    pub request_id: String,
    /// `Idempotency-Key`: a retried mutation with it writes once.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the document and variables (what the key stands for).
    pub request_hash: String,
}

/// What a request returned of one dataset.
#[derive(Default, Debug)]
struct DatasetTrail {
    subjects: HashSet<String>,
    fields: BTreeSet<(&'static str, async_graphql::Name)>,
    /// Scopes that let a field through (to name the grants used).
    scopes: ScopeSet,
    served: bool,
    refused: bool,
}

/// The record of one request, filled in by the guards as fields resolve.
#[derive(Debug, Default)]
pub struct Trail {
    pub declared: Declared,
    operation: Mutex<Option<String>>,
    datasets: Mutex<BTreeMap<Dataset, DatasetTrail>>,
    /// A subscription's trail keeps nothing: its deliveries are logged as
    /// they leave (`graphql::changes`), and a trail kept for days would
    /// only grow.
    detached: bool,
}

impl Trail {
    pub fn new(declared: Declared) -> Arc<Trail> {
        Arc::new(Trail {
            declared,
            ..Trail::default()
        })
    }

    /// The trail of a subscription, which records nothing itself.
    pub fn detached(declared: Declared) -> Arc<Trail> {
        Arc::new(Trail {
            declared,
            detached: true,
            ..Trail::default()
        })
    }

    fn with(&self, dataset: Dataset, f: impl FnOnce(&mut DatasetTrail)) {
        if self.detached {
            return;
        }
        let mut datasets = self.datasets.lock().unwrap_or_else(|e| e.into_inner());
        f(datasets.entry(dataset).or_default())
    }

    /// A field of `dataset` was let through by `scope`.
    pub fn served(&self, dataset: Dataset, scope: Scope) {
        self.with(dataset, |d| {
            d.served = true;
            d.scopes.insert(scope);
        });
    }

    /// A field of `dataset` was refused.
    pub fn refused(&self, dataset: Dataset) {
        self.with(dataset, |d| d.refused = true);
    }

    /// Personal data was returned: `type_name.field` of these subjects.
    pub fn disclosed<'s>(
        &self,
        dataset: Dataset,
        scope: Scope,
        type_name: &'static str,
        field: &async_graphql::Name,
        subjects: impl IntoIterator<Item = &'s str>,
    ) {
        self.with(dataset, |d| {
            d.served = true;
            d.scopes.insert(scope);
            if !d.fields.iter().any(|(t, f)| *t == type_name && f == field) {
                d.fields.insert((type_name, field.clone()));
            }
            for subject in subjects {
                if !d.subjects.contains(subject) {
                    d.subjects.insert(subject.to_owned());
                }
            }
        });
    }

    /// The name of the operation that ran, if it has one.
    pub fn operation(&self) -> Option<String> {
        self.operation
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_operation(&self, name: &str) {
        *self.operation.lock().unwrap_or_else(|e| e.into_inner()) = Some(name.to_owned());
    }

    /// The log entries of the request: one per dataset whose personal data
    /// was returned (none when nothing personal was), and the day's
    /// counts of served and refused requests per dataset.
    pub fn entries(&self, principal: &Principal, at: DateTime<Utc>) -> (Vec<Entry>, Vec<Count>) {
        let at = at.trunc_subsecs(6);
        let operation = self.operation().unwrap_or_else(|| "anonymous".to_owned());
        let datasets = self.datasets.lock().unwrap_or_else(|e| e.into_inner());
        let mut entries = Vec::new();
        let mut counts = Vec::new();
        for (dataset, trail) in datasets.iter() {
            if trail.served || trail.refused {
                counts.push(Count {
                    day: at.date_naive(),
                    dataset: *dataset,
                    agency: principal.agency.clone(),
                    requests: i64::from(trail.served),
                    refusals: i64::from(trail.refused),
                });
            }
            if trail.subjects.is_empty() {
                continue;
            }
            let grants: BTreeSet<&str> = trail
                .scopes
                .iter()
                .filter_map(|scope| principal.grant_for(scope))
                .collect();
            let mut subjects: Vec<&String> = trail.subjects.iter().collect();
            subjects.sort();
            let fields: Vec<String> = trail
                .fields
                .iter()
                .map(|(t, f)| format!("{t}.{f}"))
                .collect();
            entries.push(Entry {
                at,
                agency: principal.agency.clone(),
                grant_id: (!grants.is_empty())
                    .then(|| grants.into_iter().collect::<Vec<_>>().join(" ")),
                operation: operation.clone(),
                dataset: *dataset,
                subjects: serde_json::to_string(&subjects).expect("strings serialise"),
                fields: serde_json::to_string(&fields).expect("strings serialise"),
                purpose: self.declared.purpose.clone(),
                case_ref: self.declared.case_ref.clone(),
                request_id: self.declared.request_id.clone(),
            });
        }
        (entries, counts)
    }
}

/// One access-log row before it is chained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub agency: String,
    pub grant_id: Option<String>,
    pub operation: String,
    pub dataset: Dataset,
    /// JSON array, sorted.
    pub subjects: String,
    /// JSON array, sorted.
    pub fields: String,
    pub purpose: Option<String>,
    pub case_ref: Option<String>,
    pub request_id: String,
}

/// One request's part of the daily sharing statistics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    pub day: chrono::NaiveDate,
    pub dataset: Dataset,
    pub agency: String,
    pub requests: i64,
    pub refusals: i64,
}

/// The bytes a row's hash covers (everything but `seq` and the hashes),
/// as a JSON array in a fixed order.
pub fn canonical(node: &str, row: &Entry) -> Vec<u8> {
    let dataset = match row.dataset {
        Dataset::Population => "POPULATION",
        Dataset::Land => "LAND",
        Dataset::Enterprise => "ENTERPRISE",
    };
    serde_json::to_vec(&(
        "v1",
        row.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        node,
        &row.agency,
        &row.grant_id,
        &row.operation,
        dataset,
        &row.subjects,
        &row.fields,
        &row.purpose,
        &row.case_ref,
        &row.request_id,
    ))
    .expect("strings serialise")
}

/// `sha256(prev_hash || canonical row)`, in lower-case hex.
pub fn chain_hash(prev_hash: &str, node: &str, row: &Entry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical(node, row));
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl From<&access_log::Model> for Entry {
    fn from(row: &access_log::Model) -> Self {
        Entry {
            at: row.at,
            agency: row.agency.clone(),
            grant_id: row.grant_id.clone(),
            operation: row.operation.clone(),
            dataset: row.dataset,
            subjects: row.subjects.clone(),
            fields: row.fields.clone(),
            purpose: row.purpose.clone(),
            case_ref: row.case_ref.clone(),
            request_id: row.request_id.clone(),
        }
    }
}

/// An object that carries personal data and names whom it is about.
pub trait Subject: Sync {
    /// The GraphQL type, for the field names in the log (`Citizen`).
    const TYPE: &'static str;
    /// The subjects a field guarded by `scope` discloses: the object's own
    /// id, and whoever else the field names (a holder, a member).
    fn subjects(&self, scope: Scope) -> [Option<&str>; 2];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            at: "2026-11-22T03:04:05.123456Z".parse().unwrap(),
            agency: "UBND-68".into(),
            grant_id: Some("g-1".into()),
            operation: "Lookup".into(),
            dataset: Dataset::Population,
            subjects: r#"["079085000001"]"#.into(),
            fields: r#"["Citizen.fullName"]"#.into(),
            purpose: Some("Thủ tục đăng ký đất đai".into()),
            case_ref: None,
            request_id: "r-1".into(),
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let row = entry();
        let hash = chain_hash(GENESIS, "node-1", &row);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, chain_hash(GENESIS, "node-1", &row), "deterministic");
        assert_ne!(hash, chain_hash(&hash, "node-1", &row));
        assert_ne!(hash, chain_hash(GENESIS, "node-2", &row));
        let changes: [fn(&mut Entry); 6] = [
            |r| r.agency = "BCA".into(),
            |r| r.grant_id = None,
            |r| r.subjects = r#"["079085000002"]"#.into(),
            |r| r.fields = r#"["Citizen.ethnicity"]"#.into(),
            |r| r.purpose = Some("x".into()),
            |r| r.at += chrono::Duration::microseconds(1),
        ];
        for change in changes {
            let mut changed = row.clone();
            change(&mut changed);
            assert_ne!(hash, chain_hash(GENESIS, "node-1", &changed));
        }
        // Fields cannot run into each other: moving text between two
        // neighbouring fields changes the hash.
        let mut shifted = row.clone();
        shifted.agency = "UBND-68L".into();
        shifted.operation = "ookup".into();
        assert_ne!(hash, chain_hash(GENESIS, "node-1", &shifted));
    }
}

//! `lienthong audit verify`: walks every node's chain in order, recomputes
//! each row's hash, checks that each row follows the one before it, that
//! each batch MAC is right under the audit key, that the chain ends on an
//! authenticated batch where its recorded head says, and that the subject
//! index agrees with the rows. Stops at the first break and names the row.
//!
//! The hashes catch a row altered, inserted or removed by someone who does
//! not recompute them; the MACs catch one who does (deleting a citizen's
//! rows and re-hashing the rest with plain SHA-256), since the MAC of every
//! batch from the first change on no longer matches and cannot be made
//! again without the key. What the MACs cannot catch is said in
//! [`super::key`]: a chain cut back to an earlier batch boundary.

use super::key::AuditKey;
use super::{Entry, GENESIS, chain_hash};
use entities::audit::{access_log, access_log_subject, audit_chain};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{BTreeMap, BTreeSet};

/// What a successful walk checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub chains: usize,
    pub rows: u64,
}

/// The first break found in a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error(
        "row {seq} (node {node}) does not match its hash: it was altered, or inserted with a made-up hash"
    )]
    Altered { node: String, seq: i64 },
    #[error(
        "row {seq} (node {node}) was inserted: it and row {next} both claim to follow the same row"
    )]
    Inserted { node: String, seq: i64, next: i64 },
    #[error(
        "row {seq} (node {node}) does not follow row {previous}: rows between them were removed, or row {previous} was altered and re-hashed"
    )]
    Removed {
        node: String,
        seq: i64,
        previous: i64,
    },
    #[error(
        "row {seq} (node {node}) is the first of its chain but does not start it: rows before it were removed"
    )]
    RemovedFromStart { node: String, seq: i64 },
    #[error(
        "row {seq} (node {node}) was inserted after the chain's recorded head (the head records {recorded} rows, {found} were found)"
    )]
    InsertedAtEnd {
        node: String,
        seq: i64,
        recorded: i64,
        found: i64,
    },
    #[error(
        "the chain of node {node} ends at row {last_seq} with {found} rows, but its head records {recorded}: rows were removed from its end, or its head was altered"
    )]
    RemovedFromEnd {
        node: String,
        last_seq: i64,
        recorded: i64,
        found: i64,
    },
    #[error("node {node} has rows but no recorded chain head: the rows were inserted")]
    NoHead { node: String },
    #[error("the subject index of row {seq} (node {node}) does not match the row's subjects")]
    Index { node: String, seq: i64 },
    #[error(
        "row {seq} (node {node}) ends the batch of rows {first} to {last} of its chain, but its batch MAC does not match: rows of that batch or before it were altered, removed or re-hashed, or the MAC of an earlier batch was removed (or the audit key is not the one the log was written with)"
    )]
    BatchMac {
        node: String,
        seq: i64,
        first: i64,
        last: i64,
    },
    #[error(
        "row {seq} (node {node}) ends the chain but carries no batch MAC: rows after the last authenticated batch were added or re-hashed, or its MAC was removed"
    )]
    Unauthenticated { node: String, seq: i64 },
}

/// Why verification could not finish.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] Break),
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

const PAGE: u64 = 5_000;

/// Walks every chain, checking batch MACs with `key`; `Ok` with what was
/// checked, or the first break.
pub async fn verify(db: &DatabaseConnection, key: &AuditKey) -> Result<Report, VerifyError> {
    let heads: BTreeMap<String, audit_chain::Model> = audit_chain::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.node.clone(), h))
        .collect();
    let mut nodes: BTreeSet<String> = heads.keys().cloned().collect();
    let logged: Vec<String> = access_log::Entity::find()
        .select_only()
        .column(access_log::Column::Node)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    nodes.extend(logged);
    let mut rows = 0;
    for node in &nodes {
        rows += verify_chain(db, key, node, heads.get(node)).await?;
    }
    Ok(Report {
        chains: nodes.len(),
        rows,
    })
}

async fn verify_chain(
    db: &DatabaseConnection,
    key: &AuditKey,
    node: &str,
    head: Option<&audit_chain::Model>,
) -> Result<u64, VerifyError> {
    let broken = |b: Break| Err(VerifyError::Broken(b));
    let mut running = GENESIS.to_owned();
    // (seq, prev_hash) of the row before.
    let mut previous: Option<(i64, String)> = None;
    // The row whose hash the recorded head names, and the row after it.
    let mut at_head = head.is_some_and(|h| h.length == 0);
    let mut after_head: Option<i64> = None;
    let mut count: i64 = 0;
    // The position of the last row whose batch MAC was checked.
    let mut authenticated: i64 = 0;
    let mut last_seq = 0;
    loop {
        let page = access_log::Entity::find()
            .filter(access_log::Column::Node.eq(node))
            .filter(access_log::Column::Seq.gt(last_seq))
            .order_by_asc(access_log::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        let (first_seq, page_last) = (page[0].seq, last.seq);
        let mut index: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for entry in access_log_subject::Entity::find()
            .filter(access_log_subject::Column::Seq.between(first_seq, page_last))
            .all(db)
            .await?
        {
            index.entry(entry.seq).or_default().insert(entry.subject);
        }
        for row in &page {
            if chain_hash(&row.prev_hash, node, &Entry::from(row)) != row.hash {
                return broken(Break::Altered {
                    node: node.into(),
                    seq: row.seq,
                });
            }
            if row.prev_hash != running {
                return broken(match &previous {
                    Some((seq, prev_hash)) if *prev_hash == row.prev_hash => Break::Inserted {
                        node: node.into(),
                        seq: *seq,
                        next: row.seq,
                    },
                    Some((seq, _)) => Break::Removed {
                        node: node.into(),
                        seq: row.seq,
                        previous: *seq,
                    },
                    None => Break::RemovedFromStart {
                        node: node.into(),
                        seq: row.seq,
                    },
                });
            }
            let subjects: BTreeSet<String> =
                serde_json::from_str(&row.subjects).unwrap_or_default();
            if index.remove(&row.seq).unwrap_or_default() != subjects {
                return broken(Break::Index {
                    node: node.into(),
                    seq: row.seq,
                });
            }
            if at_head && after_head.is_none() {
                after_head = Some(row.seq);
            }
            running = row.hash.clone();
            count += 1;
            if let Some(mac) = &row.batch_mac {
                // The batch began right after the last authenticated one.
                if !key.verifies(node, authenticated + 1, count, &row.hash, mac) {
                    return broken(Break::BatchMac {
                        node: node.into(),
                        seq: row.seq,
                        first: authenticated + 1,
                        last: count,
                    });
                }
                authenticated = count;
            }
            at_head = head.is_some_and(|h| h.head_hash == running && h.length == count);
            previous = Some((row.seq, row.prev_hash.clone()));
        }
        last_seq = page_last;
    }
    match head {
        None if count == 0 => Ok(0),
        None => broken(Break::NoHead { node: node.into() }),
        Some(h) if h.head_hash == running && h.length == count => {
            if authenticated != count {
                return broken(Break::Unauthenticated {
                    node: node.into(),
                    seq: last_seq,
                });
            }
            Ok(count as u64)
        }
        Some(h) => match after_head {
            Some(seq) => broken(Break::InsertedAtEnd {
                node: node.into(),
                seq,
                recorded: h.length,
                found: count,
            }),
            None => broken(Break::RemovedFromEnd {
                node: node.into(),
                last_seq,
                recorded: h.length,
                found: count,
            }),
        },
    }
}

//! Appending entries to a node's chain inside a transaction: the writer
//! task's batches, and a register write's own row ([`AuditWriter::append_in`]),
//! both through [`append`], so the chain, the batch MAC and the subject
//! index are written one way.

use super::{AuditWriter, Head};
use crate::audit::key::AuditKey;
use crate::audit::{Entry, GENESIS, chain_hash};
use chrono::Utc;
use entities::audit::{access_log, access_log_subject, audit_chain};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};

/// The head of `node`'s chain as committed (under a row lock when `lock`).
pub(super) async fn head_of(
    db: &impl ConnectionTrait,
    node: &str,
    lock: bool,
) -> Result<Head, DbErr> {
    let mut find = audit_chain::Entity::find_by_id(node.to_owned());
    if lock {
        find = find.lock_exclusive();
    }
    Ok(match find.one(db).await? {
        Some(row) => Head {
            hash: row.head_hash,
            length: row.length,
            stored: true,
        },
        None => Head {
            hash: GENESIS.to_owned(),
            length: 0,
            stored: false,
        },
    })
}

/// Appends `entries` to `node`'s chain inside `txn`, after `head`: rows
/// chained and the last one marked with the batch MAC, the head moved
/// first (a conditional update: `None`, with nothing written, when another
/// writer moved it since `head` was read), the subject index.
pub(super) async fn append(
    txn: &DatabaseTransaction,
    node: &str,
    key: &AuditKey,
    head: &Head,
    entries: &[Entry],
) -> Result<Option<Head>, DbErr> {
    if entries.is_empty() {
        return Ok(Some(head.clone()));
    }
    let mut rows = Vec::with_capacity(entries.len());
    let mut prev = head.hash.clone();
    let first = head.length + 1;
    let last = head.length + entries.len() as i64;
    for (i, entry) in entries.iter().enumerate() {
        let hash = chain_hash(&prev, node, entry);
        let batch_mac = (i + 1 == entries.len()).then(|| key.batch_mac(node, first, last, &hash));
        rows.push(access_log::ActiveModel {
            seq: NotSet,
            at: Set(entry.at),
            node: Set(node.to_owned()),
            agency: Set(entry.agency.clone()),
            grant_id: Set(entry.grant_id.clone()),
            operation: Set(entry.operation.clone()),
            dataset: Set(entry.dataset),
            subjects: Set(entry.subjects.clone()),
            fields: Set(entry.fields.clone()),
            purpose: Set(entry.purpose.clone()),
            case_ref: Set(entry.case_ref.clone()),
            request_id: Set(entry.request_id.clone()),
            prev_hash: Set(prev.clone()),
            hash: Set(hash.clone()),
            batch_mac: Set(batch_mac),
        });
        prev = hash;
    }
    let new_head = Head {
        hash: prev,
        length: last,
        stored: true,
    };
    let now = Utc::now();
    // Move the head first: it orders and serialises the writers of one
    // chain.
    if head.stored {
        let moved = audit_chain::Entity::update_many()
            .col_expr(audit_chain::Column::HeadHash, Expr::value(&new_head.hash))
            .col_expr(audit_chain::Column::Length, Expr::value(new_head.length))
            .col_expr(audit_chain::Column::UpdatedAt, Expr::value(now))
            .filter(audit_chain::Column::Node.eq(node))
            .filter(audit_chain::Column::HeadHash.eq(head.hash.as_str()))
            .exec(txn)
            .await?;
        if moved.rows_affected != 1 {
            return Ok(None);
        }
    } else {
        let inserted = audit_chain::Entity::insert(audit_chain::ActiveModel {
            node: Set(node.to_owned()),
            head_hash: Set(new_head.hash.clone()),
            length: Set(new_head.length),
            updated_at: Set(now),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await?;
        if !matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
            return Ok(None);
        }
    }
    let mut subjects = Vec::new();
    for chunk in rows.chunks(256) {
        let stored = access_log::Entity::insert_many(chunk.to_vec())
            .exec_with_returning(txn)
            .await?;
        for row in stored {
            let names: Vec<String> = serde_json::from_str(&row.subjects)
                .map_err(|e| DbErr::Custom(format!("subjects of row {}: {e}", row.seq)))?;
            subjects.extend(
                names
                    .into_iter()
                    .map(|subject| access_log_subject::ActiveModel {
                        subject: Set(subject),
                        seq: Set(row.seq),
                    }),
            );
        }
    }
    for chunk in subjects.chunks(4096) {
        access_log_subject::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(Some(new_head))
}

impl AuditWriter {
    /// Appends `entries` to this node's chain inside `txn`, a transaction
    /// that also writes a register: the write and its log rows commit
    /// together or not at all. The chain's head is read under a row lock
    /// (on SQLite the write transaction holds the database's write lock
    /// already), so this never races the node's writer task, which finds
    /// its head moved and reloads it.
    pub async fn append_in(
        &self,
        txn: &DatabaseTransaction,
        entries: &[Entry],
    ) -> Result<(), DbErr> {
        let head = head_of(txn, &self.node, true).await?;
        match append(txn, &self.node, &self.key, &head, entries).await? {
            Some(_) => Ok(()),
            None => Err(DbErr::Custom(
                "the access-log chain moved during a locked write; try again".into(),
            )),
        }
    }
}

//! Owners write their own registers: each mutation is one transaction that
//! checks the register's rules, writes, appends its change events and (with
//! an `Idempotency-Key`) records the key, or writes nothing.
//!
//! Change numbers come from a one-row counter moved just before commit: the
//! row lock it takes makes numbers commit in order, so a reader paging the
//! feed by number never skips one that commits late.
//!
//! A rule that reads another row (the holder is alive, the enterprise is
//! not dissolved, the parcel's shares) must still hold when the write
//! commits. On SQLite the transaction takes the write lock first (a
//! transaction that read first could not upgrade under concurrency), so
//! writes run one at a time. On PostgreSQL every row a rule reads is read
//! with a row lock ([`Lock`]): `FOR UPDATE` for a row the write then
//! changes, `FOR SHARE` for a row it only relies on, so that a concurrent
//! write of that row waits for this one to commit, and this one, had it
//! come second, reads the row as committed. Rows are also updated
//! conditionally on the version read, so a change from a caller who read an
//! older version is a `CONFLICT`, never a lost update. Locks are taken in
//! one order (the row written, the parcel, the holder or representative,
//! the household numbering, the change counter), so writes never deadlock.

pub mod enterprise;
pub mod feed;
pub mod land;
pub mod listing;
pub mod population;

use crate::error::ApiError;
use chrono::Utc;
use entities::access::Dataset;
use entities::changes::{change_event, idempotency_key};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Select, Statement,
    TransactionTrait,
};

/// The PostgreSQL channel that tells every node a change was committed.
pub const CHANNEL: &str = "lienthong_changes";

/// One change to append to the feed.
#[derive(Debug, Clone)]
pub struct Change {
    pub dataset: Dataset,
    pub entity: &'static str,
    pub key: String,
    pub op: &'static str,
    pub province: String,
}

/// What a write changed: the key it answers with, its dataset, the
/// subjects it wrote about, and whether that is personal data. The one
/// decision of what is logged and fed follows from it: [`commit`] appends
/// an access-log row for a personal write, `graphql::write::wrote` wakes the
/// subscribers of every write and counts a personal one in the sharing
/// statistics.
#[derive(Debug, Clone)]
pub struct Written {
    pub key: String,
    pub dataset: Dataset,
    pub subjects: Vec<String>,
    pub personal: bool,
}

impl Written {
    /// A write of personal data: `key` and the `subjects` it changed
    /// (`key` itself among them), logged with the write.
    pub fn personal<'a>(
        dataset: Dataset,
        key: &str,
        subjects: impl IntoIterator<Item = &'a str>,
    ) -> Written {
        let mut all = vec![key.to_owned()];
        for subject in subjects {
            if !all.iter().any(|s| s == subject) {
                all.push(subject.to_owned());
            }
        }
        Written {
            key: key.to_owned(),
            dataset,
            subjects: all,
            personal: true,
        }
    }

    /// A write of public register data only (a parcel, an enterprise's
    /// status): fed, not logged.
    pub fn public(dataset: Dataset, key: &str) -> Written {
        Written {
            key: key.to_owned(),
            dataset,
            subjects: vec![key.to_owned()],
            personal: false,
        }
    }
}

/// Who writes and how: the one context every register write takes (the
/// database, the owner's agency, the idempotency key, and the access-log
/// row a personal write commits with it). Built by the resolvers
/// (`graphql::writer`), or by a test or a batch job.
#[derive(Clone)]
pub struct Writer<'a> {
    pub db: &'a DatabaseConnection,
    pub agency: &'a str,
    pub idempotency: Option<Idempotency>,
    pub log: Option<WriteLog>,
}

/// How a write reads a row that one of its rules depends on (PostgreSQL;
/// on SQLite the write holds the database's write lock already, and
/// sea-query leaves the clause out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// A row the write relies on but does not change (`FOR SHARE`): it
    /// cannot change until the write commits.
    Share,
    /// A row the write changes (`FOR UPDATE`): writes of it run one after
    /// the other, each reading what the one before committed.
    Update,
}

impl Lock {
    /// `select` with this row lock.
    pub fn on<E: EntityTrait>(self, select: Select<E>) -> Select<E> {
        match self {
            Lock::Share => select.lock_shared(),
            Lock::Update => select.lock_exclusive(),
        }
    }
}

/// A mutation under an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub agency: String,
    /// The caller's key and the mutation field's response key.
    pub key: String,
    /// SHA-256 of the request's document and variables.
    pub request_hash: String,
    pub operation: String,
}

impl Idempotency {
    /// The result of the first request under this key, if there was one;
    /// a key reused for a different request is refused.
    pub async fn earlier(&self, db: &DatabaseConnection) -> Result<Option<String>, ApiError> {
        let Some(row) =
            idempotency_key::Entity::find_by_id((self.agency.clone(), self.key.clone()))
                .one(db)
                .await?
        else {
            return Ok(None);
        };
        if row.request_hash != self.request_hash || row.operation != self.operation {
            return Err(ApiError::BadUserInput(format!(
                "Idempotency-Key {:?} was used for a different request",
                self.key.split('/').next().unwrap_or_default()
            )));
        }
        Ok(Some(row.result_key))
    }
}

/// The access-log row of a write, committed in the write's own
/// transaction (its subjects filled in from what the write changed).
#[derive(Clone)]
pub struct WriteLog {
    pub audit: crate::audit::writer::AuditWriter,
    pub entry: crate::audit::Entry,
}

/// Runs a write at most once per idempotency key: a retry gets the first
/// result, and a write that failed because its twin committed first gets
/// the twin's result.
pub async fn once<F>(w: &Writer<'_>, dataset: Dataset, write: F) -> Result<Written, ApiError>
where
    F: std::future::Future<Output = Result<Written, ApiError>>,
{
    // A replay writes nothing, so it is neither logged nor counted; what
    // the caller then reads of the row is logged by the fields' guards.
    let replay = |key: String| Written::public(dataset, &key);
    let idempotency = w.idempotency.as_ref();
    if let Some(idempotency) = idempotency
        && let Some(key) = idempotency.earlier(w.db).await?
    {
        return Ok(replay(key));
    }
    match write.await {
        Ok(written) => Ok(written),
        Err(error) => match idempotency {
            Some(idempotency) => match idempotency.earlier(w.db).await? {
                Some(key) => Ok(replay(key)),
                None => Err(error),
            },
            None => Err(error),
        },
    }
}

/// Opens a write transaction (on SQLite, holding the write lock already).
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, ApiError> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DatabaseBackend::Sqlite {
        txn.execute_unprepared("UPDATE change_counter SET last_seq = last_seq WHERE id = 1")
            .await?;
    }
    Ok(txn)
}

/// Appends the changes, records the idempotency key with the written
/// key, appends the write's access-log row (when it has one), tells the
/// other nodes (PostgreSQL), and commits. (The caller tells this node's
/// subscribers.)
pub async fn commit(
    txn: DatabaseTransaction,
    w: &Writer<'_>,
    changes: Vec<Change>,
    written: Written,
) -> Result<Written, ApiError> {
    let idempotency = w.idempotency.as_ref();
    let result_key = written.key.as_str();
    let backend = txn.get_database_backend();
    let n = changes.len() as i64;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                DatabaseBackend::Postgres => {
                    "UPDATE change_counter SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq"
                }
                _ => "UPDATE change_counter SET last_seq = last_seq + ? WHERE id = 1 RETURNING last_seq",
            },
            [n.into()],
        ))
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the change counter is missing")))?;
    let last: i64 = row.try_get_by_index(0)?;
    let now = Utc::now();
    let events: Vec<change_event::ActiveModel> = changes
        .into_iter()
        .enumerate()
        .map(|(i, c)| change_event::ActiveModel {
            seq: Set(last - n + 1 + i as i64),
            at: Set(now),
            dataset: Set(c.dataset),
            entity: Set(c.entity.to_owned()),
            key: Set(c.key),
            op: Set(c.op.to_owned()),
            province_code: Set(c.province),
            agency: Set(w.agency.to_owned()),
        })
        .collect();
    if !events.is_empty() {
        change_event::Entity::insert_many(events)
            .exec_without_returning(&txn)
            .await?;
    }
    if let Some(idempotency) = idempotency {
        idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            agency: Set(idempotency.agency.clone()),
            key: Set(idempotency.key.clone()),
            request_hash: Set(idempotency.request_hash.clone()),
            operation: Set(idempotency.operation.clone()),
            result_key: Set(result_key.to_owned()),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(crate::error::conflict_on_unique)?;
    }
    if let Some(log) = w.log.as_ref().filter(|_| written.personal) {
        // The write and its log row commit together, whatever the client
        // does meanwhile.
        let mut subjects: Vec<&str> = written.subjects.iter().map(String::as_str).collect();
        subjects.sort_unstable();
        subjects.dedup();
        let mut entry = log.entry.clone();
        entry.dataset = written.dataset;
        entry.at = chrono::SubsecRound::trunc_subsecs(now, 6);
        entry.subjects = serde_json::to_string(&subjects).expect("strings serialise");
        log.audit.append_in(&txn, &[entry]).await?;
    }
    if backend == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), last.to_string().into()],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(written)
}

/// Removes idempotency keys older than `keep` (they are kept at least a day).
pub async fn purge_idempotency_keys(
    db: &DatabaseConnection,
    keep: chrono::Duration,
) -> Result<u64, ApiError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(Utc::now() - keep))
        .exec(db)
        .await?
        .rows_affected)
}

/// The province of a commune in force, or why the code is not one.
pub fn province_of(commune: &str) -> Result<String, ApiError> {
    crate::ids::check_commune_code(commune)?;
    Ok(crate::refdata::reference()
        .commune(commune)
        .expect("checked")
        .province_code
        .to_owned())
}

/// `CONFLICT` when the caller expected another version.
pub fn check_version(what: &str, current: i32, expected: Option<i32>) -> Result<(), ApiError> {
    match expected {
        Some(expected) if expected != current => Err(ApiError::Conflict(format!(
            "{what} is at version {current}, not {expected}: read it again"
        ))),
        _ => Ok(()),
    }
}

/// Runs `update` (already limited to one row) on the row at the version
/// read, moving it to the next version: the one optimistic-version update
/// of every register. `CONFLICT` when another request changed the row
/// meanwhile.
pub async fn update_at_version<E: EntityTrait>(
    txn: &DatabaseTransaction,
    what: &str,
    update: sea_orm::UpdateMany<E>,
    version: E::Column,
    read: i32,
) -> Result<(), ApiError> {
    let rows = update
        .col_expr(version, sea_orm::sea_query::Expr::value(read + 1))
        .filter(version.eq(read))
        .exec(txn)
        .await?
        .rows_affected;
    updated_one(what, rows)
}

/// `CONFLICT` when a conditional update found the row changed meanwhile.
fn updated_one(what: &str, rows: u64) -> Result<(), ApiError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "{what} was changed by another request meanwhile: read it again"
        )))
    }
}

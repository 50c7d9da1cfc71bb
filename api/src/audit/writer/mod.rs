//! The node's one audit writer: a task that takes the entries of
//! concurrent requests from a queue and commits them in one transaction
//! (group commit), chained after the node's last row.
//!
//! The chain's head (`audit_chain`) is moved first in each transaction, by
//! a conditional update on the hash it had: two processes that share a node
//! id wait for each other there instead of forking the chain, and a writer
//! whose head is stale reloads it and tries again.
//!
//! The last row of each batch carries the batch's MAC (`batch_mac`, see
//! [`super::key`]): the node, the positions in the chain of the batch's
//! first and last rows, and the last row's hash, under the audit key.

use super::key::AuditKey;
use super::{Count, Entry};
use crate::metrics::Metrics;
use entities::audit::sharing_day;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Most entries in one transaction.
const MAX_BATCH: usize = 512;
/// Requests that may wait for the writer before new ones wait to enqueue.
const QUEUE: usize = 8192;

/// Why an access could not be recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    #[error("the access log could not be written: {0}")]
    Write(String),
    #[error("the audit writer has stopped")]
    Stopped,
    #[error("the access log did not answer within {0:?}")]
    Timeout(Duration),
}

enum Job {
    Write {
        entries: Vec<Entry>,
        counts: Vec<Count>,
        enqueued: Instant,
        done: Option<oneshot::Sender<Result<(), AuditError>>>,
    },
    Ping(oneshot::Sender<()>),
}

/// The handle requests use to record their accesses.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<Job>,
    node: Arc<str>,
    key: AuditKey,
    timeout: Duration,
}

impl AuditWriter {
    /// Starts the writer task of node `node`, which authenticates its
    /// batches with `key`.
    pub fn start(
        db: DatabaseConnection,
        node: &str,
        key: AuditKey,
        timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> AuditWriter {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let node: Arc<str> = Arc::from(node);
        let task = Task {
            db,
            node: node.clone(),
            key: key.clone(),
            head: None,
            metrics,
        };
        tokio::spawn(task.run(jobs));
        AuditWriter {
            queue,
            node,
            key,
            timeout,
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Commits the entries and waits until they are durable. Counts alone
    /// are queued without waiting (statistics, not evidence).
    pub async fn record(&self, entries: Vec<Entry>, counts: Vec<Count>) -> Result<(), AuditError> {
        if entries.is_empty() {
            if !counts.is_empty() {
                let _ = self.queue.try_send(Job::Write {
                    entries,
                    counts,
                    enqueued: Instant::now(),
                    done: None,
                });
            }
            return Ok(());
        }
        let (done, committed) = oneshot::channel();
        let job = Job::Write {
            entries,
            counts,
            enqueued: Instant::now(),
            done: Some(done),
        };
        let wait = async {
            self.queue
                .send(job)
                .await
                .map_err(|_| AuditError::Stopped)?;
            committed.await.map_err(|_| AuditError::Stopped)?
        };
        tokio::time::timeout(self.timeout, wait)
            .await
            .map_err(|_| AuditError::Timeout(self.timeout))?
    }

    /// Whether the writer task is alive and taking work.
    pub async fn ping(&self, within: Duration) -> bool {
        let (reply, answered) = oneshot::channel();
        if self.queue.try_send(Job::Ping(reply)).is_err() {
            return false;
        }
        matches!(tokio::time::timeout(within, answered).await, Ok(Ok(())))
    }
}

/// The head of this node's chain as last committed.
#[derive(Clone, Debug)]
struct Head {
    hash: String,
    length: i64,
    /// Whether the `audit_chain` row exists yet.
    stored: bool,
}

struct Task {
    db: DatabaseConnection,
    node: Arc<str>,
    key: AuditKey,
    head: Option<Head>,
    metrics: Arc<Metrics>,
}

enum Failure {
    /// Another writer moved the head: reload it and try again.
    Stale,
    Db(DbErr),
}

impl From<DbErr> for Failure {
    fn from(e: DbErr) -> Self {
        Failure::Db(e)
    }
}

impl Task {
    async fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        while let Some(first) = jobs.recv().await {
            let mut batch = vec![first];
            let mut size = 0;
            while size < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => {
                        if let Job::Write { entries, .. } = &job {
                            size += entries.len();
                        }
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
            let mut entries = Vec::new();
            let mut counts = Vec::new();
            let mut waiting = Vec::new();
            let mut oldest = None::<Instant>;
            for job in batch {
                match job {
                    Job::Ping(reply) => {
                        let _ = reply.send(());
                    }
                    Job::Write {
                        entries: e,
                        counts: c,
                        enqueued,
                        done,
                    } => {
                        entries.extend(e);
                        counts.extend(c);
                        waiting.extend(done);
                        oldest = Some(oldest.map_or(enqueued, |o| o.min(enqueued)));
                    }
                }
            }
            if entries.is_empty() && counts.is_empty() {
                continue;
            }
            let result = self.commit(&entries, &counts).await;
            if let Some(oldest) = oldest {
                self.metrics
                    .audit_batch(entries.len(), oldest.elapsed(), result.is_ok());
            }
            let outcome = result.map_err(|e| {
                tracing::error!(error = %e, rows = entries.len(), "access log write failed");
                AuditError::Write(e.to_string())
            });
            for done in waiting {
                let _ = done.send(outcome.clone());
            }
        }
    }

    /// Commits one batch, reloading a stale head a few times.
    async fn commit(&mut self, entries: &[Entry], counts: &[Count]) -> Result<(), DbErr> {
        for _ in 0..5 {
            match self.try_commit(entries, counts).await {
                Ok(head) => {
                    self.head = Some(head);
                    return Ok(());
                }
                Err(Failure::Stale) => self.head = None,
                Err(Failure::Db(e)) => {
                    self.head = None;
                    return Err(e);
                }
            }
        }
        Err(DbErr::Custom(
            "the chain head kept moving under this writer".into(),
        ))
    }

    async fn load_head(&self) -> Result<Head, DbErr> {
        head_of(&self.db, &self.node, false).await
    }

    async fn try_commit(&mut self, entries: &[Entry], counts: &[Count]) -> Result<Head, Failure> {
        let head = match &self.head {
            Some(head) => head.clone(),
            None => self.load_head().await?,
        };
        let txn = self.db.begin().await?;
        let Some(new_head) = append(&txn, &self.node, &self.key, &head, entries).await? else {
            txn.rollback().await?;
            return Err(Failure::Stale);
        };
        let mut totals: BTreeMap<_, (i64, i64)> = BTreeMap::new();
        for count in counts {
            let total = totals
                .entry((count.day, count.dataset, count.agency.as_str()))
                .or_default();
            total.0 += count.requests;
            total.1 += count.refusals;
        }
        if !totals.is_empty() {
            let days: Vec<_> = totals
                .into_iter()
                .map(
                    |((day, dataset, agency), (requests, refusals))| sharing_day::ActiveModel {
                        day: Set(day),
                        dataset: Set(dataset),
                        agency: Set(agency.to_owned()),
                        requests: Set(requests),
                        refusals: Set(refusals),
                    },
                )
                .collect();
            for chunk in days.chunks(1000) {
                sharing_day::Entity::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::columns([
                            sharing_day::Column::Day,
                            sharing_day::Column::Dataset,
                            sharing_day::Column::Agency,
                        ])
                        .value(
                            sharing_day::Column::Requests,
                            Expr::col((sharing_day::Entity, sharing_day::Column::Requests))
                                .add(Expr::cust("excluded.requests")),
                        )
                        .value(
                            sharing_day::Column::Refusals,
                            Expr::col((sharing_day::Entity, sharing_day::Column::Refusals))
                                .add(Expr::cust("excluded.refusals")),
                        )
                        .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(new_head)
    }
}

mod append;

use append::{append, head_of};

//! Tells a node's subscribers that the change feed grew, and reads the
//! feed for all of them at once.
//!
//! A write through the node itself wakes them at once; writes through other
//! nodes arrive through PostgreSQL's LISTEN/NOTIFY, and every subscriber
//! also looks on its own every [`BACKSTOP`]. The node keeps the newest
//! changes in a shared tail: when one change wakes a thousand subscribers,
//! the first one to ask reads it from the database and the others are
//! served from the tail (one read however many subscribers; each filters
//! what it may see). A subscriber far behind the tail reads its own page.
//! Change numbers commit in order (`registers::commit`), so reading "after
//! the highest number seen" never skips a change.

use entities::access::Dataset;
use entities::changes::change_event;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a subscriber waits for a notice before it looks anyway.
pub const BACKSTOP: Duration = Duration::from_secs(30);
/// Most changes the shared tail keeps.
const TAIL: usize = 4096;
/// Most changes one read of the database takes.
const READ: u64 = 1000;

/// The node's signal that the feed grew, and its shared tail.
pub struct Feed {
    grew: watch::Sender<u64>,
    tail: tokio::sync::Mutex<Tail>,
    /// Reads of the feed from the database, for the operators and tests.
    reads: std::sync::atomic::AtomicU64,
}

/// Every change numbered in `(floor, upto]`, in order.
#[derive(Default)]
struct Tail {
    started: bool,
    floor: i64,
    upto: i64,
    /// The notice count the tail was last read at, and when.
    read_at: u64,
    read_when: Option<std::time::Instant>,
    changes: VecDeque<change_event::Model>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            grew: watch::channel(0).0,
            tail: Default::default(),
            reads: Default::default(),
        }
    }
}

impl Feed {
    /// The feed grew.
    pub fn notify(&self) {
        self.grew.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that wakes when the feed grows.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.grew.subscribe()
    }

    /// How many times the node has read the feed from the database.
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count_read(&self) {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Up to `limit` changes of `dataset` numbered after `after`, in order,
    /// from the shared tail when it covers them (reading the database once
    /// for everyone when the feed grew), else from the database.
    pub async fn after(
        &self,
        db: &DatabaseConnection,
        dataset: Dataset,
        after: i64,
        limit: usize,
    ) -> Result<Vec<change_event::Model>, DbErr> {
        let mut tail = self.tail.lock().await;
        if !tail.started {
            *tail = Tail {
                started: true,
                floor: after,
                upto: after,
                read_at: u64::MAX,
                read_when: None,
                changes: VecDeque::new(),
            };
        }
        if after < tail.floor {
            drop(tail);
            self.count_read();
            return change_event::Entity::find()
                .filter(change_event::Column::Dataset.eq(dataset))
                .filter(change_event::Column::Seq.gt(after))
                .order_by_asc(change_event::Column::Seq)
                .limit(limit as u64)
                .all(db)
                .await;
        }
        let notices = *self.grew.borrow();
        let stale = tail.read_when.is_none_or(|at| at.elapsed() >= BACKSTOP);
        if tail.read_at != notices || after > tail.upto || stale {
            tail.read_at = notices;
            tail.read_when = Some(std::time::Instant::now());
            loop {
                self.count_read();
                let read = change_event::Entity::find()
                    .filter(change_event::Column::Seq.gt(tail.upto))
                    .order_by_asc(change_event::Column::Seq)
                    .limit(READ)
                    .all(db)
                    .await?;
                let full = read.len() as u64 == READ;
                if let Some(last) = read.last() {
                    tail.upto = last.seq;
                }
                tail.changes.extend(read);
                while tail.changes.len() > TAIL {
                    let dropped = tail.changes.pop_front().expect("longer than TAIL");
                    tail.floor = dropped.seq;
                }
                if !full {
                    break;
                }
            }
        }
        Ok(tail
            .changes
            .iter()
            .filter(|c| c.seq > after && c.dataset == dataset)
            .take(limit)
            .cloned()
            .collect())
    }

    /// Hears the changes committed by other nodes on PostgreSQL.
    pub async fn listen(self: &Arc<Self>, url: &str) -> anyhow::Result<()> {
        let feed = Arc::clone(self);
        let mut listener = PgListener::connect(url).await?;
        listener.listen(super::CHANNEL).await?;
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => feed.notify(),
                    Ok(None) => tracing::warn!("lost the change notification connection"),
                    Err(error) => {
                        tracing::warn!(%error, "change notifications failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
    }
}

//! Tells subscribers that the change feed grew: at once on this node, and
//! through PostgreSQL's LISTEN/NOTIFY from the other nodes. Subscribers
//! read the feed itself from the database (after their cursor), so a missed
//! or merged notice loses nothing; they also look every few seconds.

use sea_orm::sqlx::postgres::PgListener;
use std::sync::OnceLock;
use tokio::sync::watch;

/// The highest change number this node has heard of.
pub struct Feed {
    latest: watch::Sender<i64>,
}

/// The node's feed signal (one per process).
pub fn local() -> &'static Feed {
    static FEED: OnceLock<Feed> = OnceLock::new();
    FEED.get_or_init(|| Feed {
        latest: watch::channel(0).0,
    })
}

impl Feed {
    /// Change `seq` was committed.
    pub fn notify(&self, seq: i64) {
        self.latest.send_if_modified(|latest| {
            let newer = seq > *latest;
            if newer {
                *latest = seq;
            }
            newer
        });
    }

    /// A receiver that wakes when the feed grows.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.latest.subscribe()
    }

    /// Hears the changes committed by other nodes on PostgreSQL.
    pub async fn listen(&'static self, url: &str) -> anyhow::Result<()> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(super::CHANNEL).await?;
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notice)) => {
                        if let Ok(seq) = notice.payload().parse() {
                            self.notify(seq);
                        }
                    }
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

//! Tells a node's subscribers that the change feed grew: at once for a
//! write through the node itself, and through PostgreSQL's LISTEN/NOTIFY
//! for writes through other nodes. Subscribers read the feed itself from
//! the database (after their cursor), so a missed or merged notice loses
//! nothing; they also look on their own every [`BACKSTOP`].

use sea_orm::sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a subscriber waits for a notice before it looks anyway.
pub const BACKSTOP: Duration = Duration::from_secs(30);

/// The node's signal that the feed grew.
pub struct Feed {
    grew: watch::Sender<u64>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            grew: watch::channel(0).0,
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

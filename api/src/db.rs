//! Connecting to the database (SQLite or PostgreSQL) and migrating it.
//!
//! SQLite runs in WAL mode with a busy timeout and `synchronous = FULL`:
//! a committed transaction (an access-log batch above all) survives a
//! crash of the process and of the machine; the audit writer's group
//! commit pays one sync for many requests. Every statement executed is counted, so tests can prove that
//! a query costs the same number of statements whatever its page size.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A database connection pool and the count of statements it has run.
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    statements: Arc<AtomicU64>,
}

impl Db {
    /// Statements executed through this pool so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// Opens a pool on `url` (creating a SQLite file if needed).
pub async fn connect(
    url: &str,
    max_connections: Option<u32>,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<Db> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections.unwrap_or(if sqlite { 8 } else { 32 }))
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // A connection in steady use is not pinged before each use (that
        // was a round trip per acquire, and a request acquires at least
        // twice); one idle for a while is, as it may have been dropped by
        // the server or a firewall meanwhile. A connection that fails in
        // use is closed by the pool and the next acquire opens another.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if let Some(timeout) = statement_timeout {
        // PostgreSQL stops a statement that outlives the request it serves.
        options.statement_timeout(timeout);
    }
    if sqlite {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                // 64 MiB of page cache per connection (the default is 2 MiB):
                // bulk loads and index-heavy listings stay in memory.
                .pragma("cache_size", "-65536")
        });
    }
    let mut conn = Database::connect(options).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open database {}: {e}",
            crate::config::redact_url(url)
        )
    })?;
    let statements = Arc::new(AtomicU64::new(0));
    let counter = statements.clone();
    conn.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    Ok(Db { conn, statements })
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

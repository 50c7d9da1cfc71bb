//! The server as a value that knows its port: `build` binds, checks the
//! keys and the database (`preflight`), then connects, migrates and loads
//! demo data when asked; `run_until_stopped` serves until Ctrl-C or
//! SIGTERM. Tests build it on port 0.

use crate::access::cache::AccessCache;
use crate::audit::key::AuditKey;
use crate::auth::ScopeSet;
use crate::auth::keys::SigningKeys;
use crate::config::Config;
use crate::db::{self, Db};
use crate::graphql;
use crate::http::{self, AppState};
use crate::preflight;
use crate::seed::{self, SeedSize};
use anyhow::Context;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built, bound, not yet serving hub.
pub struct Application {
    listener: TcpListener,
    /// Tells the open WebSockets the node is shutting down.
    stopping: tokio::sync::watch::Sender<bool>,
    /// The CORS policy, checked before anything else starts.
    cors: Option<tower_http::cors::CorsLayer>,
    /// The address bound.
    local: std::net::SocketAddr,
    state: AppState,
    config: Config,
}

impl Application {
    /// Binds the listener, loads the signing and audit keys, checks that
    /// the database answers — each said plainly if it fails, before any
    /// migration — then migrates the database and loads demo data into an
    /// empty one in demo mode.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let limits = config.limits();
        let cors = http::cors(&config.cors_origins)?;
        let listener = preflight::bind(&config.listen).await?;
        let local = listener.local_addr()?;
        preflight::key_folder("signing key", &config.signing_key_path())?;
        preflight::key_folder("audit key", &config.audit_key_path())?;
        let keys = SigningKeys::load_or_create(&config.signing_key_path(), config.demo)?
            .with_previous(&config.previous_signing_keys)?;
        let audit_key = AuditKey::load_or_create(&config.audit_key_path(), config.demo)?;
        preflight::reach_database(&config.database_url).await?;
        // Migrations and demo data run without the per-request statement
        // timeout, on a pool of their own.
        let setup = db::connect(&config.database_url, Some(2), None).await?;
        let demo = config.demo.then_some(SeedSize {
            citizens: config.demo_citizens,
            enterprises: config.demo_enterprises,
            parcels: config.demo_parcels,
        });
        prepare(&setup.conn, demo).await?;
        setup.conn.close().await?;
        // A statement outliving its request is stopped by PostgreSQL too
        // (never under a second, so that the hub's own reads still run).
        let statement_timeout = limits
            .request_timeout
            .max(std::time::Duration::from_secs(1));
        let db = db::connect(
            &config.database_url,
            config.db_max_connections,
            Some(statement_timeout),
        )
        .await?;
        let cache = AccessCache::new(db.conn.clone());
        cache.load_revoked().await?;
        if !config.is_sqlite() {
            cache
                .listen(&config.database_url)
                .await
                .context("listening for access changes on PostgreSQL")?;
        }
        let feed = Arc::new(crate::registers::feed::Feed::default());
        if !config.is_sqlite() {
            feed.listen(&config.database_url)
                .await
                .context("listening for changes on PostgreSQL")?;
        }
        // Idempotency keys are kept two days (at least one is promised).
        let purge_db = db.conn.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) =
                    crate::registers::purge_idempotency_keys(&purge_db, chrono::Duration::hours(48))
                        .await
                {
                    tracing::warn!(error = %error, "could not purge old idempotency keys");
                }
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
        });
        let metrics = Arc::new(crate::metrics::Metrics::default());
        // The audit writer has a pool of its own: it is never starved of a
        // connection by the requests that wait for it.
        let audit_db = db::connect(&config.database_url, Some(2), None).await?;
        let audit = crate::audit::writer::AuditWriter::start(
            audit_db.conn,
            &config.node(),
            audit_key,
            limits
                .request_timeout
                .max(std::time::Duration::from_secs(5)),
            metrics.clone(),
        );
        let cursors = graphql::page::CursorKey::derive(keys.derived_secret());
        let verifications = Arc::new(crate::limits::VerifyLimits::new(
            config.verify_per_hour,
            config.verify_burst,
        ));
        let forget = verifications.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(300)).await;
                forget.forget_full();
            }
        });
        let (stopping, _) = tokio::sync::watch::channel(false);
        let state = AppState {
            schema: graphql::build_schema_with(&limits),
            db,
            cursors,
            verifications,
            connections: Default::default(),
            stopping: stopping.subscribe(),
            subscriptions: Default::default(),
            keys: Arc::new(keys),
            tokens: config.token_settings(),
            cache,
            token_ttl: config.token_ttl,
            rate: Arc::new(crate::limits::RateLimits::new(
                config.rate_per_second,
                config.rate_burst,
            )),
            limits,
            audit,
            metrics,
            feed,
            verified: Default::default(),
            documents: Arc::new(crate::session::Documents::new(config.document_cache_bytes)),
            login: Arc::new(crate::access::login::LoginGuard::new(config.login())),
        };
        state.login.warm_up();
        Ok(Application {
            listener,
            stopping,
            cors,
            local,
            state,
            config,
        })
    }

    pub fn port(&self) -> u16 {
        self.local.port()
    }

    /// What the handlers share (schema, database, keys).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The database pool, with its statement counter.
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Signs a token for a registered, active agency: its own scopes (or
    /// the `requested` subset of them) and jurisdiction.
    pub async fn issue_token(
        &self,
        agency_code: &str,
        requested: Option<ScopeSet>,
        ttl_seconds: i64,
    ) -> anyhow::Result<String> {
        Ok(self
            .state
            .issue_token(agency_code, requested, ttl_seconds)
            .await?
            .token)
    }

    /// Prints the playground URL and ready tokens for the demo agencies.
    pub async fn print_demo_banner(&self) -> anyhow::Result<()> {
        const DEMO_TTL: i64 = 12 * 3600;
        let host = match self.local.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let port = self.local.port();
        println!("Lienthong is serving on http://{host}:{port}");
        println!("  playground: http://{host}:{port}/graphql");
        const FEATURED: [&str; 5] = ["TTDLQG", "BCA", "BNNMT", "BTC", "UBND-68"];
        println!("Demo tokens (valid 12 hours; paste one into the playground's Token box):");
        for code in FEATURED {
            let token = self.issue_token(code, None, DEMO_TTL).await?;
            println!("\n  {code}:\n  {token}");
        }
        let codes: Vec<String> = seed::demo_agencies().into_iter().map(|a| a.code).collect();
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        let secrets = seed::ensure_client_secrets(&self.state.db.conn, &codes).await?;
        if !secrets.is_empty() {
            println!(
                "\nClient secrets for POST /oauth/token (shown this once; only hashes are kept):"
            );
            for (code, secret) in secrets {
                println!("  {code}: {secret}");
            }
        }
        println!();
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight
    /// (`http::edge`: header and body timeouts, a cap on connections).
    ///
    /// On the signal, open WebSockets are closed with 1001 (going away);
    /// requests in flight and WebSockets get `shutdown_grace_ms` to end,
    /// then the node stops whatever is left.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let settings = http::EdgeSettings::of(&self.config);
        let grace = std::time::Duration::from_millis(self.config.shutdown_grace_ms);
        let sockets = self.state.connections.clone();
        let stopping = self.stopping;
        let mut signalled = stopping.subscribe();
        let signal = async move {
            shutdown_signal().await;
            let _ = stopping.send(true);
        };
        let app = http::router(self.state, self.config.max_body_bytes, self.cors);
        let drained = async {
            crate::http::serve(self.listener, app, settings, signal).await?;
            // Upgraded connections are not hyper's to wait for.
            while sockets.total() > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Ok(())
        };
        // The grace period starts at the signal.
        let deadline = async {
            let _ = signalled.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = drained => result,
            () = deadline => {
                tracing::warn!(?grace, "stopping with connections still open");
                Ok(())
            }
        }
    }
}

/// The seed of the demo data: the same data set on every start.
pub const DEMO_SEED: u64 = 2025;

/// What a database needs before the hub serves it: the migrations, and in
/// demo mode (`demo` gives the sizes) the demo agencies and, into an empty
/// database, the demo data. The test suite prepares its template database
/// with this too.
pub async fn prepare(
    conn: &sea_orm::DatabaseConnection,
    demo: Option<SeedSize>,
) -> anyhow::Result<()> {
    db::migrate(conn).await.context("migrating the database")?;
    if let Some(size) = demo {
        seed::ensure_demo_agencies(conn).await?;
        let empty = entities::population::citizen::Entity::find()
            .count(conn)
            .await?
            == 0;
        if empty {
            let report = seed::seed(conn, size, DEMO_SEED, false).await?;
            tracing::info!(%report, "loaded demo data");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

//! `spawn_app()`: the real server on port 0 with a database of its own (a
//! temporary SQLite file, or a new PostgreSQL database when
//! `LIENTHONG_TEST_DATABASE_URL` names a server) that holds a small
//! deterministic demo set (copied from a template, see `database`), and
//! helpers that make a test read like a portal.

use api::auth::ScopeSet;
use api::config::{Config, LogFormat};
use api::startup::Application;
use entities::access::{AgencyKind, AgencyStatus, Dataset, access_grant, agency};
use entities::land::{RightStatus, land_right};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Statement};
use serde_json::{Value, json};
use std::sync::Once;
use std::time::Duration;

pub use crate::database::postgres_url;
use crate::database::{DataKey, TestDatabase, database_for};

/// A running hub and a client for it.
pub struct TestApp {
    pub address: String,
    config: Config,
    pub app_db: api::db::Db,
    pub client: reqwest::Client,
    issuer: TokenIssuer,
    _database: TestDatabase,
    /// The folder of the signing and audit keys (removed with the app; a
    /// second node shares the first one's).
    _keys: Option<tempfile::TempDir>,
}

/// Issues tokens the way the hub does, for a running app.
struct TokenIssuer {
    state: api::http::AppState,
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            api::cli::init_tracing(LogFormat::Text);
        }
    });
}

/// The sizes of the test data set: small, but with every kind of row in
/// every province that tests look at.
pub const CITIZENS: u64 = 1_500;
pub const ENTERPRISES: u64 = 260;
pub const PARCELS: u64 = 800;

/// Starts a hub on port 0 with a database of its own, migrated and seeded.
pub async fn spawn_app() -> anyhow::Result<TestApp> {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with some settings changed first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> anyhow::Result<TestApp> {
    init_logs();
    let key_dir = tempfile::tempdir()?;
    let mut config = Config {
        // Set below, once the settings that decide the data are known.
        database_url: String::new(),
        db_max_connections: Some(4),
        listen: "127.0.0.1:0".parse()?,
        signing_key: Some(key_dir.path().join("hub.key")),
        audit_key: None,
        previous_signing_keys: Vec::new(),
        demo: true,
        demo_citizens: CITIZENS,
        demo_enterprises: ENTERPRISES,
        demo_parcels: PARCELS,
        issuer: "https://lienthong.test".into(),
        audience: "lienthong".into(),
        token_ttl: 900,
        max_body_bytes: 1_048_576,
        max_depth: 16,
        max_complexity: 50_000,
        max_aliases: 30,
        max_root_fields: 20,
        max_document_bytes: 32_768,
        request_timeout_ms: 10_000,
        rate_per_second: 1_000,
        rate_burst: 1_000,
        introspection: true,
        max_expanded_fields: 5_000,
        verify_burst: 10,
        verify_per_hour: 10,
        max_connections_per_agency: 16,
        max_subscriptions_per_agency: 64,
        node_id: Some("node-a".into()),
        log_format: LogFormat::Text,
        otlp_endpoint: None,
        header_timeout_ms: 10_000,
        body_timeout_ms: 30_000,
        max_connections: 10_000,
        cors_origins: Vec::new(),
        shutdown_grace_ms: 10_000,
        document_cache_bytes: 32 << 20,
        login_concurrency: 4,
        login_queue_ms: 2_000,
        login_client_per_minute: 10,
        login_ip_per_minute: 60,
        login_max_failures: 5,
        login_lockout_s: 60,
    };
    change(&mut config);
    let database = if config.database_url.is_empty() {
        let (url, database) = database_for(DataKey::of(&config)).await?;
        config.database_url = url;
        database
    } else {
        // A test that names its own database keeps it.
        TestDatabase::Borrowed
    };
    let app = Application::build(config.clone()).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let issuer = TokenIssuer {
        state: app.state().clone(),
    };
    let app_db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    Ok(TestApp {
        address,
        config,
        app_db,
        client: reqwest::Client::new(),
        issuer,
        _database: database,
        _keys: Some(key_dir),
    })
}

impl TestApp {
    /// A second server process on the same database and key, as a node of
    /// a scaled-out hub. Its database is owned by the first.
    pub async fn second_node(&self) -> anyhow::Result<TestApp> {
        let app = Application::build(self.config.clone()).await?;
        let address = format!("http://127.0.0.1:{}", app.port());
        let issuer = TokenIssuer {
            state: app.state().clone(),
        };
        let app_db = app.db().clone();
        tokio::spawn(app.run_until_stopped());
        Ok(TestApp {
            address,
            config: self.config.clone(),
            app_db,
            client: reqwest::Client::new(),
            issuer,
            _database: TestDatabase::Borrowed,
            _keys: None,
        })
    }

    /// A token for a demo agency with all its scopes.
    pub async fn token(&self, agency: &str) -> anyhow::Result<String> {
        Ok(self
            .issuer
            .state
            .issue_token(agency, None, 600)
            .await?
            .token)
    }

    /// A token for a demo agency with only `scopes`.
    pub async fn token_with(&self, agency: &str, scopes: &str) -> anyhow::Result<String> {
        let scopes = ScopeSet::parse(scopes).map_err(anyhow::Error::msg)?;
        Ok(self
            .issuer
            .state
            .issue_token(agency, Some(scopes), 600)
            .await?
            .token)
    }

    /// The signing keys and token settings, to forge tokens in tests.
    pub fn state(&self) -> &api::http::AppState {
        &self.issuer.state
    }

    /// The database URL the hub runs on.
    pub fn database_url(&self) -> &str {
        &self.config.database_url
    }

    /// The settings the hub was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// POSTs a GraphQL document with a bearer token; returns status and body.
    pub async fn post_graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Value)> {
        self.post_graphql_with_headers(token, query, variables, &[])
            .await
    }

    /// Like `post_graphql`, with extra request headers.
    pub async fn post_graphql_with_headers(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Value)> {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await?;
        Ok((status, headers, body))
    }

    /// Runs a query as a demo agency (all its scopes) and checks the
    /// response shape: HTTP 200, and every error carries a code.
    pub async fn graphql_as(
        &self,
        agency: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let token = self.token(agency).await?;
        self.graphql_with(&token, query, variables).await
    }

    /// Runs a query with a given token; see `graphql_as`.
    pub async fn graphql_with(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let (status, _, body) = self.post_graphql(Some(token), query, variables).await?;
        anyhow::ensure!(status == 200, "status {status}: {body}");
        for error in errors(&body) {
            anyhow::ensure!(
                error["extensions"]["code"].is_string(),
                "an error without extensions.code: {error}"
            );
        }
        Ok(body)
    }

    /// Registers an extra agency directly in the database, with grants from
    /// each dataset's owner for `scopes` over `jurisdiction`.
    pub async fn add_agency(
        &self,
        code: &str,
        scopes: &str,
        jurisdiction: &str,
    ) -> anyhow::Result<()> {
        let now = chrono::Utc::now();
        agency::Entity::insert(
            agency::Model {
                code: code.into(),
                name: format!("Test agency {code}"),
                kind: AgencyKind::Ministry,
                province_code: None,
                owns: String::new(),
                status: AgencyStatus::Active,
                client_secret_hash: None,
                created_at: now,
            }
            .into_active_model(),
        )
        .exec(&self.app_db.conn)
        .await?;
        let set = ScopeSet::parse(scopes).map_err(anyhow::Error::msg)?;
        for (dataset, owner) in [
            (Dataset::Population, "BCA"),
            (Dataset::Land, "BNNMT"),
            (Dataset::Enterprise, "BTC"),
        ] {
            let granted: Vec<&str> = set
                .iter()
                .filter(|s| api::access::dataset_of(*s) == Some(dataset))
                .map(|s| s.as_str())
                .collect();
            if granted.is_empty() {
                continue;
            }
            access_grant::Entity::insert(
                access_grant::Model {
                    id: uuid::Uuid::new_v4().to_string(),
                    dataset,
                    grantee: code.into(),
                    scopes: granted.join(" "),
                    jurisdiction: jurisdiction.into(),
                    purpose: "tests".into(),
                    legal_basis: "tests".into(),
                    requires_purpose: false,
                    valid_from: now,
                    valid_until: None,
                    granted_by: owner.into(),
                    granted_at: now,
                    revoked_at: None,
                    revoke_reason: None,
                }
                .into_active_model(),
            )
            .exec(&self.app_db.conn)
            .await?;
        }
        Ok(())
    }

    /// GETs `path` on the hub with the app's client.
    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        self.get_with(&self.client, path).await
    }

    /// GETs `path` on the hub with `client`.
    pub async fn get_with(
        &self,
        client: &reqwest::Client,
        path: &str,
    ) -> anyhow::Result<reqwest::Response> {
        Ok(client.get(format!("{}{path}", self.address)).send().await?)
    }

    /// The active rights on a parcel.
    pub async fn active_rights(&self, parcel: &str) -> anyhow::Result<Vec<land_right::Model>> {
        Ok(land_right::Entity::find()
            .filter(land_right::Column::ParcelId.eq(parcel))
            .filter(land_right::Column::Status.eq(RightStatus::Active))
            .all(&self.app_db.conn)
            .await?)
    }

    /// The sum of the active shares of a parcel, in basis points.
    pub async fn active_shares(&self, parcel: &str) -> anyhow::Result<i32> {
        Ok(self
            .active_rights(parcel)
            .await?
            .iter()
            .map(|r| r.share_bp)
            .sum())
    }

    /// Runs raw SQL against the hub's database (for setup only).
    pub async fn sql(&self, sql: &str) -> anyhow::Result<()> {
        let backend = self.app_db.conn.get_database_backend();
        self.app_db
            .conn
            .execute_raw(Statement::from_string(backend, sql.to_owned()))
            .await?;
        Ok(())
    }
}

/// The errors of a response (empty when there are none).
pub fn errors(body: &Value) -> Vec<Value> {
    body["errors"].as_array().cloned().unwrap_or_default()
}

/// The error at `path` (e.g. `["citizen", "dateOfBirth"]`), if any.
pub fn error_at<'a>(body: &'a Value, path: &[&str]) -> Option<&'a Value> {
    body["errors"].as_array()?.iter().find(|e| {
        let p: Vec<String> = e["path"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        p == path
    })
}

/// Asserts that the response has only FORBIDDEN errors naming `scope`, at
/// least one, and returns how many.
pub fn assert_forbidden(body: &Value, scope: &str) -> usize {
    let errors = errors(body);
    assert!(!errors.is_empty(), "expected FORBIDDEN errors: {body}");
    for e in &errors {
        assert_eq!(e["extensions"]["code"], "FORBIDDEN", "{e}");
        assert_eq!(e["extensions"]["requiredScope"], scope, "{e}");
    }
    errors.len()
}

/// The nodes of a connection at `body.data.<field>`.
pub fn nodes(body: &Value, field: &str) -> Vec<Value> {
    body["data"][field]["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default()
}

/// A free loopback port (for a server started as a separate process).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts the `lienthong` binary as node `node` on `port`, on the test
/// app's database and signing key (to be killed by the test).
pub fn start_server(app: &TestApp, port: u16, node: &str) -> anyhow::Result<std::process::Child> {
    start_server_with(app, port, node, &[])
}

/// Like `start_server`, with more flags.
pub fn start_server_with(
    app: &TestApp,
    port: u16,
    node: &str,
    flags: &[&str],
) -> anyhow::Result<std::process::Child> {
    let config = app.config();
    Ok(std::process::Command::new(env!("CARGO_BIN_EXE_lienthong"))
        .args(["serve", "--demo", "false", "--node-id", node])
        .args(["--database-url", &config.database_url])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--signing-key")
        .arg(config.signing_key_path())
        .args(["--issuer", &config.issuer, "--audience", &config.audience])
        .args(["--rate-per-second", "100000", "--rate-burst", "100000"])
        .args(flags)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?)
}

/// How often a wait for an event looks again.
const POLL: Duration = Duration::from_millis(10);

/// Polls `check` until it gives a value: every 10 ms, for at most
/// `within`; then fails, naming `what` was awaited. For events a test
/// cannot be told of (a commit by another task, a server coming up).
pub async fn eventually<T, F>(
    what: &str,
    within: Duration,
    mut check: impl FnMut() -> F,
) -> anyhow::Result<T>
where
    F: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {within:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits (at most 30 s) until the server on `port` answers `/readyz`.
pub async fn wait_ready(client: &reqwest::Client, port: u16) -> anyhow::Result<()> {
    let url = format!("http://127.0.0.1:{port}/readyz");
    eventually(
        &format!("the server on port {port} ready"),
        Duration::from_secs(30),
        || async {
            let ready = client.get(&url).send().await;
            Ok(ready.is_ok_and(|r| r.status() == 200).then_some(()))
        },
    )
    .await
}

/// How many steps down, from the newest migration, undo `name` and every
/// migration after it: a test of one migration stays right as others are
/// added after it.
pub fn migrations_since(name: &str) -> u32 {
    use migration::MigratorTrait;
    let all = migration::Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    (all.len() - at) as u32
}

//! Typed configuration, layered: defaults, then a TOML file (`--config FILE`
//! or `LIENTHONG_CONFIG`), then `LIENTHONG_*` environment variables, then
//! command-line flags. Secrets never appear in `Debug`.
//!
//! clap parses the flags and the environment exactly as it always has (with
//! each field's default); [`Settings::load`] then asks clap where each value
//! came from and lets `figment` merge the layers in order, so that the file
//! slips in between the defaults and the environment and each value keeps
//! its origin for `lienthong config check`. The file's keys are the fields'
//! names (`database_url`, `max_depth`…); an unknown key stops startup with
//! the nearest valid name.

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything `serve`, `migrate`, `seed` and `token` share.
///
/// `Serialize` exists only for the layering below: the database URL may
/// hold a password, so never log a serialized `Config` (its `Debug` hides
/// the password).
#[derive(Args, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded, the default) or
    /// `postgres://user@host/db` (production).
    #[arg(
        long,
        env = "LIENTHONG_DATABASE_URL",
        default_value = "sqlite://lienthong.db?mode=rwc"
    )]
    pub database_url: String,

    /// Most database connections in the pool (default: 8 on SQLite, 32 on PostgreSQL).
    #[arg(long, env = "LIENTHONG_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,

    /// Address to listen on: `HOST:PORT`, the host an IP address
    /// (`[::1]` for IPv6) or a name such as `localhost`.
    #[arg(long, env = "LIENTHONG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: Listen,

    /// Ed25519 signing key (PKCS#8 PEM). Default: `lienthong.key` beside a
    /// SQLite database, or in the working directory.
    #[arg(long, env = "LIENTHONG_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// The audit key (64 hex digits) that authenticates the access log's
    /// batches; the database never holds it. Default: beside the signing
    /// key, `<signing key name>.audit.key` (`lienthong.audit.key`).
    /// Created in demo mode if missing; required otherwise.
    #[arg(long, env = "LIENTHONG_AUDIT_KEY")]
    pub audit_key: Option<PathBuf>,

    /// Earlier signing keys (comma-separated PEM files), still accepted for
    /// verification after a rotation until their tokens expire.
    #[arg(long, env = "LIENTHONG_PREVIOUS_SIGNING_KEYS", value_delimiter = ',')]
    pub previous_signing_keys: Vec<PathBuf>,

    /// Demo mode: create the signing key if missing, load demo data into an
    /// empty database and print demo tokens. Set to false in production.
    #[arg(long, env = "LIENTHONG_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,

    /// Demo data sizes loaded on first start in demo mode.
    #[arg(long, env = "LIENTHONG_DEMO_CITIZENS", default_value_t = 10_000)]
    pub demo_citizens: u64,
    #[arg(long, env = "LIENTHONG_DEMO_ENTERPRISES", default_value_t = 2_000)]
    pub demo_enterprises: u64,
    #[arg(long, env = "LIENTHONG_DEMO_PARCELS", default_value_t = 10_000)]
    pub demo_parcels: u64,

    /// Token issuer (`iss`).
    #[arg(
        long,
        env = "LIENTHONG_ISSUER",
        default_value = "https://lienthong.gov.vn"
    )]
    pub issuer: String,

    /// Token audience (`aud`).
    #[arg(long, env = "LIENTHONG_AUDIENCE", default_value = "lienthong")]
    pub audience: String,

    /// Lifetime of issued tokens, in seconds.
    #[arg(long, env = "LIENTHONG_TOKEN_TTL", default_value_t = 900)]
    pub token_ttl: i64,

    /// Largest request body, in bytes.
    #[arg(long, env = "LIENTHONG_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Deepest selection nesting accepted.
    #[arg(long, env = "LIENTHONG_MAX_DEPTH", default_value_t = 16)]
    pub max_depth: usize,

    /// Largest query complexity accepted (each field 1, lists times `first`).
    #[arg(long, env = "LIENTHONG_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,

    /// Most aliases in one document.
    #[arg(long, env = "LIENTHONG_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Most root fields in one operation.
    #[arg(long, env = "LIENTHONG_MAX_ROOT_FIELDS", default_value_t = 20)]
    pub max_root_fields: usize,

    /// Largest GraphQL document, in bytes.
    #[arg(long, env = "LIENTHONG_MAX_DOCUMENT_BYTES", default_value_t = 32_768)]
    pub max_document_bytes: usize,

    /// Longest a request may run, in milliseconds; its database work is cancelled then.
    #[arg(long, env = "LIENTHONG_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,

    /// Requests per second each agency may make, on average.
    #[arg(long, env = "LIENTHONG_RATE_PER_SECOND", default_value_t = 100)]
    pub rate_per_second: u32,

    /// Requests an agency may make in a burst.
    #[arg(long, env = "LIENTHONG_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,

    /// Whether the schema may be introspected (the playground needs it).
    #[arg(long, env = "LIENTHONG_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Most field selections in one document once its fragments are expanded.
    #[arg(long, env = "LIENTHONG_MAX_EXPANDED_FIELDS", default_value_t = 5_000)]
    pub max_expanded_fields: usize,

    /// Verifications of one person's facts an agency may ask in a burst.
    #[arg(long, env = "LIENTHONG_VERIFY_BURST", default_value_t = 10)]
    pub verify_burst: u32,

    /// Verifications of one person's facts an agency may ask per hour, on average.
    #[arg(long, env = "LIENTHONG_VERIFY_PER_HOUR", default_value_t = 10)]
    pub verify_per_hour: u32,

    /// Open WebSocket connections per agency, per node.
    #[arg(
        long,
        env = "LIENTHONG_MAX_CONNECTIONS_PER_AGENCY",
        default_value_t = 16
    )]
    pub max_connections_per_agency: usize,

    /// Live subscriptions per agency, per node.
    #[arg(
        long,
        env = "LIENTHONG_MAX_SUBSCRIPTIONS_PER_AGENCY",
        default_value_t = 64
    )]
    pub max_subscriptions_per_agency: usize,

    /// This server's name in the access log; each node keeps its own hash
    /// chain. Defaults to the host name.
    #[arg(long, env = "LIENTHONG_NODE_ID")]
    pub node_id: Option<String>,

    /// Log format.
    #[arg(long, env = "LIENTHONG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// An OpenTelemetry collector's OTLP/HTTP receiver, e.g.
    /// `http://127.0.0.1:4318`: request spans are sent to `<it>/v1/traces`
    /// (protobuf), in batches, off the request path. None by default.
    #[arg(long, env = "LIENTHONG_OTLP_ENDPOINT", value_parser = otlp_endpoint)]
    pub otlp_endpoint: Option<String>,

    /// Longest a client may take to send a request's line and headers, in
    /// milliseconds (also how long an idle connection is kept open).
    #[arg(long, env = "LIENTHONG_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,

    /// Longest a client may take to send a request's whole body, in milliseconds.
    #[arg(long, env = "LIENTHONG_BODY_TIMEOUT_MS", default_value_t = 30_000)]
    pub body_timeout_ms: u64,

    /// Most connections open at once; further ones wait in the listen backlog.
    #[arg(long, env = "LIENTHONG_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Web origins whose browser applications may call the hub (CORS),
    /// comma-separated, e.g. `https://dichvucong.lamdong.gov.vn`; none by
    /// default. Each is a scheme and a host (and a port), nothing else.
    #[arg(long, env = "LIENTHONG_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// On SIGTERM or Ctrl-C, longest the hub waits for requests in flight
    /// and WebSockets (told 1001, going away) to end, in milliseconds.
    #[arg(long, env = "LIENTHONG_SHUTDOWN_GRACE_MS", default_value_t = 10_000)]
    pub shutdown_grace_ms: u64,

    /// Memory for parsed documents kept by hash (persisted queries, no
    /// second parse), in bytes; 0 keeps none (every hash-only request is
    /// then told to send its document).
    #[arg(long, env = "LIENTHONG_DOCUMENT_CACHE_BYTES", default_value_t = 32 << 20)]
    pub document_cache_bytes: u64,

    /// Client secrets checked at once by `/oauth/token` (Argon2, about 19 MiB each).
    #[arg(long, env = "LIENTHONG_LOGIN_CONCURRENCY", default_value_t = 4)]
    pub login_concurrency: usize,

    /// Longest a token request waits for a secret check before it is told to
    /// retry (503 `temporarily_unavailable`), in milliseconds.
    #[arg(long, env = "LIENTHONG_LOGIN_QUEUE_MS", default_value_t = 2_000)]
    pub login_queue_ms: u64,

    /// Token requests per client id per minute (and in a burst).
    #[arg(long, env = "LIENTHONG_LOGIN_CLIENT_PER_MINUTE", default_value_t = 10)]
    pub login_client_per_minute: u32,

    /// Token requests per source address per minute (and in a burst).
    #[arg(long, env = "LIENTHONG_LOGIN_IP_PER_MINUTE", default_value_t = 60)]
    pub login_ip_per_minute: u32,

    /// Failed client authentications in a row after which a client id is locked out.
    #[arg(long, env = "LIENTHONG_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,

    /// First lockout, in seconds; it doubles with each further failure, up to an hour.
    #[arg(long, env = "LIENTHONG_LOGIN_LOCKOUT_S", default_value_t = 60)]
    pub login_lockout_s: u64,
}

impl Config {
    /// The node id: as configured, or the host name, or `hub`.
    pub fn node(&self) -> String {
        let configured = self.node_id.clone().or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        });
        let node: String = configured
            .unwrap_or_default()
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .take(64)
            .collect();
        if node.is_empty() { "hub".into() } else { node }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The signing key file: as configured, else beside the SQLite file.
    pub fn signing_key_path(&self) -> PathBuf {
        if let Some(path) = &self.signing_key {
            return path.clone();
        }
        if self.is_sqlite()
            && let Some(file) = sqlite_file(&self.database_url)
        {
            return file.with_extension("key");
        }
        PathBuf::from("lienthong.key")
    }

    /// The audit key file: as configured, else beside the signing key.
    pub fn audit_key_path(&self) -> PathBuf {
        match &self.audit_key {
            Some(path) => path.clone(),
            None => self.signing_key_path().with_extension("audit.key"),
        }
    }

    pub fn limits(&self) -> crate::limits::Limits {
        crate::limits::Limits {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
            max_document_bytes: self.max_document_bytes,
            max_expanded_fields: self.max_expanded_fields,
            request_timeout: std::time::Duration::from_millis(self.request_timeout_ms.max(1)),
            introspection: self.introspection,
            max_connections_per_agency: self.max_connections_per_agency,
            max_subscriptions_per_agency: self.max_subscriptions_per_agency,
        }
    }

    /// The limits on client authentication at `/oauth/token`.
    pub fn login(&self) -> crate::access::login::LoginSettings {
        crate::access::login::LoginSettings {
            concurrency: self.login_concurrency.max(1),
            queue_wait: std::time::Duration::from_millis(self.login_queue_ms),
            client_per_minute: self.login_client_per_minute.max(1),
            ip_per_minute: self.login_ip_per_minute.max(1),
            max_failures: self.login_max_failures.max(1),
            lockout: std::time::Duration::from_secs(self.login_lockout_s.max(1)),
        }
    }

    pub fn token_settings(&self) -> crate::auth::token::TokenSettings {
        crate::auth::token::TokenSettings {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
        }
    }
}

/// The address to listen on, as written (`127.0.0.1:8080`,
/// `localhost:8080`, `[::1]:8080`): checked for a host and a port when
/// read, resolved when the hub binds it ([`Listen::resolve`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Listen(String);

/// Why a listen address is refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} is not an address to listen on: give HOST:PORT, e.g. 127.0.0.1:8080, localhost:8080 or [::1]:8080"
)]
pub struct BadListen(String);

impl std::str::FromStr for Listen {
    type Err = BadListen;

    fn from_str(text: &str) -> Result<Listen, BadListen> {
        let bad = || BadListen(text.to_owned());
        let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
        port.parse::<u16>().map_err(|_| bad())?;
        let host_ok = match host.strip_prefix('[') {
            Some(v6) => v6
                .strip_suffix(']')
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok()),
            None => {
                !host.is_empty()
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            }
        };
        if !host_ok {
            return Err(bad());
        }
        Ok(Listen(text.to_owned()))
    }
}

impl TryFrom<String> for Listen {
    type Error = BadListen;

    fn try_from(text: String) -> Result<Listen, BadListen> {
        text.parse()
    }
}

impl From<Listen> for String {
    fn from(listen: Listen) -> String {
        listen.0
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Listen {
    /// The addresses the host names, in the order the resolver gives them
    /// (`std::net::ToSocketAddrs`).
    pub fn resolve(&self) -> std::io::Result<Vec<SocketAddr>> {
        use std::net::ToSocketAddrs;
        Ok(self.0.to_socket_addrs()?.collect())
    }
}

/// An OTLP/HTTP endpoint: an `http://` URL (TLS is left to a collector
/// beside the hub), without a trailing `/`.
pub fn otlp_endpoint(text: &str) -> Result<String, String> {
    let rest = text.strip_prefix("http://").ok_or_else(|| {
        format!(
            "{text:?}: give an http:// URL of an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318"
        )
    })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(format!(
            "{text:?}: give an http:// URL with a host, e.g. http://127.0.0.1:4318"
        ));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// The file of a `sqlite://FILE?...` URL, if it names one.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Hides a password in a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("signing_key", &self.signing_key_path())
            .field("audit_key", &self.audit_key_path())
            .field("demo", &self.demo)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_ttl", &self.token_ttl)
            .finish_non_exhaustive()
    }
}

mod load;

pub use load::Settings;

#[cfg(test)]
mod tests;

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

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, ValueEnum};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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

    /// Address to listen on.
    #[arg(long, env = "LIENTHONG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

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

/// The layers' names, lowest first; each value keeps the name of the layer
/// it came from.
const DEFAULTS: &str = "default";
const FILE: &str = "config file";
const ENVIRONMENT: &str = "environment";
const COMMAND_LINE: &str = "command line";

/// One layer of settings for `figment`.
struct Layer {
    metadata: Metadata,
    values: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// The settings of a [`Config`], in the order of its fields: their ids
/// (the names used in the file), flags and variables.
fn settings() -> Vec<clap::Arg> {
    Config::augment_args(clap::Command::new("lienthong"))
        .get_arguments()
        .cloned()
        .collect()
}

/// The effective [`Config`] and where each of its values came from.
pub struct Settings {
    config: Config,
    figment: Figment,
    file: Option<PathBuf>,
}

impl Settings {
    /// Layers the TOML `file` under the environment and the flags.
    ///
    /// `parsed` is what clap made of defaults, environment and flags, and
    /// `matches` (the command's own, where `Config` is flattened) tells
    /// which of the three each value is: defaults go below the file, the
    /// rest above it.
    pub fn load(
        parsed: &Config,
        matches: &ArgMatches,
        file: Option<&Path>,
    ) -> anyhow::Result<Settings> {
        let known = settings();
        let known: Vec<&str> = known.iter().map(|arg| arg.get_id().as_str()).collect();
        let Value::Dict(_, values) =
            Value::serialize(parsed).context("a path in the settings is not UTF-8")?
        else {
            anyhow::bail!("the settings are not a table");
        };
        let (mut defaults, mut environment, mut flags) = (Dict::new(), Dict::new(), Dict::new());
        for (key, value) in values {
            let layer = match matches.value_source(&key) {
                Some(ValueSource::EnvVariable) => &mut environment,
                Some(ValueSource::CommandLine) => &mut flags,
                _ => &mut defaults,
            };
            layer.insert(key, value);
        }
        let named = |name: &'static str, values| Layer {
            metadata: Metadata::named(name),
            values,
        };
        let mut figment = Figment::from(named(DEFAULTS, defaults));
        if let Some(path) = file {
            figment = figment.merge(file_layer(path, &known)?);
        }
        let figment = figment
            .merge(named(ENVIRONMENT, environment))
            .merge(named(COMMAND_LINE, flags));
        let config = figment
            .extract::<Config>()
            .map_err(|error| invalid(error, file))?;
        Ok(Settings {
            config,
            figment,
            file: file.map(Path::to_owned),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn into_config(self) -> Config {
        self.config
    }

    /// The effective settings, one `key = value  # origin` line each, in
    /// TOML so that they can be pasted into a config file. The database
    /// password is hidden; unset options say what they fall back to.
    pub fn report(&self) -> String {
        let mut lines = Vec::new();
        for arg in settings() {
            let key = arg.get_id().as_str();
            let origin = self.origin(&arg);
            let value = self
                .figment
                .find_value(key)
                .ok()
                .filter(|value| !matches!(value, Value::Empty(..)));
            let line = match (key, value) {
                ("database_url", _) => {
                    format!("{key} = {}", json(&redact_url(&self.config.database_url)))
                }
                (_, Some(value)) => format!("{key} = {}", json(&value)),
                ("signing_key", None) => format!(
                    "{key} = {}",
                    json(&self.config.signing_key_path().display().to_string())
                ),
                ("audit_key", None) => format!(
                    "{key} = {}",
                    json(&self.config.audit_key_path().display().to_string())
                ),
                ("node_id", None) => format!("{key} = {}", json(&self.config.node())),
                ("db_max_connections", None) => {
                    format!("# {key} is not set: 8 on SQLite, 32 on PostgreSQL")
                }
                (_, None) => format!("# {key} is not set"),
            };
            lines.push((line, origin));
        }
        let width = lines.iter().map(|(line, _)| line.len()).max().unwrap_or(0);
        let mut report = match &self.file {
            Some(path) => format!("# effective configuration, with {}\n", path.display()),
            None => "# effective configuration, with no config file\n".to_owned(),
        };
        for (line, origin) in lines {
            report.push_str(&format!("{line:<width$}  # {origin}\n"));
        }
        report
    }

    /// Where the value of `arg` came from: `default`, the file, its
    /// variable or its flag.
    fn origin(&self, arg: &clap::Arg) -> String {
        let key = arg.get_id().as_str();
        match self.figment.find_metadata(key).map(|m| &*m.name) {
            Some(FILE) => match &self.file {
                Some(path) => path.display().to_string(),
                None => FILE.to_owned(),
            },
            Some(ENVIRONMENT) => arg
                .get_env()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| ENVIRONMENT.to_owned()),
            Some(COMMAND_LINE) => format!("--{}", arg.get_long().unwrap_or(key)),
            _ => DEFAULTS.to_owned(),
        }
    }
}

/// Figment's errors (about values of the file: clap has checked the
/// others), each as `FILE: key `name`: what is wrong`.
fn invalid(error: figment::Error, file: Option<&Path>) -> anyhow::Error {
    let messages: Vec<String> = error
        .into_iter()
        .map(|error| {
            let origin = match (&error.metadata, file) {
                (Some(metadata), Some(path)) if metadata.name == FILE => path.display().to_string(),
                (Some(metadata), _) => metadata.name.to_string(),
                (None, _) => "configuration".to_owned(),
            };
            match error.path.join(".") {
                key if key.is_empty() => format!("{origin}: {}", error.kind),
                key => format!("{origin}: key `{key}`: {}", error.kind),
            }
        })
        .collect();
    anyhow::anyhow!("{}", messages.join("\n"))
}

/// A value as JSON, whose strings, numbers and arrays TOML reads too.
fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"?\"".to_owned())
}

/// The settings of a TOML config file, every key a known one.
fn file_layer(path: &Path, known: &[&str]) -> anyhow::Result<Layer> {
    use figment::providers::{Format, Toml};
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    let values: Dict = Toml::from_str(&text).map_err(|error| {
        // The file used to hold `LIENTHONG_NAME=value` lines.
        let hint = if text
            .lines()
            .any(|l| l.trim_start().starts_with("LIENTHONG_"))
        {
            "\nthe config file is TOML, with keys named like the flags: \
             `listen = \"0.0.0.0:8080\"`, not `LIENTHONG_LISTEN=0.0.0.0:8080`"
        } else {
            ""
        };
        anyhow::anyhow!("{}: {error}{hint}", path.display())
    })?;
    let unknown: Vec<String> = values
        .keys()
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| match nearest(key, known) {
            Some(name) => format!(
                "{}: unknown key `{key}`; did you mean `{name}`?",
                path.display()
            ),
            None => format!("{}: unknown key `{key}`", path.display()),
        })
        .collect();
    if !unknown.is_empty() {
        anyhow::bail!("{}", unknown.join("\n"));
    }
    Ok(Layer {
        metadata: Metadata::from(FILE, path),
        values,
    })
}

/// The known name closest to a misspelt `key` (a variable's name or a
/// flag's spelling included), if one is close enough.
fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let key = key
        .trim_start_matches('-')
        .to_ascii_lowercase()
        .replace('-', "_");
    let key = key.strip_prefix("lienthong_").unwrap_or(&key);
    let (distance, name) = known
        .iter()
        .map(|name| (strsim::osa_distance(key, name), *name))
        .min_by_key(|(distance, _)| *distance)?;
    (distance <= (key.len() / 3).clamp(1, 3)).then_some(name)
}

#[cfg(test)]
mod tests;

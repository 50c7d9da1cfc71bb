//! The `lienthong` command: `serve` (the default), `migrate`, `seed`,
//! `token` and `schema`. Every flag is also a `LIENTHONG_*` variable, and
//! `--config FILE` reads such variables from a file.

use crate::access::cache::AccessCache;
use crate::auth::ScopeSet;
use crate::auth::keys::SigningKeys;
use crate::config::{Config, LogFormat, file_settings};
use crate::http::AppState;
use crate::seed::{self, SeedSize};
use crate::startup::{Application, issue_agency_token};
use crate::{db, graphql};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "lienthong",
    version,
    about = "The GraphQL API of the national data-sharing hub"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the hub (the default command).
    Serve {
        #[command(flatten)]
        config: Config,
    },
    /// Create or upgrade the database schema and reference data, then exit.
    Migrate {
        #[command(flatten)]
        config: Config,
    },
    /// Load deterministic demo data into an empty database, in bulk.
    Seed {
        #[command(flatten)]
        config: Config,
        /// Citizens to create (in households).
        #[arg(long, default_value_t = 10_000)]
        citizens: u64,
        /// Enterprises to create.
        #[arg(long, default_value_t = 2_000)]
        enterprises: u64,
        /// Land parcels to create (with their land rights).
        #[arg(long, default_value_t = 10_000)]
        parcels: u64,
        /// Random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
    },
    /// Print a signed access token for an agency.
    Token {
        #[command(flatten)]
        config: Config,
        /// Agency code, e.g. UBND-68.
        #[arg(long)]
        agency: String,
        /// Ask for fewer scopes than the agency has (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Lifetime in seconds (default: the configured token TTL).
        #[arg(long)]
        ttl: Option<i64>,
    },
    /// Register an agency and print its client secret (shown once), e.g.
    /// the hub operator of a production database, which then registers the
    /// others through the API.
    RegisterAgency {
        #[command(flatten)]
        config: Config,
        /// Agency code, e.g. TTDLQG.
        #[arg(long)]
        code: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// hub, ministry or province.
        #[arg(long, value_parser = ["hub", "ministry", "province"])]
        kind: String,
        /// For a province agency, its province code.
        #[arg(long)]
        province_code: Option<String>,
        /// Datasets it owns (repeatable): population, land, enterprise.
        #[arg(long = "owns", value_parser = ["population", "land", "enterprise"])]
        owns: Vec<String>,
    },
    /// Check the access log.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk every node's hash chain: report the rows checked, or exit
    /// non-zero naming the first row altered, inserted or removed.
    Verify {
        #[command(flatten)]
        config: Config,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    match run(std::env::args_os().collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut args: Vec<OsString>) -> anyhow::Result<()> {
    apply_config_file(&args)?;
    // `lienthong` alone, or with only flags, means `lienthong serve`.
    let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("-");
    if first.starts_with('-') && !matches!(first, "-h" | "--help" | "-V" | "--version") {
        args.insert(1, "serve".into());
    }
    let cli = Cli::parse_from(args);
    let log_format = match &cli.command {
        Command::Serve { config }
        | Command::Migrate { config }
        | Command::Seed { config, .. }
        | Command::Token { config, .. }
        | Command::RegisterAgency { config, .. }
        | Command::Audit {
            action: AuditCommand::Verify { config },
        } => config.log_format,
        Command::Schema => LogFormat::Text,
    };
    init_tracing(log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(execute(cli.command))
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { config } => {
            let demo = config.demo;
            let app = Application::build(config).await?;
            if demo {
                app.print_demo_banner().await?;
            } else {
                tracing::info!(port = app.port(), "serving");
            }
            app.run_until_stopped().await?;
        }
        Command::Audit {
            action: AuditCommand::Verify { config },
        } => {
            let db = db::connect(&config.database_url, config.db_max_connections, None).await?;
            let report = crate::audit::verify::verify(&db.conn)
                .await
                .context("the access log is not intact")?;
            println!(
                "access log intact: {} rows checked in {} chains",
                report.rows, report.chains
            );
        }
        Command::Migrate { config } => {
            let db = db::connect(&config.database_url, config.db_max_connections, None).await?;
            db::migrate(&db.conn).await?;
            println!("database is up to date");
        }
        Command::Seed {
            config,
            citizens,
            enterprises,
            parcels,
            seed: random_seed,
        } => {
            let db = db::connect(&config.database_url, config.db_max_connections, None).await?;
            db::migrate(&db.conn).await?;
            seed::ensure_demo_agencies(&db.conn).await?;
            let size = SeedSize {
                citizens,
                enterprises,
                parcels,
            };
            let report = seed::seed(&db.conn, size, random_seed, true).await?;
            println!("seeded {report}");
        }
        Command::Token {
            config,
            agency,
            scopes,
            ttl,
        } => {
            let requested = if scopes.is_empty() {
                None
            } else {
                Some(ScopeSet::parse(&scopes.join(" ")).map_err(anyhow::Error::msg)?)
            };
            let db = db::connect(&config.database_url, config.db_max_connections, None).await?;
            db::migrate(&db.conn).await?;
            if config.demo {
                seed::ensure_demo_agencies(&db.conn).await?;
            }
            let keys = SigningKeys::load_or_create(&config.signing_key_path(), config.demo)?
                .with_previous(&config.previous_signing_keys)?;
            let metrics = Arc::new(crate::metrics::Metrics::default());
            let audit = crate::audit::writer::AuditWriter::start(
                db.conn.clone(),
                &config.node(),
                std::time::Duration::from_secs(5),
                metrics.clone(),
            );
            let state = AppState {
                schema: graphql::build_schema(),
                cache: AccessCache::new(db.conn.clone()),
                db,
                keys: Arc::new(keys),
                tokens: config.token_settings(),
                token_ttl: config.token_ttl,
                rate: Arc::new(crate::limits::RateLimits::new(
                    config.rate_per_second,
                    config.rate_burst,
                )),
                limits: config.limits(),
                audit,
                metrics,
                feed: Arc::new(crate::registers::feed::Feed::default()),
                verified: Default::default(),
                login: Arc::new(crate::access::login::LoginGuard::new(config.login())),
            };
            let issued =
                issue_agency_token(&state, &agency, requested, ttl.unwrap_or(config.token_ttl))
                    .await?;
            println!("{}", issued.token);
        }
        Command::RegisterAgency {
            config,
            code,
            name,
            kind,
            province_code,
            owns,
        } => {
            use entities::access::{AgencyKind, Dataset};
            let db = db::connect(&config.database_url, config.db_max_connections, None).await?;
            db::migrate(&db.conn).await?;
            let kind = match kind.as_str() {
                "hub" => AgencyKind::Hub,
                "province" => AgencyKind::Province,
                _ => AgencyKind::Ministry,
            };
            let owns = owns
                .iter()
                .map(|d| match d.as_str() {
                    "population" => Dataset::Population,
                    "land" => Dataset::Land,
                    _ => Dataset::Enterprise,
                })
                .collect();
            let input = crate::access::service::NewAgency {
                code,
                name,
                kind,
                province_code,
                owns,
            };
            let (agency, secret) = crate::access::service::register_agency(&db.conn, input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "registered {}; client secret (shown once): {secret}",
                agency.code
            );
        }
        Command::Schema => print!("{}", graphql::sdl()),
    }
    Ok(())
}

/// Sets the `LIENTHONG_*` variables of `--config FILE` (or
/// `LIENTHONG_CONFIG`) that the environment does not already set, so that
/// flags override the environment, which overrides the file.
fn apply_config_file(args: &[OsString]) -> anyhow::Result<()> {
    let mut path = std::env::var_os("LIENTHONG_CONFIG");
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy();
        if text == "--config" {
            path = iter.next().cloned();
        } else if let Some(value) = text.strip_prefix("--config=") {
            path = Some(value.into());
        }
    }
    let Some(path) = path else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading config file {}", path.to_string_lossy()))?;
    let settings = file_settings(&text)
        .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.to_string_lossy()))?;
    for (key, value) in settings {
        if std::env::var_os(&key).is_none() {
            // SAFETY: called at the start of `main`, before the runtime or
            // any other thread exists.
            unsafe { std::env::set_var(key, value) };
        }
    }
    Ok(())
}

/// Installs the global log subscriber (`RUST_LOG` filters it).
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

//! The `lienthong` command: `serve` (the default), `migrate`, `seed`,
//! `token`, `register-agency`, `reset-client-secret`, `set-agency-status`,
//! `audit verify`, `config check` and `schema`. Every flag is also a
//! `LIENTHONG_*` variable and a key of the TOML file of `--config FILE`
//! (see [`crate::config`] for the order in which they override one another).

use crate::config::{Config, LogFormat, Settings};
use crate::telemetry::{self, Export};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

mod commands;

#[derive(Parser)]
#[command(
    name = "lienthong",
    version,
    about = "The GraphQL API of the national data-sharing hub"
)]
struct Cli {
    /// A TOML file of settings named like the flags, with underscores
    /// (`max_depth = 16`); the environment and the flags override it.
    /// Accepted before or after the command.
    #[arg(long, global = true, env = "LIENTHONG_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

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
        /// Only here, on the server, is an agency made an owner: the API
        /// never gives ownership.
        #[arg(long = "owns", value_parser = ["population", "land", "enterprise"])]
        owns: Vec<String>,
    },
    /// Give an agency a new client secret and print it (shown once), e.g.
    /// a data owner that lost its own: the API lets no one else rotate an
    /// owner's secret. Recorded as a rotation by `server`.
    ResetClientSecret {
        #[command(flatten)]
        config: Config,
        /// Agency code, e.g. BCA.
        #[arg(long)]
        code: String,
    },
    /// Suspend or reactivate an agency, including a data owner (whose
    /// status the API does not change).
    SetAgencyStatus {
        #[command(flatten)]
        config: Config,
        /// Agency code, e.g. BCA.
        #[arg(long)]
        code: String,
        /// active or suspended.
        #[arg(long, value_parser = ["active", "suspended"])]
        status: String,
    },
    /// Check the access log.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

impl Command {
    /// The settings this command runs with, if it uses any.
    fn config_mut(&mut self) -> Option<&mut Config> {
        match self {
            Command::Serve { config }
            | Command::Migrate { config }
            | Command::Seed { config, .. }
            | Command::Token { config, .. }
            | Command::RegisterAgency { config, .. }
            | Command::ResetClientSecret { config, .. }
            | Command::SetAgencyStatus { config, .. }
            | Command::Audit {
                action: AuditCommand::Verify { config },
            }
            | Command::Config {
                action: ConfigCommand::Check { config },
            } => Some(config),
            Command::Schema => None,
        }
    }
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration, each value with where it came
    /// from (default, config file, environment variable or flag), the
    /// database password hidden; exit non-zero if it is invalid.
    Check {
        #[command(flatten)]
        config: Config,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk every node's hash chain and check its batch MACs with the audit
    /// key: report the rows checked, or exit non-zero naming the first row
    /// altered, inserted or removed, or the first batch whose MAC does not
    /// match.
    Verify {
        #[command(flatten)]
        config: Config,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    match run(std::env::args_os().collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => match error.downcast::<clap::Error>() {
            // Usage errors, `--help` and `--version`, as clap prints them.
            Ok(error) => error.exit(),
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// A command line, parsed, with its settings layered.
pub(crate) struct Invocation {
    command: Command,
    pub(crate) settings: Option<Settings>,
}

/// Parses `args` (the program's name first) and loads the settings of the
/// command: defaults, the `--config` file, the environment, the flags.
pub(crate) fn parse(args: Vec<OsString>) -> anyhow::Result<Invocation> {
    let matches = Cli::command().try_get_matches_from(with_default_command(args))?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    let settings = match cli.command.config_mut() {
        Some(config) => {
            let settings =
                Settings::load(config, command_matches(&matches), cli.config.as_deref())?;
            config.clone_from(settings.config());
            Some(settings)
        }
        None => None,
    };
    Ok(Invocation {
        command: cli.command,
        settings,
    })
}

/// `lienthong` alone, or with only flags, means `lienthong serve`; a
/// `--config FILE` before the command does not count as a flag of `serve`.
fn with_default_command(mut args: Vec<OsString>) -> Vec<OsString> {
    let mut at = 1;
    while let Some(arg) = args.get(at).and_then(|a| a.to_str()) {
        match arg {
            "--config" => at += 2,
            _ if arg.starts_with("--config=") => at += 1,
            "-h" | "--help" | "-V" | "--version" => return args,
            _ if arg.starts_with('-') => break,
            _ => return args,
        }
    }
    args.insert(at.min(args.len()), "serve".into());
    args
}

/// The matches of the innermost command, where its `Config` is flattened.
fn command_matches(matches: &ArgMatches) -> &ArgMatches {
    match matches.subcommand() {
        Some((_, inner)) => command_matches(inner),
        None => matches,
    }
}

fn run(args: Vec<OsString>) -> anyhow::Result<()> {
    let Invocation { command, settings } = parse(args)?;
    if let (Command::Config { .. }, Some(settings)) = (&command, &settings) {
        print!("{}", settings.report());
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let log_format = settings
        .as_ref()
        .map_or(LogFormat::Text, |s| s.config().log_format);
    let export = settings.as_ref().and_then(|settings| {
        let config = settings.config();
        config.otlp_endpoint.clone().map(|endpoint| Export {
            endpoint,
            node: config.node(),
            runtime: runtime.handle().clone(),
        })
    });
    let telemetry = telemetry::init(log_format, export)?;
    let result = runtime.block_on(commands::execute(command));
    // The runtime still runs the last exports.
    telemetry.shutdown();
    result
}

/// Installs the global log subscriber (`RUST_LOG` filters it), without
/// exporting spans; for the tests. Does nothing if one is installed.
pub fn init_tracing(format: LogFormat) {
    let _ = telemetry::init(format, None);
}

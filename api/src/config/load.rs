//! Loading the configuration: clap reads the flags and the environment,
//! then `figment` merges defaults, the TOML file, the environment and the
//! flags in that order, keeping each value's origin for `lienthong config
//! check`; an unknown key in the file is refused with the nearest name.
//! The settings themselves are [`Config`] in `mod.rs`.

use super::{Config, redact_url};
use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::Serialize;
use std::path::{Path, PathBuf};

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

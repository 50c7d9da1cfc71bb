//! Unit tests of `config`.

use super::*;
use anyhow::Context;

#[test]
fn passwords_are_redacted() {
    assert_eq!(
        redact_url("postgres://hub:s3cret@db.internal/lienthong"),
        "postgres://hub:***@db.internal/lienthong"
    );
    assert_eq!(
        redact_url("sqlite://lienthong.db?mode=rwc"),
        "sqlite://lienthong.db?mode=rwc"
    );
}

#[test]
fn key_defaults_beside_the_sqlite_file() {
    assert_eq!(
        sqlite_file("sqlite:///var/lib/hub/data.db?mode=rwc"),
        Some(PathBuf::from("/var/lib/hub/data.db"))
    );
    assert_eq!(sqlite_file("sqlite::memory:"), None);
}

/// The audit key lies beside the signing key unless it is configured.
#[test]
fn the_audit_key_defaults_beside_the_signing_key() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }
    let parsed = Cli::parse_from(["lienthong", "--signing-key", "/etc/hub/signing.pem"]);
    assert_eq!(
        parsed.config.audit_key_path(),
        PathBuf::from("/etc/hub/signing.audit.key")
    );
    let parsed = Cli::parse_from(["lienthong", "--audit-key", "/secrets/audit.key"]);
    assert_eq!(
        parsed.config.audit_key_path(),
        PathBuf::from("/secrets/audit.key")
    );
}

/// A TOML file that lives as long as the test.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let file = format!("lienthong-{}-{name}.toml", std::process::id());
        let path = std::env::temp_dir().join(file);
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Environment variables set for one test, removed when it ends.
struct EnvVars(Vec<&'static str>);

impl EnvVars {
    fn set(vars: &[(&'static str, &str)]) -> EnvVars {
        for (name, value) in vars {
            // SAFETY: std serialises environment access, and only this
            // test reads these variables (the other tests here set and
            // check other settings).
            unsafe { std::env::set_var(name, value) };
        }
        EnvVars(vars.iter().map(|(name, _)| *name).collect())
    }
}

impl Drop for EnvVars {
    fn drop(&mut self) {
        for name in &self.0 {
            // SAFETY: as in `set`.
            unsafe { std::env::remove_var(name) };
        }
    }
}

/// The settings of `lienthong ARGS…`, as the real command line loads them.
fn load(args: &[&str]) -> anyhow::Result<Settings> {
    let args = std::iter::once("lienthong")
        .chain(args.iter().copied())
        .map(std::ffi::OsString::from)
        .collect();
    crate::cli::parse(args)?
        .settings
        .context("the command has no settings")
}

/// Each layer overrides the one before: defaults, file, environment, flags.
#[test]
fn config_file_yields_to_the_environment_which_yields_to_flags() -> anyhow::Result<()> {
    let file = TempFile::new(
        "precedence",
        "max_depth = 12\nmax_aliases = 7\nmax_root_fields = 5\n\
         log_format = \"json\"\nprevious_signing_keys = [\"a.pem\", \"b.pem\"]\n",
    );
    let _env = EnvVars::set(&[
        ("LIENTHONG_MAX_ALIASES", "8"),
        ("LIENTHONG_MAX_ROOT_FIELDS", "9"),
    ]);
    let settings = load(&["serve", "--config", file.path(), "--max-root-fields", "10"])?;
    let config = settings.config();
    assert_eq!(config.max_complexity, 50_000, "default");
    assert_eq!(config.max_depth, 12, "file over default");
    assert_eq!(config.max_aliases, 8, "environment over file");
    assert_eq!(config.max_root_fields, 10, "flag over environment");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(
        config.previous_signing_keys,
        [PathBuf::from("a.pem"), PathBuf::from("b.pem")]
    );

    let report = settings.report();
    let line = |key: &str| {
        report
            .lines()
            .find(|line| line.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in\n{report}"))
            .to_owned()
    };
    assert!(line("max_complexity").ends_with("# default"), "{report}");
    assert!(line("max_depth").ends_with(&format!("# {}", file.path())));
    assert!(line("max_aliases").ends_with("# LIENTHONG_MAX_ALIASES"));
    assert!(line("max_root_fields").starts_with("max_root_fields = 10 "));
    assert!(line("max_root_fields").ends_with("# --max-root-fields"));
    Ok(())
}

/// `--config FILE` is read before the command, after it, or from the
/// default command's flags.
#[test]
fn config_is_accepted_before_and_after_the_command() -> anyhow::Result<()> {
    let file = TempFile::new("position", "max_depth = 12\n");
    let with_equals = format!("--config={}", file.path());
    let path = file.path();
    for args in [
        &["--config", path, "serve"][..],
        &["serve", "--config", path],
        &["--config", path],
        &[&with_equals],
        &["--config", path, "--listen", "127.0.0.1:9"],
        &["migrate", &with_equals],
        &["audit", "verify", "--config", path],
        &["--config", path, "config", "check"],
    ] {
        let settings = load(args)?;
        assert_eq!(settings.config().max_depth, 12, "lienthong {args:?}");
    }
    Ok(())
}

/// A misspelt key stops startup, naming the file, the key and the fix.
#[test]
fn unknown_keys_are_refused_with_the_nearest_name() {
    let refusal = |name: &str, text: &str| {
        let file = TempFile::new(name, text);
        let error = load(&["--config", file.path()]).err().expect("refused");
        (file.path().to_owned(), format!("{error:#}"))
    };
    let (path, error) = refusal("misspelt", "databse_url = \"sqlite::memory:\"\n");
    assert_eq!(
        error,
        format!("{path}: unknown key `databse_url`; did you mean `database_url`?")
    );
    let (_, error) = refusal("variable", "LIENTHONG_MAX_DEPTH = 3\n");
    assert!(error.ends_with("did you mean `max_depth`?"), "{error}");
    let (_, error) = refusal("stranger", "colour = \"blue\"\n");
    assert!(error.ends_with("unknown key `colour`"), "{error}");
    let (_, error) = refusal("old-format", "LIENTHONG_LISTEN=0.0.0.0:8080\n");
    assert!(error.contains("`listen = \"0.0.0.0:8080\"`"), "{error}");
    let (path, error) = refusal("mistyped", "max_depth = \"deep\"\n");
    assert!(
        error.contains("max_depth") && error.contains(&path),
        "{error}"
    );
}

/// `config check` hides the database password.
#[test]
fn the_report_hides_the_database_password() -> anyhow::Result<()> {
    let url = "postgres://hub:s3cret@db.internal/lienthong";
    let settings = load(&["config", "check", "--database-url", url])?;
    let report = settings.report();
    assert!(!report.contains("s3cret"), "{report}");
    assert!(report.contains("postgres://hub:***@db.internal/lienthong"));
    assert!(!format!("{:?}", settings.config()).contains("s3cret"));
    Ok(())
}

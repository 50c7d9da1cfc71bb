//! The `lienthong` binary loads its settings in layers (defaults, the TOML
//! file of `--config`, `LIENTHONG_*` variables, flags), and `lienthong
//! config check` shows the result.

use std::process::{Command, Output};

/// Runs `lienthong ARGS…` with only the given `LIENTHONG_*` variables set.
fn lienthong(args: &[&str], vars: &[(&str, &str)]) -> anyhow::Result<Output> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lienthong"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LIENTHONG_") {
            command.env_remove(name);
        }
    }
    Ok(command.args(args).envs(vars.iter().copied()).output()?)
}

/// The line of `key` in a `config check` report.
fn line<'a>(report: &'a str, key: &str) -> &'a str {
    report
        .lines()
        .find(|line| line.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in\n{report}"))
}

/// `config check` prints each effective value with the layer it came from.
#[test]
fn config_check_prints_the_effective_settings_and_their_origin() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("hub.toml");
    std::fs::write(
        &file,
        "listen = \"0.0.0.0:9000\"\nmax_depth = 12\nmax_aliases = 7\n",
    )?;
    let file = file.to_str().expect("a UTF-8 path");
    let output = lienthong(
        &["config", "check", "--config", file, "--rate-burst", "5"],
        &[("LIENTHONG_MAX_ALIASES", "8")],
    )?;
    assert!(output.status.success(), "{output:?}");
    let report = String::from_utf8(output.stdout)?;
    let from_file = format!("# {file}");
    assert!(line(&report, "listen").starts_with("listen = \"0.0.0.0:9000\" "));
    assert!(line(&report, "listen").ends_with(&from_file), "{report}");
    assert!(line(&report, "max_depth").starts_with("max_depth = 12 "));
    assert!(line(&report, "max_depth").ends_with(&from_file));
    assert!(line(&report, "max_aliases").starts_with("max_aliases = 8 "));
    assert!(line(&report, "max_aliases").ends_with("# LIENTHONG_MAX_ALIASES"));
    assert!(line(&report, "rate_burst").starts_with("rate_burst = 5 "));
    assert!(line(&report, "rate_burst").ends_with("# --rate-burst"));
    assert!(line(&report, "max_complexity").starts_with("max_complexity = 50000 "));
    assert!(line(&report, "max_complexity").ends_with("# default"));
    Ok(())
}

/// `LIENTHONG_CONFIG` names the file as `--config` does, which may also
/// come before the command.
#[test]
fn the_file_may_come_from_the_environment_or_before_the_command() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("hub.toml");
    std::fs::write(&file, "max_depth = 12\n")?;
    let file = file.to_str().expect("a UTF-8 path");
    for output in [
        lienthong(&["config", "check"], &[("LIENTHONG_CONFIG", file)])?,
        lienthong(&["--config", file, "config", "check"], &[])?,
    ] {
        assert!(output.status.success(), "{output:?}");
        let report = String::from_utf8(output.stdout)?;
        assert!(line(&report, "max_depth").starts_with("max_depth = 12 "));
    }
    Ok(())
}

/// A misspelt key stops the command with the nearest valid name.
#[test]
fn a_misspelt_key_is_refused_with_a_suggestion() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("hub.toml");
    std::fs::write(&file, "databse_url = \"sqlite::memory:\"\n")?;
    let file = file.to_str().expect("a UTF-8 path");
    let output = lienthong(&["config", "check", "--config", file], &[])?;
    assert!(!output.status.success(), "{output:?}");
    let error = String::from_utf8(output.stderr)?;
    assert!(
        error.contains(&format!(
            "{file}: unknown key `databse_url`; did you mean `database_url`?"
        )),
        "{error}"
    );
    assert!(output.stdout.is_empty());
    Ok(())
}

/// The database password never reaches the report.
#[test]
fn config_check_hides_the_database_password() -> anyhow::Result<()> {
    let url = "postgres://hub:s3cret@db.internal/lienthong";
    let output = lienthong(&["config", "check"], &[("LIENTHONG_DATABASE_URL", url)])?;
    assert!(output.status.success(), "{output:?}");
    let report = String::from_utf8(output.stdout)?;
    assert!(!report.contains("s3cret"), "{report}");
    assert!(line(&report, "database_url").contains("postgres://hub:***@db.internal"));
    assert!(line(&report, "database_url").ends_with("# LIENTHONG_DATABASE_URL"));
    Ok(())
}

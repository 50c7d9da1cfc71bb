//! What an operator sees of a running hub, on the real binary: start-up
//! failures said plainly, before any migration.

use crate::helpers::{eventually, free_port, spawn_app};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `lienthong ARGS…` with no `LIENTHONG_*` or `NO_COLOR` variable of the
/// test's environment.
fn lienthong() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lienthong"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("LIENTHONG_") || name.starts_with("OTEL_") || name == "NO_COLOR" {
            command.env_remove(&*name);
        }
    }
    command.env_remove("RUST_LOG");
    command
}

/// Runs `lienthong ARGS…` to its end, which must come within `within`.
fn run_to_end(command: &mut Command, within: Duration) -> anyhow::Result<Output> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + within;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            anyhow::bail!("still running after {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child.wait_with_output()?)
}

/// `serve` on `listen` with a SQLite database in `dir` and the signing
/// key `key`.
fn serve_in(dir: &Path, listen: &str, key: &Path) -> Command {
    let mut command = lienthong();
    command
        .args(["serve", "--listen", listen])
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}?mode=rwc",
            dir.join("hub.db").display()
        ))
        .arg("--signing-key")
        .arg(key);
    command
}

/// A port in use is said plainly, before anything is created or migrated.
#[test]
fn a_busy_port_stops_startup_before_any_migration() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let busy = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = busy.local_addr()?.port();
    let output = run_to_end(
        &mut serve_in(
            dir.path(),
            &format!("127.0.0.1:{port}"),
            &dir.path().join("hub.key"),
        ),
        Duration::from_secs(20),
    )?;
    assert!(!output.status.success(), "{output:?}");
    let error = String::from_utf8(output.stderr)?;
    assert!(
        error.contains(&format!(
            "error: cannot listen on 127.0.0.1:{port}: the address is already in use"
        )),
        "{error}"
    );
    assert!(!dir.path().join("hub.db").exists(), "no database created");
    assert!(!dir.path().join("hub.key").exists(), "no key created");
    Ok(())
}

/// An unreachable PostgreSQL is said with its cause, quickly, never with
/// the password.
#[test]
fn an_unreachable_database_is_said_with_its_cause() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let started = Instant::now();
    let output = run_to_end(
        lienthong()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args([
                "--database-url",
                "postgres://hub:s3cret@127.0.0.1:1/lienthong",
            ])
            .arg("--signing-key")
            .arg(dir.path().join("hub.key")),
        Duration::from_secs(20),
    )?;
    assert!(!output.status.success(), "{output:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let error = String::from_utf8(output.stderr)?;
    assert!(
        error.contains(
            "error: cannot reach the database at postgres://hub:***@127.0.0.1:1/lienthong: connection refused"
        ),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "{error}");
    // The other commands say it the same way.
    let output = run_to_end(
        lienthong().args([
            "migrate",
            "--database-url",
            "postgres://hub:s3cret@127.0.0.1:1/lienthong",
        ]),
        Duration::from_secs(20),
    )?;
    assert!(!output.status.success());
    assert!(String::from_utf8(output.stderr)?.contains(
        "cannot reach the database at postgres://hub:***@127.0.0.1:1/lienthong: connection refused"
    ));
    Ok(())
}

/// A key whose folder does not exist is named before the database is
/// touched.
#[test]
fn a_missing_key_folder_is_named_before_the_database_is_touched() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let missing = dir.path().join("no-such-folder").join("hub.key");
    let output = run_to_end(
        &mut serve_in(dir.path(), &format!("127.0.0.1:{port}"), &missing),
        Duration::from_secs(20),
    )?;
    assert!(!output.status.success(), "{output:?}");
    let error = String::from_utf8(output.stderr)?;
    assert!(
        error.contains(&format!(
            "the signing key {} cannot be kept: its folder {}: it does not exist",
            missing.display(),
            dir.path().join("no-such-folder").display()
        )),
        "{error}"
    );
    assert!(!dir.path().join("hub.db").exists(), "no database created");
    Ok(())
}

/// `localhost:PORT` is an address to listen on; an address without a
/// port is refused by name.
#[tokio::test]
async fn localhost_is_an_address_to_listen_on() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let port = free_port()?;
    let config = app.config();
    let mut child = lienthong()
        .args(["serve", "--demo", "false"])
        .args(["--database-url", &config.database_url])
        .args(["--listen", &format!("localhost:{port}")])
        .arg("--signing-key")
        .arg(config.signing_key_path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let ready = eventually("the hub on localhost", Duration::from_secs(30), || {
        let request = app
            .client
            .get(format!("http://localhost:{port}/readyz"))
            .send();
        async move { Ok(request.await.is_ok_and(|r| r.status() == 200).then_some(())) }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    ready?;
    let output = run_to_end(
        lienthong().args(["config", "check", "--listen", "localhost"]),
        Duration::from_secs(20),
    )?;
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)?.contains("\"localhost\" is not an address to listen on")
    );
    Ok(())
}

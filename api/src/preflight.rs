//! Checks before the hub touches its data, each failure said plainly with
//! its cause: the listen address can be bound (and the listener is kept),
//! the key files' folder is there, and the database can be reached (one
//! connection, not a pool that retries until it times out). A password in
//! the database URL is never shown.

use crate::config::{Listen, redact_url};
use sea_orm::sqlx;
use std::path::Path;
use std::time::Duration;
use tokio::net::TcpListener;

/// The longest wait for the database to answer a first connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds `listen`, trying each address its host resolves to in turn.
pub async fn bind(listen: &Listen) -> anyhow::Result<TcpListener> {
    let addresses = listen
        .resolve()
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {}", io_cause(&e)))?;
    let mut refused = None;
    for address in addresses {
        match TcpListener::bind(address).await {
            Ok(listener) => return Ok(listener),
            Err(error) => refused = Some((address, error)),
        }
    }
    Err(match refused {
        Some((address, error)) => {
            let shown = if listen.to_string() == address.to_string() {
                listen.to_string()
            } else {
                format!("{listen} ({address})")
            };
            let hint = match error.kind() {
                std::io::ErrorKind::AddrInUse => {
                    " (another process listens there: stop it or choose another --listen)"
                }
                _ => "",
            };
            anyhow::anyhow!("cannot listen on {shown}: {}{hint}", io_cause(&error))
        }
        None => anyhow::anyhow!("cannot listen on {listen}: the host has no address"),
    })
}

/// The folder of a key file exists (the file itself is read, or created
/// in demo mode, right after).
pub fn key_folder(what: &str, path: &Path) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => anyhow::bail!(
            "the {what} {} cannot be kept: {} is not a folder",
            path.display(),
            folder.display()
        ),
        Err(error) => anyhow::bail!(
            "the {what} {} cannot be kept: its folder {}: {}",
            path.display(),
            folder.display(),
            io_cause(&error)
        ),
    }
}

/// Opens one connection to the database at `url` and closes it, or says
/// why it cannot: "cannot reach the database at postgres://hub:***@db/x:
/// connection refused".
pub async fn reach_database(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    use std::str::FromStr;
    let shown = redact_url(url);
    if url.starts_with("sqlite:") {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .map_err(|e| anyhow::anyhow!("the database URL {shown} is not valid: {}", cause(&e)))?;
        let connection = sqlx::SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the database {shown}: {}", cause(&e)))?;
        let _ = connection.close().await;
        return Ok(());
    }
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|e| anyhow::anyhow!("the database URL {shown} is not valid: {}", cause(&e)))?;
    let connection =
        tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "cannot reach the database at {shown}: no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| anyhow::anyhow!("cannot reach the database at {shown}: {}", cause(&e)))?;
    let _ = connection.close().await;
    Ok(())
}

/// What went wrong with a connection, in plain words.
fn cause(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(error) => io_cause(error),
        sqlx::Error::Database(error) => error.message().to_owned(),
        sqlx::Error::Tls(error) => format!("TLS: {error}"),
        sqlx::Error::Configuration(error) => error.to_string(),
        other => other.to_string(),
    }
}

/// An I/O error in plain words: "connection refused", not "Connection
/// refused (os error 111)".
pub fn io_cause(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let plain = match error.kind() {
        ErrorKind::ConnectionRefused => "connection refused",
        ErrorKind::AddrInUse => "the address is already in use",
        ErrorKind::AddrNotAvailable => "the address is not one of this machine's",
        ErrorKind::PermissionDenied => "permission denied",
        ErrorKind::NotFound => "it does not exist",
        ErrorKind::TimedOut => "timed out",
        ErrorKind::ConnectionReset => "the connection was reset",
        _ => return error.to_string(),
    };
    plain.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_busy_address_is_said_plainly() {
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = busy.local_addr().unwrap().port();
        let listen: Listen = format!("127.0.0.1:{port}").parse().unwrap();
        let error = bind(&listen).await.unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "cannot listen on 127.0.0.1:{port}: the address is already in use"
            )),
            "{error}"
        );
        let named: Listen = "localhost:0".parse().unwrap();
        let listener = bind(&named).await.unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    }

    #[tokio::test]
    async fn an_unreachable_database_is_said_plainly_without_its_password() {
        let error = reach_database("postgres://hub:s3cret@127.0.0.1:1/lienthong")
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "cannot reach the database at postgres://hub:***@127.0.0.1:1/lienthong: connection refused"
        );
        let error = reach_database("sqlite:///no/such/folder/hub.db?mode=rwc")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot open the database sqlite:///no/such/folder/hub.db"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_key_folder_is_named() {
        let error = key_folder("signing key", Path::new("/no/such/folder/hub.key"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "the signing key /no/such/folder/hub.key cannot be kept: its folder /no/such/folder: it does not exist"
        );
        key_folder("signing key", Path::new("hub.key")).unwrap();
    }
}

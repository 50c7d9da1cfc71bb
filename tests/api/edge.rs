//! The hub's edge under abuse: floods of guesses at `/oauth/token`,
//! impossible credentials, slow and idle connections, and more connections
//! than the cap. Raw sockets stand in for misbehaving clients.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::io::ErrorKind;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The longest any misbehaving connection is given to be dealt with; the
/// configured timeouts in these tests are a few hundred milliseconds.
const AT_MOST: Duration = Duration::from_secs(10);

/// A new client secret for `agency`, rotated by the hub operator.
async fn rotate_secret(app: &TestApp, agency: &str) -> anyhow::Result<String> {
    let body = app
        .graphql_as(
            "TTDLQG",
            "mutation($code: String!) { rotateClientSecret(code: $code) { clientSecret } }",
            json!({ "code": agency }),
        )
        .await?;
    body["data"]["rotateClientSecret"]["clientSecret"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no secret: {body}"))
}

/// `POST /oauth/token` with the credentials in the form.
async fn ask_token(
    app: &TestApp,
    client_id: &str,
    client_secret: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(app
        .client
        .post(format!("{}/oauth/token", app.address))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ])
        .send()
        .await?)
}

/// A raw connection to the hub.
async fn connect(app: &TestApp) -> anyhow::Result<TcpStream> {
    let address = app.address.trim_start_matches("http://");
    Ok(TcpStream::connect(address).await?)
}

/// Writes all of `bytes`.
async fn send(stream: &TcpStream, mut bytes: &[u8]) -> anyhow::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Everything the server sends until it closes the connection; an error
/// if it is still open after `limit`.
async fn read_until_closed(stream: &TcpStream, limit: Duration) -> anyhow::Result<Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut received = Vec::new();
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or_else(|| anyhow::anyhow!("the connection is still open after {limit:?}"))?;
        tokio::time::timeout(left, stream.readable())
            .await
            .map_err(|_| anyhow::anyhow!("the connection is still open after {limit:?}"))??;
        let mut buffer = [0u8; 4096];
        match stream.try_read(&mut buffer) {
            Ok(0) => return Ok(received),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(received),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether the server sends anything on `stream` within `wait`.
async fn answers_within(stream: &TcpStream, wait: Duration) -> bool {
    tokio::time::timeout(wait, stream.readable()).await.is_ok()
}

/// A flood of wrong secrets for one client id is refused with 429 and
/// `Retry-After` once the client is locked out, without running Argon2
/// for each guess, and another agency still gets its token.
#[tokio::test]
async fn a_flood_of_guesses_is_locked_out_and_others_still_get_tokens() -> anyhow::Result<()> {
    // A long queue: the assertions are about refusals, never about speed.
    let app = spawn_app_with(|c| c.login_queue_ms = 60_000).await?;
    let secret = rotate_secret(&app, "UBND-68").await?;
    let other_secret = rotate_secret(&app, "UBND-01").await?;

    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = ask_token(&app, "UBND-01", "a-guess").await?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").cloned();
        let body: Value = response.json().await?;
        if status == 429 {
            assert_eq!(body["error"], "temporarily_unavailable", "{body}");
            let seconds: u64 = retry_after
                .expect("a 429 says when to retry")
                .to_str()?
                .parse()?;
            assert!((1..=60).contains(&seconds), "{seconds}");
        } else {
            assert_eq!(body["error"], "invalid_client", "{body}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    // Locked out: even the right secret waits for the lockout to end.
    let locked = ask_token(&app, "UBND-01", &other_secret).await?;
    assert_eq!(locked.status(), 429);

    // A concurrent flood for another client id: at most its bucket (10)
    // is checked, the rest refused at once; UBND-68 is served meanwhile.
    let flood = futures::future::join_all((0..20).map(|_| ask_token(&app, "BTC", "a-guess")));
    let (flood, own) = tokio::join!(flood, ask_token(&app, "UBND-68", &secret));
    let own = own?;
    assert_eq!(own.status(), 200);
    let body: Value = own.json().await?;
    assert!(body["access_token"].is_string(), "{body}");
    let mut refused = 0;
    for response in flood {
        match response?.status().as_u16() {
            401 => {}
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(refused >= 10, "only {refused} of 20 guesses were refused");
    Ok(())
}

/// Too many token requests from one address are refused with 429 and
/// `Retry-After`, whatever client ids they name.
#[tokio::test]
async fn one_address_is_limited_across_client_ids() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.login_ip_per_minute = 3).await?;
    for id in ["UBND-01", "UBND-02", "UBND-03"] {
        assert_eq!(ask_token(&app, id, "a-guess").await?.status(), 401);
    }
    let refused = ask_token(&app, "UBND-04", "a-guess").await?;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    Ok(())
}

/// An unknown client id, an agency without a secret and a known client
/// with a wrong secret get the same status, headers and bytes.
#[tokio::test]
async fn unknown_and_known_clients_are_refused_alike() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    rotate_secret(&app, "UBND-68").await?;
    let mut answers = Vec::new();
    for id in ["UBND-68", "UBND-99", "BCA"] {
        let response = ask_token(&app, id, "a-guess").await?;
        let status = response.status();
        let headers = ["content-type", "www-authenticate", "cache-control"]
            .map(|name| response.headers().get(name).cloned());
        answers.push((status, headers, response.bytes().await?));
    }
    assert_eq!(answers[0].0, 401);
    assert_eq!(answers[0], answers[1], "unknown client");
    assert_eq!(answers[0], answers[2], "agency without a secret");
    Ok(())
}

/// Client ids and secrets with NUL, CR/LF or over 128 bytes are refused
/// as `invalid_request` before any lookup (never a 503 from the
/// database), in the form and in HTTP Basic; the endpoint serves on.
#[tokio::test]
async fn impossible_credentials_are_refused_before_the_database() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let secret = rotate_secret(&app, "UBND-68").await?;
    let long = "U".repeat(129);
    let cases = [
        ("UBND-68\0", secret.as_str()),
        ("\0", "x"),
        ("UBND\r\n68", secret.as_str()),
        ("UBND-68\n", secret.as_str()),
        (long.as_str(), "x"),
        ("UBND-68", "se\0cret"),
        ("UBND-68", "secret\r\nX-Injected: 1"),
    ];
    for (id, client_secret) in cases {
        let response = ask_token(&app, id, client_secret).await?;
        assert_eq!(response.status(), 400, "{id:?}");
        let body: Value = response.json().await?;
        assert_eq!(body["error"], "invalid_request", "{id:?}: {body}");
    }
    let basic = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .basic_auth("UBND-68\0", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?;
    assert_eq!(basic.status(), 400);
    let body: Value = basic.json().await?;
    assert_eq!(body["error"], "invalid_request", "{body}");

    let response = ask_token(&app, "UBND-68", &secret).await?;
    assert_eq!(response.status(), 200);
    Ok(())
}

/// A connection that sends half a request line and headers, or nothing
/// at all, is closed by the hub after the header timeout.
#[tokio::test]
async fn half_sent_headers_are_cut_off() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.header_timeout_ms = 300).await?;
    let half_line = connect(&app).await?;
    send(&half_line, b"POST /oauth/tok").await?;
    let half_headers = connect(&app).await?;
    send(
        &half_headers,
        b"POST /oauth/token HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-www-form-urlencoded\r\n",
    )
    .await?;
    let silent = connect(&app).await?;
    for stream in [&half_line, &half_headers, &silent] {
        let received = read_until_closed(stream, AT_MOST).await?;
        let text = String::from_utf8_lossy(&received);
        assert!(
            received.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
    let health = app.get("/healthz").await?;
    assert_eq!(health.status(), 200);
    Ok(())
}

/// A request whose body stalls is answered with a 4xx and its connection
/// closed after the body timeout.
#[tokio::test]
async fn a_stalled_body_is_cut_off() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.body_timeout_ms = 300).await?;
    for path in ["/oauth/token", "/graphql"] {
        let stream = connect(&app).await?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\ngrant_type=client"
        );
        send(&stream, head.as_bytes()).await?;
        let received = read_until_closed(&stream, AT_MOST).await?;
        let text = String::from_utf8_lossy(&received);
        assert!(
            text.starts_with("HTTP/1.1 4"),
            "{path}: expected a 4xx, got {text:?}"
        );
    }
    Ok(())
}

/// With the cap at 4 connections and 4 idle ones open, a fifth waits (the
/// hub neither crashes nor serves it) and is served once they close.
#[tokio::test]
async fn the_connection_cap_holds_and_recovers() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.max_connections = 4).await?;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect(&app).await?);
    }
    let fifth = connect(&app).await?;
    send(
        &fifth,
        b"GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert!(
        !answers_within(&fifth, Duration::from_millis(300)).await,
        "a fifth connection was served beyond the cap"
    );
    drop(idle);
    let received = read_until_closed(&fifth, AT_MOST).await?;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("ok"), "{text}");
    Ok(())
}

/// Idle connections that fill the cap are closed at the header timeout,
/// and an ordinary request is then served without anyone closing them.
#[tokio::test]
async fn idle_connections_at_the_cap_time_out() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| {
        c.max_connections = 4;
        c.header_timeout_ms = 300;
    })
    .await?;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect(&app).await?);
    }
    let client = reqwest::Client::builder().timeout(AT_MOST).build()?;
    let health = app.get_with(&client, "/healthz").await?;
    assert_eq!(health.status(), 200);
    for stream in &idle {
        read_until_closed(stream, AT_MOST).await?;
    }
    Ok(())
}

/// On SIGTERM an open WebSocket is told 1001 (going away) instead of being
/// cut, and a client that never finishes its body cannot hold the node
/// past its grace period: the process exits.
#[tokio::test]
async fn a_stopping_node_closes_websockets_and_keeps_its_grace_period() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let port = crate::helpers::free_port()?;
    let mut server = crate::helpers::start_server_with(
        &app,
        port,
        "node-stop",
        &["--shutdown-grace-ms", "1500"],
    )?;
    crate::helpers::wait_ready(&app.client, port).await?;
    let address = format!("http://127.0.0.1:{port}");
    let token = app.token("UBND-68").await?;
    let mut socket = crate::ws::Subscriber::open_at(&address).await?;
    socket
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await?;
    assert_eq!(socket.next().await?["type"], "connection_ack");
    // A request whose body never comes.
    let mut trickle = TcpStream::connect(("127.0.0.1", port)).await?;
    tokio::io::AsyncWriteExt::write_all(
        &mut trickle,
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    )
    .await?;

    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()?;
    assert!(status.success());
    let closed = socket.next().await?;
    assert_eq!(closed["type"], "close", "{closed}");
    assert_eq!(closed["code"], 1001, "{closed}");
    let mut exited = None;
    for _ in 0..200 {
        if let Some(status) = server.try_wait()? {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(_) = exited else {
        let _ = server.kill();
        anyhow::bail!("the node was still running 10 s after SIGTERM");
    };
    eprintln!("exited {:?} after the signal", signalled.elapsed());
    Ok(())
}

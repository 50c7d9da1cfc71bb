//! What an operator sees of a running hub, on the real binary: one log
//! line per request (HTTP and each WebSocket operation) with no personal
//! data, no colour codes when stderr is not a terminal, W3C trace context
//! in and out, spans sent over OTLP/HTTP to a collector (and requests
//! unharmed when there is none), and start-up failures said plainly before
//! any migration.

use crate::helpers::{TestApp, eventually, free_port, spawn_app, wait_ready};
use crate::ws::Subscriber;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
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

/// A hub started as its own process on the test app's database and key,
/// its stderr written to a file.
struct Node {
    child: Child,
    address: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Node {
    async fn start(app: &TestApp, flags: &[&str], vars: &[(&str, &str)]) -> anyhow::Result<Node> {
        let dir = tempfile::tempdir()?;
        let stderr = dir.path().join("stderr.log");
        let port = free_port()?;
        let config = app.config();
        let child = lienthong()
            .args(["serve", "--demo", "false", "--node-id", "node-ops"])
            .args(["--database-url", &config.database_url])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--signing-key")
            .arg(config.signing_key_path())
            .args(["--issuer", &config.issuer, "--audience", &config.audience])
            .args(flags)
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()?;
        let node = Node {
            child,
            address: format!("http://127.0.0.1:{port}"),
            stderr,
            _dir: dir,
        };
        wait_ready(&app.client, port).await?;
        Ok(node)
    }

    /// What the node has written to stderr so far.
    fn log(&self) -> anyhow::Result<String> {
        Ok(std::fs::read_to_string(&self.stderr)?)
    }

    /// The JSON lines of finished requests so far.
    fn request_lines(&self) -> anyhow::Result<Vec<Value>> {
        Ok(self
            .log()?
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["target"] == "lienthong::request")
            .collect())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A personal id of the test data.
async fn a_personal_id(app: &TestApp) -> anyhow::Result<String> {
    let body = app
        .graphql_as(
            "BCA",
            "{ citizens(first: 1) { edges { node { personalId } } } }",
            json!({}),
        )
        .await?;
    Ok(body["data"]["citizens"]["edges"][0]["node"]["personalId"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no citizen: {body}"))?
        .to_owned())
}

/// Every request is one line at INFO with the agency, the operation's
/// label, the transport, the outcome and status, the duration and the
/// request id (and the trace id); never the variables, the ids in the
/// document or the purpose. A WebSocket operation is a line of its own.
#[tokio::test]
async fn each_request_is_one_line_without_personal_data() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let id = a_personal_id(&app).await?;
    let node = Node::start(&app, &["--log-format", "json"], &[]).await?;
    let token = app.token("UBND-68").await?;
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let response = app
        .client
        .post(format!("{}/graphql", node.address))
        .bearer_auth(&token)
        .header("x-request-id", "ops-line-1")
        .header("x-purpose", "Xác minh hồ sơ đất đai")
        .header("traceparent", traceparent)
        .json(&json!({
            "query": format!("query Lookup_{id}($id: String!) {{ citizen(personalId: $id) {{ fullName }} other: citizen(personalId: \"{id}\") {{ fullName }} }}"),
            "variables": { "id": id },
            "operationName": format!("Lookup_{id}"),
        }))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    // The answer names the request's span in the caller's trace.
    let answered = response.headers()["traceparent"].to_str()?.to_owned();
    assert!(
        answered.starts_with("00-0af7651916cd43dd8448eb211c80319c-") && answered.ends_with("-01"),
        "{answered}"
    );
    assert!(!answered.contains("b7ad6b7169203331"), "a span of its own");
    let body: Value = response.json().await?;
    assert!(body["data"]["citizen"]["fullName"].is_string(), "{body}");
    // Refused at the edge: a line too.
    let refused = app
        .client
        .post(format!("{}/graphql", node.address))
        .header("x-request-id", "ops-line-2")
        .json(&json!({ "query": "{ me { agencyCode } }" }))
        .send()
        .await?;
    assert_eq!(refused.status(), 401);
    // Without a traceparent, the hub starts a trace of its own.
    let own = app
        .client
        .get(format!("{}/healthz", node.address))
        .send()
        .await?;
    assert_eq!(own.headers()["traceparent"].to_str()?.len(), 55);
    assert!(own.headers().get("tracestate").is_none(), "none to pass on");
    // One operation over a WebSocket.
    let mut socket = Subscriber::open_at(&node.address).await?;
    socket
        .send(json!({ "type": "connection_init", "payload": {
            "Authorization": format!("Bearer {token}"), "X-Purpose": "Kiểm tra" } }))
        .await?;
    assert_eq!(socket.next().await?["type"], "connection_ack");
    let over_ws = socket
        .run(
            "1",
            "query ($id: String!) { citizen(personalId: $id) { fullName } }",
            json!({ "id": id }),
        )
        .await?;
    assert!(
        over_ws["data"]["citizen"]["fullName"].is_string(),
        "{over_ws}"
    );
    socket.close().await?;

    let lines = eventually(
        "the lines of four requests",
        Duration::from_secs(10),
        || {
            let lines = node.request_lines();
            async move {
                let lines = lines?;
                Ok((lines.len() >= 4).then_some(lines))
            }
        },
    )
    .await?;
    let by_id = |request_id: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["fields"]["request_id"] == request_id)
            .collect()
    };
    let looked_up = by_id("ops-line-1");
    assert_eq!(looked_up.len(), 1, "one line per request: {lines:?}");
    let fields = &looked_up[0]["fields"];
    assert_eq!(looked_up[0]["level"], "INFO");
    assert_eq!(fields["agency"], "UBND-68");
    assert_eq!(fields["operation"], "citizen");
    assert_eq!(fields["transport"], "http");
    assert_eq!(fields["outcome"], "ok");
    assert_eq!(fields["status"], 200);
    assert!(
        fields["duration_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{fields}"
    );
    assert_eq!(fields["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    let refused = by_id("ops-line-2");
    assert_eq!(refused.len(), 1, "{lines:?}");
    assert_eq!(refused[0]["fields"]["outcome"], "unauthenticated");
    assert_eq!(refused[0]["fields"]["status"], 401);
    assert_eq!(refused[0]["fields"]["agency"], "-");
    let websocket: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["transport"] == "websocket")
        .collect();
    assert_eq!(websocket.len(), 1, "{lines:?}");
    assert_eq!(websocket[0]["fields"]["operation"], "citizen");
    assert_eq!(websocket[0]["fields"]["outcome"], "ok");
    assert_eq!(websocket[0]["fields"]["agency"], "UBND-68");
    // The WebSocket operation is counted like one over HTTP.
    let metrics = app
        .client
        .get(format!("{}/metrics", node.address))
        .bearer_auth(app.token("TTDLQG").await?)
        .send()
        .await?
        .text()
        .await?;
    for line in [
        "lienthong_requests_total{agency=\"UBND-68\",operation=\"citizen\",outcome=\"ok\"} 2",
        "lienthong_request_duration_seconds_count{endpoint=\"graphql_ws\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in\n{metrics}");
    }
    // Nothing the hub wrote holds the personal id or the purpose.
    let log = node.log()?;
    assert!(!log.contains(&id), "a personal id in the log:\n{log}");
    assert!(!log.contains("hồ sơ") && !log.contains("Kiểm tra"), "{log}");
    Ok(())
}

/// Log lines written to a pipe or a file carry no ANSI colour codes.
#[tokio::test]
async fn no_colour_codes_when_not_writing_to_a_terminal() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let node = Node::start(&app, &[], &[]).await?;
    let token = app.token("UBND-68").await?;
    app.client
        .post(format!("{}/graphql", node.address))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { agencyCode } }" }))
        .send()
        .await?;
    let log = eventually("the request's line", Duration::from_secs(10), || {
        let log = node.log();
        async move {
            let log = log?;
            Ok(log.contains("lienthong::request").then_some(log))
        }
    })
    .await?;
    assert!(log.contains(" INFO "), "{log}");
    assert!(!log.contains("\x1b["), "colour codes in\n{log}");
    Ok(())
}

/// A tiny OTLP/HTTP receiver: the bodies POSTed to `/v1/traces`.
async fn receiver() -> anyhow::Result<(String, Arc<Mutex<Vec<Vec<u8>>>>)> {
    let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let kept = bodies.clone();
    let router = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body.to_vec());
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((address, bodies))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// With `otlp_endpoint` set, the request's span reaches the collector in
/// the caller's trace, named for the service `lienthong`.
#[tokio::test]
async fn spans_reach_an_otlp_collector_in_the_callers_trace() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (collector, bodies) = receiver().await?;
    let node = Node::start(
        &app,
        &["--otlp-endpoint", &collector],
        &[("OTEL_BSP_SCHEDULE_DELAY", "100")],
    )
    .await?;
    let token = app.token("UBND-68").await?;
    let trace = "5b8efff798038103d269b633813fc60c";
    let response = app
        .client
        .post(format!("{}/graphql", node.address))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace}-eee19b7ec3c1b174-01"))
        .json(&json!({ "query": "{ me { agencyCode } }" }))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let trace_bytes: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&trace[2 * i..2 * i + 2], 16))
        .collect::<Result<_, _>>()?;
    let body = eventually(
        "a span of the trace at the collector",
        Duration::from_secs(20),
        || {
            let found = bodies
                .lock()
                .unwrap()
                .iter()
                .find(|b| contains(b, &trace_bytes))
                .cloned();
            async move { Ok(found) }
        },
    )
    .await?;
    assert!(contains(&body, b"lienthong"), "service.name");
    assert!(contains(&body, b"POST /graphql"), "the span's name");
    assert!(contains(&body, b"node-ops"), "service.instance.id");
    Ok(())
}

/// A collector that is down costs spans, never a request: answers come
/// as fast, and the hub says once that spans cannot be sent.
#[tokio::test]
async fn requests_go_on_when_the_collector_is_down() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let down = format!("http://127.0.0.1:{}", free_port()?);
    let node = Node::start(
        &app,
        &["--otlp-endpoint", &down],
        &[("OTEL_BSP_SCHEDULE_DELAY", "50")],
    )
    .await?;
    let token = app.token("UBND-68").await?;
    for _ in 0..20 {
        let started = Instant::now();
        let response = app
            .client
            .post(format!("{}/graphql", node.address))
            .bearer_auth(&token)
            .json(&json!({ "query": "{ me { agencyCode } }" }))
            .send()
            .await?;
        assert_eq!(response.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = eventually(
        "a warning about the collector",
        Duration::from_secs(10),
        || {
            let log = node.log();
            async move {
                let log = log?;
                Ok(log
                    .contains("spans cannot be sent to the collector")
                    .then_some(log))
            }
        },
    )
    .await?;
    assert_eq!(
        log.matches("spans cannot be sent to the collector").count(),
        1,
        "said once:\n{log}"
    );
    Ok(())
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

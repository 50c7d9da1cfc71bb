//! GraphQL over HTTP as the specification has it: `Content-Type` is
//! required, request errors are 400 for clients that accept
//! `application/graphql-response+json`, queries may be sent with GET
//! (under the same token, limits and access log as POST) but mutations
//! never, and Apollo's automatic persisted queries are told to send the
//! document.

use crate::helpers::{TestApp, errors, nodes, spawn_app};
use entities::audit::access_log;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const RESPONSE_TYPE: &str = "application/graphql-response+json";

/// `GET /graphql` with `params` as the URL's query, as `token`.
async fn get(
    app: &TestApp,
    token: Option<&str>,
    params: &[(&str, &str)],
) -> anyhow::Result<(StatusCode, reqwest::header::HeaderMap, Value)> {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(params)
        .header("Accept", RESPONSE_TYPE);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let (status, headers) = (response.status(), response.headers().clone());
    Ok((status, headers, response.json().await?))
}

/// The code of the first error.
fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// The access-log rows of `agency`, oldest first.
async fn log_of(app: &TestApp, agency: &str) -> anyhow::Result<Vec<access_log::Model>> {
    Ok(access_log::Entity::find()
        .filter(access_log::Column::Agency.eq(agency))
        .order_by_asc(access_log::Column::Seq)
        .all(&app.app_db.conn)
        .await?)
}

/// A POST whose body is not declared JSON is refused with 415 and a coded
/// error, whatever the body holds.
#[tokio::test]
async fn a_post_without_a_json_content_type_is_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&token)
            .body(r#"{"query":"{ me { agencyCode } }"}"#);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let response = request.send().await?;
        assert_eq!(response.status(), 415, "{content_type:?}");
        let body: Value = response.json().await?;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body.get("data").is_none(), "{body}");
    }
    // With the media type (and a charset), the same body is served.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(r#"{"query":"{ me { agencyCode } }"}"#)
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    Ok(())
}

/// Parse, validation and variable errors are 400 without `data` for a
/// client that accepts `application/graphql-response+json`, and 200 (with
/// the same errors) for one that accepts only `application/json`.
#[tokio::test]
async fn request_errors_are_400_under_the_graphql_response_type() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let cases = [
        ("{ me { ", json!({})),
        ("{ me { noSuchField } }", json!({})),
        (
            "query ($id: String!) { citizen(personalId: $id) { fullName } }",
            json!({ "id": 12 }),
        ),
    ];
    for (query, variables) in cases {
        for (accept, status) in [(RESPONSE_TYPE, 400), ("application/json", 200)] {
            let response = app
                .client
                .post(format!("{}/graphql", app.address))
                .bearer_auth(&token)
                .header("Accept", accept)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await?;
            assert_eq!(response.status(), status, "{query} with {accept}");
            let content_type = response.headers()["content-type"].to_str()?.to_owned();
            assert!(content_type.starts_with(accept), "{content_type}");
            let body: Value = response.json().await?;
            assert!(!errors(&body).is_empty(), "{body}");
            assert!(body.get("data").is_none(), "{query}: {body}");
        }
    }
    Ok(())
}

/// A query sent with GET is served under the same token and recorded in
/// the access log like a POST; without a token it is 401.
#[tokio::test]
async fn a_query_over_get_is_authenticated_and_logged() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let listed = app
        .graphql_as(
            "UBND-68",
            "{ citizens(first: 1) { edges { node { personalId } } } }",
            json!({}),
        )
        .await?;
    let person = nodes(&listed, "citizens")[0]["personalId"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.token("UBND-68").await?;
    let before = log_of(&app, "UBND-68").await?.len();
    let variables = json!({ "id": person }).to_string();
    let (status, _, body) = get(
        &app,
        Some(&token),
        &[
            (
                "query",
                "query Look($id: String!) { citizen(personalId: $id) { fullName dateOfBirth } }",
            ),
            ("operationName", "Look"),
            ("variables", &variables),
        ],
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["citizen"]["fullName"].is_string(), "{body}");
    let rows = log_of(&app, "UBND-68").await?;
    assert_eq!(rows.len(), before + 1, "one row for the GET");
    let row = rows.last().unwrap();
    assert!(row.subjects.contains(&person), "{row:?}");
    assert!(row.fields.contains("Citizen.dateOfBirth"), "{row:?}");
    assert_eq!(row.operation, "Look");

    let (status, _, body) = get(&app, None, &[("query", "{ me { agencyCode } }")]).await?;
    assert_eq!(status, 401, "{body}");
    assert_eq!(code(&body), "UNAUTHENTICATED");
    Ok(())
}

/// A mutation sent with GET is 405 with `Allow: POST`, and writes nothing;
/// GET keeps the document limits of POST.
#[tokio::test]
async fn a_mutation_over_get_is_refused_and_the_limits_hold() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("BCA").await?;
    let listed = app
        .graphql_as(
            "BCA",
            "{ citizens(first: 1, filter: { status: ALIVE }) { edges { node { personalId version } } } }",
            json!({}),
        )
        .await?;
    let person = nodes(&listed, "citizens")[0].clone();
    let id = person["personalId"].as_str().unwrap();
    let mutation = format!(
        r#"mutation {{ recordDeath(input: {{ personalId: "{id}", dateOfDeath: "2026-11-30" }}) {{ citizen {{ status }} }} }}"#
    );
    let (status, headers, body) = get(&app, Some(&token), &[("query", &mutation)]).await?;
    assert_eq!(status, 405, "{body}");
    assert_eq!(headers["allow"], "POST");
    assert!(body.get("data").is_none(), "{body}");
    let after = app
        .graphql_as(
            "BCA",
            "query ($id: String!) { citizen(personalId: $id) { status version } }",
            json!({ "id": id }),
        )
        .await?;
    assert_eq!(after["data"]["citizen"]["status"], "ALIVE", "{after}");
    assert_eq!(after["data"]["citizen"]["version"], person["version"]);
    // The very same document is a valid mutation over POST.
    let posted = app.graphql_as("BCA", &mutation, json!({})).await?;
    assert_eq!(
        posted["data"]["recordDeath"]["citizen"]["status"], "DECEASED",
        "{posted}"
    );

    let aliases: String = (0..31)
        .map(|i| format!("a{i}: me {{ agencyCode }} "))
        .collect();
    let (status, _, body) = get(
        &app,
        Some(&token),
        &[("query", &format!("{{ {aliases} }}"))],
    )
    .await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    Ok(())
}

/// `GET /graphql` with no query is the playground, with no token needed.
#[tokio::test]
async fn a_get_without_a_query_is_the_playground() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let response = app.get("/graphql").await?;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()?
            .starts_with("text/html")
    );
    Ok(())
}

/// An automatic persisted query (a hash, no document) is answered
/// `PERSISTED_QUERY_NOT_FOUND`, so that an Apollo client sends the
/// document; over GET and POST alike.
#[tokio::test]
async fn persisted_query_hashes_ask_for_the_document() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let extensions = json!({ "persistedQuery": { "version": 1,
        "sha256Hash": "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38" } });
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(&json!({ "extensions": extensions }))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    let (_, _, body) = get(
        &app,
        Some(&token),
        &[("extensions", &extensions.to_string())],
    )
    .await?;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    Ok(())
}

/// A browser cannot send a Vietnamese purpose as a plain header: the
/// purpose and case reference are also taken from `extensions` and from a
/// percent-encoded header (`UTF-8''…`), logged as sent, under the same
/// rule as the headers; a value given two ways must agree.
#[tokio::test]
async fn a_purpose_comes_from_extensions_or_a_percent_encoded_header() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let read = "query Who { citizens(first: 1) { edges { node { personalId } } } }";
    let post = |body: Value, headers: Vec<(&'static str, &'static str)>| {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&token)
            .header("Accept", RESPONSE_TYPE)
            .json(&body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let purpose = "Đăng ký thường trú";

    let response = post(
        json!({ "query": read, "extensions": { "purpose": purpose, "caseRef": "HS-68-0001" } }),
        vec![],
    )
    .await?;
    assert_eq!(response.status(), 200);
    let row = log_of(&app, "UBND-68").await?.pop().expect("a row");
    assert_eq!(row.purpose.as_deref(), Some(purpose));
    assert_eq!(row.case_ref.as_deref(), Some("HS-68-0001"));

    let encoded = "UTF-8''%C4%90%C4%83ng%20k%C3%BD%20th%C6%B0%E1%BB%9Dng%20tr%C3%BA";
    let response = post(json!({ "query": read }), vec![("X-Purpose", encoded)]).await?;
    assert_eq!(response.status(), 200);
    let row = log_of(&app, "UBND-68").await?.pop().expect("a row");
    assert_eq!(row.purpose.as_deref(), Some(purpose));

    let before = log_of(&app, "UBND-68").await?.len();
    for (body, headers) in [
        // Two different purposes.
        (
            json!({ "query": read, "extensions": { "purpose": "Khác" } }),
            vec![("X-Purpose", encoded)],
        ),
        // The text rule holds here too.
        (
            json!({ "query": read, "extensions": { "purpose": "a\u{202e}b" } }),
            vec![],
        ),
        (
            json!({ "query": read, "extensions": { "caseRef": 7 } }),
            vec![],
        ),
        // Percent-encoding that is not UTF-8.
        (
            json!({ "query": read }),
            vec![("X-Purpose", "UTF-8''%FF%FE")],
        ),
    ] {
        let response = post(body.clone(), headers).await?;
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await?;
        assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    }
    assert_eq!(log_of(&app, "UBND-68").await?.len(), before, "nothing read");
    Ok(())
}

/// Over the WebSocket, a `subscribe` message's `extensions` declare the
/// purpose of that operation the same way, and it is logged.
#[tokio::test]
async fn a_websocket_operation_declares_its_purpose_in_extensions() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let mut socket = crate::ws::Subscriber::connect(&app, &app.token("UBND-68").await?).await?;
    socket
        .send(json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "query Who { citizens(first: 1) { edges { node { personalId } } } }",
            "extensions": { "purpose": "Cấp đổi căn cước", "caseRef": "HS-68-0002" } } }))
        .await?;
    let answer = socket.next().await?;
    assert_eq!(answer["type"], "next", "{answer}");
    let row = log_of(&app, "UBND-68").await?.pop().expect("a row");
    assert_eq!(row.purpose.as_deref(), Some("Cấp đổi căn cước"));
    assert_eq!(row.case_ref.as_deref(), Some("HS-68-0002"));
    Ok(())
}

/// A province's browser application on a configured origin may call the
/// hub (preflight and request carry the CORS headers); any other origin
/// gets none, and with no origin configured nobody does. A malformed
/// origin stops the server from starting.
#[tokio::test]
async fn only_configured_origins_get_cors_headers() -> anyhow::Result<()> {
    const PORTAL: &str = "https://dichvucong.lamdong.gov.vn";
    let app = crate::helpers::spawn_app_with(|c| c.cors_origins = vec![PORTAL.into()]).await?;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, x-purpose",
            )
            .send()
    };
    let allowed = preflight(PORTAL).await?;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], PORTAL);
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()?
        .to_ascii_lowercase();
    assert!(headers.contains("x-purpose"), "{headers}");
    let other = preflight("https://evil.example").await?;
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let token = app.token("UBND-68").await?;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .header("Origin", PORTAL)
        .json(&json!({ "query": "{ me { agencyCode } }" }))
        .send()
        .await?;
    assert_eq!(response.headers()["access-control-allow-origin"], PORTAL);
    assert!(
        response.headers()["access-control-expose-headers"]
            .to_str()?
            .contains("x-request-id")
    );

    let plain = spawn_app().await?;
    let response = plain
        .client
        .post(format!("{}/graphql", plain.address))
        .header("Origin", PORTAL)
        .json(&json!({ "query": "{ me { agencyCode } }" }))
        .send()
        .await?;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    for bad in ["*", "https://portal.example/path", "portal.example"] {
        let refused = crate::helpers::spawn_app_with(|c| c.cors_origins = vec![bad.into()]).await;
        let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("cors_origins"), "{bad}: {error}");
    }
    Ok(())
}

/// A client that breaks graphql-transport-ws is closed with the
/// protocol's codes: 4400 for a message that is not one of its, 4401 for
/// a subscribe before connection_init, 4409 for a second subscribe under
/// an id still running, 4429 for a second connection_init, 4408 when no
/// connection_init comes in time.
#[tokio::test]
async fn a_client_that_breaks_the_websocket_protocol_is_closed_with_its_code() -> anyhow::Result<()>
{
    use crate::ws::Subscriber;
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let closed = |message: Value, code: u16| {
        assert_eq!(message["type"], "close", "{message}");
        assert_eq!(message["code"], code, "{message}");
    };
    let mut socket = Subscriber::connect(&app, &token).await?;
    socket.send_text("not json").await?;
    closed(socket.next().await?, 4400);

    let mut socket = Subscriber::connect(&app, &token).await?;
    socket
        .send(json!({ "type": "start", "id": "1", "payload": {} }))
        .await?;
    closed(socket.next().await?, 4400);

    let mut socket = Subscriber::open(&app).await?;
    socket
        .start("1", "{ me { agencyCode } }", json!({}))
        .await?;
    closed(socket.next().await?, 4401);

    let mut socket = Subscriber::connect(&app, &token).await?;
    let changes = "subscription { changes(dataset: POPULATION) { cursor } }";
    socket.start("1", changes, json!({})).await?;
    socket.start("1", changes, json!({})).await?;
    closed(socket.next().await?, 4409);

    // An id is free again once its operation completed.
    let mut socket = Subscriber::connect(&app, &token).await?;
    for _ in 0..2 {
        let answer = socket.run("1", "{ me { agencyCode } }", json!({})).await?;
        assert_eq!(answer["data"]["me"]["agencyCode"], "UBND-68", "{answer}");
    }

    let mut socket = Subscriber::connect(&app, &token).await?;
    socket
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await?;
    closed(socket.next().await?, 4429);

    let mut socket = Subscriber::open(&app).await?;
    let started = std::time::Instant::now();
    let message = loop {
        let message = socket.next().await;
        match message {
            Ok(message) => break message,
            Err(_) if started.elapsed() < std::time::Duration::from_secs(15) => continue,
            Err(error) => return Err(error),
        }
    };
    closed(message, 4408);
    Ok(())
}

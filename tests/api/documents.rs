//! Persisted and trusted documents. Apollo's automatic persisted queries:
//! a hash the node has not seen asks for the document, then the hash
//! alone runs it; a hash that is not the document's is refused. Trusted
//! documents: the hub operator or an owner that granted an agency access
//! registers documents for it and may hold it to them; the agency is then
//! refused any other document on every path (POST, GET, WebSocket
//! queries and subscriptions, a connection opened before, a second node)
//! with a clear error, and no one else manages its list.

use crate::helpers::{TestApp, errors, spawn_app};
use crate::ws::Subscriber;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ME: &str = "query Me { me { agencyCode } }";
const CITIZENS: &str = "query Few { citizens(first: 2) { edges { node { personalId } } } }";

fn id_of(document: &str) -> String {
    format!("{:x}", Sha256::digest(document.as_bytes()))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// POSTs `body` as `token`.
async fn post(app: &TestApp, token: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    Ok((response.status(), response.json().await?))
}

fn by_hash(document: &str) -> Value {
    json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": id_of(document) } } })
}

/// A mutation as `agency`; its errors, if any, as an `Err`.
async fn manage(
    app: &TestApp,
    agency: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let body = app.graphql_as(agency, query, variables).await?;
    anyhow::ensure!(errors(&body).is_empty(), "{agency}: {body}");
    Ok(body)
}

const REGISTER: &str = "mutation ($input: RegisterTrustedDocumentInput!) { registerTrustedDocument(input: $input) { id registeredBy } }";
const REQUIRE: &str = "mutation ($agency: String!, $required: Boolean!) { requireTrustedDocuments(agency: $agency, required: $required) { required requiredBy documents { id } } }";

async fn register(app: &TestApp, by: &str, agency: &str, document: &str) -> anyhow::Result<Value> {
    manage(
        app,
        by,
        REGISTER,
        json!({ "input": { "agency": agency, "name": "test", "document": document } }),
    )
    .await
}

/// Apollo's protocol, over POST and GET: unknown hash → PERSISTED_QUERY_NOT_FOUND;
/// hash with its document → served and remembered; the hash alone → served;
/// a hash that is not the document's → BAD_USER_INPUT.
#[tokio::test]
async fn automatic_persisted_queries_round_trip() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let document = "query Ap { me { agencyCode } }";
    let (status, body) = post(&app, &token, by_hash(document)).await?;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND"),
        "{body}"
    );

    let mut both = by_hash(document);
    both["query"] = json!(document);
    let (_, body) = post(&app, &token, both).await?;
    assert_eq!(body["data"]["me"]["agencyCode"], "UBND-68", "{body}");

    let (_, body) = post(&app, &token, by_hash(document)).await?;
    assert_eq!(body["data"]["me"]["agencyCode"], "UBND-68", "{body}");
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .query(&[("extensions", by_hash(document)["extensions"].to_string())])
        .send()
        .await?;
    let body: Value = response.json().await?;
    assert_eq!(
        body["data"]["me"]["agencyCode"], "UBND-68",
        "over GET: {body}"
    );

    let mut wrong = by_hash(document);
    wrong["query"] = json!("{ __typename }");
    let (_, body) = post(&app, &token, wrong).await?;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");

    let (_, body) = post(
        &app,
        &token,
        json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": "x" } } }),
    )
    .await?;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    Ok(())
}

/// An agency held to trusted documents runs its registered documents (by
/// hash or in full) and nothing else, over POST, GET and WebSocket, on
/// a connection opened before the requirement, and on a second node.
#[tokio::test]
async fn an_agency_held_to_trusted_documents_runs_nothing_else() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let mut early = Subscriber::connect(&app, &token).await?;
    let other = app.second_node().await?;

    let registered = register(&app, "BCA", "UBND-68", CITIZENS).await?;
    assert_eq!(
        registered["data"]["registerTrustedDocument"]["id"],
        id_of(CITIZENS)
    );
    assert_eq!(
        registered["data"]["registerTrustedDocument"]["registeredBy"],
        "BCA"
    );
    // Registered but not yet required: anything still runs.
    let (_, body) = post(&app, &token, json!({ "query": ME })).await?;
    assert_eq!(body["data"]["me"]["agencyCode"], "UBND-68", "{body}");

    let held = manage(
        &app,
        "BCA",
        REQUIRE,
        json!({ "agency": "UBND-68", "required": true }),
    )
    .await?;
    assert_eq!(
        held["data"]["requireTrustedDocuments"]["required"], true,
        "{held}"
    );

    // The registered document, by hash and in full.
    let (_, body) = post(&app, &token, by_hash(CITIZENS)).await?;
    assert_eq!(
        body["data"]["citizens"]["edges"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    let (_, body) = post(&app, &token, json!({ "query": CITIZENS })).await?;
    assert!(errors(&body).is_empty(), "{body}");

    // Anything else, on every path.
    let (status, body) = post(&app, &token, json!({ "query": ME })).await?;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "{body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("trusted documents") && message.contains(&id_of(ME)),
        "{message}"
    );
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");

    let (status, body) = post(&app, &token, by_hash(ME)).await?;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "by an unknown hash: {body}"
    );

    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .query(&[("query", ME)])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let (status, body) = post(&other, &token, json!({ "query": ME })).await?;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "second node: {body}"
    );

    let answer = early.run("1", ME, json!({})).await?;
    assert!(
        !errors(&answer).is_empty(),
        "a connection opened before: {answer}"
    );
    let mut socket = Subscriber::connect(&app, &token).await?;
    let answer = socket.run("1", ME, json!({})).await?;
    assert_eq!(code(&answer), "FORBIDDEN", "{answer}");
    let answer = socket.run("2", CITIZENS, json!({})).await?;
    assert!(errors(&answer).is_empty(), "{answer}");
    socket
        .start(
            "3",
            "subscription { changes(dataset: POPULATION) { cursor } }",
            json!({}),
        )
        .await?;
    let message = socket.next().await?;
    assert!(
        message["type"] == "error" || !errors(&message["payload"]).is_empty(),
        "a subscription: {message}"
    );

    // Lifting the requirement frees the agency again.
    let lifted = manage(
        &app,
        "BCA",
        REQUIRE,
        json!({ "agency": "UBND-68", "required": false }),
    )
    .await?;
    assert_eq!(
        lifted["data"]["requireTrustedDocuments"]["required"], false,
        "{lifted}"
    );
    let (_, body) = post(&app, &token, json!({ "query": ME })).await?;
    assert_eq!(body["data"]["me"]["agencyCode"], "UBND-68", "{body}");
    Ok(())
}

/// Only the hub operator or an owner that granted the agency access
/// manages its list; each authority lifts only its own requirement; a
/// document removed is refused on the next request; the agency reads its
/// own list but cannot add to it.
#[tokio::test]
async fn only_its_authorities_manage_an_agencys_documents() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    app.add_agency("BYT", "population:read", "*").await?;
    let input =
        |agency: &str| json!({ "input": { "agency": agency, "name": "n", "document": ME } });
    for (by, target) in [("UBND-68", "UBND-68"), ("BYT", "UBND-68"), ("BNNMT", "BYT")] {
        let body = app.graphql_as(by, REGISTER, input(target)).await?;
        assert_eq!(code(&body), "FORBIDDEN", "{by} for {target}: {body}");
        let body = app
            .graphql_as(by, REQUIRE, json!({ "agency": target, "required": true }))
            .await?;
        assert_eq!(code(&body), "FORBIDDEN", "{by} for {target}: {body}");
    }
    let body = app.graphql_as("BCA", REGISTER, input("NO-SUCH")).await?;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = app
        .graphql_as(
            "BCA",
            REGISTER,
            json!({ "input": { "agency": "UBND-68", "name": "n", "document": "{ me { " } }),
        )
        .await?;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");

    register(&app, "TTDLQG", "UBND-68", ME).await?;
    register(&app, "BCA", "UBND-68", CITIZENS).await?;
    manage(
        &app,
        "BCA",
        REQUIRE,
        json!({ "agency": "UBND-68", "required": true }),
    )
    .await?;
    manage(
        &app,
        "TTDLQG",
        REQUIRE,
        json!({ "agency": "UBND-68", "required": true }),
    )
    .await?;
    // The operator lifting its own requirement leaves the owner's.
    let body = manage(
        &app,
        "TTDLQG",
        REQUIRE,
        json!({ "agency": "UBND-68", "required": false }),
    )
    .await?;
    assert_eq!(
        body["data"]["requireTrustedDocuments"]["requiredBy"],
        json!(["BCA"]),
        "{body}"
    );

    let token = app.token("UBND-68").await?;
    let (_, body) = post(&app, &token, json!({ "query": ME })).await?;
    assert!(errors(&body).is_empty(), "{body}");
    // The owner cannot remove the operator's document; the operator can.
    let remove =
        "mutation ($id: String!) { removeTrustedDocument(agency: \"UBND-68\", id: $id) { id } }";
    let body = app
        .graphql_as("BCA", remove, json!({ "id": id_of(ME) }))
        .await?;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    manage(&app, "TTDLQG", remove, json!({ "id": id_of(ME) })).await?;
    let (status, _) = post(&app, &token, json!({ "query": ME })).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "a removed document");

    let list = "query { trustedDocuments(agency: \"UBND-68\") { required requiredBy documents { id registeredBy } } }";
    let (status, body) = post(&app, &token, json!({ "query": list })).await?;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "its list query is not a trusted document either: {body}"
    );
    let (_, body) = post(&app, &token, json!({ "query": CITIZENS })).await?;
    assert!(errors(&body).is_empty(), "{body}");
    let body = app.graphql_as("BCA", list, json!({})).await?;
    assert_eq!(body["data"]["trustedDocuments"]["required"], true, "{body}");
    assert_eq!(
        body["data"]["trustedDocuments"]["documents"],
        json!([{ "id": id_of(CITIZENS), "registeredBy": "BCA" }]),
        "{body}"
    );
    let body = app.graphql_as("BYT", list, json!({})).await?;
    assert_eq!(
        code(&body),
        "FORBIDDEN",
        "a stranger reads no one's list: {body}"
    );
    Ok(())
}

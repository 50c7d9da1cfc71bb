//! Abusive requests are refused quickly, with a clear error, and the server
//! keeps serving ordinary requests.

use crate::helpers::{TestApp, errors, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const ORDINARY: &str = "{ me { agencyCode } provinces { code } }";

async fn still_serving(app: &TestApp, token: &str) {
    let body = app.graphql_with(token, ORDINARY, json!({})).await.unwrap();
    assert_eq!(body["data"]["me"]["agencyCode"], "UBND-68");
}

fn refused(body: &Value, words: &str) {
    let errs = errors(body);
    assert!(!errs.is_empty(), "refused: {body}");
    assert!(body["data"].is_null(), "no data: {body}");
    assert!(
        errs.iter()
            .any(|e| e["message"].as_str().unwrap_or_default().contains(words)),
        "{words}: {body}"
    );
    assert!(
        errs.iter()
            .all(|e| e["extensions"]["code"] == "BAD_USER_INPUT"),
        "{body}"
    );
}

/// Depth 100, 1,000 aliases, too many root fields, fragment cycles and
/// `first: 100000` are refused; ordinary requests go on being served.
#[tokio::test]
async fn abusive_documents_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;

    let mut deep = String::from("{ citizen(personalId: \"001085012345\") { ");
    for _ in 0..100 {
        deep.push_str("father { ");
    }
    deep.push_str("fullName");
    deep.push_str(&" }".repeat(102));
    let (status, _, body) = app.post_graphql(Some(&token), &deep, json!({})).await?;
    assert_eq!(status, 200);
    refused(&body, "limit");
    still_serving(&app, &token).await;

    let aliases: String = (0..1000)
        .map(|i| format!("a{i}: me {{ agencyCode }} "))
        .collect();
    let (_, _, body) = app
        .post_graphql(Some(&token), &format!("{{ {aliases} }}"), json!({}))
        .await?;
    refused(&body, "aliases");
    still_serving(&app, &token).await;

    let roots: String = (0..25).map(|_| "provinces { code } ").collect();
    let (_, _, body) = app
        .post_graphql(Some(&token), &format!("{{ {roots} }}"), json!({}))
        .await?;
    refused(&body, "root fields");

    let cycle = "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }";
    let (_, _, body) = app.post_graphql(Some(&token), cycle, json!({})).await?;
    assert!(
        body["data"].is_null() && !errors(&body).is_empty(),
        "{body}"
    );
    assert!(
        errors(&body)
            .iter()
            .all(|e| e["extensions"]["code"] == "BAD_USER_INPUT")
    );

    let huge = app
        .graphql_with(
            &token,
            "{ citizens(first: 100000) { edges { cursor } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        errors(&huge)[0]["extensions"]["code"],
        "BAD_USER_INPUT",
        "{huge}"
    );
    assert!(huge["data"]["citizens"].is_null());

    still_serving(&app, &token).await;
    Ok(())
}

/// A 5 MB document, an oversized body and a batch of 1,000 operations are
/// refused before any execution.
#[tokio::test]
async fn oversized_and_batched_requests_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let url = format!("{}/graphql", app.address);

    let big = format!(
        "{{ me {{ agencyCode }} }} # {}",
        "x".repeat(5 * 1024 * 1024)
    );
    let response = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "query": big }))
        .send()
        .await?;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await?;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(body.get("data").is_none());

    let long = format!("{{ me {{ agencyCode }} }} # {}", "x".repeat(40 * 1024));
    let response = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "query": long }))
        .send()
        .await?;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await?;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bytes")
    );

    let batch: Vec<Value> = (0..1000).map(|_| json!({ "query": ORDINARY })).collect();
    let response = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&batch)
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await?;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("batch")
    );

    let response = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("not json")
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    still_serving(&app, &token).await;
    Ok(())
}

/// Past its rate, an agency gets 429 with Retry-After and RATE_LIMITED,
/// while another agency is still served.
#[tokio::test]
async fn each_agency_has_its_own_rate_limit() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| {
        c.rate_per_second = 1;
        c.rate_burst = 5;
    })
    .await?;
    let token = app.token("UBND-68").await?;
    let mut limited = None;
    for _ in 0..10 {
        let (status, headers, body) = app.post_graphql(Some(&token), ORDINARY, json!({})).await?;
        if status == 429 {
            limited = Some((headers, body));
            break;
        }
    }
    let (headers, body) = limited.expect("refused within 10 requests");
    let retry: u64 = headers["retry-after"].to_str()?.parse()?;
    assert!((1..=2).contains(&retry));
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(body.get("data").is_none());
    let other = app
        .graphql_as("BCA", "{ me { agencyCode } }", json!({}))
        .await?;
    assert_eq!(other["data"]["me"]["agencyCode"], "BCA");
    Ok(())
}

/// A query that outlives the execution limit is cancelled with a clear
/// error, and the next one is served.
#[tokio::test]
async fn slow_queries_are_cancelled() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.request_timeout_ms = 1).await?;
    let token = app.token("UBND-68").await?;
    let slow = "{ citizens(first: 200) { edges { node { fullName household { members { fullName landRights { parcel { rights { holderId } } } } } } } } }";
    let mut cancelled = false;
    for _ in 0..5 {
        let body = app.graphql_with(&token, slow, json!({})).await?;
        if errors(&body).iter().any(|e| {
            e["message"]
                .as_str()
                .unwrap_or_default()
                .contains("cancelled")
        }) {
            assert!(body.get("data").is_none(), "{body}");
            cancelled = true;
            break;
        }
    }
    assert!(cancelled, "a 1 ms limit cancels a large nested query");
    Ok(())
}

/// Complexity grows with the page asked for: a small page passes, the same
/// query over a large page is refused before it runs.
#[tokio::test]
async fn complexity_is_bounded() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.max_complexity = 1_000).await?;
    let query = "query ($first: Int) { citizens(first: $first) { edges { node { fullName birthYear residenceCommune { name } } } } }";
    let small = app
        .graphql_as("UBND-68", query, json!({ "first": 20 }))
        .await?;
    assert!(errors(&small).is_empty(), "{small}");
    let large = app
        .graphql_as("UBND-68", query, json!({ "first": 500 }))
        .await?;
    refused(&large, "complex");
    Ok(())
}

/// Introspection can be turned off.
#[tokio::test]
async fn introspection_can_be_disabled() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.introspection = false).await?;
    let body = app
        .graphql_as("UBND-68", "{ __schema { queryType { name } } }", json!({}))
        .await?;
    assert!(
        body["data"].is_null() || body["data"]["__schema"].is_null(),
        "{body}"
    );
    assert!(
        !body.to_string().contains("QueryRoot"),
        "the schema is not revealed: {body}"
    );
    let on = spawn_app().await?;
    let body = on
        .graphql_as("UBND-68", "{ __schema { queryType { name } } }", json!({}))
        .await?;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    Ok(())
}

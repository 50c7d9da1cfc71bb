//! Owners grant and revoke access, and a revocation takes effect on the
//! grantee's very next request, on this server and on another one on the
//! same PostgreSQL; agencies get tokens by the client-credentials grant.

use crate::helpers::{TestApp, assert_forbidden, errors, postgres_url, spawn_app};
use serde_json::{Value, json};

const PROBE: &str = "{ citizens(first: 1) { edges { node { fullName } } }
    landParcels(first: 1) { edges { node { id } } }
    enterprises(first: 1) { edges { node { name } } } }";

/// The id of UBND-68's active population grant.
async fn population_grant(app: &TestApp) -> anyhow::Result<String> {
    let body = app
        .graphql_as(
            "BCA",
            "{ grants(activeOnly: true) { id grantee dataset } }",
            json!({}),
        )
        .await?;
    Ok(body["data"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grantee"] == "UBND-68" && g["dataset"] == "POPULATION")
        .expect("the demo grant")["id"]
        .as_str()
        .unwrap()
        .to_owned())
}

fn assert_population_refused_rest_served(body: &Value) {
    assert!(body["data"]["citizens"].is_null(), "{body}");
    assert_forbidden(body, "population:read");
    assert!(
        body["data"]["landParcels"]["edges"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(
        body["data"]["enterprises"]["edges"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
}

async fn regrant(app: &TestApp) -> anyhow::Result<Value> {
    app.graphql_as(
        "BCA",
        "mutation { grantAccess(input: { dataset: POPULATION, grantee: \"UBND-68\",
           scopes: [\"population:read\", \"population:read:pii\", \"population:verify\"],
           jurisdiction: [\"68\"], purpose: \"one-stop shop\", legalBasis: \"Decree 47/2024\" })
           { grant { id active scopes } } }",
        json!({}),
    )
    .await
}

/// BCA revokes UBND-68's population grant: UBND-68's very next request (with
/// the token it already had) is refused population data while land and
/// enterprise still work; BCA grants it again and access returns.
#[tokio::test]
async fn revoking_a_grant_takes_effect_on_the_next_request() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let before = app.graphql_with(&token, PROBE, json!({})).await?;
    assert!(errors(&before).is_empty(), "{before}");

    let id = population_grant(&app).await?;
    let revoked = app
        .graphql_as("BCA", "mutation ($id: String!) { revokeAccess(id: $id, reason: \"audit finding\") { grant { active revokedAt revokeReason } } }", json!({ "id": id }))
        .await?;
    assert_eq!(
        revoked["data"]["revokeAccess"]["grant"]["active"], false,
        "{revoked}"
    );
    let after = app.graphql_with(&token, PROBE, json!({})).await?;
    assert_population_refused_rest_served(&after);

    let again = regrant(&app).await?;
    assert_eq!(
        again["data"]["grantAccess"]["grant"]["active"], true,
        "{again}"
    );
    let restored = app.graphql_with(&token, PROBE, json!({})).await?;
    assert!(errors(&restored).is_empty(), "{restored}");
    Ok(())
}

/// With two server processes on one PostgreSQL, a revocation made through
/// one is in force on the other at the next request (LISTEN/NOTIFY).
/// Several nodes need PostgreSQL; on SQLite there is one node, covered above.
#[tokio::test]
async fn a_revocation_reaches_every_node() -> anyhow::Result<()> {
    if postgres_url().is_none() {
        eprintln!("multi-node revocation runs against PostgreSQL only");
        return Ok(());
    }
    let first = spawn_app().await?;
    let second = first.second_node().await?;
    let token = first.token("UBND-68").await?;
    let ok = second.graphql_with(&token, PROBE, json!({})).await?;
    assert!(errors(&ok).is_empty(), "{ok}");

    let id = population_grant(&first).await?;
    first
        .graphql_as(
            "BCA",
            "mutation ($id: String!) { revokeAccess(id: $id, reason: \"x\") { grant { id } } }",
            json!({ "id": id }),
        )
        .await?;
    let after = second.graphql_with(&token, PROBE, json!({})).await?;
    assert_population_refused_rest_served(&after);

    regrant(&first).await?;
    let restored = second.graphql_with(&token, PROBE, json!({})).await?;
    assert!(errors(&restored).is_empty(), "{restored}");

    // Suspension and token revocation travel the same way.
    let revoke = first
        .graphql_with(&token, "mutation { revokeToken { tokenId } }", json!({}))
        .await?;
    assert!(errors(&revoke).is_empty(), "{revoke}");
    let (status, _, _) = second.post_graphql(Some(&token), PROBE, json!({})).await?;
    assert_eq!(status, 401);
    Ok(())
}

/// Only owners grant, only on their dataset, only its read scopes, and only
/// the giver revokes.
#[tokio::test]
async fn grant_rules_are_enforced() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let grant = |dataset: &str, scopes: &str| {
        format!(
            "mutation {{ grantAccess(input: {{ dataset: {dataset}, grantee: \"UBND-01\", scopes: [{scopes}],
               jurisdiction: [\"01\"], purpose: \"p\", legalBasis: \"l\" }}) {{ grant {{ id }} }} }}"
        )
    };
    let body = app
        .graphql_as(
            "BTC",
            &grant("POPULATION", "\"population:read\""),
            json!({}),
        )
        .await?;
    assert_eq!(
        errors(&body)[0]["extensions"]["code"],
        "FORBIDDEN",
        "not the owner: {body}"
    );
    for scopes in [
        "\"land:read\"",
        "\"population:write\"",
        "\"grants:manage\"",
        "\"population:everything\"",
    ] {
        let body = app
            .graphql_as("BCA", &grant("POPULATION", scopes), json!({}))
            .await?;
        assert_eq!(
            errors(&body)[0]["extensions"]["code"],
            "BAD_USER_INPUT",
            "{scopes}: {body}"
        );
        assert!(body["data"]["grantAccess"].is_null());
    }
    let body = app
        .graphql_as(
            "UBND-68",
            &grant("POPULATION", "\"population:read\""),
            json!({}),
        )
        .await?;
    assert_forbidden(&body, "grants:manage");

    let id = population_grant(&app).await?;
    let body = app
        .graphql_as("BNNMT", "mutation ($id: String!) { revokeAccess(id: $id, reason: \"mine now\") { grant { id } } }", json!({ "id": id }))
        .await?;
    assert_eq!(
        errors(&body)[0]["extensions"]["code"],
        "FORBIDDEN",
        "{body}"
    );
    let still = app.graphql_as("UBND-68", PROBE, json!({})).await?;
    assert!(errors(&still).is_empty(), "the grant survived: {still}");

    // A province cannot list outside its grant's provinces.
    let body = app
        .graphql_as(
            "UBND-68",
            "{ citizens(filter: { provinceCode: \"01\" }) { edges { cursor } } }",
            json!({}),
        )
        .await?;
    assert_eq!(errors(&body)[0]["extensions"]["code"], "FORBIDDEN");
    Ok(())
}

/// A consumer asks, the owner decides within two working days; an approval
/// creates the grant, and a request is decided once.
#[tokio::test]
async fn access_requests_are_answered_by_the_owner() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let asked = app
        .graphql_as(
            "UBND-68",
            "mutation { requestAccess(input: { dataset: LAND, scopes: [\"land:read\"], jurisdiction: [\"68\", \"79\"],
               purpose: \"land transfers of residents of Hồ Chí Minh City\", legalBasis: \"Decree 47/2024\" })
               { request { id status dueBy overdue requestedAt } } }",
            json!({}),
        )
        .await?;
    let request = &asked["data"]["requestAccess"]["request"];
    assert_eq!(request["status"], "PENDING", "{asked}");
    assert_eq!(request["overdue"], false);
    assert!(request["dueBy"].as_str().unwrap() > request["requestedAt"].as_str().unwrap());
    let id = request["id"].as_str().unwrap().to_owned();

    let pending = app
        .graphql_as(
            "BNNMT",
            "{ accessRequests(status: PENDING) { id } }",
            json!({}),
        )
        .await?;
    assert!(pending["data"]["accessRequests"].to_string().contains(&id));
    let not_theirs = app
        .graphql_as("BTC", "{ accessRequests { id } }", json!({}))
        .await?;
    assert!(
        !not_theirs["data"]["accessRequests"]
            .to_string()
            .contains(&id)
    );

    let decide = "mutation ($id: String!) { decideAccessRequest(input: { id: $id, approve: true, reason: \"lawful\" })
        { request { status grantId } grant { grantee scopes jurisdiction active } } }";
    let refused = app.graphql_as("BTC", decide, json!({ "id": id })).await?;
    assert_eq!(errors(&refused)[0]["extensions"]["code"], "FORBIDDEN");
    let decided = app.graphql_as("BNNMT", decide, json!({ "id": id })).await?;
    let payload = &decided["data"]["decideAccessRequest"];
    assert_eq!(payload["request"]["status"], "APPROVED", "{decided}");
    assert_eq!(payload["grant"]["jurisdiction"], json!(["68", "79"]));
    let twice = app.graphql_as("BNNMT", decide, json!({ "id": id })).await?;
    assert_eq!(errors(&twice)[0]["extensions"]["code"], "CONFLICT");

    // The new grant widens UBND-68's land listings to Hồ Chí Minh City.
    let body = app
        .graphql_as(
            "UBND-68",
            "{ landParcels(first: 1, filter: { provinceCode: \"79\" }) { edges { cursor } } }",
            json!({}),
        )
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    Ok(())
}

/// `POST /oauth/token`: the client-credentials grant with the secret in the
/// form or in HTTP Basic, and each way it is refused.
#[tokio::test]
async fn agencies_get_tokens_by_client_credentials() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let rotated = app
        .graphql_as(
            "TTDLQG",
            "mutation { rotateClientSecret(code: \"UBND-68\") { clientSecret agency { code } } }",
            json!({}),
        )
        .await?;
    let secret = rotated["data"]["rotateClientSecret"]["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}/oauth/token", app.address);
    let form = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        app.client.post(&url).form(&pairs)
    };

    let response = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "UBND-68"),
        ("client_secret", &secret),
    ])
    .send()
    .await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await?;
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["scope"].as_str().unwrap().contains("population:read"));
    let token = body["access_token"].as_str().unwrap();
    let me = app
        .graphql_with(token, "{ me { agencyCode } }", json!({}))
        .await?;
    assert_eq!(me["data"]["me"]["agencyCode"], "UBND-68");

    let basic = app
        .client
        .post(&url)
        .basic_auth("UBND-68", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "land:read")])
        .send()
        .await?;
    assert_eq!(basic.status(), 200);
    let body: Value = basic.json().await?;
    assert_eq!(body["scope"], "land:read");

    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "UBND-68"),
                ("client_secret", "wrong"),
            ]),
            401,
            "invalid_client",
        ),
        (
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "UBND-99"),
                ("client_secret", &secret),
            ]),
            401,
            "invalid_client",
        ),
        (
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "UBND-01"),
                ("client_secret", ""),
            ]),
            401,
            "invalid_client",
        ),
        (
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "UBND-68"),
                ("client_secret", &secret),
                ("scope", "hub:admin"),
            ]),
            400,
            "invalid_scope",
        ),
        (
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "UBND-68"),
                ("client_secret", &secret),
                ("scope", "population:write"),
            ]),
            400,
            "invalid_scope",
        ),
        (
            form(&[
                ("grant_type", "password"),
                ("client_id", "UBND-68"),
                ("client_secret", &secret),
            ]),
            400,
            "unsupported_grant_type",
        ),
        (
            form(&[("client_id", "UBND-68"), ("client_secret", &secret)]),
            400,
            "invalid_request",
        ),
        (
            app.client
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"grant_type\":1}"),
            400,
            "invalid_request",
        ),
    ];
    for (request, status, error) in cases {
        let response = request.send().await?;
        assert_eq!(response.status().as_u16(), status, "{error}");
        let body: Value = response.json().await?;
        assert_eq!(body["error"], error);
        assert!(body.get("access_token").is_none());
    }

    // A suspended agency gets no token, even with the right secret.
    app.graphql_as(
        "TTDLQG",
        "mutation { setAgencyStatus(code: \"UBND-68\", status: SUSPENDED) { status } }",
        json!({}),
    )
    .await?;
    let response = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "UBND-68"),
        ("client_secret", &secret),
    ])
    .send()
    .await?;
    assert_eq!(response.status(), 401);

    // The JWKS publishes the key that verifies the tokens.
    let jwks: Value = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.address))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(jwks["keys"][0]["kid"], app.state().keys.kid.as_str());
    assert_eq!(jwks["keys"][0]["x"], app.state().keys.public_x.as_str());
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    Ok(())
}

/// Only the hub operator registers agencies; the secret is shown once and
/// a duplicate code is a conflict.
#[tokio::test]
async fn the_hub_registers_agencies() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let register = "mutation { registerAgency(input: { code: \"BYT\", name: \"Bộ Y tế\", kind: MINISTRY }) { clientSecret agency { code status owns } } }";
    let refused = app.graphql_as("BCA", register, json!({})).await?;
    assert_forbidden(&refused, "hub:admin");
    let body = app.graphql_as("TTDLQG", register, json!({})).await?;
    let payload = &body["data"]["registerAgency"];
    assert_eq!(payload["agency"]["status"], "ACTIVE", "{body}");
    assert!(payload["clientSecret"].as_str().unwrap().len() >= 40);
    let again = app.graphql_as("TTDLQG", register, json!({})).await?;
    assert_eq!(errors(&again)[0]["extensions"]["code"], "CONFLICT");
    let listed = app
        .graphql_as(
            "BYT",
            "{ me { scopes } agency(code: \"BYT\") { name } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        listed["data"]["me"]["scopes"],
        json!([]),
        "no grant, no scope"
    );
    assert_eq!(listed["data"]["agency"]["name"], "Bộ Y tế");
    Ok(())
}

/// Two owners' clerks deciding one request at once: exactly one decision
/// stands and one grant is created; the other is told it was decided.
#[tokio::test]
async fn a_request_is_decided_once_even_concurrently() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let asked = app
        .graphql_as(
            "UBND-68",
            "mutation { requestAccess(input: { dataset: ENTERPRISE, scopes: [\"enterprise:read\"], jurisdiction: [\"79\"],
               purpose: \"p\", legalBasis: \"l\" }) { request { id } } }",
            json!({}),
        )
        .await?;
    let id = asked["data"]["requestAccess"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let decide = "mutation ($id: String!, $approve: Boolean!) { decideAccessRequest(input: { id: $id, approve: $approve, reason: \"r\" }) { request { status } grant { id } } }";
    let token = app.token("BTC").await?;
    let attempts = (0..8).map(|i| {
        let (app, token, id) = (&app, token.clone(), id.clone());
        async move {
            app.graphql_with(&token, decide, json!({ "id": id, "approve": i % 2 == 0 }))
                .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let mut won = 0;
    let mut approved = false;
    for body in results {
        let body = body?;
        let payload = &body["data"]["decideAccessRequest"];
        if payload.is_object() {
            won += 1;
            approved = payload["request"]["status"] == "APPROVED";
            assert_eq!(payload["grant"].is_object(), approved, "{body}");
        } else {
            assert_eq!(errors(&body)[0]["extensions"]["code"], "CONFLICT", "{body}");
        }
    }
    assert_eq!(won, 1);
    let grants = app
        .graphql_as("UBND-68", "{ grants { dataset jurisdiction } }", json!({}))
        .await?;
    let created = grants["data"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["dataset"] == "ENTERPRISE" && g["jurisdiction"] == json!(["79"]))
        .count();
    assert_eq!(
        created,
        usize::from(approved),
        "one grant if approved, none if rejected: {grants}"
    );
    Ok(())
}

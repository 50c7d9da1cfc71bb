//! Every request to /graphql needs a valid bearer token; anything else is
//! HTTP 401 with `WWW-Authenticate: Bearer error="invalid_token"` and no data.

use crate::helpers::spawn_app;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const ME: &str = "{ me { agencyCode scopes jurisdictions { dataset provinces } } }";

async fn assert_refused(app: &crate::helpers::TestApp, token: Option<&str>, why: &str) {
    let (status, headers, body) = app.post_graphql(token, ME, json!({})).await.unwrap();
    assert_eq!(status, 401, "{why}: {body}");
    assert_eq!(
        headers["www-authenticate"], "Bearer error=\"invalid_token\"",
        "{why}"
    );
    assert!(body.get("data").is_none(), "{why}: data leaked: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{why}"
    );
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims like the hub's, for forging tokens.
fn claims(app: &crate::helpers::TestApp) -> Value {
    let t = now();
    json!({
        "iss": app.state().tokens.issuer,
        "aud": app.state().tokens.audience,
        "sub": "UBND-68",
        "iat": t, "nbf": t, "exp": t + 300,
        "jti": "forged",
        "scope": "population:read",
        "jurisdiction": "68",
    })
}

fn signed(app: &crate::helpers::TestApp, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(app.state().keys.kid.clone());
    jsonwebtoken::encode(&header, claims, &app.state().keys.encoding).unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// A request without a token, or with a malformed one, gets 401 and no data.
#[tokio::test]
async fn missing_and_malformed_tokens_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    assert_refused(&app, None, "no token").await;
    assert_refused(&app, Some("garbage"), "garbage").await;
    assert_refused(&app, Some("abc.def.ghi"), "three garbage parts").await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(
            "Authorization",
            format!("Basic {}", app.token("BCA").await?),
        )
        .json(&json!({ "query": ME }))
        .send()
        .await?;
    assert_eq!(response.status(), 401, "a token under the Basic scheme");
    Ok(())
}

/// Tokens that are signed wrongly or not at all are refused.
#[tokio::test]
async fn forged_signatures_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let c = claims(&app);

    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&c)
    );
    assert_refused(&app, Some(&none), "alg none").await;

    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(app.state().keys.kid.clone());
    let public = URL_SAFE_NO_PAD.decode(&app.state().keys.public_x)?;
    let hs256 = jsonwebtoken::encode(&hs, &c, &EncodingKey::from_secret(&public))?;
    assert_refused(&app, Some(&hs256), "HS256 with the public key as secret").await;

    let dir = tempfile::tempdir()?;
    let other = api::auth::keys::SigningKeys::load_or_create(&dir.path().join("k"), true)?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(app.state().keys.kid.clone());
    let wrong_key = jsonwebtoken::encode(&header, &c, &other.encoding)?;
    assert_refused(&app, Some(&wrong_key), "signed by another key").await;

    header.kid = Some("unknown".into());
    let unknown_kid = jsonwebtoken::encode(&header, &c, &app.state().keys.encoding)?;
    assert_refused(&app, Some(&unknown_kid), "unknown kid").await;

    let good = signed(&app, &c);
    let parts: Vec<&str> = good.split('.').collect();
    let mut altered = c.clone();
    altered["scope"] = json!("population:read population:read:pii");
    let tampered = format!("{}.{}.{}", parts[0], b64(&altered), parts[2]);
    assert_refused(&app, Some(&tampered), "payload altered after signing").await;

    // The untampered token is accepted: the refusals above are about the forgery.
    let body = app.graphql_with(&good, ME, json!({})).await?;
    assert_eq!(body["data"]["me"]["agencyCode"], "UBND-68");
    Ok(())
}

/// Expired, not-yet-valid, wrong issuer or audience, and tokens missing a
/// required claim are refused.
#[tokio::test]
async fn invalid_claims_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let base = claims(&app);
    let cases: Vec<(&str, Value)> = vec![
        ("expired", json!({"exp": now() - 120})),
        ("not yet valid", json!({"nbf": now() + 600})),
        ("wrong issuer", json!({"iss": "https://elsewhere"})),
        ("wrong audience", json!({"aud": "another-api"})),
        ("unknown scope", json!({"scope": "population:everything"})),
        ("bad jurisdiction", json!({"jurisdiction": "99"})),
    ];
    for (why, change) in cases {
        let mut c = base.clone();
        for (k, v) in change.as_object().unwrap() {
            c[k] = v.clone();
        }
        assert_refused(&app, Some(&signed(&app, &c)), why).await;
    }
    for claim in ["exp", "sub", "iss", "aud", "nbf", "jti"] {
        let mut c = base.clone();
        c.as_object_mut().unwrap().remove(claim);
        assert_refused(&app, Some(&signed(&app, &c)), &format!("missing {claim}")).await;
    }
    Ok(())
}

/// A token for an agency that is not registered, or is suspended, is refused.
#[tokio::test]
async fn unknown_and_suspended_agencies_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let mut c = claims(&app);
    c["sub"] = json!("UBND-99");
    assert_refused(&app, Some(&signed(&app, &c)), "unregistered agency").await;

    let token = app.token("UBND-01").await?;
    app.graphql_with(&token, ME, json!({})).await?;
    let suspend = "mutation ($status: AgencyStatus!) { setAgencyStatus(code: \"UBND-01\", status: $status) { status } }";
    let body = app
        .graphql_as("TTDLQG", suspend, json!({ "status": "SUSPENDED" }))
        .await?;
    assert_eq!(body["data"]["setAgencyStatus"]["status"], "SUSPENDED");
    assert_refused(&app, Some(&token), "suspended agency").await;
    app.graphql_as("TTDLQG", suspend, json!({ "status": "ACTIVE" }))
        .await?;
    app.graphql_with(&token, ME, json!({})).await?;

    // An agency removed from the register (out of band, before the hub had
    // seen it) with a token still unexpired.
    let mut c = claims(&app);
    c["sub"] = json!("UBND-04");
    c["jurisdiction"] = json!("04");
    let token = signed(&app, &c);
    app.sql("DELETE FROM access_grant WHERE grantee = 'UBND-04'")
        .await?;
    app.sql("DELETE FROM agency WHERE code = 'UBND-04'").await?;
    assert_refused(&app, Some(&token), "deleted agency").await;

    // A revoked token, refused on its very next use.
    let token = app.token("UBND-79").await?;
    let body = app
        .graphql_with(&token, "mutation { revokeToken { tokenId } }", json!({}))
        .await?;
    assert!(body["data"]["revokeToken"]["tokenId"].is_string(), "{body}");
    assert_refused(&app, Some(&token), "revoked token").await;
    Ok(())
}

/// A validly signed token cannot carry more than its agency may have: the
/// scopes and jurisdiction in force are the intersection.
#[tokio::test]
async fn token_scopes_are_bounded_by_the_agency() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let mut c = claims(&app);
    c["scope"] = json!("hub:admin population:read population:write");
    c["jurisdiction"] = json!("*");
    let body = app.graphql_with(&signed(&app, &c), ME, json!({})).await?;
    assert_eq!(body["data"]["me"]["scopes"], json!(["population:read"]));
    let population = body["data"]["me"]["jurisdictions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["dataset"] == "POPULATION")
        .unwrap()
        .clone();
    assert_eq!(population["provinces"], json!(["68"]));
    Ok(())
}

/// Health answers without a token; the playground page explains where the
/// token goes.
#[tokio::test]
async fn health_and_playground_are_served() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let health = app.get("/healthz").await?;
    assert_eq!(health.status(), 200);
    let page = app.get("/graphql").await?;
    assert_eq!(page.status(), 200);
    let html = page.text().await?;
    assert!(html.contains("graphiql.min.js") && html.contains("id=\"token\""));
    let examples = app.get("/playground/examples.json").await?.text().await?;
    assert!(examples.contains("legalRepresentative"), "an example query");
    Ok(())
}

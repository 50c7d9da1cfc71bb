//! The hub operator administers agencies but never holds a data owner's
//! authority: it cannot make itself (or anyone) an owner, take an owner's
//! secret or change an owner's status through the API; every rotation of a
//! secret is visible to the agency concerned; and an agency revokes only
//! its own tokens.

use crate::helpers::{TestApp, errors, spawn_app};
use serde_json::{Value, json};

/// The first error's code and message.
fn first_error(body: &Value) -> (String, String) {
    let error = errors(body).first().cloned().unwrap_or(Value::Null);
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        error["message"].as_str().unwrap_or("").to_owned(),
    )
}

/// Asks `/oauth/token` for a token with a client secret; returns the
/// status and body.
async fn client_credentials(
    app: &TestApp,
    client_id: &str,
    secret: &str,
) -> anyhow::Result<(u16, Value)> {
    let response = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

/// Sends `document` as `agency` with the one variable `name` set to
/// `value`; returns the response.
async fn as_agency(
    app: &TestApp,
    agency: &str,
    document: &str,
    (name, value): (&str, &str),
) -> anyhow::Result<Value> {
    app.graphql_as(agency, document, json!({ name: value }))
        .await
}

/// Rotates `code`'s secret as `agency`; returns the response.
async fn rotate(app: &TestApp, agency: &str, code: &str) -> anyhow::Result<Value> {
    const ROTATE: &str = "mutation ($code: String!) { rotateClientSecret(code: $code) { clientSecret agency { code } } }";
    as_agency(app, agency, ROTATE, ("code", code)).await
}

/// Rotates `code`'s secret with its own token; returns the new secret.
async fn rotate_own(app: &TestApp, code: &str) -> anyhow::Result<String> {
    let own = rotate(app, code, code).await?;
    Ok(own["data"]["rotateClientSecret"]["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned())
}

const OWNERS: &str = "{ agencies { code owns } }";

/// The agencies that own something, with what they own.
async fn owners(app: &TestApp) -> anyhow::Result<Vec<(String, Value)>> {
    let body = app.graphql_as("TTDLQG", OWNERS, json!({})).await?;
    Ok(body["data"]["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["owns"] != json!([]))
        .map(|a| (a["code"].as_str().unwrap().to_owned(), a["owns"].clone()))
        .collect())
}

/// The review's attack: the operator registers an agency that owns every
/// dataset, to take its secret and hold every scope. It is refused, no
/// agency is created, the owners stay as configured, and an owner's code
/// cannot be registered again.
#[tokio::test]
async fn the_operator_cannot_make_an_owner() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let before = owners(&app).await?;
    assert_eq!(
        before,
        [
            ("BCA".to_owned(), json!(["POPULATION"])),
            ("BNNMT".to_owned(), json!(["LAND"])),
            ("BTC".to_owned(), json!(["ENTERPRISE"])),
        ]
    );
    let attack = app
        .graphql_as(
            "TTDLQG",
            r#"mutation { registerAgency(input: { code: "TTDLQG-OPS", name: "Vận hành", kind: MINISTRY,
                owns: [POPULATION, LAND, ENTERPRISE] }) { clientSecret agency { code owns } } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(attack["data"]["registerAgency"], Value::Null, "{attack}");
    let (code, message) = first_error(&attack);
    assert_eq!(code, "FORBIDDEN", "{attack}");
    assert!(message.contains("ownership of a dataset"), "{message}");
    let created = app
        .graphql_as(
            "TTDLQG",
            "{ agency(code: \"TTDLQG-OPS\") { code } }",
            json!({}),
        )
        .await?;
    assert_eq!(created["data"]["agency"], Value::Null, "{created}");

    // Reusing an owner's code is a conflict, and the owner is untouched.
    let reuse = app
        .graphql_as(
            "TTDLQG",
            r#"mutation { registerAgency(input: { code: "BCA", name: "Bộ Công an (giả)", kind: HUB }) { clientSecret } }"#,
            json!({}),
        )
        .await?;
    assert_eq!(first_error(&reuse).0, "CONFLICT", "{reuse}");
    assert_eq!(owners(&app).await?, before);
    Ok(())
}

/// An agency the operator registers owns nothing: its token from
/// `/oauth/token` carries no scope of any dataset, and owners' rights
/// (the access log, writing a register) are refused to it.
#[tokio::test]
async fn a_registered_agency_owns_nothing() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let body = app
        .graphql_as(
            "TTDLQG",
            r#"mutation { registerAgency(input: { code: "BYT", name: "Bộ Y tế", kind: MINISTRY }) { clientSecret agency { code owns } } }"#,
            json!({}),
        )
        .await?;
    let payload = &body["data"]["registerAgency"];
    assert_eq!(payload["agency"]["owns"], json!([]), "{body}");
    let secret = payload["clientSecret"].as_str().unwrap();
    let (status, token) = client_credentials(&app, "BYT", secret).await?;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["scope"], "", "{token}");
    let token = token["access_token"].as_str().unwrap();
    let log = app
        .graphql_with(
            token,
            "{ accessLog(first: 1) { edges { cursor } } }",
            json!({}),
        )
        .await?;
    assert_eq!(first_error(&log).0, "FORBIDDEN", "{log}");
    let me = app
        .graphql_with(token, "{ me { scopes } }", json!({}))
        .await?;
    assert_eq!(me["data"]["me"]["scopes"], json!([]), "{me}");
    Ok(())
}

/// The operator cannot rotate an owner's secret (which would let it act
/// as the owner) nor suspend an owner; a province can rotate no one's
/// secret but its own. The owner's own secret keeps working.
#[tokio::test]
async fn the_operator_cannot_take_an_owners_secret_or_status() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let secret = rotate_own(&app, "BCA").await?;

    let taken = rotate(&app, "TTDLQG", "BCA").await?;
    assert_eq!(taken["data"]["rotateClientSecret"], Value::Null, "{taken}");
    let (code, message) = first_error(&taken);
    assert_eq!(code, "FORBIDDEN", "{taken}");
    assert!(message.contains("reset-client-secret"), "{message}");
    for (agency, target) in [("UBND-68", "BCA"), ("UBND-68", "UBND-01")] {
        let body = rotate(&app, agency, target).await?;
        assert_eq!(
            first_error(&body).0,
            "FORBIDDEN",
            "{agency} → {target}: {body}"
        );
    }
    let (status, _) = client_credentials(&app, "BCA", &secret).await?;
    assert_eq!(status, 200, "the owner's secret still works");

    let suspend = app
        .graphql_as(
            "TTDLQG",
            "mutation { setAgencyStatus(code: \"BCA\", status: SUSPENDED) { status } }",
            json!({}),
        )
        .await?;
    assert_eq!(first_error(&suspend).0, "FORBIDDEN", "{suspend}");
    let me = app
        .graphql_as("BCA", "{ me { agencyCode } }", json!({}))
        .await?;
    assert_eq!(me["data"]["me"]["agencyCode"], "BCA", "{me}");
    Ok(())
}

/// An owner rotates its own secret with its own token, and sees each
/// rotation of it: its own, and a reset on the hub's server. A province
/// sees the operator's rotation of its secret; no one else sees them.
#[tokio::test]
async fn every_rotation_is_visible_to_the_agency() -> anyhow::Result<()> {
    const SEEN: &str = "query ($code: String!) { agency(code: $code) {
        secretRotatedAt secretRotatedBy secretRotations { at by } } }";
    let app = spawn_app().await?;
    let secret = rotate_own(&app, "BCA").await?;
    let (status, body) = client_credentials(&app, "BCA", &secret).await?;
    assert_eq!(status, 200, "{body}");
    assert!(body["scope"].as_str().unwrap().contains("population:write"));
    let seen = as_agency(&app, "BCA", SEEN, ("code", "BCA")).await?;
    assert!(errors(&seen).is_empty(), "{seen}");
    assert_eq!(seen["data"]["agency"]["secretRotatedBy"], "BCA");
    assert!(seen["data"]["agency"]["secretRotatedAt"].is_string());

    // A lost owner secret is reset on the server, which BCA sees too.
    let output = tokio::task::spawn_blocking({
        let url = app.database_url().to_owned();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_lienthong"))
                .args([
                    "reset-client-secret",
                    "--code",
                    "BCA",
                    "--database-url",
                    &url,
                ])
                .output()
        }
    })
    .await??;
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reset = printed.rsplit(' ').next().unwrap().trim();
    let (status, _) = client_credentials(&app, "BCA", reset).await?;
    assert_eq!(status, 200);
    let (status, _) = client_credentials(&app, "BCA", &secret).await?;
    assert_eq!(status, 401, "the old secret no longer works");
    let seen = as_agency(&app, "BCA", SEEN, ("code", "BCA")).await?;
    let by: Vec<&str> = seen["data"]["agency"]["secretRotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["server", "BCA"], "{seen}");

    // The operator rotates a province's secret: the province sees who.
    let body = rotate(&app, "TTDLQG", "UBND-68").await?;
    assert!(errors(&body).is_empty(), "{body}");
    let seen = as_agency(&app, "UBND-68", SEEN, ("code", "UBND-68")).await?;
    assert_eq!(
        seen["data"]["agency"]["secretRotatedBy"], "TTDLQG",
        "{seen}"
    );
    let other = as_agency(&app, "UBND-01", SEEN, ("code", "UBND-68")).await?;
    assert_eq!(first_error(&other).0, "FORBIDDEN", "{other}");
    assert_eq!(other["data"]["agency"]["secretRotatedBy"], Value::Null);
    Ok(())
}

/// The token id of a token.
async fn token_id(app: &TestApp, token: &str) -> anyhow::Result<String> {
    let me = app
        .graphql_with(token, "{ me { tokenId } }", json!({}))
        .await?;
    Ok(me["data"]["me"]["tokenId"].as_str().unwrap().to_owned())
}

/// Revokes `jti` as `agency`; returns the response.
async fn revoke(app: &TestApp, agency: &str, jti: &str) -> anyhow::Result<Value> {
    const REVOKE: &str = "mutation ($jti: String!) { revokeToken(jti: $jti) { tokenId } }";
    as_agency(app, agency, REVOKE, ("jti", jti)).await
}

/// Whether a token is still accepted.
async fn works(app: &TestApp, token: &str) -> anyhow::Result<bool> {
    let (status, _, _) = app
        .post_graphql(Some(token), "{ me { agencyCode } }", json!({}))
        .await?;
    Ok(status == 200)
}

/// A province naming BCA's token id changes nothing (and is answered as
/// any revocation is); BCA revokes its own token; the hub operator revokes
/// anyone's; an id that is not a UUID is bad input.
#[tokio::test]
async fn an_agency_revokes_only_its_own_tokens() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let bca = app.token("BCA").await?;
    let jti = token_id(&app, &bca).await?;

    let body = revoke(&app, "UBND-68", &jti).await?;
    assert!(errors(&body).is_empty(), "{body}");
    assert_eq!(body["data"]["revokeToken"]["tokenId"], jti.as_str());
    assert!(works(&app, &bca).await?, "another agency cannot revoke it");

    let body = revoke(&app, "BCA", &jti).await?;
    assert!(errors(&body).is_empty(), "{body}");
    assert!(!works(&app, &bca).await?, "its own agency can");

    let second = app.token("BCA").await?;
    let body = revoke(&app, "TTDLQG", &token_id(&app, &second).await?).await?;
    assert!(errors(&body).is_empty(), "{body}");
    assert!(!works(&app, &second).await?, "the hub operator can");
    assert!(
        works(&app, &app.token("BCA").await?).await?,
        "a new token works"
    );

    for bad in ["x\u{0}".to_owned(), "a".repeat(2048), jti.replace('-', "")] {
        let body = revoke(&app, "BCA", &bad).await?;
        assert_eq!(first_error(&body).0, "BAD_USER_INPUT", "{body}");
    }
    Ok(())
}

/// The migrations of these changes go down and up again on a database with
/// revocations in it: down, one row per token id (any token with a revoked
/// id is refused, as before); up again, the hub operator's revocation
/// reaches any agency's token and another only the revoking agency's.
#[tokio::test]
async fn revocations_survive_the_migrations_down_and_up() -> anyhow::Result<()> {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
    let app = spawn_app().await?;
    let (by_hub, by_two) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    for (agency, jti) in [("TTDLQG", &by_hub), ("UBND-68", &by_two), ("BCA", &by_two)] {
        let body = revoke(&app, agency, jti).await?;
        assert!(errors(&body).is_empty(), "{body}");
    }
    let db = &app.app_db.conn;
    // Down to before the revocations' migration.
    let since = crate::helpers::migrations_since("m20261201_000002_key_revoked_token_by_agency");
    Migrator::down(db, Some(since)).await?;
    let count = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM revoked_token",
        ))
        .await?
        .unwrap()
        .try_get::<i64>("", "n")?;
    assert_eq!(count, 2, "one row per token id");
    Migrator::up(db, None).await?;
    let rows: Vec<(String, String)> = entities::access::revoked_token::Entity::find()
        .order_by_asc(entities::access::revoked_token::Column::Jti)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.jti, r.agency))
        .collect();
    let mut expected = vec![(by_hub, "*".to_owned()), (by_two, "BCA".to_owned())];
    expected.sort();
    assert_eq!(rows, expected);
    Ok(())
}

//! Field scopes are enforced on the field, on every path that reaches it,
//! and listings keep to the caller's jurisdiction while lookups by id are
//! national.

use crate::helpers::{TestApp, assert_forbidden, error_at, errors, nodes, spawn_app};
use serde_json::{Value, json};

/// A citizen, an enterprise with members and a parcel with a citizen
/// holder, all in Lâm Đồng, found with UBND-68's full token.
async fn samples(app: &TestApp) -> anyhow::Result<(String, String, String)> {
    let body = app
        .graphql_as(
            "UBND-68",
            "{ citizens(first: 1) { edges { node { personalId } } }
               enterprises(first: 100) { edges { node { code members { kind } } } }
               landParcels(first: 200) { edges { node { id rights { holderKind } } } } }",
            json!({}),
        )
        .await?;
    let citizen = nodes(&body, "citizens")[0]["personalId"]
        .as_str()
        .unwrap()
        .to_owned();
    let enterprise = nodes(&body, "enterprises")
        .into_iter()
        .find(|e| {
            e["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["kind"] == "CITIZEN")
        })
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let parcel = nodes(&body, "landParcels")
        .into_iter()
        .find(|p| {
            p["rights"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["holderKind"] == "CITIZEN")
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Ok((citizen, enterprise, parcel))
}

/// A citizen's date of birth is withheld without `population:read:pii` on
/// every path: by id, in a listing, as a legal representative, as a member,
/// as a land holder, and as someone's parent.
#[tokio::test]
async fn pii_is_guarded_on_every_path() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (citizen, enterprise, parcel) = samples(&app).await?;
    let token = app
        .token_with(
            "UBND-68",
            "population:read land:read land:read:holders enterprise:read enterprise:read:members",
        )
        .await?;
    let paths = [
        (
            "citizen",
            format!("{{ citizen(personalId: \"{citizen}\") {{ fullName dateOfBirth }} }}"),
        ),
        (
            "listing",
            "{ citizens(first: 5) { edges { node { fullName dateOfBirth } } } }".to_owned(),
        ),
        (
            "legal representative",
            format!(
                "{{ enterprise(code: \"{enterprise}\") {{ legalRepresentative {{ fullName dateOfBirth }} }} }}"
            ),
        ),
        (
            "member",
            format!(
                "{{ enterprise(code: \"{enterprise}\") {{ members {{ member {{ ... on Citizen {{ fullName dateOfBirth }} }} }} }} }}"
            ),
        ),
        (
            "land holder",
            format!(
                "{{ landParcel(id: \"{parcel}\") {{ rights {{ holder {{ ... on Citizen {{ fullName dateOfBirth }} }} }} }} }}"
            ),
        ),
    ];
    for (path, query) in paths {
        let body = app.graphql_with(&token, &query, json!({})).await?;
        let refused = assert_forbidden(&body, "population:read:pii");
        let text = body["data"].to_string();
        assert!(
            text.contains("fullName"),
            "{path}: the rest is served: {body}"
        );
        assert_eq!(
            text.matches("\"dateOfBirth\":null").count(),
            refused,
            "{path}: each refused field is null: {body}"
        );
        assert!(
            !text.contains("\"dateOfBirth\":\""),
            "{path}: no date leaked"
        );
    }
    // Relatives, households and addresses are PII too.
    let body = app
        .graphql_with(
            &token,
            &format!("{{ citizen(personalId: \"{citizen}\") {{ personalId father {{ personalId }} spouse {{ personalId }} children {{ personalId }} household {{ id }} residenceLine ethnicity placeOfOrigin {{ code }} }} }}"),
            json!({}),
        )
        .await?;
    assert_eq!(assert_forbidden(&body, "population:read:pii"), 7);
    assert_eq!(body["data"]["citizen"]["personalId"], citizen.as_str());
    Ok(())
}

/// With only `enterprise:read`, the public register is served, but the
/// legal representative's citizen fields, the members and the land are not.
#[tokio::test]
async fn the_public_register_does_not_open_other_datasets() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, enterprise, _) = samples(&app).await?;
    let token = app.token_with("UBND-68", "enterprise:read").await?;
    let body = app
        .graphql_with(
            &token,
            &format!("{{ enterprise(code: \"{enterprise}\") {{ name legalRepresentativeName industries {{ code }} legalRepresentative {{ personalId fullName }} members {{ share }} landRights {{ certificateNumber }} }} }}"),
            json!({}),
        )
        .await?;
    let e = &body["data"]["enterprise"];
    assert!(e["name"].is_string() && e["legalRepresentativeName"].is_string());
    assert!(e["legalRepresentative"]["personalId"].is_null());
    for (path, scope) in [
        (
            vec!["enterprise", "legalRepresentative", "personalId"],
            "population:read",
        ),
        (
            vec!["enterprise", "legalRepresentative", "fullName"],
            "population:read",
        ),
        (vec!["enterprise", "members"], "enterprise:read:members"),
        (vec!["enterprise", "landRights"], "land:read:holders"),
    ] {
        let error =
            error_at(&body, &path).unwrap_or_else(|| panic!("no error at {path:?}: {body}"));
        assert_eq!(error["extensions"]["code"], "FORBIDDEN");
        assert_eq!(error["extensions"]["requiredScope"], scope);
    }
    assert_eq!(errors(&body).len(), 4);
    Ok(())
}

/// Without `land:read:holders`, parcels and certificates are served but who
/// holds them is not, from the parcel, the certificate or the citizen.
#[tokio::test]
async fn holders_need_their_own_scope() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (citizen, _, parcel) = samples(&app).await?;
    let token = app
        .token_with("UBND-68", "land:read population:read")
        .await?;
    let body = app
        .graphql_with(
            &token,
            &format!("{{ landParcel(id: \"{parcel}\") {{ id areaM2 rights {{ certificateNumber status holderKind holderId holder {{ __typename }} }} }}
                        citizen(personalId: \"{citizen}\") {{ fullName landRights {{ certificateNumber }} }} }}"),
            json!({}),
        )
        .await?;
    let rights = body["data"]["landParcel"]["rights"].as_array().unwrap();
    assert!(!rights.is_empty());
    for r in rights {
        assert!(r["certificateNumber"].is_string());
        assert!(r["holderKind"].is_null() && r["holderId"].is_null() && r["holder"].is_null());
    }
    assert!(body["data"]["citizen"]["landRights"].is_null());
    assert_eq!(
        assert_forbidden(&body, "land:read:holders"),
        rights.len() * 3 + 1
    );
    Ok(())
}

/// `population:verify` answers yes or no and discloses nothing else; it
/// does not open `citizen(personalId:)`.
#[tokio::test]
async fn verification_discloses_only_a_yes_or_no() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let full = app
        .graphql_as(
            "BCA",
            "{ citizens(first: 1, filter: { status: ALIVE }) { edges { node { personalId fullName dateOfBirth residenceCommune { code } } } } }",
            json!({}),
        )
        .await?;
    let c = nodes(&full, "citizens")[0].clone();
    let token = app.token_with("BNNMT", "population:verify").await?;
    let verify = "query ($input: VerifyCitizenInput!) { verifyCitizen(input: $input) { matches } }";
    let ask = |input: Value| {
        let token = token.clone();
        let app = &app;
        async move {
            app.graphql_with(&token, verify, json!({ "input": input }))
                .await
        }
    };
    let yes = ask(json!({
        "personalId": c["personalId"], "fullName": c["fullName"],
        "dateOfBirth": c["dateOfBirth"], "residenceCommuneCode": c["residenceCommune"]["code"],
        "alive": true
    }))
    .await?;
    assert_eq!(
        yes,
        json!({ "data": { "verifyCitizen": { "matches": true } } })
    );
    let wrong_date =
        ask(json!({ "personalId": c["personalId"], "dateOfBirth": "1900-01-01" })).await?;
    assert_eq!(wrong_date["data"]["verifyCitizen"]["matches"], false);
    let wrong_name =
        ask(json!({ "personalId": c["personalId"], "fullName": "Không Có Ai" })).await?;
    assert_eq!(wrong_name["data"]["verifyCitizen"]["matches"], false);
    let nobody = ask(json!({ "personalId": "001185000000", "alive": true })).await?;
    assert_eq!(nobody["data"]["verifyCitizen"]["matches"], false);

    let lookup = app
        .graphql_with(
            &token,
            &format!(
                "{{ citizen(personalId: {}) {{ fullName }} }}",
                c["personalId"]
            ),
            json!({}),
        )
        .await?;
    assert!(lookup["data"]["citizen"].is_null());
    assert_forbidden(&lookup, "population:read");

    let no_verify = app.token_with("UBND-68", "population:read").await?;
    let body = app
        .graphql_with(
            &no_verify,
            verify,
            json!({ "input": { "personalId": c["personalId"], "alive": true } }),
        )
        .await?;
    assert_forbidden(&body, "population:verify");
    Ok(())
}

/// A province lists only its own rows, is refused outside its jurisdiction
/// on every listing, and still looks up anyone by id.
#[tokio::test]
async fn jurisdiction_limits_listings_but_not_lookups() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let body = app
        .graphql_as(
            "UBND-68",
            "{ citizens(first: 500) { edges { node { residenceCommune { province { code } } } } }
               enterprises(first: 500) { edges { node { headOfficeCommune { province { code } } } } }
               landParcels(first: 500) { edges { node { commune { province { code } } } } } }",
            json!({}),
        )
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    let mut total = 0;
    for (listing, path) in [
        ("citizens", "residenceCommune"),
        ("enterprises", "headOfficeCommune"),
        ("landParcels", "commune"),
    ] {
        let rows = nodes(&body, listing);
        assert!(!rows.is_empty(), "{listing} has rows in 68");
        total += rows.len();
        for row in rows {
            assert_eq!(row[path]["province"]["code"], "68", "{listing}");
        }
    }
    assert!(total > 0);

    for query in [
        "{ citizens(filter: { provinceCode: \"01\" }) { edges { cursor } } }",
        "{ citizens(filter: { communeCode: \"00004\" }) { edges { cursor } } }",
        "{ enterprises(filter: { provinceCode: \"01\" }) { edges { cursor } } }",
        "{ enterprises(filter: { communeCode: \"00004\" }) { edges { cursor } } }",
        "{ landParcels(filter: { provinceCode: \"79\" }) { edges { cursor } } }",
        "{ landParcels(filter: { communeCode: \"00004\" }) { edges { cursor } } }",
    ] {
        let body = app.graphql_as("UBND-68", query, json!({})).await?;
        assert!(
            body["data"].is_null()
                || body["data"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(Value::is_null),
            "{query}: {body}"
        );
        let e = &errors(&body)[0];
        assert_eq!(e["extensions"]["code"], "FORBIDDEN", "{query}");
        assert!(
            e["message"].as_str().unwrap().contains("jurisdiction"),
            "{query}"
        );
    }

    // A citizen of Hà Nội, looked up by id from Lâm Đồng: national.
    let hanoi = app
        .graphql_as("BCA", "{ citizens(first: 1, filter: { provinceCode: \"01\" }) { edges { node { personalId } } } }", json!({}))
        .await?;
    let id = nodes(&hanoi, "citizens")[0]["personalId"].clone();
    let body = app
        .graphql_as("UBND-68", "query ($id: String!) { citizen(personalId: $id) { fullName residenceCommune { province { code } } } }", json!({ "id": id }))
        .await?;
    assert_eq!(
        body["data"]["citizen"]["residenceCommune"]["province"]["code"],
        "01"
    );
    Ok(())
}

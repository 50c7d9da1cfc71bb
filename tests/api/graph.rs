//! One query crosses population, land and enterprise data, and every
//! relation agrees with its inverse.

use crate::helpers::{TestApp, error_at, errors, nodes, spawn_app};
use serde_json::{Value, json};

const ALL_READ: &str = "population:read population:read:pii population:verify land:read \
    land:read:holders enterprise:read enterprise:read:members";

/// An agency that may read everything, nationwide, to walk the graph.
pub async fn reader(app: &TestApp) -> anyhow::Result<String> {
    app.add_agency("TEST-READER", ALL_READ, "*").await?;
    app.token("TEST-READER").await
}

const ENTERPRISE_WITH_REP: &str = r#"
query ($code: String!) {
  enterprise(code: $code) {
    code name legalRepresentativeName
    legalRepresentative {
      personalId fullName dateOfBirth
      residenceCommune { code name province { code name } }
      landRights { certificateNumber status parcel { id areaM2 landUse }
                   holder { ... on Citizen { personalId } } }
    }
  }
}"#;

/// An enterprise of Lâm Đồng whose legal representative holds land.
async fn enterprise_whose_rep_holds_land(app: &TestApp) -> anyhow::Result<String> {
    let body = app
        .graphql_as(
            "UBND-68",
            "{ enterprises(first: 500) { edges { node { code \
               legalRepresentative { landRights { certificateNumber } } } } } }",
            json!({}),
        )
        .await?;
    nodes(&body, "enterprises")
        .iter()
        .find(|e| {
            e["legalRepresentative"]["landRights"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        })
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .ok_or_else(|| anyhow::anyhow!("the test data has no such enterprise in province 68"))
}

/// With UBND-68's token one query returns an enterprise, its legal
/// representative, where they live and the land they hold.
#[tokio::test]
async fn one_query_crosses_the_three_datasets() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let code = enterprise_whose_rep_holds_land(&app).await?;
    let body = app
        .graphql_as("UBND-68", ENTERPRISE_WITH_REP, json!({ "code": code }))
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    let e = &body["data"]["enterprise"];
    assert_eq!(e["code"], code.as_str());
    let rep = &e["legalRepresentative"];
    assert_eq!(e["legalRepresentativeName"], rep["fullName"]);
    assert!(rep["dateOfBirth"].is_string());
    assert_eq!(
        rep["residenceCommune"]["province"]["code"]
            .as_str()
            .unwrap()
            .len(),
        2
    );
    let rights = rep["landRights"].as_array().unwrap();
    assert!(!rights.is_empty());
    for right in rights {
        assert_eq!(right["holder"]["personalId"], rep["personalId"]);
        assert!(right["parcel"]["id"].is_string());
    }
    Ok(())
}

/// The same query without `population:read:pii` returns everything but the
/// guarded field, which is null with a FORBIDDEN error naming the scope.
#[tokio::test]
async fn without_pii_only_the_guarded_fields_are_withheld() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let code = enterprise_whose_rep_holds_land(&app).await?;
    let token = app
        .token_with(
            "UBND-68",
            "population:read land:read land:read:holders enterprise:read",
        )
        .await?;
    let body = app
        .graphql_with(&token, ENTERPRISE_WITH_REP, json!({ "code": code }))
        .await?;
    let rep = &body["data"]["enterprise"]["legalRepresentative"];
    assert!(rep["dateOfBirth"].is_null());
    assert!(rep["fullName"].is_string() && rep["personalId"].is_string());
    assert!(rep["residenceCommune"]["province"]["name"].is_string());
    assert!(!rep["landRights"].as_array().unwrap().is_empty());
    let errs = errors(&body);
    assert_eq!(errs.len(), 1, "{body}");
    let e = error_at(&body, &["enterprise", "legalRepresentative", "dateOfBirth"]).unwrap();
    assert_eq!(e["extensions"]["code"], "FORBIDDEN");
    assert_eq!(e["extensions"]["requiredScope"], "population:read:pii");
    Ok(())
}

fn strings(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|v| v[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Household ↔ members, parents ↔ children and spouses agree both ways.
#[tokio::test]
async fn population_relations_agree_both_ways() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = reader(&app).await?;
    let body = app
        .graphql_with(
            &token,
            "{ citizens(first: 300, filter: { bornFrom: 1975 }) { edges { node {
                 personalId
                 household { id head { personalId } members { personalId } }
                 father { personalId children { personalId } }
                 mother { personalId children { personalId } }
                 spouse { personalId spouse { personalId } }
               } } } }",
            json!({}),
        )
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    let (mut with_parents, mut married) = (0, 0);
    for c in nodes(&body, "citizens") {
        let id = c["personalId"].as_str().unwrap();
        let household = &c["household"];
        assert!(strings(&household["members"], "personalId").contains(&id.to_owned()));
        assert!(household["head"]["personalId"].is_string());
        for parent in ["father", "mother"] {
            if c[parent].is_object() {
                with_parents += 1;
                assert!(strings(&c[parent]["children"], "personalId").contains(&id.to_owned()));
            }
        }
        if c["spouse"].is_object() {
            married += 1;
            assert_eq!(c["spouse"]["spouse"]["personalId"], id);
        }
    }
    assert!(
        with_parents > 0 && married > 0,
        "the sample exercises each relation"
    );

    // The household root gives the same household.
    let first = &nodes(&body, "citizens")[0];
    let hid = first["household"]["id"].as_str().unwrap();
    let again = app
        .graphql_with(
            &token,
            "query ($id: ID!) { household(id: $id) { id members { personalId } } }",
            json!({ "id": hid }),
        )
        .await?;
    assert_eq!(
        again["data"]["household"]["members"],
        first["household"]["members"]
    );
    Ok(())
}

/// Land rights, parcels, holders, enterprises, members and legal
/// representatives agree both ways.
#[tokio::test]
async fn land_and_enterprise_relations_agree_both_ways() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = reader(&app).await?;
    let body = app
        .graphql_with(
            &token,
            r#"{ enterprises(first: 200) { edges { node {
                 code
                 legalRepresentative { enterprises { code } }
                 members { kind share member {
                   ... on Citizen { personalId memberships { enterprise { code } } }
                   ... on Enterprise { code memberships { enterprise { code } } } } }
                 landRights { certificateNumber holderKind holderId
                   holder { ... on Enterprise { code } }
                   parcel { rights { certificateNumber } } }
               } } } }"#,
            json!({}),
        )
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    let mut enterprise_land = 0;
    for e in nodes(&body, "enterprises") {
        let code = e["code"].as_str().unwrap().to_owned();
        let represented = strings(&e["legalRepresentative"]["enterprises"], "code");
        assert!(represented.contains(&code));
        let members = e["members"].as_array().unwrap();
        let total: f64 = members.iter().map(|m| m["share"].as_f64().unwrap()).sum();
        assert!(
            (total - 1.0).abs() < 1e-9,
            "shares of {code} add up to {total}"
        );
        for m in members {
            let back: Vec<String> = m["member"]["memberships"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["enterprise"]["code"].as_str().unwrap().to_owned())
                .collect();
            assert!(back.contains(&code), "member of {code} lists it back");
        }
        for r in e["landRights"].as_array().unwrap() {
            enterprise_land += 1;
            assert_eq!(r["holderKind"], "ENTERPRISE");
            assert_eq!(r["holderId"], code.as_str());
            assert_eq!(r["holder"]["code"], code.as_str());
            assert!(
                strings(&r["parcel"]["rights"], "certificateNumber")
                    .contains(&r["certificateNumber"].as_str().unwrap().to_owned())
            );
        }
    }
    assert!(enterprise_land > 0, "some enterprises hold land");

    let parcels = app
        .graphql_with(
            &token,
            r#"{ landParcels(first: 200) { edges { node { id
                 rights { certificateNumber status share holderKind
                   parcel { id }
                   holder { ... on Citizen { personalId landRights { certificateNumber } }
                            ... on Enterprise { code landRights { certificateNumber } } } } } } } }"#,
            json!({}),
        )
        .await?;
    assert!(errors(&parcels).is_empty(), "{parcels}");
    let mut citizen_held = 0;
    for p in nodes(&parcels, "landParcels") {
        let mut active = 0.0;
        for r in p["rights"].as_array().unwrap() {
            assert_eq!(r["parcel"]["id"], p["id"]);
            let cert = r["certificateNumber"].as_str().unwrap().to_owned();
            assert!(strings(&r["holder"]["landRights"], "certificateNumber").contains(&cert));
            if r["holderKind"] == "CITIZEN" {
                citizen_held += 1;
            }
            if r["status"] == "ACTIVE" {
                active += r["share"].as_f64().unwrap();
            }
        }
        assert!(
            (active - 1.0).abs() < 1e-9,
            "active shares of {} make a whole",
            p["id"]
        );
    }
    assert!(citizen_held > 0);
    Ok(())
}

/// Reference data: a province pages through exactly its communes, each of
/// which points back to it, and former units are linked.
#[tokio::test]
async fn province_communes_page_through_the_reference_data() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let expected = api::refdata::reference().communes_by_province["68"].clone();
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..20 {
        let body = app
            .graphql_as(
                "UBND-68",
                "query ($after: String) { province(code: \"68\") { name formerProvinces { code name }
                   communes(first: 50, after: $after) {
                     edges { node { code province { code } formerCommunes { code name } } }
                     pageInfo { hasNextPage endCursor } } } }",
                json!({ "after": after }),
            )
            .await?;
        let province = &body["data"]["province"];
        assert_eq!(province["name"], "Tỉnh Lâm Đồng");
        assert_eq!(province["formerProvinces"].as_array().unwrap().len(), 3);
        for edge in province["communes"]["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["province"]["code"], "68");
            seen.push(edge["node"]["code"].as_str().unwrap().to_owned());
        }
        let info = &province["communes"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, expected);
    let body = app
        .graphql_as("UBND-68", "{ commune(code: \"00004\") { name kind formerCommunes { code districtName } } provinces { code } }", json!({}))
        .await?;
    assert_eq!(body["data"]["commune"]["name"], "Phường Ba Đình");
    assert_eq!(body["data"]["commune"]["kind"], "WARD");
    assert!(
        !body["data"]["commune"]["formerCommunes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(body["data"]["provinces"].as_array().unwrap().len(), 34);
    Ok(())
}

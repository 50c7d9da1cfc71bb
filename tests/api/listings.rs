//! Every listing filter, and keyset pagination across pages.

use crate::graph::reader;
use crate::helpers::{TestApp, errors, spawn_app};
use api::text::fold;
use serde_json::{Value, json};

/// Pages through a listing `first` rows at a time; returns every node.
async fn all_pages(
    app: &TestApp,
    token: &str,
    listing: &str,
    filter: Value,
    fields: &str,
    first: usize,
) -> anyhow::Result<Vec<Value>> {
    let query = format!(
        "query ($filter: {ty}, $first: Int, $after: String) {{ {listing}(filter: $filter, first: $first, after: $after) {{
            edges {{ cursor node {{ {fields} }} }} pageInfo {{ hasNextPage hasPreviousPage endCursor }} }} }}",
        ty = match listing {
            "citizens" => "CitizenFilter",
            "enterprises" => "EnterpriseFilter",
            _ => "LandParcelFilter",
        }
    );
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..200 {
        let body = app
            .graphql_with(
                token,
                &query,
                json!({ "filter": filter, "first": first, "after": after }),
            )
            .await?;
        anyhow::ensure!(errors(&body).is_empty(), "{body}");
        let page = &body["data"][listing];
        let edges = page["edges"].as_array().unwrap();
        assert!(edges.len() <= first);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], after.is_some());
        rows.extend(edges.iter().map(|e| e["node"].clone()));
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(rows);
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    anyhow::bail!("pagination did not end")
}

fn keys(rows: &[Value], field: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r[field].as_str().unwrap().to_owned())
        .collect()
}

/// Small pages, followed by cursor, give exactly the rows of one big page,
/// in order, without duplicates; for every listing.
#[tokio::test]
async fn pagination_walks_every_listing_without_gaps() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    for (listing, key) in [
        ("citizens", "personalId"),
        ("enterprises", "code"),
        ("landParcels", "id"),
    ] {
        let small = all_pages(&app, &token, listing, json!({}), key, 7).await?;
        let big = all_pages(&app, &token, listing, json!({}), key, 500).await?;
        assert!(small.len() > 7, "{listing} spans several pages");
        assert_eq!(keys(&small, key), keys(&big, key), "{listing}");
        let mut sorted = keys(&big, key);
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted,
            keys(&big, key),
            "{listing} in key order, no duplicates"
        );
    }
    Ok(())
}

/// Citizens filter by province, commune, name (without or with marks),
/// birth years and status.
#[tokio::test]
async fn citizen_filters() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = reader(&app).await?;
    let fields = "personalId fullName birthYear status residenceCommune { code province { code } }";
    let everyone = all_pages(&app, &token, "citizens", json!({}), fields, 500).await?;
    assert_eq!(everyone.len() as u64, crate::helpers::CITIZENS);

    let province = all_pages(
        &app,
        &token,
        "citizens",
        json!({ "provinceCode": "79" }),
        fields,
        100,
    )
    .await?;
    let expected: Vec<_> = everyone
        .iter()
        .filter(|c| c["residenceCommune"]["province"]["code"] == "79")
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(province, expected);

    let commune = everyone[0]["residenceCommune"]["code"].as_str().unwrap();
    let in_commune = all_pages(
        &app,
        &token,
        "citizens",
        json!({ "communeCode": commune }),
        fields,
        100,
    )
    .await?;
    assert!(!in_commune.is_empty());
    assert_eq!(
        in_commune,
        everyone
            .iter()
            .filter(|c| c["residenceCommune"]["code"] == commune)
            .cloned()
            .collect::<Vec<_>>()
    );

    // "nguyen van" finds "Nguyễn Văn …", and so does "Nguyễn Văn".
    let name = everyone
        .iter()
        .map(|c| c["fullName"].as_str().unwrap())
        .find(|n| n.starts_with("Nguyễn Văn"))
        .expect("a Nguyễn Văn in the data");
    let folded = all_pages(
        &app,
        &token,
        "citizens",
        json!({ "name": "nguyen van" }),
        fields,
        5,
    )
    .await?;
    let marked = all_pages(
        &app,
        &token,
        "citizens",
        json!({ "name": "Nguyễn  Văn" }),
        fields,
        500,
    )
    .await?;
    assert_eq!(folded, marked);
    assert!(folded.iter().any(|c| c["fullName"] == name));
    let expected = everyone
        .iter()
        .filter(|c| fold(c["fullName"].as_str().unwrap()).starts_with("nguyen van"))
        .count();
    assert_eq!(folded.len(), expected);
    let names: Vec<String> = folded
        .iter()
        .map(|c| fold(c["fullName"].as_str().unwrap()))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "name searches are in name order");

    let born = all_pages(
        &app,
        &token,
        "citizens",
        json!({ "bornFrom": 1980, "bornTo": 1989 }),
        fields,
        500,
    )
    .await?;
    assert_eq!(
        born.len(),
        everyone
            .iter()
            .filter(|c| (1980..=1989).contains(&c["birthYear"].as_i64().unwrap()))
            .count()
    );
    assert!(!born.is_empty());

    let deceased = all_pages(
        &app,
        &token,
        "citizens",
        json!({ "status": "DECEASED" }),
        fields,
        500,
    )
    .await?;
    assert!(!deceased.is_empty());
    assert_eq!(
        deceased.len(),
        everyone
            .iter()
            .filter(|c| c["status"] == "DECEASED")
            .count()
    );

    let combined = all_pages(
        &app,
        &token,
        "citizens",
        json!({ "provinceCode": "79", "status": "ALIVE", "bornFrom": 1950 }),
        fields,
        500,
    )
    .await?;
    assert!(combined.iter().all(|c| c["status"] == "ALIVE"
        && c["birthYear"].as_i64().unwrap() >= 1950
        && c["residenceCommune"]["province"]["code"] == "79"));
    Ok(())
}

/// Enterprises filter by name words, status, type, province, commune and
/// industry.
#[tokio::test]
async fn enterprise_filters() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = reader(&app).await?;
    let fields =
        "code name status type headOfficeCommune { code province { code } } industries { code }";
    let all = all_pages(&app, &token, "enterprises", json!({}), fields, 500).await?;
    assert_eq!(all.len() as u64, crate::helpers::ENTERPRISES);
    let count = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|e| f(e)).count();

    let suspended = all_pages(
        &app,
        &token,
        "enterprises",
        json!({ "status": "SUSPENDED" }),
        fields,
        500,
    )
    .await?;
    assert!(!suspended.is_empty());
    assert_eq!(suspended.len(), count(&|e| e["status"] == "SUSPENDED"));

    let joint_stock = all_pages(
        &app,
        &token,
        "enterprises",
        json!({ "type": "JOINT_STOCK" }),
        fields,
        500,
    )
    .await?;
    assert!(!joint_stock.is_empty());
    assert_eq!(joint_stock.len(), count(&|e| e["type"] == "JOINT_STOCK"));

    let in_hcm = all_pages(
        &app,
        &token,
        "enterprises",
        json!({ "provinceCode": "79" }),
        fields,
        500,
    )
    .await?;
    assert_eq!(
        in_hcm.len(),
        count(&|e| e["headOfficeCommune"]["province"]["code"] == "79")
    );
    let commune = all[0]["headOfficeCommune"]["code"].as_str().unwrap();
    let in_commune = all_pages(
        &app,
        &token,
        "enterprises",
        json!({ "communeCode": commune }),
        fields,
        500,
    )
    .await?;
    assert_eq!(
        in_commune.len(),
        count(&|e| e["headOfficeCommune"]["code"] == commune)
    );

    let software = all_pages(
        &app,
        &token,
        "enterprises",
        json!({ "industryCode": "6201" }),
        fields,
        500,
    )
    .await?;
    assert!(!software.is_empty());
    assert_eq!(
        software.len(),
        count(&|e| e["industries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "6201"))
    );

    // Words from the middle of a name, without marks.
    let name = all[0]["name"].as_str().unwrap();
    let words: Vec<&str> = name.split(' ').collect();
    let tail = fold(&words[words.len() - 2..].join(" "));
    let by_name = all_pages(
        &app,
        &token,
        "enterprises",
        json!({ "name": tail }),
        fields,
        500,
    )
    .await?;
    assert!(by_name.iter().any(|e| e["name"] == name));
    assert_eq!(
        by_name.len(),
        count(&|e| fold(e["name"].as_str().unwrap()).contains(&tail))
    );

    // A LIKE wildcard in the input is not a wildcard.
    let wildcard = all_pages(
        &app,
        &token,
        "enterprises",
        json!({ "name": "%" }),
        fields,
        500,
    )
    .await;
    assert!(wildcard.is_err(), "a name of only punctuation is refused");
    Ok(())
}

/// Parcels filter by province, commune, land use and area.
#[tokio::test]
async fn parcel_filters() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = reader(&app).await?;
    let fields = "id areaM2 landUse commune { code province { code } }";
    let all = all_pages(&app, &token, "landParcels", json!({}), fields, 500).await?;
    assert_eq!(all.len() as u64, crate::helpers::PARCELS);
    let count = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|p| f(p)).count();

    let rice = all_pages(
        &app,
        &token,
        "landParcels",
        json!({ "landUse": "LUC" }),
        fields,
        500,
    )
    .await?;
    assert!(!rice.is_empty());
    assert_eq!(rice.len(), count(&|p| p["landUse"] == "LUC"));

    let sized = all_pages(
        &app,
        &token,
        "landParcels",
        json!({ "minAreaM2": 100.0, "maxAreaM2": 1000.0 }),
        fields,
        500,
    )
    .await?;
    assert!(!sized.is_empty());
    assert_eq!(
        sized.len(),
        count(&|p| (100.0..=1000.0).contains(&p["areaM2"].as_f64().unwrap()))
    );

    let hanoi = all_pages(
        &app,
        &token,
        "landParcels",
        json!({ "provinceCode": "01", "landUse": "ODT" }),
        fields,
        500,
    )
    .await?;
    assert_eq!(
        hanoi.len(),
        count(&|p| p["commune"]["province"]["code"] == "01" && p["landUse"] == "ODT")
    );
    let commune = all[0]["commune"]["code"].as_str().unwrap();
    let in_commune = all_pages(
        &app,
        &token,
        "landParcels",
        json!({ "communeCode": commune }),
        fields,
        500,
    )
    .await?;
    assert_eq!(
        in_commune.len(),
        count(&|p| p["commune"]["code"] == commune)
    );
    Ok(())
}

/// Bad page sizes, cursors and ranges are refused with a clear message.
#[tokio::test]
async fn bad_paging_and_ranges_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let enterprise_cursor = {
        let body = app
            .graphql_as(
                "BCA",
                "{ enterprises(first: 1) { pageInfo { endCursor } } }",
                json!({}),
            )
            .await?;
        body["data"]["enterprises"]["pageInfo"]["endCursor"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let cases = [
        (
            "{ citizens(first: 501) { edges { cursor } } }".to_owned(),
            "between 0 and 500",
        ),
        (
            "{ citizens(first: -1) { edges { cursor } } }".to_owned(),
            "between 0 and 500",
        ),
        (
            "{ citizens(after: \"bm9wZQ\") { edges { cursor } } }".to_owned(),
            "cursor",
        ),
        (
            format!("{{ citizens(after: \"{enterprise_cursor}\") {{ edges {{ cursor }} }} }}"),
            "cursor",
        ),
        (
            "{ citizens(filter: { bornFrom: 1990, bornTo: 1980 }) { edges { cursor } } }"
                .to_owned(),
            "after",
        ),
        (
            "{ citizens(filter: { bornFrom: 1200 }) { edges { cursor } } }".to_owned(),
            "birth year",
        ),
        (
            "{ citizens(filter: { name: \"  \" }) { edges { cursor } } }".to_owned(),
            "name",
        ),
        (
            "{ landParcels(filter: { minAreaM2: 50, maxAreaM2: 10 }) { edges { cursor } } }"
                .to_owned(),
            "larger",
        ),
        (
            "{ landParcels(filter: { minAreaM2: -5 }) { edges { cursor } } }".to_owned(),
            "non-negative",
        ),
    ];
    for (query, words) in cases {
        let body = app.graphql_as("BCA", &query, json!({})).await;
        let body = match body {
            Ok(b) => b,
            Err(e) => panic!("{query}: {e}"),
        };
        let errs = errors(&body);
        assert_eq!(errs.len(), 1, "{query}: {body}");
        assert_eq!(errs[0]["extensions"]["code"], "BAD_USER_INPUT", "{query}");
        assert!(
            errs[0]["message"].as_str().unwrap().contains(words),
            "{query}: {}",
            errs[0]["message"]
        );
    }
    Ok(())
}

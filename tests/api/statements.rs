//! No N+1: a page costs the same number of SQL statements whatever its
//! size, for every relation the graph exposes (one loader each, in
//! `api/src/graphql/loaders.rs`). Each test walks one relation from a page
//! of 10 rows and from a page of 200, checks that both pages really reach
//! it, and compares what the two cost.

use crate::graph::reader;
use crate::helpers::{errors, nodes, spawn_app};
use serde_json::{Value, json};

/// The larger page.
const MANY: usize = 200;

/// The statements a page of `root` (`citizens`, `enterprises` or
/// `landParcels`) selecting `selection` costs, for 10 rows and for
/// [`MANY`]; each page must be full and have a row for which `reached`
/// holds (the relation returned something, so its loader ran on rows).
async fn statements_for(
    root: &str,
    selection: &str,
    reached: impl Fn(&Value) -> bool,
) -> anyhow::Result<[u64; 2]> {
    let app = spawn_app().await?;
    let token = reader(&app).await?;
    let query = format!(
        "query ($first: Int) {{ {root}(first: $first) {{ edges {{ node {{ {selection} }} }} }} }}"
    );
    // The first request loads the caller's access into the cache.
    app.graphql_with(&token, "{ me { agencyCode } }", json!({}))
        .await?;
    // A statement the node runs on its own (such as its purge of old
    // idempotency keys) can, rarely, fall into a measurement: each page is
    // measured twice and the lower figure is its cost. An N+1 shows in both.
    let mut counts = [u64::MAX; 2];
    for _round in 0..2 {
        for (count, first) in counts.iter_mut().zip([10, MANY]) {
            let before = app.app_db.statements();
            let body = app
                .graphql_with(&token, &query, json!({ "first": first }))
                .await?;
            *count = (*count).min(app.app_db.statements() - before);
            assert!(errors(&body).is_empty(), "{body}");
            let rows = nodes(&body, root);
            assert_eq!(rows.len(), first, "a full page of {root}");
            assert!(
                rows.iter().any(&reached),
                "no row of a page of {first} {root} reaches the relation: {selection}"
            );
        }
    }
    let selection = selection.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("statements for 10 and {MANY} {root} with {selection}: {counts:?}");
    Ok(counts)
}

/// Both pages cost the same, and no more than the page, one statement per
/// loader walked and, on PostgreSQL, the read of the access counter.
fn assert_costs(counts: [u64; 2], loaders: u64) {
    assert_eq!(counts[0], counts[1], "a page of 10 and a page of {MANY}");
    assert!(counts[1] <= loaders + 2, "{counts:?} for {loaders} loaders");
}

fn non_empty(value: &Value) -> bool {
    value.as_array().is_some_and(|a| !a.is_empty())
}

/// A page of 10 and a page of 200 enterprises, each with legal
/// representative, residence commune, province and land rights, take the
/// same number of statements.
#[tokio::test]
async fn a_page_costs_the_same_statements_whatever_its_size() -> anyhow::Result<()> {
    let counts = statements_for(
        "enterprises",
        "code name
         legalRepresentative { fullName residenceCommune { name province { name } } }
         landRights { certificateNumber parcel { id } }",
        |e| non_empty(&e["landRights"]),
    )
    .await?;
    assert_eq!(counts[0], counts[1]);
    // The page, legal representatives, land rights, parcels; on PostgreSQL
    // also the read of the access counter.
    assert!(counts[1] <= 5, "{counts:?}");
    Ok(())
}

/// Communes and provinces (of residence and of origin) are reference data
/// held in memory: citizens with them cost the same whatever the page.
#[tokio::test]
async fn citizens_with_communes_and_provinces() -> anyhow::Result<()> {
    let counts = statements_for(
        "citizens",
        "fullName residenceCommune { name province { name } }
         placeOfOrigin { name province { name } }",
        |c| c["residenceCommune"]["province"]["name"].is_string(),
    )
    .await?;
    assert_costs(counts, 0);
    Ok(())
}

/// Citizens with their household, its commune and its head: one statement
/// for the households and one for the heads, whatever the page.
#[tokio::test]
async fn citizens_with_their_household_and_its_head() -> anyhow::Result<()> {
    let counts = statements_for(
        "citizens",
        "fullName household { id addressLine commune { name } head { fullName } }",
        |c| c["household"]["head"]["fullName"].is_string(),
    )
    .await?;
    assert_costs(counts, 2);
    Ok(())
}

/// Citizens with the members of their household cost the same whatever
/// the page.
#[tokio::test]
async fn citizens_with_the_members_of_their_household() -> anyhow::Result<()> {
    let counts = statements_for(
        "citizens",
        "fullName household { members { personalId fullName } }",
        |c| non_empty(&c["household"]["members"]),
    )
    .await?;
    assert_costs(counts, 2);
    Ok(())
}

/// Citizens with father, mother and spouse (all through the citizen
/// loader, batched together) cost the same whatever the page.
#[tokio::test]
async fn citizens_with_their_parents_and_spouse() -> anyhow::Result<()> {
    let counts = statements_for(
        "citizens",
        "fullName father { fullName } mother { fullName } spouse { fullName }",
        |c| {
            ["father", "mother", "spouse"]
                .iter()
                .any(|r| c[*r]["fullName"].is_string())
        },
    )
    .await?;
    assert_costs(counts, 1);
    Ok(())
}

/// Citizens with their children cost the same whatever the page.
#[tokio::test]
async fn citizens_with_their_children() -> anyhow::Result<()> {
    let counts = statements_for("citizens", "fullName children { fullName }", |c| {
        non_empty(&c["children"])
    })
    .await?;
    assert_costs(counts, 1);
    Ok(())
}

/// Citizens with the land rights they hold and each right's parcel cost
/// the same whatever the page.
#[tokio::test]
async fn citizens_with_their_land_rights_and_parcels() -> anyhow::Result<()> {
    let counts = statements_for(
        "citizens",
        "fullName landRights { certificateNumber share parcel { id areaM2 } }",
        |c| non_empty(&c["landRights"]),
    )
    .await?;
    assert_costs(counts, 2);
    Ok(())
}

/// Citizens with the enterprises they represent cost the same whatever
/// the page.
#[tokio::test]
async fn citizens_with_the_enterprises_they_represent() -> anyhow::Result<()> {
    let counts = statements_for("citizens", "fullName enterprises { code name }", |c| {
        non_empty(&c["enterprises"])
    })
    .await?;
    assert_costs(counts, 1);
    Ok(())
}

/// Citizens with their memberships in enterprises, and each membership's
/// enterprise, cost the same whatever the page.
#[tokio::test]
async fn citizens_with_their_memberships_and_enterprises() -> anyhow::Result<()> {
    let counts = statements_for(
        "citizens",
        "fullName memberships { share enterprise { code name } }",
        |c| non_empty(&c["memberships"]),
    )
    .await?;
    assert_costs(counts, 2);
    Ok(())
}

/// Enterprises with their members, citizens and enterprises alike, cost
/// the same whatever the page.
#[tokio::test]
async fn enterprises_with_their_members() -> anyhow::Result<()> {
    let counts = statements_for(
        "enterprises",
        "code members { kind share member { ... on Citizen { fullName } ... on Enterprise { name } } }",
        |e| non_empty(&e["members"]),
    )
    .await?;
    assert_costs(counts, 3);
    Ok(())
}

/// Enterprises with their memberships in other enterprises cost the same
/// whatever the page.
#[tokio::test]
async fn enterprises_with_their_memberships() -> anyhow::Result<()> {
    let counts = statements_for(
        "enterprises",
        "code memberships { share enterprise { code } }",
        |e| non_empty(&e["memberships"]),
    )
    .await?;
    assert_costs(counts, 2);
    Ok(())
}

/// Enterprises with their industries cost the same whatever the page.
#[tokio::test]
async fn enterprises_with_their_industries() -> anyhow::Result<()> {
    let counts = statements_for("enterprises", "code industries { code name isMain }", |e| {
        non_empty(&e["industries"])
    })
    .await?;
    assert_costs(counts, 1);
    Ok(())
}

/// Land parcels with their rights and each right's holder, citizen or
/// enterprise, cost the same whatever the page.
#[tokio::test]
async fn land_parcels_with_their_rights_and_holders() -> anyhow::Result<()> {
    let counts = statements_for(
        "landParcels",
        "id commune { name } rights { certificateNumber holder { ... on Citizen { fullName } ... on Enterprise { name } } }",
        |p| non_empty(&p["rights"]),
    )
    .await?;
    assert_costs(counts, 3);
    Ok(())
}

//! No N+1: a page costs the same number of SQL statements whatever its size.

use crate::graph::reader;
use crate::helpers::{errors, nodes, spawn_app};
use serde_json::json;

const PAGE: &str = "query ($first: Int) { enterprises(first: $first) { edges { node {
    code name
    legalRepresentative { fullName residenceCommune { name province { name } } }
    landRights { certificateNumber parcel { id } }
} } } }";

/// A page of 10 and a page of 200 enterprises, each with legal
/// representative, residence commune, province and land rights, take the
/// same number of statements.
#[tokio::test]
async fn a_page_costs_the_same_statements_whatever_its_size() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = reader(&app).await?;
    // The first request loads the caller's access into the cache.
    app.graphql_with(&token, "{ me { agencyCode } }", json!({}))
        .await?;
    let mut counts = Vec::new();
    for first in [10, 200] {
        let before = app.app_db.statements();
        let body = app
            .graphql_with(&token, PAGE, json!({ "first": first }))
            .await?;
        let after = app.app_db.statements();
        assert!(errors(&body).is_empty(), "{body}");
        let rows = nodes(&body, "enterprises");
        assert_eq!(rows.len(), first);
        assert!(
            rows.iter()
                .any(|e| !e["landRights"].as_array().unwrap().is_empty())
        );
        counts.push(after - before);
    }
    eprintln!("statements for 10 and 200 enterprises: {counts:?}");
    assert_eq!(counts[0], counts[1]);
    // The page, legal representatives, land rights, parcels; on PostgreSQL
    // also the read of the access counter.
    assert!(counts[1] <= 5, "{counts:?}");
    Ok(())
}

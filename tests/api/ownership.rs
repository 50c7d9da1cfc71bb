//! A dataset changes owner only by two parties: its owner proposes, the
//! receiving ministry accepts. The hub operator can do neither.

use crate::helpers::{errors, spawn_app};
use serde_json::{Value, json};

/// The code of the first error of a response.
fn code(body: &Value) -> String {
    errors(body)
        .first()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
        .unwrap_or_else(|| format!("no error in {body}"))
}

const PROPOSE: &str = "mutation ($to: String!) {
  proposeOwnershipTransfer(input: { dataset: POPULATION, toAgency: $to, reason: \"Decree 01/2027\" }) { id state } }";
const ACCEPT: &str =
    "mutation ($id: String!) { acceptOwnershipTransfer(id: $id) { state decidedAt } }";
const LOG: &str = "{ accessLog(filter: { dataset: POPULATION }, first: 1) { edges { cursor } } }";

/// The operator can neither propose nor accept a hand-over; the owner
/// proposes, only the named ministry accepts, and from then on the
/// dataset's owner powers are the receiver's and no longer the giver's.
#[tokio::test]
async fn a_dataset_changes_owner_only_by_its_owner_and_the_receiver() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    app.add_agency("BNV", "", "*").await?;
    let refused = app
        .graphql_as("TTDLQG", PROPOSE, json!({ "to": "BNV" }))
        .await?;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let to_operator = app
        .graphql_as("BCA", PROPOSE, json!({ "to": "TTDLQG" }))
        .await?;
    assert_eq!(code(&to_operator), "BAD_USER_INPUT", "{to_operator}");

    let proposed = app
        .graphql_as("BCA", PROPOSE, json!({ "to": "BNV" }))
        .await?;
    assert!(errors(&proposed).is_empty(), "{proposed}");
    assert_eq!(
        proposed["data"]["proposeOwnershipTransfer"]["state"],
        "PENDING"
    );
    let id = proposed["data"]["proposeOwnershipTransfer"]["id"].clone();
    let twice = app
        .graphql_as("BCA", PROPOSE, json!({ "to": "BNV" }))
        .await?;
    assert_eq!(code(&twice), "CONFLICT", "{twice}");
    for outsider in ["TTDLQG", "BCA", "UBND-68"] {
        let refused = app
            .graphql_as(outsider, ACCEPT, json!({ "id": id }))
            .await?;
        assert_eq!(code(&refused), "FORBIDDEN", "{outsider}: {refused}");
    }
    // Nothing changed hands yet.
    assert!(errors(&app.graphql_as("BCA", LOG, json!({})).await?).is_empty());

    let accepted = app.graphql_as("BNV", ACCEPT, json!({ "id": id })).await?;
    assert!(errors(&accepted).is_empty(), "{accepted}");
    assert_eq!(
        accepted["data"]["acceptOwnershipTransfer"]["state"],
        "ACCEPTED"
    );
    let again = app.graphql_as("BNV", ACCEPT, json!({ "id": id })).await?;
    assert_eq!(code(&again), "CONFLICT", "{again}");

    let receiver = app.graphql_as("BNV", LOG, json!({})).await?;
    assert!(
        errors(&receiver).is_empty(),
        "the receiver owns it: {receiver}"
    );
    let giver = app.graphql_as("BCA", LOG, json!({})).await?;
    assert_eq!(
        code(&giver),
        "FORBIDDEN",
        "the giver no longer does: {giver}"
    );

    // Both parties and the operator see the hand-over; others do not.
    const SEEN: &str = "{ ownershipTransfers { fromAgency toAgency state } }";
    for party in ["BCA", "BNV", "TTDLQG"] {
        let seen = app.graphql_as(party, SEEN, json!({})).await?;
        assert_eq!(
            seen["data"]["ownershipTransfers"],
            json!([{ "fromAgency": "BCA", "toAgency": "BNV", "state": "ACCEPTED" }]),
            "{party}: {seen}"
        );
    }
    let outsider = app.graphql_as("UBND-68", SEEN, json!({})).await?;
    assert_eq!(
        outsider["data"]["ownershipTransfers"],
        json!([]),
        "{outsider}"
    );
    Ok(())
}

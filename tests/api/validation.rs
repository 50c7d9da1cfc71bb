//! Identifiers are validated wherever they are accepted: a bad one is
//! BAD_USER_INPUT saying what is wrong; a well-formed one that does not
//! exist is null.

use crate::helpers::{errors, spawn_app};
use serde_json::json;

/// Malformed identifiers are refused with a message naming the problem.
#[tokio::test]
async fn malformed_identifiers_are_bad_user_input() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let cases = [
        ("{ citizen(personalId: \"123\") { fullName } }", "12 digits"),
        (
            "{ citizen(personalId: \"003085012345\") { fullName } }",
            "province",
        ),
        (
            "{ citizen(personalId: \"001585012345\") { fullName } }",
            "4th digit",
        ),
        (
            "{ verifyCitizen(input: { personalId: \"12\", alive: true }) { matches } }",
            "12 digits",
        ),
        (
            "{ verifyCitizen(input: { personalId: \"001085012345\" }) { matches } }",
            "at least one fact",
        ),
        (
            "{ verifyCitizen(input: { personalId: \"001085012345\", residenceCommuneCode: \"00001\" }) { matches } }",
            "not a commune",
        ),
        (
            "{ enterprise(code: \"0100233480\") { name } }",
            "check digit",
        ),
        ("{ enterprise(code: \"01002334\") { name } }", "10 digits"),
        (
            "{ enterprise(code: \"0100233488-000\") { name } }",
            "branch",
        ),
        ("{ landParcel(id: \"00001-1-1\") { id } }", "not a commune"),
        ("{ landParcel(id: \"00004-0-1\") { id } }", "map sheet"),
        ("{ landParcel(id: \"parcel\") { id } }", "commune code"),
        (
            "{ landRight(certificateNumber: \"12345678\") { status } }",
            "two capital letters",
        ),
        ("{ commune(code: \"4\") { name } }", "5 digits"),
        ("{ province(code: \"abc\") { name } }", "2 digits"),
        ("{ household(id: \"x\") { id } }", "positive number"),
        (
            "{ citizens(filter: { provinceCode: \"99\" }) { edges { cursor } } }",
            "34 provinces",
        ),
        (
            "{ enterprises(filter: { industryCode: \"1\" }) { edges { cursor } } }",
            "VSIC",
        ),
        (
            "{ landParcels(filter: { communeCode: \"1234\" }) { edges { cursor } } }",
            "5 digits",
        ),
    ];
    for (query, words) in cases {
        let body = app.graphql_as("BCA", query, json!({})).await?;
        let errs = errors(&body);
        assert_eq!(errs.len(), 1, "{query}: {body}");
        assert_eq!(errs[0]["extensions"]["code"], "BAD_USER_INPUT", "{query}");
        let message = errs[0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{query}: {message}");
    }
    Ok(())
}

/// A well-formed identifier that nobody has is `null`, without an error.
#[tokio::test]
async fn unknown_but_valid_identifiers_are_null() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let body = app
        .graphql_as(
            "BCA",
            "{ citizen(personalId: \"001185000000\") { fullName }
               enterprise(code: \"0100233488\") { name }
               landParcel(id: \"00004-9999-99999\") { id }
               landRight(certificateNumber: \"ZZ000000\") { status }
               household(id: \"999999999\") { id }
               commune(code: \"00001\") { name }
               province(code: \"02\") { name } }",
            json!({}),
        )
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    for (field, value) in body["data"].as_object().unwrap() {
        assert!(value.is_null(), "{field}: {value}");
    }
    Ok(())
}

/// Documents that do not parse or do not validate carry the codes Apollo
/// clients know: `GRAPHQL_PARSE_FAILED` (where and why, on one line),
/// `GRAPHQL_VALIDATION_FAILED`; variables that do not fit the document
/// are the caller's `BAD_USER_INPUT`.
#[tokio::test]
async fn malformed_documents_have_a_code() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let by_id = "query ($id: String!) { citizen(personalId: $id) { fullName } }";
    for (query, variables, expected) in [
        ("{ citizen(", json!({}), "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ citizens(filter: { status: MISSING }) { edges { cursor } } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ citizen(personalId: 12) { fullName } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (by_id, json!({ "id": 12 }), "BAD_USER_INPUT"),
        (by_id, json!({}), "BAD_USER_INPUT"),
        (
            "query ($f: CitizenFilter) { citizens(filter: $f) { edges { cursor } } }",
            json!({ "f": { "status": "MISSING" } }),
            "BAD_USER_INPUT",
        ),
    ] {
        let body = app.graphql_as("BCA", query, variables.clone()).await?;
        let errs = errors(&body);
        assert!(!errs.is_empty(), "{query}");
        assert!(
            errs.iter().all(|e| e["extensions"]["code"] == expected),
            "{query} {variables}: {body}"
        );
        if expected == "GRAPHQL_PARSE_FAILED" {
            let message = errs[0]["message"].as_str().unwrap_or("");
            assert!(
                !message.contains('\n') && message.contains("line 1, column"),
                "{message}"
            );
        }
        assert!(body["data"].is_null(), "{query} {variables}: {body}");
    }
    Ok(())
}

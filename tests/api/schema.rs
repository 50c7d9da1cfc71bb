//! The committed `schema.graphql` is the schema the code builds, and every
//! type and field in it is documented.

use serde_json::Value;

/// `schema.graphql` matches the code; set `UPDATE_SCHEMA=1` to rewrite it.
#[test]
fn schema_graphql_is_up_to_date() -> anyhow::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let sdl = api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &sdl)?;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == sdl,
        "schema.graphql is stale: regenerate it with `cargo run -- schema > schema.graphql` \
         (or `UPDATE_SCHEMA=1 cargo test --test api schema`) and commit it"
    );
    Ok(())
}

/// Every object, input, enum, union and scalar of ours, and every field and
/// input field, has a description (they are the API's documentation).
#[tokio::test]
async fn every_type_and_field_is_documented() -> anyhow::Result<()> {
    let schema = api::graphql::build_schema();
    let response = schema
        .execute(
            "{ __schema { types { name kind description \
               fields { name description } inputFields { name description } } } }",
        )
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json()?;
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    for t in data["__schema"]["types"].as_array().expect("types") {
        let name = t["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        // async-graphql gives its generated `*Connection` types no
        // description of their own; their fields are documented.
        if !has_text(&t["description"]) && !name.ends_with("Connection") {
            missing.push(name.to_owned());
        }
        for list in ["fields", "inputFields"] {
            for f in t[list].as_array().into_iter().flatten() {
                if !has_text(&f["description"]) {
                    missing.push(format!("{name}.{}", f["name"].as_str().unwrap_or_default()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    Ok(())
}

fn has_text(value: &Value) -> bool {
    value.as_str().is_some_and(|s| !s.trim().is_empty())
}

//! Property: for random subsets of the read scopes and random queries drawn
//! from the whole graph, no guarded field ever has a value unless the
//! token carries its scope. The rules table below is written from
//! DESIGN.md, independently of the guards in the code.

use crate::graph::reader;
use crate::helpers::{TestApp, nodes, spawn_app};
use crate::ws::Subscriber;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Value, json};

const READ_SCOPES: [&str; 7] = [
    "population:verify",
    "population:read",
    "population:read:pii",
    "land:read",
    "land:read:holders",
    "enterprise:read",
    "enterprise:read:members",
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    Scalar,
    Object(&'static str),
    Union(&'static [&'static str]),
}

/// (type, field, kind, scope needed or "" for public)
const FIELDS: &[(&str, &str, Kind, &str)] = {
    use Kind::*;
    const PR: &str = "population:read";
    const PII: &str = "population:read:pii";
    const LR: &str = "land:read";
    const LRH: &str = "land:read:holders";
    const ER: &str = "enterprise:read";
    const ERM: &str = "enterprise:read:members";
    &[
        ("Citizen", "personalId", Scalar, PR),
        ("Citizen", "fullName", Scalar, PR),
        ("Citizen", "sex", Scalar, PR),
        ("Citizen", "birthYear", Scalar, PR),
        ("Citizen", "status", Scalar, PR),
        ("Citizen", "residenceCommune", Object("Commune"), PR),
        ("Citizen", "dateOfBirth", Scalar, PII),
        ("Citizen", "dateOfDeath", Scalar, PII),
        ("Citizen", "ethnicity", Scalar, PII),
        ("Citizen", "nationality", Scalar, PII),
        ("Citizen", "residenceLine", Scalar, PII),
        ("Citizen", "placeOfOrigin", Object("Commune"), PII),
        ("Citizen", "household", Object("Household"), PII),
        ("Citizen", "father", Object("Citizen"), PII),
        ("Citizen", "mother", Object("Citizen"), PII),
        ("Citizen", "spouse", Object("Citizen"), PII),
        ("Citizen", "children", Object("Citizen"), PII),
        ("Citizen", "landRights", Object("LandRight"), LRH),
        ("Citizen", "enterprises", Object("Enterprise"), ER),
        ("Citizen", "memberships", Object("EnterpriseMember"), ERM),
        ("Household", "id", Scalar, PII),
        ("Household", "addressLine", Scalar, PII),
        ("Household", "commune", Object("Commune"), PII),
        ("Household", "head", Object("Citizen"), PII),
        ("Household", "members", Object("Citizen"), PII),
        ("Enterprise", "code", Scalar, ER),
        ("Enterprise", "name", Scalar, ER),
        ("Enterprise", "type", Scalar, ER),
        ("Enterprise", "status", Scalar, ER),
        ("Enterprise", "foundedOn", Scalar, ER),
        ("Enterprise", "registeredCapitalVnd", Scalar, ER),
        ("Enterprise", "headOfficeAddress", Scalar, ER),
        ("Enterprise", "legalRepresentativeName", Scalar, ER),
        ("Enterprise", "headOfficeCommune", Object("Commune"), ER),
        ("Enterprise", "industries", Object("Industry"), ER),
        ("Enterprise", "legalRepresentative", Object("Citizen"), ER),
        ("Enterprise", "members", Object("EnterpriseMember"), ERM),
        ("Enterprise", "memberships", Object("EnterpriseMember"), ERM),
        ("Enterprise", "landRights", Object("LandRight"), LRH),
        ("EnterpriseMember", "kind", Scalar, ERM),
        ("EnterpriseMember", "share", Scalar, ERM),
        (
            "EnterpriseMember",
            "member",
            Union(&["Citizen", "Enterprise"]),
            ERM,
        ),
        ("EnterpriseMember", "enterprise", Object("Enterprise"), ERM),
        ("LandParcel", "id", Scalar, LR),
        ("LandParcel", "areaM2", Scalar, LR),
        ("LandParcel", "landUse", Scalar, LR),
        ("LandParcel", "addressLine", Scalar, LR),
        ("LandParcel", "commune", Object("Commune"), LR),
        ("LandParcel", "rights", Object("LandRight"), LR),
        ("LandRight", "certificateNumber", Scalar, LR),
        ("LandRight", "share", Scalar, LR),
        ("LandRight", "status", Scalar, LR),
        ("LandRight", "mortgaged", Scalar, LR),
        ("LandRight", "parcel", Object("LandParcel"), LR),
        ("LandRight", "holderKind", Scalar, LRH),
        ("LandRight", "holderId", Scalar, LRH),
        (
            "LandRight",
            "holder",
            Union(&["Citizen", "Enterprise"]),
            LRH,
        ),
        ("Commune", "code", Scalar, ""),
        ("Commune", "name", Scalar, ""),
        ("Commune", "province", Object("Province"), ""),
        ("Province", "code", Scalar, ""),
        ("Province", "name", Scalar, ""),
        ("Industry", "code", Scalar, ""),
        ("Industry", "name", Scalar, ""),
    ]
};

/// A generated selection: (field, scope, sub-selection per type).
#[derive(Debug, Clone)]
struct Selected {
    field: &'static str,
    scope: &'static str,
    children: Vec<(&'static str, Vec<Selected>)>,
}

fn fields_of(ty: &str) -> Vec<(&'static str, Kind, &'static str)> {
    FIELDS
        .iter()
        .filter(|(t, ..)| *t == ty)
        .map(|(_, f, k, s)| (*f, *k, *s))
        .collect()
}

fn selection(ty: &'static str, depth: u32) -> BoxedStrategy<Vec<Selected>> {
    let fields = fields_of(ty);
    let most = fields.len().min(4);
    let picks = proptest::sample::subsequence(fields, 1..=most);
    picks
        .prop_flat_map(move |picked| {
            let parts: Vec<BoxedStrategy<Selected>> = picked
                .into_iter()
                .map(|(field, kind, scope)| {
                    let types: Vec<&'static str> = match kind {
                        Kind::Scalar => vec![],
                        Kind::Object(t) => vec![t],
                        Kind::Union(ts) => ts.to_vec(),
                    };
                    if types.is_empty() || depth == 0 {
                        if types.is_empty() {
                            Just(Selected {
                                field,
                                scope,
                                children: vec![],
                            })
                            .boxed()
                        } else {
                            // At the bottom, select only the typename.
                            Just(Selected {
                                field,
                                scope,
                                children: types.iter().map(|t| (*t, vec![])).collect(),
                            })
                            .boxed()
                        }
                    } else {
                        let subs: Vec<_> = types
                            .into_iter()
                            .map(|t| selection(t, depth - 1).prop_map(move |s| (t, s)))
                            .collect();
                        subs.prop_map(move |children| Selected {
                            field,
                            scope,
                            children,
                        })
                        .boxed()
                    }
                })
                .collect();
            parts
        })
        .boxed()
}

fn render(selected: &[Selected]) -> String {
    let mut out = String::from("{ __typename ");
    for s in selected {
        out.push_str(s.field);
        out.push(' ');
        match s.children.len() {
            0 => {}
            1 => out.push_str(&render(&s.children[0].1)),
            _ => {
                out.push_str("{ __typename ");
                for (ty, sub) in &s.children {
                    out.push_str(&format!("... on {ty} {} ", render(sub)));
                }
                out.push('}');
            }
        }
        out.push(' ');
    }
    out.push('}');
    out
}

/// Checks every value against its field's scope, following the selection.
fn check(value: &Value, selected: &[Selected], scopes: &[&str], path: &str) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => items
            .iter()
            .try_for_each(|v| check(v, selected, scopes, path)),
        Value::Object(map) => {
            let typename = map
                .get("__typename")
                .and_then(Value::as_str)
                .unwrap_or_default();
            for s in selected {
                let Some(v) = map.get(s.field) else { continue };
                if v.is_null() {
                    continue;
                }
                if !s.scope.is_empty() && !scopes.contains(&s.scope) {
                    return Err(format!(
                        "{path}.{} has a value without {}: {v}",
                        s.field, s.scope
                    ));
                }
                let sub = if s.children.len() <= 1 {
                    s.children.first().map(|c| &c.1)
                } else {
                    let inner = v.as_array().and_then(|a| a.first()).unwrap_or(v);
                    let ty = inner
                        .get("__typename")
                        .and_then(Value::as_str)
                        .unwrap_or(typename);
                    s.children.iter().find(|(t, _)| *t == ty).map(|c| &c.1)
                };
                if let Some(sub) = sub {
                    if s.children.len() <= 1 {
                        check(v, sub, scopes, &format!("{path}.{}", s.field))?;
                    } else if let Value::Array(items) = v {
                        for item in items {
                            let ty = item
                                .get("__typename")
                                .and_then(Value::as_str)
                                .unwrap_or_default();
                            if let Some((_, sub)) = s.children.iter().find(|(t, _)| *t == ty) {
                                check(item, sub, scopes, &format!("{path}.{}", s.field))?;
                            }
                        }
                    } else {
                        check(v, sub, scopes, &format!("{path}.{}", s.field))?;
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn entry_points(app: &TestApp) -> anyhow::Result<Vec<(String, &'static str)>> {
    let token = reader(app).await?;
    let body = app
        .graphql_with(
            &token,
            "{ citizens(first: 50, filter: { bornFrom: 1990 }) { edges { node { personalId father { personalId } } } }
               enterprises(first: 50) { edges { node { code members { kind } landRights { certificateNumber } } } }
               landParcels(first: 50) { edges { node { id } } } }",
            json!({}),
        )
        .await?;
    let citizen = nodes(&body, "citizens")
        .into_iter()
        .find(|c| c["father"].is_object())
        .expect("a citizen with a father")["personalId"]
        .as_str()
        .unwrap()
        .to_owned();
    let enterprise = nodes(&body, "enterprises")
        .into_iter()
        .find(|e| e["members"].as_array().unwrap().len() > 1)
        .expect("an enterprise with members")["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let parcel = nodes(&body, "landParcels")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Ok(vec![
        (format!("citizen(personalId: \"{citizen}\")"), "Citizen"),
        (format!("enterprise(code: \"{enterprise}\")"), "Enterprise"),
        (format!("landParcel(id: \"{parcel}\")"), "LandParcel"),
    ])
}

/// No guarded field has a value without its scope, for random scopes and
/// random queries from three entry points across the graph, sent over
/// HTTP or over the WebSocket at random.
#[test]
fn no_guarded_value_without_its_scope() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let app = runtime.block_on(spawn_app())?;
    let entries = runtime.block_on(entry_points(&app))?;
    let by_entry = proptest::strategy::Union::new(
        entries
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| (Just(i), selection(ty, 3)).boxed()),
    );
    let strategy = (
        proptest::sample::subsequence(READ_SCOPES.to_vec(), 0..=7),
        by_entry,
        any::<bool>(),
    );
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&strategy, |(scopes, (entry, selected), websocket)| {
            let (root, _) = &entries[entry];
            let query = format!("{{ entry: {root} {} }}", render(&selected));
            let body = runtime
                .block_on(async {
                    let token = app.token_with("TEST-READER", &scopes.join(" ")).await?;
                    if websocket {
                        let mut socket = Subscriber::connect(&app, &token).await?;
                        let body = socket.run("1", &query, json!({})).await?;
                        for error in crate::helpers::errors(&body) {
                            anyhow::ensure!(
                                error["extensions"]["code"].is_string(),
                                "an error without extensions.code: {error}"
                            );
                        }
                        Ok(body)
                    } else {
                        app.graphql_with(&token, &query, json!({})).await
                    }
                })
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            check(&body["data"]["entry"], &selected, &scopes, "entry").map_err(|e| {
                TestCaseError::fail(format!("{e}\nquery: {query}\nscopes: {scopes:?}"))
            })?;
            Ok(())
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

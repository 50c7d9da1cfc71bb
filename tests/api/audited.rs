//! Every field of a subject type records itself: the schema is walked by
//! introspection, each field of `Citizen`, `Household`, `LandRight`,
//! `EnterpriseMember`, `Enterprise` and `ChangeEvent` is selected alone
//! through a lookup, and the access-log row of that request must name it
//! as `Type.field`. A field added later without its audited guard fails
//! here, by name; the only fields let off are listed below, with why.

use crate::helpers::{TestApp, errors, spawn_app};
use chrono::Utc;
use entities::audit::access_log;
use entities::enterprise::enterprise_member;
use entities::land::land_right;
use entities::population::{CitizenStatus, citizen};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// Every read scope of every dataset.
const ALL_READ: &str = "population:read population:read:pii population:verify land:read \
    land:read:holders enterprise:read enterprise:read:members";

const WALKER: &str = "TEST-WALKER";

/// The business register is public: its fields say what an enterprise is,
/// not about a person. (Its personal parts — the representative, members,
/// memberships, land — record.)
const PUBLIC_REGISTER: &str = "the public business register";

/// A change event says that a row of a register changed, when, where and
/// by which owner; only its `key` says whose row it was.
const NOT_WHOSE: &str = "a change, not whose: only ChangeEvent.key names a subject";

/// The fields of subject types that are public by design, with the reason.
const EXEMPT: &[(&str, &str, &str)] = &[
    ("Enterprise", "code", PUBLIC_REGISTER),
    ("Enterprise", "name", PUBLIC_REGISTER),
    ("Enterprise", "nameEn", PUBLIC_REGISTER),
    ("Enterprise", "type", PUBLIC_REGISTER),
    ("Enterprise", "version", PUBLIC_REGISTER),
    ("Enterprise", "status", PUBLIC_REGISTER),
    ("Enterprise", "foundedOn", PUBLIC_REGISTER),
    ("Enterprise", "registeredCapitalVnd", PUBLIC_REGISTER),
    ("Enterprise", "headOfficeCommune", PUBLIC_REGISTER),
    ("Enterprise", "headOfficeAddress", PUBLIC_REGISTER),
    ("Enterprise", "industries", PUBLIC_REGISTER),
    (
        "ChangeEvent",
        "cursor",
        "a sealed position in the feed, bound to the caller",
    ),
    ("ChangeEvent", "at", NOT_WHOSE),
    ("ChangeEvent", "dataset", NOT_WHOSE),
    ("ChangeEvent", "entity", NOT_WHOSE),
    ("ChangeEvent", "op", NOT_WHOSE),
    ("ChangeEvent", "provinceCode", NOT_WHOSE),
    ("ChangeEvent", "agency", NOT_WHOSE),
];

const FIELDS: &str = "query ($name: String!) { __type(name: $name) {
    fields { name type { kind name ofType { kind name ofType { kind name } } } } } }";

/// A field of a type, and whether selecting it needs a sub-selection.
struct Field {
    name: String,
    composite: bool,
}

/// The fields of `type_name`, by introspection.
async fn fields_of(app: &TestApp, token: &str, type_name: &str) -> anyhow::Result<Vec<Field>> {
    let body = app
        .graphql_with(token, FIELDS, json!({ "name": type_name }))
        .await?;
    let fields = body["data"]["__type"]["fields"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no type {type_name} in the schema: {body}"))?;
    Ok(fields
        .iter()
        .map(|f| {
            // Unwrap lists and non-nulls down to the named type.
            let mut ty = &f["type"];
            while ty["kind"] == "LIST" || ty["kind"] == "NON_NULL" {
                ty = &ty["ofType"];
            }
            Field {
                name: f["name"].as_str().unwrap_or_default().to_owned(),
                composite: matches!(ty["kind"].as_str(), Some("OBJECT" | "UNION" | "INTERFACE")),
            }
        })
        .collect())
}

/// A way into a subject type: a document with `{}` where the field goes,
/// and its variables.
struct Entry {
    type_name: &'static str,
    document: &'static str,
    variables: Value,
}

/// The `Type.field` names of the access-log rows of one request.
async fn logged_fields(app: &TestApp, request_id: &str) -> anyhow::Result<Vec<String>> {
    let rows = access_log::Entity::find()
        .filter(access_log::Column::RequestId.eq(request_id))
        .all(&app.app_db.conn)
        .await?;
    let mut fields = Vec::new();
    for row in rows {
        fields.extend(serde_json::from_str::<Vec<String>>(&row.fields)?);
    }
    Ok(fields)
}

/// Selects each field of the entry's type alone; returns the fields that
/// were served but not recorded, and those that could not be served.
async fn walk(app: &TestApp, token: &str, entry: &Entry) -> anyhow::Result<Vec<String>> {
    let fields = fields_of(app, token, entry.type_name).await?;
    anyhow::ensure!(!fields.is_empty(), "{} has no fields", entry.type_name);
    for (type_name, field, _) in EXEMPT.iter().filter(|e| e.0 == entry.type_name) {
        anyhow::ensure!(
            fields.iter().any(|f| f.name == *field),
            "the exemption of {type_name}.{field} names no field of the schema"
        );
    }
    let mut failures = Vec::new();
    for (n, field) in fields.iter().enumerate() {
        let exempt = EXEMPT
            .iter()
            .any(|(t, f, _)| *t == entry.type_name && *f == field.name);
        if exempt {
            continue;
        }
        let selection = if field.composite {
            format!("{} {{ __typename }}", field.name)
        } else {
            field.name.clone()
        };
        let document = entry.document.replace("{}", &selection);
        let request_id = format!(
            "walk-{}-{n}-{}",
            entry.type_name,
            uuid::Uuid::new_v4().simple()
        );
        let (status, _, body) = app
            .post_graphql_with_headers(
                Some(token),
                &document,
                entry.variables.clone(),
                &[("x-request-id", request_id.as_str())],
            )
            .await?;
        let name = format!("{}.{}", entry.type_name, field.name);
        if status != 200 || !errors(&body).is_empty() {
            failures.push(format!("{name} was not served ({status}): {body}"));
            continue;
        }
        if !logged_fields(app, &request_id).await?.contains(&name) {
            failures.push(format!(
                "{name} was served but not recorded in the access log"
            ));
        }
    }
    Ok(failures)
}

/// Each field of every subject type, selected alone through a lookup by an
/// agency that holds every read scope nationally, is named in the access
/// log of its request, unless it is listed above as public by design.
#[tokio::test]
async fn every_field_of_a_subject_type_records_itself() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    app.add_agency(WALKER, ALL_READ, "*").await?;
    let token = app.token(WALKER).await?;
    let db = &app.app_db.conn;

    let person = citizen::Entity::find()
        .filter(citizen::Column::Status.eq(CitizenStatus::Alive))
        .filter(citizen::Column::HouseholdId.is_not_null())
        .order_by_asc(citizen::Column::PersonalId)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no living citizen with a household"))?;
    let household = person.household_id.expect("filtered on it");
    let right = land_right::Entity::find()
        .order_by_asc(land_right::Column::CertificateNumber)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no land right"))?;
    let membership = enterprise_member::Entity::find()
        .order_by_asc(enterprise_member::Column::EnterpriseCode)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no enterprise member"))?;

    // A write, so that the population feed has a change to walk.
    let dead = citizen::Entity::find()
        .filter(citizen::Column::Status.eq(CitizenStatus::Alive))
        .filter(citizen::Column::PersonalId.ne(person.personal_id.as_str()))
        .order_by_desc(citizen::Column::PersonalId)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no second living citizen"))?;
    let death = app
        .graphql_as(
            "BCA",
            "mutation ($id: String!, $on: NaiveDate!) {
               recordDeath(input: { personalId: $id, dateOfDeath: $on }) { citizen { status } } }",
            json!({ "id": dead.personal_id, "on": Utc::now().date_naive() }),
        )
        .await?;
    anyhow::ensure!(errors(&death).is_empty(), "{death}");

    let entries = [
        Entry {
            type_name: "Citizen",
            document: "query ($id: String!) { citizen(personalId: $id) { {} } }",
            variables: json!({ "id": person.personal_id }),
        },
        Entry {
            type_name: "Household",
            document: "query ($id: ID!) { household(id: $id) { {} } }",
            variables: json!({ "id": household.to_string() }),
        },
        Entry {
            type_name: "LandRight",
            document: "query ($c: String!) { landRight(certificateNumber: $c) { {} } }",
            variables: json!({ "c": right.certificate_number }),
        },
        Entry {
            type_name: "EnterpriseMember",
            document: "query ($code: String!) { enterprise(code: $code) { members { {} } } }",
            variables: json!({ "code": membership.enterprise_code }),
        },
        Entry {
            type_name: "Enterprise",
            document: "query ($code: String!) { enterprise(code: $code) { {} } }",
            variables: json!({ "code": membership.enterprise_code }),
        },
        Entry {
            type_name: "ChangeEvent",
            document: "{ changes(dataset: POPULATION, first: 10) { edges { node { {} } } } }",
            variables: json!({}),
        },
    ];
    let mut failures = Vec::new();
    for entry in &entries {
        failures.extend(walk(&app, &token, entry).await?);
    }
    assert!(
        failures.is_empty(),
        "fields of subject types that do not keep the promise:\n{}",
        failures.join("\n")
    );
    Ok(())
}

//! The access log: what is recorded, who may read it, that a failed write
//! withholds the data, that tampering is caught by `lienthong audit
//! verify`, and that a killed server loses no acknowledged access.

use crate::helpers::{
    TestApp, assert_forbidden, error_at, errors, eventually, free_port, nodes, spawn_app,
    start_server, wait_ready,
};
use entities::audit::access_log;
use entities::enterprise::{MemberKind, enterprise_member};
use entities::land::land_right;
use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

/// Runs the `lienthong` binary; returns (success, stdout + stderr).
async fn lienthong(args: Vec<String>) -> anyhow::Result<(bool, String)> {
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_lienthong"))
            .args(args)
            .output()
    })
    .await??;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), text))
}

/// Runs `lienthong audit verify` on the app's database with its audit key.
async fn audit_verify(app: &TestApp) -> anyhow::Result<(bool, String)> {
    lienthong(vec![
        "audit".into(),
        "verify".into(),
        "--database-url".into(),
        app.database_url().into(),
        "--audit-key".into(),
        app.config().audit_key_path().display().to_string(),
    ])
    .await
}

/// A citizen who holds a land right, and a citizen member of an enterprise
/// (another person).
async fn subjects(app: &TestApp) -> anyhow::Result<(String, String, String, String)> {
    let right = land_right::Entity::find()
        .filter(land_right::Column::HolderCitizenId.is_not_null())
        .order_by_asc(land_right::Column::CertificateNumber)
        .one(&app.app_db.conn)
        .await?
        .expect("a citizen holds a land right");
    let member = enterprise_member::Entity::find()
        .filter(enterprise_member::Column::MemberKind.eq(MemberKind::Citizen))
        .filter(enterprise_member::Column::MemberId.ne(right.holder().id))
        .order_by_asc(enterprise_member::Column::EnterpriseCode)
        .one(&app.app_db.conn)
        .await?
        .expect("a citizen is a member of an enterprise");
    Ok((
        right.holder().id.to_owned(),
        right.certificate_number,
        member.enterprise_code,
        member.member_id,
    ))
}

/// Runs `query` as `agency` with the given headers; checks 200.
async fn ask(
    app: &TestApp,
    agency: &str,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> anyhow::Result<(reqwest::header::HeaderMap, Value)> {
    let token = app.token(agency).await?;
    let (status, response_headers, body) = app
        .post_graphql_with_headers(Some(&token), query, variables, headers)
        .await?;
    anyhow::ensure!(status == 200, "status {status}: {body}");
    Ok((response_headers, body))
}

const LOG: &str = "query ($filter: AccessLogFilter, $first: Int, $after: String) {
  accessLog(filter: $filter, first: $first, after: $after) {
    edges { cursor node { agency grantIds operation dataset subjects fields purpose caseRef requestId hash } }
    pageInfo { hasNextPage }
  }
}";

async fn log_as(app: &TestApp, agency: &str, filter: Value) -> anyhow::Result<Vec<Value>> {
    let body = app
        .graphql_as(agency, LOG, json!({ "filter": filter }))
        .await?;
    anyhow::ensure!(errors(&body).is_empty(), "{body}");
    Ok(nodes(&body, "accessLog"))
}

fn request_ids(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["requestId"].as_str().unwrap_or("?"))
        .collect()
}

/// What a demo session looked at, and who its subjects are.
struct Session {
    holder: String,
    member: String,
    /// The citizen members of the enterprise, sorted.
    citizen_members: Vec<String>,
    /// The enterprise and its members, sorted.
    enterprise_subjects: Vec<String>,
    /// The certificate and its holder, sorted.
    land_subjects: Vec<String>,
}

/// A demo session, requests `demo-1` to `demo-5`: a province looks up a
/// citizen with a purpose and case, and verifies them; the land owner reads
/// a certificate; the enterprise owner reads an enterprise's members, then
/// its public fields only (nothing personal, nothing logged).
async fn demo_session(app: &TestApp) -> anyhow::Result<Session> {
    let (holder, certificate, enterprise, member) = subjects(app).await?;
    let members = enterprise_member::Entity::find()
        .filter(enterprise_member::Column::EnterpriseCode.eq(enterprise.as_str()))
        .all(&app.app_db.conn)
        .await?;
    let mut citizen_members: Vec<String> = members
        .iter()
        .filter(|m| m.member_kind == MemberKind::Citizen)
        .map(|m| m.member_id.clone())
        .collect();
    citizen_members.sort();
    assert!(!citizen_members.contains(&holder));
    let mut enterprise_subjects: Vec<String> =
        members.iter().map(|m| m.member_id.clone()).collect();
    enterprise_subjects.push(enterprise.clone());
    enterprise_subjects.sort();
    enterprise_subjects.dedup();
    let mut land_subjects = vec![certificate.clone(), holder.clone()];
    land_subjects.sort();

    // A province checks a citizen for a land procedure, with its purpose.
    let (headers, body) = ask(
        app,
        "UBND-68",
        "query Lookup($id: String!) { citizen(personalId: $id) { fullName dateOfBirth } }",
        json!({ "id": holder }),
        &[
            ("x-purpose", "Xác minh hồ sơ chuyển nhượng đất"),
            ("x-case-ref", "HS-68-0001"),
            ("x-request-id", "demo-1"),
        ],
    )
    .await?;
    assert!(body["data"]["citizen"]["fullName"].is_string(), "{body}");
    assert_eq!(headers["x-request-id"], "demo-1");
    let (_, body) = ask(
        app,
        "UBND-68",
        "query Check($id: String!) { verifyCitizen(input: { personalId: $id, alive: true }) { matches } }",
        json!({ "id": holder }),
        &[("x-request-id", "demo-2")],
    )
    .await?;
    assert_eq!(body["data"]["verifyCitizen"]["matches"], true, "{body}");
    // The land owner reads a certificate and its holder.
    let (_, body) = ask(
        app,
        "BNNMT",
        "query Certificate($c: String!) { landRight(certificateNumber: $c) { certificateNumber holderId } }",
        json!({ "c": certificate }),
        &[("x-request-id", "demo-3")],
    )
    .await?;
    assert_eq!(body["data"]["landRight"]["holderId"], holder.as_str());
    // The enterprise owner reads members, and a member's name (population).
    let (_, body) = ask(
        app,
        "BTC",
        "query Members($code: String!) { enterprise(code: $code) { name members { share member { ... on Citizen { personalId fullName } } } } }",
        json!({ "code": enterprise }),
        &[("x-request-id", "demo-4")],
    )
    .await?;
    assert!(errors(&body).is_empty(), "{body}");
    // Public register fields only: nothing personal, nothing logged.
    let (_, body) = ask(
        app,
        "BTC",
        "query Public($code: String!) { enterprise(code: $code) { name status } }",
        json!({ "code": enterprise }),
        &[("x-request-id", "demo-5")],
    )
    .await?;
    assert!(body["data"]["enterprise"]["name"].is_string());

    Ok(Session {
        holder,
        member,
        citizen_members,
        enterprise_subjects,
        land_subjects,
    })
}

/// The population owner's log holds exactly a demo session's accesses to
/// its dataset, newest first: agency, operation, subjects, the fields read,
/// purpose, case and grant; nothing for a read of public fields; and
/// `audit verify` finds the chain whole.
#[tokio::test]
async fn a_demo_session_is_logged_exactly() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let Session {
        holder,
        citizen_members,
        ..
    } = demo_session(&app).await?;
    let population = log_as(&app, "BCA", json!({})).await?;
    assert_eq!(request_ids(&population), ["demo-4", "demo-2", "demo-1"]);
    let lookup = &population[2];
    assert_eq!(lookup["agency"], "UBND-68");
    assert_eq!(lookup["operation"], "Lookup");
    assert_eq!(lookup["dataset"], "POPULATION");
    assert_eq!(lookup["subjects"], json!([holder]));
    // The lookup itself (it found the person) and the fields read.
    assert_eq!(
        lookup["fields"],
        json!(["Citizen.dateOfBirth", "Citizen.fullName", "Query.citizen"])
    );
    assert_eq!(lookup["purpose"], "Xác minh hồ sơ chuyển nhượng đất");
    assert_eq!(lookup["caseRef"], "HS-68-0001");
    assert_eq!(lookup["grantIds"].as_array().map(Vec::len), Some(1));
    let check = &population[1];
    assert_eq!(check["fields"], json!(["verifyCitizen.match"]));
    assert_eq!(check["subjects"], json!([holder]));
    assert_eq!(check["purpose"], Value::Null);
    let by_btc = &population[0];
    assert_eq!(by_btc["agency"], "BTC");
    assert_eq!(by_btc["subjects"], json!(citizen_members));
    assert_eq!(
        by_btc["fields"],
        json!(["Citizen.fullName", "Citizen.personalId"])
    );
    assert_eq!(by_btc["grantIds"].as_array().map(Vec::len), Some(1));

    let (ok, text) = audit_verify(&app).await?;
    assert!(ok, "{text}");
    assert!(text.contains("5 rows checked"), "{text}");
    Ok(())
}

/// The access log filters by agency, purpose and subject, and pages with
/// cursors.
#[tokio::test]
async fn the_log_filters_by_agency_purpose_and_subject_and_pages() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let Session { member, .. } = demo_session(&app).await?;
    let ubnd = log_as(&app, "BCA", json!({ "agency": "UBND-68" })).await?;
    assert_eq!(request_ids(&ubnd), ["demo-2", "demo-1"]);
    let purposeful = log_as(
        &app,
        "BCA",
        json!({ "purpose": "Xác minh hồ sơ chuyển nhượng đất" }),
    )
    .await?;
    assert_eq!(request_ids(&purposeful), ["demo-1"]);
    let about_member = log_as(&app, "BCA", json!({ "subject": member })).await?;
    assert_eq!(request_ids(&about_member), ["demo-4"]);
    let first = app.graphql_as("BCA", LOG, json!({ "first": 1 })).await?;
    let cursor = first["data"]["accessLog"]["edges"][0]["cursor"].clone();
    assert_eq!(first["data"]["accessLog"]["pageInfo"]["hasNextPage"], true);
    let next = app
        .graphql_as("BCA", LOG, json!({ "first": 1, "after": cursor }))
        .await?;
    assert_eq!(request_ids(&nodes(&next, "accessLog")), ["demo-2"]);
    Ok(())
}

/// Each owner reads the log of its own dataset only (the land owner's
/// reads by right carry no grant); another dataset's log is FORBIDDEN, and
/// a province may not read the log at all.
#[tokio::test]
async fn each_owner_reads_the_log_of_its_own_dataset_only() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let Session {
        enterprise_subjects,
        land_subjects,
        ..
    } = demo_session(&app).await?;
    let land = log_as(&app, "BNNMT", json!({})).await?;
    assert_eq!(request_ids(&land), ["demo-3"]);
    assert_eq!(land[0]["subjects"], json!(land_subjects));
    assert_eq!(
        land[0]["fields"],
        json!([
            "LandRight.certificateNumber",
            "LandRight.holderId",
            "Query.landRight"
        ])
    );
    assert_eq!(land[0]["grantIds"], json!([]), "the owner reads by right");
    let enterprises = log_as(&app, "BTC", json!({})).await?;
    assert_eq!(request_ids(&enterprises), ["demo-4"]);
    assert_eq!(enterprises[0]["subjects"], json!(enterprise_subjects));
    assert_eq!(
        enterprises[0]["fields"],
        json!([
            "Enterprise.members",
            "EnterpriseMember.member",
            "EnterpriseMember.share"
        ])
    );
    let refused = app
        .graphql_as("BCA", LOG, json!({ "filter": { "dataset": "LAND" } }))
        .await?;
    assert_eq!(
        error_at(&refused, &["accessLog"]).unwrap()["extensions"]["code"],
        "FORBIDDEN"
    );
    let province = app.graphql_as("UBND-68", LOG, json!({})).await?;
    assert_forbidden(&province, "audit:read");

    Ok(())
}

/// "Who looked at my data": a citizen's accesses across every dataset,
/// newest first, with agency, purpose and fields, for the population owner
/// only; an id that is not one is BAD_USER_INPUT.
#[tokio::test]
async fn a_citizens_accesses_are_listed_for_the_population_owner_only() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let Session { holder, .. } = demo_session(&app).await?;
    // "Who looked at my data": every dataset, newest first, for BCA only.
    const MINE: &str = "query ($id: String!) { subjectAccessLog(personalId: $id) {
        edges { node { at agencyCode agencyName dataset fields purpose caseRef } } } }";
    let mine = app.graphql_as("BCA", MINE, json!({ "id": holder })).await?;
    let seen: Vec<(String, String, Value)> = nodes(&mine, "subjectAccessLog")
        .iter()
        .map(|n| {
            (
                n["agencyCode"].as_str().unwrap().to_owned(),
                n["dataset"].as_str().unwrap().to_owned(),
                n["fields"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "BNNMT".into(),
                "LAND".into(),
                json!([
                    "LandRight.certificateNumber",
                    "LandRight.holderId",
                    "Query.landRight"
                ])
            ),
            (
                "UBND-68".into(),
                "POPULATION".into(),
                json!(["verifyCitizen.match"])
            ),
            (
                "UBND-68".into(),
                "POPULATION".into(),
                json!(["Citizen.dateOfBirth", "Citizen.fullName", "Query.citizen"])
            ),
        ]
    );
    let lookup = &nodes(&mine, "subjectAccessLog")[2];
    assert_eq!(lookup["purpose"], "Xác minh hồ sơ chuyển nhượng đất");
    assert!(lookup["agencyName"].as_str().unwrap().contains("Lâm Đồng"));
    for agency in ["BNNMT", "UBND-68"] {
        let body = app
            .graphql_as(agency, MINE, json!({ "id": holder }))
            .await?;
        let code = &error_at(&body, &["subjectAccessLog"]).unwrap()["extensions"]["code"];
        assert_eq!(code, "FORBIDDEN", "{agency}: {body}");
    }
    let bad = app
        .graphql_as("BCA", MINE, json!({ "id": "12345" }))
        .await?;
    assert_eq!(
        error_at(&bad, &["subjectAccessLog"]).unwrap()["extensions"]["code"],
        "BAD_USER_INPUT"
    );

    Ok(())
}

/// A grant that requires a purpose: without one the read is
/// PURPOSE_REQUIRED and returns nothing, a blank one is a 400, a real one is
/// served and logged with the grant; the owner itself needs none.
#[tokio::test]
async fn a_grant_that_asks_for_a_purpose_is_refused_without_one() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    app.add_agency("TEST-PURPOSE", "", "*").await?;
    let granted = app
        .graphql_as(
            "BCA",
            r#"mutation { grantAccess(input: { dataset: POPULATION, grantee: "TEST-PURPOSE",
                scopes: ["population:read"], jurisdiction: ["*"], purpose: "Kiểm tra",
                legalBasis: "Nghị định 47/2024", requiresPurpose: true }) { grant { id } } }"#,
            json!({}),
        )
        .await?;
    let grant = granted["data"]["grantAccess"]["grant"]["id"].clone();
    assert!(grant.is_string(), "{granted}");
    let (holder, ..) = subjects(&app).await?;
    let query = "query Lookup($id: String!) { citizen(personalId: $id) { fullName } }";
    let (_, body) = ask(&app, "TEST-PURPOSE", query, json!({ "id": holder }), &[]).await?;
    assert_eq!(body["data"]["citizen"], Value::Null, "{body}");
    assert_eq!(
        error_at(&body, &["citizen"]).unwrap()["extensions"]["code"],
        "PURPOSE_REQUIRED"
    );
    // A blank purpose is bad input, not a purpose.
    let token = app.token("TEST-PURPOSE").await?;
    let (status, _, _) = app
        .post_graphql_with_headers(
            Some(&token),
            query,
            json!({ "id": holder }),
            &[("x-purpose", "   ")],
        )
        .await?;
    assert_eq!(status, 400);
    let (_, body) = ask(
        &app,
        "TEST-PURPOSE",
        query,
        json!({ "id": holder }),
        &[("x-purpose", "Giải quyết thủ tục hộ tịch")],
    )
    .await?;
    assert!(body["data"]["citizen"]["fullName"].is_string(), "{body}");
    // The owner itself needs no purpose.
    let (_, body) = ask(&app, "BCA", query, json!({ "id": holder }), &[]).await?;
    assert!(errors(&body).is_empty(), "{body}");

    let rows = log_as(&app, "BCA", json!({ "agency": "TEST-PURPOSE" })).await?;
    assert_eq!(
        rows.len(),
        1,
        "the refused request returned nothing: {rows:?}"
    );
    assert_eq!(rows[0]["purpose"], "Giải quyết thủ tục hộ tịch");
    assert_eq!(rows[0]["grantIds"], json!([grant]));
    Ok(())
}

/// Makes every insert into the access log fail, as a full or broken log
/// store would.
async fn break_the_log(app: &TestApp, broken: bool) -> anyhow::Result<()> {
    let statements: &[&str] = match (app.app_db.conn.get_database_backend(), broken) {
        (DatabaseBackend::Sqlite, true) => &[
            "CREATE TRIGGER refuse_log BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'log store unavailable'); END",
        ],
        (DatabaseBackend::Sqlite, false) => &["DROP TRIGGER refuse_log"],
        (_, true) => &[
            "CREATE FUNCTION refuse_log() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'log store unavailable'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_log BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION refuse_log()",
        ],
        (_, false) => &[
            "DROP TRIGGER refuse_log ON access_log",
            "DROP FUNCTION refuse_log()",
        ],
    };
    for sql in statements {
        app.sql(sql).await?;
    }
    Ok(())
}

/// When the access log cannot be written, a personal read is a 503 with no
/// data at all, public fields are still served, and once the log works
/// again so does the read (logged, and the chain verifies).
#[tokio::test]
async fn no_personal_data_leaves_when_its_access_cannot_be_logged() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (holder, _, enterprise, _) = subjects(&app).await?;
    let token = app.token("UBND-68").await?;
    let personal =
        "query { citizen(personalId: $id) { fullName } }".replace("$id", &format!("{holder:?}"));
    let public = format!("{{ enterprise(code: {enterprise:?}) {{ name }} }}");
    break_the_log(&app, true).await?;
    let (status, _, body) = app.post_graphql(Some(&token), &personal, json!({})).await?;
    assert_eq!(status, 503, "{body}");
    assert!(body.get("data").is_none(), "no data at all: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "INTERNAL_SERVER_ERROR"
    );
    assert!(!body.to_string().contains(&holder));
    // What is not personal is still served.
    let (status, _, body) = app.post_graphql(Some(&token), &public, json!({})).await?;
    assert_eq!(status, 200);
    assert!(body["data"]["enterprise"]["name"].is_string(), "{body}");
    break_the_log(&app, false).await?;
    let (status, _, body) = app.post_graphql(Some(&token), &personal, json!({})).await?;
    assert_eq!(status, 200);
    assert!(body["data"]["citizen"]["fullName"].is_string(), "{body}");
    let (ok, text) = audit_verify(&app).await?;
    assert!(ok && text.contains("1 rows checked"), "{text}");
    Ok(())
}

/// Puts a row back exactly as it was (same `seq`).
async fn restore(app: &TestApp, row: &access_log::Model) -> anyhow::Result<()> {
    use sea_orm::IntoActiveModel;
    access_log::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(&app.app_db.conn)
        .await?;
    for subject in serde_json::from_str::<Vec<String>>(&row.subjects)? {
        app.sql(&format!(
            "INSERT INTO access_log_subject (subject, seq) VALUES ('{subject}', {})",
            row.seq
        ))
        .await?;
    }
    Ok(())
}

async fn remove(app: &TestApp, seq: i64) -> anyhow::Result<()> {
    app.sql(&format!("DELETE FROM access_log_subject WHERE seq = {seq}"))
        .await?;
    app.sql(&format!("DELETE FROM access_log WHERE seq = {seq}"))
        .await
}

/// The first `n` citizens by personal id.
async fn first_citizens(app: &TestApp, n: usize) -> anyhow::Result<Vec<String>> {
    Ok(entities::population::citizen::Entity::find()
        .order_by_asc(entities::population::citizen::Column::PersonalId)
        .all(&app.app_db.conn)
        .await?
        .into_iter()
        .take(n)
        .map(|c| c.personal_id)
        .collect())
}

/// Looks citizen `id` up with `token`; the lookup succeeds.
async fn look_up(app: &TestApp, token: &str, id: &str) -> anyhow::Result<()> {
    let body = app
        .graphql_with(
            token,
            "query ($id: String!) { citizen(personalId: $id) { fullName } }",
            json!({ "id": id }),
        )
        .await?;
    anyhow::ensure!(errors(&body).is_empty(), "{body}");
    Ok(())
}

/// Every row of the access log, in order.
async fn log_rows(app: &TestApp) -> anyhow::Result<Vec<access_log::Model>> {
    Ok(access_log::Entity::find()
        .order_by_asc(access_log::Column::Seq)
        .all(&app.app_db.conn)
        .await?)
}

/// `audit verify` fails, saying `expected`.
async fn verify_fails_saying(app: &TestApp, expected: &str) -> anyhow::Result<()> {
    let (ok, text) = audit_verify(app).await?;
    assert!(!ok, "{text}");
    assert!(text.contains(expected), "{text}");
    Ok(())
}

/// `audit verify` names the row that was altered, removed (in the middle or
/// at the end) or inserted (with a made-up hash, or one that continues the
/// chain), and checks the subject index too.
#[tokio::test]
async fn audit_verify_names_the_row_that_was_altered_removed_or_inserted() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    for id in &first_citizens(&app, 6).await? {
        look_up(&app, &token, id).await?;
    }
    let rows = log_rows(&app).await?;
    assert_eq!(rows.len(), 6);
    let (ok, text) = audit_verify(&app).await?;
    assert!(ok && text.contains("6 rows checked in 1 chains"), "{text}");
    let middle = rows[2].clone();

    // Altered: another agency's name written into a row.
    app.sql(&format!(
        "UPDATE access_log SET agency = 'BCA' WHERE seq = {}",
        middle.seq
    ))
    .await?;
    verify_fails_saying(
        &app,
        &format!("row {} (node node-a) does not match its hash", middle.seq),
    )
    .await?;
    app.sql(&format!(
        "UPDATE access_log SET agency = 'UBND-68' WHERE seq = {}",
        middle.seq
    ))
    .await?;
    assert!(audit_verify(&app).await?.0);

    // Removed: the next row no longer follows the one before it.
    remove(&app, middle.seq).await?;
    verify_fails_saying(
        &app,
        &format!(
            "row {} (node node-a) does not follow row {}",
            rows[3].seq, rows[1].seq
        ),
    )
    .await?;
    restore(&app, &middle).await?;
    assert!(audit_verify(&app).await?.0);

    // Inserted: a forged row that continues the chain correctly, hash and
    // all, is still caught by the chain's recorded head.
    let last = rows.last().unwrap();
    let mut forged = api::audit::Entry::from(last);
    forged.agency = "BTC".into();
    forged.request_id = "forged".into();
    let hash = api::audit::chain_hash(&last.hash, "node-a", &forged);
    let forged_row = access_log::Model {
        seq: last.seq + 100,
        prev_hash: last.hash.clone(),
        hash,
        node: "node-a".into(),
        at: forged.at,
        agency: forged.agency.clone(),
        grant_id: forged.grant_id.clone(),
        operation: forged.operation.clone(),
        dataset: forged.dataset,
        subjects: forged.subjects.clone(),
        fields: forged.fields.clone(),
        purpose: forged.purpose.clone(),
        case_ref: forged.case_ref.clone(),
        request_id: forged.request_id.clone(),
        batch_mac: None,
    };
    restore(&app, &forged_row).await?;
    verify_fails_saying(
        &app,
        &format!(
            "row {} (node node-a) was inserted after the chain's recorded head",
            forged_row.seq
        ),
    )
    .await?;
    remove(&app, forged_row.seq).await?;
    assert!(audit_verify(&app).await?.0);

    // Inserted with a made-up hash: the row itself does not match.
    let junk = access_log::Model {
        hash: "f".repeat(64),
        ..forged_row.clone()
    };
    restore(&app, &junk).await?;
    let (ok, text) = audit_verify(&app).await?;
    assert!(
        !ok && text.contains(&format!(
            "row {} (node node-a) does not match its hash",
            junk.seq
        )),
        "{text}"
    );
    remove(&app, junk.seq).await?;

    // Removed from the end: the recorded head is missing.
    remove(&app, last.seq).await?;
    verify_fails_saying(&app, "rows were removed from its end").await?;
    restore(&app, last).await?;
    // The subject index is checked too.
    app.sql(&format!(
        "DELETE FROM access_log_subject WHERE seq = {}",
        rows[0].seq
    ))
    .await?;
    let (ok, text) = audit_verify(&app).await?;
    assert!(
        !ok && text.contains(&format!("the subject index of row {}", rows[0].seq)),
        "{text}"
    );
    Ok(())
}

/// The review's attack: a database writer deletes a citizen's rows, then
/// recomputes every later hash and the chain's head with plain SHA-256, as
/// one without the audit key can. The chain itself is consistent again,
/// but `audit verify` names the first batch whose MAC no longer matches;
/// taking the MACs away, or verifying with another key, fails too.
#[tokio::test]
async fn rewriting_the_chain_without_the_audit_key_is_caught() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let ids = first_citizens(&app, 3).await?;
    let target = ids[1].clone();
    let lookup = |id: String| {
        let (app, token) = (&app, token.clone());
        async move { look_up(app, &token, &id).await }
    };
    // 15 lookups of the citizen among others', one at a time and in
    // concurrent bursts (batches of several rows).
    for round in 0..5 {
        for id in &ids {
            lookup(id.clone()).await?;
        }
        let burst = (0..6).map(|i| lookup(ids[(round + i) % ids.len()].clone()));
        for done in futures::future::join_all(burst).await {
            done?;
        }
    }
    // A last lookup of someone else, alone: the chain ends with a batch of
    // its own, whatever the bursts' batches mixed.
    lookup(ids[0].clone()).await?;
    let (ok, text) = audit_verify(&app).await?;
    assert!(ok, "{text}");
    let rows = log_rows(&app).await?;

    // Another key verifies nothing; without a key, nothing is verified.
    let other = tempfile::tempdir()?;
    let other_key = other.path().join("other.audit.key");
    std::fs::write(&other_key, format!("{}\n", "ab".repeat(32)))?;
    let with_key = |key: &std::path::Path| {
        vec![
            "audit".into(),
            "verify".into(),
            "--database-url".into(),
            app.database_url().to_owned(),
            "--audit-key".into(),
            key.display().to_string(),
        ]
    };
    let first_batch = rows.iter().find(|r| r.batch_mac.is_some()).unwrap();
    let (ok, text) = lienthong(with_key(&other_key)).await?;
    assert!(
        !ok && text.contains(&format!(
            "row {} (node node-a) ends the batch",
            first_batch.seq
        )),
        "{text}"
    );
    let (ok, text) = lienthong(with_key(&other.path().join("missing.key"))).await?;
    assert!(!ok && text.contains("LIENTHONG_AUDIT_KEY"), "{text}");

    let (gone, kept): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| r.subjects.contains(target.as_str()));
    assert_eq!(gone.len(), 15, "the citizen's rows");
    assert!(
        kept.last().unwrap().batch_mac.is_some(),
        "a batch ends the chain"
    );

    // Delete the citizen's rows, re-chain the rest and move the head.
    for row in &gone {
        remove(&app, row.seq).await?;
    }
    let mut prev = api::audit::GENESIS.to_owned();
    for row in &kept {
        let hash = api::audit::chain_hash(&prev, "node-a", &api::audit::Entry::from(row));
        app.sql(&format!(
            "UPDATE access_log SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}",
            row.seq
        ))
        .await?;
        prev = hash;
    }
    app.sql(&format!(
        "UPDATE audit_chain SET head_hash = '{prev}', length = {} WHERE node = 'node-a'",
        kept.len()
    ))
    .await?;

    // The first batch that ends after the first deleted row is named.
    let first_gone = gone[0].seq;
    let named = kept
        .iter()
        .find(|r| r.seq > first_gone && r.batch_mac.is_some())
        .unwrap();
    let (ok, text) = audit_verify(&app).await?;
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("row {} (node node-a) ends the batch", named.seq))
            && text.contains("batch MAC does not match"),
        "{text}"
    );

    // Without the MACs, the chain ends on no authenticated batch.
    app.sql("UPDATE access_log SET batch_mac = NULL").await?;
    verify_fails_saying(
        &app,
        &format!(
            "row {} (node node-a) ends the chain but carries no batch MAC",
            kept.last().unwrap().seq
        ),
    )
    .await?;

    Ok(())
}

/// A server killed (SIGKILL) under load has logged every access it
/// acknowledged; restarted on the same database it goes on with its chain,
/// which `audit verify` finds whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_load_loses_no_acknowledged_access() -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let app = spawn_app().await?;
    let ids: Vec<String> = entities::population::citizen::Entity::find()
        .all(&app.app_db.conn)
        .await?
        .into_iter()
        .take(300)
        .map(|c| c.personal_id)
        .collect();
    let token = app.token("UBND-68").await?;
    let port = free_port()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let mut server = start_server(&app, port, "node-kill")?;
    wait_ready(&client, port).await?;

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let (counted, count) = tokio::sync::watch::channel(0usize);
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for worker in 0..8 {
        let (client, token, ids) = (client.clone(), token.clone(), ids.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        let counted = counted.clone();
        clients.push(tokio::spawn(async move {
            for i in 0..100_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let request_id = format!("kill-{worker}-{i}");
                let id = &ids[(worker * 37 + i) % ids.len()];
                let sent = client
                    .post(format!("http://127.0.0.1:{port}/graphql"))
                    .bearer_auth(&token)
                    .header("x-request-id", &request_id)
                    .json(&json!({
                        "query": "query Load($id: String!) { citizen(personalId: $id) { fullName } }",
                        "variables": { "id": id },
                    }))
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                // A response with the citizen's name is an acknowledged access.
                if body["data"]["citizen"]["fullName"].is_string() {
                    acknowledged.lock().unwrap().push(request_id);
                    counted.send_modify(|n| *n += 1);
                }
            }
        }));
    }
    drop(counted);
    // The kill comes under load: once 300 accesses are acknowledged (or
    // after 20 s, or when every client has stopped, with what there is).
    let _ = tokio::time::timeout(Duration::from_secs(20), {
        let mut count = count;
        async move { count.wait_for(|n| *n >= 300).await.map(|_| ()) }
    })
    .await;
    server.kill()?; // SIGKILL: no shutdown, no flush.
    server.wait()?;
    stop.store(true, Ordering::Relaxed);
    for handle in clients {
        handle.await?;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!("acknowledged before the kill: {}", acknowledged.len());
    assert!(
        acknowledged.len() >= 50,
        "too little load: {}",
        acknowledged.len()
    );

    // Restarted on the same database, it goes on with its chain.
    let mut server = start_server(&app, port, "node-kill")?;
    wait_ready(&client, port).await?;
    let body: Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(&token)
        .header("x-request-id", "after-restart")
        .json(&json!({
            "query": "query ($id: String!) { citizen(personalId: $id) { fullName } }",
            "variables": { "id": ids[0] },
        }))
        .send()
        .await?
        .json()
        .await?;
    assert!(body["data"]["citizen"]["fullName"].is_string(), "{body}");
    server.kill()?;
    server.wait()?;

    let logged: HashSet<String> = access_log::Entity::find()
        .filter(access_log::Column::Node.eq("node-kill"))
        .all(&app.app_db.conn)
        .await?
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !logged.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not logged: {missing:?}"
    );
    assert!(logged.contains("after-restart"));
    let (ok, text) = audit_verify(&app).await?;
    assert!(ok, "{text}");
    Ok(())
}

/// Operators see readiness with its checks, request ids echoed (or replaced
/// when not a short token) and logged, and metrics by agency, operation and
/// outcome, which only the hub operator may read.
#[tokio::test]
async fn operators_see_readiness_metrics_and_request_ids() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let ready: Value = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        ready,
        json!({ "status": "ready", "node": "node-a", "checks": {
            "database": "ok", "signingKey": "ok", "auditWriter": "ok" } })
    );
    let (holder, ..) = subjects(&app).await?;
    let (headers, _) = ask(
        &app,
        "UBND-68",
        "query Lookup($id: String!) { citizen(personalId: $id) { fullName } }",
        json!({ "id": holder }),
        &[("x-request-id", "portal-68:case-9")],
    )
    .await?;
    assert_eq!(headers["x-request-id"], "portal-68:case-9");
    // An id that is not a short token is replaced by the hub's own.
    let (headers, _) = ask(
        &app,
        "UBND-68",
        "query Lookup($id: String!) { citizen(personalId: $id) { fullName } }",
        json!({ "id": holder }),
        &[("x-request-id", "two words")],
    )
    .await?;
    let replaced = headers["x-request-id"].to_str()?.to_owned();
    assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
    let rows = log_as(&app, "BCA", json!({})).await?;
    assert_eq!(request_ids(&rows), [replaced.as_str(), "portal-68:case-9"]);
    let (status, _, _) = app
        .post_graphql(Some("not-a-token"), "{ me { agencyCode } }", json!({}))
        .await?;
    assert_eq!(status, 401);

    // The metrics name agencies: for the hub operator only.
    let metrics_url = format!("{}/metrics", app.address);
    let anonymous = app.client.get(&metrics_url).send().await?;
    assert_eq!(anonymous.status(), 401);
    let province = app
        .client
        .get(&metrics_url)
        .bearer_auth(app.token("UBND-68").await?)
        .send()
        .await?;
    assert_eq!(province.status(), 403);
    let metrics = app
        .client
        .get(&metrics_url)
        .bearer_auth(app.token("TTDLQG").await?)
        .send()
        .await?
        .text()
        .await?;
    for line in [
        "lienthong_requests_total{agency=\"UBND-68\",operation=\"citizen\",outcome=\"ok\"} 2",
        "lienthong_requests_total{agency=\"-\",operation=\"-\",outcome=\"unauthenticated\"} 1",
        "lienthong_audit_rows_total 2",
        "lienthong_audit_failures_total 0",
        "lienthong_request_duration_seconds_count{endpoint=\"graphql\"} 4",
        "lienthong_audit_batch_rows_count 2",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in\n{metrics}");
    }
    assert!(metrics.contains("lienthong_db_pool_max "));
    // The process, in Prometheus' standard names, and the build.
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        let value: f64 = metrics
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
            .parse()?;
        assert!(value > 0.0, "{name} {value}");
    }
    assert!(
        metrics.contains(&format!(
            "lienthong_build_info{{version=\"{}\",rustc=\"",
            env!("CARGO_PKG_VERSION")
        )),
        "{metrics}"
    );
    Ok(())
}

/// Statistics count what the registers hold within the caller's
/// jurisdiction (refused outside it, national for a national agency), and
/// the owner sees the requests and refusals of those who use its data.
#[tokio::test]
async fn statistics_stay_within_jurisdiction_and_count_sharing() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    const STATS: &str = "query ($p: String) { statistics {
        population(provinceCode: $p) { code name count }
        enterprises(provinceCode: $p) { status type count }
        landArea(provinceCode: $p) { landUse parcels areaM2 } } }";
    let mine = app.graphql_as("UBND-68", STATS, json!({})).await?;
    assert!(errors(&mine).is_empty(), "{mine}");
    let provinces = mine["data"]["statistics"]["population"].as_array().unwrap();
    assert_eq!(provinces.len(), 1, "{mine}");
    assert_eq!(provinces[0]["code"], "68");
    assert_eq!(provinces[0]["name"], "Tỉnh Lâm Đồng");
    let alive_68 = entities::population::citizen::Entity::find()
        .filter(entities::population::citizen::Column::ResidenceProvince.eq("68"))
        .filter(
            entities::population::citizen::Column::Status
                .eq(entities::population::CitizenStatus::Alive),
        )
        .all(&app.app_db.conn)
        .await?
        .len();
    assert_eq!(provinces[0]["count"], alive_68 as i64);
    let by_commune = app
        .graphql_as("UBND-68", STATS, json!({ "p": "68" }))
        .await?;
    let communes = by_commune["data"]["statistics"]["population"]
        .as_array()
        .unwrap();
    assert!(communes.len() > 1);
    assert_eq!(
        communes
            .iter()
            .map(|c| c["count"].as_i64().unwrap())
            .sum::<i64>(),
        alive_68 as i64
    );
    assert!(
        communes
            .iter()
            .all(|c| c["code"].as_str().unwrap().len() == 5)
    );
    let enterprises_68: i64 = mine["data"]["statistics"]["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_i64().unwrap())
        .sum();
    let listed = entities::enterprise::enterprise::Entity::find()
        .filter(entities::enterprise::enterprise::Column::HeadOfficeProvince.eq("68"))
        .all(&app.app_db.conn)
        .await?
        .len();
    assert_eq!(enterprises_68, listed as i64);
    let parcels: i64 = mine["data"]["statistics"]["landArea"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["parcels"].as_i64().unwrap())
        .sum();
    assert!(parcels > 0);
    // Outside the jurisdiction: refused, each part.
    let outside = app
        .graphql_as("UBND-68", STATS, json!({ "p": "01" }))
        .await?;
    for part in ["population", "enterprises", "landArea"] {
        assert_eq!(
            error_at(&outside, &["statistics", part]).unwrap()["extensions"]["code"],
            "FORBIDDEN"
        );
    }
    // The national view covers every province.
    let national = app.graphql_as("BCA", STATS, json!({})).await?;
    assert_eq!(
        national["data"]["statistics"]["population"]
            .as_array()
            .unwrap()
            .len(),
        34
    );

    // Sharing: UBND-68's served and refused requests on BCA's dataset.
    let token = app.token_with("UBND-68", "population:read").await?;
    let (holder, ..) = subjects(&app).await?;
    let body = app
        .graphql_with(
            &token,
            "query ($id: String!) { citizen(personalId: $id) { fullName dateOfBirth } }",
            json!({ "id": holder }),
        )
        .await?;
    assert_forbidden(&body, "population:read:pii");
    const SHARING: &str = "{ statistics { sharing { day dataset agency requests refusals } } }";
    // The counts are written by the audit writer, not awaited by requests.
    let seen = eventually(
        "UBND-68's refusal counted",
        Duration::from_secs(10),
        || async {
            let body = app.graphql_as("BCA", SHARING, json!({})).await?;
            let days = body["data"]["statistics"]["sharing"].as_array().cloned();
            Ok(days
                .unwrap_or_default()
                .into_iter()
                .find(|d| d["agency"] == "UBND-68" && d["refusals"].as_i64() >= Some(1)))
        },
    )
    .await?;
    assert_eq!(seen["dataset"], "POPULATION", "{seen}");
    assert!(seen["requests"].as_i64() >= Some(2), "{seen}");
    let province = app.graphql_as("UBND-68", SHARING, json!({})).await?;
    assert_forbidden(&province, "audit:read");
    let other = app
        .graphql_as(
            "BNNMT",
            "{ statistics { sharing(dataset: POPULATION) { day } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        error_at(&other, &["statistics", "sharing"]).unwrap()["extensions"]["code"],
        "FORBIDDEN"
    );
    Ok(())
}

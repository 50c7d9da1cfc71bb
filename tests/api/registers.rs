//! Owners write their registers: the rules each write keeps, versions and
//! idempotency keys, the change feed and live subscriptions, and what
//! survives races, retries and a killed server.

use crate::helpers::{
    TestApp, assert_forbidden, error_at, errors, free_port, nodes, spawn_app, start_server,
    wait_ready,
};
use entities::changes::change_event;
use entities::enterprise::{EnterpriseStatus, enterprise};
use entities::land::{RightStatus, land_right};
use entities::population::{CitizenStatus, citizen};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

use crate::ws::Subscriber;

/// The code of the error at `path`, or of the request's error when the
/// request was refused before it ran (no path, no data).
pub(crate) fn code_at(body: &Value, path: &[&str]) -> String {
    error_at(body, path)
        .or_else(|| {
            body["errors"]
                .as_array()
                .and_then(|errors| errors.first())
                .filter(|e| e["path"].is_null() && body["data"].is_null())
        })
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
        .unwrap_or_else(|| format!("no error at {path:?}: {body}"))
}

async fn changes_count(app: &TestApp) -> anyhow::Result<u64> {
    Ok(change_event::Entity::find().count(&app.app_db.conn).await?)
}

/// A living citizen outside Lâm Đồng who represents an enterprise and
/// holds an active, unmortgaged land right.
async fn mover(app: &TestApp) -> anyhow::Result<(citizen::Model, String, land_right::Model)> {
    let rights = land_right::Entity::find()
        .filter(land_right::Column::HolderCitizenId.is_not_null())
        .filter(land_right::Column::Status.eq(RightStatus::Active))
        .filter(land_right::Column::Mortgaged.eq(false))
        .order_by_asc(land_right::Column::CertificateNumber)
        .all(&app.app_db.conn)
        .await?;
    let enterprises = enterprise::Entity::find().all(&app.app_db.conn).await?;
    for right in rights {
        let Some(represented) = enterprises
            .iter()
            .find(|e| e.legal_rep_id == right.holder().id)
        else {
            continue;
        };
        let person = citizen::Entity::find_by_id(right.holder().id)
            .one(&app.app_db.conn)
            .await?
            .expect("holder exists");
        if person.status == CitizenStatus::Alive && person.residence_province != "68" {
            return Ok((person, represented.code.clone(), right));
        }
    }
    anyhow::bail!("the demo data has no citizen who holds land and represents an enterprise")
}

const MOVE: &str = "mutation ($id: String!, $commune: String!, $version: Int) {
  changeResidence(input: { personalId: $id, communeCode: $commune, residenceLine: \"12 Đường Trần Phú\", expectedVersion: $version }) {
    citizen { personalId version residenceCommune { code } household { commune { code } } } } }";

/// A commune of Lâm Đồng.
const LAM_DONG_COMMUNE: &str = "24778";

/// A move into Lâm Đồng is heard at once by the province's subscriber,
/// shows in the province's next query wherever the person appears, and is
/// in the owner's access log with its purpose and case.
#[tokio::test]
async fn a_move_reaches_the_province() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    assert_eq!(
        api::refdata::reference()
            .commune(LAM_DONG_COMMUNE)
            .map(|c| c.province_code),
        Some("68")
    );
    let (person, represented, _) = mover(&app).await?;
    let province_token = app.token("UBND-68").await?;
    let mut subscriber = Subscriber::connect(&app, &province_token).await?;
    subscriber
        .subscribe_first(&app, "1", "POPULATION", None)
        .await?;

    let token = app.token("BCA").await?;
    let (status, _, moved) = app
        .post_graphql_with_headers(
            Some(&token),
            MOVE,
            json!({ "id": person.personal_id, "commune": LAM_DONG_COMMUNE, "version": person.version }),
            &[("x-purpose", "Đăng ký thường trú"), ("x-case-ref", "CT-2026-77")],
        )
        .await?;
    assert_eq!(status, 200);
    assert!(errors(&moved).is_empty(), "{moved}");
    let citizen = &moved["data"]["changeResidence"]["citizen"];
    assert_eq!(citizen["residenceCommune"]["code"], LAM_DONG_COMMUNE);
    assert_eq!(citizen["version"], person.version + 1);

    // The province's subscriber hears of it.
    let mut heard = None;
    for _ in 0..100 {
        let change = subscriber.change().await?;
        if change["entity"] == "Citizen" && change["key"] == person.personal_id.as_str() {
            heard = Some(change);
            break;
        }
    }
    let change = heard.expect("the move among the first 100 changes");
    assert_eq!(change["op"], "UPDATED");
    assert_eq!(change["provinceCode"], "68");

    // Its next query shows the new residence everywhere.
    let seen = app
        .graphql_with(
            &province_token,
            "query ($id: String!, $code: String!) {
               citizen(personalId: $id) { residenceCommune { code } household { commune { code } } }
               enterprise(code: $code) { legalRepresentative { personalId residenceCommune { code } } } }",
            json!({ "id": person.personal_id, "code": represented }),
        )
        .await?;
    assert!(errors(&seen).is_empty(), "{seen}");
    assert_eq!(
        seen["data"]["citizen"]["residenceCommune"]["code"],
        LAM_DONG_COMMUNE
    );
    assert_eq!(
        seen["data"]["citizen"]["household"]["commune"]["code"],
        LAM_DONG_COMMUNE
    );
    assert_eq!(
        seen["data"]["enterprise"]["legalRepresentative"]["residenceCommune"]["code"],
        LAM_DONG_COMMUNE
    );

    // The write is in BCA's access log with its purpose.
    let log = app
        .graphql_as(
            "BCA",
            "{ accessLog(filter: { agency: \"BCA\" }) { edges { node { operation fields subjects purpose caseRef } } } }",
            json!({}),
        )
        .await?;
    let write = nodes(&log, "accessLog")
        .into_iter()
        .find(|r| {
            r["fields"]
                .as_array()
                .unwrap()
                .contains(&json!("Mutation.changeResidence"))
        })
        .expect("the write is logged");
    assert_eq!(write["purpose"], "Đăng ký thường trú");
    assert_eq!(write["caseRef"], "CT-2026-77");
    assert!(
        write["subjects"]
            .as_array()
            .unwrap()
            .contains(&json!(person.personal_id))
    );
    Ok(())
}

/// The land owner transfers a citizen's certificate to an enterprise: the
/// old right is TRANSFERRED and a new one ACTIVE, and both sides (the
/// enterprise's rights, the citizen's) show it.
#[tokio::test]
async fn a_transfer_shows_on_both_sides() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (person, represented, right) = mover(&app).await?;
    let transfer = app
        .graphql_as(
            "BNNMT",
            "mutation ($c: String!, $to: String!, $v: Int) {
               transferLandRight(input: { certificateNumber: $c, toHolderKind: ENTERPRISE, toHolderId: $to, expectedVersion: $v }) {
                 landRight { certificateNumber status share holderId } previous { status } } }",
            json!({ "c": right.certificate_number, "to": represented, "v": right.version }),
        )
        .await?;
    assert!(errors(&transfer).is_empty(), "{transfer}");
    let new = transfer["data"]["transferLandRight"]["landRight"].clone();
    assert_eq!(new["status"], "ACTIVE");
    assert_eq!(new["holderId"], represented.as_str());
    assert_eq!(
        transfer["data"]["transferLandRight"]["previous"]["status"],
        "TRANSFERRED"
    );
    let sides = app
        .graphql_as(
            "BNNMT",
            "query ($id: String!, $code: String!) {
               citizen: landRight(certificateNumber: $id) { status }
               enterprise(code: $code) { landRights { certificateNumber status } } }",
            json!({ "id": right.certificate_number, "code": represented }),
        )
        .await?;
    assert_eq!(sides["data"]["citizen"]["status"], "TRANSFERRED");
    assert!(
        sides["data"]["enterprise"]["landRights"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["certificateNumber"] == new["certificateNumber"] && r["status"] == "ACTIVE"),
        "{sides}"
    );
    let holder_side = app
        .graphql_as(
            "UBND-68",
            "query ($id: String!) { citizen(personalId: $id) { landRights { certificateNumber status } } }",
            json!({ "id": person.personal_id }),
        )
        .await?;
    assert!(
        holder_side["data"]["citizen"]["landRights"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |r| r["certificateNumber"] == right.certificate_number.as_str()
                    && r["status"] == "TRANSFERRED"
            ),
        "{holder_side}"
    );

    Ok(())
}

const REGISTER: &str = "mutation ($input: RegisterCitizenInput!) { registerCitizen(input: $input) { citizen { personalId } } }";

/// A girl born in 2025 (`3` in the id: female, 21st century; `25`: 2025).
const NEWBORN: &str = "001325000111";

/// The variables of `REGISTER` for a child of `mother`.
fn newborn(mother: &str, id: &str, sex: &str, born: &str) -> Value {
    json!({ "input": {
        "personalId": id, "fullName": "Nguyễn Thị Mai", "sex": sex, "dateOfBirth": born,
        "ethnicity": "Kinh", "placeOfOriginCommuneCode": "00004",
        "residenceCommuneCode": "00004", "residenceLine": "1 Phố Huế",
        "motherId": mother,
    }})
}

/// Registers [`NEWBORN`] as a child of `mother`, then records her death.
async fn a_dead_citizen(app: &TestApp, mother: &str) -> anyhow::Result<&'static str> {
    let registered = app
        .graphql_as(
            "BCA",
            REGISTER,
            newborn(mother, NEWBORN, "FEMALE", "2025-03-01"),
        )
        .await?;
    assert!(errors(&registered).is_empty(), "{registered}");
    let died = app
        .graphql_as(
            "BCA",
            "mutation ($id: String!) { recordDeath(input: { personalId: $id, dateOfDeath: \"2026-01-02\" }) { citizen { status } } }",
            json!({ "id": NEWBORN }),
        )
        .await?;
    assert_eq!(
        died["data"]["recordDeath"]["citizen"]["status"], "DECEASED",
        "{died}"
    );
    Ok(NEWBORN)
}

const ISSUE: &str = "mutation ($parcel: String!, $kind: HolderKind!, $holder: String!, $share: Float!) {
    issueLandRight(input: { parcelId: $parcel, holderKind: $kind, holderId: $holder, share: $share }) { landRight { certificateNumber share } } }";

const TRANSFER: &str = "mutation ($c: String!, $to: String!) {
    transferLandRight(input: { certificateNumber: $c, toHolderKind: ENTERPRISE, toHolderId: $to }) { landRight { certificateNumber } } }";

const REGISTER_ENTERPRISE: &str = "mutation ($code: String!, $rep: String!) { registerEnterprise(input: {
    code: $code, name: \"Công ty TNHH Thử Nghiệm\", type: LLC_ONE, foundedOn: \"2020-01-01\",
    registeredCapitalVnd: 1000000000, headOfficeCommuneCode: \"00004\", headOfficeAddress: \"1 Phố Huế\",
    legalRepresentativeId: $rep, industries: [\"6201\"] }) { enterprise { code status } } }";

/// A birth is registered once, and only with facts that agree: the id's
/// sex and year digits, a valid id not yet taken, a commune in force and
/// registered parents. Each refusal writes nothing.
#[tokio::test]
async fn a_birth_is_registered_once_and_only_with_facts_that_agree() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (person, ..) = mover(&app).await?;
    let mother = person.personal_id.as_str();
    let before = changes_count(&app).await?;
    let cases: Vec<(Value, &str)> = vec![
        (
            newborn(mother, NEWBORN, "MALE", "2025-03-01"),
            "BAD_USER_INPUT",
        ),
        (
            newborn(mother, NEWBORN, "FEMALE", "2024-03-01"),
            "BAD_USER_INPUT",
        ),
        (
            newborn(mother, "12345", "FEMALE", "2025-03-01"),
            "BAD_USER_INPUT",
        ),
        (
            newborn(mother, mother, "MALE", "2025-03-01"),
            "BAD_USER_INPUT",
        ),
        (
            {
                let mut v = newborn(mother, NEWBORN, "FEMALE", "2025-03-01");
                v["input"]["residenceCommuneCode"] = json!("99999");
                v
            },
            "BAD_USER_INPUT",
        ),
        (
            {
                let mut v = newborn(mother, NEWBORN, "FEMALE", "2025-03-01");
                v["input"]["fatherId"] = json!("001085999999");
                v
            },
            "NOT_FOUND",
        ),
    ];
    for (variables, code) in cases {
        let body = app.graphql_as("BCA", REGISTER, variables.clone()).await?;
        assert_eq!(
            code_at(&body, &["registerCitizen"]),
            code,
            "{variables}: {body}"
        );
    }
    assert_eq!(changes_count(&app).await?, before, "refusals write nothing");
    let good = newborn(mother, NEWBORN, "FEMALE", "2025-03-01");
    let registered = app.graphql_as("BCA", REGISTER, good.clone()).await?;
    assert!(errors(&registered).is_empty(), "{registered}");
    let again = app.graphql_as("BCA", REGISTER, good).await?;
    assert_eq!(code_at(&again, &["registerCitizen"]), "CONFLICT");
    assert_eq!(
        changes_count(&app).await?,
        before + 2,
        "citizen and household"
    );
    Ok(())
}

/// A write with a stale version is a CONFLICT, and only a dataset's owner
/// writes it: a province, or another owner, is FORBIDDEN.
#[tokio::test]
async fn a_stale_version_and_a_writer_that_is_not_the_owner_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (person, ..) = mover(&app).await?;
    let before = changes_count(&app).await?;
    let stale = app
        .graphql_as(
            "BCA",
            MOVE,
            json!({ "id": person.personal_id, "commune": LAM_DONG_COMMUNE, "version": person.version + 7 }),
        )
        .await?;
    assert_eq!(code_at(&stale, &["changeResidence"]), "CONFLICT");
    let province = app
        .graphql_as(
            "UBND-68",
            MOVE,
            json!({ "id": person.personal_id, "commune": LAM_DONG_COMMUNE }),
        )
        .await?;
    assert_forbidden(&province, "population:write");
    let not_owner = app
        .graphql_as(
            "BNNMT",
            REGISTER,
            newborn(&person.personal_id, NEWBORN, "FEMALE", "2025-03-01"),
        )
        .await?;
    assert_forbidden(&not_owner, "population:write");
    assert_eq!(changes_count(&app).await?, before, "refusals write nothing");
    Ok(())
}

/// The dead cannot move, represent an enterprise (an existing one or a new
/// one) or receive land; each refusal writes nothing.
#[tokio::test]
async fn the_dead_cannot_move_represent_an_enterprise_or_receive_land() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (person, represented, right) = mover(&app).await?;
    let dead = a_dead_citizen(&app, &person.personal_id).await?;
    let before = changes_count(&app).await?;
    let moved = app
        .graphql_as(
            "BCA",
            MOVE,
            json!({ "id": dead, "commune": LAM_DONG_COMMUNE }),
        )
        .await?;
    assert_eq!(code_at(&moved, &["changeResidence"]), "BAD_USER_INPUT");
    let represent = app
        .graphql_as(
            "BTC",
            "mutation ($code: String!, $id: String!) { changeLegalRepresentative(input: { code: $code, personalId: $id }) { enterprise { code } } }",
            json!({ "code": represented, "id": dead }),
        )
        .await?;
    assert_eq!(
        code_at(&represent, &["changeLegalRepresentative"]),
        "BAD_USER_INPUT"
    );
    let new_enterprise = app
        .graphql_as(
            "BTC",
            REGISTER_ENTERPRISE,
            json!({ "code": "0100233488", "rep": dead }),
        )
        .await?;
    assert_eq!(
        code_at(&new_enterprise, &["registerEnterprise"]),
        "BAD_USER_INPUT"
    );
    let to_dead = app
        .graphql_as(
            "BNNMT",
            ISSUE,
            json!({ "parcel": right.parcel_id, "kind": "CITIZEN", "holder": dead, "share": 0.0001 }),
        )
        .await?;
    assert_eq!(code_at(&to_dead, &["issueLandRight"]), "BAD_USER_INPUT");
    assert_eq!(changes_count(&app).await?, before, "refusals write nothing");
    Ok(())
}

/// An enterprise code already registered is a CONFLICT, and one whose
/// check digit is wrong is BAD_USER_INPUT; neither writes anything.
#[tokio::test]
async fn enterprise_codes_are_unique_and_valid() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (person, represented, _) = mover(&app).await?;
    let before = changes_count(&app).await?;
    let taken = app
        .graphql_as(
            "BTC",
            REGISTER_ENTERPRISE,
            json!({ "code": represented, "rep": person.personal_id }),
        )
        .await?;
    assert_eq!(code_at(&taken, &["registerEnterprise"]), "CONFLICT");
    let bad_digit = app
        .graphql_as(
            "BTC",
            REGISTER_ENTERPRISE,
            json!({ "code": "0100233480", "rep": person.personal_id }),
        )
        .await?;
    assert_eq!(
        code_at(&bad_digit, &["registerEnterprise"]),
        "BAD_USER_INPUT"
    );
    assert_eq!(changes_count(&app).await?, before, "refusals write nothing");
    Ok(())
}

/// A parcel's shares never exceed the whole; a mortgaged right cannot be
/// transferred, nor one already transferred (CONFLICT).
#[tokio::test]
async fn shares_stay_whole_and_a_mortgaged_or_transferred_right_does_not_move() -> anyhow::Result<()>
{
    let app = spawn_app().await?;
    let (person, represented, right) = mover(&app).await?;
    let before = changes_count(&app).await?;
    let over = app
        .graphql_as(
            "BNNMT",
            ISSUE,
            json!({ "parcel": right.parcel_id, "kind": "CITIZEN", "holder": person.personal_id, "share": 1.0 }),
        )
        .await?;
    assert_eq!(code_at(&over, &["issueLandRight"]), "BAD_USER_INPUT");
    let transfer = json!({ "c": right.certificate_number, "to": represented });
    app.sql(&format!(
        "UPDATE land_right SET mortgaged = TRUE WHERE certificate_number = '{}'",
        right.certificate_number
    ))
    .await?;
    let mortgaged = app.graphql_as("BNNMT", TRANSFER, transfer.clone()).await?;
    assert_eq!(
        code_at(&mortgaged, &["transferLandRight"]),
        "BAD_USER_INPUT"
    );
    assert_eq!(changes_count(&app).await?, before, "refusals write nothing");
    app.sql(&format!(
        "UPDATE land_right SET mortgaged = FALSE WHERE certificate_number = '{}'",
        right.certificate_number
    ))
    .await?;
    let done = app.graphql_as("BNNMT", TRANSFER, transfer.clone()).await?;
    assert!(errors(&done).is_empty(), "{done}");
    let twice = app.graphql_as("BNNMT", TRANSFER, transfer).await?;
    assert_eq!(code_at(&twice, &["transferLandRight"]), "CONFLICT");
    Ok(())
}

/// A dissolved enterprise stays dissolved: going back to ACTIVE is refused
/// and the register keeps DISSOLVED.
#[tokio::test]
async fn a_dissolved_enterprise_stays_dissolved() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, represented, _) = mover(&app).await?;
    const STATUS: &str = "mutation ($code: String!, $s: EnterpriseStatus!) { changeEnterpriseStatus(input: { code: $code, status: $s }) { enterprise { status version } } }";
    let dissolved = app
        .graphql_as(
            "BTC",
            STATUS,
            json!({ "code": represented, "s": "DISSOLVED" }),
        )
        .await?;
    assert_eq!(
        dissolved["data"]["changeEnterpriseStatus"]["enterprise"]["status"],
        "DISSOLVED"
    );
    let revived = app
        .graphql_as("BTC", STATUS, json!({ "code": represented, "s": "ACTIVE" }))
        .await?;
    assert_eq!(
        code_at(&revived, &["changeEnterpriseStatus"]),
        "BAD_USER_INPUT"
    );
    let status: EnterpriseStatus = enterprise::Entity::find_by_id(represented.clone())
        .one(&app.app_db.conn)
        .await?
        .unwrap()
        .status;
    assert_eq!(status, EnterpriseStatus::Dissolved);
    Ok(())
}

/// Fifty concurrent transfers of one certificate: exactly one wins, every
/// other is a CONFLICT, and the parcel's active shares still add up to what
/// they were.
#[tokio::test]
async fn fifty_concurrent_transfers_of_one_certificate_make_one() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, represented, right) = mover(&app).await?;
    let shares_before = app.active_shares(&right.parcel_id).await?;
    let token = app.token("BNNMT").await?;
    let mut attempts = Vec::new();
    for _ in 0..50 {
        let (client, address, token) = (app.client.clone(), app.address.clone(), token.clone());
        let (c, to) = (right.certificate_number.clone(), represented.clone());
        attempts.push(tokio::spawn(async move {
            let body: Value = client
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&json!({
                    "query": "mutation ($c: String!, $to: String!) { transferLandRight(input: { certificateNumber: $c, toHolderKind: ENTERPRISE, toHolderId: $to }) { landRight { certificateNumber } } }",
                    "variables": { "c": c, "to": to },
                }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(body)
        }));
    }
    let mut won = 0;
    let mut refused = Vec::new();
    for attempt in attempts {
        let body = attempt.await??;
        if errors(&body).is_empty() {
            won += 1;
        } else {
            refused.push(code_at(&body, &["transferLandRight"]));
        }
    }
    assert_eq!(won, 1, "refusals: {refused:?}");
    assert!(
        refused.iter().all(|c| c == "CONFLICT"),
        "every other transfer is a CONFLICT: {refused:?}"
    );
    let active = app.active_rights(&right.parcel_id).await?;
    assert_eq!(
        active.iter().map(|r| r.share_bp).sum::<i32>(),
        shares_before
    );
    assert_eq!(
        active
            .iter()
            .filter(|r| r.holder().id == represented && r.share_bp == right.share_bp)
            .count(),
        1
    );
    Ok(())
}

/// A transfer retried with one Idempotency-Key, concurrently and later,
/// writes once and always gets the first answer; the key with another
/// request is BAD_USER_INPUT, and a retry without it is a CONFLICT.
#[tokio::test]
async fn a_retried_mutation_with_one_idempotency_key_writes_once() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, represented, right) = mover(&app).await?;
    let token = app.token("BNNMT").await?;
    let query = "mutation ($c: String!, $to: String!) { transferLandRight(input: { certificateNumber: $c, toHolderKind: ENTERPRISE, toHolderId: $to }) { landRight { certificateNumber holderId } } }";
    let variables = json!({ "c": right.certificate_number, "to": represented });
    let before = changes_count(&app).await?;
    // The first try and four concurrent retries.
    let mut tries = Vec::new();
    for _ in 0..5 {
        let (client, address, token, variables) = (
            app.client.clone(),
            app.address.clone(),
            token.clone(),
            variables.clone(),
        );
        tries.push(tokio::spawn(async move {
            let body: Value = client
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .header("Idempotency-Key", "transfer-7f3a")
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(body)
        }));
    }
    let mut numbers = HashSet::new();
    for attempt in tries {
        let body = attempt.await??;
        assert!(
            errors(&body).is_empty(),
            "a retry is answered, not refused: {body}"
        );
        numbers.insert(
            body["data"]["transferLandRight"]["landRight"]["certificateNumber"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(numbers.len(), 1, "one new certificate: {numbers:?}");
    assert_eq!(changes_count(&app).await?, before + 2, "written once");
    // Later, the same retry still gets the same answer.
    let (_, _, body) = app
        .post_graphql_with_headers(
            Some(&token),
            query,
            variables.clone(),
            &[("Idempotency-Key", "transfer-7f3a")],
        )
        .await?;
    assert_eq!(
        body["data"]["transferLandRight"]["landRight"]["certificateNumber"],
        json!(numbers.iter().next().unwrap())
    );
    // The key for another request is refused.
    let (_, _, other) = app
        .post_graphql_with_headers(
            Some(&token),
            query,
            json!({ "c": "AA000001", "to": represented }),
            &[("Idempotency-Key", "transfer-7f3a")],
        )
        .await?;
    assert_eq!(code_at(&other, &["transferLandRight"]), "BAD_USER_INPUT");
    // Without the key, a retry is a second write, refused.
    let (_, _, again) = app.post_graphql(Some(&token), query, variables).await?;
    assert_eq!(code_at(&again, &["transferLandRight"]), "CONFLICT");
    Ok(())
}

/// A province's subscriber gets only its province's changes, in order; one
/// that reconnects with its last cursor gets every change made while it was
/// away; and the query pages the same feed, national for the owner.
#[tokio::test]
async fn the_feed_pages_in_order_by_jurisdiction_and_a_reconnect_misses_nothing()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let people: Vec<citizen::Model> = citizen::Entity::find()
        .filter(citizen::Column::Status.eq(CitizenStatus::Alive))
        .filter(citizen::Column::ResidenceProvince.ne("68"))
        .order_by_asc(citizen::Column::PersonalId)
        .all(&app.app_db.conn)
        .await?
        .into_iter()
        .take(4)
        .collect();
    let province_token = app.token("UBND-68").await?;
    let mut subscriber = Subscriber::connect(&app, &province_token).await?;
    subscriber
        .subscribe_first(&app, "a", "POPULATION", None)
        .await?;
    // One move into Lâm Đồng, one move elsewhere (not the province's).
    let bca = app.token("BCA").await?;
    for (person, commune) in [(&people[0], LAM_DONG_COMMUNE), (&people[1], "00004")] {
        let body = app
            .graphql_with(
                &bca,
                MOVE,
                json!({ "id": person.personal_id, "commune": commune }),
            )
            .await?;
        assert!(errors(&body).is_empty(), "{body}");
    }
    let first = loop {
        let change = subscriber.change().await?;
        if change["entity"] == "Citizen" {
            break change;
        }
    };
    assert_eq!(first["key"], people[0].personal_id.as_str());
    let cursor = first["cursor"].as_str().unwrap().to_owned();
    subscriber.close().await?;

    // While disconnected: three more moves into the province.
    for person in &people[1..4] {
        let body = app
            .graphql_with(
                &bca,
                MOVE,
                json!({ "id": person.personal_id, "commune": LAM_DONG_COMMUNE }),
            )
            .await?;
        assert!(errors(&body).is_empty(), "{body}");
    }
    let mut subscriber = Subscriber::connect(&app, &province_token).await?;
    subscriber
        .subscribe("b", "POPULATION", Some(&cursor))
        .await?;
    // (A head of household moves with the household: its members' changes
    // come too.)
    let expected: Vec<String> = people[1..4].iter().map(|p| p.personal_id.clone()).collect();
    let mut citizens = Vec::new();
    for _ in 0..100 {
        let change = subscriber.change().await?;
        assert_eq!(change["provinceCode"], "68", "{change}");
        let key = change["key"].as_str().unwrap().to_owned();
        if change["entity"] == "Citizen" && expected.contains(&key) {
            citizens.push(key);
            if citizens.len() == expected.len() {
                break;
            }
        }
    }
    assert_eq!(citizens, expected, "in order, none missed");

    // The query pages the same feed: national for BCA, province 68 for UBND-68.
    const PAGE: &str =
        "query ($after: String) { changes(dataset: POPULATION, first: 2, after: $after) {
        edges { node { cursor key op provinceCode } } pageInfo { hasNextPage } } }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    for _ in 0..50 {
        let page = app
            .graphql_with(&bca, PAGE, json!({ "after": after }))
            .await?;
        let rows = nodes(&page, "changes");
        seen.extend(
            rows.iter()
                .map(|r| r["cursor"].as_str().unwrap().to_owned()),
        );
        if page["data"]["changes"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = rows.last().unwrap()["cursor"].clone();
    }
    let all = change_event::Entity::find()
        .filter(change_event::Column::Dataset.eq(entities::access::Dataset::Population))
        .count(&app.app_db.conn)
        .await?;
    assert_eq!(seen.len() as u64, all, "every change, once");
    let province = app
        .graphql_with(
            &province_token,
            "{ changes(dataset: POPULATION, first: 500) { edges { node { provinceCode } } } }",
            json!({}),
        )
        .await?;
    let rows = nodes(&province, "changes");
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["provinceCode"] == "68"),
        "{province}"
    );
    // Without the dataset's read scope: refused.
    let land_only = app.token_with("UBND-68", "land:read").await?;
    let refused = app
        .graphql_with(
            &land_only,
            "{ changes(dataset: POPULATION) { edges { node { key } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(code_at(&refused, &["changes"]), "FORBIDDEN");
    Ok(())
}

/// A forged token is refused at connection_init, and a live subscription is
/// closed with 4403 once the grant behind it is revoked.
#[tokio::test]
async fn a_subscription_is_closed_when_its_grant_is_revoked() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let token = app.token("UBND-68").await?;
    let mut subscriber = Subscriber::connect(&app, &token).await?;
    // Started before the revocation: a subscription that starts after it is
    // refused with an error instead (also right, but not what this tests).
    subscriber
        .subscribe_first(&app, "1", "POPULATION", None)
        .await?;
    // A bad token is refused at connection_init.
    let mut stranger = Subscriber::open(&app).await?;
    stranger
        .send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer forged" } }))
        .await?;
    let refused = stranger.next().await?;
    assert_eq!(refused["type"], "close", "{refused}");
    assert_eq!(refused["code"], 4403, "{refused}");
    assert_eq!(
        refused["reason"], "the bearer token is invalid",
        "{refused}"
    );

    let grants = app
        .graphql_as("BCA", "{ grants { id grantee dataset active } }", json!({}))
        .await?;
    let grant = grants["data"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grantee"] == "UBND-68" && g["dataset"] == "POPULATION" && g["active"] == true)
        .expect("UBND-68 has a population grant")["id"]
        .clone();
    let revoked = app
        .graphql_as(
            "BCA",
            "mutation ($id: String!) { revokeAccess(id: $id, reason: \"audit finding\") { grant { active } } }",
            json!({ "id": grant }),
        )
        .await?;
    assert!(errors(&revoked).is_empty(), "{revoked}");
    let closed = subscriber.next().await?;
    assert_eq!(closed["type"], "close", "{closed}");
    assert_eq!(closed["code"], 4403, "{closed}");
    Ok(())
}

/// A subscriber on one node hears a write made through another node,
/// through PostgreSQL's NOTIFY, well before the backstop. (Several nodes
/// need PostgreSQL; on SQLite there is one node and the test says so.)
#[tokio::test]
async fn a_subscriber_on_one_node_hears_a_write_through_another() -> anyhow::Result<()> {
    if crate::helpers::postgres_url().is_none() {
        eprintln!("multi-node subscriptions run against PostgreSQL only");
        return Ok(());
    }
    let first = spawn_app().await?;
    let second = first.second_node().await?;
    let (person, ..) = mover(&first).await?;
    let mut subscriber = Subscriber::connect(&second, &second.token("UBND-68").await?).await?;
    subscriber
        .subscribe_first(&second, "1", "POPULATION", None)
        .await?;
    let moved = first
        .graphql_as(
            "BCA",
            MOVE,
            json!({ "id": person.personal_id, "commune": LAM_DONG_COMMUNE }),
        )
        .await?;
    assert!(errors(&moved).is_empty(), "{moved}");
    // Within 10 s, well before the 30 s backstop: the notice came through
    // PostgreSQL.
    let started = std::time::Instant::now();
    loop {
        let change = subscriber.change().await?;
        if change["key"] == person.personal_id.as_str() {
            break;
        }
    }
    assert!(started.elapsed() < api::registers::feed::BACKSTOP);
    Ok(())
}

/// A server killed (SIGKILL) in the middle of concurrent writes keeps every
/// write it acknowledged, with its change, and none half done: parcels and
/// their changes match one for one and the feed has no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_writes_keeps_every_acknowledged_one_whole() -> anyhow::Result<()> {
    use std::sync::{Arc, Mutex};
    let app = spawn_app().await?;
    let token = app.token("BNNMT").await?;
    let port = free_port()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let mut server = start_server(&app, port, "node-writes")?;
    wait_ready(&client, port).await?;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let (counted, count) = tokio::sync::watch::channel(0usize);
    let mut writers = Vec::new();
    for worker in 0..4 {
        let (client, token, acknowledged) = (client.clone(), token.clone(), acknowledged.clone());
        let counted = counted.clone();
        writers.push(tokio::spawn(async move {
            for i in 1..100_000 {
                let sent = client
                    .post(format!("http://127.0.0.1:{port}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({
                        "query": "mutation ($sheet: Int!, $n: Int!) { registerLandParcel(input: { communeCode: \"24778\", mapSheet: $sheet, parcelNumber: $n, areaM2: 250.5, landUse: ODT, addressLine: \"Thôn 1\" }) { landParcel { id } } }",
                        "variables": { "sheet": 900 + worker, "n": i },
                    }))
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                let Ok(body) = response.json::<Value>().await else { break };
                match body["data"]["registerLandParcel"]["landParcel"]["id"].as_str() {
                    Some(id) => {
                        acknowledged.lock().unwrap().push(id.to_owned());
                        counted.send_modify(|n| *n += 1);
                    }
                    None => break,
                }
            }
        }));
    }
    drop(counted);
    // The kill comes in the middle of the writes: once 150 are acknowledged
    // (or after 20 s, or when every writer has stopped, with what there is).
    let _ = tokio::time::timeout(Duration::from_secs(20), {
        let mut count = count;
        async move { count.wait_for(|n| *n >= 150).await.map(|_| ()) }
    })
    .await;
    server.kill()?;
    server.wait()?;
    for writer in writers {
        writer.await?;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!(
        "writes acknowledged before the kill: {}",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() >= 20,
        "too few writes: {}",
        acknowledged.len()
    );

    let mut server = start_server(&app, port, "node-writes")?;
    wait_ready(&client, port).await?;
    server.kill()?;
    server.wait()?;
    let parcels: HashSet<String> = entities::land::land_parcel::Entity::find()
        .filter(entities::land::land_parcel::Column::MapSheet.gte(900))
        .all(&app.app_db.conn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let events: Vec<change_event::Model> = change_event::Entity::find()
        .order_by_asc(change_event::Column::Seq)
        .all(&app.app_db.conn)
        .await?;
    let created: HashSet<String> = events
        .iter()
        .filter(|e| e.entity == "LandParcel")
        .map(|e| e.key.clone())
        .collect();
    for id in &acknowledged {
        assert!(parcels.contains(id), "acknowledged parcel {id} is missing");
    }
    // None half-done: every parcel written has its change, and no change
    // names a parcel that is not there.
    assert_eq!(parcels, created);
    // The feed has no gap.
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as i64 + 1, "gap before change {}", event.seq);
    }
    Ok(())
}

/// Every text a register stores passes one rule: control, bidi and
/// zero-width characters, over-long values, a repeated industry and a
/// parcel id that lookup would refuse are `BAD_USER_INPUT` and write
/// nothing; what is accepted is stored trimmed and composed (NFC).
#[tokio::test]
async fn bad_text_and_odd_ids_are_refused_and_write_nothing() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (person, _, _) = mover(&app).await?;
    let bca = app.token("BCA").await?;
    let btc = app.token("BTC").await?;
    let bnnmt = app.token("BNNMT").await?;
    let before = changes_count(&app).await?;
    let huge = "x".repeat(900 * 1024);
    const REGISTER: &str = "mutation ($input: RegisterCitizenInput!) { registerCitizen(input: $input) { citizen { personalId fullName residenceLine } } }";
    let newborn = |field: &str, value: &str| {
        let mut v = json!({ "input": {
            "personalId": "001325000111", "fullName": "Nguyễn Thị Mai", "sex": "FEMALE",
            "dateOfBirth": "2025-03-01", "ethnicity": "Kinh", "placeOfOriginCommuneCode": "00004",
            "residenceCommuneCode": "00004", "residenceLine": "1 Phố Huế",
        }});
        v["input"][field] = json!(value);
        v
    };
    let bad_text = [
        "Nguyễn\u{0}Mai",
        "Nguyễn\nMai",
        "Nguyễn Mai\n",
        "Nguyễn\u{7}Mai",
        "Nguyễn\u{1b}[31mMai",
        "\u{202e}iaM nễyugN",
        "Nguyễn\u{2066}Mai\u{2069}",
        "Nguyễn\u{200b}Mai",
        "Nguyễn\u{feff}Mai",
    ];
    for (field, value) in bad_text.iter().map(|v| ("fullName", *v)).chain([
        ("fullName", huge.as_str()),
        ("ethnicity", "Kinh\u{0}"),
        ("residenceLine", huge.as_str()),
        ("residenceLine", "1 Phố Huế\r\nX-Injected: 1"),
        ("nationality", "V\u{0}"),
    ]) {
        let body = app
            .graphql_with(&bca, REGISTER, newborn(field, value))
            .await?;
        assert_eq!(
            code_at(&body, &["registerCitizen"]),
            "BAD_USER_INPUT",
            "{field} {:?}: {body}",
            value.chars().take(30).collect::<String>()
        );
    }
    for line in [
        "12 Trần Phú\u{0}",
        "12 Trần\u{202e} Phú",
        "12 Trần Phú\u{200d}",
        huge.as_str(),
    ] {
        let body = app
            .graphql_with(
                &bca,
                "mutation ($id: String!, $line: String!) { changeResidence(input: { personalId: $id, communeCode: \"24778\", residenceLine: $line }) { citizen { personalId } } }",
                json!({ "id": person.personal_id, "line": line }),
            )
            .await?;
        assert_eq!(
            code_at(&body, &["changeResidence"]),
            "BAD_USER_INPUT",
            "{body}"
        );
    }
    const ENTERPRISE: &str = "mutation ($input: RegisterEnterpriseInput!) { registerEnterprise(input: $input) { enterprise { code name } } }";
    let enterprise_input = |field: &str, value: Value| {
        let mut v = json!({ "input": {
            "code": "0100233488", "name": "Công ty TNHH Thử Nghiệm", "type": "LLC_ONE",
            "foundedOn": "2020-01-01", "registeredCapitalVnd": 1000000000,
            "headOfficeCommuneCode": "00004", "headOfficeAddress": "1 Phố Huế",
            "legalRepresentativeId": person.personal_id, "industries": ["6201", "4711"],
        }});
        v["input"][field] = value;
        v
    };
    for (field, value) in [
        ("industries", json!(["6201", "4711", "6201"])),
        ("industries", json!(["6201", "6201"])),
        ("name", json!("Công ty\u{0} TNHH")),
        ("name", json!("Công ty\u{200b} TNHH")),
        ("nameEn", json!("Test\u{0} Company")),
        ("nameEn", json!("Test\nCompany")),
        ("headOfficeAddress", json!(huge)),
        ("headOfficeAddress", json!("1 Phố Huế\u{7}")),
    ] {
        let body = app
            .graphql_with(&btc, ENTERPRISE, enterprise_input(field, value.clone()))
            .await?;
        assert_eq!(
            code_at(&body, &["registerEnterprise"]),
            "BAD_USER_INPUT",
            "{field}: {body}"
        );
    }
    const PARCEL: &str = "mutation ($sheet: Int!, $n: Int!, $line: String!) { registerLandParcel(input: { communeCode: \"24778\", mapSheet: $sheet, parcelNumber: $n, areaM2: 250.5, landUse: ODT, addressLine: $line }) { landParcel { id } } }";
    for (sheet, n, line) in [
        (10_000, 1, "Thôn 1"),
        (1, 100_000, "Thôn 1"),
        (2_000_000_000, 1, "Thôn 1"),
        (0, 1, "Thôn 1"),
        (7, 7, "Thôn\n1"),
        (7, 7, "Thôn 1\u{0}"),
        (7, 7, huge.as_str()),
    ] {
        let body = app
            .graphql_with(
                &bnnmt,
                PARCEL,
                json!({ "sheet": sheet, "n": n, "line": line }),
            )
            .await?;
        assert_eq!(
            code_at(&body, &["registerLandParcel"]),
            "BAD_USER_INPUT",
            "{body}"
        );
    }
    assert_eq!(changes_count(&app).await?, before, "refusals write nothing");
    assert!(
        citizen::Entity::find_by_id("001325000111".to_owned())
            .one(&app.app_db.conn)
            .await?
            .is_none()
    );
    assert!(
        enterprise::Entity::find_by_id("0100233488".to_owned())
            .one(&app.app_db.conn)
            .await?
            .is_none()
    );
    assert_eq!(
        entities::land::land_parcel::Entity::find()
            .filter(entities::land::land_parcel::Column::CommuneCode.eq("24778"))
            .filter(entities::land::land_parcel::Column::MapSheet.is_in([7, 10_000, 2_000_000_000]))
            .count(&app.app_db.conn)
            .await?,
        0
    );

    // Accepted: trimmed and composed, and found by a search typed composed.
    let body = app
        .graphql_with(
            &bca,
            REGISTER,
            newborn("fullName", "  Nguye\u{0302}\u{0303}n Thi\u{0323} Mai "),
        )
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    assert_eq!(
        body["data"]["registerCitizen"]["citizen"]["fullName"],
        "Nguyễn Thị Mai"
    );
    let verified = app
        .graphql_with(
            &bca,
            "{ verifyCitizen(input: { personalId: \"001325000111\", fullName: \"Nguyễn Thị Mai\" }) { matches } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        verified["data"]["verifyCitizen"]["matches"], true,
        "{verified}"
    );
    // A parcel registered is one that lookup finds.
    let body = app
        .graphql_with(
            &bnnmt,
            PARCEL,
            json!({ "sheet": 9_999, "n": 99_999, "line": " Thôn 1 " }),
        )
        .await?;
    assert!(errors(&body).is_empty(), "{body}");
    let id = body["data"]["registerLandParcel"]["landParcel"]["id"].clone();
    let found = app
        .graphql_with(
            &bnnmt,
            "query ($id: String!) { landParcel(id: $id) { id addressLine } }",
            json!({ "id": id }),
        )
        .await?;
    assert!(errors(&found).is_empty(), "{found}");
    assert_eq!(found["data"]["landParcel"]["addressLine"], "Thôn 1");
    Ok(())
}

/// A write's access-log row names every subject whose data it changed: the
/// members who moved with their head of household, a child's parent, the
/// former and the new legal representative, both holders and both
/// certificates of a transfer.
#[tokio::test]
async fn a_write_names_every_subject_it_changed_in_its_log_row() -> anyhow::Result<()> {
    use chrono::Datelike;
    let app = spawn_app().await?;
    let (person, represented, right) = mover(&app).await?;
    let alive: Vec<citizen::Model> = citizen::Entity::find()
        .filter(citizen::Column::Status.eq(CitizenStatus::Alive))
        .order_by_asc(citizen::Column::PersonalId)
        .all(&app.app_db.conn)
        .await?;
    let households = entities::population::household::Entity::find()
        .order_by_asc(entities::population::household::Column::Id)
        .all(&app.app_db.conn)
        .await?;
    let everyone = citizen::Entity::find().all(&app.app_db.conn).await?;
    let (head, members) = households
        .iter()
        .filter(|h| alive.iter().any(|p| p.personal_id == h.head_id))
        .map(|h| {
            let members: Vec<String> = everyone
                .iter()
                .filter(|c| c.household_id == Some(h.id))
                .map(|c| c.personal_id.clone())
                .collect();
            (h.head_id.clone(), members)
        })
        .find(|(_, members)| members.len() >= 3)
        .expect("the demo data has a household of three");

    /// The subjects of `agency`'s log row for `mutation`.
    async fn logged(app: &TestApp, agency: &str, mutation: &str) -> anyhow::Result<Vec<Value>> {
        let log = app
            .graphql_as(
                agency,
                "query ($agency: String!) { accessLog(filter: { agency: $agency }) { edges { node { fields subjects } } } }",
                json!({ "agency": agency }),
            )
            .await?;
        let row = nodes(&log, "accessLog")
            .into_iter()
            .find(|r| {
                r["fields"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(format!("Mutation.{mutation}")))
            })
            .unwrap_or_else(|| panic!("{mutation} is logged: {log}"));
        Ok(row["subjects"].as_array().unwrap().clone())
    }

    let moved = app
        .graphql_as(
            "BCA",
            MOVE,
            json!({ "id": head, "commune": LAM_DONG_COMMUNE }),
        )
        .await?;
    assert!(errors(&moved).is_empty(), "{moved}");
    let subjects = logged(&app, "BCA", "changeResidence").await?;
    for member in &members {
        assert!(
            subjects.contains(&json!(member)),
            "{member} in {subjects:?}"
        );
    }

    let child = app
        .graphql_as(
            "BCA",
            "mutation ($input: RegisterCitizenInput!) { registerCitizen(input: $input) { citizen { personalId } } }",
            json!({ "input": {
                "personalId": "001325000111", "fullName": "Nguyễn Thị Mai", "sex": "FEMALE",
                "dateOfBirth": "2025-03-01", "ethnicity": "Kinh", "placeOfOriginCommuneCode": "00004",
                "residenceCommuneCode": "00004", "residenceLine": "1 Phố Huế", "fatherId": person.personal_id,
            }}),
        )
        .await?;
    assert!(errors(&child).is_empty(), "{child}");
    let subjects = logged(&app, "BCA", "registerCitizen").await?;
    for id in ["001325000111", person.personal_id.as_str()] {
        assert!(subjects.contains(&json!(id)), "{id} in {subjects:?}");
    }

    let transferred = app
        .graphql_as(
            "BNNMT",
            "mutation ($c: String!, $to: String!) { transferLandRight(input: { certificateNumber: $c, toHolderKind: ENTERPRISE, toHolderId: $to }) { landRight { certificateNumber } } }",
            json!({ "c": right.certificate_number, "to": represented }),
        )
        .await?;
    assert!(errors(&transferred).is_empty(), "{transferred}");
    let new_certificate =
        transferred["data"]["transferLandRight"]["landRight"]["certificateNumber"].clone();
    let subjects = logged(&app, "BNNMT", "transferLandRight").await?;
    for subject in [
        json!(right.certificate_number),
        new_certificate,
        json!(person.personal_id),
        json!(represented),
    ] {
        assert!(subjects.contains(&subject), "{subject} in {subjects:?}");
    }

    let successor = alive
        .iter()
        .find(|p| p.personal_id != person.personal_id && p.date_of_birth.year() < 2000)
        .expect("another adult");
    let renamed = app
        .graphql_as(
            "BTC",
            "mutation ($code: String!, $id: String!) { changeLegalRepresentative(input: { code: $code, personalId: $id }) { enterprise { code } } }",
            json!({ "code": represented, "id": successor.personal_id }),
        )
        .await?;
    assert!(errors(&renamed).is_empty(), "{renamed}");
    let subjects = logged(&app, "BTC", "changeLegalRepresentative").await?;
    for subject in [&represented, &person.personal_id, &successor.personal_id] {
        assert!(
            subjects.contains(&json!(subject)),
            "{subject} in {subjects:?}"
        );
    }
    Ok(())
}

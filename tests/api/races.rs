//! Register rules that span rows hold under concurrency: two writes sent
//! at once, round after round, never commit a combination the rules forbid
//! (a right issued to someone already dead, an enterprise represented by
//! the dead or given land after its dissolution, shares above the whole, a
//! child whose parent is missing, a member left at the old address).
//!
//! A write's place in commit order is its change's place in the feed
//! (`change_event.seq` is drawn just before commit, in commit order).

use crate::helpers::{TestApp, errors, spawn_app};
use crate::registers::code_at;
use entities::changes::change_event;
use entities::enterprise::enterprise;
use entities::land::{RightStatus, land_right};
use entities::population::{CitizenStatus, citizen, household};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// Rounds of each race.
const ROUNDS: usize = 20;

const REGISTER_CITIZEN: &str = "mutation ($input: RegisterCitizenInput!) { registerCitizen(input: $input) { citizen { personalId } } }";
const DEATH: &str = "mutation ($id: String!) { recordDeath(input: { personalId: $id, dateOfDeath: \"2025-06-01\" }) { citizen { status } } }";
const ISSUE: &str = "mutation ($parcel: String!, $kind: HolderKind!, $holder: String!, $share: Float!) {
  issueLandRight(input: { parcelId: $parcel, holderKind: $kind, holderId: $holder, share: $share }) { landRight { certificateNumber } } }";
const TRANSFER: &str = "mutation ($c: String!, $kind: HolderKind!, $to: String!) {
  transferLandRight(input: { certificateNumber: $c, toHolderKind: $kind, toHolderId: $to }) { landRight { certificateNumber } } }";
const REPRESENT: &str = "mutation ($code: String!, $id: String!) {
  changeLegalRepresentative(input: { code: $code, personalId: $id }) { enterprise { version } } }";
const REGISTER_ENTERPRISE: &str = "mutation ($code: String!, $rep: String!) { registerEnterprise(input: {
  code: $code, name: \"Công ty TNHH Đua Tranh\", type: LLC_ONE, foundedOn: \"2020-01-01\",
  registeredCapitalVnd: 1000000000, headOfficeCommuneCode: \"00004\", headOfficeAddress: \"1 Phố Huế\",
  legalRepresentativeId: $rep, industries: [\"6201\"] }) { enterprise { code } } }";
const STATUS: &str = "mutation ($code: String!) {
  changeEnterpriseStatus(input: { code: $code, status: DISSOLVED }) { enterprise { version } } }";
const PARCEL: &str = "mutation ($sheet: Int!, $n: Int!) { registerLandParcel(input: { communeCode: \"24778\",
  mapSheet: $sheet, parcelNumber: $n, areaM2: 500, landUse: ODT, addressLine: \"Thôn 2\" }) { landParcel { id } } }";
const MOVE: &str = "mutation ($id: String!, $commune: String!, $line: String!) {
  changeResidence(input: { personalId: $id, communeCode: $commune, residenceLine: $line }) { citizen { personalId } } }";

/// A mutation as sent: the token, the document and its variables.
type Write<'a> = (&'a str, &'static str, Value);

/// How often each outcome of a race was seen.
type Seen = std::collections::BTreeMap<String, usize>;

/// The owners' tokens and the numbers drawn for fresh rows.
struct Owners {
    bca: String,
    btc: String,
    bnnmt: String,
    serial: u32,
}

/// A fresh app and its owners.
async fn start() -> anyhow::Result<(TestApp, Owners)> {
    let app = spawn_app().await?;
    let owners = Owners::new(&app).await?;
    Ok((app, owners))
}

impl Owners {
    async fn new(app: &TestApp) -> anyhow::Result<Owners> {
        Ok(Owners {
            bca: app.token("BCA").await?,
            btc: app.token("BTC").await?,
            bnnmt: app.token("BNNMT").await?,
            serial: 0,
        })
    }

    /// A tax code starting with `prefix` not drawn before (it may be held).
    fn tax_code(&mut self, prefix: &str) -> anyhow::Result<String> {
        loop {
            self.serial += 1;
            let nine = format!("{prefix}{:07}", 9_000_000 + self.serial);
            let digits: Vec<u8> = nine.bytes().map(|b| b - b'0').collect();
            if let Some(check) = api::ids::tax_code_check_digit(&digits[..].try_into()?) {
                return Ok(format!("{nine}{check}"));
            }
        }
    }

    /// A right on `parcel` of `share` to `holder`, to be issued.
    fn issue(&self, parcel: &str, kind: &str, holder: &str, share: f64) -> Write<'_> {
        (
            self.bnnmt.as_str(),
            ISSUE,
            json!({ "parcel": parcel, "kind": kind, "holder": holder, "share": share }),
        )
    }

    /// Right `certificate` to `to`, to be transferred.
    fn transfer(&self, certificate: &str, kind: &str, to: &str) -> Write<'_> {
        (
            self.bnnmt.as_str(),
            TRANSFER,
            json!({ "c": certificate, "kind": kind, "to": to }),
        )
    }

    /// The death of `person`, to be recorded.
    fn death(&self, person: &str) -> Write<'_> {
        (self.bca.as_str(), DEATH, json!({ "id": person }))
    }

    /// A personal id (a man born in 1985 in Hà Nội) no one holds yet.
    async fn free_personal_id(&mut self, app: &TestApp) -> anyhow::Result<String> {
        for _ in 0..1_000 {
            self.serial += 1;
            let id = format!("001085{:06}", 900_000 + self.serial);
            if citizen::Entity::find_by_id(id.clone())
                .one(&app.app_db.conn)
                .await?
                .is_none()
            {
                return Ok(id);
            }
        }
        anyhow::bail!("no free personal id")
    }

    /// The registration of a citizen no one holds yet, as variables.
    async fn newborn(&mut self, app: &TestApp, father: Option<&str>) -> anyhow::Result<Value> {
        let id = self.free_personal_id(app).await?;
        Ok(json!({ "input": {
            "personalId": id, "fullName": "Trần Văn Thử", "sex": "MALE", "dateOfBirth": "1985-03-01",
            "ethnicity": "Kinh", "placeOfOriginCommuneCode": "00004",
            "residenceCommuneCode": "00004", "residenceLine": "3 Phố Huế", "fatherId": father,
        }}))
    }

    /// A living citizen, registered now.
    async fn citizen(&mut self, app: &TestApp) -> anyhow::Result<String> {
        let variables = self.newborn(app, None).await?;
        let body = app
            .graphql_with(&self.bca, REGISTER_CITIZEN, variables)
            .await?;
        anyhow::ensure!(errors(&body).is_empty(), "{body}");
        Ok(body["data"]["registerCitizen"]["citizen"]["personalId"]
            .as_str()
            .unwrap()
            .to_owned())
    }

    /// An active enterprise, registered now with `rep` as its representative.
    async fn enterprise(&mut self, app: &TestApp, rep: &str) -> anyhow::Result<String> {
        for _ in 0..1_000 {
            let code = self.tax_code("01")?;
            if enterprise::Entity::find_by_id(code.clone())
                .one(&app.app_db.conn)
                .await?
                .is_some()
            {
                continue;
            }
            let body = app
                .graphql_with(
                    &self.btc,
                    REGISTER_ENTERPRISE,
                    json!({ "code": code, "rep": rep }),
                )
                .await?;
            anyhow::ensure!(errors(&body).is_empty(), "{body}");
            return Ok(code);
        }
        anyhow::bail!("no free enterprise code")
    }

    /// A parcel of Lâm Đồng with no rights yet.
    async fn parcel(&mut self, app: &TestApp) -> anyhow::Result<String> {
        self.serial += 1;
        let body = app
            .graphql_with(
                &self.bnnmt,
                PARCEL,
                json!({ "sheet": 9_000, "n": self.serial }),
            )
            .await?;
        anyhow::ensure!(errors(&body).is_empty(), "{body}");
        Ok(body["data"]["registerLandParcel"]["landParcel"]["id"]
            .as_str()
            .unwrap()
            .to_owned())
    }

    /// A right issued now on `parcel` to `holder`.
    async fn right(
        &self,
        app: &TestApp,
        parcel: &str,
        kind: &str,
        holder: &str,
    ) -> anyhow::Result<String> {
        let (token, document, variables) = self.issue(parcel, kind, holder, 0.0001);
        let body = app.graphql_with(token, document, variables).await?;
        anyhow::ensure!(errors(&body).is_empty(), "{body}");
        Ok(certificate(&body, "issueLandRight").unwrap())
    }
}

/// Sends two mutations at once; both answers.
async fn race(
    app: &TestApp,
    first: Write<'_>,
    second: Write<'_>,
) -> anyhow::Result<(Value, Value)> {
    let (a, b) = tokio::join!(
        app.graphql_with(first.0, first.1, first.2),
        app.graphql_with(second.0, second.1, second.2),
    );
    Ok((a?, b?))
}

/// Races `write` (answering at `field`) against `always`, a `what` that is
/// always recorded; counts the write's outcome in `seen`. Returns the
/// answer to `always`, the write's answer and its outcome.
async fn race_against(
    app: &TestApp,
    (always, what): (Write<'_>, &str),
    (write, field): (Write<'_>, &str),
    seen: &mut Seen,
) -> anyhow::Result<(Value, Value, String)> {
    let (recorded, given) = race(app, always, write).await?;
    assert!(
        errors(&recorded).is_empty(),
        "a {what} is always recorded: {recorded}"
    );
    let given_outcome = outcome(&given, field);
    *seen.entry(format!("{field} {given_outcome}")).or_default() += 1;
    Ok((recorded, given, given_outcome))
}

/// The last change number committed.
async fn last_seq(app: &TestApp) -> anyhow::Result<i64> {
    Ok(change_event::Entity::find()
        .order_by_desc(change_event::Column::Seq)
        .one(&app.app_db.conn)
        .await?
        .map_or(0, |e| e.seq))
}

/// The number of the change to `entity` `key` with `op` after `since`.
async fn seq_of(
    app: &TestApp,
    since: i64,
    entity: &str,
    key: &str,
    op: &str,
) -> anyhow::Result<Option<i64>> {
    Ok(change_event::Entity::find()
        .filter(change_event::Column::Seq.gt(since))
        .filter(change_event::Column::Entity.eq(entity))
        .filter(change_event::Column::Key.eq(key))
        .filter(change_event::Column::Op.eq(op))
        .one(&app.app_db.conn)
        .await?
        .map(|e| e.seq))
}

/// The certificate number a mutation answered with.
fn certificate(body: &Value, field: &str) -> Option<String> {
    body["data"][field]["landRight"]["certificateNumber"]
        .as_str()
        .map(str::to_owned)
}

/// The outcome of a write: `OK` or its error code.
fn outcome(body: &Value, field: &str) -> String {
    if errors(body).is_empty() {
        "OK".to_owned()
    } else {
        code_at(body, &[field])
    }
}

/// After the rounds: no active right is held by a dead citizen who died
/// before it was issued.
async fn no_right_issued_after_a_death(app: &TestApp, dead: &[String]) -> anyhow::Result<()> {
    for id in dead {
        let died = seq_of(app, 0, "Citizen", id, "DIED")
            .await?
            .expect("the death is in the feed");
        let rights = land_right::Entity::find()
            .filter(land_right::Column::HolderCitizenId.eq(id.as_str()))
            .filter(land_right::Column::Status.eq(RightStatus::Active))
            .all(&app.app_db.conn)
            .await?;
        for right in rights {
            let issued = seq_of(app, 0, "LandRight", &right.certificate_number, "CREATED")
                .await?
                .expect("the right is in the feed");
            assert!(
                issued < died,
                "{} was issued to {id} after the death",
                right.certificate_number
            );
        }
    }
    Ok(())
}

/// A death recorded at the same moment as a right issued or transferred to
/// that citizen: the right goes first or is refused, never to the dead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_never_goes_to_someone_already_dead() -> anyhow::Result<()> {
    let (app, mut owners) = start().await?;
    let parcel = owners.parcel(&app).await?;
    let first_holder = owners.citizen(&app).await?;
    let mut transferable = owners
        .right(&app, &parcel, "CITIZEN", &first_holder)
        .await?;
    let mut dead = Vec::new();
    let mut seen = Seen::new();
    for round in 0..2 * ROUNDS {
        let person = owners.citizen(&app).await?;
        let since = last_seq(&app).await?;
        let write = if round % 2 == 0 {
            (
                owners.issue(&parcel, "CITIZEN", &person, 0.0001),
                "issueLandRight",
            )
        } else {
            (
                owners.transfer(&transferable, "CITIZEN", &person),
                "transferLandRight",
            )
        };
        let field = write.1;
        let (_, given, given_outcome) =
            race_against(&app, (owners.death(&person), "death"), write, &mut seen).await?;
        if let Some(number) = certificate(&given, field) {
            let died = seq_of(&app, since, "Citizen", &person, "DIED").await?;
            let issued = seq_of(&app, since, "LandRight", &number, "CREATED").await?;
            assert!(
                issued < died,
                "round {round}: {field} committed after the death ({issued:?} > {died:?})"
            );
            if field == "transferLandRight" {
                transferable = number;
            }
        } else {
            assert_eq!(given_outcome, "BAD_USER_INPUT", "{given}");
        }
        dead.push(person);
    }
    eprintln!("outcomes: {seen:?}");
    no_right_issued_after_a_death(&app, &dead).await
}

/// A death recorded at the same moment as that citizen is named legal
/// representative, of an enterprise registered now or of one that exists:
/// the naming goes first or is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dead_are_never_named_legal_representative() -> anyhow::Result<()> {
    let (app, mut owners) = start().await?;
    let founder = owners.citizen(&app).await?;
    let existing = owners.enterprise(&app, &founder).await?;
    let mut representing = vec![existing.clone()];
    let mut seen = Seen::new();
    for round in 0..2 * ROUNDS {
        let person = owners.citizen(&app).await?;
        let since = last_seq(&app).await?;
        let (write, field, code) = if round % 2 == 0 {
            (
                (
                    owners.btc.as_str(),
                    REPRESENT,
                    json!({ "code": existing, "id": person }),
                ),
                "changeLegalRepresentative",
                existing.clone(),
            )
        } else {
            let code = owners.tax_code("02")?;
            (
                (
                    owners.btc.as_str(),
                    REGISTER_ENTERPRISE,
                    json!({ "code": code, "rep": person }),
                ),
                "registerEnterprise",
                code,
            )
        };
        let (_, named, named_outcome) = race_against(
            &app,
            (owners.death(&person), "death"),
            (write, field),
            &mut seen,
        )
        .await?;
        let op = if field == "registerEnterprise" {
            "CREATED"
        } else {
            "UPDATED"
        };
        let died = seq_of(&app, since, "Citizen", &person, "DIED").await?;
        let written = seq_of(&app, since, "Enterprise", &code, op).await?;
        if named_outcome == "OK" {
            representing.push(code.clone());
            assert!(
                written < died,
                "round {round}: {field} committed after the death ({written:?} > {died:?})"
            );
        } else {
            assert_eq!(named_outcome, "BAD_USER_INPUT", "{named}");
            assert_eq!(written, None, "a refusal writes nothing");
        }
    }
    eprintln!("outcomes: {seen:?}");
    // Afterwards: every enterprise whose representative is dead named them
    // before the death.
    let enterprises = enterprise::Entity::find()
        .filter(enterprise::Column::Code.is_in(representing))
        .all(&app.app_db.conn)
        .await?;
    for e in enterprises {
        let rep = citizen::Entity::find_by_id(e.legal_rep_id.clone())
            .one(&app.app_db.conn)
            .await?
            .unwrap();
        if rep.status == CitizenStatus::Deceased {
            let died = seq_of(&app, 0, "Citizen", &rep.personal_id, "DIED").await?;
            let last = change_event::Entity::find()
                .filter(change_event::Column::Entity.eq("Enterprise"))
                .filter(change_event::Column::Key.eq(e.code.as_str()))
                .order_by_desc(change_event::Column::Seq)
                .one(&app.app_db.conn)
                .await?
                .map(|c| c.seq);
            assert!(
                last < died,
                "{} was last changed after its representative died",
                e.code
            );
        }
    }
    Ok(())
}

/// An enterprise dissolved at the same moment as it is given land (issued
/// or transferred) or a new representative: that write goes first or is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dissolved_enterprise_gets_nothing_after_its_dissolution() -> anyhow::Result<()> {
    let (app, mut owners) = start().await?;
    let rep = owners.citizen(&app).await?;
    let other_rep = owners.citizen(&app).await?;
    let parcel = owners.parcel(&app).await?;
    let mut transferable = owners.right(&app, &parcel, "CITIZEN", &rep).await?;
    let mut seen = Seen::new();
    for round in 0..3 * ROUNDS {
        let code = owners.enterprise(&app, &rep).await?;
        let since = last_seq(&app).await?;
        let write = match round % 3 {
            0 => (
                owners.issue(&parcel, "ENTERPRISE", &code, 0.0001),
                "issueLandRight",
            ),
            1 => (
                owners.transfer(&transferable, "ENTERPRISE", &code),
                "transferLandRight",
            ),
            _ => (
                (
                    owners.btc.as_str(),
                    REPRESENT,
                    json!({ "code": code, "id": other_rep }),
                ),
                "changeLegalRepresentative",
            ),
        };
        let field = write.1;
        let dissolution = (owners.btc.as_str(), STATUS, json!({ "code": code }));
        let (dissolved, given, given_outcome) =
            race_against(&app, (dissolution, "dissolution"), write, &mut seen).await?;
        if given_outcome != "OK" {
            assert_eq!(given_outcome, "BAD_USER_INPUT", "{given}");
            continue;
        }
        if field == "changeLegalRepresentative" {
            // Both change the enterprise: the versions tell their order.
            // Each payload reads the row back after its commit, so both
            // may show the later version (equal); a naming committed after
            // the dissolution would show a higher one than it.
            let renamed = given["data"][field]["enterprise"]["version"].as_i64();
            let dissolution =
                dissolved["data"]["changeEnterpriseStatus"]["enterprise"]["version"].as_i64();
            assert!(
                renamed <= dissolution,
                "round {round}: named after the dissolution"
            );
        } else {
            let number = certificate(&given, field).unwrap();
            let issued = seq_of(&app, since, "LandRight", &number, "CREATED").await?;
            // The dissolution's change is the enterprise's only UPDATED one.
            let ended = seq_of(&app, since, "Enterprise", &code, "UPDATED").await?;
            assert!(
                issued < ended,
                "round {round}: {field} committed after the dissolution"
            );
            if field == "transferLandRight" {
                transferable = number;
            }
        }
    }
    eprintln!("outcomes: {seen:?}");
    Ok(())
}

/// Ten rights of 0.3 of one parcel asked at once: exactly three are
/// issued, the others refused because the parcel is full, none lost to a
/// conflict; the active shares stay within the whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rights_on_one_parcel_never_exceed_the_whole() -> anyhow::Result<()> {
    let (app, mut owners) = start().await?;
    let holder = owners.citizen(&app).await?;
    for _ in 0..4 {
        let parcel = owners.parcel(&app).await?;
        let attempts = (0..10).map(|_| {
            let (token, document, variables) = owners.issue(&parcel, "CITIZEN", &holder, 0.3);
            app.graphql_with(token, document, variables)
        });
        let mut outcomes = Vec::new();
        for body in futures::future::join_all(attempts).await {
            outcomes.push(outcome(&body?, "issueLandRight"));
        }
        outcomes.sort();
        let issued = outcomes.iter().filter(|o| *o == "OK").count();
        assert_eq!(issued, 3, "{outcomes:?}");
        assert!(
            outcomes.iter().all(|o| o == "OK" || o == "BAD_USER_INPUT"),
            "{outcomes:?}"
        );
        assert_eq!(app.active_shares(&parcel).await?, 9_000);
    }
    Ok(())
}

/// A parent and their child registered at the same moment: the child is
/// registered only once the parent is, and neither is refused for the
/// other's household number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_is_never_registered_before_the_parent() -> anyhow::Result<()> {
    let (app, mut owners) = start().await?;
    let mut seen = Seen::new();
    for round in 0..ROUNDS {
        let parent = owners.newborn(&app, None).await?;
        let parent_id = parent["input"]["personalId"].as_str().unwrap().to_owned();
        let child = owners.newborn(&app, Some(&parent_id)).await?;
        let child_id = child["input"]["personalId"].as_str().unwrap().to_owned();
        let since = last_seq(&app).await?;
        let (parent_body, child_body) = race(
            &app,
            (owners.bca.as_str(), REGISTER_CITIZEN, parent),
            (owners.bca.as_str(), REGISTER_CITIZEN, child),
        )
        .await?;
        assert!(
            errors(&parent_body).is_empty(),
            "round {round}: the parent is registered: {parent_body}"
        );
        let child_outcome = outcome(&child_body, "registerCitizen");
        *seen.entry(child_outcome.clone()).or_default() += 1;
        let parent_seq = seq_of(&app, since, "Citizen", &parent_id, "CREATED").await?;
        let child_seq = seq_of(&app, since, "Citizen", &child_id, "CREATED").await?;
        if child_outcome == "OK" {
            assert!(parent_seq < child_seq, "round {round}: child before parent");
        } else {
            assert_eq!(child_outcome, "NOT_FOUND", "{child_body}");
            assert_eq!(child_seq, None);
        }
    }
    eprintln!("child outcomes: {seen:?}");
    // Afterwards: every parent named exists.
    let children = citizen::Entity::find()
        .filter(citizen::Column::FatherId.is_not_null())
        .all(&app.app_db.conn)
        .await?;
    for child in children {
        let father = child.father_id.clone().unwrap();
        assert!(
            citizen::Entity::find_by_id(father.clone())
                .one(&app.app_db.conn)
                .await?
                .is_some(),
            "{} names a father {father} who is not registered",
            child.personal_id
        );
    }
    Ok(())
}

/// A head of household moves with the household while a member leaves it
/// or dies: both writes succeed, and afterwards every member of a
/// household lives at its address (none is left behind, none moved with a
/// household they had left).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_moves_whole_while_its_members_leave_or_die() -> anyhow::Result<()> {
    let (app, owners) = start().await?;
    let people = citizen::Entity::find()
        .filter(citizen::Column::Status.eq(CitizenStatus::Alive))
        .order_by_asc(citizen::Column::PersonalId)
        .all(&app.app_db.conn)
        .await?;
    let households = household::Entity::find()
        .order_by_asc(household::Column::Id)
        .all(&app.app_db.conn)
        .await?;
    let mut touched = Vec::new();
    let mut seen = Seen::new();
    for home in &households {
        if touched.len() == ROUNDS {
            break;
        }
        let head_alive = people.iter().any(|p| p.personal_id == home.head_id);
        // Born well before the date of death the race records.
        let born_before = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let Some(member) = people.iter().find(|p| {
            p.household_id == Some(home.id)
                && p.personal_id != home.head_id
                && p.date_of_birth < born_before
        }) else {
            continue;
        };
        if !head_alive {
            continue;
        }
        let round = touched.len();
        let line = format!("{} Đường Hùng Vương", round + 1);
        let head_moves = (
            owners.bca.as_str(),
            MOVE,
            json!({ "id": home.head_id, "commune": "24778", "line": line }),
        );
        let member_write = if round % 2 == 0 {
            (
                owners.bca.as_str(),
                MOVE,
                json!({ "id": member.personal_id, "commune": "00004", "line": "9 Phố Huế" }),
            )
        } else {
            owners.death(&member.personal_id)
        };
        let (head, other) = race(&app, head_moves, member_write).await?;
        assert!(errors(&head).is_empty(), "round {round}: {head}");
        assert!(errors(&other).is_empty(), "round {round}: {other}");
        *seen
            .entry(if round % 2 == 0 { "leave" } else { "die" }.to_owned())
            .or_default() += 1;
        touched.push((home.id, member.personal_id.clone()));
    }
    assert_eq!(touched.len(), ROUNDS, "the demo data has enough households");
    eprintln!("rounds: {seen:?}");
    for (id, member) in &touched {
        let home = household::Entity::find_by_id(*id)
            .one(&app.app_db.conn)
            .await?
            .unwrap();
        assert_eq!(home.commune_code, "24778");
        let members = citizen::Entity::find()
            .filter(citizen::Column::HouseholdId.eq(*id))
            .all(&app.app_db.conn)
            .await?;
        for m in &members {
            assert_eq!(
                (m.residence_commune.as_str(), m.residence_line.as_str()),
                (home.commune_code.as_str(), home.address_line.as_str()),
                "{} is not at the address of household {id}",
                m.personal_id
            );
        }
        let left = citizen::Entity::find_by_id(member.clone())
            .one(&app.app_db.conn)
            .await?
            .unwrap();
        if left.household_id != Some(*id) {
            // The member who left lives where their new household is.
            let theirs = household::Entity::find_by_id(left.household_id.unwrap())
                .one(&app.app_db.conn)
                .await?
                .unwrap();
            assert_eq!(left.residence_commune, theirs.commune_code);
            assert_eq!(theirs.commune_code, "00004");
        }
    }
    Ok(())
}

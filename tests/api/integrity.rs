//! Referential integrity in the database itself: every reference of the
//! schema is a foreign key that refuses a row naming nobody, whoever writes
//! it (raw SQL here, as a bug or a manual fix would); a land right has
//! exactly one holder; the API answers such a refusal as a client error;
//! and the migration that added the keys goes down and up again on a seeded
//! database, refusing to run over rows that name nobody.

use crate::helpers::{TestApp, error_at, postgres_url, spawn_app};
use entities::access::{
    Dataset, RequestStatus, access_request, ownership_transfer, secret_rotation, trusted_document,
    trusted_document_requirement,
};
use entities::changes::idempotency_key;
use entities::enterprise::{enterprise, enterprise_member};
use entities::land::{HolderKind, land_parcel, land_right};
use entities::population::{CitizenStatus, citizen, household};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, SqlErr, Statement, TransactionTrait,
};
use serde_json::json;
use std::collections::BTreeSet;

/// Values that name nothing, as SQL literals.
const NO_PROVINCE: &str = "'99'";
const NO_COMMUNE: &str = "'99999'";
const NO_CITIZEN: &str = "'000000000000'";
const NO_ENTERPRISE: &str = "'0000000000'";
const NO_AGENCY: &str = "'NOBODY'";

/// One reference of the schema: `table.column` has a foreign key. Setting
/// `set` to `nobody` on one row (the least by `key` among `rows`) makes
/// that row name nobody.
struct Reference {
    table: &'static str,
    column: &'static str,
    key: &'static str,
    nobody: &'static str,
    set: &'static str,
    rows: &'static str,
}

const fn r(
    table: &'static str,
    column: &'static str,
    key: &'static str,
    nobody: &'static str,
) -> Reference {
    Reference {
        table,
        column,
        key,
        nobody,
        set: column,
        rows: "1 = 1",
    }
}

impl Reference {
    /// Through another column (the key's column is generated from it).
    const fn setting(self, set: &'static str) -> Reference {
        Reference { set, ..self }
    }

    /// Only among some rows (another reference would refuse the others).
    const fn among(self, rows: &'static str) -> Reference {
        Reference { rows, ..self }
    }

    fn dangling(&self) -> String {
        let Reference {
            table,
            key,
            nobody,
            set,
            rows,
            ..
        } = self;
        format!(
            r#"UPDATE "{table}" SET "{set}" = {nobody} WHERE {rows} AND {key} = (SELECT MIN({key}) FROM "{table}" WHERE {rows})"#
        )
    }
}

const LEGACY: &str = "old_code || new_code";
const MEMBER: &str = "enterprise_code || member_kind || member_id";
const INDUSTRY: &str = "enterprise_code || vsic_code";
const IDEMPOTENCY: &str = r#"agency || "key""#;

/// Every reference of the schema, with a foreign key each.
const REFERENCES: &[Reference] = &[
    r("commune", "province_code", "code", NO_PROVINCE),
    r("legacy_province", "new_province_code", "code", NO_PROVINCE),
    r("legacy_commune", "new_code", LEGACY, NO_COMMUNE),
    r("legacy_commune", "old_province_code", LEGACY, NO_PROVINCE),
    r("household", "head_id", "id", NO_CITIZEN),
    r("household", "commune_code", "id", NO_COMMUNE),
    r("household", "province_code", "id", NO_PROVINCE),
    r(
        "citizen",
        "place_of_origin_commune",
        "personal_id",
        NO_COMMUNE,
    ),
    r("citizen", "residence_commune", "personal_id", NO_COMMUNE),
    r("citizen", "residence_province", "personal_id", NO_PROVINCE),
    r("citizen", "household_id", "personal_id", "0"),
    r("citizen", "father_id", "personal_id", NO_CITIZEN),
    r("citizen", "mother_id", "personal_id", NO_CITIZEN),
    r("citizen", "spouse_id", "personal_id", NO_CITIZEN),
    r("enterprise", "head_office_commune", "code", NO_COMMUNE),
    r("enterprise", "head_office_province", "code", NO_PROVINCE),
    r("enterprise", "legal_rep_id", "code", NO_CITIZEN),
    r(
        "enterprise_member",
        "enterprise_code",
        MEMBER,
        NO_ENTERPRISE,
    ),
    r("enterprise_member", "member_citizen_id", MEMBER, NO_CITIZEN)
        .setting("member_id")
        .among("member_kind = 'CITIZEN'"),
    r(
        "enterprise_member",
        "member_enterprise_id",
        MEMBER,
        NO_ENTERPRISE,
    )
    .setting("member_id")
    .among("member_kind = 'ENTERPRISE'"),
    r(
        "enterprise_industry",
        "enterprise_code",
        INDUSTRY,
        NO_ENTERPRISE,
    ),
    r("enterprise_industry", "vsic_code", INDUSTRY, "'00000'"),
    r("land_parcel", "commune_code", "id", NO_COMMUNE),
    r("land_parcel", "province_code", "id", NO_PROVINCE),
    r(
        "land_right",
        "parcel_id",
        "certificate_number",
        "'99999-9-9'",
    ),
    r(
        "land_right",
        "holder_citizen_id",
        "certificate_number",
        NO_CITIZEN,
    )
    .among("holder_citizen_id IS NOT NULL"),
    r(
        "land_right",
        "holder_enterprise_id",
        "certificate_number",
        NO_ENTERPRISE,
    )
    .among("holder_enterprise_id IS NOT NULL"),
    r("agency", "province_code", "code", NO_PROVINCE).among("province_code IS NOT NULL"),
    r("access_grant", "grantee", "id", NO_AGENCY),
    r("access_grant", "granted_by", "id", NO_AGENCY),
    r("access_request", "requester", "id", NO_AGENCY),
    r("access_request", "decided_by", "id", NO_AGENCY),
    r("access_request", "grant_id", "id", "'no-such-grant'"),
    r("secret_rotation", "agency", "id", NO_AGENCY),
    r("ownership_transfer", "from_agency", "id", NO_AGENCY),
    r("ownership_transfer", "to_agency", "id", NO_AGENCY),
    r("idempotency_key", "agency", IDEMPOTENCY, NO_AGENCY),
    r("trusted_document", "agency", "id", NO_AGENCY),
    r(
        "trusted_document_requirement",
        "agency",
        "required_by",
        NO_AGENCY,
    ),
];

async fn execute(db: &impl ConnectionTrait, sql: &str) -> Result<u64, DbErr> {
    Ok(db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?
        .rows_affected())
}

async fn strings(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

fn is_foreign_key(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

/// One row in each access table the demo data leaves empty, so that every
/// reference has a row to break.
async fn fill_the_empty_tables(app: &TestApp) -> anyhow::Result<()> {
    let db = &app.app_db.conn;
    let now = chrono::Utc::now();
    let grant = strings(db, "SELECT MIN(id) FROM access_grant").await?;
    access_request::Entity::insert(
        access_request::Model {
            id: uuid::Uuid::new_v4().to_string(),
            requester: "UBND-01".into(),
            dataset: Dataset::Population,
            scopes: "population:read".into(),
            jurisdiction: "01".into(),
            purpose: "tests".into(),
            legal_basis: "tests".into(),
            requested_at: now,
            due_by: now,
            status: RequestStatus::Approved,
            decided_at: Some(now),
            decided_by: Some("BCA".into()),
            decision_reason: None,
            grant_id: grant.into_iter().next(),
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    secret_rotation::Entity::insert(secret_rotation::ActiveModel {
        agency: sea_orm::Set("UBND-01".into()),
        rotated_at: sea_orm::Set(now),
        rotated_by: sea_orm::Set("TTDLQG".into()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    ownership_transfer::Entity::insert(
        ownership_transfer::Model {
            id: uuid::Uuid::new_v4().to_string(),
            dataset: Dataset::Land,
            from_agency: "BNNMT".into(),
            to_agency: "BTC".into(),
            reason: "tests".into(),
            proposed_at: now,
            state: "PENDING".into(),
            decided_at: None,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    idempotency_key::Entity::insert(
        idempotency_key::Model {
            agency: "UBND-01".into(),
            key: "integrity".into(),
            request_hash: "0".repeat(64),
            operation: "tests".into(),
            result_key: "none".into(),
            created_at: now,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    trusted_document::Entity::insert(
        trusted_document::Model {
            agency: "UBND-01".into(),
            id: "0".repeat(64),
            name: "tests".into(),
            document: "{ __typename }".into(),
            registered_by: "TTDLQG".into(),
            registered_at: now,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    trusted_document_requirement::Entity::insert(
        trusted_document_requirement::Model {
            agency: "UBND-01".into(),
            required_by: "TTDLQG".into(),
            since: now,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Every foreign key of the schema, as `table.column`.
async fn foreign_keys(db: &DatabaseConnection) -> anyhow::Result<BTreeSet<String>> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT c.conrelid::regclass::text || '.' || a.attname FROM pg_constraint c \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
             WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"
        }
        _ => {
            "SELECT m.name || '.' || f.\"from\" FROM sqlite_master m, \
             pragma_foreign_key_list(m.name) f WHERE m.type = 'table'"
        }
    };
    Ok(strings(db, sql).await?.into_iter().collect())
}

/// For each reference of the schema, a row changed to name nobody is
/// refused by the database's foreign key, and the list is every foreign key
/// the schema has.
#[tokio::test]
async fn every_reference_refuses_a_row_that_names_nobody() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let db = &app.app_db.conn;
    fill_the_empty_tables(&app).await?;
    let listed: BTreeSet<String> = REFERENCES
        .iter()
        .map(|r| format!("{}.{}", r.table, r.column))
        .collect();
    assert_eq!(foreign_keys(db).await?, listed);

    let mut accepted = Vec::new();
    for reference in REFERENCES {
        let sql = reference.dangling();
        match execute(db, &sql).await {
            Err(error) if is_foreign_key(&error) => {}
            Err(error) => accepted.push(format!("{sql}: refused for another reason: {error}")),
            Ok(rows) => accepted.push(format!("{sql}: accepted ({rows} rows)")),
        }
    }
    assert!(accepted.is_empty(), "{accepted:#?}");
    Ok(())
}

/// New rows naming nobody are refused too: a citizen's spouse, a
/// household's head, an enterprise's member, a land right's holder.
#[tokio::test]
async fn a_new_row_that_names_nobody_is_refused() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let db = &app.app_db.conn;
    let someone = citizen::Entity::find()
        .order_by_asc(citizen::Column::PersonalId)
        .one(db)
        .await?
        .expect("citizens");
    let nobody = "000000000000".to_owned();

    // No former province has the code 99: no demo citizen has this id.
    let mut row = someone.clone().into_active_model();
    row.personal_id = sea_orm::Set("099099000001".into());
    row.spouse_id = sea_orm::Set(Some(nobody.clone()));
    let refused = citizen::Entity::insert(row)
        .exec_without_returning(db)
        .await;
    assert!(refused.as_ref().is_err_and(is_foreign_key), "{refused:?}");

    let refused = household::Entity::insert(
        household::Model {
            id: 1_000_000,
            head_id: nobody.clone(),
            commune_code: someone.residence_commune.clone(),
            province_code: someone.residence_province.clone(),
            address_line: "1 Phố Huế".into(),
            version: 1,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await;
    assert!(refused.as_ref().is_err_and(is_foreign_key), "{refused:?}");

    let enterprise = enterprise::Entity::find()
        .order_by_asc(enterprise::Column::Code)
        .one(db)
        .await?
        .expect("enterprises");
    let refused = enterprise_member::Entity::insert(
        enterprise_member::Model {
            enterprise_code: enterprise.code.clone(),
            member_kind: entities::enterprise::MemberKind::Citizen,
            member_id: nobody.clone(),
            share_bp: 1,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await;
    assert!(refused.as_ref().is_err_and(is_foreign_key), "{refused:?}");

    let parcel = land_parcel::Entity::find()
        .order_by_asc(land_parcel::Column::Id)
        .one(db)
        .await?
        .expect("parcels");
    for kind in [HolderKind::Citizen, HolderKind::Enterprise] {
        let (holder_citizen_id, holder_enterprise_id) = land_right::Holder {
            kind,
            id: "000000000000",
        }
        .columns();
        let refused = land_right::Entity::insert(
            land_right::Model {
                certificate_number: "ZZ000001".into(),
                parcel_id: parcel.id.clone(),
                holder_citizen_id,
                holder_enterprise_id,
                share_bp: 1,
                issued_on: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                status: entities::land::RightStatus::Transferred,
                mortgaged: false,
                version: 1,
                updated_at: chrono::Utc::now(),
            }
            .into_active_model(),
        )
        .exec_without_returning(db)
        .await;
        assert!(
            refused.as_ref().is_err_and(is_foreign_key),
            "{kind:?}: {refused:?}"
        );
    }
    Ok(())
}

/// A land right names exactly one holder: the CHECK refuses both a citizen
/// and an enterprise, and neither, and accepts a move from one to the other.
#[tokio::test]
async fn a_land_right_has_exactly_one_holder() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let db = &app.app_db.conn;
    let right = land_right::Entity::find()
        .filter(land_right::Column::HolderCitizenId.is_not_null())
        .order_by_asc(land_right::Column::CertificateNumber)
        .one(db)
        .await?
        .expect("a citizen holds a land right");
    let enterprise = enterprise::Entity::find()
        .order_by_asc(enterprise::Column::Code)
        .one(db)
        .await?
        .expect("enterprises");
    let certificate = &right.certificate_number;
    for (what, set) in [
        (
            "both",
            format!("holder_enterprise_id = '{}'", enterprise.code),
        ),
        ("neither", "holder_citizen_id = NULL".to_owned()),
    ] {
        let refused = execute(
            db,
            &format!("UPDATE land_right SET {set} WHERE certificate_number = '{certificate}'"),
        )
        .await;
        let message = format!("{refused:?}");
        assert!(
            refused.is_err() && message.contains("ck_land_right_one_holder"),
            "{what}: {message}"
        );
    }
    let moved = execute(
        db,
        &format!(
            "UPDATE land_right SET holder_citizen_id = NULL, holder_enterprise_id = '{}' \
             WHERE certificate_number = '{certificate}'",
            enterprise.code
        ),
    )
    .await?;
    assert_eq!(moved, 1);
    let read = land_right::Entity::find_by_id(certificate.clone())
        .one(db)
        .await?
        .expect("the right");
    assert_eq!(
        read.holder(),
        land_right::Holder {
            kind: HolderKind::Enterprise,
            id: &enterprise.code
        }
    );
    Ok(())
}

/// A household and its head name each other: the head is checked when the
/// transaction commits, so both go in one transaction in either order, and
/// a household whose head never comes is refused at commit.
#[tokio::test]
async fn a_household_head_is_checked_at_commit() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let db = &app.app_db.conn;
    let someone = citizen::Entity::find()
        .order_by_asc(citizen::Column::PersonalId)
        .one(db)
        .await?
        .expect("citizens");
    let home = |id: i64, head: &str| {
        household::Model {
            id,
            head_id: head.to_owned(),
            commune_code: someone.residence_commune.clone(),
            province_code: someone.residence_province.clone(),
            address_line: "1 Phố Huế".into(),
            version: 1,
        }
        .into_active_model()
    };

    let txn = db.begin().await?;
    household::Entity::insert(home(1_000_000, "099099000001"))
        .exec_without_returning(&txn)
        .await?;
    let mut head = someone.clone().into_active_model();
    head.personal_id = sea_orm::Set("099099000001".into());
    head.household_id = sea_orm::Set(Some(1_000_000));
    head.father_id = sea_orm::Set(None);
    head.mother_id = sea_orm::Set(None);
    head.spouse_id = sea_orm::Set(None);
    citizen::Entity::insert(head)
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;

    let txn = db.begin().await?;
    household::Entity::insert(home(1_000_001, "000000000000"))
        .exec_without_returning(&txn)
        .await?;
    let refused = txn.commit().await;
    assert!(refused.is_err(), "a household without its head committed");
    assert!(
        household::Entity::find_by_id(1_000_001)
            .one(db)
            .await?
            .is_none()
    );
    Ok(())
}

/// A write the registers let through but the database refuses for a
/// missing reference (an industry code that is not in the classification)
/// is the caller's BAD_USER_INPUT, not an internal error, and writes
/// nothing.
#[tokio::test]
async fn a_write_naming_a_missing_record_is_a_client_error() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let rep = citizen::Entity::find()
        .filter(citizen::Column::Status.eq(CitizenStatus::Alive))
        .filter(citizen::Column::DateOfBirth.lt(chrono::NaiveDate::from_ymd_opt(1990, 1, 1)))
        .order_by_asc(citizen::Column::PersonalId)
        .one(&app.app_db.conn)
        .await?
        .expect("a living adult");
    let body = app
        .graphql_as(
            "BTC",
            "mutation ($rep: String!) { registerEnterprise(input: {
               code: \"0100233488\", name: \"Công ty TNHH Thử Nghiệm\", type: LLC_ONE,
               foundedOn: \"2020-01-01\", registeredCapitalVnd: 1000000000,
               headOfficeCommuneCode: \"00004\", headOfficeAddress: \"1 Phố Huế\",
               legalRepresentativeId: $rep, industries: [\"9999\"] }) { enterprise { code } } }",
            json!({ "rep": rep.personal_id }),
        )
        .await?;
    let error = error_at(&body, &["registerEnterprise"]).expect("an error");
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not exist")),
        "{body}"
    );
    assert!(
        enterprise::Entity::find_by_id("0100233488".to_owned())
            .one(&app.app_db.conn)
            .await?
            .is_none()
    );
    Ok(())
}

/// A database of its own, empty, removed when dropped.
struct Scratch {
    conn: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Scratch {
    async fn new() -> anyhow::Result<Scratch> {
        match postgres_url() {
            Some(admin_url) => {
                let name = format!("lienthong_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(admin_url.as_str()).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                admin.close().await?;
                let base = admin_url.rsplit_once('/').map_or(&*admin_url, |(b, _)| b);
                let conn = Database::connect(format!("{base}/{name}")).await?;
                Ok(Scratch {
                    conn,
                    _dir: None,
                    postgres: Some((admin_url, name)),
                })
            }
            None => {
                let dir = tempfile::tempdir()?;
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("scratch.db").display()
                );
                Ok(Scratch {
                    conn: Database::connect(url).await?,
                    _dir: Some(dir),
                    postgres: None,
                })
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime: use a thread of our own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    if let Ok(db) = Database::connect(admin_url.as_str()).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// The shape of a database's schema, as text: tables, columns, constraints
/// and indexes (not the order of columns, which PostgreSQL cannot change).
async fn shape(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' \
               || COALESCE(character_maximum_length::text, '') || ' ' || is_nullable || ' ' \
               || COALESCE(column_default, '') || ' ' || is_generated || ' ' \
               || COALESCE(generation_expression, '') \
             FROM information_schema.columns WHERE table_schema = 'public' \
             UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' \
               || pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
             UNION ALL SELECT 'index ' || indexname || ' ' || indexdef \
             FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name"
        }
    };
    strings(db, sql).await
}

/// The migration these tests are about.
const FOREIGN_KEYS: &str = "m20261201_000005_add_foreign_keys";

/// The schema before the foreign keys' migration, and with every
/// migration, from an empty database.
async fn shapes_around_the_newest_migration() -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let scratch = Scratch::new().await?;
    let all = Migrator::migrations().len() as u32;
    Migrator::up(
        &scratch.conn,
        Some(all - crate::helpers::migrations_since(FOREIGN_KEYS)),
    )
    .await?;
    let before = shape(&scratch.conn).await?;
    Migrator::up(&scratch.conn, None).await?;
    let after = shape(&scratch.conn).await?;
    scratch.conn.clone().close().await?;
    Ok((before, after))
}

/// How many rows each table the migration rebuilds holds.
async fn counts(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, i64)>> {
    let mut counts = Vec::new();
    for table in [
        "legacy_commune",
        "household",
        "citizen",
        "enterprise",
        "enterprise_member",
        "enterprise_industry",
        "land_parcel",
        "land_right",
        "agency",
        "access_grant",
        "access_request",
        "secret_rotation",
        "ownership_transfer",
        "idempotency_key",
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await?
            .expect("a count");
        counts.push((table.to_owned(), row.try_get_by_index::<i64>(0)?));
    }
    Ok(counts)
}

/// The holders of the land rights, `certificate kind id`, read through the
/// entity (this migration's shape).
async fn holders(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    Ok(land_right::Entity::find()
        .order_by_asc(land_right::Column::CertificateNumber)
        .all(db)
        .await?
        .iter()
        .map(|r| {
            let holder = r.holder();
            let kind = match holder.kind {
                HolderKind::Citizen => "CITIZEN",
                HolderKind::Enterprise => "ENTERPRISE",
            };
            format!("{} {kind} {}", r.certificate_number, holder.id)
        })
        .collect())
}

/// The same, read from the earlier shape's columns.
async fn earlier_holders(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    strings(
        db,
        "SELECT certificate_number || ' ' || holder_kind || ' ' || holder_id \
         FROM land_right ORDER BY certificate_number",
    )
    .await
}

/// On a seeded database, the foreign keys' migration goes down to exactly
/// the earlier schema and up to exactly the schema of a fresh database,
/// keeping every row and every land right's holder.
#[tokio::test]
async fn the_migration_goes_down_and_up_again_on_a_seeded_database() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    fill_the_empty_tables(&app).await?;
    let db = &app.app_db.conn;
    let (earlier, newest) = shapes_around_the_newest_migration().await?;
    assert_ne!(earlier, newest, "the shape shows the migration");
    assert_eq!(shape(db).await?, newest, "a seeded database's schema");
    let (rows, rights) = (counts(db).await?, holders(db).await?);
    let citizens = citizen::Entity::find().all(db).await?;
    let members = enterprise_member::Entity::find().all(db).await?;
    let land = land_right::Entity::find().all(db).await?;

    Migrator::down(db, Some(crate::helpers::migrations_since(FOREIGN_KEYS))).await?;
    assert_eq!(
        shape(db).await?,
        earlier,
        "down restores the earlier schema"
    );
    assert_eq!(counts(db).await?, rows);
    assert_eq!(earlier_holders(db).await?, rights);

    Migrator::up(db, None).await?;
    assert_eq!(shape(db).await?, newest, "up again");
    assert_eq!(counts(db).await?, rows);
    assert_eq!(holders(db).await?, rights);
    assert_eq!(citizen::Entity::find().all(db).await?, citizens);
    assert_eq!(enterprise_member::Entity::find().all(db).await?, members);
    assert_eq!(land_right::Entity::find().all(db).await?, land);
    Ok(())
}

/// Rows that name nobody stop the migration with their table, column and
/// count, and it changes nothing; once they are corrected, it runs.
#[tokio::test]
async fn the_migration_refuses_rows_that_name_nobody() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let db = &app.app_db.conn;
    Migrator::down(db, Some(crate::helpers::migrations_since(FOREIGN_KEYS))).await?;
    let earlier = shape(db).await?;
    let spouse = "UPDATE citizen SET spouse_id = {} \
                  WHERE personal_id = (SELECT MIN(personal_id) FROM citizen)";
    let holder = "UPDATE land_right SET holder_id = {} WHERE certificate_number = \
                  (SELECT MIN(certificate_number) FROM land_right WHERE holder_kind = 'ENTERPRISE')";
    let (was_spouse, was_holder) = (
        strings(
            db,
            "SELECT COALESCE(spouse_id, '') FROM citizen ORDER BY personal_id LIMIT 1",
        )
        .await?,
        strings(
            db,
            "SELECT MIN(holder_id) FROM land_right WHERE certificate_number = \
             (SELECT MIN(certificate_number) FROM land_right WHERE holder_kind = 'ENTERPRISE')",
        )
        .await?,
    );
    execute(db, &spouse.replace("{}", NO_CITIZEN)).await?;
    execute(db, &holder.replace("{}", NO_ENTERPRISE)).await?;

    let refused = Migrator::up(db, None)
        .await
        .expect_err("the migration ran over rows that name nobody");
    let message = refused.to_string();
    for expected in [
        "citizen.spouse_id: 1 row names no citizen",
        "land_right.holder_enterprise_id: 1 row names no enterprise",
    ] {
        assert!(message.contains(expected), "{message}");
    }
    assert_eq!(shape(db).await?, earlier, "nothing changed");

    let quoted = |v: &str| {
        if v.is_empty() {
            "NULL".to_owned()
        } else {
            format!("'{v}'")
        }
    };
    execute(db, &spouse.replace("{}", &quoted(&was_spouse[0]))).await?;
    execute(db, &holder.replace("{}", &quoted(&was_holder[0]))).await?;
    Migrator::up(db, None).await?;
    assert!(
        foreign_keys(db)
            .await?
            .contains("land_right.holder_enterprise_id")
    );
    Ok(())
}

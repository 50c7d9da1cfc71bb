//! The database each test app runs on: a copy of a template that was
//! migrated and seeded once per test binary (once per data set, see
//! [`DataKey`]), so that a test pays for a file copy (SQLite) or a
//! `CREATE DATABASE … TEMPLATE` (PostgreSQL) instead of a migration and a
//! seed. `Application::build` then finds the copy migrated and seeded, and
//! leaves it as it is.
//!
//! What is per test stays per test: the signing key and the audit key are
//! files in each test's own folder, and the template holds no access-log
//! row, no chain head and no secret.
//!
//! On PostgreSQL every database this process creates (templates and
//! copies) is named after an advisory lock the process holds, on a
//! connection of its own, until it exits. Each run first drops the
//! databases whose lock is free (their run is over, killed or not) and
//! leaves those of a run still going, so two runs at once do not break
//! each other and no template outlives the run after its own.
//!
//! `LIENTHONG_TEST_TEMPLATE=off` gives every test an empty database that
//! the server migrates and seeds itself, as before templates.

use api::config::Config;
use api::seed::SeedSize;
use sea_orm::ConnectionTrait;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{self, Connection};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Names of the databases the tests create on PostgreSQL.
const TEMPLATE_PREFIX: &str = "lienthong_tpl_";
const COPY_PREFIX: &str = "lienthong_test_";

/// The PostgreSQL server to test against, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("LIENTHONG_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// Whether tests start from templates (the default).
fn templates_on() -> bool {
    std::env::var("LIENTHONG_TEST_TEMPLATE").map_or(true, |v| v != "off")
}

/// The settings that decide what `Application::build` puts into an empty
/// database: tests whose settings differ here get a template of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataKey {
    demo: bool,
    citizens: u64,
    enterprises: u64,
    parcels: u64,
}

impl DataKey {
    pub fn of(config: &Config) -> DataKey {
        DataKey {
            demo: config.demo,
            citizens: config.demo_citizens,
            enterprises: config.demo_enterprises,
            parcels: config.demo_parcels,
        }
    }
}

/// Where a test's data lives; removed when the test ends.
pub enum TestDatabase {
    /// Kept for its `Drop`, which removes the folder.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another test app's database.
    Borrowed,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread of our own.
            let _ = on_own_runtime(async move {
                let mut admin = PgConnection::connect(&admin_url).await?;
                statement(
                    &mut admin,
                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                )
                .await?;
                anyhow::Ok(())
            });
        }
    }
}

/// A database for a test app holding what `key` asks for, and its URL.
pub async fn database_for(key: DataKey) -> anyhow::Result<(String, TestDatabase)> {
    if !templates_on() {
        return empty_database().await;
    }
    match template(key)? {
        Template::Sqlite(bytes) => {
            let dir = tempfile::tempdir()?;
            let file = dir.path().join("hub.db");
            std::fs::write(&file, &bytes[..])?;
            Ok((sqlite_url(&file), TestDatabase::Sqlite(dir)))
        }
        Template::Postgres { admin_url, name } => {
            let copy = format!("{COPY_PREFIX}{}", unique_suffix(&admin_url)?);
            let mut admin = PgConnection::connect(&admin_url).await?;
            statement(
                &mut admin,
                format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{name}\""),
            )
            .await?;
            admin.close().await?;
            Ok((
                database_url(&admin_url, &copy),
                TestDatabase::Postgres {
                    admin_url,
                    name: copy,
                },
            ))
        }
    }
}

/// An empty database, which the server migrates and seeds itself.
pub async fn empty_database() -> anyhow::Result<(String, TestDatabase)> {
    match postgres_url() {
        Some(admin_url) => {
            let name = format!("{COPY_PREFIX}{}", unique_suffix(&admin_url)?);
            let mut admin = PgConnection::connect(&admin_url).await?;
            statement(&mut admin, format!("CREATE DATABASE \"{name}\"")).await?;
            admin.close().await?;
            Ok((
                database_url(&admin_url, &name),
                TestDatabase::Postgres { admin_url, name },
            ))
        }
        None => {
            let dir = tempfile::tempdir()?;
            let url = sqlite_url(&dir.path().join("hub.db"));
            Ok((url, TestDatabase::Sqlite(dir)))
        }
    }
}

fn sqlite_url(file: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", file.display())
}

/// The URL of database `name` on the server of `admin_url`.
fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    format!("{base}/{name}")
}

/// A migrated and seeded database to copy.
#[derive(Clone)]
enum Template {
    /// The bytes of a SQLite file whose WAL was checkpointed and whose
    /// pool was closed; the file itself is gone.
    Sqlite(Arc<[u8]>),
    /// A PostgreSQL database nobody is connected to (connections to it
    /// are refused from then on).
    Postgres { admin_url: String, name: String },
}

/// The template for `key`, built by the first test that asks for it (the
/// others wait for it).
fn template(key: DataKey) -> anyhow::Result<Template> {
    static TEMPLATES: OnceLock<Mutex<HashMap<DataKey, Template>>> = OnceLock::new();
    let mut templates = TEMPLATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(template) = templates.get(&key) {
        return Ok(template.clone());
    }
    let index = templates.len();
    // Built on a runtime of its own: no pool or task of it outlives the
    // build, whichever test's runtime asked first.
    let template = on_own_runtime(build_template(key, index))?;
    templates.insert(key, template.clone());
    Ok(template)
}

async fn build_template(key: DataKey, index: usize) -> anyhow::Result<Template> {
    match postgres_url() {
        None => {
            let dir = tempfile::tempdir()?;
            let file = dir.path().join("template.db");
            prepare(&sqlite_url(&file), key).await?;
            let wal = dir.path().join("template.db-wal");
            anyhow::ensure!(
                std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
                "the template's WAL was not checkpointed"
            );
            let bytes = std::fs::read(&file)?;
            Ok(Template::Sqlite(bytes.into()))
        }
        Some(admin_url) => {
            let owner = owner(&admin_url)?;
            let name = format!("{TEMPLATE_PREFIX}{owner:016x}_{index}");
            let mut admin = PgConnection::connect(&admin_url).await?;
            statement(&mut admin, format!("CREATE DATABASE \"{name}\"")).await?;
            prepare(&database_url(&admin_url, &name), key).await?;
            // A stray connection would make every copy fail.
            statement(
                &mut admin,
                format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"),
            )
            .await?;
            admin.close().await?;
            Ok(Template::Postgres { admin_url, name })
        }
    }
}

/// Prepares the template as the server prepares its database
/// (`api::startup::prepare`: migrations, demo agencies, demo data), then
/// folds SQLite's log into the file. The test
/// `template::a_copy_of_the_template_holds_what_the_server_seeds` checks a
/// copy against a database the server prepared itself.
async fn prepare(url: &str, key: DataKey) -> anyhow::Result<()> {
    let setup = api::db::connect(url, Some(2), None).await?;
    let demo = key.demo.then_some(SeedSize {
        citizens: key.citizens,
        enterprises: key.enterprises,
        parcels: key.parcels,
    });
    api::startup::prepare(&setup.conn, demo).await?;
    if url.starts_with("sqlite:") {
        // Everything into the main file, so that copying it is enough.
        setup
            .conn
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    setup.conn.close().await?;
    Ok(())
}

/// Runs `work` to its end on a thread and runtime of its own.
fn on_own_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
) -> anyhow::Result<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(work)
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the database work panicked"))?
}

/// `<owner>_<random>`: unique, and marked as this process's.
fn unique_suffix(admin_url: &str) -> anyhow::Result<String> {
    let owner = owner(admin_url)?;
    let random = uuid::Uuid::new_v4().simple().to_string();
    Ok(format!("{owner:016x}_{}", &random[..16]))
}

/// The advisory lock this process holds for as long as it lives, which
/// marks the databases it creates as in use. The first call takes it and
/// drops the databases of runs that are over.
fn owner(admin_url: &str) -> anyhow::Result<u64> {
    static OWNER: OnceLock<Result<u64, String>> = OnceLock::new();
    OWNER
        .get_or_init(|| hold_owner_lock(admin_url).map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn hold_owner_lock(admin_url: &str) -> anyhow::Result<u64> {
    // Positive, so that it reads the same as a bigint and in hex.
    let lock = uuid::Uuid::new_v4().as_u64_pair().0 >> 1;
    let (ready, held) = std::sync::mpsc::channel::<anyhow::Result<()>>();
    let url = admin_url.to_owned();
    // The connection lives on a thread that never ends: the lock goes
    // when the process does, however it ends.
    std::thread::Builder::new()
        .name("test-db-owner".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = ready.send(Err(error.into()));
                    return;
                }
            };
            runtime.block_on(async move {
                let taken = async {
                    let mut connection = PgConnection::connect(&url).await?;
                    sqlx::query("SELECT pg_advisory_lock($1)")
                        .bind(lock as i64)
                        .execute(&mut connection)
                        .await?;
                    anyhow::Ok(connection)
                }
                .await;
                match taken {
                    Ok(connection) => {
                        let _ = ready.send(Ok(()));
                        let _held = connection;
                        std::future::pending::<()>().await;
                    }
                    Err(error) => {
                        let _ = ready.send(Err(error));
                    }
                }
            });
        })?;
    held.recv()??;
    let url = admin_url.to_owned();
    on_own_runtime(async move { drop_finished_runs(&url).await })?;
    Ok(lock)
}

/// Runs one statement on the server; its names are ours, never input.
async fn statement(admin: &mut PgConnection, sql: String) -> anyhow::Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(admin)
        .await?;
    Ok(())
}

/// The owner lock in a test database's name, if it has one.
fn owner_in(name: &str) -> Option<i64> {
    let rest = name
        .strip_prefix(TEMPLATE_PREFIX)
        .or_else(|| name.strip_prefix(COPY_PREFIX))?;
    let (owner, _) = rest.split_once('_')?;
    if owner.len() != 16 {
        return None;
    }
    u64::from_str_radix(owner, 16).ok().map(|o| o as i64)
}

/// Drops the test databases whose owner lock nobody holds.
async fn drop_finished_runs(admin_url: &str) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(admin_url).await?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'lienthong\\_t%' ORDER BY datname",
    )
    .fetch_all(&mut admin)
    .await?;
    for name in names {
        let Some(owner) = owner_in(&name) else {
            continue;
        };
        let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(owner)
            .fetch_one(&mut admin)
            .await?;
        if !free {
            continue;
        }
        let dropped = statement(
            &mut admin,
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(owner)
            .execute(&mut admin)
            .await?;
        dropped?;
    }
    admin.close().await?;
    Ok(())
}

/// The owner lock is read back from the names of the databases it marks,
/// and names without one (older runs, other databases) are left alone.
#[test]
fn the_owner_is_read_back_from_the_names_it_gave() {
    let owner = 0x1234_5678_9abc_def0_u64 >> 1;
    let template = format!("{TEMPLATE_PREFIX}{owner:016x}_0");
    let copy = format!("{COPY_PREFIX}{owner:016x}_00112233aabbccdd");
    assert_eq!(owner_in(&template), Some(owner as i64));
    assert_eq!(owner_in(&copy), Some(owner as i64));
    assert_eq!(
        owner_in("lienthong_test_0123456789abcdef0123456789abcdef"),
        None
    );
    assert_eq!(owner_in("postgres"), None);
}

/// The rows of table `E` as JSON, without `skip` (values that differ from
/// one seeding to the next: ids drawn at random, the time of seeding), in
/// a fixed order.
async fn rows_of<E: sea_orm::EntityTrait>(
    db: &sea_orm::DatabaseConnection,
    skip: &[&str],
) -> anyhow::Result<Vec<String>> {
    let mut rows: Vec<String> = E::find()
        .into_json()
        .all(db)
        .await?
        .into_iter()
        .map(|mut row| {
            if let Some(fields) = row.as_object_mut() {
                for field in skip {
                    fields.remove(*field);
                }
            }
            row.to_string()
        })
        .collect();
    rows.sort();
    Ok(rows)
}

/// Every table's rows, by table.
async fn contents(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Vec<(&'static str, Vec<String>)>> {
    use entities::{access, admin, audit, changes, enterprise, land, population};
    let backend = db.get_database_backend();
    let migrations: Vec<String> = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?
        .into_iter()
        .map(|row| row.try_get::<String>("", "version"))
        .collect::<Result<_, _>>()?;
    Ok(vec![
        ("seaql_migrations", migrations),
        (
            "agency",
            rows_of::<access::agency::Entity>(db, &["created_at"]).await?,
        ),
        (
            "access_grant",
            rows_of::<access::access_grant::Entity>(db, &["id", "valid_from", "granted_at"])
                .await?,
        ),
        (
            "access_request",
            rows_of::<access::access_request::Entity>(db, &[]).await?,
        ),
        (
            "ownership_transfer",
            rows_of::<access::ownership_transfer::Entity>(db, &[]).await?,
        ),
        (
            "revoked_token",
            rows_of::<access::revoked_token::Entity>(db, &[]).await?,
        ),
        (
            "secret_rotation",
            rows_of::<access::secret_rotation::Entity>(db, &[]).await?,
        ),
        ("commune", rows_of::<admin::commune::Entity>(db, &[]).await?),
        (
            "industry",
            rows_of::<admin::industry::Entity>(db, &[]).await?,
        ),
        (
            "legacy_commune",
            rows_of::<admin::legacy_commune::Entity>(db, &[]).await?,
        ),
        (
            "legacy_province",
            rows_of::<admin::legacy_province::Entity>(db, &[]).await?,
        ),
        (
            "province",
            rows_of::<admin::province::Entity>(db, &[]).await?,
        ),
        (
            "access_log",
            rows_of::<audit::access_log::Entity>(db, &[]).await?,
        ),
        (
            "access_log_subject",
            rows_of::<audit::access_log_subject::Entity>(db, &[]).await?,
        ),
        (
            "audit_chain",
            rows_of::<audit::audit_chain::Entity>(db, &[]).await?,
        ),
        (
            "sharing_day",
            rows_of::<audit::sharing_day::Entity>(db, &[]).await?,
        ),
        (
            "change_counter",
            rows_of::<changes::change_counter::Entity>(db, &[]).await?,
        ),
        (
            "change_event",
            rows_of::<changes::change_event::Entity>(db, &[]).await?,
        ),
        (
            "idempotency_key",
            rows_of::<changes::idempotency_key::Entity>(db, &[]).await?,
        ),
        (
            "enterprise",
            rows_of::<enterprise::enterprise::Entity>(db, &[]).await?,
        ),
        (
            "enterprise_member",
            rows_of::<enterprise::enterprise_member::Entity>(db, &[]).await?,
        ),
        (
            "enterprise_industry",
            rows_of::<enterprise::enterprise_industry::Entity>(db, &[]).await?,
        ),
        (
            "land_parcel",
            rows_of::<land::land_parcel::Entity>(db, &[]).await?,
        ),
        (
            "land_right",
            rows_of::<land::land_right::Entity>(db, &[]).await?,
        ),
        (
            "citizen",
            rows_of::<population::citizen::Entity>(db, &[]).await?,
        ),
        (
            "household",
            rows_of::<population::household::Entity>(db, &[]).await?,
        ),
    ])
}

/// A server started on a copy of the template finds exactly the rows (bar
/// random ids and times of seeding) that a server started on an empty
/// database migrates and seeds itself, and leaves them as they are.
#[tokio::test]
async fn a_copy_of_the_template_holds_what_the_server_seeds() -> anyhow::Result<()> {
    let copied = crate::helpers::spawn_app().await?;
    let (url, _empty) = empty_database().await?;
    let seeded = crate::helpers::spawn_app_with(|c| c.database_url = url).await?;
    let (copied, seeded) = (
        contents(&copied.app_db.conn).await?,
        contents(&seeded.app_db.conn).await?,
    );
    let citizens = &copied.iter().find(|(t, _)| *t == "citizen").unwrap().1;
    assert_eq!(citizens.len() as u64, crate::helpers::CITIZENS);
    for ((table, copied), (_, seeded)) in copied.iter().zip(&seeded) {
        assert_eq!(copied.len(), seeded.len(), "rows of {table}");
        if let Some((copied, seeded)) = copied.iter().zip(seeded).find(|(c, s)| c != s) {
            panic!("{table} differs:\n  copy:   {copied}\n  seeded: {seeded}");
        }
    }
    Ok(())
}

/// Settings that decide the data get a template of their own: fewer
/// citizens, or no demo data at all; the usual set stays the usual one.
#[tokio::test]
async fn other_data_settings_get_their_own_template() -> anyhow::Result<()> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let fewer = crate::helpers::spawn_app_with(|c| c.demo_citizens = 300).await?;
    let citizens = entities::population::citizen::Entity::find()
        .count(&fewer.app_db.conn)
        .await?;
    assert_eq!(citizens, 300);
    // Without demo data (a server needs a signing key of its own then, so
    // the copy is looked at directly): migrated, and nothing else.
    let bare = DataKey {
        demo: false,
        ..DataKey::of(fewer.config())
    };
    let (url, _bare) = database_for(bare).await?;
    let db = api::db::connect(&url, Some(1), None).await?;
    let citizens = entities::population::citizen::Entity::find()
        .count(&db.conn)
        .await?;
    let agencies = entities::access::agency::Entity::find()
        .count(&db.conn)
        .await?;
    let communes = entities::admin::commune::Entity::find()
        .count(&db.conn)
        .await?;
    db.conn.close().await?;
    assert_eq!((citizens, agencies), (0, 0));
    assert!(communes > 0, "the reference data is migrated");
    // And the usual data set is still the usual one.
    let usual = crate::helpers::spawn_app().await?;
    let citizens = entities::population::citizen::Entity::find()
        .count(&usual.app_db.conn)
        .await?;
    assert_eq!(citizens, crate::helpers::CITIZENS);
    Ok(())
}

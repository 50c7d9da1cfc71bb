//! Referential integrity in the database, not only in code: a foreign key
//! on every column that names a row, so that neither a bug nor a manual fix
//! can leave a register pointing at nobody, and tools that read the schema
//! see the relations.
//!
//! - A land right's holder, a kind and an id, becomes two nullable columns,
//!   `holder_citizen_id` and `holder_enterprise_id`, exactly one of them set
//!   (a CHECK), each indexed with the certificate number as the pair was
//!   (partial indexes, each holding only the rights of its kind).
//! - An enterprise member keeps its kind and id (they are its primary key);
//!   two generated columns, `member_citizen_id` and `member_enterprise_id`,
//!   carry its foreign keys.
//! - Two keys are checked at commit, not after each statement, for rows
//!   written together that name each other or the row written next: a
//!   household and its head (who names the household), and a request and
//!   the grant its approval creates (the request is decided first, which
//!   is what makes a second decision fail).
//! - Removing an agency removes its secret rotations and idempotency keys,
//!   as it already removed its grants and requests; a row that anything
//!   else names cannot be removed.
//! - Parents and spouses, which the population migration left without a
//!   key so that bulk loads could insert a family in any order, have one:
//!   a family goes in one statement, which the key checks at its end.
//!   `citizen.spouse_id` is indexed like the father's and mother's ids:
//!   SQLite looks children up by it when a statement adds their parent.
//! - The logs keep no foreign key: the access log and its subject index,
//!   the sharing counters and the change feed record what happened, and
//!   must neither block nor follow the removal of what they name. Nor do
//!   `revoked_token.agency` (`*` is every agency), `revoked_by` and
//!   `rotated_by` (`server` is no agency).
//!
//! Existing rows that name nobody stop the migration, with their table,
//! column and count; nothing is deleted. PostgreSQL adds the constraints in
//! place. SQLite cannot: each table is rebuilt from its own `CREATE TABLE`
//! with the constraints added (rows copied aside, table dropped, created,
//! indexed, refilled), in one transaction whose foreign keys are checked at
//! commit (`PRAGMA defer_foreign_keys`; `PRAGMA foreign_keys`, which sqlx
//! turns on, cannot change inside a transaction). `down` restores the
//! earlier shape, rows included.
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Citizen {
    Table,
    SpouseId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Enterprise {
    Table,
    Code,
}

#[derive(DeriveIden, Clone, Copy)]
enum EnterpriseMember {
    Table,
    EnterpriseCode,
    MemberKind,
    MemberId,
    ShareBp,
    MemberCitizenId,
    MemberEnterpriseId,
}

#[derive(DeriveIden, Clone, Copy)]
enum LandParcel {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum LandRight {
    Table,
    CertificateNumber,
    ParcelId,
    HolderKind,
    HolderId,
    HolderCitizenId,
    HolderEnterpriseId,
    ShareBp,
    IssuedOn,
    Status,
    Mortgaged,
    Version,
    UpdatedAt,
}

/// A foreign key: `table.column` names a row of `parent` by `key`.
#[derive(Clone, Copy)]
struct Reference {
    table: &'static str,
    column: &'static str,
    parent: &'static str,
    key: &'static str,
    /// Removing the parent removes the row (it belongs to the parent).
    cascade: bool,
    /// Checked at commit rather than after each statement.
    deferred: bool,
    /// For a column this migration adds: its value, over the table's
    /// earlier columns (the table aliased `c`).
    was: Option<&'static str>,
}

const fn fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
    key: &'static str,
) -> Reference {
    Reference {
        table,
        column,
        parent,
        key,
        cascade: false,
        deferred: false,
        was: None,
    }
}

impl Reference {
    const fn cascade(self) -> Reference {
        Reference {
            cascade: true,
            ..self
        }
    }

    const fn deferred(self) -> Reference {
        Reference {
            deferred: true,
            ..self
        }
    }

    const fn was(self, value: &'static str) -> Reference {
        Reference {
            was: Some(value),
            ..self
        }
    }

    fn name(&self) -> String {
        format!("fk_{}_{}", self.table, self.column)
    }

    /// The constraint, as `CREATE TABLE` and `ALTER TABLE ... ADD` take it.
    fn clause(&self) -> String {
        format!(
            r#"CONSTRAINT "{}" FOREIGN KEY ("{}") REFERENCES "{}" ("{}"){}{}"#,
            self.name(),
            self.column,
            self.parent,
            self.key,
            if self.cascade {
                " ON DELETE CASCADE"
            } else {
                ""
            },
            if self.deferred {
                " DEFERRABLE INITIALLY DEFERRED"
            } else {
                ""
            },
        )
    }

    /// Counts the rows that name nobody (before this migration).
    fn orphans(&self) -> String {
        let value = match self.was {
            Some(value) => value.to_owned(),
            None => format!(r#"c."{}""#, self.column),
        };
        format!(
            r#"SELECT COUNT(*) FROM "{}" c WHERE {value} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "{}" p WHERE p."{}" = {value})"#,
            self.table, self.parent, self.key
        )
    }
}

const CITIZEN_HOLDER: &str = "CASE WHEN c.holder_kind = 'CITIZEN' THEN c.holder_id END";
const ENTERPRISE_HOLDER: &str = "CASE WHEN c.holder_kind = 'ENTERPRISE' THEN c.holder_id END";
const CITIZEN_MEMBER: &str = "CASE WHEN member_kind = 'CITIZEN' THEN member_id END";
const ENTERPRISE_MEMBER: &str = "CASE WHEN member_kind = 'ENTERPRISE' THEN member_id END";
const CITIZEN_MEMBER_WAS: &str = "CASE WHEN c.member_kind = 'CITIZEN' THEN c.member_id END";
const ENTERPRISE_MEMBER_WAS: &str = "CASE WHEN c.member_kind = 'ENTERPRISE' THEN c.member_id END";

/// Every foreign key this migration adds.
#[rustfmt::skip]
const REFERENCES: &[Reference] = &[
    fk("legacy_commune", "old_province_code", "legacy_province", "code"),
    fk("household", "head_id", "citizen", "personal_id").deferred(),
    fk("household", "province_code", "province", "code"),
    fk("citizen", "residence_province", "province", "code"),
    fk("citizen", "father_id", "citizen", "personal_id"),
    fk("citizen", "mother_id", "citizen", "personal_id"),
    fk("citizen", "spouse_id", "citizen", "personal_id"),
    fk("enterprise", "head_office_province", "province", "code"),
    fk("enterprise", "legal_rep_id", "citizen", "personal_id"),
    fk("enterprise_member", "member_citizen_id", "citizen", "personal_id")
        .was(CITIZEN_MEMBER_WAS),
    fk("enterprise_member", "member_enterprise_id", "enterprise", "code")
        .was(ENTERPRISE_MEMBER_WAS),
    fk("land_parcel", "province_code", "province", "code"),
    fk("land_right", "holder_citizen_id", "citizen", "personal_id").was(CITIZEN_HOLDER),
    fk("land_right", "holder_enterprise_id", "enterprise", "code").was(ENTERPRISE_HOLDER),
    fk("agency", "province_code", "province", "code"),
    fk("access_grant", "granted_by", "agency", "code"),
    fk("access_request", "decided_by", "agency", "code"),
    fk("access_request", "grant_id", "access_grant", "id").deferred(),
    fk("secret_rotation", "agency", "agency", "code").cascade(),
    fk("ownership_transfer", "from_agency", "agency", "code"),
    fk("ownership_transfer", "to_agency", "agency", "code"),
    fk("idempotency_key", "agency", "agency", "code").cascade(),
];

const ONE_HOLDER: &str = "ck_land_right_one_holder";
const ONE_HOLDER_CHECK: &str = "(holder_citizen_id IS NOT NULL AND holder_enterprise_id IS NULL) \
     OR (holder_citizen_id IS NULL AND holder_enterprise_id IS NOT NULL)";

/// The tables SQLite rebuilds, in the order they are refilled: parents
/// before children, but a household before its head (that key is checked
/// at commit). They are dropped in the reverse order, children first, so
/// that dropping a table never has to look up its children.
const REBUILT: &[&str] = &[
    "legacy_commune",
    "household",
    "citizen",
    "enterprise",
    "enterprise_member",
    "land_parcel",
    "land_right",
    "agency",
    "access_grant",
    "access_request",
    "secret_rotation",
    "ownership_transfer",
    "idempotency_key",
];

/// The indexes this migration adds, with their tables.
fn new_indexes() -> Vec<(&'static str, IndexCreateStatement)> {
    vec![
        (
            "citizen",
            crate::index(Citizen::Table, "spouse", [Citizen::SpouseId]),
        ),
        (
            "land_right",
            crate::index(
                LandRight::Table,
                "holder_citizen",
                [LandRight::HolderCitizenId, LandRight::CertificateNumber],
            )
            .and_where(Expr::col(LandRight::HolderCitizenId).is_not_null())
            .to_owned(),
        ),
        (
            "land_right",
            crate::index(
                LandRight::Table,
                "holder_enterprise",
                [LandRight::HolderEnterpriseId, LandRight::CertificateNumber],
            )
            .and_where(Expr::col(LandRight::HolderEnterpriseId).is_not_null())
            .to_owned(),
        ),
    ]
}

/// The index on the holder's kind and id, which the two above replace.
fn old_indexes() -> Vec<(&'static str, IndexCreateStatement)> {
    vec![(
        "land_right",
        crate::index(
            LandRight::Table,
            "holder",
            [
                LandRight::HolderKind,
                LandRight::HolderId,
                LandRight::CertificateNumber,
            ],
        ),
    )]
}

fn index_name(index: &IndexCreateStatement) -> String {
    index
        .get_index_spec()
        .get_name()
        .unwrap_or_default()
        .to_owned()
}

/// `land_right` as migration 4 made it, or with its holder in two columns.
fn land_right(split: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(LandRight::Table)
        .col(string_len(LandRight::CertificateNumber, 12).primary_key())
        .col(string_len(LandRight::ParcelId, 24));
    if split {
        table
            .col(string_len_null(LandRight::HolderCitizenId, 12))
            .col(string_len_null(LandRight::HolderEnterpriseId, 14));
    } else {
        table
            .col(string_len(LandRight::HolderKind, 10))
            .col(string_len(LandRight::HolderId, 14));
    }
    table
        .col(integer(LandRight::ShareBp))
        .col(date(LandRight::IssuedOn))
        .col(string_len(LandRight::Status, 12))
        .col(boolean(LandRight::Mortgaged))
        .col(integer(LandRight::Version).default(1))
        .col(timestamp_with_time_zone(LandRight::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(LandRight::Table, LandRight::ParcelId)
                .to(LandParcel::Table, LandParcel::Id),
        )
        .to_owned()
}

/// The generated columns that name a member by kind.
fn member_columns() -> [ColumnDef; 2] {
    [
        string_len_null(EnterpriseMember::MemberCitizenId, 14)
            .generated(Expr::cust(CITIZEN_MEMBER), true)
            .to_owned(),
        string_len_null(EnterpriseMember::MemberEnterpriseId, 14)
            .generated(Expr::cust(ENTERPRISE_MEMBER), true)
            .to_owned(),
    ]
}

/// `enterprise_member` as migration 3 made it, or with the generated
/// columns.
fn enterprise_member(generated: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(EnterpriseMember::Table)
        .col(string_len(EnterpriseMember::EnterpriseCode, 14))
        .col(string_len(EnterpriseMember::MemberKind, 10))
        .col(string_len(EnterpriseMember::MemberId, 14))
        .col(integer(EnterpriseMember::ShareBp));
    if generated {
        for column in member_columns() {
            table.col(column);
        }
    }
    table
        .primary_key(
            Index::create()
                .col(EnterpriseMember::EnterpriseCode)
                .col(EnterpriseMember::MemberKind)
                .col(EnterpriseMember::MemberId),
        )
        .foreign_key(
            ForeignKey::create()
                .from(EnterpriseMember::Table, EnterpriseMember::EnterpriseCode)
                .to(Enterprise::Table, Enterprise::Code),
        )
        .to_owned()
}

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

async fn count(manager: &SchemaManager<'_>, sql: &str) -> Result<i64, DbErr> {
    let db = manager.get_connection();
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await?
    .ok_or_else(|| DbErr::Migration(format!("no count from {sql}")))?
    .try_get_by_index(0)
}

/// Fails, naming every table and column, when a row names nobody or a
/// land right's holder is of no known kind.
async fn refuse_orphans(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut problems = Vec::new();
    let unknown = count(
        manager,
        "SELECT COUNT(*) FROM land_right WHERE holder_kind NOT IN ('CITIZEN', 'ENTERPRISE')",
    )
    .await?;
    if unknown > 0 {
        problems.push(format!(
            "land_right.holder_kind: {unknown} {} neither CITIZEN nor ENTERPRISE",
            if unknown == 1 { "row is" } else { "rows are" }
        ));
    }
    for reference in REFERENCES {
        let n = count(manager, &reference.orphans()).await?;
        if n > 0 {
            problems.push(format!(
                "{}.{}: {n} {} no {} ({}.{})",
                reference.table,
                reference.column,
                if n == 1 { "row names" } else { "rows name" },
                reference.parent,
                reference.parent,
                reference.key
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "cannot add the foreign keys, some rows name nobody: {}. Correct or remove these rows, then migrate again (nothing was changed)",
        problems.join("; ")
    )))
}

fn built(manager: &SchemaManager<'_>, statement: &TableCreateStatement) -> String {
    manager.get_database_backend().build(statement).sql
}

async fn postgres_up(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    run(
        manager,
        &[
            "ALTER TABLE land_right ADD COLUMN holder_citizen_id varchar(12), \
             ADD COLUMN holder_enterprise_id varchar(14)",
            "UPDATE land_right SET \
             holder_citizen_id = CASE WHEN holder_kind = 'CITIZEN' THEN holder_id END, \
             holder_enterprise_id = CASE WHEN holder_kind = 'ENTERPRISE' THEN holder_id END",
            "DROP INDEX idx_land_right_holder",
            "ALTER TABLE land_right DROP COLUMN holder_kind, DROP COLUMN holder_id",
            &format!(
                "ALTER TABLE land_right ADD CONSTRAINT {ONE_HOLDER} CHECK ({ONE_HOLDER_CHECK})"
            ),
        ],
    )
    .await?;
    let mut add = Table::alter();
    add.table(EnterpriseMember::Table);
    for column in member_columns() {
        add.add_column(column);
    }
    manager.alter_table(add).await?;
    for (_, index) in new_indexes() {
        manager.create_index(index).await?;
    }
    for reference in REFERENCES {
        run(
            manager,
            &[&format!(
                r#"ALTER TABLE "{}" ADD {}"#,
                reference.table,
                reference.clause()
            )],
        )
        .await?;
    }
    Ok(())
}

async fn postgres_down(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    for reference in REFERENCES.iter().rev() {
        run(
            manager,
            &[&format!(
                r#"ALTER TABLE "{}" DROP CONSTRAINT "{}""#,
                reference.table,
                reference.name()
            )],
        )
        .await?;
    }
    run(
        manager,
        &[
            "ALTER TABLE enterprise_member DROP COLUMN member_citizen_id, \
             DROP COLUMN member_enterprise_id",
            "DROP INDEX idx_citizen_spouse, idx_land_right_holder_citizen, \
             idx_land_right_holder_enterprise",
            "ALTER TABLE land_right ADD COLUMN holder_kind varchar(10), \
             ADD COLUMN holder_id varchar(14)",
            "UPDATE land_right SET \
             holder_kind = CASE WHEN holder_citizen_id IS NOT NULL THEN 'CITIZEN' ELSE 'ENTERPRISE' END, \
             holder_id = COALESCE(holder_citizen_id, holder_enterprise_id)",
            &format!(
                "ALTER TABLE land_right ALTER COLUMN holder_kind SET NOT NULL, \
                 ALTER COLUMN holder_id SET NOT NULL, DROP CONSTRAINT {ONE_HOLDER}, \
                 DROP COLUMN holder_citizen_id, DROP COLUMN holder_enterprise_id"
            ),
        ],
    )
    .await?;
    for (_, index) in old_indexes() {
        manager.create_index(index).await?;
    }
    Ok(())
}

/// A rebuilt table's `CREATE TABLE`, given the one it has now.
fn sqlite_table(
    manager: &SchemaManager<'_>,
    table: &str,
    now: &str,
    up: bool,
) -> Result<String, DbErr> {
    let clauses: Vec<String> = REFERENCES
        .iter()
        .filter(|r| r.table == table)
        .map(|r| r.clause())
        .chain(
            (table == "land_right")
                .then(|| format!("CONSTRAINT \"{ONE_HOLDER}\" CHECK ({ONE_HOLDER_CHECK})")),
        )
        .collect();
    if !up {
        return Ok(match table {
            "land_right" => built(manager, &land_right(false)),
            "enterprise_member" => built(manager, &enterprise_member(false)),
            _ => {
                let mut earlier = now.to_owned();
                for clause in &clauses {
                    let added = format!(", {clause}");
                    if !earlier.contains(&added) {
                        return Err(DbErr::Migration(format!(
                            "the table {table} does not have the constraint this migration added ({clause}): was it changed by hand?"
                        )));
                    }
                    earlier = earlier.replace(&added, "");
                }
                earlier
            }
        });
    }
    let base = match table {
        "land_right" => built(manager, &land_right(true)),
        "enterprise_member" => built(manager, &enterprise_member(true)),
        _ => now.to_owned(),
    };
    // Added before the closing parenthesis, each after a ", ", so that
    // `down` gets the statement back exactly by taking them out.
    let Some(open) = base.strip_suffix(')') else {
        return Err(DbErr::Migration(format!(
            "the CREATE TABLE of {table} does not end with a parenthesis: {base}"
        )));
    };
    Ok(format!("{open}, {})", clauses.join(", ")))
}

/// How a rebuilt table is refilled from its copy `stage`.
fn sqlite_refill(table: &str, stage: &str, up: bool) -> String {
    match (table, up) {
        ("land_right", true) => format!(
            "INSERT INTO land_right (certificate_number, parcel_id, holder_citizen_id, \
             holder_enterprise_id, share_bp, issued_on, status, mortgaged, version, updated_at) \
             SELECT certificate_number, parcel_id, \
             CASE WHEN holder_kind = 'CITIZEN' THEN holder_id END, \
             CASE WHEN holder_kind = 'ENTERPRISE' THEN holder_id END, \
             share_bp, issued_on, status, mortgaged, version, updated_at FROM \"{stage}\""
        ),
        ("land_right", false) => format!(
            "INSERT INTO land_right (certificate_number, parcel_id, holder_kind, holder_id, \
             share_bp, issued_on, status, mortgaged, version, updated_at) \
             SELECT certificate_number, parcel_id, \
             CASE WHEN holder_citizen_id IS NOT NULL THEN 'CITIZEN' ELSE 'ENTERPRISE' END, \
             COALESCE(holder_citizen_id, holder_enterprise_id), \
             share_bp, issued_on, status, mortgaged, version, updated_at FROM \"{stage}\""
        ),
        ("enterprise_member", _) => format!(
            "INSERT INTO enterprise_member (enterprise_code, member_kind, member_id, share_bp) \
             SELECT enterprise_code, member_kind, member_id, share_bp FROM \"{stage}\""
        ),
        _ => format!("INSERT INTO \"{table}\" SELECT * FROM \"{stage}\""),
    }
}

/// Rebuilds every table of [`REBUILT`] with (`up`) or without this
/// migration's constraints, keeping its rows and indexes.
async fn sqlite_rebuild(manager: &SchemaManager<'_>, up: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    // Each table is dropped while rows of others still name it: the
    // check waits for the commit, when every table is whole again.
    db.execute_unprepared("PRAGMA defer_foreign_keys = ON")
        .await?;
    let (replaced, added) = if up {
        (old_indexes(), new_indexes())
    } else {
        (new_indexes(), old_indexes())
    };
    let mut tables = Vec::new();
    for table in REBUILT {
        let now: String = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                [(*table).into()],
            ))
            .await?
            .ok_or_else(|| DbErr::Migration(format!("no table {table}")))?
            .try_get_by_index(0)?;
        let mut indexes = Vec::new();
        for row in db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
                [(*table).into()],
            ))
            .await?
        {
            let name: String = row.try_get_by_index(0)?;
            if !replaced.iter().any(|(_, index)| index_name(index) == name) {
                indexes.push(row.try_get_by_index::<String>(1)?);
            }
        }
        let stage = format!("lienthong_stage_{table}");
        db.execute_unprepared(&format!(
            "CREATE TEMP TABLE \"{stage}\" AS SELECT * FROM \"{table}\""
        ))
        .await?;
        tables.push((
            *table,
            sqlite_table(manager, table, &now, up)?,
            indexes,
            stage,
        ));
    }
    for (table, ..) in tables.iter().rev() {
        db.execute_unprepared(&format!("DROP TABLE \"{table}\""))
            .await?;
    }
    // Every table exists before any is refilled (an insert needs the
    // tables its row names), and is indexed before: while keys are open,
    // SQLite looks up the children of every row it adds, and the tables
    // refilled later are still empty.
    for (table, create, indexes, _) in &tables {
        db.execute_unprepared(create).await?;
        for index in indexes {
            db.execute_unprepared(index).await?;
        }
        for (_, index) in added.iter().filter(|(t, _)| t == table) {
            manager.create_index(index.clone()).await?;
        }
    }
    for (table, _, _, stage) in &tables {
        db.execute_unprepared(&sqlite_refill(table, stage, up))
            .await?;
        db.execute_unprepared(&format!("DROP TABLE \"{stage}\""))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on both stores: all or nothing, and on SQLite the
    /// deferred checks cover every rebuilt table.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        refuse_orphans(manager).await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(manager).await,
            _ => sqlite_rebuild(manager, true).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => postgres_down(manager).await,
            _ => sqlite_rebuild(manager, false).await,
        }
    }
}

//! A revoked token is named by its id *and* the agency whose token it is
//! (`*`: any agency's, for a revocation by the hub operator), so that an
//! agency's revocation reaches only its own tokens, and two agencies naming
//! the same id do not collide. The table is rebuilt with the primary key
//! `(jti, agency)`; revocations made by a hub agency become `*`.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RevokedToken {
    Table,
    Jti,
    Agency,
    ExpiresAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum RevokedTokenOld {
    Table,
}

fn table(by_agency: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(RevokedToken::Table)
        .col(string_len(RevokedToken::Jti, 64))
        .col(string_len(RevokedToken::Agency, 32))
        .col(timestamp_with_time_zone(RevokedToken::ExpiresAt))
        .col(timestamp_with_time_zone(RevokedToken::RevokedAt))
        .col(string_len(RevokedToken::RevokedBy, 32));
    if by_agency {
        table.primary_key(
            Index::create()
                .col(RevokedToken::Jti)
                .col(RevokedToken::Agency),
        );
    } else {
        table.primary_key(Index::create().col(RevokedToken::Jti));
    }
    table.to_owned()
}

/// Rebuilds the table with the new key, copying its rows with `copy`
/// (an `INSERT INTO revoked_token ... SELECT ... FROM revoked_token_old`).
/// SQLite cannot change a primary key in place.
async fn rebuild(manager: &SchemaManager<'_>, by_agency: bool, copy: &str) -> Result<(), DbErr> {
    manager
        .rename_table(
            Table::rename()
                .table(RevokedToken::Table, RevokedTokenOld::Table)
                .to_owned(),
        )
        .await?;
    manager.create_table(table(by_agency)).await?;
    manager.get_connection().execute_unprepared(copy).await?;
    // Dropping the old table drops its index, whose name the new one takes.
    manager
        .drop_table(Table::drop().table(RevokedTokenOld::Table).to_owned())
        .await?;
    manager
        .create_index(crate::index(
            RevokedToken::Table,
            "expires",
            [RevokedToken::ExpiresAt],
        ))
        .await
}

/// Runs statements in order.
async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Revocations made by a hub agency reach every agency's token with that id.
const HUB_REVOCATIONS: &str =
    "CASE WHEN revoked_by IN (SELECT code FROM agency WHERE kind = 'HUB') THEN '*' ELSE agency END";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on both stores: the rebuild is all or nothing, and
    /// every statement sees the one before it (one connection).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            return run(
                manager,
                &[
                    &format!("UPDATE revoked_token SET agency = {HUB_REVOCATIONS}"),
                    "ALTER TABLE revoked_token DROP CONSTRAINT revoked_token_pkey",
                    "ALTER TABLE revoked_token ADD PRIMARY KEY (jti, agency)",
                ],
            )
            .await;
        }
        rebuild(
            manager,
            true,
            &format!(
                "INSERT INTO revoked_token (jti, agency, expires_at, revoked_at, revoked_by) \
                 SELECT jti, {HUB_REVOCATIONS}, expires_at, revoked_at, revoked_by FROM revoked_token_old"
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per id again: before this migration, any token with a
        // revoked id was refused, whoever's it was.
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            return run(
                manager,
                &[
                    "DELETE FROM revoked_token a USING revoked_token b \
                     WHERE a.jti = b.jti AND a.agency > b.agency",
                    "ALTER TABLE revoked_token DROP CONSTRAINT revoked_token_pkey",
                    "ALTER TABLE revoked_token ADD PRIMARY KEY (jti)",
                ],
            )
            .await;
        }
        rebuild(
            manager,
            false,
            "INSERT INTO revoked_token (jti, agency, expires_at, revoked_at, revoked_by) \
             SELECT jti, MIN(agency), MAX(expires_at), MIN(revoked_at), MIN(revoked_by) \
             FROM revoked_token_old GROUP BY jti",
        )
        .await
    }
}

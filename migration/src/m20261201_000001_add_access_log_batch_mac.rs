//! The batch MAC of the access log: an HMAC, under a key the database does
//! not hold, on the last row of each batch the writer commits, so that a
//! database writer alone cannot rewrite the chain's history undetected.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AccessLog {
    Table,
    BatchMac,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessLog::Table)
                    .add_column(string_len_null(AccessLog::BatchMac, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessLog::Table)
                    .drop_column(AccessLog::BatchMac)
                    .to_owned(),
            )
            .await
    }
}

//! The agencies that may call the hub.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Agency {
    Table,
    Code,
    Name,
    Kind,
    ProvinceCode,
    Owns,
    Status,
    ClientSecretHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Agency::Table)
                    .col(string_len(Agency::Code, 32).primary_key())
                    .col(string(Agency::Name))
                    .col(string_len(Agency::Kind, 10))
                    .col(string_len_null(Agency::ProvinceCode, 2))
                    .col(string(Agency::Owns))
                    .col(string_len(Agency::Status, 10))
                    .col(string_null(Agency::ClientSecretHash))
                    .col(timestamp_with_time_zone(Agency::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Agency::Table).to_owned())
            .await
    }
}

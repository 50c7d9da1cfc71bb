//! Every rotation of an agency's client secret, with who rotated it and
//! when, so that the agency sees each one.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SecretRotation {
    Table,
    Id,
    Agency,
    RotatedAt,
    RotatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SecretRotation::Table)
                    .col(big_pk_auto(SecretRotation::Id))
                    .col(string_len(SecretRotation::Agency, 32))
                    .col(timestamp_with_time_zone(SecretRotation::RotatedAt))
                    .col(string_len(SecretRotation::RotatedBy, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                SecretRotation::Table,
                "agency_id",
                [SecretRotation::Agency, SecretRotation::Id],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SecretRotation::Table).to_owned())
            .await
    }
}

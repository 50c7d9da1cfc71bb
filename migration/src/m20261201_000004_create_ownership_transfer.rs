//! Hand-overs of a dataset between owners: proposed by the owner, accepted
//! by the receiving ministry, each step recorded with its time.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum OwnershipTransfer {
    Table,
    Id,
    Dataset,
    FromAgency,
    ToAgency,
    Reason,
    ProposedAt,
    State,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OwnershipTransfer::Table)
                    .col(string_len(OwnershipTransfer::Id, 36).primary_key())
                    .col(string_len(OwnershipTransfer::Dataset, 12))
                    .col(string_len(OwnershipTransfer::FromAgency, 32))
                    .col(string_len(OwnershipTransfer::ToAgency, 32))
                    .col(string_len(OwnershipTransfer::Reason, 500))
                    .col(timestamp_with_time_zone(OwnershipTransfer::ProposedAt))
                    .col(string_len(OwnershipTransfer::State, 12))
                    .col(timestamp_with_time_zone_null(OwnershipTransfer::DecidedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                OwnershipTransfer::Table,
                "dataset_state",
                [OwnershipTransfer::Dataset, OwnershipTransfer::State],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OwnershipTransfer::Table).to_owned())
            .await
    }
}

//! The change feed (one row per change, numbered by a counter that is moved
//! under a row lock so that numbers commit in order) and the idempotency
//! keys of retried mutations.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ChangeEvent {
    Table,
    Seq,
    At,
    Dataset,
    Entity,
    Key,
    Op,
    ProvinceCode,
    Agency,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChangeCounter {
    Table,
    Id,
    LastSeq,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKey {
    Table,
    Agency,
    Key,
    RequestHash,
    Operation,
    ResultKey,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeEvent::Table)
                    .col(big_integer(ChangeEvent::Seq).primary_key())
                    .col(timestamp_with_time_zone(ChangeEvent::At))
                    .col(string_len(ChangeEvent::Dataset, 12))
                    .col(string_len(ChangeEvent::Entity, 32))
                    .col(string_len(ChangeEvent::Key, 32))
                    .col(string_len(ChangeEvent::Op, 16))
                    .col(string_len(ChangeEvent::ProvinceCode, 2))
                    .col(string_len(ChangeEvent::Agency, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                ChangeEvent::Table,
                "dataset_province_seq",
                [
                    ChangeEvent::Dataset,
                    ChangeEvent::ProvinceCode,
                    ChangeEvent::Seq,
                ],
            ))
            .await?;
        manager
            .create_index(crate::index(
                ChangeEvent::Table,
                "dataset_seq",
                [ChangeEvent::Dataset, ChangeEvent::Seq],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChangeCounter::Table)
                    .col(integer(ChangeCounter::Id).primary_key())
                    .col(big_integer(ChangeCounter::LastSeq))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ChangeCounter::Table)
                    .columns([ChangeCounter::Id, ChangeCounter::LastSeq])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .col(string_len(IdempotencyKey::Agency, 32))
                    .col(string_len(IdempotencyKey::Key, 128))
                    .col(string_len(IdempotencyKey::RequestHash, 64))
                    .col(string_len(IdempotencyKey::Operation, 64))
                    .col(string_len(IdempotencyKey::ResultKey, 64))
                    .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKey::Agency)
                            .col(IdempotencyKey::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                IdempotencyKey::Table,
                "created_at",
                [IdempotencyKey::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKey::Table.into_iden(),
            ChangeCounter::Table.into_iden(),
            ChangeEvent::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

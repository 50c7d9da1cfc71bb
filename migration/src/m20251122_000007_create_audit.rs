//! The access log (one hash chain per node), its subject index, the chain
//! heads, and the daily sharing counters.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AccessLog {
    Table,
    Seq,
    At,
    Node,
    Agency,
    GrantId,
    Operation,
    Dataset,
    Subjects,
    Fields,
    Purpose,
    CaseRef,
    RequestId,
    PrevHash,
    Hash,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessLogSubject {
    Table,
    Subject,
    Seq,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditChain {
    Table,
    Node,
    HeadHash,
    Length,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SharingDay {
    Table,
    Day,
    Dataset,
    Agency,
    Requests,
    Refusals,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessLog::Table)
                    .col(big_pk_auto(AccessLog::Seq))
                    .col(timestamp_with_time_zone(AccessLog::At))
                    .col(string_len(AccessLog::Node, 64))
                    .col(string_len(AccessLog::Agency, 32))
                    .col(text_null(AccessLog::GrantId))
                    .col(string_len(AccessLog::Operation, 128))
                    .col(string_len(AccessLog::Dataset, 12))
                    .col(text(AccessLog::Subjects))
                    .col(text(AccessLog::Fields))
                    .col(text_null(AccessLog::Purpose))
                    .col(text_null(AccessLog::CaseRef))
                    .col(string_len(AccessLog::RequestId, 64))
                    .col(string_len(AccessLog::PrevHash, 64))
                    .col(string_len(AccessLog::Hash, 64).unique_key())
                    .to_owned(),
            )
            .await?;
        for (suffix, column) in [
            ("dataset_seq", AccessLog::Dataset),
            ("agency_seq", AccessLog::Agency),
            ("node_seq", AccessLog::Node),
        ] {
            manager
                .create_index(crate::index(
                    AccessLog::Table,
                    suffix,
                    [column, AccessLog::Seq],
                ))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AccessLogSubject::Table)
                    .col(string_len(AccessLogSubject::Subject, 32))
                    .col(big_integer(AccessLogSubject::Seq))
                    .primary_key(
                        Index::create()
                            .col(AccessLogSubject::Subject)
                            .col(AccessLogSubject::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                AccessLogSubject::Table,
                "seq",
                [AccessLogSubject::Seq],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditChain::Table)
                    .col(string_len(AuditChain::Node, 64).primary_key())
                    .col(string_len(AuditChain::HeadHash, 64))
                    .col(big_integer(AuditChain::Length))
                    .col(timestamp_with_time_zone(AuditChain::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SharingDay::Table)
                    .col(date(SharingDay::Day))
                    .col(string_len(SharingDay::Dataset, 12))
                    .col(string_len(SharingDay::Agency, 32))
                    .col(big_integer(SharingDay::Requests))
                    .col(big_integer(SharingDay::Refusals))
                    .primary_key(
                        Index::create()
                            .col(SharingDay::Day)
                            .col(SharingDay::Dataset)
                            .col(SharingDay::Agency),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SharingDay::Table.into_iden(),
            AuditChain::Table.into_iden(),
            AccessLogSubject::Table.into_iden(),
            AccessLog::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

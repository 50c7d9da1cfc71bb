//! Trusted documents: the GraphQL documents registered for an agency (by
//! the hub operator or an owner that granted it access), and who requires
//! the agency to run only those.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum TrustedDocument {
    Table,
    Agency,
    Id,
    Name,
    Document,
    RegisteredBy,
    RegisteredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TrustedDocumentRequirement {
    Table,
    Agency,
    RequiredBy,
    Since,
}

#[derive(DeriveIden, Clone, Copy)]
enum Agency {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrustedDocument::Table)
                    .col(string_len(TrustedDocument::Agency, 32))
                    // The SHA-256 of the document, lower-case hex.
                    .col(string_len(TrustedDocument::Id, 64))
                    .col(string_len(TrustedDocument::Name, 200))
                    .col(text(TrustedDocument::Document))
                    .col(string_len(TrustedDocument::RegisteredBy, 32))
                    .col(timestamp_with_time_zone(TrustedDocument::RegisteredAt))
                    .primary_key(
                        Index::create()
                            .col(TrustedDocument::Agency)
                            .col(TrustedDocument::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TrustedDocument::Table, TrustedDocument::Agency)
                            .to(Agency::Table, Agency::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TrustedDocumentRequirement::Table)
                    .col(string_len(TrustedDocumentRequirement::Agency, 32))
                    .col(string_len(TrustedDocumentRequirement::RequiredBy, 32))
                    .col(timestamp_with_time_zone(TrustedDocumentRequirement::Since))
                    .primary_key(
                        Index::create()
                            .col(TrustedDocumentRequirement::Agency)
                            .col(TrustedDocumentRequirement::RequiredBy),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                TrustedDocumentRequirement::Table,
                                TrustedDocumentRequirement::Agency,
                            )
                            .to(Agency::Table, Agency::Code),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(TrustedDocumentRequirement::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(TrustedDocument::Table).to_owned())
            .await
    }
}

//! Access grants given by data owners, access requests from consumers, and
//! revoked tokens.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Agency {
    Table,
    Code,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessGrant {
    Table,
    Id,
    Dataset,
    Grantee,
    Scopes,
    Jurisdiction,
    Purpose,
    LegalBasis,
    RequiresPurpose,
    ValidFrom,
    ValidUntil,
    GrantedBy,
    GrantedAt,
    RevokedAt,
    RevokeReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessRequest {
    Table,
    Id,
    Requester,
    Dataset,
    Scopes,
    Jurisdiction,
    Purpose,
    LegalBasis,
    RequestedAt,
    DueBy,
    Status,
    DecidedAt,
    DecidedBy,
    DecisionReason,
    GrantId,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessEpoch {
    Table,
    Id,
    Epoch,
}

#[derive(DeriveIden, Clone, Copy)]
enum RevokedToken {
    Table,
    Jti,
    Agency,
    ExpiresAt,
    RevokedAt,
    RevokedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessGrant::Table)
                    .col(string_len(AccessGrant::Id, 36).primary_key())
                    .col(string_len(AccessGrant::Dataset, 12))
                    .col(string_len(AccessGrant::Grantee, 32))
                    .col(text(AccessGrant::Scopes))
                    .col(text(AccessGrant::Jurisdiction))
                    .col(text(AccessGrant::Purpose))
                    .col(text(AccessGrant::LegalBasis))
                    .col(boolean(AccessGrant::RequiresPurpose).default(false))
                    .col(timestamp_with_time_zone(AccessGrant::ValidFrom))
                    .col(timestamp_with_time_zone_null(AccessGrant::ValidUntil))
                    .col(string_len(AccessGrant::GrantedBy, 32))
                    .col(timestamp_with_time_zone(AccessGrant::GrantedAt))
                    .col(timestamp_with_time_zone_null(AccessGrant::RevokedAt))
                    .col(text_null(AccessGrant::RevokeReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccessGrant::Table, AccessGrant::Grantee)
                            .to(Agency::Table, Agency::Code)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                AccessGrant::Table,
                "grantee",
                [AccessGrant::Grantee, AccessGrant::RevokedAt],
            ))
            .await?;
        manager
            .create_index(crate::index(
                AccessGrant::Table,
                "granted_by",
                [AccessGrant::GrantedBy, AccessGrant::GrantedAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccessRequest::Table)
                    .col(string_len(AccessRequest::Id, 36).primary_key())
                    .col(string_len(AccessRequest::Requester, 32))
                    .col(string_len(AccessRequest::Dataset, 12))
                    .col(text(AccessRequest::Scopes))
                    .col(text(AccessRequest::Jurisdiction))
                    .col(text(AccessRequest::Purpose))
                    .col(text(AccessRequest::LegalBasis))
                    .col(timestamp_with_time_zone(AccessRequest::RequestedAt))
                    .col(timestamp_with_time_zone(AccessRequest::DueBy))
                    .col(string_len(AccessRequest::Status, 10))
                    .col(timestamp_with_time_zone_null(AccessRequest::DecidedAt))
                    .col(string_len_null(AccessRequest::DecidedBy, 32))
                    .col(text_null(AccessRequest::DecisionReason))
                    .col(string_len_null(AccessRequest::GrantId, 36))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccessRequest::Table, AccessRequest::Requester)
                            .to(Agency::Table, Agency::Code)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                AccessRequest::Table,
                "dataset",
                [AccessRequest::Dataset, AccessRequest::Status],
            ))
            .await?;
        manager
            .create_index(crate::index(
                AccessRequest::Table,
                "requester",
                [AccessRequest::Requester],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RevokedToken::Table)
                    .col(string_len(RevokedToken::Jti, 64).primary_key())
                    .col(string_len(RevokedToken::Agency, 32))
                    .col(timestamp_with_time_zone(RevokedToken::ExpiresAt))
                    .col(timestamp_with_time_zone(RevokedToken::RevokedAt))
                    .col(string_len(RevokedToken::RevokedBy, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                RevokedToken::Table,
                "expires",
                [RevokedToken::ExpiresAt],
            ))
            .await?;

        // One row counting changes to access, so that every node can tell
        // in one read whether it has heard of all of them.
        manager
            .create_table(
                Table::create()
                    .table(AccessEpoch::Table)
                    .col(integer(AccessEpoch::Id).primary_key())
                    .col(big_integer(AccessEpoch::Epoch))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AccessEpoch::Table)
                    .columns([AccessEpoch::Id, AccessEpoch::Epoch])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AccessEpoch::Table.into_iden(),
            RevokedToken::Table.into_iden(),
            AccessRequest::Table.into_iden(),
            AccessGrant::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

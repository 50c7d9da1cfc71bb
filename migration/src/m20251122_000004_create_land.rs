//! The land register: parcels and land-use right certificates.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Commune {
    Table,
    Code,
}

#[derive(DeriveIden, Clone, Copy)]
enum LandParcel {
    Table,
    Id,
    CommuneCode,
    ProvinceCode,
    MapSheet,
    ParcelNumber,
    AreaM2,
    LandUse,
    AddressLine,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LandRight {
    Table,
    CertificateNumber,
    ParcelId,
    HolderKind,
    HolderId,
    ShareBp,
    IssuedOn,
    Status,
    Mortgaged,
    Version,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LandParcel::Table)
                    .col(string_len(LandParcel::Id, 24).primary_key())
                    .col(string_len(LandParcel::CommuneCode, 5))
                    .col(string_len(LandParcel::ProvinceCode, 2))
                    .col(integer(LandParcel::MapSheet))
                    .col(integer(LandParcel::ParcelNumber))
                    .col(double(LandParcel::AreaM2))
                    .col(string_len(LandParcel::LandUse, 4))
                    .col(string(LandParcel::AddressLine))
                    .col(integer(LandParcel::Version).default(1))
                    .col(timestamp_with_time_zone(LandParcel::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LandParcel::Table, LandParcel::CommuneCode)
                            .to(Commune::Table, Commune::Code),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            ("province", vec![LandParcel::ProvinceCode, LandParcel::Id]),
            ("commune", vec![LandParcel::CommuneCode, LandParcel::Id]),
            (
                "province_use",
                vec![
                    LandParcel::ProvinceCode,
                    LandParcel::LandUse,
                    LandParcel::Id,
                ],
            ),
            ("use", vec![LandParcel::LandUse, LandParcel::Id]),
        ];
        for (suffix, columns) in indexes {
            manager
                .create_index(crate::index(LandParcel::Table, suffix, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(LandRight::Table)
                    .col(string_len(LandRight::CertificateNumber, 12).primary_key())
                    .col(string_len(LandRight::ParcelId, 24))
                    .col(string_len(LandRight::HolderKind, 10))
                    .col(string_len(LandRight::HolderId, 14))
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                LandRight::Table,
                "parcel",
                [LandRight::ParcelId, LandRight::CertificateNumber],
            ))
            .await?;
        manager
            .create_index(crate::index(
                LandRight::Table,
                "holder",
                [
                    LandRight::HolderKind,
                    LandRight::HolderId,
                    LandRight::CertificateNumber,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LandRight::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LandParcel::Table).to_owned())
            .await
    }
}

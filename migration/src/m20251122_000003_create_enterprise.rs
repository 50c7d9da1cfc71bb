//! The business register: enterprises, their members and industries.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Commune {
    Table,
    Code,
}

#[derive(DeriveIden, Clone, Copy)]
enum Industry {
    Table,
    VsicCode,
}

// The column `enterprise_type` repeats the table's name by design.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden, Clone, Copy)]
enum Enterprise {
    Table,
    Code,
    Name,
    SearchName,
    NameEn,
    EnterpriseType,
    Status,
    FoundedOn,
    RegisteredCapitalVnd,
    HeadOfficeCommune,
    HeadOfficeProvince,
    HeadOfficeLine,
    LegalRepId,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EnterpriseMember {
    Table,
    EnterpriseCode,
    MemberKind,
    MemberId,
    ShareBp,
}

#[derive(DeriveIden, Clone, Copy)]
enum EnterpriseIndustry {
    Table,
    EnterpriseCode,
    VsicCode,
    IsMain,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Enterprise::Table)
                    .col(string_len(Enterprise::Code, 14).primary_key())
                    .col(string(Enterprise::Name))
                    .col(string(Enterprise::SearchName))
                    .col(string_null(Enterprise::NameEn))
                    .col(string_len(Enterprise::EnterpriseType, 12))
                    .col(string_len(Enterprise::Status, 10))
                    .col(date(Enterprise::FoundedOn))
                    .col(big_integer(Enterprise::RegisteredCapitalVnd))
                    .col(string_len(Enterprise::HeadOfficeCommune, 5))
                    .col(string_len(Enterprise::HeadOfficeProvince, 2))
                    .col(string(Enterprise::HeadOfficeLine))
                    .col(string_len(Enterprise::LegalRepId, 12))
                    .col(integer(Enterprise::Version).default(1))
                    .col(timestamp_with_time_zone(Enterprise::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Enterprise::Table, Enterprise::HeadOfficeCommune)
                            .to(Commune::Table, Commune::Code),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            (
                "province",
                vec![Enterprise::HeadOfficeProvince, Enterprise::Code],
            ),
            (
                "commune",
                vec![Enterprise::HeadOfficeCommune, Enterprise::Code],
            ),
            ("name", vec![Enterprise::SearchName, Enterprise::Code]),
            ("status", vec![Enterprise::Status, Enterprise::Code]),
            ("type", vec![Enterprise::EnterpriseType, Enterprise::Code]),
            ("legal_rep", vec![Enterprise::LegalRepId]),
        ];
        for (suffix, columns) in indexes {
            manager
                .create_index(crate::index(Enterprise::Table, suffix, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(EnterpriseMember::Table)
                    .col(string_len(EnterpriseMember::EnterpriseCode, 14))
                    .col(string_len(EnterpriseMember::MemberKind, 10))
                    .col(string_len(EnterpriseMember::MemberId, 14))
                    .col(integer(EnterpriseMember::ShareBp))
                    .primary_key(
                        Index::create()
                            .col(EnterpriseMember::EnterpriseCode)
                            .col(EnterpriseMember::MemberKind)
                            .col(EnterpriseMember::MemberId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EnterpriseMember::Table, EnterpriseMember::EnterpriseCode)
                            .to(Enterprise::Table, Enterprise::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                EnterpriseMember::Table,
                "member",
                [EnterpriseMember::MemberKind, EnterpriseMember::MemberId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EnterpriseIndustry::Table)
                    .col(string_len(EnterpriseIndustry::EnterpriseCode, 14))
                    .col(string_len(EnterpriseIndustry::VsicCode, 5))
                    .col(boolean(EnterpriseIndustry::IsMain))
                    .primary_key(
                        Index::create()
                            .col(EnterpriseIndustry::EnterpriseCode)
                            .col(EnterpriseIndustry::VsicCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                EnterpriseIndustry::Table,
                                EnterpriseIndustry::EnterpriseCode,
                            )
                            .to(Enterprise::Table, Enterprise::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EnterpriseIndustry::Table, EnterpriseIndustry::VsicCode)
                            .to(Industry::Table, Industry::VsicCode),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                EnterpriseIndustry::Table,
                "vsic",
                [
                    EnterpriseIndustry::VsicCode,
                    EnterpriseIndustry::EnterpriseCode,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EnterpriseIndustry::Table.into_iden(),
            EnterpriseMember::Table.into_iden(),
            Enterprise::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! The population register: households and citizens.
//!
//! Parent and spouse links carry no foreign key: bulk loads insert a family
//! in any order, and the register's own rules (not the database) decide who
//! may be linked to whom.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Commune {
    Table,
    Code,
}

#[derive(DeriveIden, Clone, Copy)]
enum Household {
    Table,
    Id,
    HeadId,
    CommuneCode,
    ProvinceCode,
    AddressLine,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum Citizen {
    Table,
    PersonalId,
    FullName,
    SearchName,
    Sex,
    DateOfBirth,
    Ethnicity,
    Nationality,
    PlaceOfOriginCommune,
    ResidenceCommune,
    ResidenceProvince,
    ResidenceLine,
    HouseholdId,
    FatherId,
    MotherId,
    SpouseId,
    Status,
    DateOfDeath,
    Version,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Household::Table)
                    .col(big_integer(Household::Id).primary_key())
                    .col(string_len(Household::HeadId, 12))
                    .col(string_len(Household::CommuneCode, 5))
                    .col(string_len(Household::ProvinceCode, 2))
                    .col(string(Household::AddressLine))
                    .col(integer(Household::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Household::Table, Household::CommuneCode)
                            .to(Commune::Table, Commune::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                Household::Table,
                "commune",
                [Household::CommuneCode, Household::Id],
            ))
            .await?;
        manager
            .create_index(crate::index(Household::Table, "head", [Household::HeadId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Citizen::Table)
                    .col(string_len(Citizen::PersonalId, 12).primary_key())
                    .col(string(Citizen::FullName))
                    .col(string(Citizen::SearchName))
                    .col(string_len(Citizen::Sex, 8))
                    .col(date(Citizen::DateOfBirth))
                    .col(string_len(Citizen::Ethnicity, 32))
                    .col(string_len(Citizen::Nationality, 2))
                    .col(string_len(Citizen::PlaceOfOriginCommune, 5))
                    .col(string_len(Citizen::ResidenceCommune, 5))
                    .col(string_len(Citizen::ResidenceProvince, 2))
                    .col(string(Citizen::ResidenceLine))
                    .col(big_integer_null(Citizen::HouseholdId))
                    .col(string_len_null(Citizen::FatherId, 12))
                    .col(string_len_null(Citizen::MotherId, 12))
                    .col(string_len_null(Citizen::SpouseId, 12))
                    .col(string_len(Citizen::Status, 10))
                    .col(date_null(Citizen::DateOfDeath))
                    .col(integer(Citizen::Version).default(1))
                    .col(timestamp_with_time_zone(Citizen::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Citizen::Table, Citizen::ResidenceCommune)
                            .to(Commune::Table, Commune::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Citizen::Table, Citizen::PlaceOfOriginCommune)
                            .to(Commune::Table, Commune::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Citizen::Table, Citizen::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Every listing orders by personal id (keyset pagination), or by
        // folded name then personal id when it searches by name; each filter
        // has an index that yields rows in that order.
        let indexes = [
            (
                "province",
                vec![Citizen::ResidenceProvince, Citizen::PersonalId],
            ),
            (
                "commune",
                vec![Citizen::ResidenceCommune, Citizen::PersonalId],
            ),
            ("name", vec![Citizen::SearchName, Citizen::PersonalId]),
            (
                "province_name",
                vec![
                    Citizen::ResidenceProvince,
                    Citizen::SearchName,
                    Citizen::PersonalId,
                ],
            ),
            ("birth", vec![Citizen::DateOfBirth]),
            ("household", vec![Citizen::HouseholdId]),
            ("father", vec![Citizen::FatherId]),
            ("mother", vec![Citizen::MotherId]),
        ];
        for (suffix, columns) in indexes {
            manager
                .create_index(crate::index(Citizen::Table, suffix, columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Citizen::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Household::Table).to_owned())
            .await
    }
}

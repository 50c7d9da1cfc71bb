//! Administrative units (new and former) and the industry classification,
//! with their reference data.
use crate::reference as csv;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Province {
    Table,
    Code,
    Name,
    NameEn,
    Kind,
}

#[derive(DeriveIden, Clone, Copy)]
enum Commune {
    Table,
    Code,
    Name,
    NameAscii,
    Kind,
    ProvinceCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum LegacyProvince {
    Table,
    Code,
    Name,
    NewProvinceCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum LegacyCommune {
    Table,
    OldCode,
    NewCode,
    OldName,
    OldDistrictName,
    OldProvinceCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum Industry {
    Table,
    VsicCode,
    Name,
}

/// Rows per INSERT statement: well under the bound-parameter limits of both
/// databases.
const CHUNK: usize = 500;

async fn insert_rows<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    columns: &[C],
    rows: Vec<Vec<String>>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(table).columns(columns.iter().copied());
        for row in chunk {
            insert.values_panic(row.iter().map(|v| v.clone().into()));
        }
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}

fn owned(rows: impl Iterator<Item = Vec<&'static str>>, pick: &[usize]) -> Vec<Vec<String>> {
    rows.map(|r| pick.iter().map(|&i| r[i].to_owned()).collect())
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Province::Table)
                    .col(string_len(Province::Code, 2).primary_key())
                    .col(string(Province::Name))
                    .col(string(Province::NameEn))
                    .col(string_len(Province::Kind, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Commune::Table)
                    .col(string_len(Commune::Code, 5).primary_key())
                    .col(string(Commune::Name))
                    .col(string(Commune::NameAscii))
                    .col(string_len(Commune::Kind, 16))
                    .col(string_len(Commune::ProvinceCode, 2))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Commune::Table, Commune::ProvinceCode)
                            .to(Province::Table, Province::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                Commune::Table,
                "province",
                [Commune::ProvinceCode, Commune::Code],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LegacyProvince::Table)
                    .col(string_len(LegacyProvince::Code, 2).primary_key())
                    .col(string(LegacyProvince::Name))
                    .col(string_len(LegacyProvince::NewProvinceCode, 2))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LegacyProvince::Table, LegacyProvince::NewProvinceCode)
                            .to(Province::Table, Province::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LegacyCommune::Table)
                    .col(string_len(LegacyCommune::OldCode, 5))
                    .col(string_len(LegacyCommune::NewCode, 5))
                    .col(string(LegacyCommune::OldName))
                    .col(string(LegacyCommune::OldDistrictName))
                    .col(string_len(LegacyCommune::OldProvinceCode, 2))
                    .primary_key(
                        Index::create()
                            .col(LegacyCommune::OldCode)
                            .col(LegacyCommune::NewCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LegacyCommune::Table, LegacyCommune::NewCode)
                            .to(Commune::Table, Commune::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                LegacyCommune::Table,
                "new_code",
                [LegacyCommune::NewCode],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Industry::Table)
                    .col(string_len(Industry::VsicCode, 5).primary_key())
                    .col(string(Industry::Name))
                    .to_owned(),
            )
            .await?;

        insert_rows(
            manager,
            Province::Table,
            &[
                Province::Code,
                Province::Name,
                Province::NameEn,
                Province::Kind,
            ],
            owned(csv::rows(csv::PROVINCES), &[0, 1, 2, 3]),
        )
        .await?;
        insert_rows(
            manager,
            Commune::Table,
            &[
                Commune::Code,
                Commune::Name,
                Commune::NameAscii,
                Commune::Kind,
                Commune::ProvinceCode,
            ],
            owned(csv::rows(csv::COMMUNES), &[0, 1, 2, 3, 4]),
        )
        .await?;
        insert_rows(
            manager,
            LegacyProvince::Table,
            &[
                LegacyProvince::Code,
                LegacyProvince::Name,
                LegacyProvince::NewProvinceCode,
            ],
            owned(csv::rows(csv::LEGACY_PROVINCES), &[0, 1, 2]),
        )
        .await?;
        insert_rows(
            manager,
            LegacyCommune::Table,
            &[
                LegacyCommune::OldCode,
                LegacyCommune::OldName,
                LegacyCommune::OldDistrictName,
                LegacyCommune::OldProvinceCode,
                LegacyCommune::NewCode,
            ],
            owned(csv::rows(csv::LEGACY_COMMUNES), &[0, 1, 2, 3, 4]),
        )
        .await?;
        insert_rows(
            manager,
            Industry::Table,
            &[Industry::VsicCode, Industry::Name],
            owned(csv::rows(csv::INDUSTRIES), &[0, 1]),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Industry::Table.into_iden(),
            LegacyCommune::Table.into_iden(),
            LegacyProvince::Table.into_iden(),
            Commune::Table.into_iden(),
            Province::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

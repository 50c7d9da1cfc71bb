//! The database schema of Lienthong as frozen history: each migration is
//! applied once, in order, on SQLite and on PostgreSQL alike. Migrations
//! name their tables and columns with their own `Iden` enums and never
//! import the entities, so that later changes to the entities cannot rewrite
//! what an earlier migration did.

pub use sea_orm_migration::prelude::*;

mod m20251122_000001_create_admin_units;
mod m20251122_000002_create_population;
mod m20251122_000003_create_enterprise;
mod m20251122_000004_create_land;
mod m20251122_000005_create_agency;
mod m20251122_000006_create_access_grants;
mod m20251122_000007_create_audit;
mod m20251122_000008_create_change_feed;
mod m20261201_000001_add_access_log_batch_mac;
mod m20261201_000002_key_revoked_token_by_agency;
mod m20261201_000003_create_secret_rotation;
mod m20261201_000004_create_ownership_transfer;
mod m20261201_000005_add_foreign_keys;
mod m20261202_000006_create_trusted_documents;
pub mod reference;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251122_000001_create_admin_units::Migration),
            Box::new(m20251122_000002_create_population::Migration),
            Box::new(m20251122_000003_create_enterprise::Migration),
            Box::new(m20251122_000004_create_land::Migration),
            Box::new(m20251122_000005_create_agency::Migration),
            Box::new(m20251122_000006_create_access_grants::Migration),
            Box::new(m20251122_000007_create_audit::Migration),
            Box::new(m20251122_000008_create_change_feed::Migration),
            Box::new(m20261201_000001_add_access_log_batch_mac::Migration),
            Box::new(m20261201_000002_key_revoked_token_by_agency::Migration),
            Box::new(m20261201_000003_create_secret_rotation::Migration),
            Box::new(m20261201_000004_create_ownership_transfer::Migration),
            Box::new(m20261201_000005_add_foreign_keys::Migration),
            Box::new(m20261202_000006_create_trusted_documents::Migration),
        ]
    }
}

/// Creates a plain (non-unique) index named `idx_<table>_<suffix>`.
pub(crate) fn index<T, C, I>(table: T, suffix: &str, columns: I) -> IndexCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIndexColumn,
    I: IntoIterator<Item = C>,
{
    let table_name = table.clone().into_iden().to_string();
    let mut stmt = Index::create();
    stmt.name(format!("idx_{table_name}_{suffix}")).table(table);
    for column in columns {
        stmt.col(column);
    }
    stmt.to_owned()
}

//! The GraphQL schema: one module per dataset, merged into the roots here.
//!
//! Building the schema has no side effects (no connection, no migration), so
//! `lienthong schema` and the `schema.graphql` test need no database. Each
//! request carries its own data: the [`Principal`], a fresh [`Loaders`]
//! data loader (so no cache is shared between agencies) and the database.

/// Declares a GraphQL enum mirroring an entity enum, with conversions both
/// ways, so that database enums never derive GraphQL traits themselves.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident = $source:path { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl From<$source> for $name {
            fn from(value: $source) -> Self {
                use $source as Source;
                match value {
                    $(Source::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $source {
            fn from(value: $name) -> Self {
                use $source as Source;
                match value {
                    $($name::$variant => Source::$variant),+
                }
            }
        }
    };
}

pub mod access;
pub mod admin;
pub mod enterprise;
pub mod guard;
pub mod land;
pub mod loaders;
pub mod page;
pub mod population;

use crate::auth::Principal;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptyMutation, EmptySubscription, MergedObject, Schema};
use loaders::Loaders;
use sea_orm::DatabaseConnection;

/// The query root: every dataset's queries, merged.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    access::AccessQuery,
    admin::AdminQuery,
    population::PopulationQuery,
    land::LandQuery,
    enterprise::EnterpriseQuery,
);

pub type LienthongSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Builds the schema. Pure: safe to call without a database.
pub fn build_schema() -> LienthongSchema {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .extension(crate::error::ErrorCodes)
        .disable_suggestions()
        .limit_depth(16)
        .limit_complexity(20_000)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}

/// What the HTTP layer attaches to every authenticated request.
pub fn request_data(
    request: async_graphql::Request,
    principal: Principal,
    db: DatabaseConnection,
) -> async_graphql::Request {
    let loader = DataLoader::new(Loaders::new(db.clone()), tokio::spawn).max_batch_size(1000);
    request.data(principal).data(loader).data(db)
}

pub(crate) fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    ctx.data_unchecked::<Principal>()
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> &'a DataLoader<Loaders> {
    ctx.data_unchecked::<DataLoader<Loaders>>()
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

//! Enterprise queries: an enterprise by tax code, enterprises listed in a
//! jurisdiction.

use super::types::*;
use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::page::{Conn, CursorKind, connection};
use crate::graphql::{db, principal};
use crate::ids;
use crate::registers::enterprise as registers;
use async_graphql::{Context, InputObject, Object};

/// Which enterprises to list. Every filter is optional; they combine with AND.
#[derive(InputObject, Default, Debug)]
pub struct EnterpriseFilter {
    /// Words of the name, without or with diacritics: `minh anh` finds
    /// `Công ty TNHH Minh Anh`.
    pub name: Option<String>,
    /// Registration status.
    pub status: Option<EnterpriseStatus>,
    /// Legal form.
    pub r#type: Option<EnterpriseType>,
    /// Province of the head office; must be in your jurisdiction.
    pub province_code: Option<String>,
    /// Commune of the head office; must be in your jurisdiction.
    pub commune_code: Option<String>,
    /// A registered industry (VSIC code), main or not.
    pub industry_code: Option<String>,
}

impl EnterpriseFilter {
    /// The register's form of this filter.
    fn listing(&self) -> registers::EnterpriseListing<'_> {
        registers::EnterpriseListing {
            name: self.name.as_deref(),
            status: self.status.map(Into::into),
            r#type: self.r#type.map(Into::into),
            province_code: self.province_code.as_deref(),
            commune_code: self.commune_code.as_deref(),
            industry_code: self.industry_code.as_deref(),
        }
    }
}

/// Enterprise queries.
#[derive(Default)]
pub struct EnterpriseQuery;

#[Object]
impl EnterpriseQuery {
    /// An enterprise by tax code, anywhere in the country; `null` if none has it.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn enterprise(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Enterprise>> {
        ids::parse_tax_code(&code).gql()?;
        load_enterprise(ctx, &code).await
    }

    /// Enterprises with a head office in your jurisdiction, filtered, one
    /// page at a time, in code order.
    #[graphql(
        guard = "Scope::EnterpriseRead",
        complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 1"
    )]
    async fn enterprises(
        &self,
        ctx: &Context<'_>,
        filter: Option<EnterpriseFilter>,
        #[graphql(desc = "Page size, 50 by default, at most 500.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last enterprise of the previous page.")] after: Option<
            String,
        >,
    ) -> async_graphql::Result<Option<Conn<Enterprise>>> {
        let filter = filter.unwrap_or_default();
        let (listing, page) =
            crate::graphql::paged(ctx, CursorKind::Enterprises, &filter, first, after)?;
        let rows = registers::list_enterprises(db(ctx)?, principal(ctx)?, &filter.listing(), &page)
            .await
            .gql()?;
        Ok(Some(connection(
            rows,
            &page,
            |e| listing.cursor(&[&e.code]),
            Enterprise,
        )))
    }
}

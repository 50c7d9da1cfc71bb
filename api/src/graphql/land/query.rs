//! Land queries: a parcel or a certificate by its number, parcels listed
//! in a jurisdiction.

use super::types::*;
use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::loaders::ParcelById;
use crate::graphql::page::CursorKind;
use crate::graphql::page::{Conn, connection};
use crate::graphql::{db, loader, principal};
use crate::ids;
use crate::registers::land as registers;
use async_graphql::{Context, InputObject, Object};
use entities::land::land_right;
use sea_orm::EntityTrait;

/// Which parcels to list. Every filter is optional; they combine with AND.
#[derive(InputObject, Default, Debug)]
pub struct LandParcelFilter {
    /// Province (two-digit code); must be in your jurisdiction.
    pub province_code: Option<String>,
    /// Commune (five-digit code); must be in your jurisdiction.
    pub commune_code: Option<String>,
    /// Land-use purpose.
    pub land_use: Option<LandUse>,
    /// Smallest area, in square metres.
    pub min_area_m2: Option<f64>,
    /// Largest area, in square metres.
    pub max_area_m2: Option<f64>,
}

impl LandParcelFilter {
    /// The register's form of this filter.
    fn listing(&self) -> registers::ParcelListing<'_> {
        registers::ParcelListing {
            province_code: self.province_code.as_deref(),
            commune_code: self.commune_code.as_deref(),
            land_use: self.land_use.map(Into::into),
            min_area_m2: self.min_area_m2,
            max_area_m2: self.max_area_m2,
        }
    }
}

/// Land queries.
#[derive(Default)]
pub struct LandQuery;

#[Object]
impl LandQuery {
    /// A parcel by id, anywhere in the country; `null` if none has it.
    #[graphql(guard = "Scope::LandRead")]
    async fn land_parcel(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<LandParcel>> {
        ids::parse_parcel_id(&id).gql()?;
        Ok(loader(ctx)?
            .load_one(ParcelById(id))
            .await
            .gql()?
            .map(LandParcel))
    }

    /// Parcels in your jurisdiction, filtered, one page at a time, in id order.
    #[graphql(
        guard = "Scope::LandRead",
        complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 1"
    )]
    async fn land_parcels(
        &self,
        ctx: &Context<'_>,
        filter: Option<LandParcelFilter>,
        #[graphql(desc = "Page size, 50 by default, at most 500.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last parcel of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Conn<LandParcel>>> {
        let filter = filter.unwrap_or_default();
        let (listing, page) =
            crate::graphql::paged(ctx, CursorKind::LandParcels, &filter, first, after)?;
        let rows = registers::list_parcels(db(ctx)?, principal(ctx)?, &filter.listing(), &page)
            .await
            .gql()?;
        Ok(Some(connection(
            rows,
            &page,
            |p| listing.cursor(&[&p.id]),
            LandParcel,
        )))
    }

    /// A land-use right certificate by number; `null` if none has it.
    #[graphql(guard = "Scope::LandRead")]
    async fn land_right(
        &self,
        ctx: &Context<'_>,
        certificate_number: String,
    ) -> async_graphql::Result<Option<LandRight>> {
        ids::parse_certificate_number(&certificate_number).gql()?;
        let right = land_right::Entity::find_by_id(certificate_number)
            .one(db(ctx)?)
            .await
            .gql()?
            .map(LandRight);
        crate::graphql::found(ctx, Scope::LandRead, &right)?;
        Ok(right)
    }
}

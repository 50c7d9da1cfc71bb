//! Reads of the land register that are more than a lookup by id: parcels
//! listed in a jurisdiction, by land use and area.

use crate::auth::Principal;
use crate::error::ApiError;
use crate::registers::listing::PageRequest;
use entities::land::{self as land, land_parcel};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Which parcels to list. Every filter is optional; they combine with AND.
#[derive(Debug, Default)]
pub struct ParcelListing<'a> {
    pub province_code: Option<&'a str>,
    pub commune_code: Option<&'a str>,
    pub land_use: Option<land::LandUse>,
    pub min_area_m2: Option<f64>,
    pub max_area_m2: Option<f64>,
}

/// Lists parcels under the caller's jurisdiction in id order.
pub async fn list_parcels(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &ParcelListing<'_>,
    page: &PageRequest,
) -> Result<Vec<land_parcel::Model>, ApiError> {
    let Some(mut query) = crate::registers::listing::restrict_listing(
        land_parcel::Entity::find(),
        principal,
        entities::access::Dataset::Land,
        filter.province_code,
        filter.commune_code,
        land_parcel::Column::ProvinceCode,
        land_parcel::Column::CommuneCode,
    )?
    else {
        return Ok(vec![]);
    };
    if let Some(land_use) = filter.land_use {
        query = query.filter(land_parcel::Column::LandUse.eq(land_use));
    }
    for area in [filter.min_area_m2, filter.max_area_m2]
        .into_iter()
        .flatten()
    {
        if !area.is_finite() || area < 0.0 {
            return Err(ApiError::BadUserInput(format!(
                "area must be a non-negative number of square metres, got {area}"
            )));
        }
    }
    if let (Some(min), Some(max)) = (filter.min_area_m2, filter.max_area_m2)
        && min > max
    {
        return Err(ApiError::BadUserInput(format!(
            "minAreaM2 ({min}) is larger than maxAreaM2 ({max})"
        )));
    }
    if let Some(min) = filter.min_area_m2 {
        query = query.filter(land_parcel::Column::AreaM2.gte(min));
    }
    if let Some(max) = filter.max_area_m2 {
        query = query.filter(land_parcel::Column::AreaM2.lte(max));
    }
    if let Some(key) = &page.after {
        query = query.filter(land_parcel::Column::Id.gt(key[0].as_str()));
    }
    Ok(query
        .order_by_asc(land_parcel::Column::Id)
        .limit(page.limit())
        .all(db)
        .await?)
}

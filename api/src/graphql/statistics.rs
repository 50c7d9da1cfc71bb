//! Counts for planning and reporting, never rows: each part needs the read
//! scope of its dataset and counts only within the caller's jurisdiction;
//! the sharing statistics are for the owners of datasets.

use super::access::Dataset;
use super::enterprise::{EnterpriseStatus, EnterpriseType};
use super::land::LandUse;
use super::{db, principal};
use crate::auth::Scope;
use crate::error::{ApiError, Gql};
use crate::refdata::reference;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{Duration, NaiveDate, Utc};
use entities::access as acc;
use entities::audit::sharing_day;
use entities::enterprise::{self as ent, enterprise};
use entities::land::{self as ld, land_parcel};
use entities::population::{self as pop, citizen};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use std::collections::BTreeMap;

/// A count for one province or commune.
#[derive(SimpleObject)]
pub struct AreaCount {
    /// Province (2 digits) or commune (5 digits) code.
    pub code: String,
    /// Its name, e.g. `Lâm Đồng`.
    pub name: String,
    /// Living citizens residing there.
    pub count: i64,
}

/// Enterprises of one status and type.
#[derive(SimpleObject)]
pub struct EnterpriseCount {
    /// Operating, suspended or dissolved.
    pub status: EnterpriseStatus,
    /// Legal form.
    pub r#type: EnterpriseType,
    /// Enterprises of this status and type.
    pub count: i64,
}

/// Parcels and their area, for one land use.
#[derive(SimpleObject)]
pub struct LandUseArea {
    /// The land-use code.
    pub land_use: LandUse,
    /// Parcels of this use.
    pub parcels: i64,
    /// Their total area in square metres.
    pub area_m2: f64,
}

/// One agency's use of one dataset on one day.
#[derive(SimpleObject)]
pub struct SharingDay {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Your dataset.
    pub dataset: Dataset,
    /// The agency that used it.
    pub agency: String,
    /// Requests that were served data of the dataset.
    pub requests: i64,
    /// Requests in which a field of the dataset was refused.
    pub refusals: i64,
}

/// Limits an aggregate to the caller's provinces (and one province when
/// asked); `None` when the caller may count nowhere.
fn within<E: EntityTrait>(
    query: Select<E>,
    ctx: &Context<'_>,
    dataset: acc::Dataset,
    province: Option<&str>,
    column: E::Column,
) -> async_graphql::Result<Option<Select<E>>> {
    crate::registers::listing::within(query, principal(ctx)?, dataset, province, column).gql()
}

/// Statistics of the national datasets.
pub struct Statistics;

/// Statistics of the national datasets: counts, never rows.
#[Object]
impl Statistics {
    /// Living citizens by province of residence, or by commune of
    /// `provinceCode` when it is given.
    #[graphql(guard = "Scope::PopulationRead")]
    async fn population(
        &self,
        ctx: &Context<'_>,
        province_code: Option<String>,
    ) -> async_graphql::Result<Option<Vec<AreaCount>>> {
        let query = citizen::Entity::find()
            .select_only()
            .column(citizen::Column::ResidenceCommune)
            .column_as(
                Expr::from(Func::count(Expr::col(citizen::Column::PersonalId))),
                "n",
            )
            .filter(citizen::Column::Status.eq(pop::CitizenStatus::Alive))
            .group_by(citizen::Column::ResidenceCommune);
        let Some(query) = within(
            query,
            ctx,
            acc::Dataset::Population,
            province_code.as_deref(),
            citizen::Column::ResidenceProvince,
        )?
        else {
            return Ok(Some(vec![]));
        };
        let rows: Vec<(String, i64)> = query.into_tuple().all(db(ctx)?).await.gql()?;
        let refdata = reference();
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for (commune, n) in rows {
            let key = match (&province_code, refdata.commune(&commune)) {
                (Some(_), _) => commune,
                (None, Some(c)) => c.province_code.to_owned(),
                (None, None) => continue,
            };
            *counts.entry(key).or_default() += n;
        }
        Ok(Some(
            counts
                .into_iter()
                .map(|(code, count)| {
                    let name = if code.len() == 2 {
                        refdata.province(&code).map(|p| p.name.to_owned())
                    } else {
                        refdata.commune(&code).map(|c| c.name.to_owned())
                    };
                    AreaCount {
                        name: name.unwrap_or_default(),
                        code,
                        count,
                    }
                })
                .collect(),
        ))
    }

    /// Registered enterprises by status and type, by head office.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn enterprises(
        &self,
        ctx: &Context<'_>,
        province_code: Option<String>,
    ) -> async_graphql::Result<Option<Vec<EnterpriseCount>>> {
        let query = enterprise::Entity::find()
            .select_only()
            .column(enterprise::Column::Status)
            .column(enterprise::Column::EnterpriseType)
            .column_as(
                Expr::from(Func::count(Expr::col(enterprise::Column::Code))),
                "n",
            )
            .group_by(enterprise::Column::Status)
            .group_by(enterprise::Column::EnterpriseType)
            .order_by_asc(enterprise::Column::Status)
            .order_by_asc(enterprise::Column::EnterpriseType);
        let Some(query) = within(
            query,
            ctx,
            acc::Dataset::Enterprise,
            province_code.as_deref(),
            enterprise::Column::HeadOfficeProvince,
        )?
        else {
            return Ok(Some(vec![]));
        };
        let rows: Vec<(ent::EnterpriseStatus, ent::EnterpriseType, i64)> =
            query.into_tuple().all(db(ctx)?).await.gql()?;
        Ok(Some(
            rows.into_iter()
                .map(|(status, kind, count)| EnterpriseCount {
                    status: status.into(),
                    r#type: kind.into(),
                    count,
                })
                .collect(),
        ))
    }

    /// Parcels and their area by land use.
    #[graphql(guard = "Scope::LandRead")]
    async fn land_area(
        &self,
        ctx: &Context<'_>,
        province_code: Option<String>,
    ) -> async_graphql::Result<Option<Vec<LandUseArea>>> {
        let query = land_parcel::Entity::find()
            .select_only()
            .column(land_parcel::Column::LandUse)
            .column_as(
                Expr::from(Func::count(Expr::col(land_parcel::Column::Id))),
                "n",
            )
            .column_as(
                Expr::from(Func::sum(Expr::col(land_parcel::Column::AreaM2))),
                "area",
            )
            .group_by(land_parcel::Column::LandUse)
            .order_by_asc(land_parcel::Column::LandUse);
        let Some(query) = within(
            query,
            ctx,
            acc::Dataset::Land,
            province_code.as_deref(),
            land_parcel::Column::ProvinceCode,
        )?
        else {
            return Ok(Some(vec![]));
        };
        let rows: Vec<(ld::LandUse, i64, f64)> = query.into_tuple().all(db(ctx)?).await.gql()?;
        Ok(Some(
            rows.into_iter()
                .map(|(land_use, parcels, area_m2)| LandUseArea {
                    land_use: land_use.into(),
                    parcels,
                    area_m2,
                })
                .collect(),
        ))
    }

    /// How your datasets were shared: requests served and refused per
    /// agency per day, newest day first (the last 30 days by default, at
    /// most 366).
    #[graphql(guard = "Scope::AuditRead")]
    async fn sharing(
        &self,
        ctx: &Context<'_>,
        dataset: Option<Dataset>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<Option<Vec<SharingDay>>> {
        let today = Utc::now().date_naive();
        let to = to.unwrap_or(today);
        let from = from.unwrap_or(to - Duration::days(29));
        if from > to || (to - from).num_days() > 365 {
            return Err(ApiError::BadUserInput(
                "from must not be after to, and the window at most 366 days".into(),
            )
            .into_graphql());
        }
        let p = principal(ctx)?;
        let datasets = p.owned_or_all(dataset.map(acc::Dataset::from)).gql()?;
        let rows = sharing_day::Entity::find()
            .filter(sharing_day::Column::Dataset.is_in(datasets))
            .filter(sharing_day::Column::Day.between(from, to))
            .order_by_desc(sharing_day::Column::Day)
            .order_by_asc(sharing_day::Column::Dataset)
            .order_by_asc(sharing_day::Column::Agency)
            .all(db(ctx)?)
            .await
            .gql()?;
        Ok(Some(
            rows.into_iter()
                .map(|r| SharingDay {
                    day: r.day,
                    dataset: r.dataset.into(),
                    agency: r.agency,
                    requests: r.requests,
                    refusals: r.refusals,
                })
                .collect(),
        ))
    }
}

/// The statistics root.
#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// Counts within your jurisdiction and scopes: population, enterprises,
    /// land, and for owners how their datasets were shared.
    async fn statistics(&self) -> Statistics {
        Statistics
    }
}

//! The land dataset in the graph: parcels and land-use right certificates.
//!
//! `land:read` shows parcels and certificates; who holds a certificate
//! (`LandRight.holder`, `holderId`, and the rights listed under a citizen or
//! an enterprise) needs `land:read:holders`.

use super::admin::Commune;
use super::enterprise::Enterprise;
use super::loaders::{EnterpriseByCode, ParcelById, RightsOnParcel};
use super::page::{Conn, PageRequest, connection};
use super::population::{Citizen, load_citizen};
use super::{db, loader, principal};
use crate::auth::{Principal, Scope};
use crate::error::{ApiError, Gql};
use crate::ids;
use crate::refdata::reference;
use async_graphql::{Context, InputObject, Object, Union};
use chrono::NaiveDate;
use entities::land::{self as land, land_parcel, land_right};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

mirror_enum!(
    /// Land-use purpose codes of the land law.
    LandUse = land::LandUse {
        /// Urban residential land.
        Odt,
        /// Rural residential land.
        Ont,
        /// Specialised rice land.
        Luc,
        /// Other annual crops.
        Bhk,
        /// Perennial crops.
        Cln,
        /// Production forest.
        Rsx,
        /// Aquaculture.
        Nts,
        /// Non-agricultural production and business.
        Skc,
        /// Commerce and services.
        Tmd,
        /// Transport.
        Dgt,
    }
);

mirror_enum!(
    /// Whether a land right is held by a citizen or an enterprise.
    HolderKind = land::HolderKind {
        Citizen,
        Enterprise,
    }
);

mirror_enum!(
    /// The state of a land-use right certificate.
    RightStatus = land::RightStatus {
        /// In force.
        Active,
        /// Replaced by a new certificate after a transfer.
        Transferred,
        /// Revoked by the authority.
        Revoked,
    }
);

/// A land parcel: a numbered parcel on a cadastral map sheet of a commune.
pub struct LandParcel(pub land_parcel::Model);

/// A land parcel: a numbered parcel on a cadastral map sheet of a commune.
#[Object]
impl LandParcel {
    /// `<commune code>-<map sheet>-<parcel number>`, e.g. `00004-12-345`.
    #[graphql(guard = "Scope::LandRead")]
    async fn id(&self) -> Option<&str> {
        Some(&self.0.id)
    }

    /// The commune the parcel lies in.
    #[graphql(guard = "Scope::LandRead")]
    async fn commune(&self) -> Option<Commune> {
        reference().commune(&self.0.commune_code).map(Commune)
    }

    /// Cadastral map sheet number.
    #[graphql(guard = "Scope::LandRead")]
    async fn map_sheet(&self) -> Option<i32> {
        Some(self.0.map_sheet)
    }

    /// Parcel number on the map sheet.
    #[graphql(guard = "Scope::LandRead")]
    async fn parcel_number(&self) -> Option<i32> {
        Some(self.0.parcel_number)
    }

    /// Area in square metres.
    #[graphql(guard = "Scope::LandRead")]
    async fn area_m2(&self) -> Option<f64> {
        Some(self.0.area_m2)
    }

    /// Land-use purpose.
    #[graphql(guard = "Scope::LandRead")]
    async fn land_use(&self) -> Option<LandUse> {
        Some(self.0.land_use.into())
    }

    /// Address of the parcel within the commune.
    #[graphql(guard = "Scope::LandRead")]
    async fn address_line(&self) -> Option<&str> {
        Some(&self.0.address_line)
    }

    /// Certificates issued on the parcel (active and past), by number.
    #[graphql(
        guard = "Scope::LandRead",
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn rights(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<LandRight>>> {
        let rows = loader(ctx)?
            .load_one(RightsOnParcel(self.0.id.clone()))
            .await
            .gql()?;
        Ok(Some(
            rows.unwrap_or_default()
                .into_iter()
                .map(LandRight)
                .collect(),
        ))
    }
}

/// Who holds a land right.
#[derive(Union)]
pub enum LandHolder {
    Citizen(Citizen),
    Enterprise(Enterprise),
}

/// A land-use right certificate: who holds which share of a parcel.
pub struct LandRight(pub land_right::Model);

/// A certificate is logged under its number, and with its holder when the
/// holder is disclosed.
impl crate::audit::Subject for LandRight {
    const TYPE: &'static str = "LandRight";
    fn subjects(&self, scope: Scope) -> [Option<&str>; 2] {
        let holder = (scope == Scope::LandReadHolders).then_some(self.0.holder().id);
        [Some(&self.0.certificate_number), holder]
    }
}

/// A land-use right certificate: who holds which share of a parcel.
#[Object]
impl LandRight {
    /// Certificate serial number, e.g. `DA123456`.
    #[graphql(guard = "Scope::LandRead.on(self)")]
    async fn certificate_number(&self) -> Option<&str> {
        Some(&self.0.certificate_number)
    }

    /// The parcel the certificate is for.
    #[graphql(guard = "Scope::LandRead.on(self)")]
    async fn parcel(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LandParcel>> {
        Ok(loader(ctx)?
            .load_one(ParcelById(self.0.parcel_id.clone()))
            .await
            .gql()?
            .map(LandParcel))
    }

    /// The holder's share of the parcel, from 0 to 1.
    #[graphql(guard = "Scope::LandRead.on(self)")]
    async fn share(&self) -> Option<f64> {
        Some(f64::from(self.0.share_bp) / 10_000.0)
    }

    /// Date of issue.
    #[graphql(guard = "Scope::LandRead.on(self)")]
    async fn issued_on(&self) -> Option<NaiveDate> {
        Some(self.0.issued_on)
    }

    /// Active, transferred or revoked.
    #[graphql(guard = "Scope::LandRead.on(self)")]
    async fn status(&self) -> Option<RightStatus> {
        Some(self.0.status.into())
    }

    /// Whether the right is mortgaged.
    #[graphql(guard = "Scope::LandRead.on(self)")]
    async fn mortgaged(&self) -> Option<bool> {
        Some(self.0.mortgaged)
    }

    /// The record's version: give it as `expectedVersion` when changing it.
    #[graphql(guard = "Scope::LandRead.on(self)")]
    async fn version(&self) -> Option<i32> {
        Some(self.0.version)
    }

    /// Whether a citizen or an enterprise holds it.
    #[graphql(guard = "Scope::LandReadHolders.on(self)")]
    async fn holder_kind(&self) -> Option<HolderKind> {
        Some(self.0.holder().kind.into())
    }

    /// The holder's personal id or enterprise code, as on the certificate.
    #[graphql(guard = "Scope::LandReadHolders.on(self)")]
    async fn holder_id(&self) -> Option<&str> {
        Some(self.0.holder().id)
    }

    /// The holder. Their own fields need their own dataset's scopes.
    #[graphql(guard = "Scope::LandReadHolders.on(self)")]
    async fn holder(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LandHolder>> {
        let holder = self.0.holder();
        Ok(match holder.kind {
            land::HolderKind::Citizen => load_citizen(ctx, Some(holder.id))
                .await?
                .map(LandHolder::Citizen),
            land::HolderKind::Enterprise => loader(ctx)?
                .load_one(EnterpriseByCode(holder.id.to_owned()))
                .await
                .gql()?
                .map(|e| LandHolder::Enterprise(Enterprise(e))),
        })
    }
}

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

/// Lists parcels under the caller's jurisdiction in id order.
pub async fn list_parcels(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &LandParcelFilter,
    page: &PageRequest,
) -> Result<Vec<land_parcel::Model>, ApiError> {
    let Some(mut query) = crate::registers::listing::restrict_listing(
        land_parcel::Entity::find(),
        principal,
        entities::access::Dataset::Land,
        filter.province_code.as_deref(),
        filter.commune_code.as_deref(),
        land_parcel::Column::ProvinceCode,
        land_parcel::Column::CommuneCode,
    )?
    else {
        return Ok(vec![]);
    };
    if let Some(land_use) = filter.land_use {
        query = query.filter(land_parcel::Column::LandUse.eq(land::LandUse::from(land_use)));
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
        let listing = super::listing(ctx, super::page::CursorKind::LandParcels, &filter)?;
        let page = listing.page(first, after.as_deref()).gql()?;
        let rows = list_parcels(db(ctx)?, principal(ctx)?, &filter, &page)
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
        super::found(ctx, Scope::LandRead, &right)?;
        Ok(right)
    }
}

/// A parcel to register; its id is `<commune>-<map sheet>-<parcel number>`.
#[derive(InputObject)]
pub struct RegisterLandParcelInput {
    /// The commune the parcel lies in.
    pub commune_code: String,
    /// Cadastral map sheet number (positive).
    pub map_sheet: i32,
    /// Parcel number on the sheet (positive).
    pub parcel_number: i32,
    /// Area in square metres (positive).
    pub area_m2: f64,
    /// Land-use code.
    pub land_use: LandUse,
    /// Address or locality.
    pub address_line: String,
}

/// A certificate to issue.
#[derive(InputObject)]
pub struct IssueLandRightInput {
    /// The parcel, `<commune>-<sheet>-<number>`.
    pub parcel_id: String,
    /// Citizen or enterprise.
    pub holder_kind: HolderKind,
    /// Personal id of a living citizen, or code of an enterprise not dissolved.
    pub holder_id: String,
    /// Fraction of the parcel, more than 0 and at most 1; the active rights
    /// of a parcel never exceed 1.
    pub share: f64,
}

/// A transfer of a whole certificate to a new holder.
#[derive(InputObject)]
pub struct TransferLandRightInput {
    /// The certificate to transfer (active, not mortgaged).
    pub certificate_number: String,
    /// Citizen or enterprise.
    pub to_holder_kind: HolderKind,
    /// Personal id of a living citizen, or code of an enterprise not dissolved.
    pub to_holder_id: String,
    /// The certificate's version you read; `CONFLICT` if it changed since.
    pub expected_version: Option<i32>,
}

/// The parcel as written.
#[derive(async_graphql::SimpleObject)]
pub struct RegisterLandParcelPayload {
    /// The parcel registered.
    pub land_parcel: Option<LandParcel>,
}

/// The new certificate.
#[derive(async_graphql::SimpleObject)]
pub struct IssueLandRightPayload {
    /// The certificate issued.
    pub land_right: Option<LandRight>,
}

/// The new certificate and the one it replaces.
#[derive(async_graphql::SimpleObject)]
pub struct TransferLandRightPayload {
    /// The new certificate, held by the new holder.
    pub land_right: Option<LandRight>,
    /// The old certificate, now `TRANSFERRED`.
    pub previous: Option<LandRight>,
}

async fn fresh_right(ctx: &Context<'_>, number: &str) -> async_graphql::Result<Option<LandRight>> {
    Ok(land_right::Entity::find_by_id(number.to_owned())
        .one(db(ctx)?)
        .await
        .gql()?
        .map(LandRight))
}

fn share_bp(share: f64) -> Result<i32, ApiError> {
    if !(share.is_finite() && share > 0.0 && share <= 1.0) {
        return Err(ApiError::BadUserInput(
            "share must be more than 0 and at most 1".into(),
        ));
    }
    Ok((share * f64::from(crate::registers::land::WHOLE)).round() as i32)
}

/// Writes to the land register, for its owner.
#[derive(Default)]
pub struct LandMutation;

#[Object]
impl LandMutation {
    /// Registers a land parcel.
    #[graphql(guard = "Scope::LandWrite")]
    async fn register_land_parcel(
        &self,
        ctx: &Context<'_>,
        input: RegisterLandParcelInput,
    ) -> async_graphql::Result<Option<RegisterLandParcelPayload>> {
        let new = crate::registers::land::NewParcel {
            commune: input.commune_code,
            map_sheet: input.map_sheet,
            parcel_number: input.parcel_number,
            area_m2: input.area_m2,
            land_use: input.land_use.into(),
            address_line: input.address_line,
        };
        let written = crate::registers::land::register_parcel(&crate::graphql::writer(ctx)?, new)
            .await
            .gql()?;
        crate::graphql::wrote(ctx, &written);
        Ok(Some(RegisterLandParcelPayload {
            land_parcel: land_parcel::Entity::find_by_id(written.key)
                .one(db(ctx)?)
                .await
                .gql()?
                .map(LandParcel),
        }))
    }

    /// Issues a land-use right certificate for a share of a parcel.
    #[graphql(guard = "Scope::LandWrite")]
    async fn issue_land_right(
        &self,
        ctx: &Context<'_>,
        input: IssueLandRightInput,
    ) -> async_graphql::Result<Option<IssueLandRightPayload>> {
        let written = crate::registers::land::issue_right(
            &crate::graphql::writer(ctx)?,
            &input.parcel_id,
            input.holder_kind.into(),
            &input.holder_id,
            share_bp(input.share).gql()?,
        )
        .await
        .gql()?;
        crate::graphql::wrote(ctx, &written);
        Ok(Some(IssueLandRightPayload {
            land_right: crate::graphql::reload::<land_right::Entity, _>(ctx, &written, LandRight)
                .await?,
        }))
    }

    /// Transfers a certificate: it becomes `TRANSFERRED` and a new one is
    /// issued to the new holder for the same share, in one transaction. A
    /// right that is not active, or is mortgaged, cannot be transferred.
    #[graphql(guard = "Scope::LandWrite")]
    async fn transfer_land_right(
        &self,
        ctx: &Context<'_>,
        input: TransferLandRightInput,
    ) -> async_graphql::Result<Option<TransferLandRightPayload>> {
        let written = crate::registers::land::transfer_right(
            &crate::graphql::writer(ctx)?,
            &input.certificate_number,
            input.to_holder_kind.into(),
            &input.to_holder_id,
            input.expected_version,
        )
        .await
        .gql()?;
        crate::graphql::wrote(ctx, &written);
        Ok(Some(TransferLandRightPayload {
            land_right: crate::graphql::reload::<land_right::Entity, _>(ctx, &written, LandRight)
                .await?,
            previous: fresh_right(ctx, &input.certificate_number).await?,
        }))
    }
}

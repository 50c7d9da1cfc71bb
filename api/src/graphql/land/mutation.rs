//! Land writes, for the register's owner: register a parcel, issue a
//! certificate, transfer one. The rules are `registers::land`.

use super::types::*;
use crate::auth::Scope;
use crate::error::Gql;
use async_graphql::{Context, InputObject, Object};
use entities::land::{land_parcel, land_right};

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
        let result =
            crate::registers::land::register_parcel(&crate::graphql::writer(ctx)?, new).await;
        Ok(Some(RegisterLandParcelPayload {
            land_parcel: crate::graphql::answer::<land_parcel::Entity, _>(ctx, result, LandParcel)
                .await?,
        }))
    }

    /// Issues a land-use right certificate for a share of a parcel.
    #[graphql(guard = "Scope::LandWrite")]
    async fn issue_land_right(
        &self,
        ctx: &Context<'_>,
        input: IssueLandRightInput,
    ) -> async_graphql::Result<Option<IssueLandRightPayload>> {
        let result = crate::registers::land::issue_right(
            &crate::graphql::writer(ctx)?,
            &input.parcel_id,
            input.holder_kind.into(),
            &input.holder_id,
            crate::registers::land::share_bp(input.share).gql()?,
        )
        .await;
        Ok(Some(IssueLandRightPayload {
            land_right: crate::graphql::answer::<land_right::Entity, _>(ctx, result, LandRight)
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
        let result = crate::registers::land::transfer_right(
            &crate::graphql::writer(ctx)?,
            &input.certificate_number,
            input.to_holder_kind.into(),
            &input.to_holder_id,
            input.expected_version,
        )
        .await;
        Ok(Some(TransferLandRightPayload {
            land_right: crate::graphql::answer::<land_right::Entity, _>(ctx, result, LandRight)
                .await?,
            previous: crate::graphql::reload::<land_right::Entity, _>(
                ctx,
                &input.certificate_number,
                LandRight,
            )
            .await?,
        }))
    }
}

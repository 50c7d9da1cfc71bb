//! The land objects of the graph (`LandParcel`, `LandRight`, `LandHolder`,
//! their enums), each field with its scope guard.

use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::admin::Commune;
use crate::graphql::enterprise::Enterprise;
use crate::graphql::loader;
use crate::graphql::loaders::{EnterpriseByCode, ParcelById, RightsOnParcel};
use crate::graphql::population::{Citizen, load_citizen};
use crate::refdata::reference;
use async_graphql::{Context, Object, Union};
use chrono::NaiveDate;
use entities::land::{self as land, land_parcel, land_right};

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
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn rights(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<LandRight>>> {
        crate::graphql::related(ctx, RightsOnParcel(self.0.id.clone()), LandRight).await
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
        Some(crate::registers::land::share_fraction(self.0.share_bp))
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

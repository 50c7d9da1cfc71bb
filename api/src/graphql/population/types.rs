//! The population objects of the graph (`Citizen`, `Household`, their
//! enums), each field with its scope guard. Queries and mutations are
//! beside this file.

use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::admin::Commune;
use crate::graphql::enterprise::{Enterprise, EnterpriseMember};
use crate::graphql::land::LandRight;
use crate::graphql::loader;
use crate::graphql::loaders::{
    ChildrenOf, CitizenById, EnterprisesRepresentedBy, HouseholdById, MembersOfHousehold,
    MembershipsOf, RightsOfHolder,
};
use crate::refdata::reference;
use async_graphql::{Context, ID, Object};
use chrono::{Datelike, NaiveDate};
use entities::enterprise::MemberKind;
use entities::land::HolderKind;
use entities::population::{self as pop, citizen, household};

mirror_enum!(
    /// Sex as recorded in the population register.
    Sex = pop::Sex {
        Male,
        Female,
    }
);

mirror_enum!(
    /// Whether a citizen is alive.
    CitizenStatus = pop::CitizenStatus {
        Alive,
        Deceased,
    }
);

/// A citizen of the national population database.
pub struct Citizen(pub citizen::Model);

impl crate::audit::Subject for Citizen {
    const TYPE: &'static str = "Citizen";
    fn subjects(&self, _: Scope) -> [Option<&str>; 2] {
        [Some(&self.0.personal_id), None]
    }
}

/// A citizen of the national population database.
#[Object]
impl Citizen {
    /// The 12-digit personal identification number.
    #[graphql(guard = "Scope::PopulationRead.on(self)")]
    async fn personal_id(&self) -> Option<&str> {
        Some(&self.0.personal_id)
    }

    /// Full name, e.g. `Nguyễn Văn Anh`.
    #[graphql(guard = "Scope::PopulationRead.on(self)")]
    async fn full_name(&self) -> Option<&str> {
        Some(&self.0.full_name)
    }

    /// Sex.
    #[graphql(guard = "Scope::PopulationRead.on(self)")]
    async fn sex(&self) -> Option<Sex> {
        Some(self.0.sex.into())
    }

    /// Year of birth (the full date needs `population:read:pii`).
    #[graphql(guard = "Scope::PopulationRead.on(self)")]
    async fn birth_year(&self) -> Option<i32> {
        Some(self.0.date_of_birth.year())
    }

    /// Alive or deceased.
    #[graphql(guard = "Scope::PopulationRead.on(self)")]
    async fn status(&self) -> Option<CitizenStatus> {
        Some(self.0.status.into())
    }

    /// The record's version: give it as `expectedVersion` when changing it.
    #[graphql(guard = "Scope::PopulationRead.on(self)")]
    async fn version(&self) -> Option<i32> {
        Some(self.0.version)
    }

    /// The commune of permanent residence.
    #[graphql(guard = "Scope::PopulationRead.on(self)")]
    async fn residence_commune(&self) -> Option<Commune> {
        reference().commune(&self.0.residence_commune).map(Commune)
    }

    /// Date of birth.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn date_of_birth(&self) -> Option<NaiveDate> {
        Some(self.0.date_of_birth)
    }

    /// Date of death, for a deceased citizen.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn date_of_death(&self) -> Option<NaiveDate> {
        self.0.date_of_death
    }

    /// Ethnic group, e.g. `Kinh`.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn ethnicity(&self) -> Option<&str> {
        Some(&self.0.ethnicity)
    }

    /// Nationality as an ISO 3166-1 alpha-2 code, e.g. `VN`.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn nationality(&self) -> Option<&str> {
        Some(&self.0.nationality)
    }

    /// Place of origin (quê quán).
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn place_of_origin(&self) -> Option<Commune> {
        reference()
            .commune(&self.0.place_of_origin_commune)
            .map(Commune)
    }

    /// Street address of permanent residence within the commune.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn residence_line(&self) -> Option<&str> {
        Some(&self.0.residence_line)
    }

    /// The household the citizen is registered in.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn household(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Household>> {
        let Some(id) = self.0.household_id else {
            return Ok(None);
        };
        let household = loader(ctx)?
            .load_one(HouseholdById(id))
            .await
            .gql()?
            .map(Household);
        Ok(household)
    }

    /// Father, when registered.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn father(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Citizen>> {
        load_citizen(ctx, self.0.father_id.as_deref()).await
    }

    /// Mother, when registered.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn mother(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Citizen>> {
        load_citizen(ctx, self.0.mother_id.as_deref()).await
    }

    /// Spouse, when married.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn spouse(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Citizen>> {
        load_citizen(ctx, self.0.spouse_id.as_deref()).await
    }

    /// Children registered with this citizen as father or mother, eldest first.
    #[graphql(
        guard = "Scope::PopulationReadPii.on(self)",
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<Citizen>>> {
        crate::graphql::related(ctx, ChildrenOf(self.0.personal_id.clone()), Citizen).await
    }

    /// Land-use rights the citizen holds (any status), by certificate number.
    #[graphql(
        guard = "Scope::LandReadHolders.on(self)",
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn land_rights(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<LandRight>>> {
        crate::graphql::related(
            ctx,
            RightsOfHolder(HolderKind::Citizen, self.0.personal_id.clone()),
            LandRight,
        )
        .await
    }

    /// Enterprises whose legal representative the citizen is (public register).
    #[graphql(
        guard = "Scope::EnterpriseRead.on(self)",
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn enterprises(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<Enterprise>>> {
        crate::graphql::related(
            ctx,
            EnterprisesRepresentedBy(self.0.personal_id.clone()),
            Enterprise,
        )
        .await
    }

    /// Enterprises in which the citizen is a member or shareholder.
    #[graphql(
        guard = "Scope::EnterpriseReadMembers.on(self)",
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn memberships(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<EnterpriseMember>>> {
        crate::graphql::related(
            ctx,
            MembershipsOf(MemberKind::Citizen, self.0.personal_id.clone()),
            EnterpriseMember,
        )
        .await
    }
}

pub(crate) async fn load_citizen(
    ctx: &Context<'_>,
    id: Option<&str>,
) -> async_graphql::Result<Option<Citizen>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(loader(ctx)?
        .load_one(CitizenById(id.to_owned()))
        .await
        .gql()?
        .map(Citizen))
}

/// A household registered at one address. All of it is personal data.
pub struct Household(pub household::Model);

/// A household is logged under its head's personal id; its members are
/// logged as citizens when their fields are read.
impl crate::audit::Subject for Household {
    const TYPE: &'static str = "Household";
    fn subjects(&self, _: Scope) -> [Option<&str>; 2] {
        [Some(&self.0.head_id), None]
    }
}

/// A household registered at one address. All of it is personal data.
#[Object]
impl Household {
    /// The household's number in the register.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn id(&self) -> Option<ID> {
        Some(ID(self.0.id.to_string()))
    }

    /// Street address within the commune.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn address_line(&self) -> Option<&str> {
        Some(&self.0.address_line)
    }

    /// The commune the household is registered in.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn commune(&self) -> Option<Commune> {
        reference().commune(&self.0.commune_code).map(Commune)
    }

    /// The head of the household.
    #[graphql(guard = "Scope::PopulationReadPii.on(self)")]
    async fn head(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Citizen>> {
        load_citizen(ctx, Some(&self.0.head_id)).await
    }

    /// Everyone registered in the household, eldest first.
    #[graphql(
        guard = "Scope::PopulationReadPii.on(self)",
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<Citizen>>> {
        crate::graphql::related(ctx, MembersOfHousehold(self.0.id), Citizen).await
    }
}

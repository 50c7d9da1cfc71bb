//! The enterprise objects of the graph (`Enterprise`, `Industry`,
//! `EnterpriseMember`, their enums), each field with its scope guard.

use crate::auth::Scope;
use crate::error::Gql;
use crate::graphql::admin::Commune;
use crate::graphql::land::LandRight;
use crate::graphql::loader;
use crate::graphql::loaders::{
    CitizenById, EnterpriseByCode, IndustriesOf, MembersOfEnterprise, MembershipsOf, RightsOfHolder,
};
use crate::graphql::population::{Citizen, load_citizen};
use crate::refdata::reference;
use async_graphql::{Context, Object, SimpleObject, Union};
use chrono::NaiveDate;
use entities::enterprise::{self as ent, enterprise, enterprise_industry, enterprise_member};
use entities::land::HolderKind as LandHolderKind;

mirror_enum!(
    /// Legal form of an enterprise under the Law on Enterprises.
    EnterpriseType = ent::EnterpriseType {
        /// Single-member limited liability company.
        LlcOne,
        /// Limited liability company with two or more members.
        LlcMulti,
        /// Joint-stock company.
        JointStock,
        /// Private enterprise (one owner, unlimited liability).
        Private,
        /// Partnership.
        Partnership,
    }
);

mirror_enum!(
    /// Registration status of an enterprise.
    EnterpriseStatus = ent::EnterpriseStatus {
        /// Operating.
        Active,
        /// Temporarily suspended business.
        Suspended,
        /// Dissolved; kept in the register.
        Dissolved,
    }
);

mirror_enum!(
    /// Whether a member of an enterprise is a citizen or another enterprise.
    MemberKind = ent::MemberKind {
        Citizen,
        Enterprise,
    }
);

/// A registered enterprise.
pub struct Enterprise(pub enterprise::Model);

/// An enterprise is logged under its code, with its legal representative
/// when their name or their record is disclosed. Its other register
/// fields are public.
impl crate::audit::Subject for Enterprise {
    const TYPE: &'static str = "Enterprise";
    fn subjects(&self, scope: Scope) -> [Option<&str>; 2] {
        let representative =
            (scope == Scope::EnterpriseRead).then_some(self.0.legal_rep_id.as_str());
        [Some(&self.0.code), representative]
    }
}

/// A registered enterprise.
#[Object]
impl Enterprise {
    /// Tax code: 10 digits, or 10 digits, `-` and 3 for a branch.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn code(&self) -> Option<&str> {
        Some(&self.0.code)
    }

    /// Registered name in Vietnamese.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn name(&self) -> Option<&str> {
        Some(&self.0.name)
    }

    /// Registered name in English, if any.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn name_en(&self) -> Option<&str> {
        self.0.name_en.as_deref()
    }

    /// Legal form.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn r#type(&self) -> Option<EnterpriseType> {
        Some(self.0.enterprise_type.into())
    }

    /// The record's version: give it as `expectedVersion` when changing it.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn version(&self) -> Option<i32> {
        Some(self.0.version)
    }

    /// Registration status.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn status(&self) -> Option<EnterpriseStatus> {
        Some(self.0.status.into())
    }

    /// Date of first registration.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn founded_on(&self) -> Option<NaiveDate> {
        Some(self.0.founded_on)
    }

    /// Registered charter capital in đồng.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn registered_capital_vnd(&self) -> Option<i64> {
        Some(self.0.registered_capital_vnd)
    }

    /// The commune of the head office.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn head_office_commune(&self) -> Option<Commune> {
        reference()
            .commune(&self.0.head_office_commune)
            .map(Commune)
    }

    /// Street address of the head office within its commune.
    #[graphql(guard = "Scope::EnterpriseRead")]
    async fn head_office_address(&self) -> Option<&str> {
        Some(&self.0.head_office_line)
    }

    /// Registered industries, the main one first.
    #[graphql(
        guard = "Scope::EnterpriseRead",
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn industries(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<Industry>>> {
        crate::graphql::related(ctx, IndustriesOf(self.0.code.clone()), Industry::from).await
    }

    /// The legal representative's name, as published in the business register.
    #[graphql(guard = "Scope::EnterpriseRead.on(self)")]
    async fn legal_representative_name(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        Ok(loader(ctx)?
            .load_one(CitizenById(self.0.legal_rep_id.clone()))
            .await
            .gql()?
            .map(|c| c.full_name))
    }

    /// The legal representative. Their fields need the population scopes.
    // Who represents the enterprise is recorded like their name, even
    // when none of their fields is selected.
    #[graphql(guard = "Scope::EnterpriseRead.on(self)")]
    async fn legal_representative(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Citizen>> {
        load_citizen(ctx, Some(&self.0.legal_rep_id)).await
    }

    /// Members and shareholders, largest share first.
    #[graphql(
        guard = "Scope::EnterpriseReadMembers.on(self)",
        complexity = "crate::graphql::LIST * child_complexity + 1"
    )]
    async fn members(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<EnterpriseMember>>> {
        crate::graphql::related(
            ctx,
            MembersOfEnterprise(self.0.code.clone()),
            EnterpriseMember,
        )
        .await
    }

    /// Enterprises in which this enterprise is a member or shareholder.
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
            MembershipsOf(ent::MemberKind::Enterprise, self.0.code.clone()),
            EnterpriseMember,
        )
        .await
    }

    /// Land-use rights the enterprise holds, by certificate number.
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
            RightsOfHolder(LandHolderKind::Enterprise, self.0.code.clone()),
            LandRight,
        )
        .await
    }
}

/// An industry an enterprise registered.
#[derive(SimpleObject)]
pub struct Industry {
    /// VSIC 2018 code, e.g. `6201`.
    pub code: String,
    /// Name of the industry.
    pub name: Option<String>,
    /// Whether this is the enterprise's main industry.
    pub is_main: bool,
}

impl From<enterprise_industry::Model> for Industry {
    fn from(row: enterprise_industry::Model) -> Self {
        let name = reference()
            .industries
            .get(row.vsic_code.as_str())
            .map(|i| i.name.to_owned());
        Industry {
            code: row.vsic_code,
            name,
            is_main: row.is_main,
        }
    }
}

/// A member of an enterprise: a citizen or another enterprise.
#[derive(Union)]
pub enum Member {
    Citizen(Citizen),
    Enterprise(Enterprise),
}

/// One membership: who holds what share of which enterprise.
pub struct EnterpriseMember(pub enterprise_member::Model);

/// A membership is logged under the enterprise's code and the member's id.
impl crate::audit::Subject for EnterpriseMember {
    const TYPE: &'static str = "EnterpriseMember";
    fn subjects(&self, _: Scope) -> [Option<&str>; 2] {
        [Some(&self.0.enterprise_code), Some(&self.0.member_id)]
    }
}

/// One membership: who holds what share of which enterprise.
#[Object]
impl EnterpriseMember {
    /// Whether the member is a citizen or an enterprise.
    #[graphql(guard = "Scope::EnterpriseReadMembers.on(self)")]
    async fn kind(&self) -> Option<MemberKind> {
        Some(self.0.member_kind.into())
    }

    /// The member's share of the charter capital, from 0 to 1.
    #[graphql(guard = "Scope::EnterpriseReadMembers.on(self)")]
    async fn share(&self) -> Option<f64> {
        Some(f64::from(self.0.share_bp) / 10_000.0)
    }

    /// The member. Their own fields need their own dataset's scopes.
    #[graphql(guard = "Scope::EnterpriseReadMembers.on(self)")]
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        Ok(match self.0.member_kind {
            ent::MemberKind::Citizen => load_citizen(ctx, Some(&self.0.member_id))
                .await?
                .map(Member::Citizen),
            ent::MemberKind::Enterprise => load_enterprise(ctx, &self.0.member_id)
                .await?
                .map(Member::Enterprise),
        })
    }

    /// The enterprise the membership is in.
    #[graphql(guard = "Scope::EnterpriseReadMembers.on(self)")]
    async fn enterprise(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Enterprise>> {
        load_enterprise(ctx, &self.0.enterprise_code).await
    }
}

pub(crate) async fn load_enterprise(
    ctx: &Context<'_>,
    code: &str,
) -> async_graphql::Result<Option<Enterprise>> {
    Ok(loader(ctx)?
        .load_one(EnterpriseByCode(code.to_owned()))
        .await
        .gql()?
        .map(Enterprise))
}

//! The enterprise dataset in the graph: the national business register.
//!
//! `enterprise:read` is the public register (name, code, type, status, head
//! office, industries, the legal representative's name); members and
//! shareholders need `enterprise:read:members`. The legal representative as
//! a `Citizen` is guarded by the population scopes on its own fields.

use super::admin::Commune;
use super::land::LandRight;
use super::loaders::{
    CitizenById, EnterpriseByCode, IndustriesOf, MembersOfEnterprise, MembershipsOf, RightsOfHolder,
};
use super::page::{Conn, PageRequest, connection};
use super::population::{Citizen, load_citizen};
use super::{db, loader, principal};
use crate::auth::{Principal, Scope};
use crate::error::{ApiError, Gql};
use crate::ids;
use crate::refdata::reference;
use crate::text;
use async_graphql::{Context, InputObject, Object, SimpleObject, Union};
use chrono::NaiveDate;
use entities::enterprise::{self as ent, enterprise, enterprise_industry, enterprise_member};
use entities::land::HolderKind as LandHolderKind;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

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
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn industries(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<Industry>>> {
        let rows = loader(ctx)?
            .load_one(IndustriesOf(self.0.code.clone()))
            .await
            .gql()?;
        Ok(Some(
            rows.unwrap_or_default()
                .into_iter()
                .map(Industry::from)
                .collect(),
        ))
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
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn members(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<EnterpriseMember>>> {
        let rows = loader(ctx)?
            .load_one(MembersOfEnterprise(self.0.code.clone()))
            .await
            .gql()?;
        Ok(Some(
            rows.unwrap_or_default()
                .into_iter()
                .map(EnterpriseMember)
                .collect(),
        ))
    }

    /// Enterprises in which this enterprise is a member or shareholder.
    #[graphql(
        guard = "Scope::EnterpriseReadMembers.on(self)",
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn memberships(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<EnterpriseMember>>> {
        let rows = loader(ctx)?
            .load_one(MembershipsOf(
                ent::MemberKind::Enterprise,
                self.0.code.clone(),
            ))
            .await
            .gql()?;
        Ok(Some(
            rows.unwrap_or_default()
                .into_iter()
                .map(EnterpriseMember)
                .collect(),
        ))
    }

    /// Land-use rights the enterprise holds, by certificate number.
    #[graphql(
        guard = "Scope::LandReadHolders.on(self)",
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn land_rights(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<LandRight>>> {
        let rows = loader(ctx)?
            .load_one(RightsOfHolder(
                LandHolderKind::Enterprise,
                self.0.code.clone(),
            ))
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

async fn load_enterprise(
    ctx: &Context<'_>,
    code: &str,
) -> async_graphql::Result<Option<Enterprise>> {
    Ok(loader(ctx)?
        .load_one(EnterpriseByCode(code.to_owned()))
        .await
        .gql()?
        .map(Enterprise))
}

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

/// Lists enterprises with a head office in the caller's jurisdiction, in
/// code order.
pub async fn list_enterprises(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &EnterpriseFilter,
    page: &PageRequest,
) -> Result<Vec<enterprise::Model>, ApiError> {
    let Some(mut query) = crate::registers::listing::restrict_listing(
        enterprise::Entity::find(),
        principal,
        entities::access::Dataset::Enterprise,
        filter.province_code.as_deref(),
        filter.commune_code.as_deref(),
        enterprise::Column::HeadOfficeProvince,
        enterprise::Column::HeadOfficeCommune,
    )?
    else {
        return Ok(vec![]);
    };
    if let Some(status) = filter.status {
        query = query.filter(enterprise::Column::Status.eq(ent::EnterpriseStatus::from(status)));
    }
    if let Some(kind) = filter.r#type {
        query =
            query.filter(enterprise::Column::EnterpriseType.eq(ent::EnterpriseType::from(kind)));
    }
    if let Some(name) = &filter.name {
        // Only letters, digits and spaces remain, so the LIKE pattern has no
        // wildcard the caller put there.
        let words: String = text::fold(name)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
            .collect();
        let words = words.trim();
        if words.is_empty() || words.len() > 200 {
            return Err(ApiError::BadUserInput(
                "name must have between 1 and 200 letters or digits".into(),
            ));
        }
        query = query.filter(enterprise::Column::SearchName.contains(words));
    }
    if let Some(code) = &filter.industry_code {
        ids::check_industry_code(code)?;
        query = query.filter(
            enterprise::Column::Code.in_subquery(
                Query::select()
                    .column(enterprise_industry::Column::EnterpriseCode)
                    .from(enterprise_industry::Entity)
                    .and_where(enterprise_industry::Column::VsicCode.eq(code.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(key) = &page.after {
        query = query.filter(enterprise::Column::Code.gt(key[0].as_str()));
    }
    Ok(query
        .order_by_asc(enterprise::Column::Code)
        .limit(page.limit())
        .all(db)
        .await?)
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
        let listing = super::listing(ctx, "enterprise", 1, &filter)?;
        let page = listing.page(first, after.as_deref()).gql()?;
        let rows = list_enterprises(db(ctx)?, principal(ctx)?, &filter, &page)
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

/// An enterprise to register.
#[derive(InputObject)]
pub struct RegisterEnterpriseInput {
    /// The 10-digit tax code (with its check digit).
    pub code: String,
    /// Registered name in Vietnamese.
    pub name: String,
    /// Registered name in English, if any.
    pub name_en: Option<String>,
    /// Legal form.
    pub r#type: EnterpriseType,
    /// Date of founding (not in the future).
    pub founded_on: NaiveDate,
    /// Registered capital in đồng (positive).
    pub registered_capital_vnd: i64,
    /// Commune of the head office.
    pub head_office_commune_code: String,
    /// Street address of the head office.
    pub head_office_address: String,
    /// A living citizen.
    pub legal_representative_id: String,
    /// VSIC codes, the main one first.
    pub industries: Vec<String>,
}

/// A new status.
#[derive(InputObject)]
pub struct ChangeEnterpriseStatusInput {
    /// The enterprise's tax code.
    pub code: String,
    /// Dissolved is final.
    pub status: EnterpriseStatus,
    /// The enterprise's version you read; `CONFLICT` if it changed since.
    pub expected_version: Option<i32>,
}

/// A new legal representative.
#[derive(InputObject)]
pub struct ChangeLegalRepresentativeInput {
    /// The enterprise's tax code.
    pub code: String,
    /// A living citizen.
    pub personal_id: String,
    /// The enterprise's version you read; `CONFLICT` if it changed since.
    pub expected_version: Option<i32>,
}

/// The enterprise as written.
#[derive(SimpleObject)]
pub struct RegisterEnterprisePayload {
    /// The enterprise registered.
    pub enterprise: Option<Enterprise>,
}

/// The enterprise as written.
#[derive(SimpleObject)]
pub struct ChangeEnterpriseStatusPayload {
    /// The enterprise with its new status.
    pub enterprise: Option<Enterprise>,
}

/// The enterprise as written.
#[derive(SimpleObject)]
pub struct ChangeLegalRepresentativePayload {
    /// The enterprise with its new representative.
    pub enterprise: Option<Enterprise>,
}

async fn fresh_enterprise(
    ctx: &Context<'_>,
    code: &str,
) -> async_graphql::Result<Option<Enterprise>> {
    Ok(enterprise::Entity::find_by_id(code.to_owned())
        .one(db(ctx)?)
        .await
        .gql()?
        .map(Enterprise))
}

/// Writes to the business register, for its owner.
#[derive(Default)]
pub struct EnterpriseMutation;

#[Object]
impl EnterpriseMutation {
    /// Registers an enterprise (status `ACTIVE`).
    #[graphql(guard = "Scope::EnterpriseWrite")]
    async fn register_enterprise(
        &self,
        ctx: &Context<'_>,
        input: RegisterEnterpriseInput,
    ) -> async_graphql::Result<Option<RegisterEnterprisePayload>> {
        let new = crate::registers::enterprise::NewEnterprise {
            code: input.code,
            name: input.name,
            name_en: input.name_en,
            kind: input.r#type.into(),
            founded_on: input.founded_on,
            registered_capital_vnd: input.registered_capital_vnd,
            head_office_commune: input.head_office_commune_code,
            head_office_line: input.head_office_address,
            legal_rep_id: input.legal_representative_id,
            industries: input.industries,
        };
        let written = crate::registers::enterprise::register_enterprise(
            db(ctx)?,
            &principal(ctx)?.agency,
            new,
            &super::write_meta(ctx, Some(entities::access::Dataset::Enterprise))?,
        )
        .await
        .gql()?;
        super::wrote(
            ctx,
            entities::access::Dataset::Enterprise,
            Scope::EnterpriseWrite,
        );
        Ok(Some(RegisterEnterprisePayload {
            enterprise: fresh_enterprise(ctx, &written.key).await?,
        }))
    }

    /// Changes an enterprise's status.
    #[graphql(guard = "Scope::EnterpriseWrite")]
    async fn change_enterprise_status(
        &self,
        ctx: &Context<'_>,
        input: ChangeEnterpriseStatusInput,
    ) -> async_graphql::Result<Option<ChangeEnterpriseStatusPayload>> {
        let written = crate::registers::enterprise::change_status(
            db(ctx)?,
            &principal(ctx)?.agency,
            &input.code,
            input.status.into(),
            input.expected_version,
            &super::write_meta(ctx, None)?,
        )
        .await
        .gql()?;
        super::feed_grew(ctx);
        Ok(Some(ChangeEnterpriseStatusPayload {
            enterprise: fresh_enterprise(ctx, &written.key).await?,
        }))
    }

    /// Names a new legal representative.
    #[graphql(guard = "Scope::EnterpriseWrite")]
    async fn change_legal_representative(
        &self,
        ctx: &Context<'_>,
        input: ChangeLegalRepresentativeInput,
    ) -> async_graphql::Result<Option<ChangeLegalRepresentativePayload>> {
        let written = crate::registers::enterprise::change_legal_representative(
            db(ctx)?,
            &principal(ctx)?.agency,
            &input.code,
            &input.personal_id,
            input.expected_version,
            &super::write_meta(ctx, Some(entities::access::Dataset::Enterprise))?,
        )
        .await
        .gql()?;
        super::wrote(
            ctx,
            entities::access::Dataset::Enterprise,
            Scope::EnterpriseWrite,
        );
        Ok(Some(ChangeLegalRepresentativePayload {
            enterprise: fresh_enterprise(ctx, &written.key).await?,
        }))
    }
}

//! The population dataset in the graph: citizens and households.
//!
//! Where is the rule that hides a citizen's date of birth? On the field
//! `Citizen.dateOfBirth` below: every field carries its own scope guard, so a
//! citizen reached through an enterprise, a land right or a household is
//! guarded exactly like one looked up by personal id.

use super::admin::Commune;
use super::enterprise::{Enterprise, EnterpriseMember};
use super::land::LandRight;
use super::loaders::{
    ChildrenOf, CitizenById, EnterprisesRepresentedBy, HouseholdById, MembersOfHousehold,
    MembershipsOf, RightsOfHolder,
};
use super::page::{Conn, PageRequest, connection};
use super::{db, loader, principal};
use crate::auth::{Principal, Scope};
use crate::error::{ApiError, Gql};
use crate::ids;
use crate::refdata::reference;
use crate::text;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{Datelike, NaiveDate};
use entities::enterprise::MemberKind;
use entities::land::HolderKind;
use entities::population::{self as pop, citizen, household};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

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
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<Citizen>>> {
        let rows = loader(ctx)?
            .load_one(ChildrenOf(self.0.personal_id.clone()))
            .await
            .gql()?;
        Ok(Some(
            rows.unwrap_or_default().into_iter().map(Citizen).collect(),
        ))
    }

    /// Land-use rights the citizen holds (any status), by certificate number.
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
                HolderKind::Citizen,
                self.0.personal_id.clone(),
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

    /// Enterprises whose legal representative the citizen is (public register).
    #[graphql(
        guard = "Scope::EnterpriseRead.on(self)",
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn enterprises(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<Enterprise>>> {
        let rows = loader(ctx)?
            .load_one(EnterprisesRepresentedBy(self.0.personal_id.clone()))
            .await
            .gql()?;
        Ok(Some(
            rows.unwrap_or_default()
                .into_iter()
                .map(Enterprise)
                .collect(),
        ))
    }

    /// Enterprises in which the citizen is a member or shareholder.
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
                MemberKind::Citizen,
                self.0.personal_id.clone(),
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
        complexity = "super::LIST * child_complexity + 1"
    )]
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<Citizen>>> {
        let rows = loader(ctx)?
            .load_one(MembersOfHousehold(self.0.id))
            .await
            .gql()?;
        Ok(Some(
            rows.unwrap_or_default().into_iter().map(Citizen).collect(),
        ))
    }
}

/// Which citizens to list. Every filter is optional; they combine with AND.
#[derive(InputObject, Default, Debug)]
pub struct CitizenFilter {
    /// Province of residence (two-digit code); must be in your jurisdiction.
    pub province_code: Option<String>,
    /// Commune of residence (five-digit code); must be in your jurisdiction.
    pub commune_code: Option<String>,
    /// Name, without or with diacritics: `nguyen van` finds `Nguyễn Văn Anh`.
    /// Matches names that start with it; results are then in name order.
    pub name: Option<String>,
    /// Born in this year or later.
    pub born_from: Option<i32>,
    /// Born in this year or earlier.
    pub born_to: Option<i32>,
    /// Alive or deceased.
    pub status: Option<CitizenStatus>,
}

/// Facts to check against the register. Give at least one besides the id.
#[derive(InputObject)]
pub struct VerifyCitizenInput {
    /// The 12-digit personal id to check.
    pub personal_id: String,
    /// The full name, compared ignoring case and extra spaces (marks count).
    pub full_name: Option<String>,
    /// The date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// The sex.
    pub sex: Option<Sex>,
    /// The commune of permanent residence.
    pub residence_commune_code: Option<String>,
    /// `true` to check that the citizen is alive, `false` that they are deceased.
    pub alive: Option<bool>,
}

/// The answer to a verification: yes or no, and nothing else.
#[derive(SimpleObject)]
pub struct VerifyCitizenPayload {
    /// `true` when a citizen with this id exists and every given fact matches.
    pub matches: bool,
}

/// Whether `citizen` (if any) agrees with every fact given in `input`.
pub fn verify(citizen: Option<&citizen::Model>, input: &VerifyCitizenInput) -> bool {
    let Some(c) = citizen else {
        return false;
    };
    input
        .full_name
        .as_deref()
        .is_none_or(|n| text::same_name(n, &c.full_name))
        && input.date_of_birth.is_none_or(|d| d == c.date_of_birth)
        && input.sex.is_none_or(|s| pop::Sex::from(s) == c.sex)
        && input
            .residence_commune_code
            .as_deref()
            .is_none_or(|code| code == c.residence_commune)
        && input
            .alive
            .is_none_or(|alive| alive == (c.status == pop::CitizenStatus::Alive))
}

/// Lists citizens under the caller's jurisdiction, in personal-id order (or
/// folded-name order when searching by name), one page after the cursor.
pub async fn list_citizens(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &CitizenFilter,
    page: &PageRequest,
) -> Result<Vec<citizen::Model>, ApiError> {
    let Some(mut query) = crate::registers::listing::restrict_listing(
        citizen::Entity::find(),
        principal,
        entities::access::Dataset::Population,
        filter.province_code.as_deref(),
        filter.commune_code.as_deref(),
        citizen::Column::ResidenceProvince,
        citizen::Column::ResidenceCommune,
    )?
    else {
        return Ok(vec![]);
    };
    if let Some(status) = filter.status {
        query = query.filter(citizen::Column::Status.eq(pop::CitizenStatus::from(status)));
    }
    let this_year = chrono::Utc::now().year();
    for year in [filter.born_from, filter.born_to].into_iter().flatten() {
        if !(1850..=this_year).contains(&year) {
            return Err(ApiError::BadUserInput(format!(
                "birth year must be between 1850 and {this_year}, got {year}"
            )));
        }
    }
    if let (Some(from), Some(to)) = (filter.born_from, filter.born_to)
        && from > to
    {
        return Err(ApiError::BadUserInput(format!(
            "bornFrom ({from}) is after bornTo ({to})"
        )));
    }
    if let Some(from) = filter.born_from {
        let first_day = NaiveDate::from_ymd_opt(from, 1, 1).expect("valid year");
        query = query.filter(citizen::Column::DateOfBirth.gte(first_day));
    }
    if let Some(to) = filter.born_to {
        let last_day = NaiveDate::from_ymd_opt(to, 12, 31).expect("valid year");
        query = query.filter(citizen::Column::DateOfBirth.lte(last_day));
    }
    match name_prefix(filter.name.as_deref())? {
        Some(prefix) => {
            query = query.filter(citizen::Column::SearchName.gte(prefix.as_str()));
            if let Some(upper) = text::prefix_upper_bound(&prefix) {
                query = query.filter(citizen::Column::SearchName.lt(upper));
            }
            if let Some(key) = &page.after {
                query = query.filter(
                    Condition::any()
                        .add(citizen::Column::SearchName.gt(key[0].as_str()))
                        .add(
                            Condition::all()
                                .add(citizen::Column::SearchName.eq(key[0].as_str()))
                                .add(citizen::Column::PersonalId.gt(key[1].as_str())),
                        ),
                );
            }
            query = query
                .order_by_asc(citizen::Column::SearchName)
                .order_by_asc(citizen::Column::PersonalId);
        }
        None => {
            if let Some(key) = &page.after {
                query = query.filter(citizen::Column::PersonalId.gt(key[0].as_str()));
            }
            query = query.order_by_asc(citizen::Column::PersonalId);
        }
    }
    Ok(query.limit(page.limit()).all(db).await?)
}

/// The folded name to search for, or an error when it folds to nothing.
fn name_prefix(name: Option<&str>) -> Result<Option<String>, ApiError> {
    match name {
        None => Ok(None),
        Some(name) => {
            let folded = text::fold(name);
            if folded.is_empty() || folded.len() > 200 {
                Err(ApiError::BadUserInput(
                    "name must have between 1 and 200 letters".into(),
                ))
            } else {
                Ok(Some(folded))
            }
        }
    }
}

/// Population queries.
#[derive(Default)]
pub struct PopulationQuery;

#[Object]
impl PopulationQuery {
    /// A citizen by personal id, anywhere in the country (every lookup is
    /// recorded); `null` if no citizen has this id.
    #[graphql(guard = "Scope::PopulationRead")]
    async fn citizen(
        &self,
        ctx: &Context<'_>,
        personal_id: String,
    ) -> async_graphql::Result<Option<Citizen>> {
        ids::parse_personal_id(&personal_id).gql()?;
        let citizen = load_citizen(ctx, Some(&personal_id)).await?;
        // Finding them discloses that they exist: recorded even when no
        // field of theirs is selected.
        super::found(ctx, Scope::PopulationRead, &citizen)?;
        Ok(citizen)
    }

    /// Citizens residing in your jurisdiction, filtered, one page at a time.
    #[graphql(
        guard = "Scope::PopulationRead",
        complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 1"
    )]
    async fn citizens(
        &self,
        ctx: &Context<'_>,
        filter: Option<CitizenFilter>,
        #[graphql(desc = "Page size, 50 by default, at most 500.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last citizen of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Conn<Citizen>>> {
        let filter = filter.unwrap_or_default();
        let by_name = filter.name.is_some();
        let (kind, parts) = if by_name {
            ("citizen-name", 2)
        } else {
            ("citizen", 1)
        };
        let listing = super::listing(ctx, kind, parts, &filter)?;
        let page = listing.page(first, after.as_deref()).gql()?;
        let rows = list_citizens(db(ctx)?, principal(ctx)?, &filter, &page)
            .await
            .gql()?;
        let page_of = connection(
            rows,
            &page,
            |c| {
                if by_name {
                    listing.cursor(&[&c.search_name, &c.personal_id])
                } else {
                    listing.cursor(&[&c.personal_id])
                }
            },
            Citizen,
        );
        super::found(
            ctx,
            Scope::PopulationRead,
            page_of.edges.iter().map(|edge| &edge.node),
        )?;
        Ok(Some(page_of))
    }

    /// A household by its number; `null` if none has it.
    #[graphql(guard = "Scope::PopulationReadPii")]
    async fn household(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Household>> {
        let id: i64 = id
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ApiError::BadUserInput(format!(
                    "household id must be a positive number, got {:?}",
                    id.as_str()
                ))
            })
            .gql()?;
        let household = loader(ctx)?
            .load_one(HouseholdById(id))
            .await
            .gql()?
            .map(Household);
        super::found(ctx, Scope::PopulationReadPii, &household)?;
        Ok(household)
    }

    /// Checks facts about a citizen (for a procedure that only needs a yes
    /// or no): discloses nothing but whether they all match.
    #[graphql(guard = "Scope::PopulationVerify")]
    async fn verify_citizen(
        &self,
        ctx: &Context<'_>,
        input: VerifyCitizenInput,
    ) -> async_graphql::Result<Option<VerifyCitizenPayload>> {
        ids::parse_personal_id(&input.personal_id).gql()?;
        if let Some(code) = &input.residence_commune_code {
            ids::check_commune_code(code).gql()?;
        }
        if input.full_name.is_none()
            && input.date_of_birth.is_none()
            && input.sex.is_none()
            && input.residence_commune_code.is_none()
            && input.alive.is_none()
        {
            return Err(ApiError::BadUserInput(
                "give at least one fact to verify besides the personal id".into(),
            )
            .into_graphql());
        }
        // Facts cannot be guessed one by one: attempts per agency and
        // person are limited, one per request (`limits::check_shape`), and
        // each is recorded with its outcome.
        let operation = super::operation(ctx)?;
        if let Err(wait) = operation
            .services
            .verifications
            .check(&operation.principal.agency, &input.personal_id)
        {
            operation.trail.disclosed(
                entities::access::Dataset::Population,
                Scope::PopulationVerify,
                "verifyCitizen",
                &async_graphql::Name::new("refused"),
                [input.personal_id.as_str()],
            );
            return Err(ApiError::RateLimited(format!(
                "too many verifications of this person by {}; retry in {} s",
                operation.principal.agency,
                wait.as_secs().max(1)
            ))
            .into_graphql());
        }
        let citizen = citizen::Entity::find_by_id(input.personal_id.clone())
            .one(db(ctx)?)
            .await
            .gql()?;
        let matches = verify(citizen.as_ref(), &input);
        let outcome = if matches { "match" } else { "noMatch" };
        operation.trail.disclosed(
            entities::access::Dataset::Population,
            Scope::PopulationVerify,
            "verifyCitizen",
            &async_graphql::Name::new(outcome),
            [input.personal_id.as_str()],
        );
        Ok(Some(VerifyCitizenPayload { matches }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anh() -> citizen::Model {
        citizen::Model {
            personal_id: "079085000001".into(),
            full_name: "Nguyễn Văn Anh".into(),
            search_name: "nguyen van anh".into(),
            sex: pop::Sex::Male,
            date_of_birth: NaiveDate::from_ymd_opt(1985, 4, 2).unwrap(),
            ethnicity: "Kinh".into(),
            nationality: "VN".into(),
            place_of_origin_commune: "00004".into(),
            residence_commune: "00004".into(),
            residence_province: "01".into(),
            residence_line: "12 Phố Huế".into(),
            household_id: Some(1),
            father_id: None,
            mother_id: None,
            spouse_id: None,
            status: pop::CitizenStatus::Alive,
            date_of_death: None,
            version: 1,
            updated_at: chrono::Utc::now(),
        }
    }

    fn input() -> VerifyCitizenInput {
        VerifyCitizenInput {
            personal_id: "079085000001".into(),
            full_name: None,
            date_of_birth: None,
            sex: None,
            residence_commune_code: None,
            alive: None,
        }
    }

    #[test]
    fn verification_needs_every_given_fact_to_match() {
        let c = anh();
        let ok = VerifyCitizenInput {
            full_name: Some("nguyễn văn  anh".into()),
            date_of_birth: Some(c.date_of_birth),
            alive: Some(true),
            ..input()
        };
        assert!(verify(Some(&c), &ok));
        let wrong_date = VerifyCitizenInput {
            date_of_birth: NaiveDate::from_ymd_opt(1985, 4, 3),
            ..ok
        };
        assert!(!verify(Some(&c), &wrong_date));
        let unmarked = VerifyCitizenInput {
            full_name: Some("Nguyen Van Anh".into()),
            ..input()
        };
        assert!(!verify(Some(&c), &unmarked));
        let deceased = VerifyCitizenInput {
            alive: Some(false),
            ..input()
        };
        assert!(!verify(Some(&c), &deceased));
        assert!(!verify(
            None,
            &VerifyCitizenInput {
                sex: Some(Sex::Male),
                ..input()
            }
        ));
    }
}

/// A citizen to register (a birth, or a record made for the first time).
#[derive(InputObject)]
pub struct RegisterCitizenInput {
    /// The 12-digit personal id; it must agree with sex and date of birth.
    pub personal_id: String,
    /// Full name, with diacritics.
    pub full_name: String,
    /// Sex (must agree with the personal id).
    pub sex: Sex,
    /// Date of birth (its year must agree with the personal id).
    pub date_of_birth: NaiveDate,
    /// Ethnic group, e.g. `Kinh`.
    pub ethnicity: String,
    /// ISO 3166-1 alpha-2 code.
    #[graphql(default_with = "\"VN\".to_string()")]
    pub nationality: String,
    /// Place of origin (commune code).
    pub place_of_origin_commune_code: String,
    /// Commune of permanent residence.
    pub residence_commune_code: String,
    /// Street address within the commune.
    pub residence_line: String,
    /// Registered father, if any.
    pub father_id: Option<String>,
    /// Registered mother, if any.
    pub mother_id: Option<String>,
}

/// A new residence.
#[derive(InputObject)]
pub struct ChangeResidenceInput {
    /// The citizen who moves.
    pub personal_id: String,
    /// The commune moved to.
    pub commune_code: String,
    /// The street address there.
    pub residence_line: String,
    /// The citizen's version you read; `CONFLICT` if it changed since.
    pub expected_version: Option<i32>,
}

/// A death to record.
#[derive(InputObject)]
pub struct RecordDeathInput {
    /// The citizen who died.
    pub personal_id: String,
    /// Between the date of birth and today.
    pub date_of_death: NaiveDate,
    /// The citizen's version you read; `CONFLICT` if it changed since.
    pub expected_version: Option<i32>,
}

/// The citizen as written.
#[derive(async_graphql::SimpleObject)]
pub struct RegisterCitizenPayload {
    /// The citizen registered.
    pub citizen: Option<Citizen>,
}

/// The citizen as written (with their household).
#[derive(async_graphql::SimpleObject)]
pub struct ChangeResidencePayload {
    /// The citizen at the new residence.
    pub citizen: Option<Citizen>,
}

/// The citizen as written.
#[derive(async_graphql::SimpleObject)]
pub struct RecordDeathPayload {
    /// The citizen, now deceased.
    pub citizen: Option<Citizen>,
}

/// The citizen as stored now (not from the request's loader cache).
async fn fresh_citizen(ctx: &Context<'_>, id: &str) -> async_graphql::Result<Option<Citizen>> {
    Ok(citizen::Entity::find_by_id(id.to_owned())
        .one(db(ctx)?)
        .await
        .gql()?
        .map(Citizen))
}

/// Writes to the population register, for its owner.
#[derive(Default)]
pub struct PopulationMutation;

#[Object]
impl PopulationMutation {
    /// Registers a citizen in a household of their own.
    #[graphql(guard = "Scope::PopulationWrite")]
    async fn register_citizen(
        &self,
        ctx: &Context<'_>,
        input: RegisterCitizenInput,
    ) -> async_graphql::Result<Option<RegisterCitizenPayload>> {
        let new = crate::registers::population::NewCitizen {
            personal_id: input.personal_id,
            full_name: input.full_name,
            sex: input.sex.into(),
            date_of_birth: input.date_of_birth,
            ethnicity: input.ethnicity,
            nationality: input.nationality,
            place_of_origin_commune: input.place_of_origin_commune_code,
            residence_commune: input.residence_commune_code,
            residence_line: input.residence_line,
            father_id: input.father_id,
            mother_id: input.mother_id,
        };
        let written = crate::registers::population::register_citizen(
            db(ctx)?,
            &principal(ctx)?.agency,
            new,
            &super::write_meta(ctx, Some(pop_dataset()))?,
        )
        .await
        .gql()?;
        super::wrote(ctx, pop_dataset(), Scope::PopulationWrite);
        Ok(Some(RegisterCitizenPayload {
            citizen: fresh_citizen(ctx, &written.key).await?,
        }))
    }

    /// Moves a citizen to a new residence. The head of a household moves
    /// with the whole household; anyone else gets a household of their own
    /// at the new address.
    #[graphql(guard = "Scope::PopulationWrite")]
    async fn change_residence(
        &self,
        ctx: &Context<'_>,
        input: ChangeResidenceInput,
    ) -> async_graphql::Result<Option<ChangeResidencePayload>> {
        let written = crate::registers::population::change_residence(
            db(ctx)?,
            &principal(ctx)?.agency,
            &input.personal_id,
            &input.commune_code,
            &input.residence_line,
            input.expected_version,
            &super::write_meta(ctx, Some(pop_dataset()))?,
        )
        .await
        .gql()?;
        super::wrote(ctx, pop_dataset(), Scope::PopulationWrite);
        Ok(Some(ChangeResidencePayload {
            citizen: fresh_citizen(ctx, &written.key).await?,
        }))
    }

    /// Records a citizen's death.
    #[graphql(guard = "Scope::PopulationWrite")]
    async fn record_death(
        &self,
        ctx: &Context<'_>,
        input: RecordDeathInput,
    ) -> async_graphql::Result<Option<RecordDeathPayload>> {
        let written = crate::registers::population::record_death(
            db(ctx)?,
            &principal(ctx)?.agency,
            &input.personal_id,
            input.date_of_death,
            input.expected_version,
            &super::write_meta(ctx, Some(pop_dataset()))?,
        )
        .await
        .gql()?;
        super::wrote(ctx, pop_dataset(), Scope::PopulationWrite);
        Ok(Some(RecordDeathPayload {
            citizen: fresh_citizen(ctx, &written.key).await?,
        }))
    }
}

fn pop_dataset() -> entities::access::Dataset {
    entities::access::Dataset::Population
}

//! Population queries: a citizen by id, citizens listed in a
//! jurisdiction, a household, and the yes-or-no verification of facts.

use super::types::*;
use crate::auth::Scope;
use crate::error::{ApiError, Gql};
use crate::graphql::loaders::HouseholdById;
use crate::graphql::page::{Conn, CursorKind, connection};
use crate::graphql::{db, loader, principal};
use crate::ids;
use crate::registers::population as registers;
use crate::text;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use entities::population::{self as pop, citizen};
use sea_orm::EntityTrait;

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

impl CitizenFilter {
    /// The register's form of this filter.
    fn listing(&self) -> registers::CitizenListing<'_> {
        registers::CitizenListing {
            province_code: self.province_code.as_deref(),
            commune_code: self.commune_code.as_deref(),
            name: self.name.as_deref(),
            born_from: self.born_from,
            born_to: self.born_to,
            status: self.status.map(Into::into),
        }
    }
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
        crate::graphql::found(ctx, Scope::PopulationRead, &citizen)?;
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
        let kind = if by_name {
            CursorKind::CitizensByName
        } else {
            CursorKind::Citizens
        };
        let (listing, page) = crate::graphql::paged(ctx, kind, &filter, first, after)?;
        let rows = registers::list_citizens(db(ctx)?, principal(ctx)?, &filter.listing(), &page)
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
        crate::graphql::found(
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
        crate::graphql::found(ctx, Scope::PopulationReadPii, &household)?;
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
        let operation = crate::graphql::operation(ctx)?;
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
    use crate::graphql::population::Sex;

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

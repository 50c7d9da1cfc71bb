//! Population writes, for the register's owner: register a citizen,
//! change a residence, record a death. The rules are
//! `registers::population`.

use super::types::*;
use crate::auth::Scope;
use async_graphql::{Context, InputObject, Object};
use chrono::NaiveDate;
use entities::population::citizen;

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
        let result =
            crate::registers::population::register_citizen(&crate::graphql::writer(ctx)?, new)
                .await;
        Ok(Some(RegisterCitizenPayload {
            citizen: crate::graphql::answer::<citizen::Entity, _>(ctx, result, Citizen).await?,
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
        let result = crate::registers::population::change_residence(
            &crate::graphql::writer(ctx)?,
            &input.personal_id,
            &input.commune_code,
            &input.residence_line,
            input.expected_version,
        )
        .await;
        Ok(Some(ChangeResidencePayload {
            citizen: crate::graphql::answer::<citizen::Entity, _>(ctx, result, Citizen).await?,
        }))
    }

    /// Records a citizen's death.
    #[graphql(guard = "Scope::PopulationWrite")]
    async fn record_death(
        &self,
        ctx: &Context<'_>,
        input: RecordDeathInput,
    ) -> async_graphql::Result<Option<RecordDeathPayload>> {
        let result = crate::registers::population::record_death(
            &crate::graphql::writer(ctx)?,
            &input.personal_id,
            input.date_of_death,
            input.expected_version,
        )
        .await;
        Ok(Some(RecordDeathPayload {
            citizen: crate::graphql::answer::<citizen::Entity, _>(ctx, result, Citizen).await?,
        }))
    }
}

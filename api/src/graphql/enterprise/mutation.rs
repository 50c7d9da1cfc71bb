//! Enterprise writes, for the register's owner: register an enterprise,
//! change its status or its legal representative. The rules are
//! `registers::enterprise`.

use super::types::*;
use crate::auth::Scope;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use entities::enterprise::enterprise;

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
        let result =
            crate::registers::enterprise::register_enterprise(&crate::graphql::writer(ctx)?, new)
                .await;
        Ok(Some(RegisterEnterprisePayload {
            enterprise: crate::graphql::answer::<enterprise::Entity, _>(ctx, result, Enterprise)
                .await?,
        }))
    }

    /// Changes an enterprise's status.
    #[graphql(guard = "Scope::EnterpriseWrite")]
    async fn change_enterprise_status(
        &self,
        ctx: &Context<'_>,
        input: ChangeEnterpriseStatusInput,
    ) -> async_graphql::Result<Option<ChangeEnterpriseStatusPayload>> {
        let result = crate::registers::enterprise::change_status(
            &crate::graphql::writer(ctx)?,
            &input.code,
            input.status.into(),
            input.expected_version,
        )
        .await;
        Ok(Some(ChangeEnterpriseStatusPayload {
            enterprise: crate::graphql::answer::<enterprise::Entity, _>(ctx, result, Enterprise)
                .await?,
        }))
    }

    /// Names a new legal representative.
    #[graphql(guard = "Scope::EnterpriseWrite")]
    async fn change_legal_representative(
        &self,
        ctx: &Context<'_>,
        input: ChangeLegalRepresentativeInput,
    ) -> async_graphql::Result<Option<ChangeLegalRepresentativePayload>> {
        let result = crate::registers::enterprise::change_legal_representative(
            &crate::graphql::writer(ctx)?,
            &input.code,
            &input.personal_id,
            input.expected_version,
        )
        .await;
        Ok(Some(ChangeLegalRepresentativePayload {
            enterprise: crate::graphql::answer::<enterprise::Entity, _>(ctx, result, Enterprise)
                .await?,
        }))
    }
}

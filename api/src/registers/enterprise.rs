//! Writes to the business register (owner: BTC): register an enterprise,
//! change its status, change its legal representative.

use super::population::living;
use super::{Change, Idempotency, begin, check_version, commit, once, updated_one};
use crate::error::ApiError;
use crate::ids;
use chrono::{NaiveDate, Utc};
use entities::access::Dataset;
use entities::enterprise::{EnterpriseStatus, EnterpriseType, enterprise, enterprise_industry};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter,
};

/// An enterprise to register.
#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: EnterpriseType,
    pub founded_on: NaiveDate,
    pub registered_capital_vnd: i64,
    pub head_office_commune: String,
    pub head_office_line: String,
    pub legal_rep_id: String,
    /// VSIC codes, the main one first.
    pub industries: Vec<String>,
}

async fn existing(txn: &DatabaseTransaction, code: &str) -> Result<enterprise::Model, ApiError> {
    ids::parse_tax_code(code)?;
    enterprise::Entity::find_by_id(code.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no enterprise has code {code}")))
}

fn change(code: &str, op: &'static str, province: &str) -> Change {
    Change {
        dataset: Dataset::Enterprise,
        entity: "Enterprise",
        key: code.to_owned(),
        op,
        province: province.to_owned(),
    }
}

pub async fn register_enterprise(
    db: &DatabaseConnection,
    agency: &str,
    input: NewEnterprise,
    idempotency: Option<&Idempotency>,
) -> Result<String, ApiError> {
    ids::parse_tax_code(&input.code)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::BadUserInput(
            "name must have between 1 and 200 characters".into(),
        ));
    }
    let province = super::province_of(&input.head_office_commune)?;
    if input.registered_capital_vnd <= 0 {
        return Err(ApiError::BadUserInput(
            "registeredCapitalVnd must be positive".into(),
        ));
    }
    if input.founded_on > Utc::now().date_naive() {
        return Err(ApiError::BadUserInput("foundedOn is in the future".into()));
    }
    if input.industries.is_empty() {
        return Err(ApiError::BadUserInput(
            "give at least one industry (the main one first)".into(),
        ));
    }
    for code in &input.industries {
        ids::check_industry_code(code)?;
    }
    let mut industries = input.industries.clone();
    industries.dedup();
    once(db, idempotency, async {
        let txn = begin(db).await?;
        if enterprise::Entity::find_by_id(input.code.clone())
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!(
                "enterprise code {} is already registered",
                input.code
            )));
        }
        living(&txn, &input.legal_rep_id, "a legal representative").await?;
        enterprise::Entity::insert(enterprise::ActiveModel {
            code: Set(input.code.clone()),
            search_name: Set(crate::text::fold(&name)),
            name: Set(name.clone()),
            name_en: Set(input.name_en.clone()),
            enterprise_type: Set(input.kind),
            status: Set(EnterpriseStatus::Active),
            founded_on: Set(input.founded_on),
            registered_capital_vnd: Set(input.registered_capital_vnd),
            head_office_commune: Set(input.head_office_commune.clone()),
            head_office_province: Set(province.clone()),
            head_office_line: Set(input.head_office_line.trim().to_owned()),
            legal_rep_id: Set(input.legal_rep_id.clone()),
            version: Set(1),
            updated_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(crate::error::conflict_on_unique)?;
        enterprise_industry::Entity::insert_many(industries.iter().enumerate().map(|(i, c)| {
            enterprise_industry::ActiveModel {
                enterprise_code: Set(input.code.clone()),
                vsic_code: Set(c.clone()),
                is_main: Set(i == 0),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
        commit(
            txn,
            agency,
            vec![change(&input.code, "CREATED", &province)],
            idempotency,
            &input.code,
        )
        .await?;
        Ok(input.code.clone())
    })
    .await
}

pub async fn change_status(
    db: &DatabaseConnection,
    agency: &str,
    code: &str,
    status: EnterpriseStatus,
    expected_version: Option<i32>,
    idempotency: Option<&Idempotency>,
) -> Result<String, ApiError> {
    once(db, idempotency, async {
        let txn = begin(db).await?;
        let current = existing(&txn, code).await?;
        check_version(
            &format!("enterprise {code}"),
            current.version,
            expected_version,
        )?;
        if current.status == EnterpriseStatus::Dissolved {
            return Err(ApiError::BadUserInput(format!(
                "enterprise {code} is dissolved: its status cannot change"
            )));
        }
        if current.status == status {
            return Err(ApiError::BadUserInput(format!(
                "enterprise {code} already has this status"
            )));
        }
        let updated = enterprise::Entity::update_many()
            .col_expr(enterprise::Column::Status, Expr::value(status))
            .col_expr(
                enterprise::Column::Version,
                Expr::value(current.version + 1),
            )
            .col_expr(enterprise::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(enterprise::Column::Code.eq(code))
            .filter(enterprise::Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        updated_one(&format!("enterprise {code}"), updated.rows_affected)?;
        commit(
            txn,
            agency,
            vec![change(code, "UPDATED", &current.head_office_province)],
            idempotency,
            code,
        )
        .await?;
        Ok(code.to_owned())
    })
    .await
}

pub async fn change_legal_representative(
    db: &DatabaseConnection,
    agency: &str,
    code: &str,
    personal_id: &str,
    expected_version: Option<i32>,
    idempotency: Option<&Idempotency>,
) -> Result<String, ApiError> {
    once(db, idempotency, async {
        let txn = begin(db).await?;
        let current = existing(&txn, code).await?;
        check_version(
            &format!("enterprise {code}"),
            current.version,
            expected_version,
        )?;
        if current.status == EnterpriseStatus::Dissolved {
            return Err(ApiError::BadUserInput(format!(
                "enterprise {code} is dissolved"
            )));
        }
        living(&txn, personal_id, "a legal representative").await?;
        let updated = enterprise::Entity::update_many()
            .col_expr(enterprise::Column::LegalRepId, Expr::value(personal_id))
            .col_expr(
                enterprise::Column::Version,
                Expr::value(current.version + 1),
            )
            .col_expr(enterprise::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(enterprise::Column::Code.eq(code))
            .filter(enterprise::Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        updated_one(&format!("enterprise {code}"), updated.rows_affected)?;
        commit(
            txn,
            agency,
            vec![change(code, "UPDATED", &current.head_office_province)],
            idempotency,
            code,
        )
        .await?;
        Ok(code.to_owned())
    })
    .await
}

//! Writes to the business register (owner: BTC): register an enterprise,
//! change its status, change its legal representative.

use crate::error::ApiError;
use crate::ids;
use crate::registers::population::living;
use crate::registers::{
    Change, Lock, Writer, Written, begin, check_version, commit, once, update_at_version,
};
use crate::text::{MAX_ADDRESS_LINE, MAX_ENTERPRISE_NAME, clean};
use chrono::{NaiveDate, Utc};
use entities::access::Dataset;
use entities::enterprise::{EnterpriseStatus, EnterpriseType, enterprise, enterprise_industry};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

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

/// The enterprise, locked for the write that changes it.
/// The enterprise a change is made to, read for update: it exists, is at
/// the version the caller read (if it says), and is not dissolved.
async fn changeable(
    txn: &DatabaseTransaction,
    code: &str,
    expected_version: Option<i32>,
) -> Result<enterprise::Model, ApiError> {
    ids::parse_tax_code(code)?;
    let current = Lock::Update
        .on(enterprise::Entity::find_by_id(code.to_owned()))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no enterprise has code {code}")))?;
    check_version(
        &format!("enterprise {code}"),
        current.version,
        expected_version,
    )?;
    if current.status == EnterpriseStatus::Dissolved {
        return Err(ApiError::BadUserInput(format!(
            "enterprise {code} is dissolved: it cannot change"
        )));
    }
    Ok(current)
}

/// Sets one column of an enterprise opened by [`changeable`], at the
/// version read.
async fn change_one(
    txn: &DatabaseTransaction,
    current: &enterprise::Model,
    column: enterprise::Column,
    value: sea_orm::sea_query::SimpleExpr,
) -> Result<(), ApiError> {
    update_at_version(
        txn,
        &format!("enterprise {}", current.code),
        enterprise::Entity::update_many()
            .col_expr(column, value)
            .col_expr(enterprise::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(enterprise::Column::Code.eq(current.code.as_str())),
        enterprise::Column::Version,
        current.version,
    )
    .await
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

/// Registers an enterprise (status `ACTIVE`) with a living legal
/// representative.
pub async fn register_enterprise(
    w: &Writer<'_>,
    input: NewEnterprise,
) -> Result<Written, ApiError> {
    ids::parse_tax_code(&input.code)?;
    let name = clean("name", &input.name, MAX_ENTERPRISE_NAME)?;
    let name_en = match &input.name_en {
        Some(name_en) => Some(clean("nameEn", name_en, MAX_ENTERPRISE_NAME)?),
        None => None,
    };
    let head_office_line = clean(
        "headOfficeAddress",
        &input.head_office_line,
        MAX_ADDRESS_LINE,
    )?;
    let province = crate::registers::province_of(&input.head_office_commune)?;
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
    for (i, code) in input.industries.iter().enumerate() {
        ids::check_industry_code(code)?;
        if input.industries[..i].contains(code) {
            return Err(ApiError::BadUserInput(format!(
                "industry {code} is given more than once"
            )));
        }
    }
    let industries = &input.industries;
    once(w, Dataset::Enterprise, async {
        let txn = begin(w.db).await?;
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
        living(
            &txn,
            &input.legal_rep_id,
            "a legal representative",
            Lock::Share,
        )
        .await?;
        enterprise::Entity::insert(enterprise::ActiveModel {
            code: Set(input.code.clone()),
            search_name: Set(crate::text::fold(&name)),
            name: Set(name.clone()),
            name_en: Set(name_en.clone()),
            enterprise_type: Set(input.kind),
            status: Set(EnterpriseStatus::Active),
            founded_on: Set(input.founded_on),
            registered_capital_vnd: Set(input.registered_capital_vnd),
            head_office_commune: Set(input.head_office_commune.clone()),
            head_office_province: Set(province.clone()),
            head_office_line: Set(head_office_line.clone()),
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
        let written = Written::personal(
            Dataset::Enterprise,
            &input.code,
            [input.legal_rep_id.as_str()],
        );
        commit(
            txn,
            w,
            vec![change(&input.code, "CREATED", &province)],
            written,
        )
        .await
    })
    .await
}

/// Changes an enterprise's status (dissolved is final). The public
/// register's status is no one's personal data: the subject is the
/// enterprise.
pub async fn change_status(
    w: &Writer<'_>,
    code: &str,
    status: EnterpriseStatus,
    expected_version: Option<i32>,
) -> Result<Written, ApiError> {
    once(w, Dataset::Enterprise, async {
        let txn = begin(w.db).await?;
        let current = changeable(&txn, code, expected_version).await?;
        if current.status == status {
            return Err(ApiError::BadUserInput(format!(
                "enterprise {code} already has this status"
            )));
        }
        change_one(
            &txn,
            &current,
            enterprise::Column::Status,
            Expr::value(status),
        )
        .await?;
        let written = Written::public(Dataset::Enterprise, code);
        commit(
            txn,
            w,
            vec![change(code, "UPDATED", &current.head_office_province)],
            written,
        )
        .await
    })
    .await
}

/// Names a living citizen the legal representative of an enterprise that
/// is not dissolved. The subjects are the enterprise and both the former
/// and the new representative.
pub async fn change_legal_representative(
    w: &Writer<'_>,
    code: &str,
    personal_id: &str,
    expected_version: Option<i32>,
) -> Result<Written, ApiError> {
    once(w, Dataset::Enterprise, async {
        let txn = begin(w.db).await?;
        let current = changeable(&txn, code, expected_version).await?;
        living(&txn, personal_id, "a legal representative", Lock::Share).await?;
        change_one(
            &txn,
            &current,
            enterprise::Column::LegalRepId,
            Expr::value(personal_id),
        )
        .await?;
        let written = Written::personal(
            Dataset::Enterprise,
            code,
            [current.legal_rep_id.as_str(), personal_id],
        );
        commit(
            txn,
            w,
            vec![change(code, "UPDATED", &current.head_office_province)],
            written,
        )
        .await
    })
    .await
}

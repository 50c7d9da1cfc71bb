//! Reads of the business register that are more than a lookup by code:
//! enterprises listed in a jurisdiction, by name words, status, type or
//! industry.

use crate::auth::Principal;
use crate::error::ApiError;
use crate::registers::listing::PageRequest;
use crate::{ids, text};
use entities::enterprise::{self as ent, enterprise, enterprise_industry};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Which enterprises to list. Every filter is optional; they combine with AND.
#[derive(Debug, Default)]
pub struct EnterpriseListing<'a> {
    pub name: Option<&'a str>,
    pub status: Option<ent::EnterpriseStatus>,
    pub r#type: Option<ent::EnterpriseType>,
    pub province_code: Option<&'a str>,
    pub commune_code: Option<&'a str>,
    pub industry_code: Option<&'a str>,
}

/// Lists enterprises with a head office in the caller's jurisdiction, in
/// code order.
pub async fn list_enterprises(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &EnterpriseListing<'_>,
    page: &PageRequest,
) -> Result<Vec<enterprise::Model>, ApiError> {
    let Some(mut query) = crate::registers::listing::restrict_listing(
        enterprise::Entity::find(),
        principal,
        entities::access::Dataset::Enterprise,
        filter.province_code,
        filter.commune_code,
        enterprise::Column::HeadOfficeProvince,
        enterprise::Column::HeadOfficeCommune,
    )?
    else {
        return Ok(vec![]);
    };
    if let Some(status) = filter.status {
        query = query.filter(enterprise::Column::Status.eq(status));
    }
    if let Some(kind) = filter.r#type {
        query = query.filter(enterprise::Column::EnterpriseType.eq(kind));
    }
    if let Some(name) = filter.name {
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
    if let Some(code) = filter.industry_code {
        ids::check_industry_code(code)?;
        query = query.filter(
            enterprise::Column::Code.in_subquery(
                Query::select()
                    .column(enterprise_industry::Column::EnterpriseCode)
                    .from(enterprise_industry::Entity)
                    .and_where(enterprise_industry::Column::VsicCode.eq(code))
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

//! Reads of the population register that are more than a lookup by id:
//! citizens listed in a jurisdiction, by id or by folded name.

use crate::auth::Principal;
use crate::error::ApiError;
use crate::registers::listing::PageRequest;
use crate::text;
use chrono::{Datelike, NaiveDate};
use entities::population::{self as pop, citizen};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// Which citizens to list. Every filter is optional; they combine with AND.
#[derive(Debug, Default)]
pub struct CitizenListing<'a> {
    pub province_code: Option<&'a str>,
    pub commune_code: Option<&'a str>,
    pub name: Option<&'a str>,
    pub born_from: Option<i32>,
    pub born_to: Option<i32>,
    pub status: Option<pop::CitizenStatus>,
}

/// Lists citizens under the caller's jurisdiction, in personal-id order (or
/// folded-name order when searching by name), one page after the cursor.
pub async fn list_citizens(
    db: &DatabaseConnection,
    principal: &Principal,
    filter: &CitizenListing<'_>,
    page: &PageRequest,
) -> Result<Vec<citizen::Model>, ApiError> {
    let Some(mut query) = crate::registers::listing::restrict_listing(
        citizen::Entity::find(),
        principal,
        entities::access::Dataset::Population,
        filter.province_code,
        filter.commune_code,
        citizen::Column::ResidenceProvince,
        citizen::Column::ResidenceCommune,
    )?
    else {
        return Ok(vec![]);
    };
    if let Some(status) = filter.status {
        query = query.filter(citizen::Column::Status.eq(status));
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
    match name_prefix(filter.name)? {
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

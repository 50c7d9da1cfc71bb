//! Where a listing, a count or a feed may look: the caller's jurisdiction
//! over a dataset, narrowed by the province and commune it asks for. Every
//! read that returns more than one row goes through [`within`] or
//! [`restrict_listing`]; a lookup by id is national and logged instead.

use crate::auth::{Jurisdiction, Principal};
use crate::error::ApiError;
use crate::ids;
use entities::access::Dataset;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

/// Which provinces a listing may return rows from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provinces {
    All,
    /// Only these (possibly none).
    Only(Vec<String>),
}

/// Applies the caller's jurisdiction to a listing's province and commune
/// filters: an explicit filter outside it is `FORBIDDEN`; no filter means
/// "all of my jurisdiction".
pub fn listing_provinces(
    principal: &Principal,
    dataset: Dataset,
    province: Option<&str>,
    commune: Option<&str>,
) -> Result<Provinces, ApiError> {
    let mut wanted = None;
    if let Some(code) = province {
        ids::check_province_code(code)?;
        wanted = Some(code.to_owned());
    }
    if let Some(code) = commune {
        let commune_province = super::province_of(code)?;
        if let Some(province) = &wanted
            && *province != commune_province
        {
            return Err(ApiError::BadUserInput(format!(
                "commune {code} is not in province {province}"
            )));
        }
        wanted = Some(commune_province);
    }
    let jurisdiction = principal.jurisdiction(dataset);
    match (wanted, &jurisdiction) {
        (Some(code), jurisdiction) if jurisdiction.allows(&code) => Ok(Provinces::Only(vec![code])),
        (Some(code), _) => Err(ApiError::NotAllowed(format!(
            "province {code} is outside the jurisdiction of {} over {dataset:?} ({jurisdiction})",
            principal.agency
        ))),
        (None, Jurisdiction::National) => Ok(Provinces::All),
        (None, Jurisdiction::Provinces(codes)) => {
            Ok(Provinces::Only(codes.iter().cloned().collect()))
        }
    }
}

/// Limits a listing query to the caller's jurisdiction and to the province
/// and commune filters, on the listing's own province and commune columns.
/// `None` means the caller may see no province at all: nothing to fetch.
pub fn restrict_listing<E: EntityTrait>(
    query: Select<E>,
    principal: &Principal,
    dataset: Dataset,
    province: Option<&str>,
    commune: Option<&str>,
    province_column: E::Column,
    commune_column: E::Column,
) -> Result<Option<Select<E>>, ApiError> {
    let Some(query) = in_provinces(
        query,
        listing_provinces(principal, dataset, province, commune)?,
        province_column,
    ) else {
        return Ok(None);
    };
    Ok(Some(match commune {
        Some(code) => query.filter(commune_column.eq(code)),
        None => query,
    }))
}

/// A query limited to `provinces` on its province column; `None` when no
/// province is allowed (nothing to fetch).
pub fn in_provinces<E: EntityTrait>(
    query: Select<E>,
    provinces: Provinces,
    province_column: E::Column,
) -> Option<Select<E>> {
    match provinces {
        Provinces::All => Some(query),
        Provinces::Only(codes) if codes.is_empty() => None,
        Provinces::Only(codes) => Some(query.filter(province_column.is_in(codes))),
    }
}

/// Limits a count or a feed to the caller's jurisdiction over `dataset`
/// (and to `province` when asked); `None` when the caller may look
/// nowhere.
pub fn within<E: EntityTrait>(
    query: Select<E>,
    principal: &Principal,
    dataset: Dataset,
    province: Option<&str>,
    province_column: E::Column,
) -> Result<Option<Select<E>>, ApiError> {
    let provinces = listing_provinces(principal, dataset, province, None)?;
    Ok(in_provinces(query, provinces, province_column))
}

/// A validated page request: how many rows, and after which key.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub first: u64,
    /// The sort key after which the page starts.
    pub after: Option<Vec<String>>,
}

impl PageRequest {
    /// Rows to fetch: one more than asked, to learn whether there is a next
    /// page.
    pub fn limit(&self) -> u64 {
        self.first + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(jurisdiction: &str) -> Principal {
        Principal {
            jurisdictions: [(
                Dataset::Population,
                Jurisdiction::parse(jurisdiction).unwrap(),
            )]
            .into_iter()
            .collect(),
            ..Principal::bare("UBND-68")
        }
    }

    #[test]
    fn a_province_lists_only_its_own_rows() {
        let p = principal("68");
        assert_eq!(
            listing_provinces(&p, Dataset::Population, None, None).unwrap(),
            Provinces::Only(vec!["68".into()])
        );
        assert_eq!(
            listing_provinces(&p, Dataset::Population, Some("68"), None).unwrap(),
            Provinces::Only(vec!["68".into()])
        );
        let refused = listing_provinces(&p, Dataset::Population, Some("01"), None).unwrap_err();
        assert_eq!(refused.code(), "FORBIDDEN");
        // A commune of Hà Nội is outside Lâm Đồng's jurisdiction too.
        assert_eq!(
            listing_provinces(&p, Dataset::Population, None, Some("00004"))
                .unwrap_err()
                .code(),
            "FORBIDDEN"
        );
    }

    #[test]
    fn national_callers_list_everywhere_and_filters_are_checked() {
        let p = principal("*");
        assert_eq!(
            listing_provinces(&p, Dataset::Population, None, None).unwrap(),
            Provinces::All
        );
        assert_eq!(
            listing_provinces(&p, Dataset::Population, None, Some("00004")).unwrap(),
            Provinces::Only(vec!["01".into()])
        );
        assert_eq!(
            listing_provinces(&p, Dataset::Population, Some("68"), Some("00004"))
                .unwrap_err()
                .code(),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            listing_provinces(&p, Dataset::Population, Some("99"), None)
                .unwrap_err()
                .code(),
            "BAD_USER_INPUT"
        );
    }
}

//! Field guards and the jurisdiction rule for listings.
//!
//! A field that needs a scope says so on the field itself
//! (`#[graphql(guard = "Scope::PopulationReadPii")]`), so every path that
//! reaches the field is covered. A missing scope resolves the field to
//! `null` with `FORBIDDEN` and `extensions.requiredScope`.

use crate::audit::Subject;
use crate::auth::{Jurisdiction, Principal, Scope};
use crate::error::ApiError;
use crate::ids;
use crate::refdata::reference;
use async_graphql::{Context, Guard};
use entities::access::Dataset;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

impl Guard for Scope {
    /// The principal must hold the scope, and declare a purpose where its
    /// grant asks for one. Served and refused fields are counted per
    /// dataset for the sharing statistics.
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let Some(operation) = ctx.data_opt::<super::Operation>() else {
            return Err(ApiError::Unauthenticated.into_graphql());
        };
        let principal = &operation.principal;
        let trail = Some(&operation.trail);
        let dataset = self.dataset();
        let refusal = if !principal.has(*self) {
            Some(self.missing())
        } else if dataset.is_some_and(|d| principal.requires_purpose(d))
            && trail.is_none_or(|t| t.declared.purpose.is_none())
        {
            Some(ApiError::PurposeRequired)
        } else {
            None
        };
        if let (Some(trail), Some(dataset)) = (trail, dataset) {
            match refusal {
                Some(_) => trail.refused(dataset),
                None => trail.served(dataset, *self),
            }
        }
        match refusal {
            Some(error) => Err(error.into_graphql()),
            None => Ok(()),
        }
    }
}

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
        ids::check_commune_code(code)?;
        let commune_province = reference().commune(code).expect("checked").province_code;
        if let Some(province) = &wanted
            && province != commune_province
        {
            return Err(ApiError::BadUserInput(format!(
                "commune {code} is not in province {province}"
            )));
        }
        wanted = Some(commune_province.to_owned());
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
    let query = match listing_provinces(principal, dataset, province, commune)? {
        Provinces::All => query,
        Provinces::Only(codes) if codes.is_empty() => return Ok(None),
        Provinces::Only(codes) => query.filter(province_column.is_in(codes)),
    };
    Ok(Some(match commune {
        Some(code) => query.filter(commune_column.eq(code)),
        None => query,
    }))
}

/// The guard of a field that returns personal data: the scope's check,
/// then the field and its subjects are noted on the request's trail.
pub struct Audited<'a, S: Subject> {
    scope: Scope,
    subject: &'a S,
}

impl Scope {
    /// This scope's guard, recording what the field discloses about `subject`.
    pub fn on<S: Subject>(self, subject: &S) -> Audited<'_, S> {
        Audited {
            scope: self,
            subject,
        }
    }
}

impl<S: Subject> Guard for Audited<'_, S> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        self.scope.check(ctx).await?;
        if let (Some(operation), Some(dataset)) =
            (ctx.data_opt::<super::Operation>(), self.scope.dataset())
        {
            let trail = &operation.trail;
            trail.disclosed(
                dataset,
                self.scope,
                S::TYPE,
                &ctx.item.node.name.node,
                self.subject.subjects(self.scope).into_iter().flatten(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ScopeSet;

    fn principal(jurisdiction: &str) -> Principal {
        Principal {
            agency: "UBND-68".into(),
            scopes: ScopeSet::default(),
            jurisdictions: [(
                Dataset::Population,
                Jurisdiction::parse(jurisdiction).unwrap(),
            )]
            .into_iter()
            .collect(),
            token_id: "t".into(),
            expires_at: 0,
            grants: Default::default(),
            purpose_required: Default::default(),
            owns: Default::default(),
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

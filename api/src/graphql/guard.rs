//! Field guards and the jurisdiction rule for listings.
//!
//! A field that needs a scope says so on the field itself
//! (`#[graphql(guard = "Scope::PopulationReadPii")]`), so every path that
//! reaches the field is covered. A missing scope resolves the field to
//! `null` with `FORBIDDEN` and `extensions.requiredScope`.

use crate::audit::Subject;
use crate::auth::Scope;
use crate::error::ApiError;
use async_graphql::{Context, Guard};

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

//! How a mutation field writes through a register and answers: the
//! register's context ([`writer`]), what follows a write ([`wrote`]: the
//! feed and the sharing statistics) and the row it answers with
//! ([`answer`], [`reload`]). The writes themselves are `registers`.

use super::{Operation, db, operation};
use async_graphql::Context;

/// The mutation field's idempotency key, when the request has one: the
/// caller's key, per mutation field of the request.
pub(crate) fn idempotency(ctx: &Context<'_>) -> Option<crate::registers::Idempotency> {
    let operation = ctx.data_opt::<Operation>()?;
    let trail = &operation.trail;
    let key = trail.declared.idempotency_key.as_ref()?;
    Some(crate::registers::Idempotency {
        agency: operation.principal.agency.clone(),
        key: format!("{key}/{}", ctx.item.node.response_key().node),
        request_hash: trail.declared.request_hash.clone(),
        operation: ctx.item.node.name.node.to_string(),
    })
}

/// The context of a register write made by this mutation field: the
/// database, the caller's agency, its idempotency key, and the access-log
/// row that a write of personal data commits with it (the register fills
/// in the dataset and the subjects it changed).
pub(crate) fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<crate::registers::Writer<'a>> {
    let operation = operation(ctx)?;
    let declared = &operation.trail.declared;
    let log = crate::registers::WriteLog {
        audit: operation.services.audit.clone(),
        entry: crate::audit::Entry {
            at: chrono::Utc::now(),
            agency: operation.principal.agency.clone(),
            // Owners write by right, under no grant.
            grant_id: None,
            operation: operation
                .trail
                .operation()
                .unwrap_or_else(|| "anonymous".to_owned()),
            // Set by the register from what it wrote.
            dataset: entities::access::Dataset::Population,
            subjects: "[]".into(),
            fields: serde_json::to_string(&[format!("Mutation.{}", ctx.item.node.name.node)])
                .expect("strings serialise"),
            purpose: declared.purpose.clone(),
            case_ref: declared.case_ref.clone(),
            request_id: declared.request_id.clone(),
        },
    };
    Ok(crate::registers::Writer {
        db: &operation.services.db,
        agency: &operation.principal.agency,
        idempotency: idempotency(ctx),
        log: Some(log),
    })
}

/// After a write: wakes this node's subscribers, and counts a write of
/// personal data in the sharing statistics (its log row was committed
/// with it, see `registers::commit`).
pub(crate) fn wrote(ctx: &Context<'_>, written: &crate::registers::Written) {
    use crate::auth::DatasetScopes;
    if let Some(Operation {
        services, trail, ..
    }) = ctx.data_opt::<Operation>()
    {
        services.feed.notify();
        if written.personal {
            trail.served(written.dataset, written.dataset.write_scope());
        }
    }
}

/// What a mutation field answers after its register write: the error, or
/// (once [`wrote`] has fed and counted the write) the written row as
/// stored now, wrapped as its GraphQL type.
pub(crate) async fn answer<E, W>(
    ctx: &Context<'_>,
    result: Result<crate::registers::Written, crate::error::ApiError>,
    wrap: fn(E::Model) -> W,
) -> async_graphql::Result<Option<W>>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<String>,
{
    use crate::error::Gql;
    let written = result.gql()?;
    wrote(ctx, &written);
    reload::<E, W>(ctx, &written.key, wrap).await
}

/// A row as stored now (not from the request's loader cache), wrapped as
/// its GraphQL type: what a write answers with.
pub(crate) async fn reload<E, W>(
    ctx: &Context<'_>,
    key: &str,
    wrap: fn(E::Model) -> W,
) -> async_graphql::Result<Option<W>>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<String>,
{
    use crate::error::Gql;
    Ok(E::find_by_id(key.to_owned())
        .one(db(ctx)?)
        .await
        .gql()?
        .map(wrap))
}

//! The GraphQL schema: one module per dataset, merged into the roots here.
//!
//! Building the schema has no side effects (no connection, no migration), so
//! `lienthong schema` and the `schema.graphql` test need no database. Each
//! request carries its own data: the [`Principal`], a fresh [`Loaders`]
//! data loader (so no cache is shared between agencies) and the database.

/// Declares a GraphQL enum mirroring an entity enum, with conversions both
/// ways, so that database enums never derive GraphQL traits themselves.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident = $source:path { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl From<$source> for $name {
            fn from(value: $source) -> Self {
                use $source as Source;
                match value {
                    $(Source::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $source {
            fn from(value: $name) -> Self {
                use $source as Source;
                match value {
                    $($name::$variant => Source::$variant),+
                }
            }
        }
    };
}

pub mod access;
pub mod admin;
pub mod audit;
pub mod changes;
pub mod enterprise;
pub mod guard;
pub mod land;
pub mod loaders;
pub mod page;
pub mod population;
pub mod statistics;

use crate::auth::Principal;
use crate::error::ApiError;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, Schema};
use loaders::Loaders;
use sea_orm::DatabaseConnection;

/// The query root: every dataset's queries, merged.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    access::AccessQuery,
    admin::AdminQuery,
    population::PopulationQuery,
    land::LandQuery,
    enterprise::EnterpriseQuery,
    audit::AuditQuery,
    statistics::StatisticsQuery,
    changes::ChangesQuery,
);

/// The mutation root: every dataset's mutations, merged.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    access::AccessMutation,
    population::PopulationMutation,
    enterprise::EnterpriseMutation,
    land::LandMutation,
);

pub type LienthongSchema = Schema<QueryRoot, MutationRoot, changes::SubscriptionRoot>;

/// Builds the schema with the default limits. Pure: safe to call without
/// a database.
pub fn build_schema() -> LienthongSchema {
    build_schema_with(&crate::limits::Limits::default())
}

/// Builds the schema with the given limits.
pub fn build_schema_with(limits: &crate::limits::Limits) -> LienthongSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        changes::SubscriptionRoot,
    )
    .disable_suggestions()
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity);
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}

/// What resolvers need besides the principal: the database, the access
/// cache, and settings.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub cache: std::sync::Arc<crate::access::cache::AccessCache>,
    pub revocation_retention: chrono::Duration,
    pub feed: std::sync::Arc<crate::registers::feed::Feed>,
    pub limits: crate::limits::Limits,
}

/// The name of a document's operation when it has exactly one.
fn single_operation_name(
    document: &async_graphql::parser::types::ExecutableDocument,
) -> Option<&str> {
    let mut operations = document.operations.iter();
    match (operations.next(), operations.next()) {
        (Some((name, _)), None) => name.map(|n| n.as_str()),
        _ => None,
    }
}

/// Executes one authenticated request.
///
/// The request gets its own data loader, whose batches run on this same
/// task rather than on spawned ones, and only once the executor is idle:
/// polled, pending, and not woken again by itself (async-graphql resolves
/// lists with `FuturesUnordered`, which yields part-way through a long
/// list). So every key of a page is in one batch whatever the page size and
/// however busy the machine; with spawned, timer-driven batches a slow pass
/// over a long page splits one relation into several statements.
pub async fn execute(
    schema: &LienthongSchema,
    request: async_graphql::Request,
    principal: Principal,
    services: &Services,
    trail: std::sync::Arc<crate::audit::Trail>,
) -> async_graphql::Response {
    let mut request = request;
    let named = request.operation_name.clone();
    // Parsed here, not in an extension (which would slow every field):
    // the document limits, and the operation's name for the log.
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => {
            let mut response = async_graphql::Response::from_errors(vec![error]);
            crate::error::finish(&mut response);
            return response;
        }
    };
    if let Err(message) = crate::limits::check_document(document, &services.limits) {
        let mut response = async_graphql::Response::from_errors(vec![
            ApiError::BadUserInput(message)
                .into_graphql()
                .into_server_error(Default::default()),
        ]);
        response.errors[0].locations.clear();
        return response;
    }
    if let Some(name) = named.as_deref().or_else(|| single_operation_name(document)) {
        trail.set_operation(name);
    }
    let db = services.db.clone();
    use futures::StreamExt;
    use futures::future::BoxFuture;
    use futures::stream::FuturesUnordered;
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Poll, Wake, Waker};

    /// Remembers that the execution was woken, then wakes the task.
    struct Flagged {
        woken: Arc<AtomicBool>,
        task: Waker,
    }
    impl Wake for Flagged {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, Ordering::SeqCst);
            self.task.wake_by_ref();
        }
    }

    let (spawn, mut spawned) = tokio::sync::mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
    let loader = DataLoader::new(Loaders::new(db.clone()), move |task| {
        // The receiver lives until the response is ready; a batch sent after
        // that has nobody waiting for it.
        let _ = spawn.send(task);
    })
    .delay(std::time::Duration::ZERO)
    .max_batch_size(1000);
    let request = request
        .data(principal)
        .data(trail)
        .data(loader)
        .data(db)
        .data(services.cache.clone())
        .data(access::RevocationRetention(services.revocation_retention))
        .data(services.feed.clone());
    let execution = schema.execute(request);
    let execution = async move {
        let mut response = execution.await;
        crate::error::finish(&mut response);
        response
    };
    let mut execution = std::pin::pin!(execution);
    let mut batches = FuturesUnordered::new();
    let woken = Arc::new(AtomicBool::new(true));
    std::future::poll_fn(|cx| {
        loop {
            if woken.swap(false, Ordering::SeqCst) {
                let waker = Waker::from(Arc::new(Flagged {
                    woken: woken.clone(),
                    task: cx.waker().clone(),
                }));
                if let Poll::Ready(response) = execution
                    .as_mut()
                    .poll(&mut std::task::Context::from_waker(&waker))
                {
                    return Poll::Ready(response);
                }
                continue;
            }
            // Idle: every key the execution can name is registered.
            while let Ok(task) = spawned.try_recv() {
                batches.push(task);
            }
            match batches.poll_next_unpin(cx) {
                Poll::Ready(Some(())) => continue,
                Poll::Ready(None) | Poll::Pending if woken.load(Ordering::SeqCst) => continue,
                Poll::Ready(None) | Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await
}

pub(crate) fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    ctx.data_unchecked::<Principal>()
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> &'a DataLoader<Loaders> {
    ctx.data_unchecked::<DataLoader<Loaders>>()
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The mutation field's idempotency key, when the request has one: the
/// caller's key, per mutation field of the request.
pub(crate) fn idempotency(ctx: &Context<'_>) -> Option<crate::registers::Idempotency> {
    let trail = ctx.data_opt::<std::sync::Arc<crate::audit::Trail>>()?;
    let key = trail.declared.idempotency_key.as_ref()?;
    Some(crate::registers::Idempotency {
        agency: principal(ctx).agency.clone(),
        key: format!("{key}/{}", ctx.item.node.response_key().node),
        request_hash: trail.declared.request_hash.clone(),
        operation: ctx.item.node.name.node.to_string(),
    })
}

/// Wakes this node's subscribers after a write.
pub(crate) fn feed_grew(ctx: &Context<'_>) {
    if let Some(feed) = ctx.data_opt::<std::sync::Arc<crate::registers::feed::Feed>>() {
        feed.notify();
    }
}

/// After a write: wakes this node's subscribers, and logs the write of
/// personal data like a read (the mutation and whom it was about).
pub(crate) fn wrote<'s>(
    ctx: &Context<'_>,
    dataset: entities::access::Dataset,
    scope: crate::auth::Scope,
    subjects: impl IntoIterator<Item = &'s str>,
) {
    feed_grew(ctx);
    if let Some(trail) = ctx.data_opt::<std::sync::Arc<crate::audit::Trail>>() {
        trail.disclosed(
            dataset,
            scope,
            "Mutation",
            &ctx.item.node.name.node,
            subjects,
        );
    }
}

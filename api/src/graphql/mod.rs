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
pub mod documents;
pub mod enterprise;
pub mod guard;
pub mod land;
pub mod loaders;
pub mod ownership;
pub mod page;
pub mod population;
pub mod statistics;
mod write;

pub(crate) use write::{answer, reload, writer};

use crate::auth::Principal;
use crate::error::ApiError;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, Schema};
use loaders::Loaders;
use sea_orm::DatabaseConnection;

/// What a plain list (a household's members, a holder's rights) counts
/// for in a query's complexity: its child's complexity times this, so
/// that nesting lists multiplies (six levels of `members` under a page of
/// 500 citizens is refused before it runs, not after it has filled the
/// memory). Pages count `first` instead.
pub const LIST: usize = 5;

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
    ownership::OwnershipQuery,
    documents::DocumentsQuery,
);

/// The mutation root: every dataset's mutations, merged.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    access::AccessMutation,
    population::PopulationMutation,
    enterprise::EnterpriseMutation,
    land::LandMutation,
    ownership::OwnershipMutation,
    documents::DocumentsMutation,
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

/// What resolvers need besides the caller: the database, the access
/// cache, settings and keys. One per node, shared by every operation.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub cache: std::sync::Arc<crate::access::cache::AccessCache>,
    pub revocation_retention: chrono::Duration,
    pub feed: std::sync::Arc<crate::registers::feed::Feed>,
    pub limits: crate::limits::Limits,
    pub cursors: page::CursorKey,
    pub verifications: std::sync::Arc<crate::limits::VerifyLimits>,
    pub audit: crate::audit::writer::AuditWriter,
}

/// Everything one operation's resolvers read, built by the session for
/// every operation on every transport (so no field can find its data
/// missing): the caller, its trail, a loader of its own and the node's
/// services. Read it with [`operation`] (or the accessors below), which
/// answer `INTERNAL_SERVER_ERROR` instead of panicking if it is absent.
pub struct Operation {
    pub principal: Principal,
    pub trail: std::sync::Arc<crate::audit::Trail>,
    pub loader: DataLoader<Loaders>,
    pub services: Services,
    /// For a subscription: its connection, to log deliveries under.
    pub connection_id: Option<String>,
}

/// The operation's data, or `INTERNAL_SERVER_ERROR` when the operation was not built by
/// the session.
pub(crate) fn operation<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Operation> {
    ctx.data_opt::<Operation>().ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("an operation ran without its session data"))
            .into_graphql()
    })
}

/// Executes one operation that the session admitted; `None` when it ran
/// past `deadline` (and was dropped there).
///
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
    deadline: std::time::Instant,
) -> Option<async_graphql::Response> {
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
    let request = request.data(Operation {
        principal,
        trail,
        loader,
        services: services.clone(),
        connection_id: None,
    });
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
            // A request past its time is dropped here, between two steps,
            // even when its futures never leave the CPU to a timer.
            if std::time::Instant::now() >= deadline {
                return Poll::Ready(None);
            }
            if woken.swap(false, Ordering::SeqCst) {
                let waker = Waker::from(Arc::new(Flagged {
                    woken: woken.clone(),
                    task: cx.waker().clone(),
                }));
                if let Poll::Ready(response) = execution
                    .as_mut()
                    .poll(&mut std::task::Context::from_waker(&waker))
                {
                    return Poll::Ready(Some(response));
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

pub(crate) fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    Ok(&operation(ctx)?.principal)
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DataLoader<Loaders>> {
    Ok(&operation(ctx)?.loader)
}

/// The rows related to an object through one loader (`key` names the
/// relation and the object), each wrapped as its GraphQL type: the body of
/// every list-valued relation field.
pub(crate) async fn related<K, V, W>(
    ctx: &Context<'_>,
    key: K,
    wrap: fn(V) -> W,
) -> async_graphql::Result<Option<Vec<W>>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
    Loaders: async_graphql::dataloader::Loader<K, Value = Vec<V>, Error = std::sync::Arc<sea_orm::DbErr>>,
{
    use crate::error::Gql;
    let rows = loader(ctx)?.load_one(key).await.gql()?;
    Ok(Some(
        rows.unwrap_or_default().into_iter().map(wrap).collect(),
    ))
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    Ok(&operation(ctx)?.services.db)
}

/// The listing `kind` as this caller asks for it under `filter`: its
/// cursors open only for the same listing, filter and agency.
pub(crate) fn listing(
    ctx: &Context<'_>,
    kind: page::CursorKind,
    filter: &impl std::fmt::Debug,
) -> async_graphql::Result<page::Listing> {
    let operation = operation(ctx)?;
    Ok(page::Listing::new(
        &operation.services.cursors,
        &operation.principal,
        kind,
        filter,
    ))
}

/// One page of the listing `kind` under `filter`, as this caller asks for
/// it: the listing (which seals the page's cursors) and the checked page
/// request (`first`, and `after` opened).
pub(crate) fn paged(
    ctx: &Context<'_>,
    kind: page::CursorKind,
    filter: &impl std::fmt::Debug,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<(page::Listing, page::PageRequest)> {
    use crate::error::Gql;
    let listing = listing(ctx, kind, filter)?;
    let page = listing.page(first, after.as_deref()).gql()?;
    Ok((listing, page))
}

/// Records that the operation disclosed that these subjects exist (a
/// lookup or a listing returned them), whatever fields it then selects.
pub(crate) fn found<'s, S: crate::audit::Subject + 's>(
    ctx: &Context<'_>,
    scope: crate::auth::Scope,
    found: impl IntoIterator<Item = &'s S>,
) -> async_graphql::Result<()> {
    let Some(dataset) = crate::access::dataset_of(scope) else {
        return Ok(());
    };
    operation(ctx)?.trail.disclosed(
        dataset,
        scope,
        "Query",
        &ctx.item.node.name.node,
        found
            .into_iter()
            .flat_map(|subject| subject.subjects(scope).into_iter().flatten()),
    );
    Ok(())
}

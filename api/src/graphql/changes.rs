//! The change feed: `changes(dataset, after, first)` pages through what
//! the owners wrote, in commit order, and the `changes(dataset, after)`
//! subscription streams it live. Both show a dataset's changes to callers
//! with its read scope, within their jurisdiction; the keys of population
//! and land changes are personal data and are logged like any read.

use super::access::Dataset;
use super::page::{Conn, Listing, PageRequest, connection};
use super::{db, principal};
use crate::auth::{DatasetScopes, Principal, Scope};
use crate::error::{ApiError, Gql};
use async_graphql::{Context, Object, Subscription};
use chrono::{DateTime, Utc};
use entities::access as acc;
use entities::changes::change_event;
use futures::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::VecDeque;

/// One change to a register, with its cursor sealed for the listing it
/// was read in.
pub struct ChangeEvent {
    pub change: change_event::Model,
    cursor: String,
}

impl crate::audit::Subject for ChangeEvent {
    const TYPE: &'static str = "ChangeEvent";
    fn subjects(&self, _: Scope) -> [Option<&str>; 2] {
        // The business register is public; citizens, households and land
        // rights are personal.
        match self.change.dataset {
            acc::Dataset::Enterprise => [None, None],
            _ => [Some(&self.change.key), None],
        }
    }
}

/// One change to a register.
#[Object]
impl ChangeEvent {
    /// Its place in the feed: resume after it with `after`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// When it was committed.
    async fn at(&self) -> DateTime<Utc> {
        self.change.at
    }
    /// The dataset changed.
    async fn dataset(&self) -> Dataset {
        self.change.dataset.into()
    }
    /// `Citizen`, `Household`, `Enterprise`, `LandParcel` or `LandRight`.
    async fn entity(&self) -> &str {
        &self.change.entity
    }
    /// The changed row's key: personal id, household number, enterprise
    /// code, parcel id or certificate number. Query it for its new state.
    #[graphql(guard = "self.change.dataset.read_scope().on(self)")]
    async fn key(&self) -> Option<&str> {
        Some(&self.change.key)
    }
    /// `CREATED`, `UPDATED`, `MOVED_OUT` (left the province), `DIED` or
    /// `TRANSFERRED`.
    async fn op(&self) -> &str {
        &self.change.op
    }
    /// The province the change concerns.
    async fn province_code(&self) -> &str {
        &self.change.province_code
    }
    /// The owner that wrote it.
    async fn agency(&self) -> &str {
        &self.change.agency
    }
}

/// The listing of a dataset's changes, as this caller sees it.
fn feed_listing(ctx: &Context<'_>, dataset: acc::Dataset) -> async_graphql::Result<Listing> {
    super::listing(ctx, super::page::CursorKind::Changes, &dataset)
}

fn event(listing: &Listing, change: change_event::Model) -> ChangeEvent {
    ChangeEvent {
        cursor: listing.cursor(&[&change.seq.to_string()]),
        change,
    }
}

/// The change number a page starts after (0: from the beginning).
fn seq_after(page: &PageRequest) -> Result<i64, ApiError> {
    match &page.after {
        None => Ok(0),
        Some(key) => key[0]
            .parse()
            .map_err(|_| ApiError::BadUserInput("after: not a change cursor".into())),
    }
}

/// Whether the caller may see `dataset`'s changes at all.
fn check_visible(principal: &Principal, dataset: acc::Dataset) -> Result<(), ApiError> {
    let scope = dataset.read_scope();
    if principal.has(scope) {
        Ok(())
    } else {
        Err(scope.missing())
    }
}

/// Whether the caller may see this change (its province is in the
/// caller's jurisdiction over the dataset).
fn may_see(principal: &Principal, change: &change_event::Model) -> bool {
    principal
        .jurisdiction(change.dataset)
        .allows(&change.province_code)
}

async fn fetch(
    db: &DatabaseConnection,
    principal: &Principal,
    dataset: acc::Dataset,
    after: i64,
    limit: u64,
) -> Result<Vec<change_event::Model>, ApiError> {
    check_visible(principal, dataset)?;
    let query = change_event::Entity::find().filter(change_event::Column::Dataset.eq(dataset));
    let within = crate::registers::listing::within(
        query,
        principal,
        dataset,
        None,
        change_event::Column::ProvinceCode,
    )?;
    let Some(query) = within else {
        return Ok(vec![]);
    };
    Ok(query
        .filter(change_event::Column::Seq.gt(after))
        .order_by_asc(change_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// Change-feed queries.
#[derive(Default)]
pub struct ChangesQuery;

#[Object]
impl ChangesQuery {
    /// What changed in a dataset, in commit order, after the cursor: your
    /// province's changes (a move out of it included), or all for a
    /// national agency. Resumable; never skips a change.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 1")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        dataset: Dataset,
        #[graphql(desc = "Cursor of the last change seen.")] after: Option<String>,
        #[graphql(desc = "Page size, 50 by default, at most 500.")] first: Option<i32>,
    ) -> async_graphql::Result<Option<Conn<ChangeEvent>>> {
        let dataset: acc::Dataset = dataset.into();
        let listing = feed_listing(ctx, dataset)?;
        let page = listing.page(first, after.as_deref()).gql()?;
        let after = seq_after(&page).gql()?;
        let rows = fetch(db(ctx)?, principal(ctx)?, dataset, after, page.limit())
            .await
            .gql()?;
        Ok(Some(connection(
            rows,
            &page,
            |c| listing.cursor(&[&c.seq.to_string()]),
            |c| event(&listing, c),
        )))
    }
}

/// Live subscriptions.
#[derive(Default)]
pub struct SubscriptionRoot;

/// Live subscriptions, over `graphql-transport-ws` at `/graphql/ws`.
#[Subscription]
impl SubscriptionRoot {
    /// The changes of a dataset as they are committed (after `after`, if
    /// given: a subscriber that reconnects with its last cursor misses
    /// nothing). Over `graphql-transport-ws` at `/graphql/ws`, the token in
    /// `connection_init`; the connection is closed when the token expires
    /// or the access behind it is narrowed (a scope, a province, a new
    /// purpose requirement, a suspension), and no change is delivered
    /// beyond what the access gives at the time of delivery.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        dataset: Dataset,
        #[graphql(desc = "Cursor of the last change seen.")] after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ChangeEvent>>> {
        let operation = super::operation(ctx)?;
        let principal = operation.principal.clone();
        let dataset: acc::Dataset = dataset.into();
        check_visible(&principal, dataset).gql()?;
        let listing = feed_listing(ctx, dataset)?;
        let cursor = match after.as_deref() {
            Some(_) => seq_after(&listing.page(Some(0), after.as_deref()).gql()?).gql()?,
            // From now on.
            None => change_event::Entity::find()
                .select_only()
                .column(change_event::Column::Seq)
                .order_by_desc(change_event::Column::Seq)
                .into_tuple::<i64>()
                .one(db(ctx)?)
                .await
                .gql()?
                .unwrap_or(0),
        };
        let services = operation.services.clone();
        let woken = services.feed.subscribe();
        let feed = Feed {
            declared: operation.trail.declared.clone(),
            connection_id: operation
                .connection_id
                .clone()
                .unwrap_or_else(|| operation.trail.declared.request_id.clone()),
            services,
            principal,
            listing,
            dataset,
            cursor,
            pending: VecDeque::new(),
            woken,
        };
        // An error (the database, the access log, narrowed access) ends the
        // subscription.
        Ok(futures::stream::unfold(Some(feed), |feed| async move {
            let mut feed = feed?;
            match feed.next().await {
                Ok(event) => Some((Ok(event), Some(feed))),
                Err(error) => Some((Err(error), None)),
            }
        }))
    }
}

/// One subscription's place in the feed.
struct Feed {
    services: super::Services,
    principal: Principal,
    listing: Listing,
    /// The connection's id, as the request id of its log rows.
    connection_id: String,
    /// What the connection declared (purpose, case), for its log rows.
    declared: crate::audit::Declared,
    dataset: acc::Dataset,
    cursor: i64,
    pending: VecDeque<change_event::Model>,
    woken: tokio::sync::watch::Receiver<u64>,
}

impl Feed {
    /// The next change: from the batch in hand, or read after the cursor
    /// (access checked again and the delivery logged before it leaves), or
    /// waited for.
    async fn next(&mut self) -> async_graphql::Result<ChangeEvent> {
        loop {
            if let Some(change) = self.pending.pop_front() {
                self.cursor = change.seq;
                return Ok(event(&self.listing, change));
            }
            self.services
                .cache
                .still_allowed(&self.principal)
                .await
                .map_err(|(_, reason)| ApiError::NotAllowed(reason))
                .gql()?;
            let read = self
                .services
                .feed
                .after(&self.services.db, self.dataset, self.cursor, 100)
                .await
                .map_err(ApiError::from)
                .gql()?;
            let Some(last) = read.last().map(|c| c.seq) else {
                let backstop = crate::registers::feed::BACKSTOP;
                let _ = tokio::time::timeout(backstop, self.woken.changed()).await;
                continue;
            };
            let rows: Vec<_> = read
                .into_iter()
                .filter(|c| may_see(&self.principal, c))
                .collect();
            if rows.is_empty() {
                // Nothing of ours in this stretch of the feed: skip it.
                self.cursor = last;
                continue;
            }
            log_delivery(self, &rows).await.gql()?;
            self.pending.extend(rows);
        }
    }
}

/// Records the delivery of personal keys before they leave.
async fn log_delivery(feed: &Feed, rows: &[change_event::Model]) -> Result<(), ApiError> {
    if feed.dataset == acc::Dataset::Enterprise {
        return Ok(());
    }
    let mut subjects: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let scope = feed.dataset.read_scope();
    let entry = crate::audit::Entry {
        at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
        agency: feed.principal.agency.clone(),
        grant_id: feed.principal.grant_for(scope).map(str::to_owned),
        operation: "changes".into(),
        dataset: feed.dataset,
        subjects: serde_json::to_string(&subjects).expect("strings serialise"),
        fields: "[\"ChangeEvent.key\"]".into(),
        purpose: feed.declared.purpose.clone(),
        case_ref: feed.declared.case_ref.clone(),
        request_id: feed.connection_id.clone(),
    };
    feed.services
        .audit
        .record(vec![entry], vec![])
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

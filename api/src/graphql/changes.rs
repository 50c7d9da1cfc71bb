//! The change feed: `changes(dataset, after, first)` pages through what
//! the owners wrote, in commit order, and the `changes(dataset, after)`
//! subscription streams it live. Both show a dataset's changes to callers
//! with its read scope, within their jurisdiction; the keys of population
//! and land changes are personal data and are logged like any read.

use super::access::Dataset;
use super::page::{Conn, PageRequest, connection, encode};
use super::{db, principal};
use crate::audit::writer::AuditWriter;
use crate::auth::{Jurisdiction, Principal, Scope};
use crate::error::{ApiError, Gql};
use async_graphql::{Context, Object, Subscription};
use chrono::{DateTime, Utc};
use entities::access as acc;
use entities::changes::change_event;
use futures::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::VecDeque;

/// The scope that lets a caller see a dataset's changes.
pub fn read_scope(dataset: acc::Dataset) -> Scope {
    match dataset {
        acc::Dataset::Population => Scope::PopulationRead,
        acc::Dataset::Land => Scope::LandRead,
        acc::Dataset::Enterprise => Scope::EnterpriseRead,
    }
}

/// One change to a register.
pub struct ChangeEvent(pub change_event::Model);

impl crate::audit::Subject for ChangeEvent {
    const TYPE: &'static str = "ChangeEvent";
    fn subjects(&self, _: Scope) -> [Option<&str>; 2] {
        // The business register is public; citizens, households and land
        // rights are personal.
        match self.0.dataset {
            acc::Dataset::Enterprise => [None, None],
            _ => [Some(&self.0.key), None],
        }
    }
}

/// One change to a register.
#[Object]
impl ChangeEvent {
    /// Its number in the feed: resume after it with `after`.
    async fn cursor(&self) -> String {
        cursor(&self.0)
    }
    /// When it was committed.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The dataset changed.
    async fn dataset(&self) -> Dataset {
        self.0.dataset.into()
    }
    /// `Citizen`, `Household`, `Enterprise`, `LandParcel` or `LandRight`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The changed row's key: personal id, household number, enterprise
    /// code, parcel id or certificate number. Query it for its new state.
    #[graphql(guard = "read_scope(self.0.dataset).on(self)")]
    async fn key(&self) -> Option<&str> {
        Some(&self.0.key)
    }
    /// `CREATED`, `UPDATED`, `MOVED_OUT` (left the province), `DIED` or
    /// `TRANSFERRED`.
    async fn op(&self) -> &str {
        &self.0.op
    }
    /// The province the change concerns.
    async fn province_code(&self) -> &str {
        &self.0.province_code
    }
    /// The owner that wrote it.
    async fn agency(&self) -> &str {
        &self.0.agency
    }
}

fn cursor(event: &change_event::Model) -> String {
    encode("change", &[&event.seq.to_string()])
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

/// Which changes of `dataset` the caller may see: `None` if none at all.
fn visible(
    principal: &Principal,
    dataset: acc::Dataset,
) -> Result<Option<sea_orm::Select<change_event::Entity>>, ApiError> {
    if !principal.has(read_scope(dataset)) {
        return Err(ApiError::Forbidden {
            required_scope: read_scope(dataset),
        });
    }
    let query = change_event::Entity::find().filter(change_event::Column::Dataset.eq(dataset));
    Ok(match principal.jurisdiction(dataset) {
        Jurisdiction::National => Some(query),
        Jurisdiction::Provinces(codes) if codes.is_empty() => None,
        Jurisdiction::Provinces(codes) => {
            Some(query.filter(change_event::Column::ProvinceCode.is_in(codes)))
        }
    })
}

async fn fetch(
    db: &DatabaseConnection,
    principal: &Principal,
    dataset: acc::Dataset,
    after: i64,
    limit: u64,
) -> Result<Vec<change_event::Model>, ApiError> {
    let Some(query) = visible(principal, dataset)? else {
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
        let page = PageRequest::new(first, after.as_deref(), "change", 1).gql()?;
        let after = seq_after(&page).gql()?;
        let rows = fetch(db(ctx), principal(ctx), dataset.into(), after, page.limit())
            .await
            .gql()?;
        Ok(Some(connection(rows, &page, cursor, ChangeEvent)))
    }
}

/// What a subscription needs besides the principal.
#[derive(Clone)]
pub struct SubscriptionServices {
    pub db: DatabaseConnection,
    pub audit: AuditWriter,
    /// The connection's id, as the request id of its log rows.
    pub connection_id: String,
    pub feed: std::sync::Arc<crate::registers::feed::Feed>,
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
    /// or the access behind it is revoked.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        dataset: Dataset,
        #[graphql(desc = "Cursor of the last change seen.")] after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ChangeEvent>>> {
        let principal = principal(ctx).clone();
        let dataset: acc::Dataset = dataset.into();
        visible(&principal, dataset).gql()?;
        let cursor = match after.as_deref() {
            Some(_) => {
                seq_after(&PageRequest::new(Some(0), after.as_deref(), "change", 1).gql()?).gql()?
            }
            // From now on.
            None => change_event::Entity::find()
                .select_only()
                .column(change_event::Column::Seq)
                .order_by_desc(change_event::Column::Seq)
                .into_tuple::<i64>()
                .one(db(ctx))
                .await
                .gql()?
                .unwrap_or(0),
        };
        let services = ctx.data_unchecked::<SubscriptionServices>().clone();
        let woken = services.feed.subscribe();
        let feed = Feed {
            services,
            principal,
            dataset,
            cursor,
            pending: VecDeque::new(),
            woken,
        };
        // An error (the database, the access log) ends the subscription.
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
    services: SubscriptionServices,
    principal: Principal,
    dataset: acc::Dataset,
    cursor: i64,
    pending: VecDeque<change_event::Model>,
    woken: tokio::sync::watch::Receiver<u64>,
}

impl Feed {
    /// The next change: from the batch in hand, or read after the cursor
    /// (logged before it leaves), or waited for.
    async fn next(&mut self) -> async_graphql::Result<ChangeEvent> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.cursor = event.seq;
                return Ok(ChangeEvent(event));
            }
            let rows = fetch(
                &self.services.db,
                &self.principal,
                self.dataset,
                self.cursor,
                100,
            )
            .await
            .gql()?;
            if rows.is_empty() {
                let backstop = crate::registers::feed::BACKSTOP;
                let _ = tokio::time::timeout(backstop, self.woken.changed()).await;
                continue;
            }
            log_delivery(&self.services, &self.principal, self.dataset, &rows)
                .await
                .gql()?;
            self.pending.extend(rows);
        }
    }
}

/// Records the delivery of personal keys before they leave.
async fn log_delivery(
    services: &SubscriptionServices,
    principal: &Principal,
    dataset: acc::Dataset,
    rows: &[change_event::Model],
) -> Result<(), ApiError> {
    if dataset == acc::Dataset::Enterprise {
        return Ok(());
    }
    let mut subjects: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let scope = read_scope(dataset);
    let entry = crate::audit::Entry {
        at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
        agency: principal.agency.clone(),
        grant_id: principal.grant_for(scope).map(str::to_owned),
        operation: "changes".into(),
        dataset,
        subjects: serde_json::to_string(&subjects).expect("strings serialise"),
        fields: "[\"ChangeEvent.key\"]".into(),
        purpose: None,
        case_ref: None,
        request_id: services.connection_id.clone(),
    };
    services
        .audit
        .record(vec![entry], vec![])
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

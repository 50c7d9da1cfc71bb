//! Each agency's current access, in memory, dropped the moment it changes.
//!
//! A grant given or revoked, an agency suspended or a token revoked
//! invalidates the cache of the node that made the change at once, and of
//! every other node through PostgreSQL's LISTEN/NOTIFY (channel
//! `lienthong_access`). Each change also bumps a counter (`access_epoch`)
//! in the same transaction as its notice, and every request on PostgreSQL
//! reads it (one primary-key read): a node that has not yet heard of every
//! change, because a notice is still in flight or its listening connection
//! dropped, empties its cache before answering. So the very next request
//! after a revocation is refused on every node, not merely soon. With
//! SQLite there is one node and local invalidation is the whole story.

use super::{Access, access_of};
use crate::auth::Principal;
use chrono::Utc;
use entities::access::{AgencyStatus, access_grant, agency, revoked_token};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement, TransactionTrait,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The NOTIFY channel.
pub const CHANNEL: &str = "lienthong_access";

/// A change that makes cached access stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An agency's status or grants changed.
    Agency(String),
    /// A token was revoked: the token with id `jti` of `agency` (`*`: of
    /// any agency).
    Token { agency: String, jti: String },
}

impl Change {
    fn payload(&self) -> String {
        match self {
            Change::Agency(code) => format!("agency:{code}"),
            Change::Token { agency, jti } => format!("token:{agency}/{jti}"),
        }
    }

    fn parse(payload: &str) -> Option<Change> {
        match payload.split_once(':')? {
            ("agency", code) => Some(Change::Agency(code.to_owned())),
            ("token", rest) => {
                let (agency, jti) = rest.split_once('/')?;
                Some(Change::Token {
                    agency: agency.to_owned(),
                    jti: jti.to_owned(),
                })
            }
            _ => None,
        }
    }
}

/// `None` caches "no such agency".
type Entry = Option<Arc<Access>>;

/// Revoked token ids, each with the agencies whose token with that id is
/// revoked (`*`: any agency's).
type Revoked = HashMap<String, Vec<String>>;

/// The cache of one node.
pub struct AccessCache {
    db: DatabaseConnection,
    agencies: RwLock<HashMap<String, Entry>>,
    revoked: RwLock<Revoked>,
    /// Bumped by every invalidation, so that an answer loaded from the
    /// database before a change is never cached after it.
    generation: AtomicU64,
    /// The last `access_epoch` whose changes (and all before) this node
    /// has applied (PostgreSQL only).
    seen_epoch: AtomicI64,
}

impl AccessCache {
    /// Whether a long-lived connection's principal still holds: its token has
    /// not expired or been revoked, and its agency's access has not narrowed.
    /// `Err` carries the WebSocket close code and reason.
    pub async fn still_allowed(&self, principal: &Principal) -> Result<(), (u16, String)> {
        if chrono::Utc::now().timestamp() >= principal.expires_at {
            return Err((4401, "the token expired".into()));
        }
        if self.sync().await.is_err() {
            // The database is away: nothing new to learn; the next check will.
            return Ok(());
        }
        if self.is_revoked(&principal.agency, &principal.token_id) {
            return Err((4401, "the token was revoked".into()));
        }
        match self.access(&principal.agency).await {
            Ok(Some(access)) if access.admits(principal) => Ok(()),
            Ok(Some(access)) if access.status == AgencyStatus::Active => Err((
                4403,
                "access was narrowed (a scope, a province or a purpose requirement): reconnect with a new token".into(),
            )),
            Ok(_) => Err((4403, "the agency is suspended or unknown".into())),
            Err(_) => Ok(()),
        }
    }

    pub fn new(db: DatabaseConnection) -> Arc<AccessCache> {
        Arc::new(AccessCache {
            db,
            agencies: RwLock::default(),
            revoked: RwLock::default(),
            generation: AtomicU64::new(0),
            seen_epoch: AtomicI64::new(-1),
        })
    }

    /// The agency's access now; `None` if it is not registered.
    pub async fn access(&self, code: &str) -> Result<Option<Arc<Access>>, DbErr> {
        let now = Utc::now();
        if let Some(entry) = self.agencies.read().expect("lock").get(code) {
            let fresh = entry
                .as_ref()
                .is_none_or(|a| a.valid_until.is_none_or(|until| until > now));
            if fresh {
                return Ok(entry.clone());
            }
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let Some(row) = agency::Entity::find_by_id(code.to_owned())
            .one(&self.db)
            .await?
        else {
            self.store(code, None, generation);
            return Ok(None);
        };
        let grants = access_grant::Entity::find()
            .filter(access_grant::Column::Grantee.eq(code))
            .filter(access_grant::Column::RevokedAt.is_null())
            .all(&self.db)
            .await?;
        let mut access = access_of(&row, &grants, now);
        access.trusted = Arc::new(super::trusted::load(&self.db, code).await?);
        let access = Arc::new(access);
        self.store(code, Some(access.clone()), generation);
        Ok(Some(access))
    }

    fn store(&self, code: &str, entry: Entry, generation: u64) {
        let mut agencies = self.agencies.write().expect("lock");
        if self.generation.load(Ordering::SeqCst) == generation {
            agencies.insert(code.to_owned(), entry);
        }
    }

    /// Whether `agency`'s token `jti` has been revoked: by the agency
    /// itself or by the hub operator. Another agency naming the same id
    /// has no effect on it.
    pub fn is_revoked(&self, agency: &str, jti: &str) -> bool {
        self.revoked
            .read()
            .expect("lock")
            .get(jti)
            .is_some_and(|whose| whose.iter().any(|a| a == agency || a == "*"))
    }

    fn revoke(revoked: &mut Revoked, agency: String, jti: String) {
        let whose = revoked.entry(jti).or_default();
        if !whose.contains(&agency) {
            whose.push(agency);
        }
    }

    /// Loads the revoked tokens that have not expired yet.
    pub async fn load_revoked(&self) -> Result<(), DbErr> {
        let rows = revoked_token::Entity::find()
            .filter(revoked_token::Column::ExpiresAt.gt(Utc::now()))
            .all(&self.db)
            .await?;
        let mut revoked = self.revoked.write().expect("lock");
        for row in rows {
            Self::revoke(&mut revoked, row.agency, row.jti);
        }
        Ok(())
    }

    /// Applies a change on this node.
    pub fn apply(&self, change: &Change) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match change {
            Change::Agency(code) => {
                self.agencies.write().expect("lock").remove(code);
            }
            Change::Token { agency, jti } => {
                let mut revoked = self.revoked.write().expect("lock");
                Self::revoke(&mut revoked, agency.clone(), jti.clone());
            }
        }
    }

    /// Forgets everything (after notices may have been missed).
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.agencies.write().expect("lock").clear();
    }

    /// Applies a change here and tells the other nodes. Call after the
    /// change is committed and before answering the caller.
    pub async fn publish(&self, change: Change) -> Result<(), DbErr> {
        self.apply(&change);
        if self.db.get_database_backend() == DbBackend::Postgres {
            // The row lock on the counter orders publishers, and notices are
            // delivered in commit order: epochs arrive without gaps.
            let txn = self.db.begin().await?;
            let row = txn
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch",
                ))
                .await?
                .ok_or_else(|| DbErr::RecordNotFound("access_epoch".into()))?;
            let epoch: i64 = row.try_get("", "epoch")?;
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [
                    CHANNEL.into(),
                    format!("{epoch}|{}", change.payload()).into(),
                ],
            ))
            .await?;
            txn.commit().await?;
        }
        Ok(())
    }

    /// On PostgreSQL, makes sure this node has applied every change made
    /// anywhere: one read of the counter; if notices are missing, forget
    /// everything and reload the revoked tokens.
    pub async fn sync(&self) -> Result<(), DbErr> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT epoch FROM access_epoch WHERE id = 1",
            ))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("access_epoch".into()))?;
        let epoch: i64 = row.try_get("", "epoch")?;
        if epoch != self.seen_epoch.load(Ordering::SeqCst) {
            self.clear();
            self.load_revoked().await?;
            self.seen_epoch.fetch_max(epoch, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Applies a notice `<epoch>|<change>` from the listener.
    fn hear(&self, payload: &str) {
        let parsed = payload
            .split_once('|')
            .and_then(|(epoch, change)| Some((epoch.parse::<i64>().ok()?, Change::parse(change)?)));
        match parsed {
            Some((epoch, change)) => {
                self.apply(&change);
                let seen = self.seen_epoch.load(Ordering::SeqCst);
                if epoch == seen + 1 {
                    self.seen_epoch.store(epoch, Ordering::SeqCst);
                }
                // Otherwise a notice is missing: `sync` will notice the gap.
            }
            None => self.clear(),
        }
    }

    /// On PostgreSQL, listens for other nodes' changes until the process
    /// ends. Returns once listening, so that a node is never serving while
    /// deaf to revocations.
    pub async fn listen(self: &Arc<Self>, url: &str) -> anyhow::Result<()> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notice)) => cache.hear(notice.payload()),
                    Ok(None) => {
                        // The connection dropped; the next call reconnects.
                        tracing::warn!("lost the access notification connection");
                        cache.clear();
                        let _ = cache.load_revoked().await;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "access notifications failed; retrying");
                        cache.clear();
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        let _ = cache.load_revoked().await;
                    }
                }
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_round_trip_through_their_payload() {
        for change in [
            Change::Agency("UBND-68".into()),
            Change::Token {
                agency: "UBND-68".into(),
                jti: "abc-1".into(),
            },
            Change::Token {
                agency: "*".into(),
                jti: "abc-2".into(),
            },
        ] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
        assert_eq!(Change::parse("nonsense"), None);
        assert_eq!(Change::parse("token:abc-1"), None);
    }
}

//! Client authentication at `/oauth/token`, safe to expose to anyone:
//!
//! - credentials that cannot be real (control characters, NUL, over 128
//!   bytes) are refused before the database is asked;
//! - each source address and each client id has a request rate (token
//!   buckets, `governor`), and a client id is locked out after repeated
//!   failures, for a time that doubles with each further failure;
//! - at most `concurrency` secrets are checked at once (Argon2 takes about
//!   19 MiB and tens of milliseconds each), each in a workspace kept for
//!   the next, so that memory stays at `concurrency` workspaces however
//!   long a flood lasts; a request waits for a turn only briefly, in a
//!   bounded queue, then is told to come back;
//! - an unknown client id, an agency without a secret and a wrong secret are
//!   refused alike: same checks, same Argon2 work (against a dummy hash),
//!   same answer.
//!
//! `LoginGuard::authenticate` does all of it; the handler maps
//! [`LoginError`] to an OAuth error response.

use crate::access::secret::{self, Workspace};
use entities::access::{AgencyStatus, agency};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Longest client id or secret accepted, in bytes.
pub const MAX_CREDENTIAL_BYTES: usize = 128;
/// Longest lockout.
const MAX_LOCKOUT: Duration = Duration::from_secs(3600);
/// A failure streak is forgotten after this long without a failure.
const FORGET_FAILURES: Duration = Duration::from_secs(3600);
/// Client ids whose failures are remembered, at most.
const MAX_TRACKED: usize = 100_000;
/// Requests that may wait for a secret check, per check slot.
const WAITING_PER_SLOT: usize = 16;

/// The configured limits (see `Config::login`).
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// Secrets checked at once.
    pub concurrency: usize,
    /// Longest wait for a check slot.
    pub queue_wait: Duration,
    /// Token requests per client id per minute (and in a burst).
    pub client_per_minute: u32,
    /// Token requests per source address per minute (and in a burst).
    pub ip_per_minute: u32,
    /// Failures in a row before a client id is locked out.
    pub max_failures: u32,
    /// The first lockout; each further failure doubles it.
    pub lockout: Duration,
}

impl Default for LoginSettings {
    fn default() -> Self {
        LoginSettings {
            concurrency: 4,
            queue_wait: Duration::from_secs(2),
            client_per_minute: 10,
            ip_per_minute: 60,
            max_failures: 5,
            lockout: Duration::from_secs(60),
        }
    }
}

/// Why a client was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The credentials cannot be real; nothing was looked up.
    #[error("{0}")]
    Malformed(&'static str),
    /// Too many requests from this address or for this client id, or the
    /// client id is locked out.
    #[error("too many attempts; retry in {} s", retry_after_secs(*.retry_after))]
    RateLimited { retry_after: Duration },
    /// Every secret check is taken and the queue is full or too slow.
    #[error("the hub is busy checking other clients' secrets")]
    Busy,
    /// Unknown client, no secret, wrong secret or suspended agency: the
    /// caller is not told which.
    #[error("client authentication failed")]
    InvalidClient,
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// Whole seconds to wait, at least one (for `Retry-After`).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// A client id's recent failures.
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Rate limits, lockouts and the bounded pool of secret checks.
pub struct LoginGuard {
    settings: LoginSettings,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_client: DefaultKeyedRateLimiter<String>,
    failures: Mutex<HashMap<String, Failures>>,
    admitted: AtomicU64,
    workspaces: Arc<Mutex<Vec<Workspace>>>,
}

impl LoginGuard {
    pub fn new(settings: LoginSettings) -> LoginGuard {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("positive"));
        LoginGuard {
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            waiting: AtomicUsize::new(0),
            by_ip: RateLimiter::keyed(per_minute(settings.ip_per_minute)),
            by_client: RateLimiter::keyed(per_minute(settings.client_per_minute)),
            failures: Mutex::new(HashMap::new()),
            admitted: AtomicU64::new(0),
            workspaces: Arc::default(),
            settings,
        }
    }

    /// Makes the dummy hash now, in the background, so that the first
    /// unknown client does not pay for it (and is not told apart by it).
    pub fn warm_up(&self) {
        tokio::task::spawn_blocking(|| {
            secret::dummy_hash();
        });
    }

    /// Authenticates a client by id and secret, from `peer`: the agency if
    /// the secret is its own and it is active.
    pub async fn authenticate(
        &self,
        db: &DatabaseConnection,
        peer: IpAddr,
        client_id: &str,
        client_secret: String,
    ) -> Result<agency::Model, LoginError> {
        check_shape(client_id, &client_secret)?;
        if let Err(error) = self.admit(peer, client_id, Instant::now()) {
            tracing::info!(client = ?client_id, %peer, %error, "token endpoint: refused");
            return Err(error);
        }
        let slot = self.slot().await.inspect_err(|_| {
            tracing::warn!(client = ?client_id, %peer, "token endpoint: secret checks busy");
        })?;
        let agency = agency::Entity::find_by_id(client_id.to_owned())
            .one(db)
            .await?;
        let stored = agency.as_ref().and_then(|a| a.client_secret_hash.clone());
        let verified = secret::verify_blocking(client_secret, stored, slot).await;
        match agency.filter(|a| verified && a.status == AgencyStatus::Active) {
            Some(agency) => {
                self.succeeded(client_id);
                Ok(agency)
            }
            None => {
                self.failed(client_id, Instant::now());
                tracing::info!(client = ?client_id, %peer, "token endpoint: client authentication failed");
                Err(LoginError::InvalidClient)
            }
        }
    }

    /// Whether a request from `peer` for `client_id` may be tried now:
    /// the address's rate, the client id's lockout, then its rate.
    fn admit(&self, peer: IpAddr, client_id: &str, now: Instant) -> Result<(), LoginError> {
        use governor::clock::{Clock, DefaultClock};
        if self.admitted.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.forget_old(now);
        }
        let limited = |not_until: governor::NotUntil<_>| LoginError::RateLimited {
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        };
        self.by_ip.check_key(&address_key(peer)).map_err(limited)?;
        if let Some(retry_after) = self.locked(client_id, now) {
            return Err(LoginError::RateLimited { retry_after });
        }
        self.by_client
            .check_key(&client_id.to_owned())
            .map_err(limited)?;
        Ok(())
    }

    /// A turn to check a secret, with a workspace: at once if one is
    /// free, else after a bounded wait in a bounded queue.
    async fn slot(&self) -> Result<Slot, LoginError> {
        let permit = self.permit().await?;
        let workspace = self
            .workspaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        Ok(Slot {
            _permit: permit,
            workspace,
            pool: self.workspaces.clone(),
        })
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, LoginError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let most = self.settings.concurrency.max(1) * WAITING_PER_SLOT;
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= most {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(LoginError::Busy);
        }
        // Counted out again even if the request is dropped while it waits.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _waiting = Waiting(&self.waiting);
        match tokio::time::timeout(self.settings.queue_wait, self.slots.clone().acquire_owned())
            .await
        {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(LoginError::Busy),
        }
    }

    /// How long `client_id` is still locked out, if it is.
    fn locked(&self, client_id: &str, now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures
            .get(client_id)
            .and_then(|f| f.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    fn succeeded(&self, client_id: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(client_id);
    }

    /// Counts a failure; from `max_failures` in a row on, locks the client
    /// id out for `lockout`, doubled for each failure beyond.
    fn failed(&self, client_id: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED && !failures.contains_key(client_id) {
            prune(&mut failures, now);
            if failures.len() >= MAX_TRACKED {
                // Keep the lockouts; forget streaks that have not locked yet.
                failures.retain(|_, f| f.locked_until.is_some_and(|until| until > now));
            }
        }
        let entry = failures.entry(client_id.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if now.saturating_duration_since(entry.last) > FORGET_FAILURES {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if entry.count >= self.settings.max_failures {
            let doublings = (entry.count - self.settings.max_failures).min(16);
            let lockout = self
                .settings
                .lockout
                .saturating_mul(1 << doublings)
                .min(MAX_LOCKOUT);
            entry.locked_until = Some(now + lockout);
        }
    }

    /// Drops the state of addresses and clients not seen lately, so that a
    /// flood of made-up client ids leaves no memory behind.
    fn forget_old(&self, now: Instant) {
        self.by_ip.retain_recent();
        self.by_ip.shrink_to_fit();
        self.by_client.retain_recent();
        self.by_client.shrink_to_fit();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        prune(&mut failures, now);
        failures.shrink_to_fit();
    }
}

/// A turn to run Argon2 and the memory to run it in; both go back when
/// it is dropped. There are never more than `concurrency` workspaces.
struct Slot {
    _permit: OwnedSemaphorePermit,
    workspace: Workspace,
    pool: Arc<Mutex<Vec<Workspace>>>,
}

impl AsMut<Workspace> for Slot {
    fn as_mut(&mut self) -> &mut Workspace {
        &mut self.workspace
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let workspace = std::mem::take(&mut self.workspace);
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(workspace);
    }
}

/// Forgets streaks that are neither locked nor recent.
fn prune(failures: &mut HashMap<String, Failures>, now: Instant) {
    failures.retain(|_, f| {
        f.locked_until.is_some_and(|until| until > now)
            || now.saturating_duration_since(f.last) <= FORGET_FAILURES
    });
}

/// Refuses credentials that no client can have: over 128 bytes, or with
/// control characters (NUL, CR, LF…). Checked before any lookup.
pub fn check_shape(client_id: &str, client_secret: &str) -> Result<(), LoginError> {
    let bad = |s: &str| s.len() > MAX_CREDENTIAL_BYTES || s.chars().any(char::is_control);
    if bad(client_id) {
        return Err(LoginError::Malformed(
            "client_id must have at most 128 bytes and no control characters",
        ));
    }
    if bad(client_secret) {
        return Err(LoginError::Malformed(
            "client_secret must have at most 128 bytes and no control characters",
        ));
    }
    Ok(())
}

/// The key a source address is limited by: an IPv4 address, or an IPv6
/// /64 (one host usually holds a whole /64).
fn address_key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests;

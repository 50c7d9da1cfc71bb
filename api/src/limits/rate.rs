//! Rates: requests per agency (a token bucket per agency) and
//! verifications per agency and person, so that facts cannot be guessed
//! one by one.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// Verification attempts per agency and subject: a bucket of `burst`
/// attempts refilled at `per_hour`, so facts about a person cannot be
/// guessed one by one.
pub struct VerifyLimits {
    limiter: DefaultKeyedRateLimiter<(String, String)>,
}

impl VerifyLimits {
    pub fn new(per_hour: u32, burst: u32) -> VerifyLimits {
        let per_hour = NonZeroU32::new(per_hour.max(1)).expect("positive");
        let burst = NonZeroU32::new(burst.max(1)).expect("positive");
        VerifyLimits {
            limiter: RateLimiter::keyed(Quota::per_hour(per_hour).allow_burst(burst)),
        }
    }

    /// Forgets the buckets that are full again, so that verifying many
    /// people does not grow the node's memory (run every few minutes).
    pub fn forget_full(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// `Ok` if `agency` may verify facts about `subject` now, else how long
    /// to wait.
    pub fn check(&self, agency: &str, subject: &str) -> Result<(), Duration> {
        use governor::clock::{Clock, DefaultClock};
        self.limiter
            .check_key(&(agency.to_owned(), subject.to_owned()))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Requests per agency: a token bucket of `burst` requests refilled at
/// `per_second`.
pub struct RateLimits {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl RateLimits {
    pub fn new(per_second: u32, burst: u32) -> RateLimits {
        let per_second = NonZeroU32::new(per_second.max(1)).expect("positive");
        let burst = NonZeroU32::new(burst.max(1)).expect("positive");
        RateLimits {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
        }
    }

    /// `Ok` if the agency may make a request now, else how long to wait.
    pub fn check(&self, agency: &str) -> Result<(), Duration> {
        use governor::clock::{Clock, DefaultClock};
        self.limiter
            .check_key(&agency.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

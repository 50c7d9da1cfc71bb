//! Unit tests of `login`.

use super::*;

fn guard(settings: LoginSettings) -> LoginGuard {
    LoginGuard::new(settings)
}

const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// Control characters, NUL and over-long credentials are refused;
/// ordinary ids and secrets pass.
#[test]
fn impossible_credentials_are_refused_before_any_lookup() {
    assert!(check_shape("UBND-68", "s3cret-_").is_ok());
    assert!(check_shape("", "").is_ok());
    for id in ["UBND\0", "UBND\r\n68", "\u{7f}", &"x".repeat(129)] {
        assert!(matches!(
            check_shape(id, "s"),
            Err(LoginError::Malformed(_))
        ));
        assert!(matches!(
            check_shape("UBND-68", id),
            Err(LoginError::Malformed(_))
        ));
    }
    assert!(check_shape(&"x".repeat(128), "s").is_ok());
}

/// After `max_failures` failures a client id is locked out, for a
/// time that doubles with each failure beyond; a success clears it,
/// and other client ids are not affected.
#[test]
fn failures_lock_a_client_out_with_growing_backoff() {
    let guard = guard(LoginSettings {
        max_failures: 3,
        lockout: Duration::from_secs(10),
        client_per_minute: 1000,
        ip_per_minute: 1000,
        ..LoginSettings::default()
    });
    let now = Instant::now();
    for _ in 0..2 {
        guard.failed("BCA", now);
    }
    assert!(guard.admit(PEER, "BCA", now).is_ok());
    guard.failed("BCA", now);
    let Err(LoginError::RateLimited { retry_after }) = guard.admit(PEER, "BCA", now) else {
        panic!("locked out after three failures");
    };
    assert_eq!(retry_after, Duration::from_secs(10));
    assert!(guard.admit(PEER, "UBND-68", now).is_ok());
    let later = now + Duration::from_secs(11);
    assert!(guard.admit(PEER, "BCA", later).is_ok());
    guard.failed("BCA", later);
    assert_eq!(guard.locked("BCA", later), Some(Duration::from_secs(20)));
    guard.succeeded("BCA");
    assert_eq!(guard.locked("BCA", later), None);
}

/// Requests are limited per client id and per source address, with
/// how long to wait.
#[test]
fn requests_are_limited_per_client_and_per_address() {
    let guard = guard(LoginSettings {
        client_per_minute: 2,
        ip_per_minute: 3,
        ..LoginSettings::default()
    });
    let now = Instant::now();
    assert!(guard.admit(PEER, "BCA", now).is_ok());
    assert!(guard.admit(PEER, "BCA", now).is_ok());
    let Err(LoginError::RateLimited { retry_after }) = guard.admit(PEER, "BCA", now) else {
        panic!("the client's bucket is empty");
    };
    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(30));
    // The third request spent the address's last token.
    assert!(matches!(
        guard.admit(PEER, "BTC", now),
        Err(LoginError::RateLimited { .. })
    ));
    let other: IpAddr = "192.0.2.7".parse().unwrap();
    assert!(guard.admit(other, "BTC", now).is_ok());
}

/// IPv6 addresses are limited by /64; IPv4-mapped ones as IPv4.
#[test]
fn addresses_are_keyed_by_host_network() {
    let a: IpAddr = "2001:db8::1".parse().unwrap();
    let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
    assert_eq!(address_key(a), address_key(b));
    let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
    assert_eq!(address_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
}

/// Secret checks beyond `concurrency` wait at most `queue_wait`, then
/// are refused as busy; a freed slot is taken again.
#[tokio::test]
async fn secret_checks_are_bounded() {
    let guard = guard(LoginSettings {
        concurrency: 1,
        queue_wait: Duration::from_millis(20),
        ..LoginSettings::default()
    });
    let held = guard.slot().await.unwrap();
    assert!(matches!(guard.slot().await, Err(LoginError::Busy)));
    drop(held);
    assert!(guard.slot().await.is_ok());
    assert_eq!(guard.waiting.load(Ordering::Acquire), 0);
    assert_eq!(
        guard.workspaces.lock().unwrap().len(),
        1,
        "one workspace, reused"
    );
}

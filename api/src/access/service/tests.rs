//! Unit tests of `service`.

use super::*;

/// Only a hyphenated UUID is a token id; control characters, other
/// forms and long strings are refused.
#[test]
fn only_a_uuid_is_a_token_id() {
    let id = uuid::Uuid::new_v4().to_string();
    assert_eq!(check_token_id(&id).unwrap(), id);
    assert_eq!(check_token_id(&id.to_uppercase()).unwrap(), id);
    for bad in [
        "",
        "x\u{0}",
        "a".repeat(2048).as_str(),
        id.replace('-', "").as_str(),
        format!("{{{id}}}").as_str(),
        format!("{id}\n").as_str(),
    ] {
        assert_eq!(check_token_id(bad).unwrap_err().code(), "BAD_USER_INPUT");
    }
}

/// The operator and the server act for the hub; an agency for itself.
#[test]
fn actors_are_named_and_ranked() {
    let province = Actor::Agency {
        code: "UBND-68",
        hub_admin: false,
    };
    let hub = Actor::Agency {
        code: "TTDLQG",
        hub_admin: true,
    };
    assert_eq!(province.name(), "UBND-68");
    assert_eq!(Actor::Server.name(), "server");
    assert!(!province.is_operator());
    assert!(hub.is_operator() && Actor::Server.is_operator());
}

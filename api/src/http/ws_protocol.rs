//! The rules of `graphql-transport-ws` that async-graphql's socket does not
//! keep, kept here in front of it: a message that is not one of the
//! protocol's closes with 4400, a `subscribe` before `connection_init` with
//! 4401, a second `subscribe` under an id still running with 4409, and no
//! `connection_init` in time with 4408 (a second `connection_init` is 4429,
//! by async-graphql itself).

use std::collections::HashSet;

/// How long a client has to send `connection_init`.
pub const INIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A close code and its reason.
pub type Close = (u16, String);

/// One connection's protocol state.
#[derive(Default)]
pub struct Rules {
    initialised: bool,
    running: HashSet<String>,
}

impl Rules {
    /// Whether `connection_init` has come.
    pub fn initialised(&self) -> bool {
        self.initialised
    }

    /// A message from the client: `Ok` to pass it on, or how to close.
    pub fn incoming(&mut self, message: &[u8]) -> Result<(), Close> {
        let invalid = |why: &str| (4400, format!("Invalid message received: {why}"));
        let value: serde_json::Value =
            serde_json::from_slice(message).map_err(|_| invalid("not a JSON object"))?;
        let kind = value
            .get("type")
            .and_then(|t| t.as_str())
            .ok_or_else(|| invalid("no type"))?;
        let id = || {
            value
                .get("id")
                .and_then(|id| id.as_str())
                .filter(|id| !id.is_empty())
                .ok_or_else(|| invalid(&format!("a {kind} message needs an id")))
        };
        match kind {
            "connection_init" => {
                self.initialised = true;
                Ok(())
            }
            "ping" | "pong" => Ok(()),
            "subscribe" => {
                let id = id()?;
                if !value.get("payload").is_some_and(|p| p.is_object()) {
                    return Err(invalid("a subscribe message needs a payload object"));
                }
                if !self.initialised {
                    return Err((4401, "Unauthorized".into()));
                }
                if !self.running.insert(id.to_owned()) {
                    return Err((4409, format!("Subscriber for {id} already exists")));
                }
                Ok(())
            }
            "complete" => {
                let id = id()?;
                self.running.remove(id);
                Ok(())
            }
            other => Err(invalid(&format!("unknown type {other:?}"))),
        }
    }

    /// A message to the client: an operation that ended (`complete` or
    /// `error`) frees its id.
    pub fn outgoing(&mut self, text: &str) {
        if !(text.starts_with(r#"{"type":"complete""#) || text.starts_with(r#"{"type":"error""#)) {
            return;
        }
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
            && let Some(id) = value.get("id").and_then(|id| id.as_str())
        {
            self.running.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(rules: &mut Rules, message: &str) -> Option<u16> {
        rules
            .incoming(message.as_bytes())
            .err()
            .map(|(code, _)| code)
    }

    #[test]
    fn the_protocols_close_codes() {
        let mut rules = Rules::default();
        assert_eq!(code(&mut rules, "nonsense"), Some(4400));
        assert_eq!(code(&mut rules, r#"{"id":"1"}"#), Some(4400));
        assert_eq!(code(&mut rules, r#"{"type":"start","id":"1"}"#), Some(4400));
        let subscribe =
            r#"{"type":"subscribe","id":"1","payload":{"query":"{ me { agencyCode } }"}}"#;
        assert_eq!(code(&mut rules, subscribe), Some(4401));
        assert_eq!(code(&mut rules, r#"{"type":"connection_init"}"#), None);
        assert_eq!(code(&mut rules, subscribe), None);
        assert_eq!(code(&mut rules, subscribe), Some(4409));
        rules.outgoing(r#"{"type":"complete","id":"1"}"#);
        assert_eq!(code(&mut rules, subscribe), None, "the id is free again");
        assert_eq!(code(&mut rules, r#"{"type":"complete","id":"1"}"#), None);
        assert_eq!(code(&mut rules, subscribe), None, "completed by the client");
        assert_eq!(
            code(&mut rules, r#"{"type":"subscribe","id":"2"}"#),
            Some(4400)
        );
        assert_eq!(code(&mut rules, r#"{"type":"ping"}"#), None);
    }
}

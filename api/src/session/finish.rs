//! How a finished request is accounted for, in one place: counted in the
//! metrics and written as one log line at INFO (target
//! `lienthong::request`) — an HTTP request, or one operation over a
//! WebSocket (a subscription when it ends). The line says who (agency
//! code), what (the operation's label: a root field of the schema, never
//! the caller's operation name), how it arrived, how it ended (outcome and
//! HTTP status), how long it took and its request id, with the trace id
//! when there is one; never variables, arguments, ids from the document or
//! the declared purpose.

use super::{AppState, Caller, Served, Transport};
use std::time::{Duration, Instant};

/// Put on an HTTP response whose line the session has written, so that
/// the HTTP layer writes no second one.
#[derive(Clone, Copy, Debug)]
pub struct Logged;

/// A finished request, as the log line and the metrics see it.
#[derive(Debug)]
pub struct Finished<'a> {
    pub transport: Transport,
    /// The caller's agency, once authenticated.
    pub agency: Option<&'a str>,
    /// The label of [`Served::label`] (or `-`).
    pub operation: &'a str,
    /// [`super::Outcome::label`], `unauthenticated` or `bad_request`.
    pub outcome: &'static str,
    /// The HTTP status, for a request over HTTP.
    pub status: Option<u16>,
    pub request_id: &'a str,
    pub elapsed: Duration,
    /// A subscription: its time is its life, kept out of the latency.
    pub subscription: bool,
}

impl Transport {
    /// Its name in the log line.
    pub fn label(self) -> &'static str {
        match self {
            Transport::Http | Transport::HttpGet => "http",
            Transport::WebSocket => "websocket",
        }
    }
}

impl AppState {
    /// Counts a finished request and writes its line.
    pub fn finished(&self, done: &Finished<'_>) {
        let agency = done.agency.unwrap_or("-");
        if done.subscription {
            self.metrics.count(agency, done.operation, done.outcome);
        } else {
            let endpoint = match done.transport {
                Transport::WebSocket => "graphql_ws",
                Transport::Http | Transport::HttpGet => "graphql",
            };
            self.metrics
                .request(endpoint, agency, done.operation, done.outcome, done.elapsed);
        }
        log(done);
    }

    /// Accounts for an operation sent over a WebSocket by `who`.
    pub(super) fn finished_ws(&self, who: &Who, served: &Served, started: Instant) {
        self.finished(&Finished {
            transport: Transport::WebSocket,
            agency: Some(&who.agency),
            operation: &served.label,
            outcome: served.outcome.label(),
            status: None,
            request_id: &who.request_id,
            elapsed: started.elapsed(),
            subscription: false,
        });
    }
}

/// Writes the line of a finished request.
pub fn log(done: &Finished<'_>) {
    let duration_ms = done.elapsed.as_micros() as f64 / 1000.0;
    tracing::info!(
        target: "lienthong::request",
        agency = done.agency.unwrap_or("-"),
        operation = done.operation,
        transport = done.transport.label(),
        outcome = done.outcome,
        status = done.status,
        duration_ms,
        request_id = done.request_id,
        trace_id = crate::telemetry::trace_id(),
        "request"
    );
}

/// Whose operation it is, kept for its line once the caller has moved on.
pub(super) struct Who {
    agency: String,
    request_id: String,
}

impl Who {
    pub(super) fn of(caller: &Caller) -> Who {
        Who {
            agency: caller.principal.agency.clone(),
            request_id: caller.declared.request_id.clone(),
        }
    }
}

/// A live subscription: its line is written when it ends (the client
/// completes it or goes away), with its whole life as its duration.
pub(super) struct Watch {
    state: AppState,
    who: Who,
    label: String,
    started: Instant,
    /// The first answer refused the document (it did not validate).
    refused: bool,
    errors: bool,
}

impl AppState {
    pub(super) fn watch(&self, who: Who, label: String, started: Instant) -> Watch {
        Watch {
            state: self.clone(),
            who,
            label,
            started,
            refused: false,
            errors: false,
        }
    }
}

impl Watch {
    /// Notes an event about to be delivered.
    pub(super) fn saw(&mut self, response: &async_graphql::Response) {
        if response.errors.is_empty() {
            return;
        }
        let request_error = response.data == async_graphql::Value::Null
            && response.errors.iter().all(|e| e.path.is_empty());
        if request_error && !self.errors {
            self.refused = true;
        }
        self.errors = true;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let (operation, outcome) = match (self.refused, self.errors) {
            (true, _) => ("invalid", "bad_request"),
            (false, true) => (self.label.as_str(), "error"),
            (false, false) => (self.label.as_str(), "ok"),
        };
        self.state.finished(&Finished {
            transport: Transport::WebSocket,
            agency: Some(&self.who.agency),
            operation,
            outcome,
            status: None,
            request_id: &self.who.request_id,
            elapsed: self.started.elapsed(),
            subscription: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// A writer into a shared buffer, for a subscriber under test.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_line_names_the_request_and_nothing_personal() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            log(&Finished {
                transport: Transport::HttpGet,
                agency: Some("UBND-68"),
                operation: "citizen",
                outcome: "ok",
                status: Some(200),
                request_id: "portal-68:case-9",
                elapsed: Duration::from_micros(12_345),
                subscription: false,
            });
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "lienthong::request");
        assert_eq!(
            line["fields"],
            serde_json::json!({
                "message": "request",
                "agency": "UBND-68",
                "operation": "citizen",
                "transport": "http",
                "outcome": "ok",
                "status": 200,
                "duration_ms": 12.345,
                "request_id": "portal-68:case-9",
            })
        );
    }
}

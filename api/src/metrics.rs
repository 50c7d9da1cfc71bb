//! The hub's own counters, exposed at `GET /metrics` in the Prometheus
//! text format: requests by agency, operation and outcome, request
//! latency, audit batches (size, lag, failures) and the database pool.
//!
//! Operation names come from callers, so their number is capped: past
//! [`MAX_SERIES`] distinct label sets, new ones are counted as `other`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Most distinct (agency, operation, outcome) series kept.
pub const MAX_SERIES: usize = 2_000;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Upper bounds of the audit batch-size buckets, in rows.
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 64.0, 256.0, 512.0];

#[derive(Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    total: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, bound) in bounds.iter().enumerate() {
            if value <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += value;
        self.total += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in bounds.iter().enumerate() {
            let count = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.total
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.total);
    }
}

#[derive(Default)]
struct State {
    requests: BTreeMap<(String, String, &'static str), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    audit_batches: Histogram,
    audit_lag: Histogram,
    audit_rows: u64,
    audit_failures: u64,
}

/// The counters of one server process.
#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

/// Keeps a label value printable and short.
fn label(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(64)
        .collect()
}

impl Metrics {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One request to `endpoint` finished with `outcome`.
    pub fn request(
        &self,
        endpoint: &'static str,
        agency: &str,
        operation: &str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        let mut state = self.state();
        let mut key = (label(agency), label(operation), outcome);
        if !state.requests.contains_key(&key) && state.requests.len() >= MAX_SERIES {
            key = ("other".into(), "other".into(), outcome);
        }
        *state.requests.entry(key).or_default() += 1;
        state
            .latency
            .entry(endpoint)
            .or_default()
            .observe(&LATENCY_BUCKETS, elapsed.as_secs_f64());
    }

    /// The audit writer committed (or failed) a batch of `rows` rows, the
    /// oldest of which had waited `lag`.
    pub fn audit_batch(&self, rows: usize, lag: Duration, ok: bool) {
        let mut state = self.state();
        state.audit_batches.observe(&BATCH_BUCKETS, rows as f64);
        state.audit_lag.observe(&LATENCY_BUCKETS, lag.as_secs_f64());
        if ok {
            state.audit_rows += rows as u64;
        } else {
            state.audit_failures += 1;
        }
    }

    /// The text exposition, with the pool's figures given by the caller.
    pub fn render(&self, pool: &PoolFigures) -> String {
        let state = self.state();
        let mut out = String::new();
        out.push_str("# HELP lienthong_requests_total Requests by agency, operation and outcome.\n# TYPE lienthong_requests_total counter\n");
        for ((agency, operation, outcome), n) in &state.requests {
            let _ = writeln!(
                out,
                "lienthong_requests_total{{agency=\"{agency}\",operation=\"{operation}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP lienthong_request_duration_seconds Time to answer a request.\n# TYPE lienthong_request_duration_seconds histogram\n");
        for (endpoint, histogram) in &state.latency {
            histogram.render(
                &mut out,
                "lienthong_request_duration_seconds",
                &format!("endpoint=\"{endpoint}\""),
                &LATENCY_BUCKETS,
            );
        }
        out.push_str("# HELP lienthong_audit_batch_rows Access-log rows per committed transaction.\n# TYPE lienthong_audit_batch_rows histogram\n");
        state
            .audit_batches
            .render(&mut out, "lienthong_audit_batch_rows", "", &BATCH_BUCKETS);
        out.push_str("# HELP lienthong_audit_lag_seconds From a request's entries queued to their commit.\n# TYPE lienthong_audit_lag_seconds histogram\n");
        state.audit_lag.render(
            &mut out,
            "lienthong_audit_lag_seconds",
            "",
            &LATENCY_BUCKETS,
        );
        let _ = writeln!(
            out,
            "# HELP lienthong_audit_rows_total Access-log rows committed.\n# TYPE lienthong_audit_rows_total counter\nlienthong_audit_rows_total {}",
            state.audit_rows
        );
        let _ = writeln!(
            out,
            "# HELP lienthong_audit_failures_total Access-log batches that could not be committed.\n# TYPE lienthong_audit_failures_total counter\nlienthong_audit_failures_total {}",
            state.audit_failures
        );
        let _ = writeln!(
            out,
            "# HELP lienthong_db_pool_connections Open database connections.\n# TYPE lienthong_db_pool_connections gauge\nlienthong_db_pool_connections {}\n# HELP lienthong_db_pool_idle Idle database connections.\n# TYPE lienthong_db_pool_idle gauge\nlienthong_db_pool_idle {}\n# HELP lienthong_db_pool_max Most database connections.\n# TYPE lienthong_db_pool_max gauge\nlienthong_db_pool_max {}\n# HELP lienthong_db_statements_total Statements sent to the database.\n# TYPE lienthong_db_statements_total counter\nlienthong_db_statements_total {}",
            pool.size, pool.idle, pool.max, pool.statements
        );
        out
    }
}

/// The database pool as it is now.
#[derive(Debug, Default, Clone, Copy)]
pub struct PoolFigures {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
    pub statements: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_and_caps_the_series() {
        let metrics = Metrics::default();
        metrics.request(
            "graphql",
            "UBND-68",
            "Lookup\"}\n",
            "ok",
            Duration::from_millis(3),
        );
        metrics.request(
            "graphql",
            "UBND-68",
            "Lookup",
            "ok",
            Duration::from_millis(30),
        );
        let text = metrics.render(&PoolFigures::default());
        assert!(text.contains(
            "lienthong_requests_total{agency=\"UBND-68\",operation=\"Lookup\",outcome=\"ok\"} 2"
        ));
        assert!(text.contains(
            "lienthong_request_duration_seconds_bucket{endpoint=\"graphql\",le=\"0.005\"} 1"
        ));
        assert!(text.contains("lienthong_request_duration_seconds_count{endpoint=\"graphql\"} 2"));
        for i in 0..MAX_SERIES + 10 {
            metrics.request("graphql", "X", &format!("op{i}"), "ok", Duration::ZERO);
        }
        let text = metrics.render(&PoolFigures::default());
        let series = text
            .lines()
            .filter(|l| l.starts_with("lienthong_requests_total{"))
            .count();
        assert_eq!(series, MAX_SERIES + 1, "capped, plus the `other` series");
        assert!(text.contains("agency=\"other\",operation=\"other\",outcome=\"ok\"} 11"));
    }
}

//! The hub's own counters, exposed at `GET /metrics` in the Prometheus
//! text format (OpenMetrics) by the `prometheus-client` crate: requests by
//! agency, operation and outcome, request latency, audit batches (size,
//! lag, failures), the database pool, the build (`lienthong_build_info`)
//! and the process in Prometheus' standard names (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, `process_open_fds`…, read from `/proc`
//! by the `procfs` crate at each scrape, on Linux). Each server has its own
//! registry, so that several hubs in one process (the tests) do not mix
//! counters.
//!
//! Operation names come from callers, so their number is capped: past
//! [`MAX_SERIES`] distinct label sets, new ones are counted as `other`.

use dashmap::DashSet;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Most distinct (agency, operation, outcome) series kept.
pub const MAX_SERIES: usize = 2_000;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Upper bounds of the audit batch-size buckets, in rows.
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 64.0, 256.0, 512.0];

fn latency() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    agency: String,
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

/// The counters of one server process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    /// The (agency, operation) pairs counted so far, for the cap.
    series: DashSet<(String, String, &'static str)>,
    latency: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    audit_batches: Histogram,
    audit_lag: Histogram,
    audit_rows: Counter,
    audit_failures: Counter,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    statements: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "lienthong_requests",
            "Requests by agency, operation and outcome",
            requests.clone(),
        );
        let latency = Family::<EndpointLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency as fn() -> Histogram,
        );
        registry.register(
            "lienthong_request_duration_seconds",
            "Time to answer a request",
            latency.clone(),
        );
        let audit_batches = Histogram::new(BATCH_BUCKETS);
        registry.register(
            "lienthong_audit_batch_rows",
            "Access-log rows per committed transaction",
            audit_batches.clone(),
        );
        let audit_lag = Histogram::new(LATENCY_BUCKETS);
        registry.register(
            "lienthong_audit_lag_seconds",
            "From a request's entries queued to their commit",
            audit_lag.clone(),
        );
        let audit_rows = Counter::default();
        registry.register(
            "lienthong_audit_rows",
            "Access-log rows committed",
            audit_rows.clone(),
        );
        let audit_failures = Counter::default();
        registry.register(
            "lienthong_audit_failures",
            "Access-log batches that could not be committed",
            audit_failures.clone(),
        );
        let (pool_size, pool_idle, pool_max) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "lienthong_db_pool_connections",
            "Open database connections",
            pool_size.clone(),
        );
        registry.register(
            "lienthong_db_pool_idle",
            "Idle database connections",
            pool_idle.clone(),
        );
        registry.register(
            "lienthong_db_pool_max",
            "Most database connections",
            pool_max.clone(),
        );
        let statements = Counter::default();
        registry.register(
            "lienthong_db_statements",
            "Statements sent to the database",
            statements.clone(),
        );
        registry.register(
            "lienthong_build",
            "The version of the hub, the compiler that built it and its commit",
            Info::new(build_labels()),
        );
        registry.register_collector(Box::new(ProcessCollector));
        Metrics {
            registry,
            requests,
            series: DashSet::new(),
            latency,
            audit_batches,
            audit_lag,
            audit_rows,
            audit_failures,
            pool_size,
            pool_idle,
            pool_max,
            statements,
        }
    }
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
    /// One request to `endpoint` finished with `outcome`.
    pub fn request(
        &self,
        endpoint: &'static str,
        agency: &str,
        operation: &str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        self.count(agency, operation, outcome);
        self.latency
            .get_or_create(&EndpointLabels { endpoint })
            .observe(elapsed.as_secs_f64());
    }

    /// One request finished with `outcome`, its time not observed (a
    /// subscription, whose time is its life).
    pub fn count(&self, agency: &str, operation: &str, outcome: &'static str) {
        let mut key = (label(agency), label(operation), outcome);
        if !self.series.contains(&key) {
            if self.series.len() >= MAX_SERIES {
                key = ("other".into(), "other".into(), outcome);
            } else {
                self.series.insert(key.clone());
            }
        }
        let (agency, operation, outcome) = key;
        self.requests
            .get_or_create(&RequestLabels {
                agency,
                operation,
                outcome,
            })
            .inc();
    }

    /// The audit writer committed (or failed) a batch of `rows` rows, the
    /// oldest of which had waited `lag`.
    pub fn audit_batch(&self, rows: usize, lag: Duration, ok: bool) {
        self.audit_batches.observe(rows as f64);
        self.audit_lag.observe(lag.as_secs_f64());
        if ok {
            self.audit_rows.inc_by(rows as u64);
        } else {
            self.audit_failures.inc();
        }
    }

    /// The text exposition, with the pool's figures given by the caller.
    pub fn render(&self, pool: &PoolFigures) -> String {
        self.pool_size.set(i64::from(pool.size));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        self.statements
            .inner()
            .store(pool.statements, Ordering::Relaxed);
        let mut out = String::new();
        // Writing into a `String` cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The labels of `lienthong_build_info`: the crate's version, the compiler
/// (recorded by `build.rs`) and the commit, when the build was given one
/// (`LIENTHONG_COMMIT` at build time).
fn build_labels() -> Vec<(&'static str, &'static str)> {
    vec![
        ("version", env!("CARGO_PKG_VERSION")),
        ("rustc", env!("LIENTHONG_RUSTC")),
        (
            "commit",
            option_env!("LIENTHONG_COMMIT").unwrap_or("unknown"),
        ),
    ]
}

/// The process's own figures, in the names Prometheus' client libraries
/// give them, read at each scrape.
#[derive(Debug)]
struct ProcessCollector;

/// What [`ProcessCollector`] reports.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ProcessFigures {
    cpu_seconds: f64,
    resident_bytes: u64,
    virtual_bytes: u64,
    open_fds: u64,
    max_fds: Option<u64>,
    start_time_seconds: f64,
}

impl ProcessFigures {
    /// This process, now (`None` where `/proc` cannot be read).
    #[cfg(target_os = "linux")]
    fn read() -> Option<ProcessFigures> {
        use procfs::process::{LimitValue, Process};
        let me = Process::myself().ok()?;
        let stat = me.stat().ok()?;
        let ticks = procfs::ticks_per_second() as f64;
        let max_fds = match me.limits().ok()?.max_open_files.soft_limit {
            LimitValue::Value(n) => Some(n),
            LimitValue::Unlimited => None,
        };
        Some(ProcessFigures {
            cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
            resident_bytes: stat.rss * procfs::page_size(),
            virtual_bytes: stat.vsize,
            open_fds: me.fd_count().ok()? as u64,
            max_fds,
            start_time_seconds: procfs::boot_time_secs().ok()? as f64
                + stat.starttime as f64 / ticks,
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn read() -> Option<ProcessFigures> {
        None
    }
}

impl prometheus_client::collector::Collector for ProcessCollector {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        let Some(figures) = ProcessFigures::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(figures.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let mut gauges = vec![
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                figures.resident_bytes as f64,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                figures.virtual_bytes as f64,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                figures.open_fds as f64,
            ),
        ];
        if let Some(max) = figures.max_fds {
            gauges.push((
                "process_max_fds",
                "Maximum number of open file descriptors",
                max as f64,
            ));
        }
        gauges.push((
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            figures.start_time_seconds,
        ));
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

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
        assert!(
            text.contains(
                "lienthong_requests_total{agency=\"UBND-68\",operation=\"Lookup\",outcome=\"ok\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "lienthong_request_duration_seconds_bucket{le=\"0.005\",endpoint=\"graphql\"} 1"
            ),
            "{text}"
        );
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

    #[cfg(target_os = "linux")]
    #[test]
    fn the_process_and_the_build_are_described() {
        let text = Metrics::default().render(&PoolFigures::default());
        let value = |name: &str| -> f64 {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} in {text}"));
            line[name.len() + 1..].parse().unwrap()
        };
        assert!(
            text.contains("# TYPE process_cpu_seconds counter"),
            "{text}"
        );
        assert!(value("process_cpu_seconds_total") > 0.0);
        assert!(value("process_resident_memory_bytes") > 1e6);
        assert!(value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
        assert!(value("process_open_fds") >= 3.0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let started = value("process_start_time_seconds");
        assert!(
            started <= now + 1.0 && started > now - 24.0 * 3600.0,
            "{started}"
        );
        let info = format!(
            "lienthong_build_info{{version=\"{}\",rustc=\"{}\",commit=\"",
            env!("CARGO_PKG_VERSION"),
            env!("LIENTHONG_RUSTC")
        );
        assert!(text.contains(&info), "{info} in {text}");
        assert!(!env!("LIENTHONG_RUSTC").is_empty() && env!("LIENTHONG_RUSTC") != "unknown");
    }

    #[test]
    fn the_pool_and_statements_are_read_at_each_scrape() {
        let metrics = Metrics::default();
        let pool = PoolFigures {
            size: 3,
            idle: 1,
            max: 8,
            statements: 42,
        };
        let text = metrics.render(&pool);
        for line in [
            "lienthong_db_pool_connections 3",
            "lienthong_db_pool_idle 1",
            "lienthong_db_pool_max 8",
            "lienthong_db_statements_total 42",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}

//! What the hub tells its operators while it runs, apart from the metrics:
//! log lines on stderr (text or JSON; coloured only on a terminal, never
//! under `NO_COLOR`), W3C trace context (a request's span continues the
//! caller's `traceparent` and `tracestate`, and the answer names it in a
//! `traceparent` of its own) and, when `otlp_endpoint` is set, the request
//! spans sent over OTLP/HTTP (protobuf) to a collector, in batches, from a
//! thread of their own: a slow or absent collector costs spans, never a
//! request. The one line per request is written by the session
//! (`session::finish`); the HTTP layer wires the context in (`http`).

use crate::config::LogFormat;
use axum::http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_http::{Bytes, HeaderExtractor, HeaderInjector, HttpError, Request, Response};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use std::ffi::OsStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The log filter when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,tower_http=warn";

/// The longest one export to the collector may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the spans go, when they go anywhere.
pub struct Export {
    /// The collector's OTLP/HTTP base URL (`http://host:4318`).
    pub endpoint: String,
    /// This node's name (`service.instance.id`).
    pub node: String,
    /// The runtime on which the exports are sent.
    pub runtime: tokio::runtime::Handle,
}

/// The installed log and trace pipeline.
pub struct Telemetry {
    provider: SdkTracerProvider,
    exporting: bool,
}

impl Telemetry {
    /// Sends the spans still queued (within the export timeout); call it
    /// while the runtime of [`Export::runtime`] still runs.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown()
            && self.exporting
        {
            tracing::warn!(%error, "the last spans could not be sent to the collector");
        }
    }
}

/// Whether log lines may be coloured: on a terminal only, and never when
/// `NO_COLOR` is set to anything (<https://no-color.org>).
pub fn colour(terminal: bool, no_color: Option<&OsStr>) -> bool {
    terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Installs the global subscriber: log lines on stderr as `format` says,
/// filtered by `RUST_LOG`, and the hub's spans for trace context, sent to
/// a collector when `export` says where.
pub fn init(format: LogFormat, export: Option<Export>) -> anyhow::Result<Telemetry> {
    use std::io::IsTerminal;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let lines = match format {
        LogFormat::Json => lines.json().with_filter(filter).boxed(),
        LogFormat::Text => lines.with_filter(filter).boxed(),
    };
    let exporting = export.is_some();
    let provider = provider(export)?;
    // The hub's own spans and events, whatever `RUST_LOG` shows.
    let ours = Targets::new()
        .with_target("api", tracing::Level::INFO)
        .with_target("lienthong", tracing::Level::INFO);
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("lienthong"))
        .with_filter(ours)
        .boxed();
    tracing_subscriber::registry()
        .with(lines)
        .with(spans)
        .try_init()?;
    Ok(Telemetry {
        provider,
        exporting,
    })
}

/// The tracer provider: with no collector, spans still carry ids (for
/// `traceparent`) but none is recorded unless the caller's trace is; with
/// one, every span is, and sent in batches.
fn provider(export: Option<Export>) -> anyhow::Result<SdkTracerProvider> {
    use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
    let Some(export) = export else {
        return Ok(SdkTracerProvider::builder()
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
            .build());
    };
    let endpoint = crate::config::otlp_endpoint(&export.endpoint).map_err(anyhow::Error::msg)?;
    let traces = if endpoint.ends_with("/v1/traces") {
        endpoint
    } else {
        format!("{endpoint}/v1/traces")
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(Collector {
            runtime: export.runtime,
            failing: Arc::default(),
        })
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces)
        .with_timeout(EXPORT_TIMEOUT)
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("lienthong")
        .with_attributes([
            opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            opentelemetry::KeyValue::new("service.instance.id", export.node),
        ])
        .build();
    Ok(SdkTracerProvider::builder()
        .with_resource(resource)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .with_batch_exporter(exporter)
        .build())
}

/// Makes `span` a child of the caller's trace, if the request carries a
/// valid `traceparent` (with its `tracestate`).
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Middleware inside the request's span: the answer carries a
/// `traceparent` (and the `tracestate`) that names the request's span.
pub async fn answer_trace(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        let headers = response.headers_mut();
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
        if headers.get("tracestate").is_some_and(|v| v.is_empty()) {
            headers.remove("tracestate");
        }
    }
    response
}

/// The trace id of the current span, for a log line, if it has one.
pub fn trace_id() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let ids = span.span_context();
    ids.is_valid().then(|| ids.trace_id().to_string())
}

/// Sends the exporter's requests (HTTP/1.1, one connection per batch) on
/// the server's runtime: the batch exporter runs on a thread of its own,
/// outside any runtime. Says once when the collector cannot be reached,
/// and once when it can again.
#[derive(Debug)]
struct Collector {
    runtime: tokio::runtime::Handle,
    failing: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for Collector {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        // Made on the runtime: its timer exists only there.
        let sent = self
            .runtime
            .spawn(async move { tokio::time::timeout(EXPORT_TIMEOUT, post(request)).await });
        let result = match sent.await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(format!("no answer within {EXPORT_TIMEOUT:?}").into()),
            Err(error) => Err(error.into()),
        };
        let trouble = match &result {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("the collector answered {}", response.status())),
            Err(error) => Some(error.to_string()),
        };
        match trouble {
            Some(error) if !self.failing.swap(true, Ordering::Relaxed) => {
                tracing::warn!(%error, "spans cannot be sent to the collector; requests go on without them");
            }
            None if self.failing.swap(false, Ordering::Relaxed) => {
                tracing::info!("spans reach the collector again");
            }
            _ => {}
        }
        result
    }
}

/// One request to the collector, read whole.
async fn post(request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
    use axum::http::{HeaderValue, header};
    use http_body_util::{BodyExt, Full, Limited};
    let (mut parts, body) = request.into_parts();
    let authority = parts
        .uri
        .authority()
        .ok_or("the collector's URL has no host")?
        .clone();
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((authority.host(), port)).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    parts
        .headers
        .insert(header::HOST, HeaderValue::from_str(authority.as_str())?);
    parts.uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()?;
    let response = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await?;
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, 1 << 20).collect().await?.to_bytes();
    Ok(Response::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_under_no_color() {
        assert!(colour(true, None));
        assert!(!colour(false, None));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, Some(OsStr::new("1"))));
        // An empty NO_COLOR does not count, as the convention has it.
        assert!(colour(true, Some(OsStr::new(""))));
    }

    #[test]
    fn a_request_continues_the_callers_trace_and_the_answer_names_it() {
        let provider = provider(None).unwrap();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let mut headers = HeaderMap::new();
            headers.insert(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                    .parse()
                    .unwrap(),
            );
            headers.insert("tracestate", "hub=1".parse().unwrap());
            let span = tracing::info_span!("request");
            continue_trace(&span, &headers);
            let _entered = span.enter();
            assert_eq!(
                trace_id().as_deref(),
                Some("4bf92f3577b34da6a3ce929d0e0e4736")
            );
            let mut answer = HeaderMap::new();
            TraceContextPropagator::new()
                .inject_context(&span.context(), &mut HeaderInjector(&mut answer));
            let traceparent = answer["traceparent"].to_str().unwrap();
            assert!(
                traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
                "{traceparent}"
            );
            assert!(
                !traceparent.contains("00f067aa0ba902b7"),
                "a span of its own"
            );
            assert!(traceparent.ends_with("-01"), "the caller's sampling");
            assert_eq!(answer["tracestate"], "hub=1");
        });
        // A malformed one starts a trace of the hub's own.
        tracing::subscriber::with_default(
            tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test"))),
            || {
                let mut headers = HeaderMap::new();
                headers.insert("traceparent", "00-zz-yy-01".parse().unwrap());
                let span = tracing::info_span!("request");
                continue_trace(&span, &headers);
                let _entered = span.enter();
                let id = trace_id().expect("a trace of its own");
                assert_eq!(id.len(), 32);
            },
        );
    }
}

//! The server loop, hardened against slow and idle clients: a connection
//! must send its request line and headers within the header timeout (an
//! idle keep-alive connection is closed after as long), a request's whole
//! body within the body timeout, and at most `max_connections` sockets are
//! open at once (an upgraded WebSocket counts until it closes); beyond that,
//! new connections wait in the listen backlog, so that descriptors are
//! never exhausted. Ctrl-C or SIGTERM stops accepting, lets the requests in
//! flight finish and closes idle connections. Handlers see the peer's
//! address as `ConnectInfo<SocketAddr>`.
//!
//! hyper's HTTP/1 connection is used directly rather than hyper-util's
//! `auto` builder: the latter first sniffs for an HTTP/2 preface without
//! any timeout, so a connection that sends nothing would never meet the
//! header timeout (and the hub serves HTTP/1.1 only).

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use hyper::body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::Service;

/// Limits on connections and slow clients (see `Config::edge`).
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// Longest wait for a request's line and headers.
    pub header_timeout: Duration,
    /// Longest wait for a request's whole body.
    pub body_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl EdgeSettings {
    /// The server loop's limits on connections and slow clients, from the
    /// configuration.
    pub fn of(config: &crate::config::Config) -> EdgeSettings {
        EdgeSettings {
            header_timeout: Duration::from_millis(config.header_timeout_ms.max(1)),
            body_timeout: Duration::from_millis(config.body_timeout_ms.max(1)),
            max_connections: config.max_connections.max(1),
        }
    }
}

impl Default for EdgeSettings {
    fn default() -> Self {
        EdgeSettings {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 10_000,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits
/// for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: EdgeSettings,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let body_timeout = settings.body_timeout;
    let router = router.layer(tower::util::MapRequestLayer::new(
        move |request: Request| {
            request.map(|body| Body::new(DeadlineBody::new(body, body_timeout)))
        },
    ));
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    let sockets = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    // Each connection holds a receiver: `closed()` resolves when all ended.
    let (stop, stopped) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        // A free slot first: beyond the cap, connections stay in the backlog.
        let permit = tokio::select! {
            permit = sockets.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors or a reset before accept: let it pass.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = make_service
            .call(peer)
            .await
            .unwrap_or_else(|never| match never {});
        let connection = http
            .serve_connection(
                TokioIo::new(Counted {
                    stream,
                    _permit: permit,
                }),
                TowerToHyperService::new(service),
            )
            .with_upgrades();
        let mut stop = stopped.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended");
            }
            drop(stop);
        });
    }
    drop(listener);
    drop(stopped);
    let _ = stop.send(());
    stop.closed().await;
    Ok(())
}

/// A connection's socket, holding its slot under the cap until it is
/// closed (after an upgrade too).
struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The request body took longer than the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {} ms", .0.as_millis())]
pub struct BodyTimeout(Duration);

/// A request body that fails once its deadline passes: one deadline for
/// the whole body, so that a client trickling a byte now and then is cut
/// off as surely as one that stalls (tower-http's `RequestBodyTimeout`
/// only bounds the gap between chunks).
struct DeadlineBody {
    body: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl DeadlineBody {
    fn new(body: Body, timeout: Duration) -> DeadlineBody {
        DeadlineBody {
            body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimeout(this.timeout))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body that stalls fails at its deadline, saying why; one that
    /// arrives in time is read whole.
    #[tokio::test]
    async fn a_stalled_body_fails_at_its_deadline() {
        let stalled = Body::from_stream(futures::stream::pending::<Result<Bytes, io::Error>>());
        let body = Body::new(DeadlineBody::new(stalled, Duration::from_millis(50)));
        let error = axum::body::to_bytes(body, usize::MAX).await.unwrap_err();
        assert!(format!("{error:?}").contains("BodyTimeout"), "{error:?}");

        let body = Body::new(DeadlineBody::new(
            Body::from("grant_type=x"),
            Duration::from_millis(50),
        ));
        assert_eq!(
            axum::body::to_bytes(body, usize::MAX).await.unwrap(),
            "grant_type=x"
        );
    }
}

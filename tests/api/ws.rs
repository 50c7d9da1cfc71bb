//! A graphql-transport-ws client for the black-box tests: connects with a
//! token (and declared headers) in `connection_init`, sends operations
//! and reads what the hub answers, each wait bounded.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::{TestApp, eventually};

/// A graphql-transport-ws client.
pub struct Subscriber {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Subscriber {
    /// Opens the socket without `connection_init`.
    pub async fn open(app: &TestApp) -> anyhow::Result<Subscriber> {
        Self::open_at(&app.address).await
    }

    /// Opens a WebSocket to the hub at `address` (`http://host:port`).
    pub async fn open_at(address: &str) -> anyhow::Result<Subscriber> {
        let url = format!("{}/graphql/ws", address.replacen("http", "ws", 1));
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Subscriber { socket })
    }

    /// Connects with `token` in `connection_init` and waits for the ack.
    pub async fn connect(app: &TestApp, token: &str) -> anyhow::Result<Subscriber> {
        Self::connect_with(app, json!({ "Authorization": format!("Bearer {token}") })).await
    }

    /// Connects with this `connection_init` payload and waits for the ack.
    pub async fn connect_with(app: &TestApp, payload: Value) -> anyhow::Result<Subscriber> {
        let mut subscriber = Self::open(app).await?;
        subscriber
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        let ack = subscriber.next().await?;
        anyhow::ensure!(ack["type"] == "connection_ack", "no ack: {ack}");
        Ok(subscriber)
    }

    pub async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        self.send_text(&message.to_string()).await
    }

    /// Sends any text, well-formed or not.
    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.socket
            .send(Message::Text(text.to_owned().into()))
            .await?;
        Ok(())
    }

    /// The next message (a close frame as `{"type": "close", "code": …}`),
    /// within 10 s.
    pub async fn next(&mut self) -> anyhow::Result<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("nothing within 10 s"))?;
            match message {
                Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
                Some(Ok(Message::Close(frame))) => {
                    return Ok(json!({
                        "type": "close",
                        "code": frame.as_ref().map(|f| u16::from(f.code)),
                        "reason": frame.map(|f| f.reason.to_string()),
                    }));
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => {
                    return Ok(json!({ "type": "error", "message": error.to_string() }));
                }
                None => return Ok(json!({ "type": "close" })),
            }
        }
    }

    /// Closes the connection (a normal close).
    pub async fn close(&mut self) -> anyhow::Result<()> {
        self.socket.close(None).await?;
        Ok(())
    }

    /// Sends any operation as a `subscribe` message.
    pub async fn start(&mut self, id: &str, query: &str, variables: Value) -> anyhow::Result<()> {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables }
        }))
        .await
    }

    /// Runs a query or mutation over the socket: its one result (`next`
    /// payload, or the `error` message) and the `complete` that follows.
    pub async fn run(&mut self, id: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.start(id, query, variables).await?;
        let message = self.next().await?;
        match message["type"].as_str() {
            Some("next") => {
                let complete = self.next().await?;
                anyhow::ensure!(complete["type"] == "complete", "not complete: {complete}");
                Ok(message["payload"].clone())
            }
            Some("error") => Ok(json!({ "errors": message["payload"] })),
            _ => anyhow::bail!("unexpected answer: {message}"),
        }
    }

    /// Subscribes to a dataset's changes.
    pub async fn subscribe(
        &mut self,
        id: &str,
        dataset: &str,
        after: Option<&str>,
    ) -> anyhow::Result<()> {
        self.start(
            id,
            "subscription ($dataset: Dataset!, $after: String) { changes(dataset: $dataset, after: $after) { cursor entity key op provinceCode } }",
            json!({ "dataset": dataset, "after": after }),
        )
        .await
    }

    /// Subscribes as [`Subscriber::subscribe`] does, and returns once the
    /// subscription knows where it starts (after `after`, or after the
    /// newest change when there is none): every change committed from then
    /// on reaches it. Only for the first subscription on `node`, which
    /// reads the feed as soon as it has its starting point (later ones may
    /// be served from the node's tail without a read).
    pub async fn subscribe_first(
        &mut self,
        node: &TestApp,
        id: &str,
        dataset: &str,
        after: Option<&str>,
    ) -> anyhow::Result<()> {
        let reads = node.state().feed.reads();
        self.subscribe(id, dataset, after).await?;
        feed_read_since(node, reads).await
    }

    /// The next change delivered.
    pub async fn change(&mut self) -> anyhow::Result<Value> {
        let message = self.next().await?;
        anyhow::ensure!(message["type"] == "next", "not a change: {message}");
        Ok(message["payload"]["data"]["changes"].clone())
    }
}

/// Waits (at most 10 s) until `node` has read its change feed since it
/// had read it `reads` times: a subscription reads the feed only once it
/// knows where it starts.
pub async fn feed_read_since(node: &TestApp, reads: u64) -> anyhow::Result<()> {
    eventually(
        "a read of the change feed (is this the node's first subscription?)",
        Duration::from_secs(10),
        || async { Ok((node.state().feed.reads() > reads).then_some(())) },
    )
    .await
}

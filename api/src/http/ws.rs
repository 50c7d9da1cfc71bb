//! GraphQL over WebSocket (`GET /graphql/ws`, `graphql-transport-ws` and
//! the older `graphql-ws`): the token in `connection_init`, every
//! `subscribe` run through the session, the connection closed when its
//! access narrows. Subscriptions' own rules are the session's.

use super::{AppState, graphql_error};
use crate::session::Caller;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

/// `GET /graphql/ws`: `graphql-transport-ws` (and the older `graphql-ws`).
/// The token comes in `connection_init` (`{"Authorization": "Bearer …"}`,
/// with `X-Purpose` and `X-Case-Ref` if the caller declares them); every
/// `subscribe` (query, mutation or subscription) runs through the session.
/// The connection is closed (4401 or 4403) when the token expires or is
/// revoked, or the agency's access narrows; 4429 when the agency already
/// holds its most connections; and as `graphql-transport-ws` has it for a
/// client that breaks the protocol (`ws_protocol`: 4400, 4401, 4408,
/// 4409).
pub(super) async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    use std::str::FromStr;
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| async_graphql::http::WebSocketProtocols::from_str(p.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return graphql_error(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "ask for the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol)",
        );
    };
    // The connection lives in the span of the request that opened it.
    let span = tracing::Span::current();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            tracing::Instrument::instrument(serve_ws(state, protocol, socket), span)
        })
}

/// A WebSocket connection as the session sees it.
#[derive(Clone)]
struct Connection {
    caller: Caller,
    id: String,
}

/// Runs every `subscribe` of a connection through the session.
#[derive(Clone)]
struct WsExecutor(AppState);

impl async_graphql::Executor for WsExecutor {
    async fn execute(&self, _: async_graphql::Request) -> async_graphql::Response {
        crate::session::refusal(crate::error::ApiError::BadUserInput(
            "send operations with subscribe messages".into(),
        ))
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<async_graphql::Data>>,
    ) -> futures::stream::BoxStream<'static, async_graphql::Response> {
        use futures::StreamExt;
        let connection = session_data.as_deref().and_then(|data| {
            data.get(&std::any::TypeId::of::<Connection>())
                .and_then(|any| any.downcast_ref::<Connection>())
                .cloned()
        });
        match connection {
            Some(connection) => self.0.operate(connection.caller, request, connection.id),
            None => futures::stream::once(async {
                crate::session::refusal(crate::error::ApiError::Unauthenticated)
            })
            .boxed(),
        }
    }
}

async fn serve_ws(
    state: AppState,
    protocol: async_graphql::http::WebSocketProtocols,
    socket: axum::extract::ws::WebSocket,
) {
    use async_graphql::http::WsMessage;
    use axum::extract::ws::{CloseFrame, Message};
    use futures::{SinkExt, StreamExt, future};
    let (mut sink, stream) = socket.split();
    let (closing, mut close) = tokio::sync::mpsc::channel::<(u16, String)>(1);
    // graphql-transport-ws's own rules, in front of async-graphql (the
    // older protocol has none of these codes).
    let kept = protocol == async_graphql::http::WebSocketProtocols::GraphQLWS;
    let rules = Arc::new(std::sync::Mutex::new(super::ws_protocol::Rules::default()));
    let (input_rules, broken) = (rules.clone(), closing.clone());
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        })
        .take_while(move |message| {
            let verdict = if kept {
                input_rules
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .incoming(message)
            } else {
                Ok(())
            };
            if let Err(close) = &verdict {
                let _ = broken.try_send(close.clone());
            }
            future::ready(verdict.is_ok())
        });
    // The connection's place in its agency's cap, held until it ends.
    let slot = Arc::new(std::sync::Mutex::new(None));
    let init_state = state.clone();
    let init_slot = slot.clone();
    let outgoing = async_graphql::http::WebSocket::new(WsExecutor(state.clone()), input, protocol)
        .on_connection_init(move |payload| async move {
            let headers = init_headers(&payload);
            // A refusal closes with the protocol's 4403 (Forbidden) and
            // says why, rather than the protocol error 1002.
            let refuse = |reason: String| {
                let _ = closing.try_send((4403, reason.clone()));
                async_graphql::Error::new(reason)
            };
            let principal = match init_state.authenticate(&headers).await {
                Ok(principal) => principal,
                Err(error) => {
                    tracing::info!(reason = %error, "WebSocket connection refused");
                    let reason = match error {
                        crate::session::AuthError::Missing => "a bearer token is required",
                        crate::session::AuthError::Database(_) => {
                            "the hub cannot check your token right now"
                        }
                        _ => "the bearer token is invalid",
                    };
                    return Err(refuse(reason.into()));
                }
            };
            let id = uuid::Uuid::new_v4().to_string();
            let declared = crate::session::declared(&headers, &id).map_err(refuse)?;
            let max = init_state.limits.max_connections_per_agency;
            let Some(place) = init_state.connections.take(&principal.agency, max) else {
                let reason = format!(
                    "{} has {max} open connections on this node, the most allowed",
                    principal.agency
                );
                let _ = closing.try_send((4429, reason.clone()));
                return Err(async_graphql::Error::new(reason));
            };
            *init_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(place);
            tokio::spawn(watch_access(init_state.clone(), principal.clone(), closing));
            let mut data = async_graphql::Data::default();
            data.insert(Connection {
                caller: Caller {
                    principal,
                    declared,
                },
                id,
            });
            Ok(data)
        });
    futures::pin_mut!(outgoing);
    let mut stopping = state.stopping.clone();
    let init_by = tokio::time::Instant::now() + super::ws_protocol::INIT_TIMEOUT;
    loop {
        let waiting_for_init = kept
            && !rules
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .initialised();
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(init_by), if waiting_for_init => {
                let close = CloseFrame { code: 4408, reason: "Connection initialisation timeout".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
            Ok(()) = async { stopping.wait_for(|stopping| *stopping).await.map(|_| ()) } => {
                let close = CloseFrame { code: 1001, reason: "the hub is shutting down".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
            Some((code, reason)) = close.recv() => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if kept {
                        rules.lock().unwrap_or_else(|e| e.into_inner()).outgoing(&text);
                    }
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    // A reason of the hub's own (4429) wins over the protocol's.
                    let (code, reason) = close.try_recv().unwrap_or((code, reason));
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => {
                    // The input ended on a broken rule: say which.
                    if let Ok((code, reason)) = close.try_recv() {
                        let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    }
                    break;
                }
            },
        }
    }
    drop(slot);
}

/// The headers carried in a `connection_init` payload: `Authorization`
/// (or a bare `token`), `X-Purpose` and `X-Case-Ref`, any case.
fn init_headers(payload: &serde_json::Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(fields) = payload.as_object() else {
        return headers;
    };
    for (key, value) in fields {
        let Some(text) = value.as_str() else {
            continue;
        };
        let (name, text) = match key.to_ascii_lowercase().as_str() {
            "authorization" => (header::AUTHORIZATION, text.to_owned()),
            "token" => (header::AUTHORIZATION, format!("Bearer {text}")),
            "x-purpose" => (
                header::HeaderName::from_static("x-purpose"),
                text.to_owned(),
            ),
            "x-case-ref" => (
                header::HeaderName::from_static("x-case-ref"),
                text.to_owned(),
            ),
            _ => continue,
        };
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.insert(name, value);
        }
    }
    headers
}

/// Closes a WebSocket connection when its token expires or is revoked, or
/// its agency's access narrows (a scope, a province, a purpose
/// requirement, a suspension). Subscriptions also check before each
/// delivery, so nothing is delivered past a narrowing even before this
/// closes the connection.
async fn watch_access(
    state: AppState,
    principal: crate::auth::Principal,
    closing: tokio::sync::mpsc::Sender<(u16, String)>,
) {
    loop {
        tokio::time::sleep(crate::session::RECHECK).await;
        if closing.is_closed() {
            return;
        }
        if let Err(reason) = state.cache.still_allowed(&principal).await {
            let _ = closing.send(reason).await;
            return;
        }
    }
}

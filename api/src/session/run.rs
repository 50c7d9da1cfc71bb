//! Running an operation: admission (rate, size, parse, shape, text), the
//! typed context, execution with a deadline on a task of its own, and the
//! access log written before the answer leaves. Authentication is the
//! edge's ([`AppState::authenticate`]).

use super::finish::Who;
use super::*;
use tracing::Instrument;

/// A query or mutation that passed admission, ready to execute.
struct Admitted {
    caller: Caller,
    request: async_graphql::Request,
    shape: Shape,
    transport: Transport,
}

impl AppState {
    /// Runs one query or mutation (a subscription is refused over HTTP) and
    /// records what it disclosed before answering.
    pub async fn run(
        &self,
        caller: Caller,
        request: async_graphql::Request,
        transport: Transport,
    ) -> Served {
        let mut caller = caller;
        let (request, shape) = match self.admit(&mut caller, request) {
            Ok(admitted) => admitted,
            Err(served) => return *served,
        };
        if shape.kind == Some(OperationType::Subscription) {
            return Served::refused(
                ApiError::BadUserInput(
                    "subscriptions are served over graphql-transport-ws at /graphql/ws".into(),
                ),
                Outcome::BadRequest,
            );
        }
        if transport == Transport::HttpGet && shape.kind == Some(OperationType::Mutation) {
            return Served::refused(
                ApiError::BadUserInput("a mutation is sent with POST, never GET".into()),
                Outcome::MethodNotAllowed,
            );
        }
        self.spawn(Admitted {
            caller,
            request,
            shape,
            transport,
        })
        .await
    }

    /// Executes an admitted query or mutation on a task of its own: if the
    /// client goes away, the operation still finishes and its accesses are
    /// still recorded.
    async fn spawn(&self, operation: Admitted) -> Served {
        let state = self.clone();
        // In the request's span: what execution logs names the request.
        let task = tokio::spawn(async move { state.execute(operation).await }.in_current_span());
        match task.await {
            Ok(served) => served,
            Err(error) => Served::refused(ApiError::internal(error), Outcome::Error),
        }
    }

    /// Runs one operation sent over a WebSocket: a query or mutation as
    /// [`AppState::run`] does, a subscription as a stream of events, each
    /// logged before it leaves.
    pub fn operate(
        &self,
        caller: Caller,
        request: async_graphql::Request,
        connection_id: String,
    ) -> BoxStream<'static, async_graphql::Response> {
        let started = Instant::now();
        let mut caller = caller;
        let who = Who::of(&caller);
        let (request, shape) = match self.admit(&mut caller, request) {
            Ok(admitted) => admitted,
            Err(served) => {
                self.finished_ws(&who, &served, started);
                return futures::stream::once(async { served.response }).boxed();
            }
        };
        if shape.kind != Some(OperationType::Subscription) {
            let state = self.clone();
            // Admitted once: the same execution as over HTTP.
            return futures::stream::once(async move {
                let operation = Admitted {
                    caller,
                    request,
                    shape,
                    transport: Transport::WebSocket,
                };
                let served = state.spawn(operation).await;
                state.finished_ws(&who, &served, started);
                served.response
            })
            .boxed();
        }
        let agency = caller.principal.agency.clone();
        let Some(slot) = self
            .subscriptions
            .take(&agency, self.limits.max_subscriptions_per_agency)
        else {
            let refused = ApiError::RateLimited(format!(
                "{agency} has {} live subscriptions on this node, the most allowed: complete one first",
                self.limits.max_subscriptions_per_agency
            ));
            let served = Served::refused(refused, Outcome::RateLimited);
            self.finished_ws(&who, &served, started);
            return futures::stream::once(async { served.response }).boxed();
        };
        let mut watch = self.watch(who, label(&shape, true), started);
        let services = self.services();
        let loader = DataLoader::new(Loaders::new(services.db.clone()), tokio::spawn);
        let operation = Operation {
            principal: caller.principal,
            trail: Trail::detached(caller.declared),
            loader,
            services,
            connection_id: Some(connection_id),
        };
        self.schema
            .execute_stream(request.data(operation))
            .map(move |mut response| {
                // The slot is held as long as the stream lives.
                let _held = &slot;
                crate::error::finish(&mut response);
                watch.saw(&response);
                response
            })
            .boxed()
    }

    /// The checks before execution: rate, size, parse, shape.
    fn admit(
        &self,
        caller: &mut Caller,
        mut request: async_graphql::Request,
    ) -> Result<(async_graphql::Request, Shape), Box<Served>> {
        if let Err(wait) = self.rate.check(&caller.principal.agency) {
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            let mut served = Served::refused(
                ApiError::RateLimited(format!(
                    "too many requests from {}; retry in {seconds} s",
                    caller.principal.agency
                )),
                Outcome::RateLimited,
            );
            served.retry_after = Some(seconds);
            return Err(Box::new(served));
        }
        if let Err(message) = declared_in_extensions(&mut caller.declared, &request.extensions) {
            return Err(Box::new(Served::refused(
                ApiError::BadUserInput(message),
                Outcome::BadRequest,
            )));
        }
        if request.query.trim().is_empty() && request.extensions.contains_key("persistedQuery") {
            // Automatic persisted queries: the hub keeps no documents by
            // hash, so the client is told to send the document itself.
            return Err(Box::new(Served::refused(
                ApiError::PersistedQueryNotFound,
                Outcome::BadRequest,
            )));
        }
        let limits = &self.limits;
        if request.query.len() > limits.max_document_bytes {
            return Err(Box::new(Served::refused(
                ApiError::BadUserInput(format!(
                    "the document has {} bytes; at most {} are accepted",
                    request.query.len(),
                    limits.max_document_bytes
                )),
                Outcome::TooLarge,
            )));
        }
        let operation_name = request.operation_name.clone();
        let variables = std::mem::take(&mut request.variables);
        let document = match request.parsed_query() {
            Ok(document) => document,
            Err(error) => {
                let mut response = async_graphql::Response::from_errors(vec![error]);
                crate::error::finish(&mut response);
                return Err(Box::new(Served {
                    response,
                    outcome: Outcome::BadRequest,
                    retry_after: None,
                    label: "invalid".into(),
                }));
            }
        };
        let shape = crate::limits::shape(
            document,
            operation_name.as_deref(),
            limits.max_expanded_fields,
        )
        .and_then(|shape| crate::limits::check_shape(&shape, limits).map(|()| shape))
        .and_then(|shape| crate::limits::check_strings(document, &variables).map(|()| shape))
        .map_err(|message| {
            Box::new(Served::refused(
                ApiError::BadUserInput(message),
                Outcome::BadRequest,
            ))
        })?;
        request.variables = variables;
        Ok((request, shape))
    }

    /// Executes an admitted query or mutation and commits its accesses.
    async fn execute(&self, operation: Admitted) -> Served {
        let Admitted {
            caller: Caller {
                principal,
                mut declared,
            },
            request,
            shape,
            transport,
        } = operation;
        if transport == Transport::WebSocket {
            // An idempotency key is a header of one HTTP request.
            declared.idempotency_key = None;
        }
        if declared.idempotency_key.is_some() {
            use sha2::{Digest, Sha256};
            let mut hasher = Sha256::new();
            hasher.update(request.query.as_bytes());
            hasher.update(b"\n");
            hasher.update(serde_json::to_vec(&request.variables).unwrap_or_default());
            declared.request_hash = format!("{:x}", hasher.finalize());
        }
        let trail = Trail::new(declared);
        if let Some(name) = &shape.name {
            trail.set_operation(name);
        }
        let timeout = self.limits.request_timeout;
        let deadline = Instant::now() + timeout;
        let services = self.services();
        let execution = graphql::execute(
            &self.schema,
            request,
            principal.clone(),
            &services,
            trail.clone(),
            deadline,
        );
        let response = tokio::time::timeout(timeout, execution)
            .await
            .ok()
            .flatten();
        // Recorded whatever happened: a write that committed before a
        // timeout is in the log all the same.
        let (entries, counts) = trail.entries(&principal, chrono::Utc::now());
        let recorded = self.audit.record(entries, counts).await;
        let Some(response) = response else {
            return Served {
                response: refusal(ApiError::BadUserInput(format!(
                    "the query ran longer than {} ms and was cancelled: ask for smaller pages or fewer nested lists",
                    timeout.as_millis()
                ))),
                outcome: Outcome::Timeout,
                retry_after: None,
                label: label(&shape, true),
            };
        };
        if let Err(error) = recorded {
            tracing::error!(%error, "response withheld: its accesses could not be recorded");
            return Served {
                response: refusal(ApiError::internal(anyhow::anyhow!(
                    "the access could not be recorded, so no data is sent; try again"
                ))),
                outcome: Outcome::AuditFailed,
                retry_after: None,
                label: label(&shape, true),
            };
        }
        let validated = response.errors.iter().all(|e| !e.path.is_empty())
            || response.data != async_graphql::Value::Null;
        let outcome = match (
            response.errors.is_empty(),
            response.data == async_graphql::Value::Null,
        ) {
            (true, _) => Outcome::Ok,
            (false, false) => Outcome::Partial,
            (false, true) => Outcome::Error,
        };
        Served {
            label: label(&shape, validated),
            response,
            outcome,
            retry_after: None,
        }
    }
}

/// The operation's name in the metrics: a root field of the schema once the
/// document validated, so callers cannot fill the label table.
pub(super) fn label(shape: &Shape, validated: bool) -> String {
    let mut names = shape.root_fields.iter();
    match (validated, names.next()) {
        (false, _) => "invalid".into(),
        (true, None) => "-".into(),
        (true, Some(first)) if names.all(|n| n == first) => first.clone(),
        (true, Some(_)) => "multiple".into(),
    }
}

//! Running an operation: admission (rate, size, parse, shape, text), the
//! typed context, execution with a deadline on a task of its own, and the
//! access log written before the answer leaves. Authentication is the
//! edge's ([`AppState::authenticate`]).

use super::finish::Who;
use super::*;
use tracing::Instrument;

/// What admission gives: the request with its document parsed, its shape
/// and where its arguments hold variables; or the answer that refuses it.
type Admission = Result<(async_graphql::Request, Shape, Arc<[Pos]>), Box<Served>>;

/// A query or mutation that passed admission, ready to execute.
struct Admitted {
    caller: Caller,
    request: async_graphql::Request,
    shape: Shape,
    /// Where the document's arguments hold variables, to tell a variable
    /// that does not fit from a document that does not.
    variable_arguments: Arc<[Pos]>,
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
        let (request, shape, variable_arguments) = match self.admit(&mut caller, request) {
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
            variable_arguments,
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
    ///
    /// The connection's principal is checked again first, so that an
    /// operation sent right after a narrowing (a revoked grant or token, a
    /// requirement to run only trusted documents) is refused, not only the
    /// connection closed a moment later.
    pub fn operate(
        &self,
        caller: Caller,
        request: async_graphql::Request,
        connection_id: String,
    ) -> BoxStream<'static, async_graphql::Response> {
        // Admitted now, in the order the messages came (a subscription
        // takes its place under the cap here); nothing runs before the
        // check.
        let started = Instant::now();
        let who = Who::of(&caller);
        let principal = caller.principal.clone();
        let admitted = self.operate_now(caller, request, connection_id, started);
        let state = self.clone();
        futures::stream::once(async move {
            match state.cache.still_allowed(&principal).await {
                Ok(()) => admitted,
                Err((_, reason)) => {
                    drop(admitted);
                    let served = Served::refused(ApiError::NotAllowed(reason), Outcome::Forbidden);
                    state.finished_ws(&who, &served, started);
                    futures::stream::once(async { served.response }).boxed()
                }
            }
        })
        .flatten()
        .boxed()
    }

    fn operate_now(
        &self,
        caller: Caller,
        request: async_graphql::Request,
        connection_id: String,
        started: Instant,
    ) -> BoxStream<'static, async_graphql::Response> {
        let mut caller = caller;
        let who = Who::of(&caller);
        let (request, shape, variable_arguments) = match self.admit(&mut caller, request) {
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
                    variable_arguments,
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
                crate::error::classify(&mut response, &variable_arguments);
                watch.saw(&response);
                response
            })
            .boxed()
    }

    /// The checks before execution: rate, size, parse, shape.
    fn admit(&self, caller: &mut Caller, mut request: async_graphql::Request) -> Admission {
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
        let parsed = self.document(&caller.principal, &mut request)?;
        let limits = &self.limits;
        let operation_name = request.operation_name.clone();
        let variables = std::mem::take(&mut request.variables);
        let document = &parsed.document;
        let shape = crate::limits::shape(
            document,
            operation_name.as_deref(),
            limits.max_expanded_fields,
        )
        .and_then(|shape| crate::limits::check_shape(&shape, limits).map(|()| shape))
        .and_then(|shape| crate::limits::check_strings(document, &variables).map(|()| shape))
        .and_then(|shape| {
            missing_variable(document, operation_name.as_deref(), &variables).map(|()| shape)
        })
        .map_err(|message| {
            Box::new(Served::refused(
                ApiError::BadUserInput(message),
                Outcome::BadRequest,
            ))
        })?;
        request.variables = variables;
        request.set_parsed_query(parsed.document.clone());
        Ok((request, shape, parsed.variable_arguments.clone()))
    }

    /// The request's document, parsed: sent in full, or named by its hash
    /// (`extensions.persistedQuery`, Apollo's protocol) and found among
    /// the agency's trusted documents or those this node has seen. An
    /// agency held to trusted documents runs nothing else.
    fn document(
        &self,
        principal: &Principal,
        request: &mut async_graphql::Request,
    ) -> Result<Arc<super::Parsed>, Box<Served>> {
        use crate::access::trusted::document_id;
        let refuse = |error: ApiError, outcome: Outcome| Box::new(Served::refused(error, outcome));
        let hash = persisted_hash(&request.extensions)
            .map_err(|message| refuse(ApiError::BadUserInput(message), Outcome::BadRequest))?;
        let limits = &self.limits;
        if request.query.len() > limits.max_document_bytes {
            return Err(refuse(
                ApiError::BadUserInput(format!(
                    "the document has {} bytes; at most {} are accepted",
                    request.query.len(),
                    limits.max_document_bytes
                )),
                Outcome::TooLarge,
            ));
        }
        let trusted = &principal.trusted;
        let (id, text) = match hash {
            Some(hash) if request.query.trim().is_empty() => {
                if let Some(text) = trusted.get(&hash) {
                    (hash, text.clone())
                } else if let Some(parsed) = self.documents.get(&hash) {
                    (hash, parsed.text.clone())
                } else if trusted.required() {
                    return Err(refuse(
                        untrusted(&principal.agency, &hash),
                        Outcome::Forbidden,
                    ));
                } else {
                    return Err(refuse(
                        ApiError::PersistedQueryNotFound,
                        Outcome::BadRequest,
                    ));
                }
            }
            Some(hash) => {
                let id = document_id(&request.query);
                if id != hash {
                    return Err(refuse(
                        ApiError::BadUserInput(
                            "provided sha does not match query: extensions.persistedQuery.sha256Hash must be the SHA-256 of the query, in hex".into(),
                        ),
                        Outcome::BadRequest,
                    ));
                }
                (id, Arc::from(request.query.as_str()))
            }
            None if request.query.trim().is_empty() => {
                return Err(refuse(
                    ApiError::BadUserInput(
                        "the request has no document: send it as query (or a persisted document's hash in extensions.persistedQuery)".into(),
                    ),
                    Outcome::BadRequest,
                ));
            }
            None => (
                document_id(&request.query),
                Arc::from(request.query.as_str()),
            ),
        };
        if trusted.required() && trusted.get(&id).is_none() {
            return Err(refuse(
                untrusted(&principal.agency, &id),
                Outcome::Forbidden,
            ));
        }
        let parsed = self.documents.parse(&id, &text).map_err(|error| {
            Box::new(Served {
                response: async_graphql::Response::from_errors(vec![error]),
                outcome: Outcome::BadRequest,
                retry_after: None,
                label: "invalid".into(),
            })
        })?;
        if request.query.trim().is_empty() {
            request.query = text.to_string();
        }
        Ok(parsed)
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
            variable_arguments,
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
            .flatten()
            .map(|mut response| {
                crate::error::classify(&mut response, &variable_arguments);
                response
            });
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

/// The hash of an Apollo persisted query
/// (`extensions.persistedQuery: { version: 1, sha256Hash }`), if the
/// request names one.
fn persisted_hash(
    extensions: &HashMap<String, async_graphql::Value>,
) -> Result<Option<String>, String> {
    use async_graphql::Value;
    let Some(persisted) = extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let malformed = || {
        "extensions.persistedQuery must be { \"version\": 1, \"sha256Hash\": \"<the SHA-256 of the document, 64 hex digits>\" }".to_owned()
    };
    let Value::Object(fields) = persisted else {
        return Err(malformed());
    };
    let version_one =
        matches!(fields.get("version"), Some(Value::Number(n)) if n.as_u64() == Some(1));
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) if version_one => {
            let hash = hash.to_ascii_lowercase();
            if crate::access::trusted::is_document_id(&hash) {
                Ok(Some(hash))
            } else {
                Err(malformed())
            }
        }
        _ => Err(malformed()),
    }
}

/// A required variable (non-null, without a default) of the operation to
/// run that the request does not give, or gives as `null`: a request
/// error, as GraphQL coerces variables before it executes anything.
fn missing_variable(
    document: &async_graphql::parser::types::ExecutableDocument,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
) -> Result<(), String> {
    let operation = document
        .operations
        .iter()
        .find(|(name, _)| operation_name.is_none() || name.map(|n| n.as_str()) == operation_name);
    let Some((_, operation)) = operation else {
        return Ok(());
    };
    for definition in &operation.node.variable_definitions {
        let definition = &definition.node;
        let given = variables
            .get(&definition.name.node)
            .is_some_and(|value| *value != async_graphql::Value::Null);
        if !definition.var_type.node.nullable && definition.default_value.is_none() && !given {
            return Err(format!(
                "the variable ${} ({}) is required: give it in variables",
                definition.name.node, definition.var_type.node
            ));
        }
    }
    Ok(())
}

/// The refusal of a document that is not among the agency's trusted ones.
fn untrusted(agency: &str, id: &str) -> ApiError {
    ApiError::NotAllowed(format!(
        "{agency} may run only the documents registered for it (trusted documents), and {id} is not one of them: run a registered document by its id (extensions.persistedQuery.sha256Hash), or ask the hub operator or the data's owner to register this one"
    ))
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

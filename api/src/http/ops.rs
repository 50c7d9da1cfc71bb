//! Operations routes: liveness (`/healthz`), readiness (`/readyz`) and
//! the Prometheus metrics (`/metrics`, for `hub:admin`). The counters
//! themselves are `crate::metrics`.

use super::{AppState, AuthError, Authenticated, graphql_error};
use crate::db::Db;
use crate::metrics::PoolFigures;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Readiness: the database answers, the signing key signs, and the audit
/// writer takes work. 503 with the failing checks otherwise.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.db.conn.ping().await.is_ok();
    let signing_key = state.keys.self_check();
    let audit_writer = state.audit.ping(std::time::Duration::from_secs(2)).await;
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let ready = database && signing_key && audit_writer;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "node": state.audit.node(),
        "checks": {
            "database": word(database),
            "signingKey": word(signing_key),
            "auditWriter": word(audit_writer),
        }
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Prometheus text exposition of the node's counters, for the hub
/// operator (`hub:admin`): they name agencies and their traffic. A scraper
/// gets its token from `/oauth/token` (Prometheus' `oauth2` settings).
pub(super) async fn metrics(
    State(state): State<AppState>,
    caller: Result<Authenticated, AuthError>,
) -> Response {
    match caller {
        Ok(Authenticated(principal)) if principal.has(crate::auth::Scope::HubAdmin) => {}
        Ok(_) => {
            return graphql_error(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "the metrics need the scope hub:admin",
            );
        }
        Err(error) => return error.into_response(),
    }
    let pool = pool_figures(&state.db);
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.render(&pool),
    )
        .into_response()
}

fn pool_figures(db: &Db) -> PoolFigures {
    let (size, idle, max) = match &db.conn {
        conn if conn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite => {
            let pool = conn.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
        conn => {
            let pool = conn.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
    };
    PoolFigures {
        size,
        idle,
        max,
        statements: db.statements(),
    }
}

pub(super) async fn healthz() -> &'static str {
    "ok"
}

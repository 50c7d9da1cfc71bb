//! The baseline of `bench/run.sh`: the hub's five benchmark queries
//! answered by the fewest plain SQL statements (JOINs), over HTTP, with no
//! GraphQL, no authentication, no jurisdiction check and no access log.
//!
//! ```text
//! BASELINE_DATABASE_URL=sqlite:///tmp/hub.db BASELINE_LISTEN=127.0.0.1:8081 lienthong-baseline
//! GET /a?id=PERSONAL_ID   citizen with residence commune and province     1 statement
//! GET /b?code=TAX_CODE    enterprise, legal representative, members with
//!                         their names, land rights it holds               3 statements
//! GET /c?province=68      100 enterprises of a province with legal
//!                         representative and head-office commune          1 statement
//! GET /d?id=PERSONAL_ID   is the citizen alive                            1 statement
//! GET /e?province=68      100 parcels of a province with their rights and
//!                         each right's holder                             1 statement
//! GET /readyz
//! ```
//!
//! `lienthong-baseline sql` prints the statements (for `bench/explain.sh`).
//!
//! The JSON has the shape of the hub's GraphQL responses for the same
//! selections. The pool has the hub's size (8 connections on SQLite, 32 on
//! PostgreSQL) and SQLite the hub's WAL mode and page cache.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

type AppState = Arc<Db>;

const SQL_A: &str = "SELECT c.personal_id, c.full_name, m.code, m.name, p.code, p.name \
     FROM citizen c \
     JOIN commune m ON m.code = c.residence_commune \
     JOIN province p ON p.code = m.province_code \
     WHERE c.personal_id = $1";

const SQL_B_ENTERPRISE: &str = "SELECT e.code, e.name, c.personal_id, c.full_name \
     FROM enterprise e \
     LEFT JOIN citizen c ON c.personal_id = e.legal_rep_id \
     WHERE e.code = $1";

const SQL_B_MEMBERS: &str = "SELECT m.share_bp, m.member_kind, m.member_id, c.full_name, e.name \
     FROM enterprise_member m \
     LEFT JOIN citizen c ON m.member_kind = 'CITIZEN' AND c.personal_id = m.member_id \
     LEFT JOIN enterprise e ON m.member_kind = 'ENTERPRISE' AND e.code = m.member_id \
     WHERE m.enterprise_code = $1 \
     ORDER BY m.share_bp DESC, m.member_id";

const SQL_B_RIGHTS: &str = "SELECT certificate_number, share_bp, status \
     FROM land_right \
     WHERE holder_enterprise_id = $1 \
     ORDER BY certificate_number";

const SQL_C: &str = "SELECT e.code, e.name, c.personal_id, c.full_name, m.code, m.name, \
            e.head_office_line \
     FROM enterprise e \
     LEFT JOIN citizen c ON c.personal_id = e.legal_rep_id \
     JOIN commune m ON m.code = e.head_office_commune \
     WHERE e.head_office_province = $1 \
     ORDER BY e.code \
     LIMIT 101";

const SQL_D: &str = "SELECT status FROM citizen WHERE personal_id = $1";

const SQL_E: &str = "WITH p AS ( \
         SELECT id, area_m2, land_use FROM land_parcel \
         WHERE province_code = $1 ORDER BY id LIMIT 101) \
     SELECT p.id, p.area_m2, p.land_use, r.certificate_number, r.share_bp, r.status, \
            CASE WHEN r.holder_citizen_id IS NOT NULL THEN 'CITIZEN' \
                 WHEN r.holder_enterprise_id IS NOT NULL THEN 'ENTERPRISE' END, \
            COALESCE(r.holder_citizen_id, r.holder_enterprise_id), c.full_name, e.name \
     FROM p \
     LEFT JOIN land_right r ON r.parcel_id = p.id \
     LEFT JOIN citizen c ON c.personal_id = r.holder_citizen_id \
     LEFT JOIN enterprise e ON e.code = r.holder_enterprise_id \
     ORDER BY p.id, r.certificate_number";

/// Runs the same code on either pool: `$body` sees `$pool` as the concrete
/// pool type, so the native driver (not `sqlx::Any`) does the work.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match &*$db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

struct Failure(sqlx::Error);

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.0.to_string()).into_response()
    }
}

type Reply<T> = Result<Json<Data<T>>, Failure>;

#[derive(Serialize)]
struct Data<T> {
    data: T,
}

fn reply<T>(data: T) -> Reply<T> {
    Ok(Json(Data { data }))
}

#[derive(Deserialize)]
struct IdParam {
    id: String,
}

#[derive(Deserialize)]
struct CodeParam {
    code: String,
}

#[derive(Deserialize)]
struct ProvinceParam {
    province: String,
}

// (a) citizen lookup -------------------------------------------------------

#[derive(Serialize)]
struct AOut {
    citizen: Option<ACitizen>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ACitizen {
    personal_id: String,
    full_name: String,
    residence_commune: ACommune,
}

#[derive(Serialize)]
struct ACommune {
    code: String,
    name: String,
    province: Named,
}

#[derive(Serialize)]
struct Named {
    code: String,
    name: String,
}

type ARow = (String, String, String, String, String, String);

async fn query_a(State(db): State<AppState>, Query(p): Query<IdParam>) -> Reply<AOut> {
    let row: Option<ARow> = with_pool!(db, pool => {
        sqlx::query_as(SQL_A).bind(&p.id).fetch_optional(pool).await?
    });
    reply(AOut {
        citizen: row.map(|(id, name, mc, mn, pc, pn)| ACitizen {
            personal_id: id,
            full_name: name,
            residence_commune: ACommune {
                code: mc,
                name: mn,
                province: Named { code: pc, name: pn },
            },
        }),
    })
}

// (b) enterprise lookup ----------------------------------------------------

#[derive(Serialize)]
struct BOut {
    enterprise: Option<BEnterprise>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BEnterprise {
    code: String,
    name: String,
    legal_representative: Option<Person>,
    members: Vec<BMember>,
    land_rights: Vec<BRight>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Person {
    personal_id: String,
    full_name: String,
}

#[derive(Serialize)]
struct BMember {
    share: f64,
    member: Option<Holder>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Holder {
    Citizen {
        #[serde(rename = "personalId")]
        personal_id: String,
        #[serde(rename = "fullName")]
        full_name: String,
    },
    Enterprise {
        code: String,
        name: String,
    },
}

fn holder(kind: &str, id: String, citizen: Option<String>, enterprise: Option<String>) -> Option<Holder> {
    match kind {
        "CITIZEN" => citizen.map(|full_name| Holder::Citizen {
            personal_id: id,
            full_name,
        }),
        _ => enterprise.map(|name| Holder::Enterprise { code: id, name }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BRight {
    certificate_number: String,
    share: f64,
    status: String,
}

type BEntRow = (String, String, Option<String>, Option<String>);
type BMemberRow = (i32, String, String, Option<String>, Option<String>);
type BRightRow = (String, i32, String);

async fn query_b(State(db): State<AppState>, Query(p): Query<CodeParam>) -> Reply<BOut> {
    let (ent, members, rights): (Option<BEntRow>, Vec<BMemberRow>, Vec<BRightRow>) =
        with_pool!(db, pool => {
            let mut conn = pool.acquire().await?;
            let ent: Option<BEntRow> = sqlx::query_as(SQL_B_ENTERPRISE)
                .bind(&p.code)
                .fetch_optional(&mut *conn)
                .await?;
            if ent.is_some() {
                let members = sqlx::query_as(SQL_B_MEMBERS)
                    .bind(&p.code)
                    .fetch_all(&mut *conn)
                    .await?;
                let rights = sqlx::query_as(SQL_B_RIGHTS)
                    .bind(&p.code)
                    .fetch_all(&mut *conn)
                    .await?;
                (ent, members, rights)
            } else {
                (None, vec![], vec![])
            }
        });
    reply(BOut {
        enterprise: ent.map(|(code, name, rep_id, rep_name)| BEnterprise {
            code,
            name,
            legal_representative: rep_id.zip(rep_name).map(|(personal_id, full_name)| Person {
                personal_id,
                full_name,
            }),
            members: members
                .into_iter()
                .map(|(share_bp, kind, id, cname, ename)| BMember {
                    share: f64::from(share_bp) / 10_000.0,
                    member: holder(&kind, id, cname, ename),
                })
                .collect(),
            land_rights: rights
                .into_iter()
                .map(|(certificate_number, share_bp, status)| BRight {
                    certificate_number,
                    share: f64::from(share_bp) / 10_000.0,
                    status,
                })
                .collect(),
        }),
    })
}

// (c) enterprise listing ---------------------------------------------------

#[derive(Serialize)]
struct COut {
    enterprises: Conn<CEnterprise>,
}

/// A page of a listing: 101 rows are fetched, as the hub does to learn
/// whether a next page exists; the benchmark selects no `pageInfo`.
#[derive(Serialize)]
struct Conn<N> {
    edges: Vec<Edge<N>>,
}

#[derive(Serialize)]
struct Edge<N> {
    node: N,
}

fn conn<N>(mut nodes: Vec<N>) -> Conn<N> {
    nodes.truncate(100);
    Conn {
        edges: nodes.into_iter().map(|node| Edge { node }).collect(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CEnterprise {
    code: String,
    name: String,
    legal_representative: Option<Person>,
    head_office_commune: Named,
    head_office_address: String,
}

type CRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

async fn query_c(State(db): State<AppState>, Query(p): Query<ProvinceParam>) -> Reply<COut> {
    let rows: Vec<CRow> = with_pool!(db, pool => {
        sqlx::query_as(SQL_C).bind(&p.province).fetch_all(pool).await?
    });
    reply(COut {
        enterprises: conn(
            rows.into_iter()
                .map(|(code, name, rep_id, rep_name, mc, mn, line)| CEnterprise {
                    code,
                    name,
                    legal_representative: rep_id
                        .zip(rep_name)
                        .map(|(personal_id, full_name)| Person {
                            personal_id,
                            full_name,
                        }),
                    head_office_commune: Named { code: mc, name: mn },
                    head_office_address: line,
                })
                .collect(),
        ),
    })
}

// (d) verification ---------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DOut {
    verify_citizen: Matches,
}

#[derive(Serialize)]
struct Matches {
    matches: bool,
}

async fn query_d(State(db): State<AppState>, Query(p): Query<IdParam>) -> Reply<DOut> {
    let status: Option<(String,)> = with_pool!(db, pool => {
        sqlx::query_as(SQL_D).bind(&p.id).fetch_optional(pool).await?
    });
    reply(DOut {
        verify_citizen: Matches {
            matches: status.is_some_and(|(s,)| s == "ALIVE"),
        },
    })
}

// (e) parcel listing -------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EOut {
    land_parcels: Conn<EParcel>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EParcel {
    id: String,
    area_m2: f64,
    land_use: String,
    rights: Vec<ERight>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ERight {
    certificate_number: String,
    share: f64,
    status: String,
    holder_kind: String,
    holder_id: String,
    holder: Option<Holder>,
}

type ERow = (
    String,
    f64,
    String,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn query_e(State(db): State<AppState>, Query(p): Query<ProvinceParam>) -> Reply<EOut> {
    let rows: Vec<ERow> = with_pool!(db, pool => {
        sqlx::query_as(SQL_E).bind(&p.province).fetch_all(pool).await?
    });
    let mut parcels: Vec<EParcel> = Vec::with_capacity(101);
    for (id, area, land_use, cert, share_bp, status, kind, holder_id, cname, ename) in rows {
        if parcels.last().is_none_or(|p| p.id != id) {
            parcels.push(EParcel {
                id,
                area_m2: area,
                land_use,
                rights: vec![],
            });
        }
        if let (Some(certificate_number), Some(share_bp), Some(status), Some(kind), Some(hid)) =
            (cert, share_bp, status, kind, holder_id)
        {
            let holder = holder(&kind, hid.clone(), cname, ename);
            parcels.last_mut().expect("pushed").rights.push(ERight {
                certificate_number,
                share: f64::from(share_bp) / 10_000.0,
                status,
                holder_kind: kind,
                holder_id: hid,
                holder,
            });
        }
    }
    reply(EOut {
        land_parcels: conn(parcels),
    })
}

async fn readyz() -> &'static str {
    "ok"
}

/// Every statement, by name, for `bench/explain.sh`.
const STATEMENTS: [(&str, &str); 7] = [
    ("a", SQL_A),
    ("b_enterprise", SQL_B_ENTERPRISE),
    ("b_members", SQL_B_MEMBERS),
    ("b_rights", SQL_B_RIGHTS),
    ("c", SQL_C),
    ("d", SQL_D),
    ("e", SQL_E),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("sql") {
        // One statement a line: name, tab, SQL.
        for (name, sql) in STATEMENTS {
            println!("{name}\t{}", sql.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        return Ok(());
    }
    let url = std::env::var("BASELINE_DATABASE_URL")?;
    let listen = std::env::var("BASELINE_LISTEN").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(&url)?
                .journal_mode(SqliteJournalMode::Wal)
                .pragma("cache_size", "-65536")
                .read_only(false);
            Db::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    .connect_with(options)
                    .await?,
            )
        } else {
            Db::Postgres(
                PgPoolOptions::new()
                    .max_connections(32)
                    .min_connections(1)
                    .connect(&url)
                    .await?,
            )
        };
        let app = Router::new()
            .route("/a", get(query_a))
            .route("/b", get(query_b))
            .route("/c", get(query_c))
            .route("/d", get(query_d))
            .route("/e", get(query_e))
            .route("/readyz", get(readyz))
            .with_state(Arc::new(db));
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

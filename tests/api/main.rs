//! Black-box tests of Lienthong: a real server on a random port, real HTTP,
//! real tokens, on SQLite by default and on PostgreSQL when
//! `LIENTHONG_TEST_DATABASE_URL` is set. One test binary, many modules, so
//! that a fresh clone builds few test executables.

mod access;
mod audit;
mod audited;
mod auth;
mod authority;
mod config;
mod database;
mod documents;
mod edge;
mod graph;
mod graphql_http;
mod helpers;
mod integrity;
mod limits;
mod listings;
mod operations;
mod ownership;
mod playground;
mod promises;
mod properties;
mod races;
mod registers;
mod schema;
mod scopes;
mod statements;
mod validation;
mod ws;

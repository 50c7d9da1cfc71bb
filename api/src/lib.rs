//! Lienthong: the GraphQL API of the national data-sharing hub.
//!
//! Start at [`startup::Application`] (the server), [`cli`] (the commands)
//! and [`graphql`] (the schema, one module per dataset).

pub mod access;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod limits;
pub mod metrics;
pub mod preflight;
pub mod refdata;
pub mod registers;
pub mod seed;
pub mod session;
pub mod startup;
pub mod telemetry;
pub mod text;

//! The sea-orm entities of Lienthong, one module per dataset.
//!
//! These are database rows, not the public API: the GraphQL layer wraps them
//! and chooses, field by field, what it exposes. Enumerations are stored as
//! short upper-case strings so that both SQLite and PostgreSQL read them the
//! same way.

pub mod access;
pub mod admin;
pub mod audit;
pub mod changes;
pub mod enterprise;
pub mod land;
pub mod population;

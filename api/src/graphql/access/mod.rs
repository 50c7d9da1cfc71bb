//! Agencies, grants and access requests in the graph, and `me`.
//!
//! `hub:admin` registers and suspends agencies, but never makes one the
//! owner of a dataset, nor rotates an owner's secret or changes its status
//! (see `access::service`); an owner with `grants:manage` gives and
//! revokes grants on its own dataset and decides requests for it; any
//! agency may ask for access, see its own grants, rotate its own secret
//! and revoke its own tokens. The objects are `types.rs`, the queries
//! `query.rs`, the mutations `mutation.rs`; the rules are `crate::access`.

mod mutation;
mod query;
mod types;

pub use mutation::*;
pub use query::*;
pub use types::*;

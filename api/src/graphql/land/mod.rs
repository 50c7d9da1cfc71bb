//! The land dataset in the graph: parcels and land-use right certificates.
//!
//! `land:read` shows parcels and certificates; who holds a certificate
//! (`LandRight.holder`, `holderId`, and the rights listed under a citizen or
//! an enterprise) needs `land:read:holders`. The objects are `types.rs`,
//! lookups and listings `query.rs`, the owner's writes `mutation.rs`; the
//! SQL behind them is `registers::land`.

mod mutation;
mod query;
mod types;

pub use mutation::*;
pub use query::*;
pub use types::*;

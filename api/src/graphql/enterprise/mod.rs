//! The enterprise dataset in the graph: the national business register.
//!
//! `enterprise:read` is the public register (name, code, type, status, head
//! office, industries, the legal representative's name); members and
//! shareholders need `enterprise:read:members`. The legal representative as
//! a `Citizen` is guarded by the population scopes on its own fields. The
//! objects are `types.rs`, lookups and listings `query.rs`, the owner's
//! writes `mutation.rs`; the SQL behind them is `registers::enterprise`.

mod mutation;
mod query;
mod types;

pub use mutation::*;
pub use query::*;
pub use types::*;

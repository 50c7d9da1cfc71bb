//! The population dataset in the graph: citizens and households.
//!
//! Where is the rule that hides a citizen's date of birth? On the field
//! `Citizen.dateOfBirth` in `types.rs`: every field carries its own scope
//! guard, so a citizen reached through an enterprise, a land right or a
//! household is guarded exactly like one looked up by personal id. The
//! lookups and listings are `query.rs`, the owner's writes `mutation.rs`;
//! the SQL behind them is `registers::population`.

mod mutation;
mod query;
mod types;

pub use mutation::*;
pub use query::*;
pub use types::*;

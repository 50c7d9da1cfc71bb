//! The population register (owner: BCA): `read` lists citizens in a
//! jurisdiction, `write` registers a citizen, changes a residence and
//! records a death. GraphQL types are `graphql::population`.

mod read;
mod write;

pub use read::*;
pub use write::*;

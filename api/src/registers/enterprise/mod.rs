//! The business register (owner: BTC): `read` lists enterprises in a
//! jurisdiction, `write` registers an enterprise and changes its status or
//! legal representative. GraphQL types are `graphql::enterprise`.

mod read;
mod write;

pub use read::*;
pub use write::*;

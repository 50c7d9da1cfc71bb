//! What changed in the national registers, in order, and the idempotency
//! keys of mutations.

pub mod change_counter;
pub mod change_event;
pub mod idempotency_key;

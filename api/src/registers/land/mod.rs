//! The land register (owner: BNNMT): `read` lists parcels in a
//! jurisdiction, `write` registers parcels and issues and transfers
//! certificates. The share of a parcel a certificate gives, and its range,
//! live here. GraphQL types are `graphql::land`.

mod read;
mod write;

pub use read::*;
pub use write::*;

use crate::error::ApiError;

/// The whole of a parcel, in basis points: shares are stored as whole
/// basis points, 1 to 10,000.
pub const WHOLE: i32 = 10_000;

/// A share in basis points, refused unless it is some of the parcel and at
/// most all of it.
pub fn check_share(share_bp: i32) -> Result<(), ApiError> {
    if (1..=WHOLE).contains(&share_bp) {
        Ok(())
    } else {
        Err(ApiError::BadUserInput(
            "share must be more than 0 and at most 1".into(),
        ))
    }
}

/// The share the API gives as a fraction of the parcel (more than 0, at
/// most 1), in basis points.
pub fn share_bp(share: f64) -> Result<i32, ApiError> {
    if !(share.is_finite() && share > 0.0 && share <= 1.0) {
        return Err(ApiError::BadUserInput(
            "share must be more than 0 and at most 1".into(),
        ));
    }
    let share_bp = (share * f64::from(WHOLE)).round() as i32;
    check_share(share_bp)?;
    Ok(share_bp)
}

/// A stored share as the API shows it: a fraction of the parcel.
pub fn share_fraction(share_bp: i32) -> f64 {
    f64::from(share_bp) / f64::from(WHOLE)
}

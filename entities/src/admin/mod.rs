//! Public reference data: the administrative units in force since
//! 1 July 2025 (34 provinces, 3,321 communes) and the former units mapped to
//! them, plus the industry classification used by the business register.

pub mod commune;
pub mod industry;
pub mod legacy_commune;
pub mod legacy_province;
pub mod province;

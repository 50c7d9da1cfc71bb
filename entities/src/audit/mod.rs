//! The record of every access to personal data: the access log (a hash
//! chain per node), its index by subject, the chains' heads, and daily
//! counts of requests and refusals per dataset and agency.

pub mod access_log;
pub mod access_log_subject;
pub mod audit_chain;
pub mod sharing_day;

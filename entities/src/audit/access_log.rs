//! One row per request and dataset that returned personal data.
use crate::access::Dataset;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub at: DateTimeUtc,
    /// The server that wrote the row; each node keeps its own chain.
    pub node: String,
    pub agency: String,
    /// The grants under which the data was read (space-separated); none
    /// when the agency read its own dataset.
    pub grant_id: Option<String>,
    pub operation: String,
    pub dataset: Dataset,
    /// JSON array of the subjects returned, sorted.
    pub subjects: String,
    /// JSON array of the fields returned (`Type.field`), sorted.
    pub fields: String,
    pub purpose: Option<String>,
    pub case_ref: Option<String>,
    pub request_id: String,
    /// Hex SHA-256 of the row before it in its node's chain.
    pub prev_hash: String,
    /// Hex SHA-256 of `prev_hash` and this row's canonical form.
    pub hash: String,
    /// On the last row of each batch the writer committed: hex HMAC-SHA256,
    /// under the audit key (which the database does not hold), of the node,
    /// the positions of the batch's first and last rows in the chain and
    /// this row's hash. `None` on the other rows.
    pub batch_mac: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

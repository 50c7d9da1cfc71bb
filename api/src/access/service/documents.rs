//! Trusted documents as plain functions. The hub operator, or an owner
//! whose dataset an agency reads under a grant, registers documents for
//! that agency and may hold it to them; each authority lifts only its own
//! requirement, so an owner's protection is not undone by another party
//! (the operator included). The agency itself sees its documents but
//! registers none: an allow-list its holder could extend would be none.

use crate::access::cache::{AccessCache, Change};
use crate::access::trusted::document_id;
use crate::access::{check_text, is_active};
use crate::auth::{Principal, Scope};
use crate::error::ApiError;
use chrono::Utc;
use entities::access::{access_grant, agency, trusted_document, trusted_document_requirement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};

/// A document to register for an agency.
pub struct NewDocument<'a> {
    pub agency: &'a str,
    pub name: &'a str,
    pub document: &'a str,
    /// The largest document the hub accepts (`max_document_bytes`).
    pub max_bytes: usize,
}

/// What an agency is trusted to run, and who holds it to that.
pub struct DocumentList {
    pub documents: Vec<trusted_document::Model>,
    pub requirements: Vec<trusted_document_requirement::Model>,
}

/// `Ok` if `caller` may manage `agency`'s documents: the hub operator, or
/// an owner of a dataset the agency holds an active grant on.
async fn authority(
    db: &DatabaseConnection,
    caller: &Principal,
    agency: &str,
) -> Result<(), ApiError> {
    if agency::Entity::find_by_id(agency.to_owned())
        .one(db)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "no agency is registered as {agency}"
        )));
    }
    if caller.has(Scope::HubAdmin) {
        return Ok(());
    }
    if !caller.owns.is_empty() {
        let now = Utc::now();
        let grants = access_grant::Entity::find()
            .filter(access_grant::Column::Grantee.eq(agency))
            .filter(access_grant::Column::Dataset.is_in(caller.owns.iter().copied()))
            .filter(access_grant::Column::RevokedAt.is_null())
            .all(db)
            .await?;
        if grants.iter().any(|g| is_active(g, now)) {
            return Ok(());
        }
    }
    Err(ApiError::NotAllowed(format!(
        "only the hub operator, or the owner of a dataset {agency} reads under an active grant, manages the documents {agency} is trusted to run"
    )))
}

/// Registers a document for an agency; registering the same text again
/// changes nothing and answers the stored row.
pub async fn register(
    db: &DatabaseConnection,
    cache: &AccessCache,
    caller: &Principal,
    new: NewDocument<'_>,
) -> Result<trusted_document::Model, ApiError> {
    authority(db, caller, new.agency).await?;
    check_text("name", new.name)?;
    if new.name.trim().chars().count() > 200 {
        return Err(ApiError::BadUserInput(
            "name must have at most 200 characters".into(),
        ));
    }
    if new.document.len() > new.max_bytes {
        return Err(ApiError::BadUserInput(format!(
            "the document has {} bytes; at most {} are accepted",
            new.document.len(),
            new.max_bytes
        )));
    }
    if let Err(error) = async_graphql::parser::parse_query(new.document) {
        return Err(ApiError::BadUserInput(format!(
            "the document is not valid GraphQL: {}",
            crate::error::one_line(&error.to_string())
        )));
    }
    let id = document_id(new.document);
    if let Some(row) = trusted_document::Entity::find_by_id((new.agency.to_owned(), id.clone()))
        .one(db)
        .await?
    {
        return Ok(row);
    }
    let row = trusted_document::Model {
        agency: new.agency.to_owned(),
        id,
        name: new.name.trim().to_owned(),
        document: new.document.to_owned(),
        registered_by: caller.agency.clone(),
        registered_at: Utc::now(),
    }
    .into_active_model()
    .insert(db)
    .await
    .map_err(crate::error::conflict_on_unique)?;
    cache.publish(Change::Agency(new.agency.to_owned())).await?;
    Ok(row)
}

/// Removes a document from an agency's list: the authority that
/// registered it, or the hub operator. If the agency is held to its
/// documents, it can no longer run this one.
pub async fn remove(
    db: &DatabaseConnection,
    cache: &AccessCache,
    caller: &Principal,
    agency: &str,
    id: &str,
) -> Result<trusted_document::Model, ApiError> {
    authority(db, caller, agency).await?;
    let row = trusted_document::Entity::find_by_id((agency.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!("no document {id} is registered for {agency}"))
        })?;
    if row.registered_by != caller.agency && !caller.has(Scope::HubAdmin) {
        return Err(ApiError::NotAllowed(format!(
            "document {id} was registered by {}; only it or the hub operator removes it",
            row.registered_by
        )));
    }
    let deleted = trusted_document::Entity::delete_by_id((agency.to_owned(), id.to_owned()))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::Conflict(format!(
            "document {id} was removed meanwhile"
        )));
    }
    cache.publish(Change::Agency(agency.to_owned())).await?;
    Ok(row)
}

/// Holds an agency to its trusted documents (`required`), or lifts the
/// caller's own requirement; the agency stays held while any authority
/// requires it. Takes effect on the agency's next request, on every node.
pub async fn require(
    db: &DatabaseConnection,
    cache: &AccessCache,
    caller: &Principal,
    agency: &str,
    required: bool,
) -> Result<DocumentList, ApiError> {
    authority(db, caller, agency).await?;
    let key = (agency.to_owned(), caller.agency.clone());
    let existing = trusted_document_requirement::Entity::find_by_id(key.clone())
        .one(db)
        .await?;
    match (required, existing) {
        (true, None) => {
            let row = trusted_document_requirement::Model {
                agency: agency.to_owned(),
                required_by: caller.agency.clone(),
                since: Utc::now(),
            };
            // Two concurrent requirements by the same authority: one row.
            if let Err(error) = row.into_active_model().insert(db).await {
                match crate::error::conflict_on_unique(error) {
                    ApiError::Conflict(_) => {}
                    other => return Err(other),
                }
            }
        }
        (false, Some(_)) => {
            trusted_document_requirement::Entity::delete_by_id(key)
                .exec(db)
                .await?;
        }
        _ => {}
    }
    cache.publish(Change::Agency(agency.to_owned())).await?;
    list_unchecked(db, agency).await
}

/// The documents of `agency`, for the agency itself or an authority over
/// it.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Principal,
    agency: &str,
) -> Result<DocumentList, ApiError> {
    if caller.agency != agency {
        authority(db, caller, agency).await?;
    }
    list_unchecked(db, agency).await
}

async fn list_unchecked(db: &DatabaseConnection, agency: &str) -> Result<DocumentList, ApiError> {
    let documents = trusted_document::Entity::find()
        .filter(trusted_document::Column::Agency.eq(agency))
        .order_by_asc(trusted_document::Column::Name)
        .order_by_asc(trusted_document::Column::Id)
        .all(db)
        .await?;
    let requirements = trusted_document_requirement::Entity::find()
        .filter(trusted_document_requirement::Column::Agency.eq(agency))
        .order_by_asc(trusted_document_requirement::Column::RequiredBy)
        .all(db)
        .await?;
    Ok(DocumentList {
        documents,
        requirements,
    })
}

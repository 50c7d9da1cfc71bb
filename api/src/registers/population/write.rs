//! Writes to the population register (owner: BCA): register a citizen,
//! change a residence, record a death.

use crate::error::ApiError;
use crate::ids;
use crate::registers::{
    Change, Lock, Writer, Written, begin, check_version, commit, once, province_of,
    update_at_version,
};
use crate::text::{MAX_ADDRESS_LINE, MAX_ETHNICITY, MAX_PERSON_NAME, clean};
use chrono::{NaiveDate, Utc};
use entities::access::Dataset;
use entities::population::{CitizenStatus, Sex, citizen, household};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, Statement,
};

/// The key of the PostgreSQL advisory lock under which household numbers
/// are drawn ("LTHH").
const HOUSEHOLD_NUMBERING: i64 = 0x4C54_4848;

/// A citizen to register.
#[derive(Debug, Clone)]
pub struct NewCitizen {
    pub personal_id: String,
    pub full_name: String,
    pub sex: Sex,
    pub date_of_birth: NaiveDate,
    pub ethnicity: String,
    pub nationality: String,
    pub place_of_origin_commune: String,
    pub residence_commune: String,
    pub residence_line: String,
    pub father_id: Option<String>,
    pub mother_id: Option<String>,
}

/// A living citizen, or why not; read under `lock`, so that the citizen is
/// still alive when the write commits.
pub async fn living(
    db: &impl ConnectionTrait,
    personal_id: &str,
    role: &str,
    lock: Lock,
) -> Result<citizen::Model, ApiError> {
    ids::parse_personal_id(personal_id)?;
    let citizen = lock
        .on(citizen::Entity::find_by_id(personal_id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no citizen has personal id {personal_id}")))?;
    if citizen.status == CitizenStatus::Deceased {
        return Err(ApiError::BadUserInput(format!(
            "citizen {personal_id} is deceased and cannot be {role}"
        )));
    }
    Ok(citizen)
}

/// The next household number. On PostgreSQL it is drawn under a lock held
/// to commit, so that two writes never draw the same one; callers take it
/// after their row locks.
async fn next_household_id(txn: &DatabaseTransaction) -> Result<i64, ApiError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [HOUSEHOLD_NUMBERING.into()],
        ))
        .await?;
    }
    let max: Option<i64> = household::Entity::find()
        .select_only()
        .column_as(Expr::from(Func::max(Expr::col(household::Column::Id))), "m")
        .into_tuple()
        .one(txn)
        .await?
        .flatten();
    Ok(max.unwrap_or(0) + 1)
}

/// Registers a newborn or newly recorded citizen in a household of their
/// own. The parents' records change too (a child is added to them).
pub async fn register_citizen(w: &Writer<'_>, input: NewCitizen) -> Result<Written, ApiError> {
    ids::check_personal_id_agrees(&input.personal_id, input.sex, input.date_of_birth)?;
    if input.date_of_birth > Utc::now().date_naive() {
        return Err(ApiError::BadUserInput(
            "the date of birth is in the future".into(),
        ));
    }
    let full_name = clean("fullName", &input.full_name, MAX_PERSON_NAME)?;
    let ethnicity = clean("ethnicity", &input.ethnicity, MAX_ETHNICITY)?;
    let nationality = clean("nationality", &input.nationality, 2)?.to_uppercase();
    if nationality.len() != 2 || !nationality.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::BadUserInput(
            "nationality must be an ISO 3166-1 alpha-2 code such as VN".into(),
        ));
    }
    let residence_line = clean("residenceLine", &input.residence_line, MAX_ADDRESS_LINE)?;
    let province = province_of(&input.residence_commune)?;
    ids::check_commune_code(&input.place_of_origin_commune)?;
    let parents: Vec<&String> = [&input.father_id, &input.mother_id]
        .into_iter()
        .flatten()
        .collect();
    for parent in &parents {
        ids::parse_personal_id(parent)?;
    }
    once(w, Dataset::Population, async {
        let txn = begin(w.db).await?;
        if citizen::Entity::find_by_id(input.personal_id.clone())
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!(
                "personal id {} is already registered",
                input.personal_id
            )));
        }
        for parent in &parents {
            if Lock::Share
                .on(citizen::Entity::find_by_id(parent.to_string()))
                .one(&txn)
                .await?
                .is_none()
            {
                return Err(ApiError::NotFound(format!(
                    "no citizen has personal id {parent} (given as a parent)"
                )));
            }
        }
        let household_id = next_household_id(&txn).await?;
        household::Entity::insert(household::ActiveModel {
            id: Set(household_id),
            head_id: Set(input.personal_id.clone()),
            commune_code: Set(input.residence_commune.clone()),
            province_code: Set(province.clone()),
            address_line: Set(residence_line.clone()),
            version: Set(1),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(crate::error::conflict_on_unique)?;
        citizen::Entity::insert(citizen::ActiveModel {
            personal_id: Set(input.personal_id.clone()),
            search_name: Set(crate::text::fold(&full_name)),
            full_name: Set(full_name.clone()),
            sex: Set(input.sex),
            date_of_birth: Set(input.date_of_birth),
            ethnicity: Set(ethnicity.clone()),
            nationality: Set(nationality.clone()),
            place_of_origin_commune: Set(input.place_of_origin_commune.clone()),
            residence_commune: Set(input.residence_commune.clone()),
            residence_province: Set(province.clone()),
            residence_line: Set(residence_line.clone()),
            household_id: Set(Some(household_id)),
            father_id: Set(input.father_id.clone()),
            mother_id: Set(input.mother_id.clone()),
            spouse_id: Set(None),
            status: Set(CitizenStatus::Alive),
            date_of_death: Set(None),
            version: Set(1),
            updated_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(crate::error::conflict_on_unique)?;
        let changes = vec![
            Change {
                dataset: Dataset::Population,
                entity: "Citizen",
                key: input.personal_id.clone(),
                op: "CREATED",
                province: province.clone(),
            },
            Change {
                dataset: Dataset::Population,
                entity: "Household",
                key: household_id.to_string(),
                op: "CREATED",
                province: province.clone(),
            },
        ];
        let written = Written::personal(
            Dataset::Population,
            &input.personal_id,
            parents.iter().map(|p| p.as_str()),
        );
        commit(txn, w, changes, written).await
    })
    .await
}

/// Moves a citizen. The head of a household moves with the whole household
/// (every member's residence changes, and every member is among the
/// subjects written); anyone else leaves their household for a new one of
/// their own at the new address.
pub async fn change_residence(
    w: &Writer<'_>,
    personal_id: &str,
    commune: &str,
    line: &str,
    expected_version: Option<i32>,
) -> Result<Written, ApiError> {
    let province = province_of(commune)?;
    let line = clean("residenceLine", line, MAX_ADDRESS_LINE)?;
    once(w, Dataset::Population, async {
        let txn = begin(w.db).await?;
        let mover = living(&txn, personal_id, "moved", Lock::Update).await?;
        check_version(
            &format!("citizen {personal_id}"),
            mover.version,
            expected_version,
        )?;
        let mut changes = Vec::new();
        // A household's head never changes, so whether the mover heads it
        // needs no lock; only the head locks the household (a member who
        // locked it too could deadlock with the head moving everyone).
        let heads = match mover.household_id {
            Some(id) => household::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .is_some_and(|h| h.head_id == personal_id),
            None => false,
        };
        let head_of = match mover.household_id {
            Some(id) if heads => {
                Lock::Update
                    .on(household::Entity::find_by_id(id))
                    .one(&txn)
                    .await?
            }
            _ => None,
        };
        let (household_id, movers) = match head_of {
            Some(home) => {
                update_at_version(
                    &txn,
                    &format!("household {}", home.id),
                    household::Entity::update_many()
                        .col_expr(household::Column::CommuneCode, Expr::value(commune))
                        .col_expr(household::Column::ProvinceCode, Expr::value(&province))
                        .col_expr(household::Column::AddressLine, Expr::value(&line))
                        .filter(household::Column::Id.eq(home.id)),
                    household::Column::Version,
                    home.version,
                )
                .await?;
                // Locked, so that a member who leaves meanwhile is either
                // gone (and not moved) or waits and leaves from the new
                // address; read as committed once the lock is had.
                let members: Vec<citizen::Model> = Lock::Update
                    .on(citizen::Entity::find().filter(citizen::Column::HouseholdId.eq(home.id)))
                    .all(&txn)
                    .await?;
                if home.province_code != province {
                    changes.push(Change {
                        dataset: Dataset::Population,
                        entity: "Household",
                        key: home.id.to_string(),
                        op: "MOVED_OUT",
                        province: home.province_code.clone(),
                    });
                }
                changes.push(Change {
                    dataset: Dataset::Population,
                    entity: "Household",
                    key: home.id.to_string(),
                    op: "UPDATED",
                    province: province.clone(),
                });
                (home.id, members)
            }
            None => {
                let id = next_household_id(&txn).await?;
                household::Entity::insert(household::ActiveModel {
                    id: Set(id),
                    head_id: Set(personal_id.to_owned()),
                    commune_code: Set(commune.to_owned()),
                    province_code: Set(province.clone()),
                    address_line: Set(line.clone()),
                    version: Set(1),
                })
                .exec_without_returning(&txn)
                .await
                .map_err(crate::error::conflict_on_unique)?;
                changes.push(Change {
                    dataset: Dataset::Population,
                    entity: "Household",
                    key: id.to_string(),
                    op: "CREATED",
                    province: province.clone(),
                });
                (id, vec![mover.clone()])
            }
        };
        let moved_ids: Vec<String> = movers.iter().map(|m| m.personal_id.clone()).collect();
        for member in movers {
            update_at_version(
                &txn,
                &format!("citizen {}", member.personal_id),
                citizen::Entity::update_many()
                    .col_expr(citizen::Column::ResidenceCommune, Expr::value(commune))
                    .col_expr(citizen::Column::ResidenceProvince, Expr::value(&province))
                    .col_expr(citizen::Column::ResidenceLine, Expr::value(&line))
                    .col_expr(citizen::Column::HouseholdId, Expr::value(household_id))
                    .col_expr(citizen::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(citizen::Column::PersonalId.eq(member.personal_id.as_str())),
                citizen::Column::Version,
                member.version,
            )
            .await?;
            if member.residence_province != province {
                changes.push(Change {
                    dataset: Dataset::Population,
                    entity: "Citizen",
                    key: member.personal_id.clone(),
                    op: "MOVED_OUT",
                    province: member.residence_province.clone(),
                });
            }
            changes.push(Change {
                dataset: Dataset::Population,
                entity: "Citizen",
                key: member.personal_id.clone(),
                op: "UPDATED",
                province: province.clone(),
            });
        }
        let written = Written::personal(
            Dataset::Population,
            personal_id,
            moved_ids.iter().map(String::as_str),
        );
        commit(txn, w, changes, written).await
    })
    .await
}

/// Records a death. (Only the citizen's record changes: a spouse's, a
/// household's or an enterprise's stay as they are.)
pub async fn record_death(
    w: &Writer<'_>,
    personal_id: &str,
    date_of_death: NaiveDate,
    expected_version: Option<i32>,
) -> Result<Written, ApiError> {
    once(w, Dataset::Population, async {
        let txn = begin(w.db).await?;
        let citizen = living(&txn, personal_id, "recorded as dead again", Lock::Update).await?;
        check_version(
            &format!("citizen {personal_id}"),
            citizen.version,
            expected_version,
        )?;
        if date_of_death < citizen.date_of_birth || date_of_death > Utc::now().date_naive() {
            return Err(ApiError::BadUserInput(format!(
                "the date of death must be between the date of birth ({}) and today",
                citizen.date_of_birth
            )));
        }
        update_at_version(
            &txn,
            &format!("citizen {personal_id}"),
            citizen::Entity::update_many()
                .col_expr(
                    citizen::Column::Status,
                    Expr::value(CitizenStatus::Deceased),
                )
                .col_expr(citizen::Column::DateOfDeath, Expr::value(date_of_death))
                .col_expr(citizen::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(citizen::Column::PersonalId.eq(personal_id)),
            citizen::Column::Version,
            citizen.version,
        )
        .await?;
        let changes = vec![Change {
            dataset: Dataset::Population,
            entity: "Citizen",
            key: personal_id.to_owned(),
            op: "DIED",
            province: citizen.residence_province.clone(),
        }];
        let written = Written::personal(Dataset::Population, personal_id, []);
        commit(txn, w, changes, written).await
    })
    .await
}

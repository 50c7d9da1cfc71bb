//! Writes to the land register (owner: BNNMT): register a parcel, issue a
//! land-use right certificate, transfer one.
//!
//! Every right written also moves its parcel's version, conditionally, so
//! that two writes on one parcel never both pass the shares check.

use crate::error::ApiError;
use crate::ids;
use crate::registers::population::living;
use crate::registers::{
    Change, Lock, Writer, Written, begin, check_version, commit, once, update_at_version,
};
use crate::text::{MAX_ADDRESS_LINE, clean};
use chrono::{NaiveDate, Utc};
use entities::access::Dataset;
use entities::enterprise::{EnterpriseStatus, enterprise};
use entities::land::land_right::Holder;
use entities::land::{HolderKind, LandUse, RightStatus, land_parcel, land_right};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::{WHOLE, check_share};

/// A parcel to register.
#[derive(Debug, Clone)]
pub struct NewParcel {
    pub commune: String,
    pub map_sheet: i32,
    pub parcel_number: i32,
    pub area_m2: f64,
    pub land_use: LandUse,
    pub address_line: String,
}

fn change(entity: &'static str, key: &str, op: &'static str, province: &str) -> Change {
    Change {
        dataset: Dataset::Land,
        entity,
        key: key.to_owned(),
        op,
        province: province.to_owned(),
    }
}

/// Registers a parcel under an id that `landParcel(id)` accepts. Parcels
/// are no one's personal data: the subject is the parcel.
pub async fn register_parcel(w: &Writer<'_>, input: NewParcel) -> Result<Written, ApiError> {
    let id = ids::ParcelId::new(&input.commune, input.map_sheet, input.parcel_number)?.to_string();
    let address_line = clean("addressLine", &input.address_line, MAX_ADDRESS_LINE)?;
    if !(input.area_m2.is_finite() && input.area_m2 > 0.0 && input.area_m2 < 1e9) {
        return Err(ApiError::BadUserInput(
            "areaM2 must be a positive number of square metres".into(),
        ));
    }
    let province = crate::registers::province_of(&input.commune)?;
    once(w, Dataset::Land, async {
        let txn = begin(w.db).await?;
        if land_parcel::Entity::find_by_id(id.clone())
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!(
                "parcel {id} is already registered"
            )));
        }
        land_parcel::Entity::insert(land_parcel::ActiveModel {
            id: Set(id.clone()),
            commune_code: Set(input.commune.clone()),
            province_code: Set(province.clone()),
            map_sheet: Set(input.map_sheet),
            parcel_number: Set(input.parcel_number),
            area_m2: Set(input.area_m2),
            land_use: Set(input.land_use),
            address_line: Set(address_line.clone()),
            version: Set(1),
            updated_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(crate::error::conflict_on_unique)?;
        let written = Written::public(Dataset::Land, &id);
        commit(
            txn,
            w,
            vec![change("LandParcel", &id, "CREATED", &province)],
            written,
        )
        .await
    })
    .await
}

/// A holder that may receive a right: a living citizen or an enterprise
/// that is not dissolved, and stays so until the write commits.
async fn check_holder(
    txn: &DatabaseTransaction,
    kind: HolderKind,
    id: &str,
) -> Result<(), ApiError> {
    match kind {
        HolderKind::Citizen => living(txn, id, "given a land right", Lock::Share)
            .await
            .map(|_| ()),
        HolderKind::Enterprise => {
            ids::parse_tax_code(id)?;
            let found = Lock::Share
                .on(enterprise::Entity::find_by_id(id.to_owned()))
                .one(txn)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no enterprise has code {id}")))?;
            if found.status == EnterpriseStatus::Dissolved {
                return Err(ApiError::BadUserInput(format!(
                    "enterprise {id} is dissolved and cannot be given a land right"
                )));
            }
            Ok(())
        }
    }
}

/// Locks the parcel and moves its version: writes of rights on one parcel
/// run one after the other, each seeing the shares the one before left.
async fn touch_parcel(
    txn: &DatabaseTransaction,
    parcel_id: &str,
) -> Result<land_parcel::Model, ApiError> {
    let parcel = Lock::Update
        .on(land_parcel::Entity::find_by_id(parcel_id.to_owned()))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no parcel has id {parcel_id}")))?;
    update_at_version(
        txn,
        &format!("parcel {parcel_id}"),
        land_parcel::Entity::update_many()
            .col_expr(land_parcel::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(land_parcel::Column::Id.eq(parcel_id)),
        land_parcel::Column::Version,
        parcel.version,
    )
    .await?;
    Ok(parcel)
}

async fn new_certificate_number(txn: &DatabaseTransaction) -> Result<String, ApiError> {
    for _ in 0..20 {
        let number = {
            let mut rng = rand::thread_rng();
            let letters: String = (0..2)
                .map(|_| char::from(b'A' + rng.gen_range(0..26u8)))
                .collect();
            format!("{letters}{:06}", rng.gen_range(0..1_000_000))
        };
        if land_right::Entity::find_by_id(number.clone())
            .one(txn)
            .await?
            .is_none()
        {
            return Ok(number);
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "no free certificate number found"
    )))
}

async fn insert_right(
    txn: &DatabaseTransaction,
    parcel_id: &str,
    holder_kind: HolderKind,
    holder_id: &str,
    share_bp: i32,
    issued_on: NaiveDate,
) -> Result<String, ApiError> {
    let number = new_certificate_number(txn).await?;
    let (citizen, enterprise) = Holder {
        kind: holder_kind,
        id: holder_id,
    }
    .columns();
    land_right::Entity::insert(land_right::ActiveModel {
        certificate_number: Set(number.clone()),
        parcel_id: Set(parcel_id.to_owned()),
        holder_citizen_id: Set(citizen),
        holder_enterprise_id: Set(enterprise),
        share_bp: Set(share_bp),
        issued_on: Set(issued_on),
        status: Set(RightStatus::Active),
        mortgaged: Set(false),
        version: Set(1),
        updated_at: Set(Utc::now()),
    })
    .exec_without_returning(txn)
    .await
    .map_err(crate::error::conflict_on_unique)?;
    Ok(number)
}

/// Issues a certificate for a share of a parcel; the active rights of a
/// parcel never exceed the whole. The subjects are the certificate and its
/// holder.
pub async fn issue_right(
    w: &Writer<'_>,
    parcel_id: &str,
    holder_kind: HolderKind,
    holder_id: &str,
    share_bp: i32,
) -> Result<Written, ApiError> {
    ids::parse_parcel_id(parcel_id)?;
    check_share(share_bp)?;
    once(w, Dataset::Land, async {
        let txn = begin(w.db).await?;
        let parcel = touch_parcel(&txn, parcel_id).await?;
        check_holder(&txn, holder_kind, holder_id).await?;
        let held: i32 = land_right::Entity::find()
            .filter(land_right::Column::ParcelId.eq(parcel_id))
            .filter(land_right::Column::Status.eq(RightStatus::Active))
            .all(&txn)
            .await?
            .iter()
            .map(|r| r.share_bp)
            .sum();
        if held + share_bp > WHOLE {
            return Err(ApiError::BadUserInput(format!(
                "parcel {parcel_id} has {:.4} of its whole in active rights; {:.4} more would exceed it",
                f64::from(held) / f64::from(WHOLE),
                f64::from(share_bp) / f64::from(WHOLE)
            )));
        }
        let number = insert_right(
            &txn,
            parcel_id,
            holder_kind,
            holder_id,
            share_bp,
            Utc::now().date_naive(),
        )
        .await?;
        let written = Written::personal(Dataset::Land, &number, [holder_id]);
        let created = change("LandRight", &number, "CREATED", &parcel.province_code);
        commit(txn, w, vec![created], written).await
    })
    .await
}

/// Transfers a right: the certificate becomes `TRANSFERRED` and a new one
/// is issued to the new holder for the same share, in one transaction. The
/// subjects are both certificates and both holders.
pub async fn transfer_right(
    w: &Writer<'_>,
    certificate: &str,
    to_kind: HolderKind,
    to_id: &str,
    expected_version: Option<i32>,
) -> Result<Written, ApiError> {
    ids::parse_certificate_number(certificate)?;
    once(w, Dataset::Land, async {
        let txn = begin(w.db).await?;
        let right = Lock::Update
            .on(land_right::Entity::find_by_id(certificate.to_owned()))
            .one(&txn)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("no land right has certificate {certificate}"))
            })?;
        check_version(
            &format!("certificate {certificate}"),
            right.version,
            expected_version,
        )?;
        if right.status != RightStatus::Active {
            return Err(ApiError::Conflict(format!(
                "certificate {certificate} is {:?}, not active: it cannot be transferred",
                right.status
            )));
        }
        if right.mortgaged {
            return Err(ApiError::BadUserInput(format!(
                "certificate {certificate} is mortgaged: release the mortgage first"
            )));
        }
        if right.holder().kind == to_kind && right.holder().id == to_id {
            return Err(ApiError::BadUserInput(format!(
                "certificate {certificate} is already held by {to_id}"
            )));
        }
        let parcel = touch_parcel(&txn, &right.parcel_id).await?;
        check_holder(&txn, to_kind, to_id).await?;
        update_at_version(
            &txn,
            &format!("certificate {certificate}"),
            land_right::Entity::update_many()
                .col_expr(
                    land_right::Column::Status,
                    Expr::value(RightStatus::Transferred),
                )
                .col_expr(land_right::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(land_right::Column::CertificateNumber.eq(certificate))
                .filter(land_right::Column::Status.eq(RightStatus::Active)),
            land_right::Column::Version,
            right.version,
        )
        .await?;
        let number = insert_right(
            &txn,
            &right.parcel_id,
            to_kind,
            to_id,
            right.share_bp,
            Utc::now().date_naive(),
        )
        .await?;
        let written = Written::personal(
            Dataset::Land,
            &number,
            [certificate, right.holder().id, to_id],
        );
        commit(
            txn,
            w,
            vec![
                change(
                    "LandRight",
                    certificate,
                    "TRANSFERRED",
                    &parcel.province_code,
                ),
                change("LandRight", &number, "CREATED", &parcel.province_code),
            ],
            written,
        )
        .await
    })
    .await
}

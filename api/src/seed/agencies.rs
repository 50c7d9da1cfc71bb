//! The demo agencies of DESIGN.md (the hub operator, the three data owners,
//! the people's committee of each of the 34 provinces) and the grants the
//! owners give them, so that each agency's scopes are backed by real grants.
//!
//! This seed (and `lienthong register-agency --owns` on the server) is the
//! only place where an agency becomes the owner of a dataset: the API never
//! gives ownership, not even to the hub operator.

use crate::refdata::reference;
use chrono::Utc;
use entities::access::{AgencyKind, AgencyStatus, Dataset, access_grant, agency};
use sea_orm::{DatabaseConnection, EntityTrait, IntoActiveModel, TransactionTrait};
use std::collections::HashSet;

/// A demo agency.
#[derive(Debug, Clone)]
pub struct DemoAgency {
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
    pub province_code: Option<String>,
    pub owns: &'static str,
}

/// A demo grant: `granter` (the dataset's owner) to `grantee`.
#[derive(Debug, Clone)]
pub struct DemoGrant {
    pub dataset: Dataset,
    pub granter: &'static str,
    pub grantee: String,
    pub scopes: &'static str,
    pub jurisdiction: String,
}

/// The demo agencies, hub and ministries first, then the provinces.
pub fn demo_agencies() -> Vec<DemoAgency> {
    let ministry = |code: &str, name: &str, owns| DemoAgency {
        code: code.into(),
        name: name.into(),
        kind: AgencyKind::Ministry,
        province_code: None,
        owns,
    };
    let mut list = vec![
        DemoAgency {
            code: "TTDLQG".into(),
            name: "Trung tâm Dữ liệu quốc gia".into(),
            kind: AgencyKind::Hub,
            province_code: None,
            owns: "",
        },
        ministry("BCA", "Bộ Công an", "POPULATION"),
        ministry("BNNMT", "Bộ Nông nghiệp và Môi trường", "LAND"),
        ministry("BTC", "Bộ Tài chính", "ENTERPRISE"),
    ];
    for province in reference().provinces.values() {
        list.push(DemoAgency {
            code: format!("UBND-{}", province.code),
            name: format!("Ủy ban nhân dân {}", province.name),
            kind: AgencyKind::Province,
            province_code: Some(province.code.to_owned()),
            owns: "",
        });
    }
    list
}

/// The grants behind DESIGN.md's demo scopes.
pub fn demo_grants() -> Vec<DemoGrant> {
    let national = |dataset, granter, grantee: &str, scopes| DemoGrant {
        dataset,
        granter,
        grantee: grantee.into(),
        scopes,
        jurisdiction: "*".into(),
    };
    let mut grants = vec![
        national(Dataset::Land, "BNNMT", "BCA", "land:read"),
        national(Dataset::Enterprise, "BTC", "BCA", "enterprise:read"),
        national(Dataset::Population, "BCA", "BNNMT", "population:verify"),
        national(Dataset::Enterprise, "BTC", "BNNMT", "enterprise:read"),
        national(
            Dataset::Population,
            "BCA",
            "BTC",
            "population:read population:verify",
        ),
    ];
    for province in reference().provinces.keys() {
        let grantee = format!("UBND-{province}");
        for (dataset, granter, scopes) in [
            (
                Dataset::Population,
                "BCA",
                "population:read population:read:pii population:verify",
            ),
            (Dataset::Land, "BNNMT", "land:read land:read:holders"),
            (
                Dataset::Enterprise,
                "BTC",
                "enterprise:read enterprise:read:members",
            ),
        ] {
            grants.push(DemoGrant {
                dataset,
                granter,
                grantee: grantee.clone(),
                scopes,
                jurisdiction: (*province).to_owned(),
            });
        }
    }
    grants
}

/// Creates the demo agencies that do not exist yet, with the grants they
/// receive; existing agencies and grants are left as they are (an owner
/// may have revoked one). Agencies get no client secret here: the demo
/// banner gives secrets to the agencies it prints.
pub async fn ensure_demo_agencies(db: &DatabaseConnection) -> anyhow::Result<()> {
    let existing: HashSet<String> = agency::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.code)
        .collect();
    let now = Utc::now();
    let new: Vec<DemoAgency> = demo_agencies()
        .into_iter()
        .filter(|a| !existing.contains(&a.code))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let created: HashSet<String> = new.iter().map(|a| a.code.clone()).collect();
    let txn = db.begin().await?;
    agency::Entity::insert_many(new.into_iter().map(|a| {
        agency::Model {
            code: a.code,
            name: a.name,
            kind: a.kind,
            province_code: a.province_code,
            owns: a.owns.into(),
            status: AgencyStatus::Active,
            client_secret_hash: None,
            created_at: now,
        }
        .into_active_model()
    }))
    .exec_without_returning(&txn)
    .await?;
    let grants: Vec<_> = demo_grants()
        .into_iter()
        .filter(|g| created.contains(&g.grantee))
        .map(|g| {
            access_grant::Model {
                id: uuid::Uuid::new_v4().to_string(),
                dataset: g.dataset,
                grantee: g.grantee,
                scopes: g.scopes.into(),
                jurisdiction: g.jurisdiction,
                purpose: "Demo: administrative procedures and inter-agency verification".into(),
                legal_basis: "Nghị định 47/2024/NĐ-CP (demo grant)".into(),
                requires_purpose: false,
                valid_from: now,
                valid_until: None,
                granted_by: g.granter.into(),
                granted_at: now,
                revoked_at: None,
                revoke_reason: None,
            }
            .into_active_model()
        })
        .collect();
    if !grants.is_empty() {
        access_grant::Entity::insert_many(grants)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Gives a client secret to each of `codes` that has none; returns the new
/// secrets (shown once, stored only as hashes).
pub async fn ensure_client_secrets(
    db: &DatabaseConnection,
    codes: &[&str],
) -> anyhow::Result<Vec<(String, String)>> {
    let mut issued = Vec::new();
    for code in codes {
        let secret = crate::access::service::issue_first_secret(db, code)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(secret) = secret {
            issued.push(((*code).to_owned(), secret));
        }
    }
    Ok(issued)
}

//! The demo agencies of DESIGN.md: the hub operator, the three data owners
//! and the people's committee of each of the 34 provinces.

use crate::auth::{Jurisdiction, ScopeSet};
use crate::refdata::reference;
use entities::access::{AgencyKind, AgencyStatus, agency};
use sea_orm::{DatabaseConnection, EntityTrait, sea_query::OnConflict};

/// A demo agency: who it is, what it owns, the most it may be given.
#[derive(Debug, Clone)]
pub struct DemoAgency {
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
    pub province_code: Option<String>,
    pub owns: &'static str,
    pub scopes: ScopeSet,
    pub jurisdiction: Jurisdiction,
}

fn scopes(text: &str) -> ScopeSet {
    ScopeSet::parse(text).expect("demo scopes are valid")
}

/// The demo agencies, hub and ministries first, then the provinces in code
/// order.
pub fn demo_agencies() -> Vec<DemoAgency> {
    let national = Jurisdiction::National;
    let mut list = vec![
        DemoAgency {
            code: "TTDLQG".into(),
            name: "Trung tâm Dữ liệu quốc gia".into(),
            kind: AgencyKind::Hub,
            province_code: None,
            owns: "",
            scopes: scopes("hub:admin"),
            jurisdiction: national.clone(),
        },
        DemoAgency {
            code: "BCA".into(),
            name: "Bộ Công an".into(),
            kind: AgencyKind::Ministry,
            province_code: None,
            owns: "POPULATION",
            scopes: scopes(
                "population:read population:read:pii population:verify population:write grants:manage audit:read land:read enterprise:read",
            ),
            jurisdiction: national.clone(),
        },
        DemoAgency {
            code: "BNNMT".into(),
            name: "Bộ Nông nghiệp và Môi trường".into(),
            kind: AgencyKind::Ministry,
            province_code: None,
            owns: "LAND",
            scopes: scopes(
                "land:read land:read:holders land:write grants:manage audit:read population:verify enterprise:read",
            ),
            jurisdiction: national.clone(),
        },
        DemoAgency {
            code: "BTC".into(),
            name: "Bộ Tài chính".into(),
            kind: AgencyKind::Ministry,
            province_code: None,
            owns: "ENTERPRISE",
            scopes: scopes(
                "enterprise:read enterprise:read:members enterprise:write grants:manage audit:read population:read population:verify",
            ),
            jurisdiction: national,
        },
    ];
    for province in reference().provinces.values() {
        list.push(DemoAgency {
            code: format!("UBND-{}", province.code),
            name: format!("Ủy ban nhân dân {}", province.name),
            kind: AgencyKind::Province,
            province_code: Some(province.code.to_owned()),
            owns: "",
            scopes: scopes(
                "population:read population:read:pii population:verify land:read land:read:holders enterprise:read enterprise:read:members",
            ),
            jurisdiction: Jurisdiction::parse(province.code).expect("a province in force"),
        });
    }
    list
}

/// Creates the demo agencies that do not exist yet; existing ones are left
/// as they are (an operator may have suspended one).
pub async fn ensure_demo_agencies(db: &DatabaseConnection) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let rows: Vec<agency::ActiveModel> = demo_agencies()
        .into_iter()
        .map(|a| {
            sea_orm::IntoActiveModel::into_active_model(agency::Model {
                code: a.code,
                name: a.name,
                kind: a.kind,
                province_code: a.province_code,
                owns: a.owns.into(),
                scopes: a.scopes.to_string(),
                jurisdiction: a.jurisdiction.to_string(),
                status: AgencyStatus::Active,
                client_secret_hash: None,
                created_at: now,
            })
        })
        .collect();
    agency::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(agency::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

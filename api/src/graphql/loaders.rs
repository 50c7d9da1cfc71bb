//! One batched loader per relation, created per request.
//!
//! All relations share one `DataLoader<Loaders>`; each relation has its own
//! key type, hence its own batch and cache. A page of N rows costs one
//! statement per relation it touches, whatever N is. Queries use sea-orm's
//! `is_in`, never SQL built from strings.

use async_graphql::dataloader::Loader;
use entities::enterprise::{MemberKind, enterprise, enterprise_industry, enterprise_member};
use entities::land::{HolderKind, land_parcel, land_right};
use entities::population::{citizen, household};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// The per-request loader of every relation.
pub struct Loaders {
    db: DatabaseConnection,
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Loaders { db }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

/// Groups rows under their key, keeping the query's order.
fn group<K: Hash + Eq, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

/// `(kind = k AND id IN (…)) OR …` for keys of several kinds, so that a
/// batch mixing citizens and enterprises is still one statement.
fn by_kind<K, C>(keys: impl Iterator<Item = (K, String)>, kind_column: C, id_column: C) -> Condition
where
    K: Copy + Eq + Hash + Into<sea_orm::Value>,
    C: ColumnTrait,
{
    let mut ids: HashMap<K, Vec<String>> = HashMap::new();
    for (kind, id) in keys {
        ids.entry(kind).or_default().push(id);
    }
    ids.into_iter()
        .fold(Condition::any(), |condition, (kind, ids)| {
            condition.add(
                Condition::all()
                    .add(kind_column.eq(kind))
                    .add(id_column.is_in(ids)),
            )
        })
}

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident($($ty:ty),+)) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name($(pub $ty),+);
    };
}

key_type!(
    /// A citizen by personal id.
    CitizenById(String)
);
key_type!(
    /// A household by id.
    HouseholdById(i64)
);
key_type!(
    /// The members of a household.
    MembersOfHousehold(i64)
);
key_type!(
    /// The children of a citizen (as father or mother).
    ChildrenOf(String)
);
key_type!(
    /// A land parcel by id.
    ParcelById(String)
);
key_type!(
    /// The land rights on a parcel.
    RightsOnParcel(String)
);
key_type!(
    /// The land rights a citizen or an enterprise holds.
    RightsOfHolder(HolderKind, String)
);
key_type!(
    /// An enterprise by tax code.
    EnterpriseByCode(String)
);
key_type!(
    /// The enterprises a citizen is the legal representative of.
    EnterprisesRepresentedBy(String)
);
key_type!(
    /// The members of an enterprise.
    MembersOfEnterprise(String)
);
key_type!(
    /// The memberships of a citizen or an enterprise in enterprises.
    MembershipsOf(MemberKind, String)
);
key_type!(
    /// The industries of an enterprise.
    IndustriesOf(String)
);

fn strings<'a, K: 'a>(keys: &'a [K], f: impl Fn(&'a K) -> &'a String) -> Vec<String> {
    keys.iter().map(|k| f(k).clone()).collect()
}

impl Loader<CitizenById> for Loaders {
    type Value = citizen::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[CitizenById]) -> LoadResult<CitizenById, citizen::Model> {
        let rows = citizen::Entity::find()
            .filter(citizen::Column::PersonalId.is_in(strings(keys, |k| &k.0)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (CitizenById(r.personal_id.clone()), r))
            .collect())
    }
}

impl Loader<HouseholdById> for Loaders {
    type Value = household::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[HouseholdById]) -> LoadResult<HouseholdById, household::Model> {
        let rows = household::Entity::find()
            .filter(household::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (HouseholdById(r.id), r)).collect())
    }
}

impl Loader<MembersOfHousehold> for Loaders {
    type Value = Vec<citizen::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[MembersOfHousehold],
    ) -> LoadResult<MembersOfHousehold, Vec<citizen::Model>> {
        let rows = citizen::Entity::find()
            .filter(citizen::Column::HouseholdId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(citizen::Column::DateOfBirth)
            .order_by_asc(citizen::Column::PersonalId)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| {
            MembersOfHousehold(r.household_id.expect("filtered on household"))
        }))
    }
}

impl Loader<ChildrenOf> for Loaders {
    type Value = Vec<citizen::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ChildrenOf]) -> LoadResult<ChildrenOf, Vec<citizen::Model>> {
        let ids = strings(keys, |k| &k.0);
        let rows = citizen::Entity::find()
            .filter(
                Condition::any()
                    .add(citizen::Column::FatherId.is_in(ids.clone()))
                    .add(citizen::Column::MotherId.is_in(ids.clone())),
            )
            .order_by_asc(citizen::Column::DateOfBirth)
            .order_by_asc(citizen::Column::PersonalId)
            .all(&self.db)
            .await?;
        let wanted: std::collections::HashSet<&String> = ids.iter().collect();
        let mut map: HashMap<ChildrenOf, Vec<citizen::Model>> = HashMap::new();
        for row in rows {
            for parent in [&row.father_id, &row.mother_id].into_iter().flatten() {
                if wanted.contains(parent) {
                    map.entry(ChildrenOf(parent.clone()))
                        .or_default()
                        .push(row.clone());
                }
            }
        }
        Ok(map)
    }
}

impl Loader<ParcelById> for Loaders {
    type Value = land_parcel::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ParcelById]) -> LoadResult<ParcelById, land_parcel::Model> {
        let rows = land_parcel::Entity::find()
            .filter(land_parcel::Column::Id.is_in(strings(keys, |k| &k.0)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (ParcelById(r.id.clone()), r))
            .collect())
    }
}

impl Loader<RightsOnParcel> for Loaders {
    type Value = Vec<land_right::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[RightsOnParcel],
    ) -> LoadResult<RightsOnParcel, Vec<land_right::Model>> {
        let rows = land_right::Entity::find()
            .filter(land_right::Column::ParcelId.is_in(strings(keys, |k| &k.0)))
            .order_by_asc(land_right::Column::CertificateNumber)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| RightsOnParcel(r.parcel_id.clone())))
    }
}

impl Loader<RightsOfHolder> for Loaders {
    type Value = Vec<land_right::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[RightsOfHolder],
    ) -> LoadResult<RightsOfHolder, Vec<land_right::Model>> {
        let mut ids: HashMap<HolderKind, Vec<String>> = HashMap::new();
        for key in keys {
            ids.entry(key.0).or_default().push(key.1.clone());
        }
        let condition = ids
            .into_iter()
            .fold(Condition::any(), |condition, (kind, ids)| {
                condition.add(land_right::Column::holder(kind).is_in(ids))
            });
        let rows = land_right::Entity::find()
            .filter(condition)
            .order_by_asc(land_right::Column::CertificateNumber)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| {
            RightsOfHolder(r.holder().kind, r.holder().id.to_owned())
        }))
    }
}

impl Loader<EnterpriseByCode> for Loaders {
    type Value = enterprise::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[EnterpriseByCode],
    ) -> LoadResult<EnterpriseByCode, enterprise::Model> {
        let rows = enterprise::Entity::find()
            .filter(enterprise::Column::Code.is_in(strings(keys, |k| &k.0)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (EnterpriseByCode(r.code.clone()), r))
            .collect())
    }
}

impl Loader<EnterprisesRepresentedBy> for Loaders {
    type Value = Vec<enterprise::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[EnterprisesRepresentedBy],
    ) -> LoadResult<EnterprisesRepresentedBy, Vec<enterprise::Model>> {
        let rows = enterprise::Entity::find()
            .filter(enterprise::Column::LegalRepId.is_in(strings(keys, |k| &k.0)))
            .order_by_asc(enterprise::Column::Code)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| {
            EnterprisesRepresentedBy(r.legal_rep_id.clone())
        }))
    }
}

impl Loader<MembersOfEnterprise> for Loaders {
    type Value = Vec<enterprise_member::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[MembersOfEnterprise],
    ) -> LoadResult<MembersOfEnterprise, Vec<enterprise_member::Model>> {
        let rows = enterprise_member::Entity::find()
            .filter(enterprise_member::Column::EnterpriseCode.is_in(strings(keys, |k| &k.0)))
            .order_by_desc(enterprise_member::Column::ShareBp)
            .order_by_asc(enterprise_member::Column::MemberId)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| {
            MembersOfEnterprise(r.enterprise_code.clone())
        }))
    }
}

impl Loader<MembershipsOf> for Loaders {
    type Value = Vec<enterprise_member::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[MembershipsOf],
    ) -> LoadResult<MembershipsOf, Vec<enterprise_member::Model>> {
        let condition = by_kind(
            keys.iter().map(|k| (k.0, k.1.clone())),
            enterprise_member::Column::MemberKind,
            enterprise_member::Column::MemberId,
        );
        let rows = enterprise_member::Entity::find()
            .filter(condition)
            .order_by_asc(enterprise_member::Column::EnterpriseCode)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| {
            MembershipsOf(r.member_kind, r.member_id.clone())
        }))
    }
}

impl Loader<IndustriesOf> for Loaders {
    type Value = Vec<enterprise_industry::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[IndustriesOf],
    ) -> LoadResult<IndustriesOf, Vec<enterprise_industry::Model>> {
        let rows = enterprise_industry::Entity::find()
            .filter(enterprise_industry::Column::EnterpriseCode.is_in(strings(keys, |k| &k.0)))
            .order_by_desc(enterprise_industry::Column::IsMain)
            .order_by_asc(enterprise_industry::Column::VsicCode)
            .all(&self.db)
            .await?;
        Ok(group(rows, |r| IndustriesOf(r.enterprise_code.clone())))
    }
}

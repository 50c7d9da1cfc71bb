//! A land-use right certificate: who holds which share of a parcel.
use super::{HolderKind, RightStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "land_right")]
pub struct Model {
    /// Certificate serial, two letters and six digits, e.g. `DA123456`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub certificate_number: String,
    pub parcel_id: String,
    /// The personal id of the holder, when a citizen holds the right.
    /// Exactly one of the two holder columns is set (the database checks
    /// it); read them through [`Model::holder`].
    pub holder_citizen_id: Option<String>,
    /// The code of the holder, when an enterprise holds the right.
    pub holder_enterprise_id: Option<String>,
    /// The holder's share of the parcel in basis points (10,000 = whole).
    pub share_bp: i32,
    pub issued_on: Date,
    pub status: RightStatus,
    pub mortgaged: bool,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

/// Who holds a right, as the register and its clients name them: a kind
/// and a personal id or an enterprise code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Holder<'a> {
    pub kind: HolderKind,
    pub id: &'a str,
}

impl Model {
    /// The holder of the right.
    pub fn holder(&self) -> Holder<'_> {
        match (&self.holder_citizen_id, &self.holder_enterprise_id) {
            (Some(id), _) => Holder {
                kind: HolderKind::Citizen,
                id,
            },
            // The CHECK constraint makes `(None, None)` unreadable.
            (None, id) => Holder {
                kind: HolderKind::Enterprise,
                id: id.as_deref().unwrap_or_default(),
            },
        }
    }
}

impl Holder<'_> {
    /// The values of `(holder_citizen_id, holder_enterprise_id)` that
    /// store this holder.
    pub fn columns(self) -> (Option<String>, Option<String>) {
        match self.kind {
            HolderKind::Citizen => (Some(self.id.to_owned()), None),
            HolderKind::Enterprise => (None, Some(self.id.to_owned())),
        }
    }
}

impl Column {
    /// The (indexed) column that names holders of `kind`.
    pub fn holder(kind: HolderKind) -> Column {
        match kind {
            HolderKind::Citizen => Column::HolderCitizenId,
            HolderKind::Enterprise => Column::HolderEnterpriseId,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_is_stored_in_the_column_of_its_kind_and_read_back() {
        for kind in [HolderKind::Citizen, HolderKind::Enterprise] {
            let (citizen, enterprise) = Holder { kind, id: "0123" }.columns();
            let right = Model {
                certificate_number: "DA000001".into(),
                parcel_id: "00004-1-1".into(),
                holder_citizen_id: citizen,
                holder_enterprise_id: enterprise,
                share_bp: 10_000,
                issued_on: Date::from_ymd_opt(2020, 1, 1).unwrap(),
                status: RightStatus::Active,
                mortgaged: false,
                version: 1,
                updated_at: DateTimeUtc::default(),
            };
            assert_eq!(right.holder(), Holder { kind, id: "0123" });
        }
    }
}

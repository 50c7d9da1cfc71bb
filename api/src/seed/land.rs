//! The land-register part of the demo data: parcels numbered per commune
//! and map sheet, with their land-use rights held by citizens (a couple
//! often half each) or by enterprises, some transferred earlier. Citizens
//! and enterprises are not here.

use super::{Generator, names, seeded_at};
use crate::ids::ParcelId;
use entities::land::land_right::Holder;
use entities::land::{HolderKind, LandUse, RightStatus, land_parcel, land_right};
use rand::Rng;
use rand::seq::SliceRandom;

impl Generator {
    fn certificate(&mut self) -> String {
        const SERIES: &[&str] = &["BA", "BB", "BC", "BD", "CH", "CK", "CS", "CT", "DA", "DB"];
        let n = self.next_certificate;
        self.next_certificate += 1;
        let series = SERIES[(n / 1_000_000) as usize % SERIES.len()];
        format!("{series}{:06}", n % 1_000_000)
    }

    pub(super) fn parcel(
        &mut self,
    ) -> anyhow::Result<(land_parcel::Model, Vec<land_right::Model>)> {
        let commune = self.commune();
        let counter = self.parcels_per_commune.entry(commune.code).or_default();
        let (map_sheet, parcel_number) = ((*counter / 400 + 1) as i32, (*counter % 400 + 1) as i32);
        *counter += 1;
        let urban = commune.kind == "phuong";
        let land_use = if urban {
            *[
                LandUse::Odt,
                LandUse::Odt,
                LandUse::Odt,
                LandUse::Odt,
                LandUse::Tmd,
                LandUse::Skc,
                LandUse::Dgt,
                LandUse::Cln,
            ]
            .choose(&mut self.rng)
            .expect("uses")
        } else {
            *[
                LandUse::Ont,
                LandUse::Ont,
                LandUse::Ont,
                LandUse::Luc,
                LandUse::Luc,
                LandUse::Cln,
                LandUse::Bhk,
                LandUse::Rsx,
                LandUse::Nts,
                LandUse::Skc,
            ]
            .choose(&mut self.rng)
            .expect("uses")
        };
        let area = match land_use {
            LandUse::Odt | LandUse::Ont | LandUse::Tmd => self.rng.gen_range(40.0..400.0),
            LandUse::Rsx => self.rng.gen_range(5_000.0..50_000.0),
            _ => self.rng.gen_range(300.0..5_000.0),
        };
        let area_m2 = (area * 10.0_f64).round() / 10.0;
        let id = ParcelId::format(commune.code, map_sheet, parcel_number);
        let parcel = land_parcel::Model {
            id: id.clone(),
            commune_code: commune.code.to_owned(),
            province_code: commune.province_code.to_owned(),
            map_sheet,
            parcel_number,
            area_m2,
            land_use,
            address_line: names::address(&mut self.rng, commune.kind),
            version: 1,
            updated_at: seeded_at(),
        };

        let province = commune.province_code;
        let enterprise_use = matches!(land_use, LandUse::Skc | LandUse::Tmd);
        let mut holders: Vec<(HolderKind, String, i32)> = Vec::new();
        let by_enterprise = (enterprise_use || self.rng.gen_bool(0.08))
            && self
                .enterprises_by_province
                .get(province)
                .is_some_and(|l| !l.is_empty());
        if by_enterprise {
            let list = &self.enterprises_by_province[province];
            let index = list[self.rng.gen_range(0..list.len())];
            holders.push((
                HolderKind::Enterprise,
                self.enterprises[index as usize].0.clone(),
                10_000,
            ));
        } else {
            let person = self.adult_in(province)?;
            let couple = self.people[person as usize]
                .spouse
                .filter(|s| self.people[*s as usize].adult_alive && self.rng.gen_bool(0.3));
            match couple {
                Some(spouse) => {
                    holders.push((
                        HolderKind::Citizen,
                        self.people[person as usize].id.clone(),
                        5_000,
                    ));
                    holders.push((
                        HolderKind::Citizen,
                        self.people[spouse as usize].id.clone(),
                        5_000,
                    ));
                }
                None => holders.push((
                    HolderKind::Citizen,
                    self.people[person as usize].id.clone(),
                    10_000,
                )),
            }
        }
        let mut rights = Vec::new();
        let issued_year = self.rng.gen_range(2005..=2024);
        if holders.len() == 1 && self.rng.gen_bool(0.1) {
            // An earlier certificate, transferred to today's holder.
            let seller = self.adult_in(province)?;
            let issued_on = self.date_in(issued_year - 5);
            let seller = &self.people[seller as usize].id;
            let mut right = land_right_of(&id, HolderKind::Citizen, seller, 10_000, issued_on);
            right.certificate_number = self.certificate();
            right.status = RightStatus::Transferred;
            right.version = 2;
            rights.push(right);
        }
        for (kind, holder_id, share_bp) in holders {
            let issued_on = self.date_in(issued_year);
            let mut right = land_right_of(&id, kind, &holder_id, share_bp, issued_on);
            right.certificate_number = self.certificate();
            right.mortgaged = self.rng.gen_bool(0.1);
            rights.push(right);
        }
        Ok((parcel, rights))
    }
}

/// An active, unmortgaged certificate at version 1 (its number to be
/// drawn): the fields every seeded right shares.
fn land_right_of(
    parcel_id: &str,
    kind: HolderKind,
    holder_id: &str,
    share_bp: i32,
    issued_on: chrono::NaiveDate,
) -> land_right::Model {
    let (holder_citizen_id, holder_enterprise_id) = Holder {
        kind,
        id: holder_id,
    }
    .columns();
    land_right::Model {
        certificate_number: String::new(),
        parcel_id: parcel_id.to_owned(),
        holder_citizen_id,
        holder_enterprise_id,
        share_bp,
        issued_on,
        status: RightStatus::Active,
        mortgaged: false,
        version: 1,
        updated_at: seeded_at(),
    }
}

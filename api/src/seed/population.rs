//! The population part of the demo data: personal ids, citizens and their
//! households (a head, often a spouse, children linked to both), and the
//! living adults that enterprises and land rights are given to. How the
//! rows are inserted is in `mod.rs`; enterprises and land are not here.

use super::{Generator, names, seeded_at};
use crate::refdata::{Commune, reference};
use crate::text;
use anyhow::bail;
use chrono::Datelike;
use entities::population::{CitizenStatus, Sex, citizen, household};
use rand::Rng;
use rand::seq::SliceRandom;

/// A citizen kept in memory to link enterprises and land to.
pub(super) struct Person {
    pub(super) id: String,
    pub(super) spouse: Option<u32>,
    pub(super) adult_alive: bool,
}

impl Generator {
    /// A personal id for someone born in `year` of `sex`, registered in a
    /// former province that is now part of `province`.
    fn personal_id(&mut self, province: &str, sex: Sex, year: i32) -> String {
        let legacy = reference()
            .legacy_provinces_by_new
            .get(province)
            .and_then(|codes| codes.choose(&mut self.rng))
            .expect("every province has former provinces");
        let century_sex = match (year >= 2000, sex) {
            (false, Sex::Male) => 0,
            (false, Sex::Female) => 1,
            (true, Sex::Male) => 2,
            (true, Sex::Female) => 3,
        };
        let prefix = format!("0{legacy}{century_sex}{:02}", year % 100);
        let serial = self.id_serials.entry(prefix.clone()).or_default();
        *serial += 1;
        // A bijection on 0..1,000,000 (7,919 is prime to 10^6), offset by
        // the prefix, so that serials look random and never repeat.
        let offset = prefix.parse::<u64>().expect("digits") * 104_729;
        let scrambled = (u64::from(*serial) * 7_919 + offset) % 1_000_000;
        format!("{prefix}{scrambled:06}")
    }

    #[allow(clippy::too_many_arguments)]
    fn person(
        &mut self,
        commune: &'static Commune,
        household_id: i64,
        address: &str,
        sex: Sex,
        year: i32,
        family: &'static str,
    ) -> citizen::Model {
        let (middle, given) = self.names.personal(&mut self.rng, sex);
        let full_name = format!("{family} {middle} {given}");
        let born = self.date_in(year);
        let origin = if self.rng.gen_bool(0.8) {
            commune
        } else {
            self.commune()
        };
        let deceased = (year < 1950 && self.rng.gen_bool(0.3)) || self.rng.gen_bool(0.01);
        let date_of_death = deceased.then(|| {
            let year = self
                .rng
                .gen_range((year + 40).min(self.now_year)..=self.now_year);
            self.date_in(year)
        });
        citizen::Model {
            personal_id: self.personal_id(commune.province_code, sex, year),
            search_name: text::fold(&full_name),
            full_name,
            sex,
            date_of_birth: born,
            ethnicity: self.names.ethnicity(&mut self.rng).to_owned(),
            nationality: "VN".into(),
            place_of_origin_commune: origin.code.to_owned(),
            residence_commune: commune.code.to_owned(),
            residence_province: commune.province_code.to_owned(),
            residence_line: address.to_owned(),
            household_id: Some(household_id),
            father_id: None,
            mother_id: None,
            spouse_id: None,
            status: if deceased {
                CitizenStatus::Deceased
            } else {
                CitizenStatus::Alive
            },
            date_of_death,
            version: 1,
            updated_at: seeded_at(),
        }
    }

    /// A household of at most `limit` members: a head, often a spouse, and
    /// children linked to their parents.
    pub(super) fn household(&mut self, limit: u64) -> (household::Model, Vec<citizen::Model>) {
        let commune = self.commune();
        let id = self.next_household;
        self.next_household += 1;
        let address = names::address(&mut self.rng, commune.kind);
        let size = [1u64, 2, 2, 3, 3, 3, 4, 4, 4, 5]
            .choose(&mut self.rng)
            .copied()
            .expect("sizes")
            .min(limit);
        let head_year = self.rng.gen_range(1945..=2000);
        let family = self.names.family(&mut self.rng);
        let head_sex = if size == 1 && self.rng.gen_bool(0.4) {
            Sex::Female
        } else {
            Sex::Male
        };
        let mut members = vec![self.person(commune, id, &address, head_sex, head_year, family)];
        if size >= 2 {
            let year = (head_year + self.rng.gen_range(-3..=6)).min(2004);
            let spouse_family = self.names.family(&mut self.rng);
            let mut spouse = self.person(commune, id, &address, Sex::Female, year, spouse_family);
            spouse.spouse_id = Some(members[0].personal_id.clone());
            members[0].spouse_id = Some(spouse.personal_id.clone());
            members.push(spouse);
        }
        for _ in 2..size {
            let mother_year = members[1].date_of_birth.year();
            let year = (mother_year + self.rng.gen_range(20..=38)).min(self.now_year);
            let sex = if self.rng.gen_bool(0.5) {
                Sex::Male
            } else {
                Sex::Female
            };
            let mut child = self.person(commune, id, &address, sex, year, family);
            child.father_id = Some(members[0].personal_id.clone());
            child.mother_id = Some(members[1].personal_id.clone());
            if child.status == CitizenStatus::Deceased && year > 2000 {
                child.status = CitizenStatus::Alive;
                child.date_of_death = None;
            }
            members.push(child);
        }
        let first_index = self.people.len() as u32;
        for (offset, m) in members.iter().enumerate() {
            let index = first_index + offset as u32;
            let adult_alive =
                m.status == CitizenStatus::Alive && self.now_year - m.date_of_birth.year() >= 18;
            let spouse = match (offset, members.len() >= 2) {
                (0, true) => Some(first_index + 1),
                (1, _) => Some(first_index),
                _ => None,
            };
            if adult_alive {
                self.adults_by_province
                    .entry(commune.province_code)
                    .or_default()
                    .push(index);
            }
            self.people.push(Person {
                id: m.personal_id.clone(),
                spouse,
                adult_alive,
            });
        }
        let household = household::Model {
            id,
            head_id: members[0].personal_id.clone(),
            commune_code: commune.code.to_owned(),
            province_code: commune.province_code.to_owned(),
            address_line: address,
            version: 1,
        };
        (household, members)
    }

    /// A living adult, from `province` when it has one.
    pub(super) fn adult_in(&mut self, province: &str) -> anyhow::Result<u32> {
        if let Some(list) = self.adults_by_province.get(province)
            && !list.is_empty()
        {
            return Ok(list[self.rng.gen_range(0..list.len())]);
        }
        let provinces: Vec<&&str> = self.adults_by_province.keys().collect();
        let Some(any) = provinces.choose(&mut self.rng).copied().copied() else {
            bail!("enterprises and land rights need citizens: seed some citizens too");
        };
        let list = &self.adults_by_province[any];
        Ok(list[self.rng.gen_range(0..list.len())])
    }
}

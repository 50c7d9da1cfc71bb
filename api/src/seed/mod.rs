//! Deterministic demo data and bulk loading.
//!
//! The same seed gives the same rows on every machine: households of
//! citizens with parents and spouses linked, enterprises with legal
//! representatives, members and industries, parcels with land rights held by
//! citizens and enterprises, spread over all 34 provinces. Every identifier
//! is valid by the rules in `ids`. Rows are inserted in multi-row statements
//! inside large transactions, which is what makes a million citizens a
//! matter of minutes on SQLite.

mod agencies;
mod names;

pub use agencies::{
    DemoAgency, DemoGrant, demo_agencies, demo_grants, ensure_client_secrets, ensure_demo_agencies,
};

use crate::ids::{self, ParcelId};
use crate::refdata::{Commune, reference};
use crate::text;
use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entities::enterprise::{
    EnterpriseStatus, EnterpriseType, MemberKind, enterprise, enterprise_industry,
    enterprise_member,
};
use entities::land::{HolderKind, LandUse, RightStatus, land_parcel, land_right};
use entities::population::{CitizenStatus, Sex, citizen, household};
use indicatif::{ProgressBar, ProgressStyle};
use names::Names;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    DatabaseConnection, EntityTrait, IntoActiveModel, Iterable, PaginatorTrait, TransactionTrait,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How much demo data to make.
#[derive(Debug, Clone, Copy)]
pub struct SeedSize {
    pub citizens: u64,
    pub enterprises: u64,
    pub parcels: u64,
}

impl SeedSize {
    /// What a first start in demo mode loads.
    pub const DEMO: SeedSize = SeedSize {
        citizens: 10_000,
        enterprises: 2_000,
        parcels: 10_000,
    };
}

/// What a seed run wrote and how long it took.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub citizens: u64,
    pub households: u64,
    pub enterprises: u64,
    pub parcels: u64,
    pub land_rights: u64,
    pub elapsed: Duration,
    /// Time spent on each kind of row.
    pub phases: Vec<(&'static str, Duration)>,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "{} citizens in {} households, {} enterprises, {} parcels with {} land rights in {:.1} s ({:.0} citizens/s)",
            self.citizens,
            self.households,
            self.enterprises,
            self.parcels,
            self.land_rights,
            secs,
            self.citizens as f64 / secs.max(0.001)
        )?;
        for (phase, took) in &self.phases {
            write!(f, "; {phase} {:.1} s", took.as_secs_f64())?;
        }
        Ok(())
    }
}

/// When the demo rows were last updated: a fixed instant, for determinism.
fn seeded_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-07-01T00:00:00Z")
        .expect("valid")
        .with_timezone(&Utc)
}

/// A citizen kept in memory to link enterprises and land to.
struct Person {
    id: String,
    spouse: Option<u32>,
    adult_alive: bool,
}

/// Loads demo data into a database whose population, enterprise and land
/// tables are empty.
pub async fn seed(
    db: &DatabaseConnection,
    size: SeedSize,
    seed: u64,
    show_progress: bool,
) -> anyhow::Result<SeedReport> {
    let existing = citizen::Entity::find().count(db).await?
        + enterprise::Entity::find().count(db).await?
        + land_parcel::Entity::find().count(db).await?;
    if existing > 0 {
        bail!(
            "the database already holds {existing} citizens, enterprises or parcels; seed a fresh database (set --database-url)"
        );
    }
    let started = Instant::now();
    let mut generator = Generator::new(seed);
    let mut report = SeedReport::default();
    let bar = progress(
        show_progress,
        size.citizens + size.enterprises + size.parcels,
    );

    bar.set_message("citizens");
    while report.citizens < size.citizens {
        let mut households = Vec::new();
        let mut citizens = Vec::new();
        while citizens.len() < 20_000 && report.citizens + (citizens.len() as u64) < size.citizens {
            let left = size.citizens - report.citizens - citizens.len() as u64;
            let (h, members) = generator.household(left);
            households.push(h);
            citizens.extend(members);
        }
        report.households += households.len() as u64;
        report.citizens += citizens.len() as u64;
        let txn = db.begin().await?;
        insert_all::<household::Entity, _>(&txn, households).await?;
        bar.inc(citizens.len() as u64);
        insert_all::<citizen::Entity, _>(&txn, citizens).await?;
        txn.commit().await?;
    }

    report.phases.push(("citizens", started.elapsed()));
    let phase = Instant::now();
    bar.set_message("enterprises");
    while report.enterprises < size.enterprises {
        let count = (size.enterprises - report.enterprises).min(5_000);
        let (mut rows, mut members, mut industries) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..count {
            let (e, m, i) = generator.enterprise()?;
            rows.push(e);
            members.extend(m);
            industries.extend(i);
        }
        report.enterprises += count;
        let txn = db.begin().await?;
        insert_all::<enterprise::Entity, _>(&txn, rows).await?;
        insert_all::<enterprise_member::Entity, _>(&txn, members).await?;
        insert_all::<enterprise_industry::Entity, _>(&txn, industries).await?;
        txn.commit().await?;
        bar.inc(count);
    }

    report.phases.push(("enterprises", phase.elapsed()));
    let phase = Instant::now();
    bar.set_message("parcels");
    while report.parcels < size.parcels {
        let count = (size.parcels - report.parcels).min(10_000);
        let (mut parcels, mut rights) = (Vec::new(), Vec::new());
        for _ in 0..count {
            let (p, r) = generator.parcel()?;
            parcels.push(p);
            rights.extend(r);
        }
        report.parcels += count;
        report.land_rights += rights.len() as u64;
        let txn = db.begin().await?;
        insert_all::<land_parcel::Entity, _>(&txn, parcels).await?;
        insert_all::<land_right::Entity, _>(&txn, rights).await?;
        txn.commit().await?;
        bar.inc(count);
    }
    report.phases.push(("parcels", phase.elapsed()));
    bar.finish_and_clear();
    report.elapsed = started.elapsed();
    Ok(report)
}

fn progress(show: bool, total: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} rows, {per_sec}, eta {eta}")
            .expect("template")
            .progress_chars("=> "),
    );
    bar
}

/// Inserts models in multi-row statements small enough for both databases'
/// bound-parameter limits (SQLite: 32,766; PostgreSQL: 65,535).
async fn insert_all<E, C>(db: &C, rows: Vec<E::Model>) -> anyhow::Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    C: sea_orm::ConnectionTrait,
{
    const MAX_PARAMS: usize = 30_000;
    let columns = E::Column::iter().count();
    let per_statement = (MAX_PARAMS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows
            .by_ref()
            .take(per_statement)
            .map(IntoActiveModel::into_active_model)
            .collect();
        E::insert_many(chunk)
            .exec_without_returning(db)
            .await
            .context("bulk insert")?;
    }
    Ok(())
}

/// Makes rows; holds the counters that keep identifiers unique.
struct Generator {
    rng: ChaCha8Rng,
    names: Names,
    communes: Vec<&'static Commune>,
    now_year: i32,
    next_household: i64,
    /// Serial numbers used per personal-id prefix (first six digits).
    id_serials: HashMap<String, u32>,
    people: Vec<Person>,
    adults_by_province: HashMap<&'static str, Vec<u32>>,
    /// Next sequential part of tax codes, per province prefix.
    tax_serials: HashMap<&'static str, u32>,
    enterprises: Vec<(String, &'static str)>,
    enterprises_by_province: HashMap<&'static str, Vec<u32>>,
    parcels_per_commune: HashMap<&'static str, u32>,
    next_certificate: u32,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            names: Names::load(),
            communes: reference().communes.values().collect(),
            now_year: 2025,
            next_household: 1,
            id_serials: HashMap::new(),
            people: Vec::new(),
            adults_by_province: HashMap::new(),
            tax_serials: HashMap::new(),
            enterprises: Vec::new(),
            enterprises_by_province: HashMap::new(),
            parcels_per_commune: HashMap::new(),
            next_certificate: 0,
        }
    }

    fn commune(&mut self) -> &'static Commune {
        self.communes[self.rng.gen_range(0..self.communes.len())]
    }

    fn date_in(&mut self, year: i32) -> NaiveDate {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("year");
        let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
            366
        } else {
            365
        };
        first + chrono::Days::new(self.rng.gen_range(0..days))
    }

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
    fn household(&mut self, limit: u64) -> (household::Model, Vec<citizen::Model>) {
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
    fn adult_in(&mut self, province: &str) -> anyhow::Result<u32> {
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

    fn tax_code(&mut self, province: &'static str) -> String {
        loop {
            let serial = self.tax_serials.entry(province).or_insert(100_000);
            *serial += 1;
            let first_nine = format!("{province}{serial:07}");
            let digits: [u8; 9] = first_nine
                .bytes()
                .map(|b| b - b'0')
                .collect::<Vec<_>>()
                .try_into()
                .expect("nine digits");
            if let Some(check) = ids::tax_code_check_digit(&digits) {
                return format!("{first_nine}{check}");
            }
        }
    }

    fn enterprise(
        &mut self,
    ) -> anyhow::Result<(
        enterprise::Model,
        Vec<enterprise_member::Model>,
        Vec<enterprise_industry::Model>,
    )> {
        let commune = self.commune();
        let province = commune.province_code;
        let code = self.tax_code(province);
        let kind = *[
            EnterpriseType::LlcOne,
            EnterpriseType::LlcOne,
            EnterpriseType::LlcOne,
            EnterpriseType::LlcMulti,
            EnterpriseType::LlcMulti,
            EnterpriseType::JointStock,
            EnterpriseType::JointStock,
            EnterpriseType::Private,
            EnterpriseType::Partnership,
        ]
        .choose(&mut self.rng)
        .expect("types");
        let (trade, trade_en, vsic) = *names::TRADES.choose(&mut self.rng).expect("trades");
        let brand = self.names.brand(&mut self.rng);
        let (prefix, suffix_en) = match kind {
            EnterpriseType::LlcOne => ("Công ty TNHH Một thành viên", "One Member Company Limited"),
            EnterpriseType::LlcMulti => ("Công ty TNHH", "Company Limited"),
            EnterpriseType::JointStock => ("Công ty Cổ phần", "Joint Stock Company"),
            EnterpriseType::Private => ("Doanh nghiệp tư nhân", "Private Enterprise"),
            EnterpriseType::Partnership => ("Công ty Hợp danh", "Partnership"),
        };
        let name = format!("{prefix} {trade} {brand}");
        let name_en = format!(
            "{} {trade_en} {suffix_en}",
            text::fold(&brand).to_uppercase()
        );
        let status = match self.rng.gen_range(0..100) {
            0..85 => EnterpriseStatus::Active,
            85..95 => EnterpriseStatus::Suspended,
            _ => EnterpriseStatus::Dissolved,
        };
        let rep = self.adult_in(province)?;
        let rep_id = self.people[rep as usize].id.clone();
        let founded_year = self.rng.gen_range(1995..=2025);
        let founded_on = self.date_in(founded_year);
        let capital = *[100u64, 500, 1_000, 2_000, 5_000, 10_000, 50_000]
            .choose(&mut self.rng)
            .expect("capitals") as i64
            * 1_000_000;

        let member_count = match kind {
            EnterpriseType::LlcOne | EnterpriseType::Private => 1,
            EnterpriseType::LlcMulti => self.rng.gen_range(2..=4),
            EnterpriseType::JointStock => self.rng.gen_range(3..=6),
            EnterpriseType::Partnership => self.rng.gen_range(2..=3),
        };
        let mut member_ids: Vec<(MemberKind, String)> = vec![(MemberKind::Citizen, rep_id.clone())];
        while member_ids.len() < member_count {
            let candidate = if kind == EnterpriseType::JointStock
                && !self.enterprises.is_empty()
                && self.rng.gen_bool(0.2)
            {
                let (code, _) = self.enterprises.choose(&mut self.rng).expect("non-empty");
                (MemberKind::Enterprise, code.clone())
            } else {
                let person = self.adult_in(province)?;
                (MemberKind::Citizen, self.people[person as usize].id.clone())
            };
            if member_ids.contains(&candidate) {
                // Small provinces may have few adults: accept fewer members.
                if self.rng.gen_bool(0.5) {
                    break;
                }
                continue;
            }
            member_ids.push(candidate);
        }
        let shares = split_whole(&mut self.rng, member_ids.len());
        let members = member_ids
            .into_iter()
            .zip(shares)
            .map(
                |((member_kind, member_id), share_bp)| enterprise_member::Model {
                    enterprise_code: code.clone(),
                    member_kind,
                    member_id,
                    share_bp,
                },
            )
            .collect();

        let mut vsics = vec![vsic];
        for _ in 0..self.rng.gen_range(0..=2) {
            let (_, _, other) = *names::TRADES.choose(&mut self.rng).expect("trades");
            if !vsics.contains(&other) {
                vsics.push(other);
            }
        }
        let industries = vsics
            .iter()
            .enumerate()
            .map(|(i, v)| enterprise_industry::Model {
                enterprise_code: code.clone(),
                vsic_code: (*v).to_owned(),
                is_main: i == 0,
            })
            .collect();

        let index = self.enterprises.len() as u32;
        self.enterprises.push((code.clone(), province));
        self.enterprises_by_province
            .entry(province)
            .or_default()
            .push(index);
        let row = enterprise::Model {
            search_name: text::fold(&name),
            name,
            name_en: Some(name_en),
            code,
            enterprise_type: kind,
            status,
            founded_on,
            registered_capital_vnd: capital,
            head_office_commune: commune.code.to_owned(),
            head_office_province: province.to_owned(),
            head_office_line: names::address(&mut self.rng, commune.kind),
            legal_rep_id: rep_id,
            version: 1,
            updated_at: seeded_at(),
        };
        Ok((row, members, industries))
    }

    fn certificate(&mut self) -> String {
        const SERIES: &[&str] = &["BA", "BB", "BC", "BD", "CH", "CK", "CS", "CT", "DA", "DB"];
        let n = self.next_certificate;
        self.next_certificate += 1;
        let series = SERIES[(n / 1_000_000) as usize % SERIES.len()];
        format!("{series}{:06}", n % 1_000_000)
    }

    fn parcel(&mut self) -> anyhow::Result<(land_parcel::Model, Vec<land_right::Model>)> {
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
            rights.push(land_right::Model {
                certificate_number: self.certificate(),
                parcel_id: id.clone(),
                holder_kind: HolderKind::Citizen,
                holder_id: self.people[seller as usize].id.clone(),
                share_bp: 10_000,
                issued_on,
                status: RightStatus::Transferred,
                mortgaged: false,
                version: 2,
                updated_at: seeded_at(),
            });
        }
        for (holder_kind, holder_id, share_bp) in holders {
            let issued_on = self.date_in(issued_year);
            rights.push(land_right::Model {
                certificate_number: self.certificate(),
                parcel_id: id.clone(),
                holder_kind,
                holder_id,
                share_bp,
                issued_on,
                status: RightStatus::Active,
                mortgaged: self.rng.gen_bool(0.1),
                version: 1,
                updated_at: seeded_at(),
            });
        }
        Ok((parcel, rights))
    }
}

/// Splits 10,000 basis points into `n` positive shares, the first largest.
fn split_whole<R: Rng>(rng: &mut R, n: usize) -> Vec<i32> {
    if n <= 1 {
        return vec![10_000];
    }
    let first = rng.gen_range(3_000..=7_000);
    let mut shares = vec![first];
    let mut left = 10_000 - first;
    for i in 1..n {
        let share = if i == n - 1 {
            left
        } else {
            let most = left - (n - 1 - i) as i32 * 100;
            rng.gen_range(100..=most.max(100)).min(left / 2).max(100)
        };
        shares.push(share);
        left -= share;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identifiers_are_valid_and_consistent() {
        let mut g = Generator::new(7);
        let mut citizens = Vec::new();
        while citizens.len() < 2_000 {
            citizens.extend(g.household(5).1);
        }
        let mut seen = std::collections::HashSet::new();
        for c in &citizens {
            ids::check_personal_id_agrees(&c.personal_id, c.sex, c.date_of_birth).unwrap();
            assert!(
                seen.insert(c.personal_id.clone()),
                "duplicate {}",
                c.personal_id
            );
            assert_eq!(
                reference()
                    .commune(&c.residence_commune)
                    .unwrap()
                    .province_code,
                c.residence_province
            );
        }
        let mut codes = std::collections::HashSet::new();
        for _ in 0..300 {
            let (e, members, industries) = g.enterprise().unwrap();
            ids::parse_tax_code(&e.code).unwrap();
            assert!(codes.insert(e.code.clone()));
            assert_eq!(members.iter().map(|m| m.share_bp).sum::<i32>(), 10_000);
            assert!(members.iter().all(|m| m.share_bp > 0));
            assert_eq!(industries.iter().filter(|i| i.is_main).count(), 1);
        }
        for _ in 0..500 {
            let (p, rights) = g.parcel().unwrap();
            ids::parse_parcel_id(&p.id).unwrap();
            let active: i32 = rights
                .iter()
                .filter(|r| r.status == RightStatus::Active)
                .map(|r| r.share_bp)
                .sum();
            assert_eq!(active, 10_000);
            for r in &rights {
                ids::parse_certificate_number(&r.certificate_number).unwrap();
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_rows() {
        let (mut a, mut b) = (Generator::new(42), Generator::new(42));
        for _ in 0..50 {
            assert_eq!(a.household(5).1, b.household(5).1);
        }
    }

    #[test]
    fn shares_always_make_a_whole() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for n in 1..=6 {
            for _ in 0..200 {
                let shares = split_whole(&mut rng, n);
                assert_eq!(shares.len(), n);
                assert_eq!(shares.iter().sum::<i32>(), 10_000);
                assert!(shares.iter().all(|s| *s > 0), "{shares:?}");
            }
        }
    }
}

//! Deterministic demo data and bulk loading.
//!
//! The same seed gives the same rows on every machine: households of
//! citizens with parents and spouses linked, enterprises with legal
//! representatives, members and industries, parcels with land rights held by
//! citizens and enterprises, spread over all 34 provinces. Every identifier
//! is valid by the rules in `ids`. Rows are inserted in multi-row statements
//! inside large transactions, which is what makes a million citizens a
//! matter of minutes on SQLite.
//!
//! This file holds the loader (`seed`: the order rows go in, which the
//! foreign keys decide, and the statements they go in) and the
//! [`Generator`]'s state; the generator's rows are made in `population`,
//! `enterprise` and `land`, the demo agencies and grants in `agencies`, the
//! names and addresses in `names`.

mod agencies;
mod enterprise;
mod land;
mod names;
mod population;

pub use agencies::{
    DemoAgency, DemoGrant, demo_agencies, demo_grants, ensure_client_secrets, ensure_demo_agencies,
};

use crate::refdata::{Commune, reference};
use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use entities::enterprise::{enterprise_industry, enterprise_member};
use entities::land::{land_parcel, land_right};
use entities::population::{citizen, household};
use indicatif::{ProgressBar, ProgressStyle};
use names::Names;
use population::Person;
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

/// Loads demo data into a database whose population, enterprise and land
/// tables are empty.
pub async fn seed(
    db: &DatabaseConnection,
    size: SeedSize,
    seed: u64,
    show_progress: bool,
) -> anyhow::Result<SeedReport> {
    let existing = citizen::Entity::find().count(db).await?
        + entities::enterprise::enterprise::Entity::find()
            .count(db)
            .await?
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
        let (mut families, mut people) = (Vec::new(), 0u64);
        while people < 20_000 && report.citizens + people < size.citizens {
            let left = size.citizens - report.citizens - people;
            let (h, members) = generator.household(left);
            households.push(h);
            people += members.len() as u64;
            families.push(members);
        }
        report.households += households.len() as u64;
        report.citizens += people;
        // A household names its head, who is checked at commit; spouses
        // name each other, which only one statement can insert.
        let txn = db.begin().await?;
        insert_all::<household::Entity, _>(&txn, households).await?;
        bar.inc(people);
        insert_groups::<citizen::Entity, _>(&txn, families).await?;
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
        insert_all::<entities::enterprise::enterprise::Entity, _>(&txn, rows).await?;
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

/// Bound parameters per statement: under both databases' limits (SQLite:
/// 32,766; PostgreSQL: 65,535).
const MAX_PARAMS: usize = 30_000;

/// Rows of `E` per multi-row statement.
fn per_statement<E: EntityTrait>() -> usize {
    (MAX_PARAMS / E::Column::iter().count()).max(1)
}

/// Inserts models in multi-row statements.
async fn insert_all<E, C>(db: &C, rows: Vec<E::Model>) -> anyhow::Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    C: sea_orm::ConnectionTrait,
{
    let per_statement = per_statement::<E>();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::Model> = rows.by_ref().take(per_statement).collect();
        insert_statement::<E, C>(db, chunk).await?;
    }
    Ok(())
}

/// Inserts groups of models in multi-row statements, each group whole in
/// one statement (its rows may name each other, which the database checks
/// at the end of the statement).
async fn insert_groups<E, C>(db: &C, groups: Vec<Vec<E::Model>>) -> anyhow::Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    C: sea_orm::ConnectionTrait,
{
    let per_statement = per_statement::<E>();
    let mut chunk = Vec::new();
    for group in groups {
        if !chunk.is_empty() && chunk.len() + group.len() > per_statement {
            insert_statement::<E, C>(db, std::mem::take(&mut chunk)).await?;
        }
        chunk.extend(group);
    }
    insert_statement::<E, C>(db, chunk).await
}

async fn insert_statement<E, C>(db: &C, rows: Vec<E::Model>) -> anyhow::Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    C: sea_orm::ConnectionTrait,
{
    if rows.is_empty() {
        return Ok(());
    }
    E::insert_many(rows.into_iter().map(IntoActiveModel::into_active_model))
        .exec_without_returning(db)
        .await
        .context("bulk insert")?;
    Ok(())
}

/// Makes rows (in `population`, `enterprise` and `land`); holds the
/// counters that keep identifiers unique.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids;
    use entities::land::RightStatus;

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
}

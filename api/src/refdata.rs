//! The reference data in memory: administrative units, former units and
//! industries, parsed once from the files compiled into `migration`.
//!
//! These never change while the hub runs, so lookups of a commune or a
//! province cost no SQL statement and identifiers can be checked anywhere.

use migration::reference as csv;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// A province or centrally-run city.
#[derive(Debug)]
pub struct Province {
    pub code: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub kind: &'static str,
}

/// A commune, ward or special zone.
#[derive(Debug)]
pub struct Commune {
    pub code: &'static str,
    pub name: &'static str,
    pub name_ascii: &'static str,
    pub kind: &'static str,
    pub province_code: &'static str,
}

/// A province in force until 30 June 2025.
#[derive(Debug)]
pub struct LegacyProvince {
    pub code: &'static str,
    pub name: &'static str,
    pub new_province_code: &'static str,
}

/// A commune in force until 30 June 2025, paired with one of its successors.
#[derive(Debug)]
pub struct LegacyCommune {
    pub old_code: &'static str,
    pub old_name: &'static str,
    pub old_district_name: &'static str,
    pub old_province_code: &'static str,
    pub new_code: &'static str,
}

/// An industry of the VSIC classification.
#[derive(Debug)]
pub struct Industry {
    pub code: &'static str,
    pub name: &'static str,
}

/// All reference data, indexed for the lookups the API makes.
#[derive(Debug)]
pub struct RefData {
    pub provinces: BTreeMap<&'static str, Province>,
    pub communes: BTreeMap<&'static str, Commune>,
    /// Commune codes of each province, in code order.
    pub communes_by_province: HashMap<&'static str, Vec<&'static str>>,
    pub legacy_provinces: BTreeMap<&'static str, LegacyProvince>,
    /// Former provinces of each new province.
    pub legacy_provinces_by_new: HashMap<&'static str, Vec<&'static str>>,
    /// Former communes of each new commune.
    pub legacy_communes_by_new: HashMap<&'static str, Vec<LegacyCommune>>,
    pub industries: BTreeMap<&'static str, Industry>,
}

impl RefData {
    pub fn province(&self, code: &str) -> Option<&Province> {
        self.provinces.get(code)
    }

    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.communes.get(code)
    }
}

static REFERENCE: LazyLock<RefData> = LazyLock::new(load);

/// The reference data (parsed on first use).
pub fn reference() -> &'static RefData {
    &REFERENCE
}

fn load() -> RefData {
    let provinces: BTreeMap<_, _> = csv::rows(csv::PROVINCES)
        .map(|r| {
            (
                r[0],
                Province {
                    code: r[0],
                    name: r[1],
                    name_en: r[2],
                    kind: r[3],
                },
            )
        })
        .collect();
    let communes: BTreeMap<_, _> = csv::rows(csv::COMMUNES)
        .map(|r| {
            (
                r[0],
                Commune {
                    code: r[0],
                    name: r[1],
                    name_ascii: r[2],
                    kind: r[3],
                    province_code: r[4],
                },
            )
        })
        .collect();
    let mut communes_by_province: HashMap<_, Vec<_>> = HashMap::new();
    for commune in communes.values() {
        communes_by_province
            .entry(commune.province_code)
            .or_default()
            .push(commune.code);
    }
    let legacy_provinces: BTreeMap<_, _> = csv::rows(csv::LEGACY_PROVINCES)
        .map(|r| {
            (
                r[0],
                LegacyProvince {
                    code: r[0],
                    name: r[1],
                    new_province_code: r[2],
                },
            )
        })
        .collect();
    let mut legacy_provinces_by_new: HashMap<_, Vec<_>> = HashMap::new();
    for legacy in legacy_provinces.values() {
        legacy_provinces_by_new
            .entry(legacy.new_province_code)
            .or_default()
            .push(legacy.code);
    }
    let mut legacy_communes_by_new: HashMap<_, Vec<_>> = HashMap::new();
    for r in csv::rows(csv::LEGACY_COMMUNES) {
        legacy_communes_by_new
            .entry(r[4])
            .or_default()
            .push(LegacyCommune {
                old_code: r[0],
                old_name: r[1],
                old_district_name: r[2],
                old_province_code: r[3],
                new_code: r[4],
            });
    }
    let industries = csv::rows(csv::INDUSTRIES)
        .map(|r| {
            (
                r[0],
                Industry {
                    code: r[0],
                    name: r[1],
                },
            )
        })
        .collect();
    RefData {
        provinces,
        communes,
        communes_by_province,
        legacy_provinces,
        legacy_provinces_by_new,
        legacy_communes_by_new,
        industries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_official_totals() {
        let data = reference();
        assert_eq!(data.provinces.len(), 34);
        assert_eq!(data.communes.len(), 3321);
        assert_eq!(data.legacy_provinces.len(), 63);
        assert_eq!(
            data.communes_by_province
                .values()
                .map(Vec::len)
                .sum::<usize>(),
            3321
        );
        assert_eq!(data.commune("00004").unwrap().province_code, "01");
        assert!(
            data.legacy_communes_by_new["00004"]
                .iter()
                .any(|c| c.old_code == "00004")
        );
    }
}

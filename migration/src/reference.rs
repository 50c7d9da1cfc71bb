//! The reference data shipped in `migration/data/` (see `SOURCES.md` there),
//! compiled into the binary so that a fresh database needs no other file and
//! identifiers can be checked without a database.

/// The 34 provinces: `code,name,name_en_ascii,type,codename`.
pub const PROVINCES: &str = include_str!("../data/admin_units_provinces.csv");
/// The 3,321 communes: `code,name,name_ascii,type,province_code`.
pub const COMMUNES: &str = include_str!("../data/admin_units_communes.csv");
/// The 63 former provinces: `code,name,new_province_code`.
pub const LEGACY_PROVINCES: &str = include_str!("../data/admin_units_legacy_provinces.csv");
/// Former commune → new commune pairs:
/// `old_code,old_name,old_district_name,old_province_code,new_code`.
pub const LEGACY_COMMUNES: &str = include_str!("../data/admin_units_legacy_communes.csv");
/// VSIC industries used by the business register: `code,name`.
pub const INDUSTRIES: &str = include_str!("../data/vsic_industries.csv");
/// Common Vietnamese family, middle and given names: `kind,name,sex,share`.
pub const NAMES: &str = include_str!("../data/vietnamese_names.csv");
/// The largest ethnic groups with their share of the population: `name,share`.
pub const ETHNIC_GROUPS: &str = include_str!("../data/ethnic_groups.csv");

/// The data rows of a header-first CSV without quoted fields, each split on
/// commas. The shipped files have no quotes (`SOURCES.md`), which a unit
/// test below keeps true.
pub fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, columns: usize, count: usize) {
        let header = text.lines().next().unwrap();
        assert_eq!(header.split(',').count(), columns, "header {header}");
        assert!(!text.contains('"'), "quoted fields are not supported");
        let rows: Vec<_> = rows(text).collect();
        assert_eq!(rows.len(), count);
        assert!(rows.iter().all(|r| r.len() == columns));
    }

    #[test]
    fn reference_files_have_the_documented_shape() {
        check(PROVINCES, 5, 34);
        check(COMMUNES, 5, 3321);
        check(LEGACY_PROVINCES, 3, 63);
        check(LEGACY_COMMUNES, 5, 10565);
        check(INDUSTRIES, 2, 23);
    }
}

//! Unit tests of `ids`.

use super::*;

#[test]
fn personal_id_decodes_sex_and_birth_year() {
    let facts = parse_personal_id("001085012345").unwrap();
    assert_eq!(facts.sex, Sex::Male);
    assert_eq!(facts.birth_year, 1985);
    let facts = parse_personal_id("079305000001").unwrap();
    assert_eq!(facts.sex, Sex::Female);
    assert_eq!(facts.birth_year, 2005);
}

#[test]
fn personal_id_rejects_each_kind_of_mistake() {
    for bad in [
        "",
        "00108501234",
        "0010850123456",
        "00108501234a",
        "001 85012345",
    ] {
        assert!(
            parse_personal_id(bad).unwrap_err().0.contains("12 digits"),
            "{bad}"
        );
    }
    // 003 was never a province code; 100 does not start with 0.
    assert!(parse_personal_id("003085012345").is_err());
    assert!(parse_personal_id("100085012345").is_err());
    assert!(
        parse_personal_id("001585012345")
            .unwrap_err()
            .0
            .contains("4th digit")
    );
    assert!(
        parse_personal_id("001399012345")
            .unwrap_err()
            .0
            .contains("future")
    );
}

#[test]
fn personal_id_must_agree_with_sex_and_birth_date() {
    let born = NaiveDate::from_ymd_opt(1985, 3, 1).unwrap();
    assert!(check_personal_id_agrees("001085012345", Sex::Male, born).is_ok());
    assert!(check_personal_id_agrees("001085012345", Sex::Female, born).is_err());
    let other = NaiveDate::from_ymd_opt(1986, 3, 1).unwrap();
    assert!(check_personal_id_agrees("001085012345", Sex::Male, other).is_err());
}

#[test]
fn tax_code_check_digit_matches_the_design_examples() {
    assert!(parse_tax_code("0100233488").is_ok());
    assert!(
        parse_tax_code("0100233480")
            .unwrap_err()
            .0
            .contains("check digit")
    );
    assert!(parse_tax_code("0100233488-001").is_ok());
    assert!(parse_tax_code("0100233488-000").is_err());
    assert!(parse_tax_code("0100233488-01").is_err());
    assert!(parse_tax_code("010023348").is_err());
    assert!(parse_tax_code("0100000000").unwrap_err().0.contains("zero"));
    assert!(parse_tax_code("0000233488").is_err());
}

#[test]
fn tax_code_remainder_zero_has_no_valid_check_digit() {
    // Find nine digits whose weighted sum is a multiple of 11.
    let nine = (1_000_000u32..)
        .map(|n| {
            let s = format!("01{n:07}");
            let d: [u8; 9] = s.bytes().map(|b| b - b'0').collect::<Vec<_>>()[..]
                .try_into()
                .unwrap();
            (s, d)
        })
        .find(|(_, d)| tax_code_check_digit(d).is_none())
        .unwrap();
    for last in 0..10 {
        assert!(parse_tax_code(&format!("{}{last}", nine.0)).is_err());
    }
}

#[test]
fn parcel_id_needs_a_real_commune_and_positive_numbers() {
    let parsed = parse_parcel_id("00004-12-345").unwrap();
    assert_eq!(parsed.commune_code, "00004");
    assert_eq!((parsed.map_sheet, parsed.parcel_number), (12, 345));
    assert!(
        parse_parcel_id("00001-12-345")
            .unwrap_err()
            .0
            .contains("not a commune")
    );
    assert!(parse_parcel_id("00004-0-345").is_err());
    assert!(parse_parcel_id("00004-012-345").is_err());
    assert!(parse_parcel_id("00004-12").is_err());
    assert!(parse_parcel_id("00004-12-345-1").is_err());
    assert!(parse_parcel_id("00004-12-100000").is_err());
}

/// A parcel id built from its parts passes the same checks as one
/// parsed, and reads back as itself.
#[test]
fn a_parcel_id_built_from_parts_parses_back() {
    for (sheet, number) in [(1, 1), (12, 345), (MAX_MAP_SHEET, MAX_PARCEL_NUMBER)] {
        let built = ParcelId::new("00004", sheet, number).unwrap();
        assert_eq!(parse_parcel_id(&built.to_string()).unwrap(), built);
    }
    for (sheet, number) in [
        (0, 1),
        (-3, 1),
        (1, 0),
        (10_000, 1),
        (1, 100_000),
        (i32::MAX, 1),
    ] {
        assert!(
            ParcelId::new("00004", sheet, number).is_err(),
            "{sheet} {number}"
        );
        assert!(parse_parcel_id(&ParcelId::format("00004", sheet, number)).is_err());
    }
    assert!(ParcelId::new("00001", 1, 1).is_err());
}

#[test]
fn administrative_codes_must_exist() {
    assert!(check_commune_code("00004").is_ok());
    assert!(check_commune_code("0004").is_err());
    assert!(check_province_code("68").is_ok());
    assert!(
        check_province_code("02")
            .unwrap_err()
            .0
            .contains("34 provinces")
    );
    assert!(check_province_code("1").is_err());
    assert!(parse_certificate_number("DA123456").is_ok());
    assert!(parse_certificate_number("da123456").is_err());
    assert!(parse_certificate_number("DA12345").is_err());
}

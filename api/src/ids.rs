//! Identifiers are validated, not trusted: personal ids, enterprise tax
//! codes, land parcel ids, certificate numbers and administrative codes.
//!
//! Each `parse_*` returns the identifier's parts or an [`IdError`] whose
//! message says what is wrong, which the API turns into `BAD_USER_INPUT`.

use crate::refdata::reference;
use chrono::{Datelike, NaiveDate};
use entities::population::Sex;

/// A malformed identifier, with a message fit for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, IdError> {
    Err(IdError(message.into()))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// What a personal id says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonalIdFacts {
    pub sex: Sex,
    pub birth_year: i32,
}

/// Checks a 12-digit personal id: a former-province birth registration code
/// (`001`…`096`), a century-and-sex digit and the last two digits of the
/// birth year, then six random digits.
pub fn parse_personal_id(id: &str) -> Result<PersonalIdFacts, IdError> {
    if id.len() != 12 || !all_digits(id) {
        return fail(format!(
            "personal id must be exactly 12 digits, got {:?}",
            truncate(id)
        ));
    }
    let province = &id[1..3];
    if &id[0..1] != "0" || !reference().legacy_provinces.contains_key(province) {
        return fail(format!(
            "personal id {id} does not start with a province birth registration code (001 to 096)"
        ));
    }
    let (sex, century) = match id.as_bytes()[3] {
        b'0' => (Sex::Male, 1900),
        b'1' => (Sex::Female, 1900),
        b'2' => (Sex::Male, 2000),
        b'3' => (Sex::Female, 2000),
        other => {
            return fail(format!(
                "personal id {id}: the 4th digit (century and sex) must be 0 to 3, got {}",
                other as char
            ));
        }
    };
    let birth_year = century + id[4..6].parse::<i32>().expect("two digits");
    if birth_year > chrono::Utc::now().year() {
        return fail(format!(
            "personal id {id} encodes the birth year {birth_year}, which is in the future"
        ));
    }
    Ok(PersonalIdFacts { sex, birth_year })
}

/// Checks that a personal id agrees with the sex and date of birth recorded
/// for its holder.
pub fn check_personal_id_agrees(id: &str, sex: Sex, born: NaiveDate) -> Result<(), IdError> {
    let facts = parse_personal_id(id)?;
    if facts.sex != sex {
        return fail(format!(
            "personal id {id} encodes sex {:?}, not {sex:?}",
            facts.sex
        ));
    }
    if facts.birth_year != born.year() {
        return fail(format!(
            "personal id {id} encodes birth year {}, not {}",
            facts.birth_year,
            born.year()
        ));
    }
    Ok(())
}

/// The check digit of the first nine digits of a tax code, or `None` when
/// the weighted sum leaves a remainder of 0 (no valid code has those nine).
pub fn tax_code_check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = first_nine
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match sum % 11 {
        0 => None,
        r => Some((10 - r) as u8),
    }
}

/// Checks an enterprise tax code: 10 digits (2 for the province, 7
/// sequential, 1 check digit), optionally `-` and a 3-digit branch number.
pub fn parse_tax_code(code: &str) -> Result<(), IdError> {
    let (main, branch) = match code.split_once('-') {
        Some((main, branch)) => (main, Some(branch)),
        None => (code, None),
    };
    if main.len() != 10 || !all_digits(main) {
        return fail(format!(
            "enterprise code must be 10 digits (a branch adds -NNN), got {:?}",
            truncate(code)
        ));
    }
    if &main[0..2] == "00" {
        return fail(format!(
            "enterprise code {code}: province digits 00 are not used"
        ));
    }
    if &main[2..9] == "0000000" {
        return fail(format!(
            "enterprise code {code}: the sequential digits may not all be zero"
        ));
    }
    let digits: Vec<u8> = main.bytes().map(|b| b - b'0').collect();
    let first_nine: [u8; 9] = digits[..9].try_into().expect("nine digits");
    match tax_code_check_digit(&first_nine) {
        Some(check) if check == digits[9] => {}
        Some(check) => {
            return fail(format!(
                "enterprise code {code}: check digit should be {check}, not {}",
                digits[9]
            ));
        }
        None => {
            return fail(format!(
                "enterprise code {code}: no valid code starts with these nine digits"
            ));
        }
    }
    if let Some(branch) = branch
        && (branch.len() != 3 || !all_digits(branch) || branch == "000")
    {
        return fail(format!(
            "enterprise code {code}: a branch suffix is 3 digits from 001 to 999"
        ));
    }
    Ok(())
}

/// The largest map sheet number of a parcel id.
pub const MAX_MAP_SHEET: i32 = 9_999;
/// The largest parcel number on a map sheet.
pub const MAX_PARCEL_NUMBER: i32 = 99_999;

/// The parts of a land parcel id `<commune>-<map sheet>-<parcel number>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcelId {
    pub commune_code: String,
    pub map_sheet: i32,
    pub parcel_number: i32,
}

impl ParcelId {
    /// A parcel id from its parts: an existing commune code, a map sheet
    /// number (1–9999) and a parcel number within it (1–99999). The one
    /// check behind both registering a parcel and [`parse_parcel_id`], so
    /// that every parcel registered can be looked up.
    pub fn new(
        commune_code: &str,
        map_sheet: i32,
        parcel_number: i32,
    ) -> Result<ParcelId, IdError> {
        check_commune_code(commune_code)?;
        for (n, what, max) in [
            (map_sheet, "map sheet", MAX_MAP_SHEET),
            (parcel_number, "parcel number", MAX_PARCEL_NUMBER),
        ] {
            if !(1..=max).contains(&n) {
                return fail(format!("{what} must be a number from 1 to {max}, got {n}"));
            }
        }
        Ok(ParcelId {
            commune_code: commune_code.to_owned(),
            map_sheet,
            parcel_number,
        })
    }

    /// The canonical text form, e.g. `00004-12-345`.
    pub fn format(commune_code: &str, map_sheet: i32, parcel_number: i32) -> String {
        format!("{commune_code}-{map_sheet}-{parcel_number}")
    }
}

impl std::fmt::Display for ParcelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&ParcelId::format(
            &self.commune_code,
            self.map_sheet,
            self.parcel_number,
        ))
    }
}

/// Checks a land parcel id: an existing commune code, a map sheet number
/// (1–9999) and a parcel number within it (1–99999), without leading zeros.
pub fn parse_parcel_id(id: &str) -> Result<ParcelId, IdError> {
    let parts: Vec<&str> = id.split('-').collect();
    let [commune, sheet, parcel] = parts[..] else {
        return fail(format!(
            "parcel id must be <commune code>-<map sheet>-<parcel number>, e.g. 00004-12-345, got {:?}",
            truncate(id)
        ));
    };
    let number = |text: &str, what: &str, max: i32| -> Result<i32, IdError> {
        match text.parse::<i32>() {
            Ok(n) if all_digits(text) && !text.starts_with('0') && n <= max => Ok(n),
            _ => fail(format!(
                "parcel id {}: {what} must be a number from 1 to {max} without leading zeros",
                truncate(id)
            )),
        }
    };
    check_commune_code(commune)?;
    ParcelId::new(
        commune,
        number(sheet, "map sheet", MAX_MAP_SHEET)?,
        number(parcel, "parcel number", MAX_PARCEL_NUMBER)?,
    )
}

/// Checks a land-use right certificate number: two capital letters and six
/// digits, e.g. `DA123456`.
pub fn parse_certificate_number(number: &str) -> Result<(), IdError> {
    let bytes = number.as_bytes();
    if bytes.len() == 8
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..].iter().all(u8::is_ascii_digit)
    {
        Ok(())
    } else {
        fail(format!(
            "certificate number must be two capital letters and six digits, e.g. DA123456, got {:?}",
            truncate(number)
        ))
    }
}

/// Checks a five-digit commune code against the communes in force.
pub fn check_commune_code(code: &str) -> Result<(), IdError> {
    if code.len() != 5 || !all_digits(code) {
        return fail(format!(
            "commune code must be 5 digits, got {:?}",
            truncate(code)
        ));
    }
    if reference().commune(code).is_none() {
        return fail(format!(
            "commune code {code} is not a commune in force since 1 July 2025"
        ));
    }
    Ok(())
}

/// Checks a two-digit province code against the 34 provinces in force.
pub fn check_province_code(code: &str) -> Result<(), IdError> {
    if code.len() != 2 || !all_digits(code) {
        return fail(format!(
            "province code must be 2 digits, got {:?}",
            truncate(code)
        ));
    }
    if reference().province(code).is_none() {
        return fail(format!(
            "province code {code} is not one of the 34 provinces in force since 1 July 2025"
        ));
    }
    Ok(())
}

/// Checks a VSIC industry code (4 or 5 digits).
pub fn check_industry_code(code: &str) -> Result<(), IdError> {
    if (4..=5).contains(&code.len()) && all_digits(code) {
        Ok(())
    } else {
        fail(format!(
            "industry code must be a VSIC code of 4 or 5 digits, got {:?}",
            truncate(code)
        ))
    }
}

/// Input echoed in an error message is cut short, so that a huge argument
/// cannot make a huge error.
fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests;

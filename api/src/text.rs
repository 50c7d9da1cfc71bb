//! Text that comes in and text that is searched.
//!
//! [`clean`] is the one rule for text the hub accepts: trimmed, in Unicode
//! NFC, not empty, not longer than the field allows, and free of the
//! characters [`is_forbidden`] names (controls, bidi overrides, zero-width
//! and other invisible characters), which would make a stored name differ
//! from what a person reads and types. Every register write passes each
//! string it stores through it; the request layer uses it for headers and
//! arguments.
//!
//! Folding Vietnamese text for search: "Nguyễn Văn Anh" → "nguyen van anh".
//! The folded form is stored beside the name (`search_name`) and indexed, so
//! that a diacritic-insensitive search is a plain index range on SQLite and
//! PostgreSQL alike.

use crate::error::ApiError;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether `c` may not appear in text the hub accepts: control characters
/// (NUL, TAB, CR, LF, BEL, ESC, DEL, C1), line and paragraph separators,
/// format characters (bidi controls and isolates, zero-width space and
/// joiners, word joiner, byte-order mark, soft hyphen, invisible operators,
/// tags …), private-use and unassigned code points (noncharacters among
/// them), and the other invisible characters that Unicode lists as default
/// ignorable (variation selectors, combining grapheme joiner, Hangul
/// fillers, Khmer inherent vowels, Mongolian free variation selectors).
pub fn is_forbidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
    ) || matches!(
        c,
        // Spelled out, though the categories above hold them: these must
        // be refused whatever a later Unicode table says.
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
            // Default ignorable, yet letters or marks.
            | '\u{034f}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{ffa0}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// The longest person's full name, in characters.
pub const MAX_PERSON_NAME: usize = 100;
/// The longest enterprise name (Vietnamese or English), in characters.
pub const MAX_ENTERPRISE_NAME: usize = 200;
/// The longest ethnicity, in characters.
pub const MAX_ETHNICITY: usize = 50;
/// The longest street address within a commune (a residence, a head
/// office, a parcel), in characters.
pub const MAX_ADDRESS_LINE: usize = 200;

/// `value` as the hub stores it: trimmed and in NFC. Refused with
/// `BAD_USER_INPUT` naming `field` when it holds a forbidden character
/// ([`is_forbidden`]), is empty, or has more than `max_chars` characters.
pub fn clean(field: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    // Bounded work on a huge value: NFC composes at most four characters
    // of at most four bytes into one, so past this it is too long anyway.
    if value.len() > max_chars.saturating_mul(16) {
        return Err(length(field, max_chars));
    }
    // Checked before trimming, so that a trailing newline is refused too,
    // and after normalising, which is what is stored.
    let normalised: String = value.trim().nfc().collect();
    if let Some(c) = value
        .chars()
        .chain(normalised.chars())
        .find(|c| is_forbidden(*c))
    {
        return Err(ApiError::BadUserInput(format!(
            "{field} may not contain control, format or invisible characters (found U+{:04X})",
            u32::from(c)
        )));
    }
    let count = normalised.chars().count();
    if count == 0 || count > max_chars {
        return Err(length(field, max_chars));
    }
    Ok(normalised)
}

fn length(field: &str, max_chars: usize) -> ApiError {
    ApiError::BadUserInput(format!(
        "{field} must have between 1 and {max_chars} characters"
    ))
}

/// Lower-case ASCII without diacritics, `đ` as `d`, white space collapsed to
/// single spaces and trimmed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if ('\u{0300}'..='\u{036f}').contains(&c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The exclusive upper bound of the strings that start with `prefix`, for an
/// index range `prefix <= s < upper`; `None` when no such bound exists.
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Compares two names as a person would: same letters and marks, ignoring
/// case, Unicode composition and extra white space.
pub fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .nfc()
            .flat_map(char::to_lowercase)
            .collect()
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clean value is trimmed and composed; the limit counts characters,
    /// not bytes.
    #[test]
    fn clean_trims_and_composes() {
        assert_eq!(
            clean("fullName", "  Nguyễn Văn Anh ", 100).unwrap(),
            "Nguyễn Văn Anh"
        );
        let decomposed = "Nguye\u{0302}\u{0303}n";
        assert_eq!(clean("fullName", decomposed, 100).unwrap(), "Nguyễn");
        assert_eq!(clean("fullName", decomposed, 6).unwrap().chars().count(), 6);
        assert_eq!(clean("x", &"ễ".repeat(10), 10).unwrap(), "ễ".repeat(10));
    }

    /// Empty, blank and over-long values are refused, naming the field and
    /// the limit.
    #[test]
    fn clean_refuses_empty_and_over_long_values() {
        for value in ["", "   ", &"a".repeat(101), &"a".repeat(900 * 1024)] {
            let ApiError::BadUserInput(message) = clean("fullName", value, 100).unwrap_err() else {
                panic!("not BAD_USER_INPUT");
            };
            assert!(
                message.contains("fullName") && message.contains("100"),
                "{message}"
            );
        }
    }

    /// Controls, bidi controls, zero-width and other invisible characters
    /// are refused anywhere in the value, even at its ends.
    #[test]
    fn clean_refuses_forbidden_characters() {
        for c in [
            '\0',
            '\t',
            '\n',
            '\r',
            '\u{7}',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{061c}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{ad}',
            '\u{2028}',
            '\u{2029}',
            '\u{fe0f}',
            '\u{3164}',
            '\u{e0041}',
            '\u{e000}',
            '\u{fffe}',
            '\u{34f}',
        ] {
            assert!(is_forbidden(c), "U+{:04X}", u32::from(c));
            for value in [
                format!("Nguyễn{c}Anh"),
                format!("Nguyễn Anh{c}"),
                format!("{c}"),
            ] {
                let error = clean("fullName", &value, 100).unwrap_err();
                assert!(
                    matches!(&error, ApiError::BadUserInput(m) if m.contains("fullName")),
                    "U+{:04X}: {error:?}",
                    u32::from(c)
                );
            }
        }
    }

    /// What names and addresses need is allowed: letters with marks, digits,
    /// punctuation, the spaces between words.
    #[test]
    fn ordinary_text_is_not_forbidden() {
        for text in [
            "Nguyễn Thị Minh Khai",
            "ĐỖ HỮU ĐỨC",
            "Ea H’Leo",
            "Số 12/3, ngõ 45 – Phố Huế (tầng 2)",
            "Công ty TNHH Một Thành Viên A&B",
            "H'Hen Niê",
            "Nguyễn\u{a0}Anh",
        ] {
            assert!(!text.chars().any(is_forbidden), "{text}");
            assert!(clean("x", text, 100).is_ok(), "{text}");
        }
    }

    #[test]
    fn folds_vietnamese_names() {
        assert_eq!(fold("Nguyễn Văn Anh"), "nguyen van anh");
        assert_eq!(fold("  Đặng   Thị  Hoà "), "dang thi hoa");
        assert_eq!(fold("ĐỖ HỮU ĐỨC"), "do huu duc");
        assert_eq!(fold("Ea H’Leo"), "ea h’leo");
    }

    #[test]
    fn prefix_bound_is_the_next_string() {
        assert_eq!(
            prefix_upper_bound("nguyen van").as_deref(),
            Some("nguyen vao")
        );
        assert_eq!(prefix_upper_bound(""), None);
    }

    #[test]
    fn same_name_ignores_case_and_composition_but_not_marks() {
        assert!(same_name("Nguyễn Văn Anh", "nguyễn  văn anh"));
        assert!(same_name("Nguye\u{0302}\u{0303}n", "Nguyễn"));
        assert!(!same_name("Nguyễn Văn Anh", "Nguyen Van Anh"));
    }
}

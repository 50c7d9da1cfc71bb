//! Folding Vietnamese text for search: "Nguyễn Văn Anh" → "nguyen van anh".
//!
//! The folded form is stored beside the name (`search_name`) and indexed, so
//! that a diacritic-insensitive search is a plain index range on SQLite and
//! PostgreSQL alike.

use unicode_normalization::UnicodeNormalization;

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

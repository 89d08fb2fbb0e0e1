//! The list of passwords too common to allow: `config/common-passwords.txt`, compiled in.
//! Where the list comes from and how it was made is in `config/README.md`.
//!
//! The list is lowercase ASCII, so a password is looked up lowercased, and a password typed
//! with the Russian keyboard layout on (`йцукенгш` for `qwertyui`) is looked up as the keys
//! it was typed on, too.

use std::sync::LazyLock;

const LIST: &str = include_str!("../../../../../config/common-passwords.txt");

/// The list, sorted for binary search.
static SORTED: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words: Vec<&str> = LIST.lines().map(str::trim).filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.dedup();
    words
});

/// Whether `password` is on the list, ignoring case and the keyboard layout.
pub(crate) fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let listed = |candidate: &str| SORTED.binary_search_by(|probe| (*probe).cmp(candidate)).is_ok();
    listed(&lower) || (lower.chars().any(is_russian_letter) && listed(&on_latin_keys(&lower)))
}

/// The Russian ЙЦУКЕН layout's letters, and the Latin letters and signs on the same keys.
const RUSSIAN_KEYS: &str = "йцукенгшщзхъфывапролджэячсмитьбюё";
const LATIN_KEYS: &str = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`";

fn is_russian_letter(c: char) -> bool {
    RUSSIAN_KEYS.contains(c)
}

/// What the same keys give with the Latin layout: `йцукен123` → `qwerty123`.
fn on_latin_keys(text: &str) -> String {
    text.chars()
        .map(|c| match RUSSIAN_KEYS.chars().position(|r| r == c) {
            Some(i) => LATIN_KEYS.chars().nth(i).unwrap_or(c),
            None => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_ten_thousand_lowercase_passwords() {
        assert_eq!(SORTED.len(), 10_000);
        assert!(SORTED.iter().all(|w| w.chars().all(|c| c.is_ascii_graphic() && !c.is_ascii_uppercase())));
    }

    #[test]
    fn finds_common_passwords_whatever_the_case_or_layout() {
        for password in ["password", "PASSWORD", "Qwerty123", "12345678", "йцукенгшщз", "ЙЦУКЕН"]
        {
            assert!(is_common(password), "{password}");
        }
        assert!(!is_common("Калуга-2024-свет"));
        assert!(!is_common("correct horse battery staple"));
    }

    #[test]
    fn maps_every_russian_key() {
        assert_eq!(RUSSIAN_KEYS.chars().count(), LATIN_KEYS.chars().count());
        assert_eq!(on_latin_keys("йцукен123"), "qwerty123");
        assert_eq!(on_latin_keys("пароль"), "gfhjkm");
    }
}

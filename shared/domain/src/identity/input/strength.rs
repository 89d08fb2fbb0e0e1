//! The strength meter under the password field. The page's script computes the same score
//! as the user types, so the rule is deliberately small and exact:
//!
//! 1. Score 0 («слабый») for what [`check_new_password`](super::check_new_password) refuses
//!    without knowing the account: empty, only spaces, fewer than 8 or more than 128
//!    characters, or on the common-password list.
//! 2. Otherwise by length in characters: 8–9 → 1, 10–11 → 2, 12–15 → 3, 16 and more → 4.
//! 3. One more for three or more kinds of characters (lowercase letters and letters without
//!    case, uppercase letters, digits, everything else), one less for a single kind.
//! 4. Score 1 when fewer than 4 different characters are used (`aaaaaaaa1`).
//! 5. Clamped to 1..=4.
//!
//! Labels: 0 and 1 «слабый», 2 «средний», 3 «хороший», 4 «надёжный».

use super::common_passwords::is_common;
use super::password::check_without_account;

/// A score from 0 (refused) to 4, and its Russian label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Strength {
    pub score: u8,
    pub label_ru: &'static str,
}

impl Strength {
    fn of(score: u8) -> Strength {
        let label_ru = match score {
            0 | 1 => "слабый",
            2 => "средний",
            3 => "хороший",
            _ => "надёжный",
        };
        Strength { score, label_ru }
    }
}

/// Scores a password by the rule in the module docs.
pub fn strength(password: &str) -> Strength {
    if check_without_account(password).is_err() || is_common(password) {
        return Strength::of(0);
    }
    let chars: Vec<char> = password.chars().collect();
    let by_length: i8 = match chars.len() {
        ..=9 => 1,
        10..=11 => 2,
        12..=15 => 3,
        _ => 4,
    };
    let kinds = [
        chars.iter().any(|c| c.is_lowercase() || (c.is_alphabetic() && !c.is_uppercase())),
        chars.iter().any(|c| c.is_uppercase()),
        chars.iter().any(|c| c.is_numeric()),
        chars.iter().any(|c| !c.is_alphanumeric()),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    let bonus = match kinds {
        1 => -1,
        3.. => 1,
        _ => 0,
    };
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let score = if distinct.len() < 4 { 1 } else { (by_length + bonus).clamp(1, 4) };
    Strength::of(score.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountNumber;
    use crate::identity::input::check_new_password;
    use proptest::prelude::*;

    #[test]
    fn scores_by_the_documented_rule() {
        let cases = [
            ("", 0),
            ("        ", 0),
            ("Kal2024", 0),
            ("password", 0),
            ("Qwerty123", 0),
            ("kalugasvet", 1),
            ("kaluga2024", 2),
            ("Kaluga2024!", 3),
            ("9163504172", 1),
            ("aaaaaaaaaaaaaaaa1", 1),
            ("korova-na-lugu", 3),
            ("мояКалуга2024", 4),
            ("zelenaya lampa na stole", 4),
        ];
        for (password, score) in cases {
            assert_eq!(strength(password).score, score, "{password:?}");
        }
    }

    #[test]
    fn labels_in_russian() {
        let labels: Vec<&str> = (0..=4).map(|s| Strength::of(s).label_ru).collect();
        assert_eq!(labels, ["слабый", "слабый", "средний", "хороший", "надёжный"]);
    }

    proptest! {
        #[test]
        fn zero_exactly_when_the_check_refuses(password in "\\PC{0,20}|[a-z0-9]{6,12}") {
            // An account no password of 8+ characters can be "close to".
            let account = AccountNumber::parse("0000").unwrap();
            let refused = check_new_password(&password, &account).is_err();
            prop_assert_eq!(strength(&password).score == 0, refused, "{:?}", password);
        }
    }
}

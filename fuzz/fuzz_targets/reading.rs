//! A meter reading as a person types it (`check_reading`). The input is
//! `digits;previous;usual;typed` (e.g. `5;12345;150;12 500`); when the first three are not
//! numbers, the whole input is the typed text for a 5-digit meter with no history.

#![no_main]

use libfuzzer_sys::fuzz_target;
use svet_domain::billing::{JUMP_FACTOR, ReadingError, check_reading};

fn parameters(text: &str) -> (u8, Option<u64>, Option<u64>, &str) {
    let mut parts = text.splitn(4, ';');
    let (Some(digits), Some(previous), Some(usual), Some(typed)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return (5, None, None, text);
    };
    let Ok(digits) = digits.parse() else {
        return (5, None, None, text);
    };
    (digits, previous.parse().ok(), usual.parse().ok(), typed)
}

/// The text as the check reads it: invisible characters dropped, trimmed.
fn cleaned(typed: &str) -> String {
    let visible: String = typed
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
            )
        })
        .collect();
    visible.trim().to_owned()
}

fuzz_target!(|text: &str| {
    let config = svet_fuzz::config();
    let (digits, previous, usual, typed) = parameters(text);
    let capacity = u32::from(digits.min(19));
    let clean = cleaned(typed);
    match check_reading(typed, digits, previous, usual, &config) {
        Ok(reading) => {
            // Whole kWh, digits only, and the value is what was typed.
            assert!(!clean.is_empty() && clean.bytes().all(|b| b.is_ascii_digit()), "{typed:?} accepted");
            assert_eq!(clean.parse::<u128>().ok(), Some(u128::from(reading.value)), "{typed:?}");
            assert!(
                u128::from(reading.value) < 10u128.pow(capacity),
                "{typed:?} does not fit {digits} digits"
            );
            assert_eq!(reading.consumption, previous.map(|p| reading.value - p));
            if let Some(previous) = previous {
                assert!(reading.value >= previous);
            }
            assert_eq!(reading.usual_monthly, usual);
            let jump = match (reading.consumption, usual) {
                (Some(used), Some(usual)) if usual > 0 => used > usual.saturating_mul(JUMP_FACTOR),
                _ => false,
            };
            assert_eq!(reading.needs_confirmation, jump);
            assert_eq!(reading.confirmation_ru().is_some(), jump);
        }
        Err(error) => {
            assert!(!error.message_ru().is_empty());
            let _ = error.to_string();
            let chars = clean.chars().count();
            match error {
                ReadingError::Empty => assert!(clean.is_empty()),
                ReadingError::Fraction { whole } => {
                    assert!(clean.contains([',', '.']));
                    if let Some(whole) = whole {
                        assert!(clean.starts_with(&whole) && whole.bytes().all(|b| b.is_ascii_digit()));
                    }
                }
                ReadingError::Sign { found } => assert!(clean.starts_with(found)),
                ReadingError::SpaceInside { joined } => {
                    assert!(joined.bytes().all(|b| b.is_ascii_digit()));
                    assert_eq!(joined, clean.chars().filter(|c| !c.is_whitespace()).collect::<String>());
                }
                ReadingError::Letter { found, position } | ReadingError::Unexpected { found, position } => {
                    assert!((1..=chars).contains(&position), "position {position} of {clean:?}");
                    assert_eq!(clean.chars().nth(position - 1), Some(found));
                }
                ReadingError::TooManyDigits { typed: significant, .. } => {
                    assert!(significant > capacity as usize);
                    assert_eq!(significant, clean.trim_start_matches('0').len());
                }
                ReadingError::BelowPrevious { value, previous: last, .. } => {
                    assert_eq!(Some(last), previous);
                    assert!(value < last);
                    assert_eq!(clean.parse::<u128>().ok(), Some(u128::from(value)));
                }
            }
        }
    }
});

//! Money is an integer number of kopecks, never floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in kopecks (1 ₽ = 100 kopecks). Positive or negative: a registry balance
/// is positive for a debt and negative for an overpayment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Kopecks(i64);

/// Why a typed amount was not understood. The messages are for operators (English); the
/// customer pages translate the variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is empty")]
    Empty,
    #[error("unexpected character {0:?} in the amount")]
    BadCharacter(char),
    #[error("use a comma, not a dot, before the kopecks")]
    DotDecimal,
    #[error("more than two digits after the comma")]
    TooManyDecimals,
    #[error("the amount is too large")]
    TooLarge,
}

/// The largest amount Svet accepts anywhere: one billion rubles.
const MAX_ABS: i64 = 100_000_000_000;

impl Kopecks {
    pub const ZERO: Kopecks = Kopecks(0);

    pub const fn new(kopecks: i64) -> Self {
        Kopecks(kopecks)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// Parses rubles as people and billing systems write them: `1234,56`, `1 234,50`,
    /// `-100,5`, `0`. Spaces (also no-break and thin spaces) group thousands; the decimal
    /// separator is a comma with at most two digits after it.
    pub fn parse_rubles(text: &str) -> Result<Self, MoneyError> {
        let mut chars = text.trim().chars().filter(|c| !is_group_space(*c)).peekable();
        let negative = match chars.peek() {
            Some('-') | Some('−') => {
                chars.next();
                true
            }
            Some('+') => {
                chars.next();
                false
            }
            _ => false,
        };
        let (mut rubles, mut kopecks, mut decimals, mut seen_digit, mut after_comma) =
            (0i64, 0i64, 0u32, false, false);
        for c in chars {
            match c {
                '0'..='9' => {
                    let d = i64::from(c as u8 - b'0');
                    seen_digit = true;
                    if after_comma {
                        decimals += 1;
                        if decimals > 2 {
                            return Err(MoneyError::TooManyDecimals);
                        }
                        kopecks = kopecks * 10 + d;
                    } else {
                        rubles = rubles
                            .checked_mul(10)
                            .and_then(|r| r.checked_add(d))
                            .filter(|r| *r <= MAX_ABS / 100)
                            .ok_or(MoneyError::TooLarge)?;
                    }
                }
                ',' if !after_comma => after_comma = true,
                '.' => return Err(MoneyError::DotDecimal),
                other => return Err(MoneyError::BadCharacter(other)),
            }
        }
        if !seen_digit {
            return Err(MoneyError::Empty);
        }
        if decimals == 1 {
            kopecks *= 10;
        }
        // The rubles alone may be at the limit; with the kopecks the amount may not exceed it.
        let total = rubles * 100 + kopecks;
        if total > MAX_ABS {
            return Err(MoneyError::TooLarge);
        }
        Ok(Kopecks(if negative { -total } else { total }))
    }

    /// `1 234,50` (no currency sign), the way Russian bills print amounts.
    pub fn format_rubles(self) -> String {
        let abs = self.0.unsigned_abs();
        let rubles = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in rubles.chars().enumerate() {
            if i > 0 && (rubles.len() - i).is_multiple_of(3) {
                grouped.push('\u{a0}');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{grouped},{:02}", abs % 100)
    }
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

impl fmt::Display for Kopecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\u{a0}₽", self.format_rubles())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_ways_people_write_rubles() {
        let cases = [
            ("0", 0),
            ("0,01", 1),
            ("1234,56", 123_456),
            ("1 234,50", 123_450),
            ("1\u{a0}234,5", 123_450),
            ("-100,00", -10_000),
            ("+7", 700),
            ("15,", 1500),
        ];
        for (text, kopecks) in cases {
            assert_eq!(Kopecks::parse_rubles(text), Ok(Kopecks(kopecks)), "{text:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        let cases = [
            ("", MoneyError::Empty),
            ("-", MoneyError::Empty),
            ("12.50", MoneyError::DotDecimal),
            ("1,234", MoneyError::TooManyDecimals),
            ("12р", MoneyError::BadCharacter('р')),
            ("1,2,3", MoneyError::BadCharacter(',')),
            ("99999999999999", MoneyError::TooLarge),
        ];
        for (text, error) in cases {
            assert_eq!(Kopecks::parse_rubles(text), Err(error), "{text:?}");
        }
    }

    /// Found by the `amount` fuzz target (fuzz/): the rubles were held to one billion, but the
    /// kopecks were added after the check, so `1 000 000 000,05` was accepted.
    #[test]
    fn nothing_above_one_billion_rubles() {
        assert_eq!(Kopecks::parse_rubles("1 000 000 000,00"), Ok(Kopecks(MAX_ABS)));
        assert_eq!(Kopecks::parse_rubles("-1000000000"), Ok(Kopecks(-MAX_ABS)));
        assert_eq!(Kopecks::parse_rubles("1\u{2009}000000000,05"), Err(MoneyError::TooLarge));
        assert_eq!(Kopecks::parse_rubles("-1 000 000 000,01"), Err(MoneyError::TooLarge));
        assert_eq!(Kopecks::parse_rubles("999 999 999,99"), Ok(Kopecks(MAX_ABS - 1)));
    }

    #[test]
    fn formats_like_a_paper_bill() {
        assert_eq!(Kopecks(12_345_678).format_rubles(), "123\u{a0}456,78");
        assert_eq!(Kopecks(-5).format_rubles(), "-0,05");
        assert_eq!(Kopecks(100).to_string(), "1,00\u{a0}₽");
    }

    proptest! {
        #[test]
        fn format_then_parse_gives_the_same_amount(k in -MAX_ABS..MAX_ABS) {
            let amount = Kopecks(k);
            prop_assert_eq!(Kopecks::parse_rubles(&amount.format_rubles()), Ok(amount));
        }
    }
}

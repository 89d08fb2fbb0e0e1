//! A meter reading as a person types it (B3–B5, domain.md §2.2), checked in this order:
//!
//! 1. invisible characters pasted with it are dropped and spaces at either end trimmed;
//! 2. whole kWh only: digits, leading zeros allowed; `12,5` or `12.5` is refused with a
//!    message to enter the digits before the comma; signs, letters, spaces inside and other
//!    characters each get their own message;
//! 3. no more significant digits than the meter has (leading zeros do not count: a 5-digit
//!    meter reads `01234`, and `001234` is the same reading);
//! 4. not below the last accepted reading (equal is allowed: nothing used is still a reading);
//!    below it, the message names rollover and meter replacement and gives the support
//!    contacts, because only the company can record either;
//! 5. a consumption above [`JUMP_FACTOR`] × the usual monthly consumption is accepted but
//!    flagged, so the page asks «Вы уверены?» before sending it.
//!
//! Day and night registers are checked separately, one call each. The page runs the same
//! rules; the server decides.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::Period;
use crate::Config;

/// A consumption above this many times the usual monthly one asks for confirmation.
pub const JUMP_FACTOR: u64 = 5;

/// The largest digit capacity whose readings fit a `u64`.
const MAX_CAPACITY: u8 = 19;

/// A reading that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedReading {
    /// The reading in whole kWh.
    pub value: u64,
    /// The kWh since the last accepted reading; `None` when there is none.
    pub consumption: Option<u64>,
    /// The usual monthly consumption it was compared with.
    pub usual_monthly: Option<u64>,
    /// The consumption is above [`JUMP_FACTOR`] × the usual: ask before accepting.
    pub needs_confirmation: bool,
}

impl CheckedReading {
    /// «Вы уверены?» and the numbers, when the reading needs confirmation.
    pub fn confirmation_ru(&self) -> Option<String> {
        let (true, Some(used), Some(usual)) = (self.needs_confirmation, self.consumption, self.usual_monthly)
        else {
            return None;
        };
        Some(format!(
            "Вы уверены? По этим показаниям расход — {used} кВт·ч, а обычно за месяц около {usual} кВт·ч: \
             больше чем в {JUMP_FACTOR} раз. Проверьте показания и подтвердите их, если всё верно."
        ))
    }
}

/// Why a typed reading was refused: English for the logs, [`ReadingError::message_ru`] for the
/// person. Positions are 1-based and count the characters the person sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingError {
    #[error("the reading is empty")]
    Empty,
    #[error("the reading has a fractional part; whole kWh only (the digits before the comma: {whole:?})")]
    Fraction { whole: Option<String> },
    #[error("the reading starts with the sign {found:?}")]
    Sign { found: char },
    #[error("the reading has spaces between its digits ({joined} without them)")]
    SpaceInside { joined: String },
    #[error("letter {found:?} at position {position} of the reading")]
    Letter { found: char, position: usize },
    #[error("unexpected character {found:?} at position {position} of the reading")]
    Unexpected { found: char, position: usize },
    #[error("the reading has {typed} significant digits; the meter has {digits}")]
    TooManyDigits { typed: usize, digits: u8 },
    #[error(
        "the reading {value} is below the last accepted reading {previous} (rollover or meter replacement?)"
    )]
    BelowPrevious { value: u64, previous: u64, digits: u8, support_phone: String, support_email: String },
}

impl ReadingError {
    /// The message for the person at the form.
    pub fn message_ru(&self) -> String {
        const ONLY_DIGITS: &str = "Введите только цифры со счётчика.";
        match self {
            ReadingError::Empty => "Введите текущие показания счётчика.".to_owned(),
            ReadingError::Fraction { whole } => {
                let example = whole.as_ref().map(|w| format!(": {w}")).unwrap_or_default();
                format!(
                    "Показания передаются в целых киловатт-часах. Введите только цифры до запятой{example}."
                )
            }
            ReadingError::Sign { found } => {
                format!("Показания вводятся без знака «{found}». {ONLY_DIGITS}")
            }
            ReadingError::SpaceInside { joined } => {
                format!("Введите показания без пробелов: {joined}.")
            }
            ReadingError::Letter { found, position } if looks_like_zero(*found) => format!(
                "Вместо цифры 0 набрана буква «{found}» ({position}-й знак). Введите показания цифрами."
            ),
            ReadingError::Letter { found, position } => {
                format!("В показаниях есть буква «{found}» ({position}-й знак). {ONLY_DIGITS}")
            }
            ReadingError::Unexpected { found, position } => {
                format!("В показаниях лишний знак «{}» ({position}-й). {ONLY_DIGITS}", shown(*found))
            }
            ReadingError::TooManyDigits { typed, digits } => format!(
                "У вашего счётчика {digits} {} до запятой, а введено {typed}. Цифры после запятой \
                 (обычно красные или в красной рамке) вводить не нужно.",
                plural_ru(usize::from(*digits), "цифра", "цифры", "цифр")
            ),
            ReadingError::BelowPrevious { value, previous, digits, support_phone, support_email } => {
                let digits = usize::from(*digits);
                format!(
                    "Показания {value} меньше последних принятых ({previous}). Так бывает, если счётчик \
                     «перешёл через ноль» (после {} снова {}) или его заменили. Проверьте показания; \
                     если они верны, сообщите нам по телефону {support_phone} или по электронной почте \
                     {support_email}.",
                    "9".repeat(digits),
                    "0".repeat(digits)
                )
            }
        }
    }
}

/// Checks what a person typed for one register of a meter with `digits` digits. `previous`
/// is the register's last accepted reading; `usual_monthly` the usual monthly consumption
/// ([`usual_monthly`]); `config` gives the support contacts for the rollover message.
pub fn check_reading(
    typed: &str,
    digits: u8,
    previous: Option<u64>,
    usual_monthly: Option<u64>,
    config: &Config,
) -> Result<CheckedReading, ReadingError> {
    let text: String = typed.chars().filter(|c| !is_invisible(*c)).collect();
    let text = text.trim();
    let chars: Vec<char> = text.chars().collect();
    let Some(&first) = chars.first() else {
        return Err(ReadingError::Empty);
    };
    if let Some(whole) = fraction(text) {
        return Err(ReadingError::Fraction { whole });
    }
    if matches!(first, '+' | '-' | '−' | '–' | '—') {
        return Err(ReadingError::Sign { found: first });
    }
    if chars.iter().any(|c| c.is_whitespace()) {
        let joined: String = chars.iter().filter(|c| !c.is_whitespace()).collect();
        if joined.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ReadingError::SpaceInside { joined });
        }
    }
    if let Some((i, &found)) = chars.iter().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        let position = i + 1;
        return Err(if found.is_alphabetic() {
            ReadingError::Letter { found, position }
        } else {
            ReadingError::Unexpected { found, position }
        });
    }
    let significant = text.trim_start_matches('0');
    let capacity = digits.min(MAX_CAPACITY);
    if significant.len() > usize::from(capacity) {
        return Err(ReadingError::TooManyDigits { typed: significant.len(), digits });
    }
    let value: u64 = if significant.is_empty() { 0 } else { significant.parse().unwrap_or(u64::MAX) };
    if let Some(previous) = previous
        && value < previous
    {
        return Err(ReadingError::BelowPrevious {
            value,
            previous,
            digits: capacity,
            support_phone: config.company.support_phone.clone(),
            support_email: config.company.support_email.clone(),
        });
    }
    let consumption = previous.map(|p| value - p);
    let needs_confirmation = match (consumption, usual_monthly) {
        (Some(used), Some(usual)) if usual > 0 => used > usual.saturating_mul(JUMP_FACTOR),
        _ => false,
    };
    Ok(CheckedReading { value, consumption, usual_monthly, needs_confirmation })
}

/// The usual monthly consumption: the average of the last (up to) three monthly consumptions
/// in `history` (oldest first), in whole kWh rounded half up; `None` without history. A usual
/// consumption of 0 (an empty dacha) makes no jump check.
pub fn usual_monthly(history: &[u64]) -> Option<u64> {
    let recent = &history[history.len().saturating_sub(3)..];
    let n = u64::try_from(recent.len()).ok().filter(|n| *n > 0)?;
    let sum: u64 = recent.iter().fold(0u64, |s, v| s.saturating_add(*v));
    Some(sum / n + u64::from(sum % n * 2 >= n))
}

/// The period a reading submitted on `date` counts for: readings on or before the cut-off
/// day count for that month, later ones for the next (domain.md §2.1; Decree 354: the 25th).
pub fn period_for_submission(date: Date, cutoff_day: u8) -> Period {
    let period = Period::of(date);
    if date.day().unsigned_abs() <= cutoff_day { period } else { period.next() }
}

/// `Some(digits before the separator)` for `12,5`, `12.`, `,5`; `None` when the text is not a
/// number with one decimal separator.
fn fraction(text: &str) -> Option<Option<String>> {
    let at = text.find([',', '.'])?;
    let (whole, rest) = (&text[..at], &text[at + 1..]);
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(rest) || whole.is_empty() && rest.is_empty() {
        return None;
    }
    Some(if whole.is_empty() { None } else { Some(whole.to_owned()) })
}

fn looks_like_zero(c: char) -> bool {
    matches!(c, 'O' | 'o' | 'О' | 'о')
}

/// Zero-width characters, soft hyphens, byte order and direction marks that copying slips in.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// How a character is shown inside «»: itself, or its code point when it would be invisible.
fn shown(c: char) -> String {
    if c.is_control() || c.is_whitespace() { format!("U+{:04X}", u32::from(c)) } else { c.to_string() }
}

/// The Russian noun form for `n`: one (1, 21…), few (2–4, 22–24…), many (the rest).
fn plural_ru(n: usize, one: &'static str, few: &'static str, many: &'static str) -> &'static str {
    match (n % 10, n % 100) {
        (1, r) if r != 11 => one,
        (2..=4, r) if !(12..=14).contains(&r) => few,
        _ => many,
    }
}

/// Where a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingSource {
    /// Typed by the customer in Svet.
    Portal,
    /// Taken over from the retailer's billing system (phone line, inspector, remote reading).
    Import,
    /// Computed by Svet when none came in: the average of recent months.
    Estimate,
}

impl ReadingSource {
    pub fn label_ru(self) -> &'static str {
        match self {
            ReadingSource::Portal => "Личный кабинет",
            ReadingSource::Import => "Учётная система компании",
            ReadingSource::Estimate => "Расчётные (по среднему потреблению)",
        }
    }
}

/// What has become of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingStatus {
    /// Stored; may still be replaced by a later one before the cut-off.
    Received,
    /// The reading the period's bill will use.
    Accepted,
    /// Used in the bill for this period.
    Billed(Period),
}

impl ReadingStatus {
    pub fn label_ru(self) -> String {
        match self {
            ReadingStatus::Received => "Получены".to_owned(),
            ReadingStatus::Accepted => "Приняты".to_owned(),
            ReadingStatus::Billed(period) => format!("Учтены в счёте за {}", period.name_ru()),
        }
    }
}

impl fmt::Display for ReadingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReadingSource::Portal => "portal",
            ReadingSource::Import => "import",
            ReadingSource::Estimate => "estimate",
        })
    }
}

#[cfg(test)]
#[path = "readings_tests.rs"]
mod tests;

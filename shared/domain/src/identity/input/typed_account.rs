//! The personal account number as people type it at registration and login (R3, R6).
//!
//! The guide's two most common registration mistakes are an account number typed with its
//! brackets, `(180)211111`, and one pasted from Word with invisible or look-alike characters.
//! What is unambiguous is cleaned up and reported back ([`Cleanup`]), so the page can say
//! «Номер принят как 180211111»; anything else is refused with the offending character and its
//! place, because guessing a digit for a letter could register someone else's account.

use std::fmt;

use crate::account::{AccountError, AccountNumber, MAX_DIGITS, MIN_DIGITS};

use super::text::{is_invisible, is_space, plural_ru, shown};

/// An account number read from what a person typed, and what had to be removed to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedAccount {
    pub account: AccountNumber,
    /// What was removed, each kind once, in the order first met. Empty when the input was
    /// digits only.
    pub changes: Vec<Cleanup>,
}

/// A kind of character removed from a typed account number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cleanup {
    /// Spaces of any kind, no-break and typographic ones included.
    Spaces,
    /// Zero-width characters, soft hyphens, byte order and direction marks.
    Invisible,
    /// Round, square or curly brackets.
    Brackets,
    /// A dash, hyphen, dot or slash between digits.
    Separators,
}

impl Cleanup {
    /// What was removed, as a phrase: «пробелы», «скобки»…
    pub fn label_ru(&self) -> &'static str {
        match self {
            Cleanup::Spaces => "пробелы",
            Cleanup::Invisible => "невидимые символы",
            Cleanup::Brackets => "скобки",
            Cleanup::Separators => "тире, точки и косые черты между цифрами",
        }
    }
}

impl TypedAccount {
    /// The note for the page when something was removed, e.g. «Номер принят как 180211111
    /// (убраны скобки: номер лицевого счёта вводится без скобок).»; `None` when nothing was.
    pub fn notice_ru(&self) -> Option<String> {
        if self.changes.is_empty() {
            return None;
        }
        let removed: Vec<&str> = self.changes.iter().map(|c| c.label_ru()).collect();
        let hint = if self.changes.contains(&Cleanup::Brackets) {
            ": номер лицевого счёта вводится без скобок"
        } else {
            ""
        };
        Some(format!("Номер принят как {} (убраны {}{hint}).", self.account, removed.join(", ")))
    }
}

/// Why a typed account number was refused. Positions are 1-based and count the visible
/// characters only, as the person sees them in the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedAccountError {
    #[error("letter {found:?} that looks like the digit {digit} at position {position}")]
    LookAlike { found: char, digit: char, position: usize },
    #[error("letter {found:?} at position {position}")]
    Letter { found: char, position: usize },
    #[error("digit {found:?} from another script or font at position {position}")]
    ForeignDigit { found: char, position: usize },
    #[error("unexpected character {found:?} at position {position}")]
    Unexpected { found: char, position: usize },
    #[error("no digits in the account number")]
    Empty,
    #[error("the account number has {digits} digits; expected {MIN_DIGITS} to {MAX_DIGITS}")]
    Length { digits: usize },
}

impl TypedAccountError {
    /// The message for the person at the form.
    pub fn message_ru(&self) -> String {
        match self {
            TypedAccountError::LookAlike { found, digit, position } => {
                let what = if found.is_alphabetic() { "буква" } else { "знак" };
                format!(
                    "На месте цифры {digit} стоит {what} «{found}» ({position}-й знак номера). \
                     Введите номер цифрами."
                )
            }
            TypedAccountError::Letter { found, position } => format!(
                "В номере лицевого счёта есть буква «{found}» ({position}-й знак). \
                 Номер состоит только из цифр."
            ),
            TypedAccountError::ForeignDigit { found, position } => format!(
                "Цифра «{found}» ({position}-й знак) набрана другим шрифтом. \
                 Наберите номер цифрами с клавиатуры."
            ),
            TypedAccountError::Unexpected { found, position } => format!(
                "В номере лицевого счёта лишний знак «{}» ({position}-й). Введите только цифры.",
                shown(*found)
            ),
            TypedAccountError::Empty => "Введите номер лицевого счёта. Он указан в квитанции.".to_owned(),
            TypedAccountError::Length { digits } => {
                let size = if *digits < MIN_DIGITS { "мало" } else { "много" };
                let noun = plural_ru(*digits, "цифра", "цифры", "цифр");
                format!("В номере {digits} {noun} — это слишком {size}. Проверьте номер по квитанции.")
            }
        }
    }
}

/// Reads an account number the way a person types or pastes it. See the module docs for what
/// is removed and what is refused.
pub fn parse_typed_account(input: &str) -> Result<TypedAccount, TypedAccountError> {
    let mut changes = Vec::new();
    let mut note = |kind: Cleanup| {
        if !changes.contains(&kind) {
            changes.push(kind);
        }
    };
    let mut digits = String::new();
    let mut position = 0;
    for (at, c) in input.char_indices() {
        if is_space(c) {
            note(Cleanup::Spaces);
            continue;
        }
        if is_invisible(c) {
            note(Cleanup::Invisible);
            continue;
        }
        position += 1;
        if c.is_ascii_digit() {
            digits.push(c);
        } else if is_bracket(c) {
            note(Cleanup::Brackets);
        } else if is_separator(c) && !digits.is_empty() && input[at..].bytes().any(|b| b.is_ascii_digit()) {
            note(Cleanup::Separators);
        } else if let Some(digit) = look_alike_digit(c) {
            return Err(TypedAccountError::LookAlike { found: c, digit, position });
        } else if c.is_numeric() {
            return Err(TypedAccountError::ForeignDigit { found: c, position });
        } else if c.is_alphabetic() {
            return Err(TypedAccountError::Letter { found: c, position });
        } else {
            return Err(TypedAccountError::Unexpected { found: c, position });
        }
    }
    match AccountNumber::parse(&digits) {
        Ok(account) => Ok(TypedAccount { account, changes }),
        Err(AccountError::Empty) => Err(TypedAccountError::Empty),
        Err(AccountError::Length(n)) => Err(TypedAccountError::Length { digits: n }),
        // Only ASCII digits reach the final check.
        Err(AccountError::NotADigit(c)) => Err(TypedAccountError::Unexpected { found: c, position: 0 }),
    }
}

fn is_bracket(c: char) -> bool {
    matches!(c, '(' | ')' | '[' | ']' | '{' | '}')
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '–' | '—' | '.' | '/')
}

/// The digit a letter or sign is mistaken for: Cyrillic and Latin O, Cyrillic Ze, Latin l and
/// I and the bar, Cyrillic Be, Cyrillic Che.
pub(crate) fn look_alike_digit(c: char) -> Option<char> {
    match c {
        'О' | 'о' | 'O' | 'o' => Some('0'),
        'З' | 'з' => Some('3'),
        'l' | 'I' | '|' | 'І' | 'ӏ' => Some('1'),
        'Б' | 'б' => Some('6'),
        'Ч' | 'ч' => Some('4'),
        _ => None,
    }
}

impl fmt::Display for Cleanup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cleanup::Spaces => "spaces",
            Cleanup::Invisible => "invisible characters",
            Cleanup::Brackets => "brackets",
            Cleanup::Separators => "separators between digits",
        })
    }
}

#[cfg(test)]
#[path = "typed_account_tests.rs"]
mod tests;

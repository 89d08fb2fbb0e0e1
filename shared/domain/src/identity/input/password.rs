//! Rules for a new password (R1 registration, R8 reset, S3 change) and the strength meter
//! shown under the field.
//!
//! The rules follow NIST SP 800-63B rather than composition rules: a minimum length, a
//! generous maximum, and a ban on passwords an attacker tries first (the common list and the
//! account number, which is the login name). Any characters are allowed, Cyrillic included.
//! Lengths count characters, not bytes, so a Russian password is not judged twice as long.

use crate::account::AccountNumber;

use super::common_passwords::is_common;
use super::text::{is_space, plural_ru};

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 128;

/// How many characters may be added to the account number before the password stops
/// counting as "the account number".
const ACCOUNT_SLACK: usize = 2;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("the password is empty")]
    Empty,
    #[error("the password is whitespace only")]
    OnlySpaces,
    #[error("the password has {chars} characters; at least {MIN_PASSWORD}")]
    TooShort { chars: usize },
    #[error("the password has {chars} characters; at most {MAX_PASSWORD}")]
    TooLong { chars: usize },
    #[error("the password is the account number or close to it")]
    LikeAccount,
    #[error("the password is on the common-password list")]
    Common,
    #[error("the password and its confirmation differ")]
    Mismatch,
}

impl PasswordProblem {
    /// The message for the person at the form.
    pub fn message_ru(&self) -> String {
        match self {
            PasswordProblem::Empty => "Введите пароль.".to_owned(),
            PasswordProblem::OnlySpaces => "Пароль не может состоять из одних пробелов.".to_owned(),
            PasswordProblem::TooShort { chars } => format!(
                "Пароль слишком короткий: нужно не меньше {MIN_PASSWORD} знаков, а в нём {chars} {}.",
                plural_ru(*chars, "знак", "знака", "знаков")
            ),
            PasswordProblem::TooLong { .. } => {
                format!("Пароль слишком длинный: в нём может быть не больше {MAX_PASSWORD} знаков.")
            }
            PasswordProblem::LikeAccount => {
                "Пароль не должен повторять номер лицевого счёта: его легко угадать.".to_owned()
            }
            PasswordProblem::Common => {
                "Этот пароль слишком распространён, его легко угадать. Придумайте другой.".to_owned()
            }
            PasswordProblem::Mismatch => {
                "Пароль и подтверждение не совпадают. Введите пароль ещё раз в оба поля.".to_owned()
            }
        }
    }
}

/// Checks a new password for the account it will protect. The problems are checked in the
/// order listed in [`PasswordProblem`]; the first found is returned.
pub fn check_new_password(password: &str, account: &AccountNumber) -> Result<(), PasswordProblem> {
    check_without_account(password)?;
    if is_like_account(password, account.as_str()) {
        return Err(PasswordProblem::LikeAccount);
    }
    if is_common(password) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

/// The guide's third common mistake: the confirmation must repeat the password exactly.
pub fn confirm_password(password: &str, confirmation: &str) -> Result<(), PasswordProblem> {
    if password == confirmation { Ok(()) } else { Err(PasswordProblem::Mismatch) }
}

/// The rules that do not need the account: empty, whitespace only, length.
pub(crate) fn check_without_account(password: &str) -> Result<(), PasswordProblem> {
    if password.is_empty() {
        return Err(PasswordProblem::Empty);
    }
    if password.chars().all(is_space) {
        return Err(PasswordProblem::OnlySpaces);
    }
    let chars = password.chars().count();
    if chars < MIN_PASSWORD {
        return Err(PasswordProblem::TooShort { chars });
    }
    if chars > MAX_PASSWORD {
        return Err(PasswordProblem::TooLong { chars });
    }
    Ok(())
}

/// Whether the password is the account number, forwards or backwards, with at most
/// [`ACCOUNT_SLACK`] characters added anywhere (`180211111!`, `1802111110a`, `111112081`).
fn is_like_account(password: &str, account: &str) -> bool {
    let chars = password.chars().count();
    if chars > account.len() + ACCOUNT_SLACK {
        return false;
    }
    let reversed: String = account.chars().rev().collect();
    is_subsequence(account, password) || is_subsequence(&reversed, password)
}

/// Whether all of `needle`'s characters occur in `haystack` in the same order.
fn is_subsequence(needle: &str, haystack: &str) -> bool {
    let mut rest = haystack.chars();
    needle.chars().all(|n| rest.any(|h| h == n))
}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;

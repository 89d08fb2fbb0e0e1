//! The personal account number (лицевой счёт): the customer's identity in the retailer's
//! billing system and the login name in Svet.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Shortest and longest account numbers Svet accepts. The reference company's numbers have 9
/// digits; other retailers use between 6 and 14.
pub const MIN_DIGITS: usize = 4;
pub const MAX_DIGITS: usize = 16;

/// A personal account number: 4 to 16 ASCII digits, leading zeros kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("the account number is empty")]
    Empty,
    #[error("unexpected character {0:?} in the account number (digits only)")]
    NotADigit(char),
    #[error("the account number has {0} digits; expected {MIN_DIGITS} to {MAX_DIGITS}")]
    Length(usize),
}

impl AccountNumber {
    /// Parses an account number exactly as stored: digits only, nothing to clean up. The
    /// forgiving parser for what people type belongs to the registration issue.
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        if text.is_empty() {
            return Err(AccountError::Empty);
        }
        if let Some(c) = text.chars().find(|c| !c.is_ascii_digit()) {
            return Err(AccountError::NotADigit(c));
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&text.len()) {
            return Err(AccountError::Length(text.len()));
        }
        Ok(AccountNumber(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A compact key that is unique per account number, leading zeros included: the digits as
    /// a number in the low 60 bits and the length in the high bits.
    pub fn compact(&self) -> u64 {
        let value: u64 = self.0.parse().unwrap_or(0);
        value | ((self.0.len() as u64) << 59)
    }

    /// The number with all but the last four digits hidden, for logs and mail subjects.
    pub fn masked(&self) -> String {
        let keep = 4.min(self.0.len());
        format!("{}{}", "*".repeat(self.0.len() - keep), &self.0[self.0.len() - keep..])
    }
}

impl TryFrom<String> for AccountNumber {
    type Error = AccountError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AccountNumber::parse(&value)
    }
}

impl From<AccountNumber> for String {
    fn from(value: AccountNumber) -> Self {
        value.0
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_leading_zeros_apart() {
        let a = AccountNumber::parse("0012345").unwrap();
        let b = AccountNumber::parse("12345").unwrap();
        assert_ne!(a.compact(), b.compact());
        assert_eq!(a.as_str(), "0012345");
    }

    #[test]
    fn refuses_non_digits_and_bad_lengths() {
        assert_eq!(AccountNumber::parse(""), Err(AccountError::Empty));
        assert_eq!(AccountNumber::parse("(180)211111"), Err(AccountError::NotADigit('(')));
        assert_eq!(AccountNumber::parse("18О211111"), Err(AccountError::NotADigit('О')));
        assert_eq!(AccountNumber::parse("123"), Err(AccountError::Length(3)));
        assert_eq!(AccountNumber::parse(&"1".repeat(17)), Err(AccountError::Length(17)));
    }

    #[test]
    fn masks_all_but_the_last_four_digits() {
        assert_eq!(AccountNumber::parse("180211111").unwrap().masked(), "*****1111");
    }

    proptest! {
        #[test]
        fn compact_keys_are_unique(a in "[0-9]{4,16}", b in "[0-9]{4,16}") {
            let (x, y) = (AccountNumber::parse(&a).unwrap(), AccountNumber::parse(&b).unwrap());
            prop_assert_eq!(x.compact() == y.compact(), a == b);
        }
    }
}

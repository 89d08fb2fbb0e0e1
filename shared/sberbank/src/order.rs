//! The two names of an order: ours ([`OrderNumber`], one per payment attempt) and the
//! gateway's ([`OrderId`], returned by register.do and sent back as `mdOrder` in callbacks).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest order number Svet sends. The gateway's own limits vary between 30 and 36
/// characters depending on the document; 30 fits them all.
pub const MAX_ORDER_NUMBER: usize = 30;

/// The merchant's order number: 1 to 30 characters of `A-Z a-z 0-9 _ -`.
///
/// The gateway deduplicates registrations by this number alone, for all time: registering the
/// same number twice fails with error code 1. So every payment *attempt* gets a fresh one
/// ([`OrderNumber::generate`]), and the caller stores the mapping to its payment before it
/// calls register.do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderNumberError {
    #[error("the order number is empty")]
    Empty,
    #[error("the order number has {0} characters; at most {MAX_ORDER_NUMBER} are allowed")]
    TooLong(usize),
    #[error("unexpected character {0:?} in the order number")]
    BadCharacter(char),
}

/// What a generated number starts with, so that operators can tell Svet's orders apart in the
/// bank's cabinet.
const PREFIX: &str = "sv";

impl OrderNumber {
    /// A new number: `sv` and 28 lowercase hex digits (112 random bits), 30 characters.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 14];
        getrandom::fill(&mut bytes).expect("the operating system has no random source");
        OrderNumber(format!("{PREFIX}{}", hex::encode(bytes)))
    }

    pub fn parse(text: &str) -> Result<Self, OrderNumberError> {
        if text.is_empty() {
            return Err(OrderNumberError::Empty);
        }
        if let Some(c) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
            return Err(OrderNumberError::BadCharacter(c));
        }
        if text.len() > MAX_ORDER_NUMBER {
            return Err(OrderNumberError::TooLong(text.len()));
        }
        Ok(OrderNumber(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrderNumber {
    type Error = OrderNumberError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        OrderNumber::parse(&text)
    }
}

impl From<OrderNumber> for String {
    fn from(number: OrderNumber) -> String {
        number.0
    }
}

/// Longest gateway order id accepted. The bank sends a 36-character UUID; the bound only keeps
/// nonsense out of storage keys.
pub const MAX_ORDER_ID: usize = 64;

/// The gateway's order id (`orderId`, `mdOrder`), normally a lowercase UUID. Checked loosely
/// (letters, digits and `-`), since test data and older gateways use other shapes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a gateway order id (1 to {MAX_ORDER_ID} letters, digits and dashes)")]
pub struct OrderIdError;

impl OrderId {
    pub fn parse(text: &str) -> Result<Self, OrderIdError> {
        let ok = !text.is_empty()
            && text.len() <= MAX_ORDER_ID
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok { Ok(OrderId(text.to_owned())) } else { Err(OrderIdError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrderId {
    type Error = OrderIdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        OrderId::parse(&text)
    }
}

impl From<OrderId> for String {
    fn from(id: OrderId) -> String {
        id.0
    }
}

/// Which order a status query is about: the gateway's id, or our number (for instance after a
/// register.do whose answer was lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRef<'a> {
    Id(&'a OrderId),
    Number(&'a OrderNumber),
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn generated_numbers_fit_the_gateway_and_do_not_repeat() {
        let numbers: HashSet<OrderNumber> = (0..10_000).map(|_| OrderNumber::generate()).collect();
        assert_eq!(numbers.len(), 10_000);
        for number in &numbers {
            assert_eq!(number.as_str().len(), MAX_ORDER_NUMBER);
            assert!(number.as_str().starts_with("sv"));
            assert_eq!(OrderNumber::parse(number.as_str()).as_ref(), Ok(number));
        }
    }

    #[test]
    fn order_numbers_are_checked() {
        assert!(OrderNumber::parse("ZX-987654321").is_ok());
        assert!(OrderNumber::parse(&"a".repeat(30)).is_ok());
        assert_eq!(OrderNumber::parse(""), Err(OrderNumberError::Empty));
        assert_eq!(OrderNumber::parse(&"a".repeat(31)), Err(OrderNumberError::TooLong(31)));
        assert_eq!(OrderNumber::parse("12 34"), Err(OrderNumberError::BadCharacter(' ')));
        assert_eq!(OrderNumber::parse("счёт"), Err(OrderNumberError::BadCharacter('с')));
    }

    #[test]
    fn order_ids_are_checked_loosely() {
        assert!(OrderId::parse("a67b0ced-c9a4-4cfb-bce3-b9595afaafc1").is_ok());
        assert!(OrderId::parse("72318777-5zfg-782c-bk02-xxxxxxxx8dx5").is_ok());
        assert_eq!(OrderId::parse(""), Err(OrderIdError));
        assert_eq!(OrderId::parse("a/b"), Err(OrderIdError));
        assert_eq!(OrderId::parse(&"a".repeat(65)), Err(OrderIdError));
    }
}

//! The gateway's numeric codes as types: `errorCode` (did the call work), `orderStatus` (where
//! the order is) and `paymentAmountInfo.paymentState`.
//!
//! Meanings are those of the protocol reference (`shared/sberbank-gateway.md` §2–4). The same
//! code means slightly different things for different methods; the doc comment of each variant
//! lists what the bank documents for it.

use std::fmt;

/// A non-zero `errorCode`: the gateway refused or failed the call. Every code the reference
/// documents has a variant; any other is kept as sent in [`GatewayErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GatewayErrorCode {
    /// 1: an order with this `orderNumber` is already registered or processed, or the number
    /// is wrong (register.do). For status queries: neither `orderId` nor `orderNumber` given.
    OrderNumberUsed,
    /// 3: unknown or forbidden currency.
    UnknownCurrency,
    /// 4: a mandatory parameter is missing or empty (order number, amount, return URL,
    /// password…).
    MissingParameter,
    /// 5: a parameter has a wrong value; access denied (bad credentials); the merchant must
    /// change the password; invalid `jsonParams`. For reverse.do/refund.do also a wrong order
    /// status or refunds above the paid amount; for status queries, "order not found".
    InvalidParameter,
    /// 6: unregistered `orderId` or unknown order number.
    UnknownOrder,
    /// 7: system error; for refund.do also "refunds exceed the order amount", for deposit.do
    /// "no successful pre-authorisation".
    SystemError,
    /// 8: the cart's sum or currency does not match the order, or the cart is malformed.
    CartMismatch,
    /// 14: invalid `features`.
    InvalidFeatures,
    /// A code the reference does not document, exactly as sent.
    Other(String),
}

impl GatewayErrorCode {
    /// The code as the gateway sends it (a string of digits, or a JSON number written out).
    /// `None` for success: `0`, or nothing at all.
    pub fn from_wire(code: &str) -> Option<Self> {
        let code = code.trim();
        let known = match code.parse::<u32>() {
            Ok(0) => return None,
            Ok(1) => Self::OrderNumberUsed,
            Ok(3) => Self::UnknownCurrency,
            Ok(4) => Self::MissingParameter,
            Ok(5) => Self::InvalidParameter,
            Ok(6) => Self::UnknownOrder,
            Ok(7) => Self::SystemError,
            Ok(8) => Self::CartMismatch,
            Ok(14) => Self::InvalidFeatures,
            _ if code.is_empty() => return None,
            _ => Self::Other(code.to_owned()),
        };
        Some(known)
    }

    /// The code as a string, `"5"`, or the unknown code as it was sent.
    pub fn code(&self) -> &str {
        match self {
            Self::OrderNumberUsed => "1",
            Self::UnknownCurrency => "3",
            Self::MissingParameter => "4",
            Self::InvalidParameter => "5",
            Self::UnknownOrder => "6",
            Self::SystemError => "7",
            Self::CartMismatch => "8",
            Self::InvalidFeatures => "14",
            Self::Other(code) => code,
        }
    }

    /// A short English description for logs.
    pub fn meaning(&self) -> &'static str {
        match self {
            Self::OrderNumberUsed => "order number already used or wrong",
            Self::UnknownCurrency => "unknown currency",
            Self::MissingParameter => "mandatory parameter missing",
            Self::InvalidParameter => "wrong parameter value, access denied or wrong order state",
            Self::UnknownOrder => "unknown order",
            Self::SystemError => "system error",
            Self::CartMismatch => "cart does not match the order",
            Self::InvalidFeatures => "invalid features",
            Self::Other(_) => "undocumented error code",
        }
    }
}

impl fmt::Display for GatewayErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.meaning())
    }
}

/// `orderStatus`: where the order is. Only [`OrderStatus::Deposited`] means the money is taken
/// (for a one-stage payment); `errorCode 0` only means that the query itself worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// 0: registered, not paid yet.
    Registered,
    /// 1: pre-authorised, the amount is held (two-stage payments; deposit or reverse next).
    PreAuthorised,
    /// 2: authorised and deposited: paid.
    Deposited,
    /// 3: the authorisation was reversed (voided).
    Reversed,
    /// 4: a refund was made (partial or full; see `refundedAmount`).
    Refunded,
    /// 5: the issuer's 3-D Secure (ACS) authentication is in progress.
    AcsAuthorisation,
    /// 6: the authorisation was declined, or the order expired; see `actionCode`.
    Declined,
    /// A status the reference does not document, as sent.
    Other(i64),
}

impl OrderStatus {
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Registered,
            1 => Self::PreAuthorised,
            2 => Self::Deposited,
            3 => Self::Reversed,
            4 => Self::Refunded,
            5 => Self::AcsAuthorisation,
            6 => Self::Declined,
            other => Self::Other(other),
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Self::Registered => 0,
            Self::PreAuthorised => 1,
            Self::Deposited => 2,
            Self::Reversed => 3,
            Self::Refunded => 4,
            Self::AcsAuthorisation => 5,
            Self::Declined => 6,
            Self::Other(code) => code,
        }
    }

    /// The customer may still pay or is paying: ask again later (or after the order's lifetime).
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Registered | Self::AcsAuthorisation)
    }
}

/// `paymentAmountInfo.paymentState`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaymentState {
    Created,
    Approved,
    Deposited,
    Reversed,
    Refunded,
    Declined,
    Other(String),
}

impl PaymentState {
    pub fn from_wire(text: &str) -> Self {
        match text {
            "CREATED" => Self::Created,
            "APPROVED" => Self::Approved,
            "DEPOSITED" => Self::Deposited,
            "REVERSED" => Self::Reversed,
            "REFUNDED" => Self::Refunded,
            "DECLINED" => Self::Declined,
            other => Self::Other(other.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_error_code_has_its_variant() {
        let table = [
            ("1", GatewayErrorCode::OrderNumberUsed),
            ("3", GatewayErrorCode::UnknownCurrency),
            ("4", GatewayErrorCode::MissingParameter),
            ("5", GatewayErrorCode::InvalidParameter),
            ("6", GatewayErrorCode::UnknownOrder),
            ("7", GatewayErrorCode::SystemError),
            ("8", GatewayErrorCode::CartMismatch),
            ("14", GatewayErrorCode::InvalidFeatures),
        ];
        for (wire, code) in table {
            assert_eq!(GatewayErrorCode::from_wire(wire).as_ref(), Some(&code), "{wire}");
            assert_eq!(code.code(), wire);
        }
    }

    #[test]
    fn zero_and_nothing_are_success_and_unknown_codes_are_kept() {
        assert_eq!(GatewayErrorCode::from_wire("0"), None);
        assert_eq!(GatewayErrorCode::from_wire("000"), None);
        assert_eq!(GatewayErrorCode::from_wire(""), None);
        assert_eq!(GatewayErrorCode::from_wire("05"), Some(GatewayErrorCode::InvalidParameter));
        assert_eq!(GatewayErrorCode::from_wire("999"), Some(GatewayErrorCode::Other("999".into())));
        assert_eq!(GatewayErrorCode::from_wire("-1"), Some(GatewayErrorCode::Other("-1".into())));
        assert_eq!(GatewayErrorCode::Other("999".into()).code(), "999");
    }

    #[test]
    fn order_statuses_round_trip() {
        for code in 0..=7 {
            assert_eq!(OrderStatus::from_code(code).code(), code);
        }
        assert_eq!(OrderStatus::from_code(2), OrderStatus::Deposited);
        assert_eq!(OrderStatus::from_code(7), OrderStatus::Other(7));
        assert!(OrderStatus::Registered.is_pending() && OrderStatus::AcsAuthorisation.is_pending());
        assert!(!OrderStatus::Declined.is_pending());
    }
}

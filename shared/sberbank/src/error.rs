//! What can go wrong with a call, told apart the way callers must act on it: refused by the
//! gateway (a typed code), not delivered (safe to send again), or delivered with the outcome
//! unknown (ask getOrderStatusExtended.do before doing anything else).

use std::fmt;

use crate::codes::GatewayErrorCode;

/// The gateway method a call was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Register,
    OrderStatus,
    Refund,
    Reverse,
}

impl Operation {
    /// The method's file name under the REST base.
    pub fn method(self) -> &'static str {
        match self {
            Operation::Register => "register.do",
            Operation::OrderStatus => "getOrderStatusExtended.do",
            Operation::Refund => "refund.do",
            Operation::Reverse => "reverse.do",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.method())
    }
}

/// Whether a failed call may have reached the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The connection was never made: the bank saw nothing.
    NotSent,
    /// The request may have been received and acted on.
    Unknown,
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Delivery::NotSent => "not sent",
            Delivery::Unknown => "outcome unknown",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request was refused before sending (an amount of zero, a description too long…).
    #[error("{operation}: invalid request: {reason}")]
    InvalidRequest { operation: Operation, reason: &'static str },
    /// No answer: connection, TLS or timeout trouble.
    #[error("{operation}: no answer from the gateway ({delivery}): {source}")]
    Transport {
        operation: Operation,
        delivery: Delivery,
        #[source]
        source: reqwest::Error,
    },
    /// An HTTP status other than 200 (the bank answers business errors with 200).
    #[error("{operation}: HTTP {status} from the gateway")]
    Http { operation: Operation, status: u16 },
    /// The gateway refused or failed the call: a non-zero `errorCode`.
    #[error("{operation}: gateway error {code}: {message}")]
    Gateway { operation: Operation, code: GatewayErrorCode, message: String },
    /// An answer that is not what the protocol describes. `detail` never quotes the body.
    #[error("{operation}: unexpected answer from the gateway: {detail}")]
    Decode { operation: Operation, detail: String },
}

impl Error {
    pub fn operation(&self) -> Operation {
        match self {
            Error::InvalidRequest { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Http { operation, .. }
            | Error::Gateway { operation, .. }
            | Error::Decode { operation, .. } => *operation,
        }
    }

    /// The gateway's error code, when it answered with one.
    pub fn gateway_code(&self) -> Option<&GatewayErrorCode> {
        match self {
            Error::Gateway { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The bank may have acted on the request although the call failed. After register.do,
    /// ask for the order by its number before a new attempt; after refund.do or reverse.do,
    /// read `refundedAmount` or the status before sending again.
    pub fn may_have_reached_bank(&self) -> bool {
        match self {
            Error::InvalidRequest { .. } => false,
            Error::Transport { delivery, .. } => *delivery == Delivery::Unknown,
            Error::Http { .. } | Error::Decode { .. } => true,
            // A system error may have come after the bank acted; any other refusal means that
            // nothing was done.
            Error::Gateway { code, .. } => *code == GatewayErrorCode::SystemError,
        }
    }
}

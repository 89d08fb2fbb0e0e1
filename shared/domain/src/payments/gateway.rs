//! The payment gateway port: what the payments use cases need from the acquiring bank, in the
//! domain's own small types. `svet-sberbank` implements it over the bank's REST API
//! (`svet_sberbank::SberbankGateway`); the domain never sees that crate's types.

use async_trait::async_trait;

use crate::billing::Period;
use crate::identity::input::Email;
use crate::{AccountNumber, Kopecks};

/// An order to register at the bank: one payment attempt. No `Debug`: it holds the e-mail.
#[derive(Clone)]
pub struct OrderRequest {
    /// Ours, fresh for this attempt (≤ 30 characters, `[A-Za-z0-9]`).
    pub order_number: String,
    pub amount: Kopecks,
    /// Where the bank sends the customer back (it appends `orderId=…`).
    pub return_url: String,
    /// Shown on the bank's page (≤ 99 characters).
    pub description: String,
    /// The order's lifetime at the bank.
    pub lifetime_seconds: i64,
    /// Our payment id, echoed back by the bank with the order.
    pub payment_id: String,
    /// Where the bank's cash register sends the 54-FZ cheque.
    pub email: Email,
    pub account: AccountNumber,
    /// The bill period the payment is for.
    pub period: Period,
    /// More than the amount due: an advance payment on the cheque.
    pub advance: bool,
}

/// A registered order: the bank's id and the page the customer pays on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredOrder {
    pub order_id: String,
    pub form_url: String,
}

/// Which order to ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRef<'a> {
    /// The bank's order id (`mdOrder`, `orderId`).
    Id(&'a str),
    /// Our order number.
    Number(&'a str),
}

/// Where an order is, as the bank says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankState {
    /// Not paid yet, or the customer is in the 3-D Secure step.
    Pending,
    /// Pre-authorised (a two-stage order; Svet registers one-stage ones).
    Held,
    /// Paid: the money is taken.
    Paid,
    /// A card attempt was declined (the bank's page may still take another card until the
    /// order's lifetime or its attempts are over).
    Declined,
    /// The order's lifetime passed before it was paid.
    Expired,
    /// The payment was voided.
    Reversed,
    /// Paid, then refunded in part or in full.
    Refunded,
    /// A status the bank does not document.
    Unknown(i64),
}

/// The bank's answer to a status query (getOrderStatusExtended.do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankStatus {
    pub state: BankState,
    /// The order's amount.
    pub amount: Kopecks,
    /// The currency is the rouble.
    pub rubles: bool,
    /// What was taken, when the bank says.
    pub deposited: Option<Kopecks>,
    /// What was refunded so far.
    pub refunded: Option<Kopecks>,
    /// The bank's action code (116: insufficient funds, −2007: lifetime over, …).
    pub action_code: Option<i64>,
}

/// A callback whose checksum holds: what the bank says happened to which order. It is only a
/// notice; the use case asks the bank before changing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackNotice {
    pub order_id: String,
    pub order_number: String,
    pub operation: String,
    pub success: bool,
}

/// Why a gateway call failed, by what the caller must do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The request certainly did not reach the bank (no connection, refused before sending).
    #[error("the gateway was not reached: {0}")]
    NotSent(String),
    /// The bank refused the request: nothing was done.
    #[error("the gateway refused the request: {0}")]
    Refused(String),
    /// The request may have reached the bank (a timeout, an unreadable answer, a system
    /// error): look at the order before acting again.
    #[error("the gateway's answer was lost: {0}")]
    MaybeSent(String),
    /// The bank knows no such order.
    #[error("the gateway knows no such order")]
    UnknownOrder,
}

/// Why a callback was refused: the HTTP layer answers 4xx and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackRefused {
    /// No checksum, or one that does not match: forged or corrupted.
    #[error("the callback's checksum is missing or wrong: {0}")]
    Checksum(String),
    /// A parameter is missing, repeated or malformed.
    #[error("the callback is malformed: {0}")]
    Malformed(String),
}

/// The acquiring bank.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Registers an order (register.do). Never retried by the adapter once it may have reached
    /// the bank: the caller stores the order number first and asks by it afterwards.
    async fn register(&self, order: &OrderRequest) -> Result<RegisteredOrder, GatewayError>;

    /// The order's status (getOrderStatusExtended.do).
    async fn status(&self, order: OrderRef<'_>) -> Result<BankStatus, GatewayError>;

    /// Returns `amount` of a paid order to the card it was paid with (refund.do, by the
    /// bank's order id); partial refunds may repeat while their sum stays within the paid
    /// amount. Never retried by the adapter once it may have reached the bank
    /// ([`GatewayError::MaybeSent`]): the caller records the refund first and compares the
    /// bank's refunded amount ([`BankStatus::refunded`]) before sending another.
    async fn refund(&self, order_id: &str, amount: Kopecks) -> Result<(), GatewayError>;

    /// Voids the whole of a payment on the day it was made (reverse.do, by the bank's order
    /// id); afterwards only [`PaymentGateway::refund`] works. Retried like refund.do. Svet's
    /// refunds use refund.do only (docs/payments.md, «Refunds»).
    async fn reverse(&self, order_id: &str) -> Result<(), GatewayError>;

    /// Loads what the gateway needs and has not yet got (a gateway whose secrets are read on
    /// first use reads them here); [`PaymentGateway::verify_callback`] is called only after it.
    /// Ready at once unless the gateway says otherwise.
    async fn ready(&self) -> Result<(), GatewayError> {
        Ok(())
    }

    /// Checks a callback's checksum over its URL-decoded query parameters.
    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackRefused>;
}

//! Card payments (B3–B11, P1–P5): starting a payment, confirming it with the bank, crediting
//! it exactly once, settling the ones whose outcome never arrived, and the payments list.
//! The bank is a port ([`PaymentGateway`]); `svet-sberbank` implements it.
//!
//! Items (docs/data-model.md has the table):
//! - the payment, `ACCOUNT#<n>` / `PAYMENT#<created unix s, 10 digits>#<id>`: the «Платежи»
//!   page reads an account's payments in a date range with one query;
//! - links to it from our order number, `ORDER#<orderNumber>` / `ORDER` (written with the
//!   payment), and from the bank's order id, `GWORDER#<orderId>` / `ORDER` (written when
//!   register.do answers), so a callback or a return finds its payment with one read;
//! - a link from the payment's id, `PAYID#<id>` / `PAYMENT` (written with the payment), so
//!   a receipt or a refund finds it by the id printed on the receipt;
//! - the start's idempotency key, `ACCOUNT#<n>` / `PAYKEY#<key>` (24 h), written with the
//!   payment, so a double click gets the first payment's order back;
//! - the pending index, `PENDING` / `<due unix s>#<orderNumber>`, written with the payment and
//!   deleted when it is settled: reconciliation reads the due entries with one query instead
//!   of scanning the table;
//! - a receipt to mail (B6), `RECEIPTQ` / `<paid unix s>#<id>`, written with the credit and
//!   deleted once the receipt is sent (or given up): the return, the callback and
//!   reconciliation send what is queued;
//! - the credit, `ACCOUNT#<n>` / `CREDIT#<payment's created unix s>#<id>`, written in the same
//!   transaction that moves the payment to paid.
//! - a refund, `ACCOUNT#<n>` / `REFUND#<requested unix s>#<payment id>#<number>`, written
//!   (`requested`) before refund.do is sent and settled (`done`, with the payment's new
//!   `refunded`, or `failed`) after: [`Payments::refund`].
//!
//! Exactly one credit, guarded twice: a payment is credited only by a transaction that writes
//! it with `credited: true` on the condition that its stored version is the one read, which
//! had `credited: false`; and the same transaction puts the credit item, whose key depends on
//! the payment alone, on the condition that it is absent. Versions only grow and `credited` is
//! never cleared, so of any number of confirmations (duplicate or reordered callbacks, the
//! return, reconciliation, all at once) exactly one transaction can succeed; the others fail a
//! condition, read the payment again and find it credited.

mod confirm;
mod gateway;
mod history;
mod receipt;
mod refund;
mod start;

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::billing::{Period, Registers};
use crate::identity::input::Email;
use crate::readings::SubmitError;
use crate::store::{Key, StoreError};
use crate::{AccountNumber, Clock, Config, IdGen, Kopecks, Store};

pub use confirm::{CallbackOutcome, ConfirmError, Confirmed, ReconcileSummary};
pub use gateway::{
    BankState, BankStatus, CallbackNotice, CallbackRefused, GatewayError, OrderRef, OrderRequest,
    PaymentGateway, RegisteredOrder,
};
pub use history::{DateRange, DateRangeError, date_range, find, list, paid_since, received_between};
pub use receipt::{MailSummary, Receipt, ReceiptMails, receipt_queue_key};
pub use refund::{
    REPEAT_WINDOW_SECONDS, Refund, RefundError, RefundState, Refunded, SETTLE_AFTER_SECONDS, check_amount,
    refund_key, refunded_since, refunds_of,
};
pub use start::{StartPayment, Started, readings_only};

/// Where a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Stored; register.do not answered yet (or its answer was lost).
    Created,
    /// The bank has the order; the customer is on its page.
    Registered,
    /// Paid and credited.
    Paid,
    /// The bank declined the card.
    Declined,
    /// The order's lifetime passed unpaid.
    Expired,
    /// The bank never registered the order.
    Failed,
    /// Voided by the bank.
    Reversed,
    /// Paid, then refunded (in part: see `refunded`).
    Refunded,
    /// The bank's status does not match the payment (amount or currency): not credited, left
    /// for an operator.
    Flagged,
    /// Readings sent without payment (P5): a row of the list, not a payment.
    ReadingsOnly,
}

impl PaymentStatus {
    /// Nothing will change it any more (refunds aside).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Created | Self::Registered | Self::Declined)
    }

    /// The «Платежи» page's words for it (P3, P5).
    pub fn label_ru(self) -> &'static str {
        match self {
            Self::Created | Self::Registered => "Ожидает оплаты",
            Self::Paid => "Платеж успешно выполнен",
            Self::Declined => "Банк отклонил оплату",
            Self::Expired => "Время оплаты истекло",
            Self::Failed => "Платеж не создан: банк не ответил",
            Self::Reversed => "Платеж отменен",
            Self::Refunded => "Платеж возвращен",
            Self::Flagged => "Платеж на проверке",
            Self::ReadingsOnly => "передача показаний без оплаты",
        }
    }
}

/// One payment (or a readings-only row) as stored. Its `Debug` masks the account and leaves
/// out the e-mail, so it may be logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: String,
    pub account: AccountNumber,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub amount: Kopecks,
    pub status: PaymentStatus,
    /// Where the bank's cheque goes (B6); none for a readings-only row.
    pub email: Option<Email>,
    /// The customer ticked «Получить чек по электронной почте» (B6): our receipt is mailed to
    /// `email` once the payment is credited.
    #[serde(default)]
    pub receipt_mail: bool,
    /// The readings sent with it, accepted when it is paid.
    pub readings: Option<Registers>,
    /// The period those readings count for.
    pub reading_period: Option<Period>,
    /// The bill period it pays.
    pub period: Option<Period>,
    /// Our order number at the bank (one attempt: paying again after a decline is a new
    /// payment with a new number).
    pub order_number: Option<String>,
    pub order_id: Option<String>,
    pub form_url: Option<String>,
    /// The card attempt's or the expiry's action code from the bank.
    pub action_code: Option<i64>,
    pub paid_at: Option<Timestamp>,
    /// The credit item is written; never cleared.
    pub credited: bool,
    pub refunded: Kopecks,
    /// Why it is flagged.
    pub flag: Option<String>,
    /// When reconciliation asks the bank about it, while it is in the pending index.
    pub pending_due: Option<i64>,
}

impl fmt::Debug for Payment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payment")
            .field("id", &self.id)
            .field("account", &self.account.masked())
            .field("created_at", &self.created_at)
            .field("amount", &self.amount)
            .field("status", &self.status)
            .field("readings", &self.readings)
            .field("order_number", &self.order_number)
            .field("order_id", &self.order_id)
            .field("action_code", &self.action_code)
            .field("credited", &self.credited)
            .field("refunded", &self.refunded)
            .field("flag", &self.flag)
            .field("pending_due", &self.pending_due)
            .finish_non_exhaustive()
    }
}

impl Payment {
    pub fn key(&self) -> Key {
        payment_key(&self.account, self.created_at, &self.id)
    }
}

/// Why a payment did not start. [`PaymentError::message_ru`] is what the customer reads.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// 0 on «Оплатить»: readings go without payment through [`Payments::submit_readings`].
    #[error("the amount is zero")]
    ZeroAmount,
    #[error("the amount is negative")]
    Negative,
    /// Above the bank's per-payment limit (B8): `parts` payments of at most `limit` each.
    #[error("the amount is above the per-payment limit")]
    AboveLimit { amount: Kopecks, limit: Kopecks, parts: i64 },
    #[error("the idempotency key is not valid")]
    BadIdempotencyKey,
    #[error("the account is not in the registry")]
    NotInRegistry,
    /// The readings were refused; the page shows them as the readings form does.
    #[error("readings: {0}")]
    Readings(#[from] SubmitError),
    /// The same form was sent again while the first one is still being registered.
    #[error("the payment is being created")]
    InProgress,
    /// The bank did not register the order (or its answer was lost: reconciliation settles it).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PaymentError {
    /// The customer's message (Russian).
    pub fn message_ru(&self) -> String {
        match self {
            Self::ZeroAmount => {
                "Введите сумму оплаты не меньше 0,01 ₽. Чтобы передать показания без оплаты, \
                                 нажмите «Передать показания счетчика»."
                    .into()
            }
            Self::Negative => "Сумма оплаты не может быть отрицательной.".into(),
            Self::AboveLimit { amount, limit, parts } => format!(
                "Банк принимает не более {limit} за один платеж. Разделите сумму {amount} на части \
                 (не меньше {parts}) и оплатите их по очереди, каждую с теми же показаниями."
            ),
            Self::BadIdempotencyKey => "Обновите страницу и попробуйте еще раз.".into(),
            Self::NotInRegistry => "Лицевой счет не найден. Обратитесь в службу поддержки.".into(),
            Self::Readings(e) => format!("Проверьте показания: {e}"),
            Self::InProgress => {
                "Платеж уже создается. Подождите несколько секунд и обновите страницу.".into()
            }
            Self::Gateway(_) => "Банк сейчас не отвечает. Попробуйте оплатить позже; если деньги \
                                 списаны, платеж появится в разделе «Платежи»."
                .into(),
            Self::Store(_) => "Сервис временно недоступен. Попробуйте позже.".into(),
        }
    }
}

/// The payments use cases over their ports.
#[derive(Clone, Copy)]
pub struct Payments<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdGen,
    pub config: &'a Config,
    pub gateway: &'a dyn PaymentGateway,
}

/// Sort keys hold unix seconds with 10 digits, so they order as numbers (until 2286).
/// Seconds since the epoch in keys: ten digits, so that keys sort by time. Instants outside
/// 1970..2286 (only the bounds of a query's range can be) are clamped to the first or last key.
fn seconds(t: Timestamp) -> String {
    format!("{:010}", t.as_second().clamp(0, 9_999_999_999))
}

pub fn payment_key(account: &AccountNumber, created_at: Timestamp, id: &str) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("PAYMENT#{}#{id}", seconds(created_at)))
}

pub fn order_key(order_number: &str) -> Key {
    Key::new(format!("ORDER#{order_number}"), "ORDER")
}

/// The link from a payment's id (on its receipt, P4; what an operator refunds by) to the
/// payment.
pub fn id_key(payment_id: &str) -> Key {
    Key::new(format!("PAYID#{payment_id}"), "PAYMENT")
}

pub fn gateway_order_key(order_id: &str) -> Key {
    Key::new(format!("GWORDER#{order_id}"), "ORDER")
}

fn idempotency_key(account: &AccountNumber, key: &str) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("PAYKEY#{key}"))
}

/// The pending index's one partition. A payment is a few writes a day per thousand accounts,
/// far below one partition's write rate.
pub const PENDING_PK: &str = "PENDING";

fn pending_key(due: i64, order_number: &str) -> Key {
    Key::new(PENDING_PK, format!("{due:010}#{order_number}"))
}

pub fn credit_key(account: &AccountNumber, created_at: Timestamp, id: &str) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("CREDIT#{}#{id}", seconds(created_at)))
}

/// Where an order's payment is: the data of the `ORDER#`, `GWORDER#` and `PENDING` items.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Link {
    account: AccountNumber,
    sk: String,
}

impl Link {
    fn to(payment: &Payment) -> Link {
        Link { account: payment.account.clone(), sk: payment.key().sk }
    }

    fn key(&self) -> Key {
        Key::new(format!("ACCOUNT#{}", self.account), self.sk.clone())
    }
}

/// The credit item's data: one successful payment counted towards the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub payment_id: String,
    pub amount: Kopecks,
    pub paid_at: Timestamp,
    pub period: Option<Period>,
}

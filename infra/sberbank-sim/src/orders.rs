//! The orders and their state machine (shared/sberbank-gateway.md §8), free of HTTP:
//!
//! ```text
//! register ─► 0 ──card──► 2 DEPOSITED (1-stage) | 1 APPROVED (2-stage) ──deposit──► 2
//!             │ └─3-DS──► 5 ──code──► 2 | 1 | 6
//!             ├─ decline ─► 6 (the card's actionCode); payable again until 3 attempts
//!             └─ lifetime over ─► 6, actionCode -2007
//! 2 ──refund (Σ ≤ deposited)──► 4 ;  2 same day, 1 ──reverse──► 3
//! ```
//! Every transition returns the callback it causes; the caller sends them after letting go
//! of the lock.

use std::collections::HashMap;

use jiff::{Timestamp, tz::Offset};

use crate::cards::{AfterChallenge, Card, Outcome};

/// orderStatus as getOrderStatusExtended reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Created = 0,
    Approved = 1,
    Deposited = 2,
    Reversed = 3,
    Refunded = 4,
    Acs = 5,
    Declined = 6,
}

impl Status {
    /// `paymentAmountInfo.paymentState`.
    pub fn payment_state(self) -> &'static str {
        match self {
            Status::Created | Status::Acs => "CREATED",
            Status::Approved => "APPROVED",
            Status::Deposited => "DEPOSITED",
            Status::Reversed => "REVERSED",
            Status::Refunded => "REFUNDED",
            Status::Declined => "DECLINED",
        }
    }
}

/// A business error as the bank reports it: `errorCode` and `errorMessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayError {
    pub code: u16,
    pub message: String,
}

pub fn fail<T>(code: u16, message: impl Into<String>) -> Result<T, GatewayError> {
    Err(GatewayError { code, message: message.into() })
}

/// A callback to send: `operation` with `status` 1 (succeeded) or 0 (failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub merchant: String,
    pub order_id: String,
    pub order_number: String,
    pub operation: &'static str,
    pub status: u8,
    pub amount: i64,
}

/// register.do's parameters after parsing.
#[derive(Clone, Debug, Default)]
pub struct NewOrder {
    pub number: String,
    pub amount: i64,
    pub currency: String,
    pub return_url: String,
    pub fail_url: Option<String>,
    pub description: Option<String>,
    pub client_id: Option<String>,
    pub json_params: Vec<(String, String)>,
    pub order_bundle: Option<serde_json::Value>,
    pub expires: Timestamp,
    pub two_stage: bool,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub id: String,
    pub merchant: String,
    pub spec: NewOrder,
    pub created: Timestamp,
    pub status: Status,
    pub action_code: i32,
    pub attempts: u8,
    pub card: Option<Card>,
    pub approved: i64,
    pub deposited: i64,
    pub refunded: i64,
    pub authorised_at: Option<Timestamp>,
    pub deposited_at: Option<Timestamp>,
    pub refunded_at: Option<Timestamp>,
    pub approval_code: Option<String>,
    pub rrn: Option<String>,
    /// The page refuses further attempts: paid, attempts used up, or expired.
    pub closed: bool,
}

impl Order {
    /// Whether the payment page may still take a card.
    pub fn payable(&self) -> bool {
        !self.closed && matches!(self.status, Status::Created | Status::Declined)
    }

    /// Where the page sends the customer now: returnUrl after a success, failUrl (else
    /// returnUrl) after a failure; `orderId` appended as the bank does.
    pub fn back_url(&self) -> String {
        let success = matches!(self.status, Status::Approved | Status::Deposited);
        let base = match (&self.spec.fail_url, success) {
            (Some(fail), false) => fail,
            _ => &self.spec.return_url,
        };
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}orderId={}", self.id)
    }

    fn event(&self, operation: &'static str, status: u8) -> Event {
        Event {
            merchant: self.merchant.clone(),
            order_id: self.id.clone(),
            order_number: self.spec.number.clone(),
            operation,
            status,
            amount: self.spec.amount,
        }
    }
}

/// Where the customer goes after submitting a card.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// The issuer's 3-D Secure page.
    Challenge,
    /// Back to the merchant.
    Finished,
}

/// Every order, by gateway id, with the merchants' order numbers.
#[derive(Default)]
pub struct Book {
    orders: HashMap<String, Order>,
    numbers: HashMap<(String, String), String>,
}

impl Book {
    pub fn register(
        &mut self,
        merchant: &str,
        spec: NewOrder,
        id: String,
        now: Timestamp,
    ) -> Result<String, GatewayError> {
        let key = (merchant.to_owned(), spec.number.clone());
        if self.numbers.contains_key(&key) {
            return fail(1, "Заказ с таким номером уже обработан");
        }
        self.numbers.insert(key, id.clone());
        let order = Order {
            id: id.clone(),
            merchant: merchant.to_owned(),
            spec,
            created: now,
            status: Status::Created,
            action_code: -100,
            attempts: 0,
            card: None,
            approved: 0,
            deposited: 0,
            refunded: 0,
            authorised_at: None,
            deposited_at: None,
            refunded_at: None,
            approval_code: None,
            rrn: None,
            closed: false,
        };
        self.orders.insert(id.clone(), order);
        Ok(id)
    }

    pub fn get(&self, id: &str) -> Option<&Order> {
        self.orders.get(id)
    }

    /// The merchant's own order by gateway id or order number; another merchant's is unknown.
    pub fn find(
        &self,
        merchant: &str,
        id: Option<&str>,
        number: Option<&str>,
    ) -> Result<&Order, GatewayError> {
        let id = match (id, number) {
            (Some(id), _) => Some(id.to_owned()),
            (None, Some(number)) => self.numbers.get(&(merchant.to_owned(), number.to_owned())).cloned(),
            (None, None) => return fail(4, "Не указан номер заказа"),
        };
        match id.and_then(|id| self.orders.get(&id)) {
            Some(order) if order.merchant == merchant => Ok(order),
            _ => fail(6, "Заказ не найден"),
        }
    }

    fn find_mut(&mut self, merchant: &str, id: &str) -> Result<&mut Order, GatewayError> {
        match self.orders.get_mut(id) {
            Some(order) if order.merchant == merchant => Ok(order),
            _ => fail(6, "Заказ не найден"),
        }
    }

    /// Declines every order whose lifetime is over while it could still be paid.
    pub fn expire(&mut self, now: Timestamp) -> Vec<Event> {
        let mut events = Vec::new();
        for order in self.orders.values_mut() {
            let open = matches!(order.status, Status::Created | Status::Acs) || order.payable();
            if open && order.spec.expires <= now {
                order.status = Status::Declined;
                order.action_code = -2007;
                order.closed = true;
                events.push(order.event("declinedByTimeout", 0));
            }
        }
        events
    }

    /// A card submitted on the payment page: one attempt.
    pub fn submit_card(
        &mut self,
        id: &str,
        card: Card,
        now: Timestamp,
        attempts: u8,
    ) -> Result<(Step, Vec<Event>), GatewayError> {
        let order = self
            .orders
            .get_mut(id)
            .ok_or(GatewayError { code: 6, message: "Заказ не найден".into() })?;
        if !order.payable() {
            return fail(7, "Заказ не может быть оплачен");
        }
        order.attempts += 1;
        let outcome = card.outcome(today(now));
        order.card = Some(card);
        match outcome {
            Outcome::Approve => Ok((Step::Finished, approve(order, now))),
            Outcome::Decline(code) => Ok((Step::Finished, decline(order, code, attempts))),
            Outcome::Challenge { .. } => {
                order.status = Status::Acs;
                Ok((Step::Challenge, Vec::new()))
            }
        }
    }

    /// The 3-D Secure code typed on the issuer's page.
    pub fn confirm_challenge(
        &mut self,
        id: &str,
        code: &str,
        now: Timestamp,
        attempts: u8,
    ) -> Result<Vec<Event>, GatewayError> {
        let order = self
            .orders
            .get_mut(id)
            .ok_or(GatewayError { code: 6, message: "Заказ не найден".into() })?;
        let (Status::Acs, Some(card)) = (order.status, &order.card) else {
            return fail(7, "Заказ не ожидает подтверждения 3-D Secure");
        };
        let Outcome::Challenge { after } = card.outcome(today(now)) else {
            return fail(7, "Заказ не ожидает подтверждения 3-D Secure");
        };
        if code.trim() != crate::cards::ACS_CODE {
            return Ok(decline(order, -2006, attempts));
        }
        Ok(match after {
            AfterChallenge::Approve => approve(order, now),
            AfterChallenge::ApproveUpTo(balance) if order.spec.amount <= balance => approve(order, now),
            AfterChallenge::ApproveUpTo(_) => decline(order, 116, attempts),
            AfterChallenge::Decline(code) => decline(order, code, attempts),
        })
    }

    /// deposit.do: captures a hold, all of it when `amount` is 0.
    pub fn deposit(
        &mut self,
        merchant: &str,
        id: &str,
        amount: i64,
        now: Timestamp,
    ) -> Result<Vec<Event>, GatewayError> {
        let order = self.find_mut(merchant, id)?;
        if order.status != Status::Approved {
            return fail(7, "Не найдена успешная предавторизация");
        }
        if amount > order.approved {
            return fail(5, "Сумма завершения превышает сумму холдирования");
        }
        order.deposited = if amount == 0 { order.approved } else { amount };
        order.deposited_at = Some(now);
        order.status = Status::Deposited;
        Ok(vec![order.event("deposited", 1)])
    }

    /// reverse.do: voids a hold, or a 1-stage payment on the day it was made (Moscow time).
    pub fn reverse(
        &mut self,
        merchant: &str,
        id: &str,
        amount: Option<i64>,
        now: Timestamp,
    ) -> Result<Vec<Event>, GatewayError> {
        let order = self.find_mut(merchant, id)?;
        let same_day = |at: Option<Timestamp>| at.is_some_and(|at| moscow_date(at) == moscow_date(now));
        let reversible = match order.status {
            Status::Approved => true,
            Status::Deposited => same_day(order.deposited_at),
            _ => false,
        };
        if !reversible {
            return fail(5, "Неверный статус заказа");
        }
        let whole = if order.status == Status::Approved { order.approved } else { order.deposited };
        if amount.is_some_and(|a| a != whole) {
            return fail(5, "Частичная отмена не поддерживается");
        }
        order.status = Status::Reversed;
        order.action_code = 0;
        Ok(vec![order.event("reversed", 1)])
    }

    /// refund.do: partial refunds repeat while their sum stays within the deposited amount.
    pub fn refund(
        &mut self,
        merchant: &str,
        id: &str,
        amount: i64,
        now: Timestamp,
    ) -> Result<Vec<Event>, GatewayError> {
        let order = self.find_mut(merchant, id)?;
        if !matches!(order.status, Status::Deposited | Status::Refunded) {
            return fail(7, "Неверный статус заказа");
        }
        if amount > order.deposited - order.refunded {
            return fail(7, "Общая сумма возвратов превышает сумму заказа");
        }
        order.refunded += amount;
        order.refunded_at = Some(now);
        order.status = Status::Refunded;
        Ok(vec![order.event("refunded", 1)])
    }
}

fn approve(order: &mut Order, now: Timestamp) -> Vec<Event> {
    order.closed = true;
    order.action_code = 0;
    order.approved = order.spec.amount;
    order.authorised_at = Some(now);
    let digits = now.as_millisecond().unsigned_abs();
    order.approval_code = Some(format!("{:06}", digits % 1_000_000));
    order.rrn = Some(format!("{:012}", digits % 1_000_000_000_000));
    if order.spec.two_stage {
        order.status = Status::Approved;
        vec![order.event("approved", 1)]
    } else {
        order.status = Status::Deposited;
        order.deposited = order.spec.amount;
        order.deposited_at = Some(now);
        vec![order.event("deposited", 1)]
    }
}

/// A failed attempt; the last allowed one closes the order with -2013.
fn decline(order: &mut Order, code: i32, attempts: u8) -> Vec<Event> {
    order.status = Status::Declined;
    order.action_code = code;
    if order.attempts >= attempts {
        order.action_code = -2013;
        order.closed = true;
    }
    let operation = if order.spec.two_stage { "approved" } else { "deposited" };
    vec![order.event(operation, 0)]
}

/// The bank keeps Moscow time (UTC+3 all year since 2014).
pub const MOSCOW: Offset = Offset::constant(3);

fn moscow_date(at: Timestamp) -> jiff::civil::Date {
    MOSCOW.to_datetime(at).date()
}

fn today(now: Timestamp) -> (i16, i8) {
    let date = moscow_date(now);
    (date.year(), date.month())
}

//! Starting a payment («Оплатить», B7–B8) and sending readings without one (B11, P5).
//!
//! The payment is stored (status created, with its order number, in the pending index) before
//! register.do is called, so an order the bank registered is never unknown to Svet: if the
//! answer is lost, reconciliation asks the bank by our number. The form's idempotency key is
//! reserved in the same transaction, so a double click finds the first payment and gets its
//! page back instead of a second order.

use super::{
    Link, Payment, PaymentError, PaymentStatus, Payments, gateway::GatewayError, gateway::OrderRequest,
    id_key, idempotency_key, order_key, payment_key, pending_key,
};
use crate::billing::Period;
use crate::bills::bills;
use crate::identity::input::Email;
use crate::readings::{self, Reading, SubmitError, Typed};
use crate::registry::{RegistryEntry, registry_key};
use crate::store::{Condition, Item, Store, StoreError, Write};
use crate::{AccountNumber, Clock, Config, IdGen, Kopecks, Meter};

/// How long a form's idempotency key is remembered.
const IDEMPOTENCY_SECONDS: i64 = 24 * 3600;

/// What the customer sent with «Оплатить». No `Debug`: it holds the e-mail.
#[derive(Clone)]
pub struct StartPayment<'a> {
    pub account: &'a AccountNumber,
    pub amount: Kopecks,
    /// Where the bank mails the cheque (B6).
    pub email: Email,
    /// Mail our receipt there too once it is paid (B6).
    pub receipt_mail: bool,
    pub readings: &'a Typed,
    /// The customer answered «Да» to a readings question.
    pub confirm_readings: bool,
    /// The form's token: the same for a second click on the same form.
    pub idempotency_key: &'a str,
    /// The portal's return URL; the bank appends `orderId=…`.
    pub return_url: &'a str,
}

/// A payment with its order at the bank: send the customer to `form_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub payment: Payment,
    pub form_url: String,
}

/// A new order number: `sv` and 28 hex digits (112 random bits), 30 characters.
fn new_order_number() -> String {
    let mut bytes = [0u8; 14];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    format!("sv{}", hex::encode(bytes))
}

fn check_idempotency_key(key: &str) -> Result<(), PaymentError> {
    let ok = (8..=64).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(PaymentError::BadIdempotencyKey) }
}

impl Payments<'_> {
    /// Checks the amount and the readings, stores the payment, registers its order and returns
    /// the bank's page.
    pub async fn start(&self, request: &StartPayment<'_>) -> Result<Started, PaymentError> {
        check_idempotency_key(request.idempotency_key)?;
        if let Some(done) = self.started_before(request).await? {
            return Ok(done);
        }
        let limit = self.config.payments.max_payment();
        let amount = request.amount;
        if amount == Kopecks::ZERO {
            return Err(PaymentError::ZeroAmount);
        }
        if amount < Kopecks::ZERO {
            return Err(PaymentError::Negative);
        }
        if amount > limit {
            let parts = (amount.get() + limit.get() - 1) / limit.get();
            return Err(PaymentError::AboveLimit { amount, limit, parts });
        }
        let now = self.clock.now();
        let account = request.account;
        let entry: RegistryEntry =
            self.store.get(&registry_key(account)).await?.ok_or(PaymentError::NotInRegistry)?.to_serde()?;
        let reading = match entry.meter {
            Meter::None => None,
            _ => Some(
                readings::check(
                    self.store,
                    now,
                    self.config,
                    account,
                    request.readings,
                    request.confirm_readings,
                )
                .await?,
            ),
        };
        let bill = bills(self.store, account, 1).await?.into_iter().next();
        let period = bill.as_ref().map_or_else(
            || Period::of(now.to_zoned(self.config.time_zone()).date()).prev(),
            |b| b.bill.period,
        );
        let advance = bill.as_ref().is_none_or(|b| amount > b.bill.amount_due);
        let lifetime = self.config.payments.order_lifetime_seconds;
        let due = now.as_second() + lifetime + self.config.payments.reconcile_margin_seconds;
        let order_number = new_order_number();
        let payment = Payment {
            id: self.ids.new_id(),
            account: account.clone(),
            created_at: now,
            updated_at: now,
            amount,
            status: PaymentStatus::Created,
            email: Some(request.email.clone()),
            receipt_mail: request.receipt_mail,
            readings: reading.as_ref().map(|r| r.registers),
            reading_period: reading.as_ref().map(|r| r.period),
            period: Some(period),
            order_number: Some(order_number.clone()),
            order_id: None,
            form_url: None,
            action_code: None,
            paid_at: None,
            credited: false,
            refunded: Kopecks::ZERO,
            flag: None,
            pending_due: Some(due),
        };
        let link = Link::to(&payment);
        let writes = vec![
            Write::Put { item: Item::from_serde(payment.key(), &payment)?, condition: Condition::Absent },
            Write::Put {
                item: Item::from_serde(order_key(&order_number), &link)?,
                condition: Condition::Absent,
            },
            Write::Put { item: Item::from_serde(id_key(&payment.id), &link)?, condition: Condition::Absent },
            Write::Put {
                item: Item::from_serde(pending_key(due, &order_number), &link)?,
                condition: Condition::Absent,
            },
            Write::Put {
                item: Item::from_serde(idempotency_key(account, request.idempotency_key), &link)?
                    .expires_at(now.as_second() + IDEMPOTENCY_SECONDS),
                condition: Condition::Absent,
            },
        ];
        match self.store.transact(writes).await {
            Ok(()) => {}
            // The same form at the same moment: the other request registers the order.
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {
                return self.started_before(request).await?.ok_or(PaymentError::InProgress);
            }
            Err(e) => return Err(e.into()),
        }
        let order = OrderRequest {
            order_number: order_number.clone(),
            amount,
            return_url: request.return_url.to_owned(),
            description: format!("Оплата электроэнергии, л/с {account}"),
            lifetime_seconds: lifetime,
            payment_id: payment.id.clone(),
            email: request.email.clone(),
            account: account.clone(),
            period,
            advance,
        };
        match self.gateway.register(&order).await {
            Ok(registered) => {
                let payment =
                    self.record_registration(&payment, &registered.order_id, &registered.form_url).await?;
                Ok(Started { payment, form_url: registered.form_url })
            }
            Err(e @ (GatewayError::NotSent(_) | GatewayError::Refused(_))) => {
                // Certainly no order at the bank: the payment is over.
                self.settle_unregistered(&payment).await?;
                Err(e.into())
            }
            // The bank may have the order: it stays pending for reconciliation.
            Err(e) => Err(e.into()),
        }
    }

    /// The payment an earlier request with the same key started, if any.
    async fn started_before(&self, request: &StartPayment<'_>) -> Result<Option<Started>, PaymentError> {
        let Some(item) = self.store.get(&idempotency_key(request.account, request.idempotency_key)).await?
        else {
            return Ok(None);
        };
        let link: Link = item.to_serde()?;
        let payment: Payment =
            self.store.get(&link.key()).await?.ok_or(PaymentError::InProgress)?.to_serde()?;
        match &payment.form_url {
            Some(url) => Ok(Some(Started { form_url: url.clone(), payment })),
            None if payment.status == PaymentStatus::Created => Err(PaymentError::InProgress),
            None => Err(GatewayError::Refused("the first attempt with this form failed".into()).into()),
        }
    }

    /// Stores the bank's order id and page with the payment, and the link from the order id.
    async fn record_registration(
        &self,
        payment: &Payment,
        order_id: &str,
        form_url: &str,
    ) -> Result<Payment, PaymentError> {
        let link = Link::to(payment);
        let link_write = Write::Put {
            item: Item::from_serde(super::gateway_order_key(order_id), &link)?,
            condition: Condition::None,
        };
        let updated = self
            .update(payment.key(), vec![link_write], |p| {
                p.order_id = Some(order_id.to_owned());
                p.form_url = Some(form_url.to_owned());
                if p.status == PaymentStatus::Created {
                    p.status = PaymentStatus::Registered;
                }
            })
            .await?;
        Ok(updated)
    }

    /// register.do certainly did nothing: the payment fails and leaves the pending index.
    async fn settle_unregistered(&self, payment: &Payment) -> Result<(), PaymentError> {
        let mut extra = Vec::new();
        if let (Some(due), Some(number)) = (payment.pending_due, &payment.order_number) {
            extra.push(Write::Delete { key: pending_key(due, number), condition: Condition::None });
        }
        self.update(payment.key(), extra, |p| {
            if p.status == PaymentStatus::Created {
                p.status = PaymentStatus::Failed;
                p.pending_due = None;
            }
        })
        .await?;
        Ok(())
    }

    /// Read, change, write with the version read, together with `extra`; again on a race.
    pub(super) async fn update(
        &self,
        key: crate::store::Key,
        extra: Vec<Write>,
        change: impl Fn(&mut Payment),
    ) -> Result<Payment, StoreError> {
        for _ in 0..8 {
            let item = self
                .store
                .get(&key)
                .await?
                .ok_or_else(|| StoreError::Corrupt("a payment vanished".into()))?;
            let mut payment: Payment = item.to_serde()?;
            change(&mut payment);
            payment.updated_at = self.clock.now();
            let mut next = Item::from_serde(key.clone(), &payment)?;
            next.version = item.version + 1;
            let mut writes = vec![Write::Put { item: next, condition: Condition::VersionIs(item.version) }];
            writes.extend(extra.iter().cloned());
            match self.store.transact(writes).await {
                Ok(()) => return Ok(payment),
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }

    /// Readings without payment (amount 0, B11): accepted at once, and a row «передача
    /// показаний без оплаты» in the payments list (P5), in one transaction.
    pub async fn submit_readings(
        &self,
        account: &AccountNumber,
        typed: &Typed,
        confirm: bool,
    ) -> Result<Payment, SubmitError> {
        let (_, row) =
            readings_only(self.store, self.clock, self.ids, self.config, account, typed, confirm).await?;
        Ok(row)
    }
}

/// Readings sent without a payment, from «Передать показания счетчика» or an amount of 0: the
/// reading, accepted at once, and its row «передача показаний без оплаты» in the payments list
/// (P5), in one transaction. Needs no bank, so `POST /api/readings` uses it directly.
pub async fn readings_only(
    store: &dyn Store,
    clock: &dyn Clock,
    ids: &dyn IdGen,
    config: &Config,
    account: &AccountNumber,
    typed: &Typed,
    confirm: bool,
) -> Result<(Reading, Payment), SubmitError> {
    let now = clock.now();
    let (reading, latest) =
        readings::check_against_newest(store, now, config, account, typed, confirm).await?;
    // The same values sent again for the same month (a retry after a lost answer, a second
    // tap): already there, nothing new to store.
    if latest.is_some_and(|l| {
        l.period == reading.period && l.registers == reading.registers && l.source == reading.source
    }) {
        return Err(SubmitError::Twice);
    }
    let row = Payment {
        id: ids.new_id(),
        account: account.clone(),
        created_at: now,
        updated_at: now,
        amount: Kopecks::ZERO,
        status: PaymentStatus::ReadingsOnly,
        email: None,
        receipt_mail: false,
        readings: Some(reading.registers),
        reading_period: Some(reading.period),
        period: None,
        order_number: None,
        order_id: None,
        form_url: None,
        action_code: None,
        paid_at: None,
        credited: false,
        refunded: Kopecks::ZERO,
        flag: None,
        pending_due: None,
    };
    let writes = vec![
        Write::Put { item: readings::reading_item(account, &reading)?, condition: Condition::Absent },
        Write::Put {
            item: Item::from_serde(payment_key(account, now, &row.id), &row)?,
            condition: Condition::Absent,
        },
    ];
    match store.transact(writes).await {
        Ok(()) => Ok((reading, row)),
        Err(StoreError::ConditionFailed { .. }) => Err(SubmitError::Twice),
        Err(e) => Err(e.into()),
    }
}

//! Refunds (B10): an operator returns part or all of a paid payment to the card it came from,
//! through the bank's refund.do. Money goes back only to the payment's own card: refund.do
//! takes the bank's order id and an amount, no card.
//!
//! Exactly once, and safe to run again. Each refund is an item of the account,
//! `ACCOUNT#<n>` / `REFUND#<requested unix s, 10 digits>#<payment id>#<number>`, stored with
//! state `requested` *before* refund.do is sent, in one transaction with a write of the payment
//! on the version read. So requests for one payment go one at a time (two at once: one
//! transaction fails its condition and finds the other's refund), and a refund the bank may
//! have made is never unknown to Svet. A run that finds a `requested` refund (its answer was
//! lost, or the process died) settles it before anything else, by the bank's refunded amount
//! (getOrderStatusExtended.do), and sends nothing for it again: the bank has made it when its
//! refunded amount reached the payment's refunded amount at the request plus the refund's.
//! A `requested` refund younger than [`SETTLE_AFTER_SECONDS`] may still be on its way to the
//! bank, so it is left alone ([`RefundError::InProgress`]). And a run whose refund was made and
//! recorded but whose answer never reached the operator (the store's answer lost after its
//! commit) is the same command run again within [`REPEAT_WINDOW_SECONDS`]: the same payment and
//! amount get that refund back, nothing new is sent.
//!
//! refund.do only, never reverse.do: the bank takes refund.do for a paid order at any time,
//! partial or full; reverse.do (a same-day void, whole amount) is only cheaper, and would move
//! the order to «reversed», which [`Payments::confirm`] rightly treats as a credited payment
//! taken back without Svet's say (flagged).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::gateway::{BankState, GatewayError, OrderRef};
use super::{Payment, PaymentStatus, Payments, find, seconds};
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Write};
use crate::{AccountNumber, Kopecks};

/// How long a made refund answers for a run of the same command (the same payment and amount):
/// a run whose refund the bank made and Svet recorded, but whose answer was lost on the way
/// back (the store's answer after its commit, a Lambda timeout, a dropped terminal), is run
/// again by an operator who saw only an error; within this window that run gets the refund
/// made, not a second one. A second refund of the same amount is made after it.
pub const REPEAT_WINDOW_SECONDS: i64 = 15 * 60;

/// How old a `requested` refund must be before another run asks the bank about it instead of
/// waiting: the client's longest refund.do (a 30 s answer timeout after up to three connection
/// attempts) with a wide margin.
pub const SETTLE_AFTER_SECONDS: i64 = 120;

/// Where a refund is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Stored; refund.do sent or about to be, its outcome not known yet.
    Requested,
    /// The bank made it: the money goes back to the card (the bill subtracts it).
    Done,
    /// The bank did not make it (refused, not reached, or no trace of it when asked).
    Failed,
}

/// The refund item's data. A `done` refund is money returned to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub payment_id: String,
    pub amount: Kopecks,
    pub state: RefundState,
    pub requested_at: Timestamp,
    /// When Svet learnt that the bank made it (set when `done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<Timestamp>,
    /// The payment's refunds requested before this one (0 for the first).
    pub number: u32,
    /// The payment's refunded amount when this one was requested: once the bank has made it,
    /// the bank's refunded amount is at least this plus `amount`.
    pub refunded_before: Kopecks,
    /// Why it failed, in the bank's words when the bank said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Refund {
    pub fn key(&self, account: &AccountNumber) -> Key {
        refund_key(account, self.requested_at, &self.payment_id, self.number)
    }
}

pub fn refund_key(account: &AccountNumber, requested_at: Timestamp, payment_id: &str, number: u32) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("REFUND#{}#{payment_id}#{number}", seconds(requested_at)))
}

/// A refund made (or an earlier one settled), with the payment's new totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded {
    pub refund: Refund,
    pub payment: Payment,
    /// The refund is an earlier run's whose answer was lost (settled now, or made and recorded
    /// minutes ago): nothing new was sent.
    pub settled_earlier: bool,
}

/// Why a refund was not made. The messages are for operators (English).
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("no card payment has the id {0:?}")]
    UnknownPayment(String),
    #[error("the payment is {}, not paid: only a paid payment can be refunded", status_name(.status))]
    NotPaid { status: PaymentStatus },
    #[error("{amount} is more than is left to refund: {remaining} (paid {paid}, refunded {refunded})")]
    AboveRemaining { amount: Kopecks, remaining: Kopecks, paid: Kopecks, refunded: Kopecks },
    /// The bank refused: nothing was refunded (the refund is recorded as failed).
    #[error("the bank refused the refund: {0}")]
    Refused(String),
    /// The bank could not be reached: nothing was sent (recorded as failed); try again later.
    #[error("the bank could not be reached, nothing was sent; try again later: {0}")]
    Unreachable(String),
    /// refund.do may have reached the bank: the refund stays `requested` until a later run
    /// settles it by the bank's refunded amount.
    #[error(
        "the bank's answer was lost, the refund may have been made: run the same command again after \
         {retry_after} to settle it (it will not refund twice): {detail}"
    )]
    AnswerLost { detail: String, retry_after: Timestamp },
    /// Another run's refund of this payment is on its way to the bank.
    #[error(
        "a refund of {amount} of this payment was requested at {requested_at} and may still be on its way \
         to the bank: run the command again after {retry_after}"
    )]
    InProgress { amount: Kopecks, requested_at: Timestamp, retry_after: Timestamp },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn status_name(status: &PaymentStatus) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// What is left to refund of a payment, or why none of `amount` can be: the pure rules.
pub fn check_amount(payment: &Payment, amount: Kopecks) -> Result<Kopecks, RefundError> {
    if amount <= Kopecks::ZERO {
        return Err(RefundError::NotPositive);
    }
    // A flagged payment's money is not settled (an operator looks first); anything else was
    // never taken.
    if !payment.credited || !matches!(payment.status, PaymentStatus::Paid | PaymentStatus::Refunded) {
        return Err(RefundError::NotPaid { status: payment.status });
    }
    let remaining = Kopecks::new(payment.amount.get() - payment.refunded.get());
    if amount > remaining {
        return Err(RefundError::AboveRemaining {
            amount,
            remaining,
            paid: payment.amount,
            refunded: payment.refunded,
        });
    }
    Ok(remaining)
}

/// Whether the bank has made `refund`, by its refunded amount for the order.
fn made_by_bank(refund: &Refund, bank_refunded: Kopecks) -> bool {
    bank_refunded.get() >= refund.refunded_before.get() + refund.amount.get()
}

/// Every refund of the payment (any state), oldest first, with its stored item.
pub async fn refunds_of(store: &dyn Store, payment: &Payment) -> Result<Vec<(Refund, Item)>, StoreError> {
    let mut query = Query::new(format!("ACCOUNT#{}", payment.account), SkRange::Prefix("REFUND#".into()));
    query.limit = 200;
    let mut out = Vec::new();
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            let refund: Refund = item.to_serde()?;
            if refund.payment_id == payment.id {
                out.push((refund, item));
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    out.sort_by_key(|(r, _)| r.number);
    Ok(out)
}

/// The account's `done` refunds whose `refunded_at` is at or after `since`: what a bill
/// subtracts from the payments of its period.
pub async fn refunded_since(
    store: &dyn Store,
    account: &AccountNumber,
    since: Timestamp,
) -> Result<Vec<Refund>, StoreError> {
    // Keyed by the request's time, which may be long before `refunded_at` (a refund settled by
    // a later run): read them all. An account has a handful at most.
    let range = SkRange::Prefix("REFUND#".into());
    let mut query = Query::new(format!("ACCOUNT#{account}"), range);
    query.limit = 200;
    let mut out = Vec::new();
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            let refund: Refund = item.to_serde()?;
            if refund.state == RefundState::Done && refund.refunded_at.is_some_and(|at| at >= since) {
                out.push(refund);
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(out),
        }
    }
}

impl Payments<'_> {
    /// Refunds `amount` of the payment with this id (the one on its receipt) to its card.
    /// Running it again after a lost answer or a crash settles that refund instead of sending
    /// another; see the module's comment.
    pub async fn refund(&self, payment_id: &str, amount: Kopecks) -> Result<Refunded, RefundError> {
        if amount <= Kopecks::ZERO {
            return Err(RefundError::NotPositive);
        }
        for _ in 0..8 {
            let Some((payment, item)) = find(self.store, payment_id).await? else {
                return Err(RefundError::UnknownPayment(payment_id.to_owned()));
            };
            let refunds = refunds_of(self.store, &payment).await?;
            if let Some((earlier, earlier_item)) =
                refunds.iter().find(|(r, _)| r.state == RefundState::Requested)
            {
                let settled = self.settle(&payment, earlier, earlier_item).await?;
                if settled.state == RefundState::Done && settled.amount == amount {
                    // The same command again: its refund is made; nothing new is sent.
                    let payment = find(self.store, payment_id).await?.map_or(payment, |(p, _)| p);
                    return Ok(Refunded { refund: settled, payment, settled_earlier: true });
                }
                continue;
            }
            let newest = refunds.iter().map(|(r, _)| r).max_by_key(|r| (r.requested_at, r.number));
            if let Some(made) = newest.filter(|r| {
                r.state == RefundState::Done
                    && r.amount == amount
                    && self.clock.now() < r.requested_at + SignedDuration::from_secs(REPEAT_WINDOW_SECONDS)
            }) {
                // The same command again, minutes after its refund was made and recorded.
                return Ok(Refunded { refund: made.clone(), payment, settled_earlier: true });
            }
            check_amount(&payment, amount)?;
            let order_id = payment.order_id.clone().ok_or(RefundError::NotPaid { status: payment.status })?;
            let now = self.clock.now();
            let refund = Refund {
                payment_id: payment.id.clone(),
                amount,
                state: RefundState::Requested,
                requested_at: now,
                refunded_at: None,
                number: u32::try_from(refunds.len()).unwrap_or(u32::MAX),
                refunded_before: payment.refunded,
                error: None,
            };
            // The payment is written on the version read, so no other request for it can
            // commit in between (nor could one since it was read); its data is unchanged.
            let mut touched = payment.clone();
            touched.updated_at = now;
            let mut put = Item::from_serde(payment.key(), &touched)?;
            put.version = item.version + 1;
            let writes = vec![
                Write::Put {
                    item: Item::from_serde(refund.key(&payment.account), &refund)?,
                    condition: Condition::Absent,
                },
                Write::Put { item: put, condition: Condition::VersionIs(item.version) },
            ];
            match self.store.transact(writes).await {
                Ok(()) => {}
                // Another request, or a confirmation, changed the payment: look again.
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
            return match self.gateway.refund(&order_id, amount).await {
                Ok(()) => {
                    let (refund, payment) = self.finish(&payment, &refund, None).await?;
                    Ok(Refunded { refund, payment, settled_earlier: false })
                }
                Err(GatewayError::MaybeSent(detail)) => {
                    // Left `requested`: the next run asks the bank how much it refunded.
                    Err(RefundError::AnswerLost { detail, retry_after: self.retry_after(&refund) })
                }
                Err(GatewayError::NotSent(detail)) => {
                    self.fail(&payment.account, &refund, &detail).await?;
                    Err(RefundError::Unreachable(detail))
                }
                Err(GatewayError::Refused(detail)) => {
                    self.fail(&payment.account, &refund, &detail).await?;
                    Err(RefundError::Refused(detail))
                }
                Err(GatewayError::UnknownOrder) => {
                    let detail = "the bank knows no such order".to_owned();
                    self.fail(&payment.account, &refund, &detail).await?;
                    Err(RefundError::Refused(detail))
                }
            };
        }
        Err(StoreError::Conflict.into())
    }

    fn retry_after(&self, refund: &Refund) -> Timestamp {
        refund.requested_at + SignedDuration::from_secs(SETTLE_AFTER_SECONDS)
    }

    /// Settles a `requested` refund by what the bank says it refunded; one too young to tell
    /// is left alone.
    async fn settle(&self, payment: &Payment, refund: &Refund, item: &Item) -> Result<Refund, RefundError> {
        let retry_after = self.retry_after(refund);
        if self.clock.now() < retry_after {
            return Err(RefundError::InProgress {
                amount: refund.amount,
                requested_at: refund.requested_at,
                retry_after,
            });
        }
        let Some(number) = payment.order_number.as_deref() else {
            return Err(RefundError::NotPaid { status: payment.status });
        };
        let status = match self.gateway.status(OrderRef::Number(number)).await {
            Ok(status) => status,
            Err(e) => {
                return Err(RefundError::AnswerLost {
                    detail: format!("the bank could not be asked about an earlier refund: {e}"),
                    retry_after,
                });
            }
        };
        // A paid order that shows no refund has refunded nothing; otherwise the bank must say.
        let bank_refunded = status.refunded.or((status.state == BankState::Paid).then_some(Kopecks::ZERO));
        let Some(bank_refunded) = bank_refunded else {
            return Err(RefundError::AnswerLost {
                detail: "the bank's status does not say how much was refunded".into(),
                retry_after,
            });
        };
        if made_by_bank(refund, bank_refunded) {
            let (refund, _) = self.finish(payment, refund, Some(bank_refunded)).await?;
            Ok(refund)
        } else {
            self.fail_item(item, refund, "the bank has no trace of it (its refunded amount did not grow)")
                .await
        }
    }

    /// Records a refund the bank made: the refund `done` and the payment's totals, in one
    /// transaction on the versions read.
    async fn finish(
        &self,
        payment: &Payment,
        refund: &Refund,
        bank_refunded: Option<Kopecks>,
    ) -> Result<(Refund, Payment), RefundError> {
        let key = refund.key(&payment.account);
        for _ in 0..8 {
            let stored_refund =
                self.store.get(&key).await?.ok_or_else(|| StoreError::Corrupt("a refund vanished".into()))?;
            let current: Refund = stored_refund.to_serde()?;
            let stored_payment = self
                .store
                .get(&payment.key())
                .await?
                .ok_or_else(|| StoreError::Corrupt("a payment vanished".into()))?;
            let mut next: Payment = stored_payment.to_serde()?;
            if current.state != RefundState::Requested {
                // Another run settled it meanwhile.
                return Ok((current, next));
            }
            let now = self.clock.now();
            // A "refunded" callback may have brought the bank's total in already: never count
            // a refund twice, never go below what the bank said.
            let after = refund.refunded_before.get() + refund.amount.get();
            next.refunded =
                next.refunded.max(Kopecks::new(after)).max(bank_refunded.unwrap_or(Kopecks::ZERO));
            next.status = PaymentStatus::Refunded;
            next.updated_at = now;
            let mut done = current.clone();
            done.state = RefundState::Done;
            done.refunded_at = Some(now);
            let mut payment_item = Item::from_serde(payment.key(), &next)?;
            payment_item.version = stored_payment.version + 1;
            let mut refund_item = Item::from_serde(key.clone(), &done)?;
            refund_item.version = stored_refund.version + 1;
            let writes = vec![
                Write::Put { item: payment_item, condition: Condition::VersionIs(stored_payment.version) },
                Write::Put { item: refund_item, condition: Condition::VersionIs(stored_refund.version) },
            ];
            match self.store.transact(writes).await {
                Ok(()) => {
                    return Ok((done, next));
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// Records that the bank did not make a refund just requested.
    async fn fail(&self, account: &AccountNumber, refund: &Refund, why: &str) -> Result<Refund, RefundError> {
        let item = self
            .store
            .get(&refund.key(account))
            .await?
            .ok_or_else(|| StoreError::Corrupt("a refund vanished".into()))?;
        self.fail_item(&item, refund, why).await
    }

    async fn fail_item(&self, item: &Item, refund: &Refund, why: &str) -> Result<Refund, RefundError> {
        let mut failed = refund.clone();
        failed.state = RefundState::Failed;
        failed.error = Some(why.chars().take(300).collect());
        let mut next = Item::from_serde(item.key.clone(), &failed)?;
        next.version = item.version + 1;
        match self
            .store
            .transact(vec![Write::Put { item: next, condition: Condition::VersionIs(item.version) }])
            .await
        {
            Ok(()) => Ok(failed),
            // Another run settled it meanwhile: its word stands.
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => Ok(self
                .store
                .get(&item.key)
                .await?
                .ok_or_else(|| StoreError::Corrupt("a refund vanished".into()))?
                .to_serde()?),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built from JSON as stored, so that fields added to `Payment` later (defaults) need no
    /// change here.
    fn paid(amount: i64, refunded: i64, status: PaymentStatus) -> Payment {
        serde_json::from_value(serde_json::json!({
            "id": "p-1",
            "account": "180211111",
            "created_at": "2026-02-15T10:00:00Z",
            "updated_at": "2026-02-15T10:00:00Z",
            "amount": amount,
            "status": status,
            "order_number": "sv1",
            "order_id": "o-1",
            "paid_at": "2026-02-15T10:00:00Z",
            "credited": matches!(status, PaymentStatus::Paid | PaymentStatus::Refunded),
            "refunded": refunded,
        }))
        .unwrap()
    }

    #[test]
    fn only_a_positive_amount_within_what_is_left_of_a_paid_payment() {
        let p = paid(10_000, 0, PaymentStatus::Paid);
        assert_eq!(check_amount(&p, Kopecks::new(1)).unwrap(), Kopecks::new(10_000));
        assert!(check_amount(&p, Kopecks::new(10_000)).is_ok());
        assert!(matches!(check_amount(&p, Kopecks::ZERO), Err(RefundError::NotPositive)));
        assert!(matches!(check_amount(&p, Kopecks::new(-5)), Err(RefundError::NotPositive)));
        let over = check_amount(&p, Kopecks::new(10_001)).unwrap_err();
        assert!(matches!(over, RefundError::AboveRemaining { .. }));
        assert!(over.to_string().contains("100,00"), "{over}");

        let partly = paid(10_000, 2_500, PaymentStatus::Refunded);
        assert_eq!(check_amount(&partly, Kopecks::new(7_500)).unwrap(), Kopecks::new(7_500));
        assert!(matches!(
            check_amount(&partly, Kopecks::new(7_501)),
            Err(RefundError::AboveRemaining { .. })
        ));
        let whole = paid(10_000, 10_000, PaymentStatus::Refunded);
        assert!(matches!(check_amount(&whole, Kopecks::new(1)), Err(RefundError::AboveRemaining { .. })));
    }

    #[test]
    fn unpaid_and_flagged_payments_are_not_refunded() {
        for status in [
            PaymentStatus::Created,
            PaymentStatus::Registered,
            PaymentStatus::Declined,
            PaymentStatus::Expired,
            PaymentStatus::Failed,
            PaymentStatus::Reversed,
            PaymentStatus::Flagged,
            PaymentStatus::ReadingsOnly,
        ] {
            let e = check_amount(&paid(10_000, 0, status), Kopecks::new(100)).unwrap_err();
            assert!(matches!(e, RefundError::NotPaid { .. }), "{status:?}");
            assert!(e.to_string().contains("not paid"), "{e}");
        }
        // Flagged after a credit (a reversal the bank made on its own): still not refundable.
        let mut flagged = paid(10_000, 0, PaymentStatus::Flagged);
        flagged.credited = true;
        assert!(matches!(check_amount(&flagged, Kopecks::new(1)), Err(RefundError::NotPaid { .. })));
    }

    #[test]
    fn the_bank_made_a_refund_when_its_total_grew_by_it() {
        let at = Timestamp::from_second(1_771_149_600).unwrap();
        let refund = Refund {
            payment_id: "p-1".into(),
            amount: Kopecks::new(3_000),
            state: RefundState::Requested,
            requested_at: at,
            refunded_at: None,
            number: 1,
            refunded_before: Kopecks::new(2_000),
            error: None,
        };
        assert!(!made_by_bank(&refund, Kopecks::new(2_000)));
        assert!(!made_by_bank(&refund, Kopecks::new(4_999)));
        assert!(made_by_bank(&refund, Kopecks::new(5_000)));
        assert!(made_by_bank(&refund, Kopecks::new(6_000)), "and a refund made elsewhere after it");
    }

    #[test]
    fn the_item_keeps_the_names_the_bill_reads() {
        let at = Timestamp::from_second(1_771_149_600).unwrap();
        let refund = Refund {
            payment_id: "p-1".into(),
            amount: Kopecks::new(3_000),
            state: RefundState::Done,
            requested_at: at,
            refunded_at: Some(at),
            number: 0,
            refunded_before: Kopecks::ZERO,
            error: None,
        };
        let json = serde_json::to_value(&refund).unwrap();
        assert_eq!(json["payment_id"], "p-1");
        assert_eq!(json["amount"], 3_000);
        assert_eq!(json["state"], "done");
        assert_eq!(json["refunded_at"], "2026-02-15T10:00:00Z");
        let key = refund.key(&AccountNumber::parse("180211111").unwrap());
        assert_eq!((key.pk.as_str(), key.sk.as_str()), ("ACCOUNT#180211111", "REFUND#1771149600#p-1#0"));
    }
}

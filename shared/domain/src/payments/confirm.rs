//! Confirming payments: from the return URL, from the bank's callbacks and from
//! reconciliation. Whoever calls, the bank is asked (getOrderStatusExtended.do) and only its
//! answer counts; the amount and the currency must match the payment. The payment changes by
//! a conditional write on the version read, and the credit (with the readings sent with the
//! payment) is written in the same transaction as the change to paid, so it happens once.

use super::gateway::{BankState, BankStatus, CallbackRefused, GatewayError, OrderRef};
use super::receipt::QueuedReceipt;
use super::{
    Credit, Link, PENDING_PK, Payment, PaymentStatus, Payments, credit_key, gateway_order_key, order_key,
    pending_key, receipt_queue_key,
};
use crate::billing::{ReadingSource, ReadingStatus};
use crate::readings::{Reading, reading_item};
use crate::store::{Condition, Item, Key, Query, SkRange, StoreError, Write};

/// A payment after confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub payment: Payment,
    /// This call wrote the credit.
    pub credited_now: bool,
    /// The status before this call: with `payment.status`, whether this call changed it (the
    /// metrics count a decline or a flag once, however many times it is confirmed).
    pub previous: PaymentStatus,
}

/// What became of a verified callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// No payment of ours has this order: answered 200 so that the bank stops, nothing changed.
    UnknownOrder,
    Confirmed(Box<Confirmed>),
}

/// What a reconciliation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileSummary {
    /// Due entries of the pending index looked at.
    pub checked: u64,
    /// Payments settled (paid, declined, expired, failed…) and taken off the index.
    pub settled: u64,
    /// Still pending at the bank: asked again on the next run.
    pub still_pending: u64,
    /// The bank or the store failed for them: asked again on the next run.
    pub failed: u64,
    /// Of the settled: credited by this run (the return and the callback never came).
    pub credited: u64,
    /// Of the checked: declined by the bank in this run.
    pub declined: u64,
    /// Of the settled: ended unpaid without a decline (expired, never registered, voided).
    pub expired: u64,
    /// Of the settled: flagged for an operator in this run.
    pub flagged: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// A callback with a missing or wrong checksum, or malformed: answered 4xx, nothing changed.
    #[error(transparent)]
    Refused(#[from] CallbackRefused),
    /// The bank could not be asked: the bank retries its callback, reconciliation runs again.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An order number or id as the bank may send it; anything else finds nothing.
fn plausible(reference: &str) -> bool {
    (1..=64).contains(&reference.len())
        && reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Payments<'_> {
    /// Asks the bank about an order and brings its payment up to date; `None` when no payment
    /// of ours has the order. Safe to call any number of times, at the same moment too.
    pub async fn confirm(&self, order: OrderRef<'_>) -> Result<Option<Confirmed>, ConfirmError> {
        let link_key = match order {
            OrderRef::Id(id) if plausible(id) => gateway_order_key(id),
            OrderRef::Number(number) if plausible(number) => order_key(number),
            _ => return Ok(None),
        };
        let Some(link) = self.store.get(&link_key).await? else { return Ok(None) };
        let key = link.to_serde::<Link>()?.key();
        let Some(item) = self.store.get(&key).await? else { return Ok(None) };
        let payment: Payment = item.to_serde()?;
        let Some(number) = payment.order_number.clone() else { return Ok(None) };
        let status = match self.gateway.status(OrderRef::Number(&number)).await {
            Ok(status) => status,
            Err(GatewayError::UnknownOrder) => return Ok(Some(self.never_registered(payment).await?)),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(self.apply(key, &status).await?))
    }

    /// The bank does not know the order: once its lifetime is over, the payment failed.
    async fn never_registered(&self, payment: Payment) -> Result<Confirmed, StoreError> {
        let now = self.clock.now().as_second();
        let due = payment.pending_due.is_some_and(|due| now >= due);
        if payment.status != PaymentStatus::Created || !due {
            let previous = payment.status;
            return Ok(Confirmed { payment, credited_now: false, previous });
        }
        let mut extra = Vec::new();
        if let (Some(due), Some(number)) = (payment.pending_due, &payment.order_number) {
            extra.push(Write::Delete { key: pending_key(due, number), condition: Condition::None });
        }
        let payment = self
            .update(payment.key(), extra, |p| {
                if p.status == PaymentStatus::Created {
                    p.status = PaymentStatus::Failed;
                    p.pending_due = None;
                }
            })
            .await?;
        Ok(Confirmed { payment, credited_now: false, previous: PaymentStatus::Created })
    }

    /// Applies the bank's status to the payment at `key`: at most one transaction credits it.
    async fn apply(&self, key: Key, status: &BankStatus) -> Result<Confirmed, StoreError> {
        let mut bump = 0;
        for _ in 0..8 {
            let item = self
                .store
                .get(&key)
                .await?
                .ok_or_else(|| StoreError::Corrupt("a payment vanished".into()))?;
            let old: Payment = item.to_serde()?;
            let now = self.clock.now();
            let (mut next, credit, settle) = decide(&old, status, now.as_second());
            let settle = settle && old.pending_due.is_some();
            if next == old && !credit && !settle {
                let previous = old.status;
                return Ok(Confirmed { payment: old, credited_now: false, previous });
            }
            next.updated_at = now;
            let mut writes = Vec::new();
            if settle && let (Some(due), Some(number)) = (old.pending_due, &old.order_number) {
                writes.push(Write::Delete { key: pending_key(due, number), condition: Condition::None });
                next.pending_due = None;
            }
            let mut reading_index = None;
            if credit {
                next.paid_at = Some(now);
                let entry = Credit {
                    payment_id: next.id.clone(),
                    amount: next.amount,
                    paid_at: now,
                    period: next.period,
                };
                writes.push(Write::Put {
                    item: Item::from_serde(credit_key(&next.account, next.created_at, &next.id), &entry)?,
                    condition: Condition::Absent,
                });
                if let (Some(registers), Some(period)) = (next.readings, next.reading_period) {
                    let reading = Reading {
                        period,
                        submitted_at: now.checked_add(jiff::SignedDuration::from_secs(bump)).unwrap_or(now),
                        registers,
                        source: ReadingSource::Portal,
                        status: ReadingStatus::Accepted,
                    };
                    reading_index = Some(writes.len() + 1);
                    writes.push(Write::Put {
                        item: reading_item(&next.account, &reading)?,
                        condition: Condition::Absent,
                    });
                }
                if next.receipt_mail && next.email.is_some() {
                    let queued = QueuedReceipt::for_payment(&next);
                    writes.push(Write::Put {
                        item: Item::from_serde(receipt_queue_key(now, &next.id), &queued)?,
                        condition: Condition::Absent,
                    });
                }
            }
            let mut put = Item::from_serde(key.clone(), &next)?;
            put.version = item.version + 1;
            writes.insert(0, Write::Put { item: put, condition: Condition::VersionIs(item.version) });
            match self.store.transact(writes).await {
                Ok(()) => return Ok(Confirmed { payment: next, credited_now: credit, previous: old.status }),
                // Another reading of the account in the same second: the next second.
                Err(StoreError::ConditionFailed { index }) if Some(index) == reading_index => bump += 1,
                // Someone else changed the payment meanwhile: read it again.
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }

    /// Verifies a callback's checksum, then confirms its order with the bank.
    pub async fn callback(&self, params: &[(String, String)]) -> Result<CallbackOutcome, ConfirmError> {
        self.gateway.ready().await?;
        let notice = self.gateway.verify_callback(params)?;
        let mut found = self.confirm(OrderRef::Number(&notice.order_number)).await?;
        if found.is_none() {
            found = self.confirm(OrderRef::Id(&notice.order_id)).await?;
        }
        Ok(found.map_or(CallbackOutcome::UnknownOrder, |c| CallbackOutcome::Confirmed(Box::new(c))))
    }

    /// Settles every payment whose order's lifetime (and the margin) is over by asking the
    /// bank: the return and the callbacks may never come. Run every few minutes.
    pub async fn reconcile(&self) -> Result<ReconcileSummary, StoreError> {
        let now = self.clock.now().as_second();
        let mut query = Query::new(PENDING_PK, SkRange::Between("0".into(), format!("{now:010}#~")));
        query.limit = 100;
        let mut summary = ReconcileSummary::default();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                summary.checked += 1;
                let Some((_, number)) = item.key.sk.split_once('#') else { continue };
                match self.confirm(OrderRef::Number(number)).await {
                    Ok(Some(c)) => {
                        if c.payment.pending_due.is_none() {
                            summary.settled += 1;
                        } else {
                            summary.still_pending += 1;
                        }
                        summary.credited += u64::from(c.credited_now);
                        if c.previous != c.payment.status {
                            match c.payment.status {
                                PaymentStatus::Declined => summary.declined += 1,
                                PaymentStatus::Expired | PaymentStatus::Failed | PaymentStatus::Reversed => {
                                    summary.expired += 1
                                }
                                PaymentStatus::Flagged => summary.flagged += 1,
                                _ => {}
                            }
                        }
                    }
                    // A pending entry without its payment: nothing to settle.
                    Ok(None) => {
                        self.store.delete(&item.key, Condition::None).await?;
                    }
                    Err(ConfirmError::Store(e @ StoreError::Unavailable(_))) => return Err(e),
                    Err(_) => summary.failed += 1,
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(summary),
            }
        }
    }
}

/// The payment after the bank's status, whether this change credits it, and whether it leaves
/// the pending index. Never undoes a credit; a flagged payment waits for an operator.
fn decide(old: &Payment, status: &BankStatus, now: i64) -> (Payment, bool, bool) {
    let mut p = old.clone();
    if matches!(old.status, PaymentStatus::Flagged | PaymentStatus::ReadingsOnly) {
        return (p, false, false);
    }
    let due = old.pending_due.is_some_and(|due| now >= due);
    match status.state {
        BankState::Paid | BankState::Refunded => {
            let taken = match status.state {
                BankState::Paid => status.amount,
                _ => status.deposited.unwrap_or(status.amount),
            };
            if !status.rubles || status.amount != p.amount || taken != p.amount {
                if p.credited {
                    return (p, false, false);
                }
                p.status = PaymentStatus::Flagged;
                p.flag = Some(format!(
                    "the bank reports {} kopecks (taken {}, roubles: {}) for a payment of {}",
                    status.amount.get(),
                    taken.get(),
                    status.rubles,
                    p.amount.get()
                ));
                return (p, false, true);
            }
            let credit = !p.credited;
            p.credited = true;
            if status.state == BankState::Refunded {
                p.status = PaymentStatus::Refunded;
                // The bank's total only grows; an older status (a late callback's query racing
                // a refund) never takes back what Svet's refund recorded.
                p.refunded = p.refunded.max(status.refunded.unwrap_or(p.amount));
            } else if p.status != PaymentStatus::Refunded {
                p.status = PaymentStatus::Paid;
            }
            (p, credit, true)
        }
        BankState::Pending | BankState::Held => {
            if p.status == PaymentStatus::Created {
                p.status = PaymentStatus::Registered;
            }
            (p, false, false)
        }
        BankState::Declined if !p.credited && !p.status.is_final() => {
            p.status = PaymentStatus::Declined;
            p.action_code = status.action_code;
            // The bank's page takes another card until the order's lifetime is over.
            (p, false, due)
        }
        BankState::Expired if !p.credited && !p.status.is_final() => {
            // A declined card stays the row's reason; the lifetime only closes the order.
            if p.status != PaymentStatus::Declined {
                p.status = PaymentStatus::Expired;
                p.action_code = status.action_code;
            }
            (p, false, true)
        }
        BankState::Reversed if !p.credited && !p.status.is_final() => {
            p.status = PaymentStatus::Reversed;
            (p, false, true)
        }
        BankState::Reversed if p.credited && p.status != PaymentStatus::Reversed => {
            p.status = PaymentStatus::Flagged;
            p.flag = Some("the bank reversed a credited payment".into());
            (p, false, true)
        }
        _ => (p, false, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountNumber, Kopecks};
    use jiff::Timestamp;

    fn payment(status: PaymentStatus, credited: bool) -> Payment {
        let at = Timestamp::from_second(1_771_149_600).unwrap();
        Payment {
            id: "p-1".into(),
            account: AccountNumber::parse("180211111").unwrap(),
            created_at: at,
            updated_at: at,
            amount: Kopecks::new(10_000),
            status,
            email: None,
            readings: None,
            reading_period: None,
            period: None,
            order_number: Some("sv1".into()),
            order_id: Some("o-1".into()),
            form_url: None,
            action_code: None,
            paid_at: None,
            credited,
            refunded: Kopecks::ZERO,
            flag: None,
            pending_due: Some(at.as_second() + 1500),
            receipt_mail: false,
        }
    }

    fn bank(state: BankState, amount: i64) -> BankStatus {
        BankStatus {
            state,
            amount: Kopecks::new(amount),
            rubles: true,
            deposited: None,
            refunded: None,
            action_code: None,
        }
    }

    const EARLY: i64 = 1_771_149_700;
    const LATE: i64 = 1_771_149_600 + 1500;

    #[test]
    fn only_a_matching_paid_status_credits_and_only_once() {
        let (p, credit, settle) =
            decide(&payment(PaymentStatus::Registered, false), &bank(BankState::Paid, 10_000), EARLY);
        assert_eq!((p.status, p.credited, credit, settle), (PaymentStatus::Paid, true, true, true));
        let (_, credit, _) = decide(&p, &bank(BankState::Paid, 10_000), EARLY);
        assert!(!credit, "a credited payment is never credited again");
        let (p, credit, _) =
            decide(&payment(PaymentStatus::Registered, false), &bank(BankState::Paid, 9_999), EARLY);
        assert_eq!((p.status, credit), (PaymentStatus::Flagged, false));
        let mut dollars = bank(BankState::Paid, 10_000);
        dollars.rubles = false;
        let (p, credit, _) = decide(&payment(PaymentStatus::Registered, false), &dollars, EARLY);
        assert_eq!((p.status, credit), (PaymentStatus::Flagged, false));
        // A flagged payment waits for an operator, whatever the bank says next.
        let (q, credit, settle) = decide(&p, &bank(BankState::Paid, 10_000), EARLY);
        assert_eq!((q, credit, settle), (p, false, false));
    }

    #[test]
    fn a_decline_is_not_final_until_the_lifetime_is_over() {
        let mut declined = bank(BankState::Declined, 10_000);
        declined.action_code = Some(116);
        let (p, credit, settle) = decide(&payment(PaymentStatus::Registered, false), &declined, EARLY);
        assert_eq!(
            (p.status, p.action_code, credit, settle),
            (PaymentStatus::Declined, Some(116), false, false)
        );
        // Another card on the bank's page paid it.
        let (paid, credit, _) = decide(&p, &bank(BankState::Paid, 10_000), EARLY);
        assert_eq!((paid.status, credit), (PaymentStatus::Paid, true));
        // Or the lifetime ended: it stays declined (the reason) and leaves the index.
        let (q, _, settle) = decide(&p, &bank(BankState::Expired, 10_000), LATE);
        assert_eq!((q.status, q.action_code, settle), (PaymentStatus::Declined, Some(116), true));
        let (_, _, settle) = decide(&p, &declined, LATE);
        assert!(settle);
    }

    #[test]
    fn nothing_undoes_a_credit() {
        let paid = payment(PaymentStatus::Paid, true);
        for state in [BankState::Declined, BankState::Expired, BankState::Pending, BankState::Unknown(9)] {
            let (p, credit, _) = decide(&paid, &bank(state, 10_000), LATE);
            assert_eq!((p.status, p.credited, credit), (PaymentStatus::Paid, true, false), "{state:?}");
        }
        let (p, credit, _) = decide(&paid, &bank(BankState::Reversed, 10_000), LATE);
        assert_eq!((p.status, p.credited, credit), (PaymentStatus::Flagged, true, false));
        let mut refunded = bank(BankState::Refunded, 10_000);
        refunded.deposited = Some(Kopecks::new(10_000));
        refunded.refunded = Some(Kopecks::new(2_500));
        let (p, credit, _) = decide(&paid, &refunded, LATE);
        assert_eq!((p.status, p.refunded, credit), (PaymentStatus::Refunded, Kopecks::new(2_500), false));
        // Refunded before Svet heard of the payment: credited once (the refund is recorded too).
        let (p, credit, _) = decide(&payment(PaymentStatus::Registered, false), &refunded, LATE);
        assert_eq!((p.status, p.credited, credit), (PaymentStatus::Refunded, true, true));
    }

    #[test]
    fn implausible_references_find_nothing() {
        assert!(plausible("sv0123456789abcdef0123456789ab"));
        assert!(plausible("3ff5a8b0-1c2d-4e5f-8a9b-0c1d2e3f4a5b"));
        assert!(!plausible(""));
        assert!(!plausible("ORDER#x"));
        assert!(!plausible(&"a".repeat(65)));
    }
}

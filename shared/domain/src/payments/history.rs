//! Reading payments back: the «Платежи» list (P1–P5) and «Оплачено по текущей квитанции» (B9).

use jiff::Timestamp;

use super::{Credit, Link, Payment, id_key, refunded_since, seconds};
use crate::store::{Item, Query, SkRange, Store, StoreError};
use crate::{AccountNumber, Kopecks};

/// The account's payments and readings-only rows created between `from` and `to` (both
/// inclusive), newest first.
pub async fn list(
    store: &dyn Store,
    account: &AccountNumber,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Payment>, StoreError> {
    let range = SkRange::Between(format!("PAYMENT#{}", seconds(from)), format!("PAYMENT#{}#~", seconds(to)));
    let mut query = Query::new(format!("ACCOUNT#{account}"), range);
    query.forward = false;
    query.limit = 200;
    let mut payments: Vec<Payment> = Vec::new();
    loop {
        let page = store.query(&query).await?;
        for item in &page.items {
            payments.push(item.to_serde()?);
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    // The keys order by the second; within one second by the creation instant.
    payments.sort_by_key(|p| std::cmp::Reverse(p.created_at));
    Ok(payments)
}

/// The payment with this id (the one on its receipt), with its stored item (for its version);
/// `None` for an id that is not a card payment's.
pub async fn find(store: &dyn Store, payment_id: &str) -> Result<Option<(Payment, Item)>, StoreError> {
    if payment_id.is_empty()
        || payment_id.len() > 64
        || !payment_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Ok(None);
    }
    let Some(link) = store.get(&id_key(payment_id)).await? else { return Ok(None) };
    let link: Link = link.to_serde()?;
    let Some(item) = store.get(&link.key()).await? else { return Ok(None) };
    Ok(Some((item.to_serde()?, item)))
}

/// The sum of the account's successful payments started since `since` (B9: since the current
/// bill was posted). A payment counts for the bill the customer saw when pressing «Оплатить»,
/// even if the bank's answer came after the next bill was posted.
pub async fn paid_since(
    store: &dyn Store,
    account: &AccountNumber,
    since: Timestamp,
) -> Result<Kopecks, StoreError> {
    let range = SkRange::Between(format!("CREDIT#{}", seconds(since)), "CREDIT#~".into());
    let mut query = Query::new(format!("ACCOUNT#{account}"), range);
    query.limit = 200;
    let mut sum = 0i64;
    loop {
        let page = store.query(&query).await?;
        for item in &page.items {
            let credit: Credit = Item::to_serde(item)?;
            sum += credit.amount.get();
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(Kopecks::new(sum)),
        }
    }
}

/// What the account's card payments brought in `[from, to)`, net of refunds: the credits paid
/// in it minus the refunds made in it. A bill subtracts it from the period's balance.
pub async fn received_between(
    store: &dyn Store,
    account: &AccountNumber,
    from: Timestamp,
    to: Timestamp,
) -> Result<Kopecks, StoreError> {
    // Credits are keyed by the payment's start; one is paid within its order's lifetime (or
    // settled by reconciliation minutes later), so two days before `from` covers them all.
    let earliest = from.checked_sub(jiff::SignedDuration::from_hours(48)).unwrap_or(from);
    let range =
        SkRange::Between(format!("CREDIT#{}", seconds(earliest)), format!("CREDIT#{}#~", seconds(to)));
    let mut query = Query::new(format!("ACCOUNT#{account}"), range);
    query.limit = 200;
    let mut sum = 0i64;
    loop {
        let page = store.query(&query).await?;
        for item in &page.items {
            let credit: Credit = Item::to_serde(item)?;
            if credit.paid_at >= from && credit.paid_at < to {
                sum += credit.amount.get();
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    for refund in refunded_since(store, account, from).await? {
        if refund.refunded_at.is_some_and(|at| at < to) {
            sum -= refund.amount.get();
        }
    }
    Ok(Kopecks::new(sum))
}

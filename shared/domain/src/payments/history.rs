//! Reading payments back: the «Платежи» list (P1–P5) and «Оплачено по текущей квитанции» (B9).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::{Credit, Link, Payment, id_key, refunded_since, seconds};
use crate::billing::{MAX_YEAR, MIN_YEAR};
use crate::store::{Item, Query, SkRange, Store, StoreError};
use crate::{AccountNumber, Kopecks};

/// The days the «Платежи» list shows (`GET /api/payments?from=…&to=…`), both included, and
/// the instants they span in the company's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
    /// The first instant of `from`.
    pub start: Timestamp,
    /// The last second of `to`.
    pub end: Timestamp,
}

/// Why the list's dates were refused; the field is the query parameter to correct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateRangeError {
    #[error("{0}: not a date YYYY-MM-DD")]
    Format(&'static str),
    #[error("{0}: the year is outside {MIN_YEAR}..={MAX_YEAR}")]
    Year(&'static str),
    #[error("from is after to")]
    Reversed,
}

impl DateRangeError {
    /// The query parameter at fault.
    pub fn field(&self) -> &'static str {
        match self {
            DateRangeError::Format(field) | DateRangeError::Year(field) => field,
            DateRangeError::Reversed => "from",
        }
    }

    pub fn message_ru(&self) -> String {
        match self {
            DateRangeError::Format(_) => "Укажите дату в виде ГГГГ-ММ-ДД.".to_owned(),
            DateRangeError::Year(_) => format!("Укажите дату с {MIN_YEAR} по {MAX_YEAR} год."),
            DateRangeError::Reversed => "Начало периода позже его конца.".to_owned(),
        }
    }
}

/// Reads the list's `from` and `to` as the query gives them (absent or empty: `to` is `today`,
/// `from` three months before `to`). Dates outside the billing years are refused, so every
/// instant of the range exists.
pub fn date_range(
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
    tz: &TimeZone,
) -> Result<DateRange, DateRangeError> {
    let date = |field: &'static str, text: Option<&str>| -> Result<Option<Date>, DateRangeError> {
        let Some(text) = text.filter(|t| !t.is_empty()) else { return Ok(None) };
        let date: Date = text.parse().map_err(|_| DateRangeError::Format(field))?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
            return Err(DateRangeError::Year(field));
        }
        Ok(Some(date))
    };
    let to = date("to", to)?.unwrap_or(today);
    let from = match date("from", from)? {
        Some(from) => from,
        None => to.checked_sub(3.months()).map_err(|_| DateRangeError::Year("to"))?,
    };
    if from > to {
        return Err(DateRangeError::Reversed);
    }
    let day_start = |field: &'static str, date: Date| {
        date.to_zoned(tz.clone()).map(|z| z.timestamp()).map_err(|_| DateRangeError::Year(field))
    };
    let start = day_start("from", from)?;
    let after = to.tomorrow().map_err(|_| DateRangeError::Year("to"))?;
    let end = day_start("to", after)?.checked_sub(1.second()).map_err(|_| DateRangeError::Year("to"))?;
    Ok(DateRange { from, to, start, end })
}

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

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn moscow() -> TimeZone {
        TimeZone::get("Europe/Moscow").unwrap()
    }

    fn range(from: Option<&str>, to: Option<&str>) -> Result<DateRange, DateRangeError> {
        date_range(from, to, date(2026, 11, 25), &moscow())
    }

    #[test]
    fn the_last_three_months_by_default() {
        let r = range(None, Some("")).unwrap();
        assert_eq!((r.from, r.to), (date(2026, 8, 25), date(2026, 11, 25)));
        assert_eq!(r.start.to_string(), "2026-08-24T21:00:00Z");
        assert_eq!(r.end.to_string(), "2026-11-25T20:59:59Z");
        let r = range(Some("2026-01-01"), Some("2026-01-31")).unwrap();
        assert_eq!((r.from, r.to), (date(2026, 1, 1), date(2026, 1, 31)));
    }

    #[test]
    fn refuses_what_is_not_a_range_of_days() {
        assert_eq!(range(Some("01.01.2026"), None), Err(DateRangeError::Format("from")));
        assert_eq!(range(None, Some("2026-02-30")), Err(DateRangeError::Format("to")));
        assert_eq!(range(Some("2026-02-01"), Some("2026-01-31")), Err(DateRangeError::Reversed));
        assert_eq!(DateRangeError::Reversed.field(), "from");
    }

    /// Found writing the `payment_dates` fuzz target (fuzz/): the last date jiff knows has no
    /// next day, and the first ones have no instant, so these were 500s.
    #[test]
    fn dates_outside_the_billing_years_are_refused_not_a_server_error() {
        assert_eq!(range(None, Some("9999-12-31")), Err(DateRangeError::Year("to")));
        assert_eq!(range(Some("-009999-01-01"), None), Err(DateRangeError::Year("from")));
        assert_eq!(range(None, Some("-009999-01-01")), Err(DateRangeError::Year("to")));
        assert_eq!(range(Some("1899-12-31"), None), Err(DateRangeError::Year("from")));
        assert!(range(Some("1900-01-01"), Some("9998-12-31")).is_ok());
        assert_eq!(DateRangeError::Year("to").message_ru(), "Укажите дату с 1900 по 9998 год.");
    }

    /// A range ending after 2286 has an end key of eleven digits, which sorted before every real
    /// key: the list came out empty.
    #[test]
    fn keys_of_far_instants_keep_their_order() {
        let far = range(Some("2026-01-01"), Some("9998-12-31")).unwrap();
        assert_eq!(seconds(far.end), "9999999999");
        let early = range(Some("1900-01-01"), Some("2026-01-01")).unwrap();
        assert_eq!(seconds(early.start), "0000000000");
        assert!(seconds(early.start) < seconds(far.end));
    }
}

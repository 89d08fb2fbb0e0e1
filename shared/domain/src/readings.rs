//! A customer's meter readings in the store: submitting them (B3–B5) and reading the history.
//! Each submission is one item, `ACCOUNT#<n>` / `READING#<period>#<time>`, so the history is
//! kept and one query reads it in order; the latest accepted reading of a period is the one
//! its bill uses. Without any reading in Svet, the registry's last accepted readings are the
//! baseline.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::billing::{
    CheckedReading, Period, ReadingError, ReadingSource, ReadingStatus, Registers, check_reading,
    period_for_submission, usual_monthly,
};
use crate::registry::{RegistryEntry, registry_key};
use crate::store::{Item, Key, Query, SkRange, Store, StoreError};
use crate::{AccountNumber, Clock, Config, Meter};

/// Readings later than this day of the month count for the next period (Decree 354).
pub const CUTOFF_DAY: u8 = 25;

/// One submitted reading with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub period: Period,
    pub submitted_at: Timestamp,
    pub registers: Registers,
    pub source: ReadingSource,
    pub status: ReadingStatus,
}

/// What the person typed: one field, or the day and night fields.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub single: Option<String>,
    pub day: Option<String>,
    pub night: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// B3: premises without a meter have no readings.
    #[error("the premises have no meter")]
    NoMeter,
    #[error("the account is not in the registry")]
    NotInRegistry,
    /// A register's value was refused: which field, and why.
    #[error("{field}: {error}")]
    Invalid { field: &'static str, error: ReadingError },
    /// A field the meter does not have, or a missing one.
    #[error("{field}: {message}")]
    Fields { field: &'static str, message: &'static str },
    /// A jump above the usual consumption: the page asks «Вы уверены?» and sends again.
    #[error("the reading needs confirmation")]
    NeedsConfirmation(Vec<(&'static str, String)>),
    /// The same account sent readings twice at the same moment.
    #[error("readings were sent twice at once")]
    Twice,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn key(account: &AccountNumber, reading: &Reading) -> Key {
    Key::new(
        format!("ACCOUNT#{account}"),
        format!("READING#{}#{}", reading.period, reading.submitted_at.as_second()),
    )
}

/// The account's readings, newest first, at most `limit`.
pub async fn history(
    store: &dyn Store,
    account: &AccountNumber,
    limit: u32,
) -> Result<Vec<Reading>, StoreError> {
    let mut query = Query::new(format!("ACCOUNT#{account}"), SkRange::Prefix("READING#".into()));
    query.forward = false;
    query.limit = limit;
    store.query(&query).await?.items.iter().map(Item::to_serde).collect()
}

/// The last accepted registers before `period` and the usual monthly consumption per
/// register, from the readings in Svet, else from the registry; and the newest reading stored,
/// whatever its period. Readings of `period` itself are left out of the baseline: a new one
/// replaces them, so a typo can be corrected downwards.
async fn baseline(
    store: &dyn Store,
    account: &AccountNumber,
    meter: &Meter,
    period: Period,
) -> Result<(Option<Registers>, Vec<Vec<u64>>, Option<Reading>), StoreError> {
    let stored = history(store, account, 100).await?;
    let newest = stored.first().cloned();
    let accepted: Vec<Reading> = stored
        .into_iter()
        .filter(|r| !matches!(r.status, ReadingStatus::Received) && r.period < period)
        .collect();
    // One reading per period (the latest), oldest first, to measure monthly consumption.
    let mut per_period: Vec<&Reading> = Vec::new();
    for r in accepted.iter().rev() {
        match per_period.last() {
            Some(last) if last.period == r.period => *per_period.last_mut().expect("non-empty") = r,
            _ => per_period.push(r),
        }
    }
    let values = |r: &Registers| match *r {
        Registers::Single(value) => vec![value],
        Registers::DayNight { day, night } => vec![day, night],
    };
    let mut usage: Vec<Vec<u64>> = vec![Vec::new(), Vec::new()];
    for pair in per_period.windows(2) {
        for (zone, (a, b)) in
            values(&pair[0].registers).into_iter().zip(values(&pair[1].registers)).enumerate()
        {
            usage[zone].push(b.saturating_sub(a));
        }
    }
    let last = accepted.first().map(|r| r.registers).or(match *meter {
        Meter::None => None,
        Meter::Single { reading, .. } => Some(Registers::Single(reading)),
        Meter::DayNight { day, night, .. } => Some(Registers::DayNight { day, night }),
    });
    Ok((last, usage, newest))
}

/// Checks and stores a readings-only submission (B11, P5): accepted at once, with its row
/// «передача показаний без оплаты» in the payments list, in one transaction. With `confirm`
/// a jump above the usual consumption is taken; without it the caller gets the question.
pub async fn submit(
    store: &dyn Store,
    clock: &dyn Clock,
    ids: &dyn crate::IdGen,
    config: &Config,
    account: &AccountNumber,
    typed: &Typed,
    confirm: bool,
) -> Result<Reading, SubmitError> {
    let (reading, _) =
        crate::payments::readings_only(store, clock, ids, config, account, typed, confirm).await?;
    Ok(reading)
}

/// The stored item of an accepted reading (written with [`Condition::Absent`]).
pub fn reading_item(account: &AccountNumber, reading: &Reading) -> Result<Item, StoreError> {
    Item::from_serde(key(account, reading), reading)
}

/// Checks typed readings as [`submit`] does, at `now`, without storing anything: the accepted
/// reading to store, or why not. Payments check readings with it when the customer presses
/// «Оплатить» and store them when the payment succeeds.
pub async fn check(
    store: &dyn Store,
    now: Timestamp,
    config: &Config,
    account: &AccountNumber,
    typed: &Typed,
    confirm: bool,
) -> Result<Reading, SubmitError> {
    Ok(check_against_newest(store, now, config, account, typed, confirm).await?.0)
}

/// [`check`], with the newest reading already stored (read for the check anyway), so that a
/// caller can tell the same values sent again.
pub(crate) async fn check_against_newest(
    store: &dyn Store,
    now: Timestamp,
    config: &Config,
    account: &AccountNumber,
    typed: &Typed,
    confirm: bool,
) -> Result<(Reading, Option<Reading>), SubmitError> {
    let entry: RegistryEntry =
        store.get(&registry_key(account)).await?.ok_or(SubmitError::NotInRegistry)?.to_serde()?;
    let period = period_for_submission(now.to_zoned(config.time_zone()).date(), CUTOFF_DAY);
    let (last, usage, newest) = baseline(store, account, &entry.meter, period).await?;
    let check =
        |field: &'static str, typed: &Option<String>, digits: u8, previous: Option<u64>, zone: usize| {
            let typed = typed
                .as_deref()
                .ok_or(SubmitError::Fields { field, message: "Введите показания." })?;
            check_reading(typed, digits, previous, usual_monthly(&usage[zone]), config)
                .map_err(|error| SubmitError::Invalid { field, error })
        };
    let (registers, checked): (Registers, Vec<(&'static str, CheckedReading)>) = match (&entry.meter, last) {
        (Meter::None, _) => return Err(SubmitError::NoMeter),
        (Meter::Single { digits, .. }, last) => {
            let previous = match last {
                Some(Registers::Single(value)) => Some(value),
                _ => None,
            };
            let single = check("single", &typed.single, *digits, previous, 0)?;
            (Registers::Single(single.value), vec![("single", single)])
        }
        (Meter::DayNight { digits, .. }, last) => {
            let (pd, pn) = match last {
                Some(Registers::DayNight { day, night }) => (Some(day), Some(night)),
                _ => (None, None),
            };
            let day = check("day", &typed.day, *digits, pd, 0)?;
            let night = check("night", &typed.night, *digits, pn, 1)?;
            (Registers::DayNight { day: day.value, night: night.value }, vec![("day", day), ("night", night)])
        }
    };
    let questions: Vec<(&'static str, String)> =
        checked.iter().filter_map(|(field, c)| c.confirmation_ru().map(|q| (*field, q))).collect();
    if !questions.is_empty() && !confirm {
        return Err(SubmitError::NeedsConfirmation(questions));
    }
    let reading = Reading {
        period,
        submitted_at: now,
        registers,
        source: ReadingSource::Portal,
        status: ReadingStatus::Accepted,
    };
    Ok((reading, newest))
}

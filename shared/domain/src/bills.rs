//! Monthly bills (B1, B2): generating a period's bills for every account in the registry, and
//! reading a customer's bills. A bill is `ACCOUNT#<n>` / `BILL#<period>`, written once with a
//! condition, so generating a period again changes nothing and a crashed run resumes by
//! running again. The readings it used are marked as billed in the same transaction.
//!
//! The opening balance is the previous bill's closing balance, or the registry's balance for
//! an account's first bill in Svet. Payments arrive with the payments issue; until then the
//! period's payments are zero.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::billing::{
    Basis, Bill, BillError, BillInput, Period, ReadingStatus, Registers, Tariffs, Zone, compute_bill,
};
use crate::readings::Reading;
use crate::registry::RegistryEntry;
use crate::store::{Condition, Item, Key, Query, Scan, SkRange, Store, StoreError, Write};
use crate::{AccountNumber, Clock, Config, Kopecks, Meter};

pub fn bill_key(account: &AccountNumber, period: Period) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("BILL#{period}"))
}

/// A stored bill with when it was posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedBill {
    pub bill: Bill,
    pub posted_at: Timestamp,
}

/// The account's bills, newest first, at most `limit`.
pub async fn bills(
    store: &dyn Store,
    account: &AccountNumber,
    limit: u32,
) -> Result<Vec<PostedBill>, StoreError> {
    let mut query = Query::new(format!("ACCOUNT#{account}"), SkRange::Prefix("BILL#".into()));
    query.forward = false;
    query.limit = limit;
    store.query(&query).await?.items.iter().map(Item::to_serde).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Generated,
    /// The period's bill was already there.
    Existing,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("account {account}: {source}")]
    Bill { account: String, source: BillError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a generation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub accounts: u64,
    pub generated: u64,
    pub existing: u64,
    pub failed: u64,
}

/// What generation needs.
pub struct Generation<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub config: &'a Config,
    pub tariffs: &'a Tariffs,
}

impl Generation<'_> {
    /// Generates `period`'s bills for one segment of the registry. A bill that cannot be
    /// computed is reported through `failed` and counted; the others go on.
    pub async fn run(
        &self,
        period: Period,
        segment: u32,
        segments: u32,
        failed: &mut (dyn FnMut(&GenerateError) + Send),
        progress: &mut (dyn FnMut(&Summary) + Send),
    ) -> Result<Summary, StoreError> {
        let mut scan = Scan { segment, segments, ..Scan::all("ACCOUNT#", Some("REGISTRY")) };
        let mut summary = Summary::default();
        loop {
            let page = self.store.scan(&scan).await?;
            for item in &page.items {
                let entry: RegistryEntry = item.to_serde()?;
                summary.accounts += 1;
                match self.generate_one(period, &entry).await {
                    Ok(Outcome::Generated) => summary.generated += 1,
                    Ok(Outcome::Existing) => summary.existing += 1,
                    Err(GenerateError::Store(e)) => return Err(e),
                    Err(e) => {
                        summary.failed += 1;
                        failed(&e);
                    }
                }
            }
            progress(&summary);
            match page.next {
                Some(cursor) => scan.after = Some(cursor),
                None => return Ok(summary),
            }
        }
    }

    /// One account's bill for `period`, unless it exists.
    pub async fn generate_one(
        &self,
        period: Period,
        entry: &RegistryEntry,
    ) -> Result<Outcome, GenerateError> {
        let key = bill_key(&entry.account, period);
        if self.store.get(&key).await?.is_some() {
            return Ok(Outcome::Existing);
        }
        let earlier: Vec<Bill> = bills(self.store, &entry.account, 12)
            .await?
            .into_iter()
            .map(|p| p.bill)
            .filter(|b| b.period < period)
            .collect();
        let reading = self.period_reading(&entry.account, period).await?;
        let input = BillInput {
            period,
            account: entry.account.clone(),
            address: entry.address.clone(),
            tariff: entry.tariff.clone(),
            meter: meter_before(&entry.meter, earlier.first()),
            readings: reading.as_ref().map(|(r, _)| r.registers),
            history: history(&earlier),
            months_without_readings: earlier.iter().take_while(|b| !billed_on_readings(b)).count() as u32,
            opening_balance: earlier.first().map_or(entry.balance, |b| b.closing_balance),
            payments: Kopecks::ZERO,
            payee: self.config.payee.clone(),
        };
        let bill = compute_bill(&input, self.tariffs)
            .map_err(|source| GenerateError::Bill { account: entry.account.masked(), source })?;
        let posted = PostedBill { bill, posted_at: self.clock.now() };
        let mut writes =
            vec![Write::Put { item: Item::from_serde(key, &posted)?, condition: Condition::Absent }];
        if let Some((mut reading, item)) = reading {
            reading.status = ReadingStatus::Billed(period);
            let mut billed = Item::from_serde(item.key.clone(), &reading)?;
            billed.version = item.version + 1;
            writes.push(Write::Put { item: billed, condition: Condition::VersionIs(item.version) });
        }
        match self.store.transact(writes).await {
            Ok(()) => Ok(Outcome::Generated),
            // Another worker posted it first, or the reading changed: the bill stands.
            Err(StoreError::ConditionFailed { index: 0 }) => Ok(Outcome::Existing),
            Err(e) => Err(e.into()),
        }
    }

    /// The latest accepted reading submitted for `period`.
    async fn period_reading(
        &self,
        account: &AccountNumber,
        period: Period,
    ) -> Result<Option<(Reading, Item)>, StoreError> {
        let mut query =
            Query::new(format!("ACCOUNT#{account}"), SkRange::Prefix(format!("READING#{period}#")));
        query.forward = false;
        query.limit = 20;
        for item in self.store.query(&query).await?.items {
            let reading: Reading = item.to_serde()?;
            if reading.status == ReadingStatus::Accepted {
                return Ok(Some((reading, item)));
            }
        }
        Ok(None)
    }
}

fn billed_on_readings(bill: &Bill) -> bool {
    bill.lines.iter().all(|l| l.basis == Basis::Readings)
}

/// The meter with the readings the last bill ended on (or the registry's, for a first bill).
fn meter_before(meter: &Meter, last: Option<&Bill>) -> Meter {
    let current = |zone: Zone| last?.lines.iter().find(|l| l.zone == zone)?.current;
    match *meter {
        Meter::None => Meter::None,
        Meter::Single { digits, reading } => {
            Meter::Single { digits, reading: current(Zone::All).unwrap_or(reading) }
        }
        Meter::DayNight { digits, day, night } => Meter::DayNight {
            digits,
            day: current(Zone::Day).unwrap_or(day),
            night: current(Zone::Night).unwrap_or(night),
        },
    }
}

/// Monthly consumptions from earlier bills on readings or estimates, oldest first.
fn history(earlier: &[Bill]) -> Vec<Registers> {
    let mut out: Vec<Registers> = earlier
        .iter()
        .filter(|b| b.lines.iter().all(|l| l.basis != Basis::Norm))
        .filter_map(|b| match b.lines.as_slice() {
            [single] if single.zone == Zone::All => Some(Registers::Single(single.consumption)),
            [day, night] if day.zone == Zone::Day && night.zone == Zone::Night => {
                Some(Registers::DayNight { day: day.consumption, night: night.consumption })
            }
            _ => None,
        })
        .take(3)
        .collect();
    out.reverse();
    out
}

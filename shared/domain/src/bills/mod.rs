//! Monthly bills (B1, B2): generating a period's bills for every account in the registry, and
//! reading a customer's bills. A bill is `ACCOUNT#<n>` / `BILL#<period>`, written once with a
//! condition, so generating a period again changes nothing and a crashed run resumes by
//! running again. The readings it used are marked as billed in the same transaction.
//!
//! Each account goes through three steps, each idempotent and each recorded, so a rerun (or
//! a retried queue message on AWS) picks up exactly where a crash stopped:
//! 1. post the bill (the item is written only if absent);
//! 2. render its PDF into the document store and mark the bill `documents: true`
//!    ([`document`]; the PNG is rendered once, when first needed: [`document::ensure_png`]);
//! 3. mail it, or a notice, to those who asked ([`delivery`]), through an outbox record.
//!
//! The opening balance is the previous bill's closing balance, or the registry's balance for
//! an account's first bill in Svet. Payments arrive with the payments issue; until then the
//! period's payments are zero.

pub mod delivery;
pub mod document;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::billing::{
    Basis, Bill, BillError, BillInput, Period, ReadingStatus, Registers, Tariffs, Zone, compute_bill,
};
use crate::documents::{DocumentError, Documents};
use crate::mail::Mailer;
use crate::readings::Reading;
use crate::registry::RegistryEntry;
use crate::store::{Condition, Item, Key, Query, Scan, SkRange, Store, StoreError, Write};
use crate::{AccountNumber, Clock, Config, Kopecks, Meter};
use delivery::{Delivered, Delivery, DeliveryError};
use document::{Format, RenderError};

pub fn bill_key(account: &AccountNumber, period: Period) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("BILL#{period}"))
}

/// A stored bill with when it was posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedBill {
    pub bill: Bill,
    pub posted_at: Timestamp,
    /// Its PDF is in the document store.
    #[serde(default)]
    pub documents: bool,
    /// Its PNG is in the document store (rendered when first needed).
    #[serde(default)]
    pub png: bool,
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

/// Why one account's bill was not posted, rendered or mailed. [`GenerateError::is_fatal`]
/// ones (the store or the document store down) stop the run: every account would fail the same
/// way. The others are counted and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("account {account}: {source}")]
    Bill { account: String, source: BillError },
    #[error("account {account}: {source}")]
    Render { account: String, source: svet_billdoc::LayoutError },
    #[error("account {account}: the PNG: {source}")]
    Png { account: String, source: svet_billdoc::RenderError },
    #[error("account {account}: {source}")]
    Delivery { account: String, source: DeliveryError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Documents(#[from] DocumentError),
}

impl GenerateError {
    pub fn is_fatal(&self) -> bool {
        matches!(self, GenerateError::Store(_) | GenerateError::Documents(_))
    }
}

/// What a generation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub accounts: u64,
    /// Bills posted by this run.
    pub generated: u64,
    /// Bills that were posted already.
    pub existing: u64,
    /// Bills whose PDF this run rendered and stored.
    pub rendered: u64,
    /// Mails (bills or notices) sent by this run.
    pub mailed: u64,
    /// Mails that failed this time; the next run retries them.
    pub mail_failed: u64,
    /// Mails refused by the mail service, or failed [`delivery::MAX_ATTEMPTS`] times: left for
    /// an operator (the outbox record says why).
    pub mail_gave_up: u64,
    /// Accounts that failed (listed through the run's `failed` callback).
    pub failed: u64,
}

impl Summary {
    /// Adds another segment's summary.
    pub fn add(&mut self, other: &Summary) {
        self.accounts += other.accounts;
        self.generated += other.generated;
        self.existing += other.existing;
        self.rendered += other.rendered;
        self.mailed += other.mailed;
        self.mail_failed += other.mail_failed;
        self.mail_gave_up += other.mail_gave_up;
        self.failed += other.failed;
    }
}

/// What one account's step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub outcome: Outcome,
    pub rendered: bool,
    pub delivered: Delivered,
}

/// What generation needs.
pub struct Generation<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub config: &'a Config,
    pub tariffs: &'a Tariffs,
    pub documents: &'a dyn Documents,
    pub mailer: &'a dyn Mailer,
    /// The portal's address, for the links in mails.
    pub public_url: &'a str,
}

impl Generation<'_> {
    /// Generates, renders and mails `period`'s bills for one segment of the registry. An
    /// account that fails is reported through `failed` and counted; the others go on. A
    /// fatal error (the store or the document store down) stops the run; running it again
    /// resumes.
    pub async fn run(
        &self,
        period: Period,
        segment: u32,
        segments: u32,
        failed: &mut (dyn FnMut(&GenerateError) + Send),
        progress: &mut (dyn FnMut(&Summary) + Send),
    ) -> Result<Summary, GenerateError> {
        let mut scan = Scan { segment, segments, ..Scan::all("ACCOUNT#", Some("REGISTRY")) };
        let mut summary = Summary::default();
        loop {
            let page = self.store.scan(&scan).await?;
            for item in &page.items {
                let entry: RegistryEntry = item.to_serde()?;
                summary.accounts += 1;
                match self.process(period, &entry).await {
                    Ok(done) => {
                        match done.outcome {
                            Outcome::Generated => summary.generated += 1,
                            Outcome::Existing => summary.existing += 1,
                        }
                        summary.rendered += u64::from(done.rendered);
                        match done.delivered {
                            Delivered::Sent(_) => summary.mailed += 1,
                            Delivered::Failed => summary.mail_failed += 1,
                            Delivered::GaveUp => summary.mail_gave_up += 1,
                            Delivered::NotSubscribed | Delivered::AlreadyDone => {}
                        }
                    }
                    Err(e) if e.is_fatal() => return Err(e),
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

    /// One account: post the bill unless it exists, render its documents unless they are
    /// stored, mail it unless it was mailed.
    pub async fn process(&self, period: Period, entry: &RegistryEntry) -> Result<Done, GenerateError> {
        let account = || entry.account.masked();
        let key = bill_key(&entry.account, period);
        let (mut posted, version, outcome) = match self.store.get(&key).await? {
            Some(item) => (item.to_serde::<PostedBill>()?, item.version, Outcome::Existing),
            None => match self.post(period, entry).await? {
                (Outcome::Generated, Some(posted)) => (posted, 1, Outcome::Generated),
                // Another worker posted it first: carry on from what it stored.
                _ => match self.store.get(&key).await? {
                    Some(item) => (item.to_serde::<PostedBill>()?, item.version, Outcome::Existing),
                    None => {
                        return Err(
                            StoreError::Corrupt(format!("bill {}/{} vanished", key.pk, key.sk)).into()
                        );
                    }
                },
            },
        };

        let rendered = !posted.documents;
        if rendered {
            match document::render_and_store(self.documents, self.config, &posted.bill, Format::Pdf).await {
                Ok(()) => {}
                Err(RenderError::Layout(source)) => {
                    return Err(GenerateError::Render { account: account(), source });
                }
                Err(RenderError::Png(source)) => {
                    return Err(GenerateError::Png { account: account(), source });
                }
                Err(RenderError::Store(e)) => return Err(e.into()),
            }
            posted.documents = true;
            let mut item = Item::from_serde(key, &posted)?;
            item.version = version + 1;
            match self
                .store
                .transact(vec![Write::Put { item, condition: Condition::VersionIs(version) }])
                .await
            {
                // Another worker marked it meanwhile: the documents are the same bytes.
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }

        let delivery = Delivery {
            store: self.store,
            documents: self.documents,
            mailer: self.mailer,
            config: self.config,
            public_url: self.public_url,
            now: self.clock.now(),
        };
        let delivered = match delivery.deliver(&posted).await {
            Ok(delivered) => delivered,
            Err(DeliveryError::Store(e)) => return Err(e.into()),
            Err(DeliveryError::Documents(e)) => return Err(e.into()),
            Err(DeliveryError::Render(RenderError::Store(e))) => return Err(e.into()),
            Err(source) => return Err(GenerateError::Delivery { account: account(), source }),
        };
        Ok(Done { outcome, rendered, delivered })
    }

    /// Computes and posts one account's bill for `period`, which the caller found absent:
    /// the bill posted, or `Existing` when another worker posted it first.
    async fn post(
        &self,
        period: Period,
        entry: &RegistryEntry,
    ) -> Result<(Outcome, Option<PostedBill>), GenerateError> {
        let key = bill_key(&entry.account, period);
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
            payments: self.received_in(&entry.account, period).await?,
            payee: self.config.payee.clone(),
        };
        let bill = compute_bill(&input, self.tariffs)
            .map_err(|source| GenerateError::Bill { account: entry.account.masked(), source })?;
        let posted = PostedBill { bill, posted_at: self.clock.now(), documents: false, png: false };
        let mut writes =
            vec![Write::Put { item: Item::from_serde(key, &posted)?, condition: Condition::Absent }];
        if let Some((mut reading, item)) = reading {
            reading.status = ReadingStatus::Billed(period);
            let mut billed = Item::from_serde(item.key.clone(), &reading)?;
            billed.version = item.version + 1;
            writes.push(Write::Put { item: billed, condition: Condition::VersionIs(item.version) });
        }
        match self.store.transact(writes).await {
            Ok(()) => Ok((Outcome::Generated, Some(posted))),
            // Another worker posted it first: the bill stands.
            Err(StoreError::ConditionFailed { index: 0 }) => Ok((Outcome::Existing, None)),
            Err(e) => Err(e.into()),
        }
    }

    /// Card payments received in `period` (company time), net of refunds made in it.
    async fn received_in(&self, account: &AccountNumber, period: Period) -> Result<Kopecks, StoreError> {
        let tz = self.config.time_zone();
        let start = |day: jiff::civil::Date| {
            day.to_zoned(tz.clone()).map(|z| z.timestamp()).map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let (from, to) = (start(period.first_day())?, start(period.next().first_day())?);
        crate::payments::received_between(self.store, account, from, to).await
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

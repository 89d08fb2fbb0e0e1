//! One account's bill for one period (B1, B2; domain.md §2.1, §2.7): what was used, what it
//! costs, what was paid, what is due and by when, and the payment QR payload.
//!
//! **Consumption per zone.** With the period's accepted readings: current − previous. Without
//! them: the average of the last (up to) three monthly consumptions in `history`, per zone,
//! rounded half up to whole kWh ([`usual_monthly`]), marked [`Basis::Estimated`] (a reading of
//! source [`ReadingSource::Estimate`](super::ReadingSource::Estimate)). The norm
//! ([`Basis::Norm`]) instead when there is no meter, when readings have been missing for three
//! consecutive earlier periods already (`months_without_readings >= 3`: months 1–3 without
//! readings are estimated, the 4th onwards billed by the norm), or when there is no history to
//! average. The norm has no zones: it is one line at the tariff's single-rate price, also for
//! a two-zone meter.
//!
//! **Price changes inside the period and rounding.** The tariff file gives the price of each
//! day; [`Tariffs::segments`] cuts the month into runs of days with one price. A zone's kWh are
//! split over those runs in proportion to their days, in whole kWh, by the largest-remainder
//! rule ([`split_kwh`]): each run first gets ⌊kWh × days / days in month⌋; the few kWh left
//! over (fewer than the number of runs) go one each to the runs with the largest remainders,
//! the later run first on a tie. Each run's charge is then exactly its kWh × its price in
//! kopecks, and the zone's charge is the sum of its runs. So money is never rounded: every
//! line of the bill multiplies out exactly, the lines add up exactly, and each run is within
//! 1 kWh of its exact share (for two runs, the nearest whole kWh). Example: 100 kWh in July
//! with 6,58 ₽ until the 15th and 7,36 ₽ from the 16th: 100 × 15/31 = 48.39 and 100 × 16/31 =
//! 51.61 give 48 + 51, the left-over kWh goes to the larger remainder (0.61), so 48 kWh ×
//! 6,58 = 315,84 ₽ and 52 kWh × 7,36 = 382,72 ₽, 698,56 ₽ in all.
//!
//! **Balance.** closing balance = opening balance + charges − payments received in the
//! period (positive: owed; negative: overpaid, carried into the next bill). The amount due
//! («Итого к оплате») is the closing balance, or 0 when it is negative. Due by the 10th of the
//! next month.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::Period;
use super::payee::{Payee, PayeeError, qr_payload};
use super::readings::usual_monthly;
use super::tariffs::{MissingPrice, PriceSegment, RateType, Tariffs, Zone};
use crate::{AccountNumber, Kopecks, Meter};

/// The day of the next month by which a bill is to be paid.
pub const DUE_DAY: u8 = 10;

/// A value per register of a meter: readings or monthly consumptions, in kWh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registers {
    Single(u64),
    DayNight { day: u64, night: u64 },
}

impl Registers {
    pub fn rate(self) -> RateType {
        match self {
            Registers::Single(_) => RateType::Single,
            Registers::DayNight { .. } => RateType::DayNight,
        }
    }

    /// The value for a zone of this rate type (`All` for single, `Day`/`Night` for two-zone).
    pub fn get(self, zone: Zone) -> Option<u64> {
        match (self, zone) {
            (Registers::Single(v), Zone::All) => Some(v),
            (Registers::DayNight { day, .. }, Zone::Day) => Some(day),
            (Registers::DayNight { night, .. }, Zone::Night) => Some(night),
            _ => None,
        }
    }
}

/// Everything needed to bill one account for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillInput {
    pub period: Period,
    pub account: AccountNumber,
    pub address: String,
    /// The account's tariff code (`urban`, `rural`).
    pub tariff: String,
    /// The meter with its readings accepted before this period.
    pub meter: Meter,
    /// The readings accepted for this period, if any.
    pub readings: Option<Registers>,
    /// Recent monthly consumptions, oldest first; the last three are averaged for an estimate.
    pub history: Vec<Registers>,
    /// How many periods right before this one were billed without readings.
    pub months_without_readings: u32,
    /// Positive: owed at the start of the period; negative: overpaid.
    pub opening_balance: Kopecks,
    /// Payments received in the period, net of refunds.
    pub payments: Kopecks,
    pub payee: Payee,
}

/// The installed meter, as the bill describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterKind {
    None,
    Single,
    DayNight,
}

impl MeterKind {
    pub fn label_ru(self) -> &'static str {
        match self {
            MeterKind::None => "не установлен",
            MeterKind::Single => "однотарифный",
            MeterKind::DayNight => "двухтарифный (день/ночь)",
        }
    }
}

impl std::fmt::Display for MeterKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MeterKind::None => "no meter",
            MeterKind::Single => "single-rate",
            MeterKind::DayNight => "day/night",
        })
    }
}

/// How a zone's consumption was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// From the period's accepted readings.
    Readings,
    /// The average of recent months (no readings this period).
    Estimated,
    /// The monthly norm.
    Norm,
}

impl Basis {
    pub fn label_ru(self) -> &'static str {
        match self {
            Basis::Readings => "по показаниям",
            Basis::Estimated => "расчётно, по среднемесячному расходу",
            Basis::Norm => "по нормативу потребления",
        }
    }
}

/// Days of the period at one price, the kWh allotted to them and their charge
/// (`kwh × price`, exactly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargedSegment {
    pub first_day: Date,
    /// Inclusive.
    pub last_day: Date,
    pub days: u32,
    pub kwh: u64,
    /// Kopecks per kWh.
    pub price: Kopecks,
    pub charge: Kopecks,
}

/// One zone's row of the bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneLine {
    pub zone: Zone,
    pub basis: Basis,
    /// The reading the consumption starts from, when there is a meter.
    pub previous: Option<u64>,
    /// The period's reading; `None` when estimated or by the norm.
    pub current: Option<u64>,
    pub consumption: u64,
    /// One segment, or several when the price changed inside the period.
    pub segments: Vec<ChargedSegment>,
    pub charge: Kopecks,
}

/// A computed bill: everything the paper bill shows (domain.md §2.7). Stored as computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    pub period: Period,
    pub account: AccountNumber,
    pub address: String,
    pub tariff: String,
    /// The rate the lines are priced at (single for the norm, whatever the meter).
    pub rate: RateType,
    pub meter: MeterKind,
    pub digits: Option<u8>,
    pub lines: Vec<ZoneLine>,
    pub opening_balance: Kopecks,
    pub total_charge: Kopecks,
    pub payments: Kopecks,
    /// opening balance + total charge − payments; negative when overpaid.
    pub closing_balance: Kopecks,
    /// «Итого к оплате»: the closing balance, never below 0.
    pub amount_due: Kopecks,
    pub due_date: Date,
    pub payee: Payee,
    /// The GOST R 56042-2014 payload for the QR code.
    pub qr_payload: String,
}

impl Bill {
    /// All zones' kWh.
    pub fn total_kwh(&self) -> u64 {
        self.lines.iter().map(|l| l.consumption).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillError {
    #[error("tariff {0:?} has no prices in the tariff file")]
    UnknownTariff(String),
    #[error("tariff {0:?} has no norm in the tariff file")]
    NoNorm(String),
    #[error(transparent)]
    MissingPrice(#[from] MissingPrice),
    #[error("readings were given for premises without a meter")]
    ReadingsWithoutMeter,
    #[error("{given} readings were given for a {meter} meter")]
    ReadingsDoNotFitMeter { meter: MeterKind, given: RateType },
    #[error("history month {index} is {given} but the meter is {meter}")]
    HistoryDoesNotFitMeter { index: usize, meter: MeterKind, given: RateType },
    #[error("{zone} reading {current} is below the previous reading {previous}")]
    ReadingBelowPrevious { zone: Zone, previous: u64, current: u64 },
    #[error("{zone} reading {reading} does not fit a {digits}-digit meter")]
    ReadingTooLarge { zone: Zone, reading: u64, digits: u8 },
    #[error("the amounts are too large to add up")]
    TooLarge,
    #[error(transparent)]
    Payee(#[from] PayeeError),
}

/// Computes the bill; see the module docs for the rules.
pub fn compute_bill(input: &BillInput, tariffs: &Tariffs) -> Result<Bill, BillError> {
    input.payee.check()?;
    if !tariffs.codes().contains(&input.tariff.as_str()) {
        return Err(BillError::UnknownTariff(input.tariff.clone()));
    }
    let (kind, digits, previous) = match input.meter {
        Meter::None => (MeterKind::None, None, None),
        Meter::Single { digits, reading } => {
            (MeterKind::Single, Some(digits), Some(Registers::Single(reading)))
        }
        Meter::DayNight { digits, day, night } => {
            (MeterKind::DayNight, Some(digits), Some(Registers::DayNight { day, night }))
        }
    };
    let usage = consumption(input, kind, digits, previous)?;
    let (rate, rows) = match usage {
        Usage::Norm => {
            let kwh =
                tariffs.norm_kwh(&input.tariff).ok_or_else(|| BillError::NoNorm(input.tariff.clone()))?;
            let previous = previous.and_then(|p| p.get(Zone::All));
            (RateType::Single, vec![(Zone::All, Basis::Norm, previous, None, kwh)])
        }
        Usage::Metered { basis, rate, rows } => {
            (rate, rows.into_iter().map(|(z, p, c, k)| (z, basis, p, c, k)).collect())
        }
    };
    let mut lines = Vec::with_capacity(rows.len());
    for (zone, basis, previous, current, kwh) in rows {
        let prices = tariffs.segments(&input.tariff, rate, zone, input.period)?;
        let segments = charge_segments(kwh, &prices)?;
        let charge = sum(segments.iter().map(|s| s.charge))?;
        lines.push(ZoneLine { zone, basis, previous, current, consumption: kwh, segments, charge });
    }
    let total_charge = sum(lines.iter().map(|l| l.charge))?;
    let closing = input
        .opening_balance
        .get()
        .checked_add(total_charge.get())
        .and_then(|v| v.checked_sub(input.payments.get()))
        .ok_or(BillError::TooLarge)?;
    let closing_balance = Kopecks::new(closing);
    let amount_due = closing_balance.max(Kopecks::ZERO);
    let purpose = format!("Оплата электроэнергии за {}, л/с {}", input.period.mm_yyyy(), input.account);
    let qr_payload = qr_payload(&input.payee, &input.account, amount_due, &purpose)?;
    Ok(Bill {
        period: input.period,
        account: input.account.clone(),
        address: input.address.clone(),
        tariff: input.tariff.clone(),
        rate,
        meter: kind,
        digits,
        lines,
        opening_balance: input.opening_balance,
        total_charge,
        payments: input.payments,
        closing_balance,
        amount_due,
        due_date: input.period.next().day(DUE_DAY),
        payee: input.payee.clone(),
        qr_payload,
    })
}

/// What the period's consumption is based on. Metered rows: (zone, previous, current, kWh).
enum Usage {
    Norm,
    Metered { basis: Basis, rate: RateType, rows: Vec<(Zone, Option<u64>, Option<u64>, u64)> },
}

fn consumption(
    input: &BillInput,
    kind: MeterKind,
    digits: Option<u8>,
    previous: Option<Registers>,
) -> Result<Usage, BillError> {
    let (Some(digits), Some(previous)) = (digits, previous) else {
        return match input.readings {
            Some(_) => Err(BillError::ReadingsWithoutMeter),
            None => Ok(Usage::Norm),
        };
    };
    let rate = previous.rate();
    let zones = rate.zones();
    if let Some(current) = input.readings {
        if current.rate() != rate {
            return Err(BillError::ReadingsDoNotFitMeter { meter: kind, given: current.rate() });
        }
        let mut rows = Vec::new();
        for &zone in zones {
            let (prev, cur) = (previous.get(zone).unwrap_or(0), current.get(zone).unwrap_or(0));
            if cur >= 10u64.saturating_pow(u32::from(digits)) {
                return Err(BillError::ReadingTooLarge { zone, reading: cur, digits });
            }
            if cur < prev {
                return Err(BillError::ReadingBelowPrevious { zone, previous: prev, current: cur });
            }
            rows.push((zone, Some(prev), Some(cur), cur - prev));
        }
        return Ok(Usage::Metered { basis: Basis::Readings, rate, rows });
    }
    if input.months_without_readings >= 3 || input.history.is_empty() {
        return Ok(Usage::Norm);
    }
    if let Some((index, month)) = input.history.iter().enumerate().find(|(_, m)| m.rate() != rate) {
        return Err(BillError::HistoryDoesNotFitMeter { index, meter: kind, given: month.rate() });
    }
    let rows = zones
        .iter()
        .map(|&zone| {
            let months: Vec<u64> = input.history.iter().filter_map(|m| m.get(zone)).collect();
            (zone, previous.get(zone), None, usual_monthly(&months).unwrap_or(0))
        })
        .collect();
    Ok(Usage::Metered { basis: Basis::Estimated, rate, rows })
}

fn charge_segments(kwh: u64, prices: &[PriceSegment]) -> Result<Vec<ChargedSegment>, BillError> {
    let days: Vec<u32> = prices.iter().map(|p| p.days).collect();
    let parts = split_kwh(kwh, &days);
    prices
        .iter()
        .zip(parts)
        .map(|(p, kwh)| {
            let charge = i64::try_from(kwh)
                .ok()
                .and_then(|k| k.checked_mul(p.price.get()))
                .ok_or(BillError::TooLarge)?;
            Ok(ChargedSegment {
                first_day: p.first_day,
                last_day: p.last_day,
                days: p.days,
                kwh,
                price: p.price,
                charge: Kopecks::new(charge),
            })
        })
        .collect()
}

fn sum(mut amounts: impl Iterator<Item = Kopecks>) -> Result<Kopecks, BillError> {
    amounts.try_fold(Kopecks::ZERO, |acc, k| {
        acc.get().checked_add(k.get()).map(Kopecks::new).ok_or(BillError::TooLarge)
    })
}

/// Splits `kwh` over runs of `days` in proportion to their days, in whole kWh, by the largest
/// remainder: each run gets ⌊kwh × days / total⌋, and the kWh left over go one each to the
/// runs with the largest remainders, the later run first on a tie. The parts add up to `kwh`.
pub fn split_kwh(kwh: u64, days: &[u32]) -> Vec<u64> {
    let total: u128 = days.iter().map(|d| u128::from(*d)).sum();
    if total == 0 {
        return vec![0; days.len()];
    }
    let exact: Vec<u128> = days.iter().map(|d| u128::from(kwh) * u128::from(*d)).collect();
    // Each part is at most kwh, so it fits a u64.
    let mut parts: Vec<u64> = exact.iter().map(|e| u64::try_from(e / total).unwrap_or(kwh)).collect();
    let left = kwh - parts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..days.len()).collect();
    order.sort_by(|&a, &b| (exact[b] % total).cmp(&(exact[a] % total)).then(b.cmp(&a)));
    for &i in order.iter().take(usize::try_from(left).unwrap_or(usize::MAX)) {
        parts[i] += 1;
    }
    parts
}

#[cfg(test)]
#[path = "bill_tests.rs"]
mod tests;

//! Effective-dated tariffs: the price of a kWh for a tariff code, rate type and zone on any
//! date, the zone hours, and the consumption norm. They come from `config/tariffs.toml`
//! (format documented in that file), parsed and checked once at start-up by
//! [`Tariffs::parse`]; a file with a gap or an overlap in its dates is refused there, so a
//! bill never meets a day without exactly one price.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use super::Period;
use crate::Kopecks;

pub use super::tariff_file::TariffError;

/// The tariff file shipped with Svet (the reference company's values).
pub const EMBEDDED_TOML: &str = include_str!("../../../../config/tariffs.toml");

/// How a meter counts: one register, or separate day and night registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateType {
    Single,
    DayNight,
}

/// A time-of-day zone. `All` is the single-rate "zone": the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    All,
    Day,
    Night,
}

impl RateType {
    /// The zones a meter of this rate type has, in the order a bill lists them.
    pub fn zones(self) -> &'static [Zone] {
        match self {
            RateType::Single => &[Zone::All],
            RateType::DayNight => &[Zone::Day, Zone::Night],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RateType::Single => "single",
            RateType::DayNight => "day_night",
        }
    }

    /// «одноставочный», «двухзонный (день/ночь)».
    pub fn label_ru(self) -> &'static str {
        match self {
            RateType::Single => "одноставочный",
            RateType::DayNight => "дифференцированный по двум зонам суток (день/ночь)",
        }
    }
}

impl Zone {
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::All => "all",
            Zone::Day => "day",
            Zone::Night => "night",
        }
    }

    /// «круглосуточно», «день», «ночь»: the zone's name in a bill's table.
    pub fn label_ru(self) -> &'static str {
        match self {
            Zone::All => "круглосуточно",
            Zone::Day => "день",
            Zone::Night => "ночь",
        }
    }

    /// The readings field's label (B5): «Текущие показания счетчика (день)».
    pub fn field_label_ru(self) -> &'static str {
        match self {
            Zone::All => "Текущие показания счетчика",
            Zone::Day => "Текущие показания счетчика (день)",
            Zone::Night => "Текущие показания счетчика (ночь)",
        }
    }
}

impl fmt::Display for RateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the day and night zones start, in local time. Each zone runs until the other starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneHours {
    pub day_starts: Time,
    pub night_starts: Time,
}

impl ZoneHours {
    /// The two-zone zone a local time of day falls in.
    pub fn zone_at(&self, time: Time) -> Zone {
        let in_day = if self.day_starts < self.night_starts {
            time >= self.day_starts && time < self.night_starts
        } else {
            time >= self.day_starts || time < self.night_starts
        };
        if in_day { Zone::Day } else { Zone::Night }
    }

    /// The zone's hours for the page and the bill: «07:00–23:00»; «00:00–24:00» for `All`.
    pub fn hours_ru(&self, zone: Zone) -> String {
        let hm = |t: Time| format!("{:02}:{:02}", t.hour(), t.minute());
        match zone {
            Zone::All => "00:00–24:00".to_owned(),
            Zone::Day => format!("{}–{}", hm(self.day_starts), hm(self.night_starts)),
            Zone::Night => format!("{}–{}", hm(self.night_starts), hm(self.day_starts)),
        }
    }
}

/// One line of the tariff file: a price valid on `valid_from <= date < valid_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceEntry {
    pub tariff: String,
    pub rate: RateType,
    pub zone: Zone,
    /// Kopecks per kWh.
    pub price: Kopecks,
    pub valid_from: Date,
    /// Exclusive; `None` is open-ended.
    pub valid_to: Option<Date>,
}

impl PriceEntry {
    pub fn applies_on(&self, date: Date) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date < to)
    }
}

/// Consecutive days of a period with one price. Days are inclusive on both ends, as a bill
/// prints them («с 01.07.2025 по 15.07.2025»).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceSegment {
    pub first_day: Date,
    pub last_day: Date,
    pub days: u32,
    /// Kopecks per kWh.
    pub price: Kopecks,
}

/// A day of a period that no entry of the tariff file prices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no {rate}/{zone} price for tariff {tariff:?} on {date}")]
pub struct MissingPrice {
    pub tariff: String,
    pub rate: RateType,
    pub zone: Zone,
    pub date: Date,
}

/// The checked tariff file. Build it with [`Tariffs::parse`], [`Tariffs::embedded`] or
/// [`Tariffs::from_env`].
#[derive(Debug, Clone)]
pub struct Tariffs {
    pub(super) zones: ZoneHours,
    pub(super) norms: BTreeMap<String, u64>,
    /// Per (tariff, rate, zone), the entries in date order, without gaps or overlaps.
    pub(super) prices: BTreeMap<(String, RateType, Zone), Vec<PriceEntry>>,
}

impl Tariffs {
    /// The tariff file Svet embeds (`config/tariffs.toml`).
    pub fn embedded() -> Result<Self, TariffError> {
        Tariffs::parse(EMBEDDED_TOML)
    }

    /// The file named by `SVET_TARIFFS`, or the embedded one.
    pub fn from_env() -> Result<Self, TariffError> {
        match std::env::var("SVET_TARIFFS") {
            Ok(path) if !path.is_empty() => {
                let text =
                    std::fs::read_to_string(&path).map_err(|source| TariffError::Read { path, source })?;
                Tariffs::parse(&text)
            }
            _ => Tariffs::embedded(),
        }
    }

    pub fn zones(&self) -> &ZoneHours {
        &self.zones
    }

    /// The tariff codes the file prices, in alphabetical order.
    pub fn codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.prices.keys().map(|(code, _, _)| code.as_str()).collect();
        codes.dedup();
        codes
    }

    /// The monthly norm in kWh for a tariff code.
    pub fn norm_kwh(&self, tariff: &str) -> Option<u64> {
        self.norms.get(tariff).copied()
    }

    /// Every price entry, grouped by tariff, rate and zone, each group in date order.
    pub fn entries(&self) -> impl Iterator<Item = &PriceEntry> {
        self.prices.values().flatten()
    }

    /// The price per kWh on a date, if the file has one.
    pub fn price_on(&self, tariff: &str, rate: RateType, zone: Zone, date: Date) -> Option<Kopecks> {
        let entries = self.prices.get(&(tariff.to_owned(), rate, zone))?;
        entries.iter().find(|e| e.applies_on(date)).map(|e| e.price)
    }

    /// The period cut into runs of days with one price, in date order: one segment when the
    /// price holds all month, more when it changes inside it. Adjacent entries with the same
    /// price make one segment. The segments' days add up to the period's days.
    pub fn segments(
        &self,
        tariff: &str,
        rate: RateType,
        zone: Zone,
        period: Period,
    ) -> Result<Vec<PriceSegment>, MissingPrice> {
        let mut segments: Vec<PriceSegment> = Vec::new();
        for day in 1..=period.days() {
            let date = period.day(u8::try_from(day).unwrap_or(u8::MAX));
            let price = self.price_on(tariff, rate, zone, date).ok_or_else(|| MissingPrice {
                tariff: tariff.to_owned(),
                rate,
                zone,
                date,
            })?;
            match segments.last_mut() {
                Some(last) if last.price == price => {
                    last.last_day = date;
                    last.days += 1;
                }
                _ => segments.push(PriceSegment { first_day: date, last_day: date, days: 1, price }),
            }
        }
        Ok(segments)
    }
}

#[cfg(test)]
#[path = "tariffs_tests.rs"]
mod tests;

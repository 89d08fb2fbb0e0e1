//! Reading `config/tariffs.toml` into [`Tariffs`] and refusing a file that could price a day
//! twice or not at all. The format is documented in the file itself.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Time};
use serde::Deserialize;

use super::tariffs::{PriceEntry, RateType, Tariffs, Zone, ZoneHours};
use crate::{Config, Kopecks};

/// The highest price accepted, in kopecks per kWh (1 000 ₽). Anything above is a typo, and
/// the cap keeps every charge far from overflowing.
pub const MAX_PRICE: i64 = 100_000;

/// The highest monthly norm accepted, in kWh.
pub const MAX_NORM: i64 = 100_000;

/// Why a tariff file was refused. The messages are for the operator who edits the file: each
/// names the entry (1-based, in file order), the tariff, rate and zone, and the dates.
#[derive(Debug, thiserror::Error)]
pub enum TariffError {
    #[error("cannot read the tariff file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the tariff file is not valid TOML, or has an unknown key or value: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("[zones]: {0}")]
    Zones(String),
    #[error("[norms] {tariff}: {problem}")]
    Norm { tariff: String, problem: String },
    #[error("[[prices]] entry {entry} ({key}): the price {price} must be between 1 and {MAX_PRICE} kopecks")]
    Price { entry: usize, key: String, price: i64 },
    #[error(
        "[[prices]] entry {entry} ({key}): zone {zone} does not go with rate {rate} (single: all; day_night: day or night)"
    )]
    ZoneForRate { entry: usize, key: String, rate: RateType, zone: Zone },
    #[error("[[prices]] entry {entry} ({key}): valid_to {to} must be after valid_from {from}")]
    Dates { entry: usize, key: String, from: Date, to: Date },
    #[error("[[prices]] entry {entry} ({key}): {problem}")]
    Entry { entry: usize, key: String, problem: String },
    #[error(
        "prices for {key} have a gap: no price from {from} until {to} (an entry ends on {from}, the next starts on {to})"
    )]
    Gap { key: String, from: Date, to: Date },
    #[error("prices for {key} overlap from {from} {}", until(.to))]
    Overlap { key: String, from: Date, to: Option<Date> },
    #[error("tariff {tariff:?}: {problem}")]
    Tariff { tariff: String, problem: String },
}

fn until(to: &Option<Date>) -> String {
    match to {
        Some(to) => format!("until {to} (two entries price the same days)"),
        None => "on (an entry without valid_to is followed by another)".to_owned(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    zones: RawZones,
    norms: BTreeMap<String, i64>,
    prices: Vec<RawPrice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZones {
    day_starts: String,
    night_starts: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    tariff: String,
    rate: RateType,
    zone: Zone,
    kopecks_per_kwh: i64,
    valid_from: toml::value::Datetime,
    valid_to: Option<toml::value::Datetime>,
}

fn key_text(tariff: &str, rate: RateType, zone: Zone) -> String {
    format!("{tariff} {rate}/{zone}")
}

impl Tariffs {
    /// Parses and checks a tariff file; see `config/tariffs.toml` for the format and rules.
    pub fn parse(text: &str) -> Result<Self, TariffError> {
        let raw: RawFile = toml::from_str(text)?;
        let zones = parse_zones(&raw.zones)?;
        let mut prices: BTreeMap<(String, RateType, Zone), Vec<PriceEntry>> = BTreeMap::new();
        for (i, p) in raw.prices.into_iter().enumerate() {
            let entry = parse_entry(i + 1, p)?;
            prices.entry((entry.tariff.clone(), entry.rate, entry.zone)).or_default().push(entry);
        }
        for ((tariff, rate, zone), entries) in &mut prices {
            entries.sort_by_key(|e| e.valid_from);
            check_chain(&key_text(tariff, *rate, *zone), entries)?;
        }
        let mut norms = BTreeMap::new();
        for (tariff, kwh) in raw.norms {
            if !(1..=MAX_NORM).contains(&kwh) {
                let problem = format!("the norm {kwh} kWh must be between 1 and {MAX_NORM}");
                return Err(TariffError::Norm { tariff, problem });
            }
            norms.insert(tariff, kwh.unsigned_abs());
        }
        let tariffs = Tariffs { zones, norms, prices };
        tariffs.check_tariffs()?;
        Ok(tariffs)
    }

    /// Checks the file against the retailer's tariff codes: each configured code is priced,
    /// and the file prices no code the configuration does not know (a typo would otherwise
    /// leave customers without a price). Call it at start-up after both are loaded.
    pub fn check_codes(&self, config: &Config) -> Result<(), TariffError> {
        let codes = self.codes();
        for tariff in &config.tariffs {
            if !codes.contains(&tariff.code.as_str()) {
                let problem = "is configured in retailer.toml but has no prices".to_owned();
                return Err(TariffError::Tariff { tariff: tariff.code.clone(), problem });
            }
        }
        if let Some(unknown) = codes.iter().find(|c| config.tariff(c).is_none()) {
            let problem = "has prices but is not a tariff code of retailer.toml".to_owned();
            return Err(TariffError::Tariff { tariff: (*unknown).to_owned(), problem });
        }
        Ok(())
    }

    /// Per tariff: single-rate prices and a norm exist (the norm is billed at the single-rate
    /// price), and day and night prices come together over the same dates.
    fn check_tariffs(&self) -> Result<(), TariffError> {
        let bad = |tariff: &str, problem: String| TariffError::Tariff { tariff: tariff.to_owned(), problem };
        for tariff in self.codes() {
            let chain = |rate, zone| self.prices.get(&(tariff.to_owned(), rate, zone));
            if chain(RateType::Single, Zone::All).is_none() {
                return Err(bad(tariff, "has no single/all prices (needed for billing by the norm)".into()));
            }
            if !self.norms.contains_key(tariff) {
                return Err(bad(tariff, "has prices but no norm in [norms]".into()));
            }
            match (chain(RateType::DayNight, Zone::Day), chain(RateType::DayNight, Zone::Night)) {
                (None, None) => {}
                (Some(day), Some(night)) if span(day) != span(night) => {
                    let show = |(from, to): (Date, Option<Date>)| match to {
                        Some(to) => format!("{from}..{to}"),
                        None => format!("{from}.."),
                    };
                    let problem = format!(
                        "day prices cover {} but night prices cover {}; both zones need prices for the same dates",
                        show(span(day)),
                        show(span(night))
                    );
                    return Err(bad(tariff, problem));
                }
                (Some(_), Some(_)) => {}
                (Some(_), None) => {
                    return Err(bad(tariff, "has day_night/day prices but no night ones".into()));
                }
                (None, Some(_)) => {
                    return Err(bad(tariff, "has day_night/night prices but no day ones".into()));
                }
            }
        }
        if let Some(tariff) = self.norms.keys().find(|t| !self.codes().contains(&t.as_str())) {
            let problem = "has a norm but no prices".to_owned();
            return Err(TariffError::Norm { tariff: tariff.clone(), problem });
        }
        Ok(())
    }
}

/// The first day a gapless chain prices, and its exclusive end.
fn span(entries: &[PriceEntry]) -> (Date, Option<Date>) {
    let first = entries.first().map(|e| e.valid_from).unwrap_or_default();
    (first, entries.last().and_then(|e| e.valid_to))
}

fn parse_zones(raw: &RawZones) -> Result<ZoneHours, TariffError> {
    let day_starts = parse_hh_mm("day_starts", &raw.day_starts)?;
    let night_starts = parse_hh_mm("night_starts", &raw.night_starts)?;
    if day_starts == night_starts {
        return Err(TariffError::Zones("day_starts and night_starts are the same time".into()));
    }
    Ok(ZoneHours { day_starts, night_starts })
}

fn parse_hh_mm(name: &str, text: &str) -> Result<Time, TariffError> {
    let bad = || TariffError::Zones(format!("{name} = {text:?}; expected a time \"HH:MM\", e.g. \"07:00\""));
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b':' || !b.iter().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit()) {
        return Err(bad());
    }
    let hour: i8 = text[..2].parse().map_err(|_| bad())?;
    let minute: i8 = text[3..].parse().map_err(|_| bad())?;
    Time::new(hour, minute, 0, 0).map_err(|_| bad())
}

fn parse_entry(entry: usize, raw: RawPrice) -> Result<PriceEntry, TariffError> {
    let key = key_text(&raw.tariff, raw.rate, raw.zone);
    let valid_tariff = !raw.tariff.is_empty()
        && raw.tariff.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_tariff {
        let problem = format!("tariff {:?} must be lowercase letters, digits and underscores", raw.tariff);
        return Err(TariffError::Entry { entry, key, problem });
    }
    let fits = matches!(
        (raw.rate, raw.zone),
        (RateType::Single, Zone::All) | (RateType::DayNight, Zone::Day | Zone::Night)
    );
    if !fits {
        return Err(TariffError::ZoneForRate { entry, key, rate: raw.rate, zone: raw.zone });
    }
    if !(1..=MAX_PRICE).contains(&raw.kopecks_per_kwh) {
        return Err(TariffError::Price { entry, key, price: raw.kopecks_per_kwh });
    }
    let valid_from = plain_date(&raw.valid_from).map_err(|problem| TariffError::Entry {
        entry,
        key: key.clone(),
        problem: format!("valid_from {problem}"),
    })?;
    let valid_to = match &raw.valid_to {
        None => None,
        Some(to) => Some(plain_date(to).map_err(|problem| TariffError::Entry {
            entry,
            key: key.clone(),
            problem: format!("valid_to {problem}"),
        })?),
    };
    if let Some(to) = valid_to
        && to <= valid_from
    {
        return Err(TariffError::Dates { entry, key, from: valid_from, to });
    }
    Ok(PriceEntry {
        tariff: raw.tariff,
        rate: raw.rate,
        zone: raw.zone,
        price: Kopecks::new(raw.kopecks_per_kwh),
        valid_from,
        valid_to,
    })
}

/// A TOML date without a time or offset (`2025-07-01`).
fn plain_date(value: &toml::value::Datetime) -> Result<Date, String> {
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => {
            let year = i16::try_from(d.year).map_err(|_| format!("{value}: year out of range"))?;
            let (month, day) = (d.month.cast_signed(), d.day.cast_signed());
            Date::new(year, month, day).map_err(|e| format!("{value}: {e}"))
        }
        _ => Err(format!("{value} must be a plain date such as 2025-07-01, without a time")),
    }
}

/// Consecutive entries (sorted by `valid_from`) must meet exactly: each `valid_to` is the next
/// `valid_from`, and only the last may be open-ended.
fn check_chain(key: &str, entries: &[PriceEntry]) -> Result<(), TariffError> {
    for pair in entries.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        match a.valid_to {
            None => {
                return Err(TariffError::Overlap { key: key.to_owned(), from: b.valid_from, to: b.valid_to });
            }
            Some(end) if end < b.valid_from => {
                return Err(TariffError::Gap { key: key.to_owned(), from: end, to: b.valid_from });
            }
            Some(end) if end > b.valid_from => {
                let to = Some(b.valid_to.map_or(end, |b_end| b_end.min(end)));
                return Err(TariffError::Overlap { key: key.to_owned(), from: b.valid_from, to });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

impl fmt::Display for PriceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} per kWh from {}",
            key_text(&self.tariff, self.rate, self.zone),
            self.price,
            self.valid_from
        )?;
        match self.valid_to {
            Some(to) => write!(f, " until {to}"),
            None => Ok(()),
        }
    }
}

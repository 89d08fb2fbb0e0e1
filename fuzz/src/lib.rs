//! What the fuzz targets share: a one-poll executor, a store that only records, and the
//! invariants a registry entry must hold whichever way it was parsed.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use svet_domain::registry::{COLUMNS, Header, RegistryEntry, parse_row, split_fields};
use svet_domain::store::{Item, Key, Page, Query, Scan, Store, StoreError, Write};
use svet_domain::{AccountNumber, Config, Kopecks, Meter};

/// The retailer configuration shipped with Svet (tariff codes `urban` and `rural`).
pub fn config() -> Config {
    Config::parse(svet_domain::config::DEFAULT_TOML).expect("the shipped configuration parses")
}

/// Runs a future that never waits (everything it awaits is [`RecordingStore`]).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited, but nothing here can wake it"),
    }
}

/// An empty store that keeps what is written to it.
#[derive(Default)]
pub struct RecordingStore {
    pub written: Mutex<Vec<Item>>,
}

#[async_trait]
impl Store for RecordingStore {
    async fn get(&self, _: &Key) -> Result<Option<Item>, StoreError> {
        Ok(None)
    }
    async fn get_many(&self, _: &[Key]) -> Result<Vec<Item>, StoreError> {
        Ok(Vec::new())
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut written = self.written.lock().expect("not poisoned");
        for write in writes {
            if let Write::Put { item, .. } = write {
                written.push(item);
            }
        }
        Ok(())
    }
    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        self.written.lock().expect("not poisoned").extend(items);
        Ok(())
    }
    async fn query(&self, _: &Query) -> Result<Page, StoreError> {
        Ok(Page { items: Vec::new(), next: None })
    }
    async fn scan(&self, _: &Scan) -> Result<Page, StoreError> {
        Ok(Page { items: Vec::new(), next: None })
    }
}

/// The largest amount Svet accepts anywhere, in kopecks (one billion rubles).
pub const MAX_KOPECKS: i64 = 100_000_000_000;

/// The longest registry address kept, in characters (`registry::row::MAX_ADDRESS`).
pub const MAX_ADDRESS: usize = 300;

/// Every field of a parsed registry entry holds its type's promise.
pub fn check_entry(entry: &RegistryEntry, config: &Config) {
    let account = entry.account.as_str();
    assert_eq!(AccountNumber::parse(account).as_ref(), Ok(&entry.account), "{account:?}");

    let address = &entry.address;
    assert!(!address.is_empty(), "an empty address");
    assert!(address.chars().count() <= MAX_ADDRESS, "{address:?} is too long");
    assert!(!address.chars().any(char::is_control), "{address:?} has a control character");
    assert_eq!(&address.split_whitespace().collect::<Vec<_>>().join(" "), address, "untidy whitespace");

    match entry.meter {
        Meter::None => {}
        Meter::Single { digits, reading } => {
            assert_eq!(Meter::single(digits, reading), Ok(entry.meter.clone()));
        }
        Meter::DayNight { digits, day, night } => {
            assert_eq!(Meter::day_night(digits, day, night), Ok(entry.meter.clone()));
        }
    }
    assert!(config.tariff(&entry.tariff).is_some(), "unknown tariff {:?}", entry.tariff);

    let balance = entry.balance;
    assert!(balance.get().abs() <= MAX_KOPECKS, "{balance:?} is above the largest amount");
    assert_eq!(Kopecks::parse_rubles(&balance.format_rubles()), Ok(balance));

    let json = serde_json::to_string(entry).expect("an entry serialises");
    let back: RegistryEntry = serde_json::from_str(&json).expect("an entry deserialises");
    assert_eq!(&back, entry);
}

/// The entry written back as a registry line in the order of [`COLUMNS`] (the address quoted).
pub fn registry_line(entry: &RegistryEntry) -> String {
    let (kind, digits, reading, night) = match entry.meter {
        Meter::None => ("none", String::new(), String::new(), String::new()),
        Meter::Single { digits, reading } => {
            ("single", digits.to_string(), reading.to_string(), String::new())
        }
        Meter::DayNight { digits, day, night } => {
            ("day_night", digits.to_string(), day.to_string(), night.to_string())
        }
    };
    let address = format!("\"{}\"", entry.address.replace('"', "\"\""));
    [
        entry.account.to_string(),
        address,
        kind.to_owned(),
        digits,
        reading,
        night,
        entry.tariff.clone(),
        entry.balance.format_rubles(),
    ]
    .join(";")
}

/// The standard header: every column in the order of [`COLUMNS`].
pub fn standard_header() -> Header {
    Header::parse(&COLUMNS.map(String::from)).expect("the standard header parses")
}

/// A parsed entry, written back as a line and parsed again, is the same entry.
pub fn check_round_trip(entry: &RegistryEntry, config: &Config) {
    let line = registry_line(entry);
    let fields = split_fields(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let again = parse_row(&standard_header(), &fields, config).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(&again, entry, "{line:?}");
}

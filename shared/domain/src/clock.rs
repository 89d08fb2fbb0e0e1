//! Time and identifiers are ports too, so that tests can fix them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;

/// The current time. Stored times are UTC; pages show them in the company's time zone.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// New unique identifiers (payments, imports, tokens' ids).
pub trait IdGen: Send + Sync {
    fn new_id(&self) -> String;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn at(time: Timestamp) -> Self {
        FixedClock(Mutex::new(time))
    }

    pub fn set(&self, time: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = time;
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.checked_add(by).expect("test clock overflow");
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 128 random bits from the operating system, as 32 lowercase hex digits.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGen for RandomIds {
    fn new_id(&self) -> String {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system has no random source");
        hex::encode(bytes)
    }
}

/// `id-1`, `id-2`, … for tests that assert on identifiers.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGen for SequentialIds {
    fn new_id(&self) -> String {
        format!("id-{}", self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

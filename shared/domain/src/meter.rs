//! The meter installed at the supplied premises, as the retailer's registry describes it.

use serde::{Deserialize, Serialize};

/// Smallest and largest digit capacity (разрядность) of a household meter.
pub const MIN_DIGITS: u8 = 4;
pub const MAX_DIGITS: u8 = 9;

/// The installed meter and its last accepted readings in whole kWh. A reading always fits the
/// meter's digit capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Meter {
    /// No meter: the premises are billed by the norm and the page has no readings field.
    None,
    /// A single-rate meter.
    Single { digits: u8, reading: u64 },
    /// A two-zone meter: day (07–23) and night (23–07) registers.
    DayNight { digits: u8, day: u64, night: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeterError {
    #[error("digit capacity {0} is outside {MIN_DIGITS}..={MAX_DIGITS}")]
    Digits(u8),
    #[error("reading {reading} does not fit a {digits}-digit meter")]
    TooLarge { reading: u64, digits: u8 },
}

impl Meter {
    pub fn single(digits: u8, reading: u64) -> Result<Self, MeterError> {
        check(digits, reading)?;
        Ok(Meter::Single { digits, reading })
    }

    pub fn day_night(digits: u8, day: u64, night: u64) -> Result<Self, MeterError> {
        check(digits, day)?;
        check(digits, night)?;
        Ok(Meter::DayNight { digits, day, night })
    }

    /// The meter's digit capacity, `None` without a meter.
    pub fn digits(&self) -> Option<u8> {
        match self {
            Meter::None => None,
            Meter::Single { digits, .. } | Meter::DayNight { digits, .. } => Some(*digits),
        }
    }
}

fn check(digits: u8, reading: u64) -> Result<(), MeterError> {
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        return Err(MeterError::Digits(digits));
    }
    if reading >= 10u64.pow(u32::from(digits)) {
        return Err(MeterError::TooLarge { reading, digits });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_must_fit_the_digit_capacity() {
        assert!(Meter::single(5, 99_999).is_ok());
        assert_eq!(Meter::single(5, 100_000), Err(MeterError::TooLarge { reading: 100_000, digits: 5 }));
        assert_eq!(Meter::day_night(3, 1, 1), Err(MeterError::Digits(3)));
        assert_eq!(Meter::day_night(6, 1, 2).unwrap().digits(), Some(6));
        assert_eq!(Meter::None.digits(), None);
    }
}

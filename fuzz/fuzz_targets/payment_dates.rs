//! The «Платежи» list's dates from the query (`payments::date_range`): `from`, a newline, and
//! `to` (no newline: `from` only). Today is fixed; the time zone is the shipped one.

#![no_main]

use jiff::ToSpan;
use jiff::civil::date;
use libfuzzer_sys::fuzz_target;
use svet_domain::billing::{MAX_YEAR, MIN_YEAR};
use svet_domain::payments::{DateRangeError, date_range};

fuzz_target!(|text: &str| {
    let (from, to) = match text.split_once('\n') {
        Some((from, to)) => (Some(from), Some(to)),
        None => (Some(text), None),
    };
    let tz = svet_fuzz::config().time_zone();
    let today = date(2026, 11, 25);
    match date_range(from, to, today, &tz) {
        Ok(range) => {
            assert!(range.from <= range.to);
            assert!((MIN_YEAR..=MAX_YEAR).contains(&range.to.year()));
            assert!(range.start < range.end);
            // The range is whole days in the company's time zone.
            assert_eq!(range.start.to_zoned(tz.clone()).date(), range.from);
            assert_eq!(range.end.to_zoned(tz.clone()).date(), range.to);
            let after = range.end.checked_add(1.second()).expect("a later instant").to_zoned(tz.clone());
            assert_eq!(after.date(), range.to.tomorrow().expect("a next day"));
            if to.is_none_or(str::is_empty) {
                assert_eq!(range.to, today);
            }
            if from.is_none_or(str::is_empty) {
                assert_eq!(range.from, range.to.checked_sub(3.months()).expect("three months before"));
            }
        }
        Err(error) => {
            assert!(matches!(error.field(), "from" | "to"));
            assert!(!error.message_ru().is_empty());
            if error == DateRangeError::Reversed {
                assert!(from.is_some_and(|f| !f.is_empty()));
            }
        }
    }
});

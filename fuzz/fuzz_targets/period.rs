//! The billing period `YYYY-MM` (`Period::parse`): the bill run's `{"period": …}` event and
//! `svet generate-bills --period`, and every key and JSON value that stores a period.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use svet_domain::billing::{MAX_YEAR, MIN_YEAR, Period};

fuzz_target!(|text: &str| {
    let Ok(period) = Period::parse(text) else {
        assert!(Period::from_str(text).is_err());
        return;
    };
    // Exactly the text it came from.
    assert_eq!(period.to_string(), text);
    assert_eq!(Period::from_str(text), Ok(period));
    let json = serde_json::to_string(&period).expect("serialises");
    assert_eq!(serde_json::from_str::<Period>(&json).ok(), Some(period));
    assert!((MIN_YEAR..=MAX_YEAR).contains(&period.year()) && (1..=12).contains(&period.month()));

    let (first, last) = (period.first_day(), period.last_day());
    assert!(first <= last && period.contains(first) && period.contains(last));
    assert_eq!(period.days(), u32::try_from(last.day()).expect("a day"));
    assert!((28..=31).contains(&period.days()));
    assert_eq!(period.day(0), first);
    assert_eq!(period.day(255), last);
    assert_eq!(Period::of(first), period);
    // The day after the period is a valid date (the exclusive end of its range).
    assert!(last.tomorrow().is_ok());
    if (period.year(), period.month()) != (MAX_YEAR, 12) {
        assert_eq!(period.next().prev(), period);
        assert!(period.next() > period);
    }
    if (period.year(), period.month()) != (MIN_YEAR, 1) {
        assert_eq!(period.prev().next(), period);
    }
    assert!(!period.name_ru().is_empty());
    assert_eq!(period.mm_yyyy(), format!("{}.{}", &text[5..], &text[..4]));
});

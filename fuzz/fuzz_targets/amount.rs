//! Amounts in rubles as people and billing systems write them (`Kopecks::parse_rubles`): the
//! payment form, registry balances, the refund command.

#![no_main]

use libfuzzer_sys::fuzz_target;
use svet_domain::Kopecks;
use svet_fuzz::MAX_KOPECKS;

fuzz_target!(|text: &str| {
    let Ok(amount) = Kopecks::parse_rubles(text) else {
        return;
    };
    assert!(amount.get().abs() <= MAX_KOPECKS, "{text:?} gives {amount:?}, above one billion rubles");
    // Formatted as on a bill, it reads back as the same amount.
    let formatted = amount.format_rubles();
    assert_eq!(Kopecks::parse_rubles(&formatted), Ok(amount), "{text:?} → {formatted:?}");
    assert_eq!(amount.to_string(), format!("{formatted}\u{a0}₽"));
    // At most two decimals, so at most the digits typed.
    let typed_digits: String = text.chars().filter(char::is_ascii_digit).collect();
    assert!(typed_digits.chars().any(|c| c != '0') || amount == Kopecks::ZERO, "{text:?}");
    // A minus in front negates it.
    if !text.starts_with(|c: char| c.is_whitespace() || matches!(c, '-' | '−' | '+')) {
        assert_eq!(Kopecks::parse_rubles(&format!("-{text}")), Ok(Kopecks::new(-amount.get())), "{text:?}");
    }
});

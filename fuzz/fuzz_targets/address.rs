//! The address typed at registration against the registry's (`normalize_address`,
//! `compare_addresses`). The input is the registry's address, a newline, and the typed one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use svet_domain::identity::input::{AddressMatch, compare_addresses, normalize_address};

fn check_normal_form(text: &str) {
    let once = normalize_address(text);
    // Idempotent: normalising twice is normalising once.
    assert_eq!(normalize_address(&once), once, "{text:?}");
    assert_eq!(once.trim(), once);
    assert!(!once.contains("  "), "{once:?}");
    assert!(!once.contains('ё'), "{once:?}");
    assert_eq!(once.chars().flat_map(char::to_lowercase).collect::<String>(), once, "not lowercase");
    // An address is always the same as itself, however it is written.
    assert_eq!(compare_addresses(text, text), AddressMatch::Same, "{text:?}");
    assert_eq!(compare_addresses(&once, &once), AddressMatch::Same, "{once:?}");
}

fuzz_target!(|text: &str| {
    let (registry, typed) = text.split_once('\n').unwrap_or((text, text));
    check_normal_form(registry);
    check_normal_form(typed);
    let verdict = compare_addresses(registry, typed);
    if normalize_address(registry) == normalize_address(typed) {
        assert_eq!(verdict, AddressMatch::Same, "{registry:?} vs {typed:?}");
    }
    match &verdict {
        AddressMatch::Same => assert_eq!(verdict.message_ru(), None),
        AddressMatch::Differs(parts) => {
            assert!(!parts.is_empty(), "differs in nothing");
            assert!(parts.windows(2).all(|w| w[0] < w[1]), "{parts:?} not sorted or repeated");
            assert!(verdict.message_ru().is_some());
        }
    }
    let _ = verdict.to_string();
});

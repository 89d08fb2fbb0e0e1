//! The e-mail address typed at registration, in the settings and for a receipt (`parse_email`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use svet_domain::identity::input::{Email, MAX_EMAIL, MAX_LOCAL, parse_email};

fuzz_target!(|text: &str| {
    let parsed = parse_email(text);
    // Spaces and invisible characters around it change nothing.
    assert_eq!(parse_email(&format!(" \u{200b}\u{a0}{text}\t\u{feff}")), parsed, "{text:?}");
    match parsed {
        Ok(email) => {
            let (local, domain) = (email.local(), email.domain());
            assert_eq!(email.as_str(), format!("{local}@{domain}"));
            assert!(!local.is_empty() && local.len() <= MAX_LOCAL && local.is_ascii(), "{local:?}");
            assert!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            assert!(!domain.contains('@') && !local.contains('@'));
            assert_eq!(domain.to_lowercase(), domain, "the domain is lowercased");
            assert!(domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty()), "{domain:?}");
            assert!(email.as_str().chars().count() <= MAX_EMAIL, "{email}");
            assert!(!email.as_str().chars().any(|c| c.is_whitespace() || c.is_control()), "{email:?}");
            // Reading it again gives the same address.
            assert_eq!(parse_email(email.as_str()).as_ref(), Ok(&email));
            let json = serde_json::to_string(&email).expect("serialises");
            assert_eq!(serde_json::from_str::<Email>(&json).as_ref().ok(), Some(&email));
        }
        Err(error) => {
            assert!(!error.message_ru().is_empty());
            assert!(!error.to_string().is_empty());
        }
    }
});

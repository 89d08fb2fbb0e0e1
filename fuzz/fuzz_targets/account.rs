//! The account number: the stored form (`AccountNumber::parse`, registry rows, JSON) and the
//! registration form's forgiving reading (`parse_typed_account`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use svet_domain::AccountNumber;
use svet_domain::account::{MAX_DIGITS, MIN_DIGITS};
use svet_domain::identity::input::{TypedAccountError, parse_typed_account};

fuzz_target!(|text: &str| {
    let all_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let length_ok = (MIN_DIGITS..=MAX_DIGITS).contains(&text.len());
    let stored = AccountNumber::parse(text);
    match &stored {
        Ok(account) => {
            assert!(all_digits && length_ok, "{text:?} accepted");
            assert_eq!(account.as_str(), text);
            assert_eq!(account.to_string(), text);
            // The compact key keeps the number and its length (leading zeros) apart.
            let compact = account.compact();
            assert_eq!(compact >> 59, text.len() as u64);
            assert_eq!(compact & ((1 << 59) - 1), text.parse::<u64>().expect("digits"));
            let masked = account.masked();
            assert_eq!(masked.len(), text.len());
            assert!(masked.ends_with(&text[text.len() - 4..]));
            assert!(masked[..text.len() - 4].bytes().all(|b| b == b'*'));
            let json = serde_json::to_string(account).expect("serialises");
            assert_eq!(serde_json::from_str::<AccountNumber>(&json).as_ref().ok(), Some(account));
        }
        Err(_) => assert!(!(all_digits && length_ok), "{text:?} refused"),
    }

    match parse_typed_account(text) {
        Ok(typed) => {
            // Every ASCII digit typed is kept, in order, and nothing else.
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(typed.account.as_str(), digits, "{text:?}");
            assert!((MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()));
            // Something was removed exactly when the input was not the digits alone.
            assert_eq!(typed.changes.is_empty(), text == digits, "{text:?}: {:?}", typed.changes);
            assert_eq!(typed.notice_ru().is_some(), !typed.changes.is_empty());
            for (i, change) in typed.changes.iter().enumerate() {
                assert!(!typed.changes[..i].contains(change), "{change} reported twice");
            }
            // Reading the result again changes nothing.
            let again = parse_typed_account(typed.account.as_str()).expect("the cleaned number is accepted");
            assert_eq!(again.account, typed.account);
            assert!(again.changes.is_empty());
            if let Ok(account) = &stored {
                assert_eq!(&typed.account, account);
            }
        }
        Err(error) => {
            // The forgiving reader accepts all the strict one does.
            assert!(stored.is_err(), "{text:?} is a stored account but the form refuses it: {error}");
            assert!(!error.message_ru().is_empty());
            let visible = text.chars().count();
            match error {
                TypedAccountError::LookAlike { found, position, .. }
                | TypedAccountError::Letter { found, position }
                | TypedAccountError::ForeignDigit { found, position }
                | TypedAccountError::Unexpected { found, position } => {
                    assert!(text.contains(found), "{found:?} is not in {text:?}");
                    assert!((1..=visible).contains(&position), "position {position} in {text:?}");
                }
                TypedAccountError::Empty => {
                    assert!(!text.chars().any(|c| c.is_ascii_digit()));
                }
                TypedAccountError::Length { digits } => {
                    assert_eq!(digits, text.chars().filter(char::is_ascii_digit).count());
                    assert!(!(MIN_DIGITS..=MAX_DIGITS).contains(&digits));
                }
            }
        }
    }
});

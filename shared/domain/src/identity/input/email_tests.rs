use super::*;
use proptest::prelude::*;

#[test]
fn accepts_ordinary_addresses_lowercasing_the_domain_only() {
    let cases = [
        ("ivanov@mail.ru", "ivanov@mail.ru"),
        ("  Sidor_Ivanov@List.RU \u{a0}", "Sidor_Ivanov@list.ru"),
        ("\u{200b}ivanov@mail.ru\u{feff}", "ivanov@mail.ru"),
        ("i.i.ivanov+svet@ksk.kaluga.ru", "i.i.ivanov+svet@ksk.kaluga.ru"),
        ("ivanov@почта.рф", "ivanov@почта.рф"),
        ("ivanov@ПОЧТА.РФ", "ivanov@почта.рф"),
        ("o'brien@my-mail.co.uk", "o'brien@my-mail.co.uk"),
        ("1960@xn--80a1acny.xn--p1ai", "1960@xn--80a1acny.xn--p1ai"),
    ];
    for (typed, stored) in cases {
        let email = parse_email(typed).unwrap_or_else(|e| panic!("{typed:?}: {e}"));
        assert_eq!(email.as_str(), stored, "{typed:?}");
    }
}

#[test]
fn splits_local_part_and_domain() {
    let email = parse_email("Ivanov@Mail.Ru").unwrap();
    assert_eq!((email.local(), email.domain()), ("Ivanov", "mail.ru"));
}

#[test]
fn names_the_problem() {
    let long_local = format!("{}@mail.ru", "a".repeat(65));
    let long_address = format!("{}@{}.ru", "a".repeat(60), "b".repeat(200));
    let long_label = format!("ivanov@{}.ru", "b".repeat(64));
    let cases = [
        ("", EmailError::Empty),
        (" \u{200b} ", EmailError::Empty),
        (long_address.as_str(), EmailError::TooLong { chars: 264 }),
        ("ivanov @mail.ru", EmailError::Space),
        ("ivanov@mail. ru", EmailError::Space),
        ("ivanov.mail.ru", EmailError::NoAt),
        ("ivanov@@mail.ru", EmailError::SeveralAt { count: 2 }),
        ("@mail.ru", EmailError::EmptyLocal),
        ("шмфтщм@mail.ru", EmailError::LocalChar { found: 'ш' }),
        ("iva,nov@mail.ru", EmailError::LocalChar { found: ',' }),
        (long_local.as_str(), EmailError::LocalTooLong { chars: 65 }),
        (".ivanov@mail.ru", EmailError::LocalDots),
        ("ivanov.@mail.ru", EmailError::LocalDots),
        ("i..ivanov@mail.ru", EmailError::LocalDots),
        ("ivanov@", EmailError::EmptyDomain),
        ("ivanov@mail,ru", EmailError::DomainChar { found: ',' }),
        ("ivanov@mail_ru.ru", EmailError::DomainChar { found: '_' }),
        ("ivanov@mail.ru.", EmailError::TrailingDot),
        ("ivanov@.mail.ru", EmailError::EmptyLabel),
        ("ivanov@mail..ru", EmailError::EmptyLabel),
        ("ivanov@mailru", EmailError::MissingDot { suggestion: Some("ivanov@mail.ru".to_owned()) }),
        ("ivanov@localhost", EmailError::MissingDot { suggestion: None }),
        ("ivanov@-mail.ru", EmailError::LabelHyphen),
        ("ivanov@mail-.ru", EmailError::LabelHyphen),
        (long_label.as_str(), EmailError::LabelTooLong),
        ("ivanov@192.168.0.1", EmailError::NumericEnding),
    ];
    for (typed, error) in cases {
        assert_eq!(parse_email(typed), Err(error), "{typed:?}");
    }
}

#[test]
fn speaks_russian_to_the_customer() {
    let cases = [
        (EmailError::NoAt, "В адресе нет знака @. Адрес выглядит так: ivanov@mail.ru."),
        (EmailError::EmptyDomain, "После @ должен быть домен, например mail.ru."),
        (EmailError::DomainChar { found: ',' }, "После @ вместо запятой нужна точка, например mail.ru."),
        (
            EmailError::LocalChar { found: 'ш' },
            "Перед знаком @ русские буквы не подходят (стоит «ш»). \
             Возможно, включена русская раскладка клавиатуры.",
        ),
        (
            EmailError::MissingDot { suggestion: Some("ivanov@mail.ru".to_owned()) },
            "В домене после @ не хватает точки. Возможно, вы имели в виду ivanov@mail.ru?",
        ),
        (EmailError::TrailingDot, "Уберите точку в конце адреса."),
    ];
    for (error, message) in cases {
        assert_eq!(error.message_ru(), message);
    }
}

#[test]
fn round_trips_through_serde_as_a_string() {
    let email = parse_email("Ivanov@Mail.ru").unwrap();
    let json = serde_json::to_string(&email).unwrap();
    assert_eq!(json, "\"Ivanov@mail.ru\"");
    assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), email);
    assert!(serde_json::from_str::<Email>("\"ivanov\"").is_err());
}

proptest! {
    #[test]
    fn parsing_a_parsed_address_changes_nothing(
        local in "[a-zA-Z0-9_+-]{1,20}(\\.[a-zA-Z0-9_-]{1,10})?",
        labels in prop::collection::vec("[a-zа-я0-9]([a-zа-я0-9-]{0,8}[a-zа-я0-9])?", 1..4),
        tld in "[a-zа-я]{2,6}",
    ) {
        let typed = format!(" {local}@{}.{tld}\u{200b}", labels.join("."));
        let email = parse_email(&typed).unwrap();
        prop_assert_eq!(parse_email(email.as_str()), Ok(email.clone()));
        prop_assert_eq!(email.local(), local.as_str());
    }
}

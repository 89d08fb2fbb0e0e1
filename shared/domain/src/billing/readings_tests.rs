use super::*;
use crate::config::DEFAULT_TOML;
use jiff::civil::date;
use proptest::prelude::*;

fn config() -> Config {
    Config::parse(DEFAULT_TOML).unwrap()
}

fn check(typed: &str, digits: u8, previous: Option<u64>) -> Result<CheckedReading, ReadingError> {
    check_reading(typed, digits, previous, None, &config())
}

#[test]
fn accepts_whole_kwh_with_or_without_leading_zeros() {
    let cases = [
        ("12345", 5, Some(12_000), 12_345, Some(345)),
        ("01234", 5, Some(1_000), 1_234, Some(234)),
        ("001234", 5, None, 1_234, None),
        ("  777\u{a0}", 6, Some(777), 777, Some(0)),
        ("\u{200b}99999\u{feff}", 5, Some(0), 99_999, Some(99_999)),
        ("0", 4, None, 0, None),
        ("00000", 5, Some(0), 0, Some(0)),
    ];
    for (typed, digits, previous, value, consumption) in cases {
        let reading = check(typed, digits, previous).unwrap_or_else(|e| panic!("{typed:?}: {e}"));
        assert_eq!((reading.value, reading.consumption), (value, consumption), "{typed:?}");
        assert!(!reading.needs_confirmation);
    }
}

#[test]
fn refuses_what_is_not_a_reading_with_a_message_that_says_what_to_do() {
    let cases: [(&str, ReadingError, &str); 12] = [
        ("", ReadingError::Empty, "Введите текущие показания счётчика."),
        (" \u{200b} ", ReadingError::Empty, "Введите текущие показания счётчика."),
        (
            "12,5",
            ReadingError::Fraction { whole: Some("12".into()) },
            "Показания передаются в целых киловатт-часах. Введите только цифры до запятой: 12.",
        ),
        (
            "01234.7",
            ReadingError::Fraction { whole: Some("01234".into()) },
            "Показания передаются в целых киловатт-часах. Введите только цифры до запятой: 01234.",
        ),
        (
            ",5",
            ReadingError::Fraction { whole: None },
            "Показания передаются в целых киловатт-часах. Введите только цифры до запятой.",
        ),
        (
            "-120",
            ReadingError::Sign { found: '-' },
            "Показания вводятся без знака «-». Введите только цифры со счётчика.",
        ),
        (
            "+120",
            ReadingError::Sign { found: '+' },
            "Показания вводятся без знака «+». Введите только цифры со счётчика.",
        ),
        (
            "12 345",
            ReadingError::SpaceInside { joined: "12345".into() },
            "Введите показания без пробелов: 12345.",
        ),
        (
            "12О45",
            ReadingError::Letter { found: 'О', position: 3 },
            "Вместо цифры 0 набрана буква «О» (3-й знак). Введите показания цифрами.",
        ),
        (
            "123кВт",
            ReadingError::Letter { found: 'к', position: 4 },
            "В показаниях есть буква «к» (4-й знак). Введите только цифры со счётчика.",
        ),
        (
            "12/45",
            ReadingError::Unexpected { found: '/', position: 3 },
            "В показаниях лишний знак «/» (3-й). Введите только цифры со счётчика.",
        ),
        (
            "123456",
            ReadingError::TooManyDigits { typed: 6, digits: 5 },
            "У вашего счётчика 5 цифр до запятой, а введено 6. Цифры после запятой (обычно красные \
             или в красной рамке) вводить не нужно.",
        ),
    ];
    for (typed, error, message) in cases {
        let got = check(typed, 5, Some(100)).expect_err(typed);
        assert_eq!(got, error, "{typed:?}");
        assert_eq!(got.message_ru(), message, "{typed:?}");
    }
    let four = check("12345", 4, None).unwrap_err();
    assert!(four.message_ru().starts_with("У вашего счётчика 4 цифры до запятой"), "{}", four.message_ru());
    assert_eq!(check("１２", 5, None), Err(ReadingError::Unexpected { found: '１', position: 1 }));
    assert_eq!(check("1.234.567", 9, None), Err(ReadingError::Unexpected { found: '.', position: 2 }));
}

#[test]
fn below_the_last_reading_names_rollover_replacement_and_support() {
    let error = check("00012", 5, Some(99_950)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the reading 12 is below the last accepted reading 99950 (rollover or meter replacement?)"
    );
    assert_eq!(
        error.message_ru(),
        "Показания 12 меньше последних принятых (99950). Так бывает, если счётчик «перешёл через ноль» \
         (после 99999 снова 00000) или его заменили. Проверьте показания; если они верны, сообщите нам \
         по телефону (4842) 701-838 или по электронной почте support@ksk.kaluga.ru."
    );
    // Equal is allowed: nothing was used.
    assert_eq!(check("99950", 5, Some(99_950)).unwrap().consumption, Some(0));
}

#[test]
fn a_jump_above_five_times_the_usual_asks_for_confirmation() {
    let config = config();
    let ask = |typed: &str, usual: Option<u64>| check_reading(typed, 6, Some(1_000), usual, &config).unwrap();
    assert!(!ask("1500", Some(100)).needs_confirmation, "exactly 5× is usual enough");
    let jump = ask("1501", Some(100));
    assert!(jump.needs_confirmation);
    assert_eq!(
        jump.confirmation_ru().unwrap(),
        "Вы уверены? По этим показаниям расход — 501 кВт·ч, а обычно за месяц около 100 кВт·ч: больше чем \
         в 5 раз. Проверьте показания и подтвердите их, если всё верно."
    );
    assert!(!ask("9000", None).needs_confirmation, "no history, no check");
    assert!(!ask("1010", Some(0)).needs_confirmation, "a usual 0 makes no check");
    assert_eq!(ask("1200", Some(100)).confirmation_ru(), None);
    let first = check_reading("5000", 6, None, Some(10), &config).unwrap();
    assert!(!first.needs_confirmation, "no previous reading, no consumption to compare");
}

#[test]
fn the_usual_consumption_is_the_rounded_average_of_the_last_three_months() {
    assert_eq!(usual_monthly(&[]), None);
    assert_eq!(usual_monthly(&[7]), Some(7));
    assert_eq!(usual_monthly(&[100, 101]), Some(101), "100.5 rounds up");
    assert_eq!(usual_monthly(&[100, 100, 101]), Some(100), "100.33 rounds down");
    assert_eq!(usual_monthly(&[100, 101, 101]), Some(101), "100.67 rounds up");
    assert_eq!(usual_monthly(&[9_000, 100, 101, 101]), Some(101), "only the last three count");
}

#[test]
fn readings_after_the_cutoff_count_for_the_next_period() {
    let p = |text: &str| Period::parse(text).unwrap();
    assert_eq!(period_for_submission(date(2026, 1, 25), 25), p("2026-01"));
    assert_eq!(period_for_submission(date(2026, 1, 26), 25), p("2026-02"));
    assert_eq!(period_for_submission(date(2025, 12, 31), 25), p("2026-01"));
    assert_eq!(period_for_submission(date(2026, 2, 28), 31), p("2026-02"));
    assert_eq!(period_for_submission(date(2026, 3, 1), 1), p("2026-03"));
}

#[test]
fn sources_and_statuses_serialise_in_snake_case_and_speak_russian() {
    let status = ReadingStatus::Billed(Period::parse("2026-01").unwrap());
    assert_eq!(serde_json::to_string(&status).unwrap(), r#"{"billed":"2026-01"}"#);
    assert_eq!(serde_json::to_string(&ReadingStatus::Accepted).unwrap(), r#""accepted""#);
    assert_eq!(serde_json::to_string(&ReadingSource::Estimate).unwrap(), r#""estimate""#);
    assert_eq!(serde_json::from_str::<ReadingStatus>(r#"{"billed":"2026-01"}"#).unwrap(), status);
    assert_eq!(status.label_ru(), "Учтены в счёте за январь 2026");
    assert_eq!(ReadingStatus::Received.label_ru(), "Получены");
    assert_eq!(ReadingSource::Portal.label_ru(), "Личный кабинет");
}

proptest! {
    #[test]
    fn any_fitting_reading_at_or_above_the_previous_is_accepted(
        digits in 4u8..=9,
        previous in 0u64..1_000_000_000,
        extra in 0u64..1_000_000_000,
        zeros in 0usize..3,
    ) {
        let max = 10u64.pow(u32::from(digits)) - 1;
        let previous = previous % (max + 1);
        let value = (previous + extra).min(max);
        let typed = format!("{}{value}", "0".repeat(zeros));
        let reading = check(&typed, digits, Some(previous)).unwrap();
        prop_assert_eq!(reading.value, value);
        prop_assert_eq!(reading.consumption, Some(value - previous));
    }

    #[test]
    fn the_checker_never_panics(
        typed in "\\PC{0,12}",
        digits in 0u8..=30,
        previous in proptest::option::of(0u64..u64::MAX),
    ) {
        let _ = check(&typed, digits, previous).map_err(|e| e.message_ru());
    }
}

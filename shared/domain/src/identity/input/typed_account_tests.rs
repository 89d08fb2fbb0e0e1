use super::*;
use proptest::prelude::*;

fn parsed(input: &str) -> TypedAccount {
    parse_typed_account(input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

#[test]
fn keeps_plain_digits_as_they_are() {
    let typed = parsed("180211111");
    assert_eq!(typed.account.as_str(), "180211111");
    assert!(typed.changes.is_empty());
    assert_eq!(typed.notice_ru(), None);
}

#[test]
fn removes_the_brackets_of_the_guide_example() {
    let typed = parsed("(180)211111");
    assert_eq!(typed.account.as_str(), "180211111");
    assert_eq!(typed.changes, [Cleanup::Brackets]);
    assert_eq!(
        typed.notice_ru().unwrap(),
        "Номер принят как 180211111 (убраны скобки: номер лицевого счёта вводится без скобок)."
    );
}

#[test]
fn removes_what_word_and_web_pages_paste() {
    let cases: [(&str, &[Cleanup]); 8] = [
        (" 180 211 111 ", &[Cleanup::Spaces]),
        ("180\u{a0}211\u{202f}111\u{3000}", &[Cleanup::Spaces]),
        ("\u{feff}180\u{200b}211111\u{2060}", &[Cleanup::Invisible]),
        ("\u{200e}180211111\u{200f}\u{ad}", &[Cleanup::Invisible]),
        ("[180] {211111}", &[Cleanup::Brackets, Cleanup::Spaces]),
        ("180-211-111", &[Cleanup::Separators]),
        ("180–211—111", &[Cleanup::Separators]),
        ("180.211/111", &[Cleanup::Separators]),
    ];
    for (input, changes) in cases {
        let typed = parsed(input);
        assert_eq!(typed.account.as_str(), "180211111", "{input:?}");
        let mut got = typed.changes.clone();
        let mut want = changes.to_vec();
        got.sort_by_key(|c| *c as u8);
        want.sort_by_key(|c| *c as u8);
        assert_eq!(got, want, "{input:?}");
    }
}

#[test]
fn reports_changes_in_the_order_first_met() {
    assert_eq!(parsed(" (180) 211-111").changes, [Cleanup::Spaces, Cleanup::Brackets, Cleanup::Separators]);
}

#[test]
fn refuses_look_alike_letters_naming_the_digit() {
    let cases = [
        ("18О211111", 'О', '0', 3),
        ("18o211111", 'o', '0', 3),
        ("З80211111", 'З', '3', 1),
        ("180 2l1111", 'l', '1', 5),
        ("180211I11", 'I', '1', 7),
        ("(18|)211111", '|', '1', 4),
        ("1802111б1", 'б', '6', 8),
        ("18Ч", 'Ч', '4', 3),
    ];
    for (input, found, digit, position) in cases {
        assert_eq!(
            parse_typed_account(input),
            Err(TypedAccountError::LookAlike { found, digit, position }),
            "{input:?}"
        );
    }
}

#[test]
fn counts_positions_among_visible_characters_only() {
    let error = parse_typed_account("\u{200b} 1\u{a0}8\u{feff}О").unwrap_err();
    assert_eq!(error, TypedAccountError::LookAlike { found: 'О', digit: '0', position: 3 });
}

#[test]
fn refuses_other_letters_symbols_and_foreign_digits() {
    let cases = [
        ("18Ж211111", TypedAccountError::Letter { found: 'Ж', position: 3 }),
        ("a180211111", TypedAccountError::Letter { found: 'a', position: 1 }),
        ("180211111+", TypedAccountError::Unexpected { found: '+', position: 10 }),
        ("180,211111", TypedAccountError::Unexpected { found: ',', position: 4 }),
        ("-180211111", TypedAccountError::Unexpected { found: '-', position: 1 }),
        ("180211111.", TypedAccountError::Unexpected { found: '.', position: 10 }),
        ("180\u{1}211111", TypedAccountError::Unexpected { found: '\u{1}', position: 4 }),
        ("１８０211111", TypedAccountError::ForeignDigit { found: '１', position: 1 }),
        ("180٢11111", TypedAccountError::ForeignDigit { found: '٢', position: 4 }),
    ];
    for (input, error) in cases {
        assert_eq!(parse_typed_account(input), Err(error), "{input:?}");
    }
}

#[test]
fn refuses_empty_and_wrong_lengths() {
    assert_eq!(parse_typed_account(""), Err(TypedAccountError::Empty));
    assert_eq!(parse_typed_account(" \u{200b}() "), Err(TypedAccountError::Empty));
    assert_eq!(parse_typed_account("(123)"), Err(TypedAccountError::Length { digits: 3 }));
    assert_eq!(parse_typed_account(&"1".repeat(17)), Err(TypedAccountError::Length { digits: 17 }));
}

#[test]
fn speaks_russian_to_the_customer() {
    let cases = [
        (
            TypedAccountError::LookAlike { found: 'О', digit: '0', position: 3 },
            "На месте цифры 0 стоит буква «О» (3-й знак номера). Введите номер цифрами.",
        ),
        (
            TypedAccountError::LookAlike { found: '|', digit: '1', position: 1 },
            "На месте цифры 1 стоит знак «|» (1-й знак номера). Введите номер цифрами.",
        ),
        (
            TypedAccountError::Unexpected { found: '\u{1}', position: 2 },
            "В номере лицевого счёта лишний знак «U+0001» (2-й). Введите только цифры.",
        ),
        (
            TypedAccountError::Length { digits: 3 },
            "В номере 3 цифры — это слишком мало. Проверьте номер по квитанции.",
        ),
        (
            TypedAccountError::Length { digits: 17 },
            "В номере 17 цифр — это слишком много. Проверьте номер по квитанции.",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.message_ru(), message);
    }
}

const SEPARATORS: &[char] = &['-', '–', '—', '.', '/'];

/// Characters that may be sprinkled anywhere without changing the number.
const NOISE: &[char] = &[
    ' ', '\t', '\u{a0}', '\u{2007}', '\u{2009}', '\u{202f}', '\u{205f}', '\u{3000}', '\u{200b}', '\u{200c}',
    '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}',
    '\u{2069}', '(', ')', '[', ']', '{', '}',
];

proptest! {
    #[test]
    fn noise_anywhere_leaves_the_number_intact(
        digits in "[0-9]{4,16}",
        noise in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(NOISE)), 0..12),
        separators in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(SEPARATORS)), 0..4),
    ) {
        let mut chars: Vec<char> = digits.chars().collect();
        // Separators go strictly between two digits, before the noise moves things around.
        for (at, c) in separators {
            let gaps: Vec<usize> = (1..chars.len())
                .filter(|&i| chars[i - 1].is_ascii_digit() && chars[i].is_ascii_digit())
                .collect();
            if let Some(&gap) = gaps.get(at.index(gaps.len().max(1))) {
                chars.insert(gap, c);
            }
        }
        for (at, c) in noise {
            chars.insert(at.index(chars.len() + 1), c);
        }
        let input: String = chars.into_iter().collect();
        let typed = parse_typed_account(&input);
        prop_assert_eq!(typed.map(|t| t.account.as_str().to_owned()), Ok(digits), "{:?}", input);
    }
}

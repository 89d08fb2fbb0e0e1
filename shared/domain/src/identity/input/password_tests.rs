use super::*;

fn account() -> AccountNumber {
    AccountNumber::parse("180211111").unwrap()
}

#[test]
fn accepts_a_long_enough_uncommon_password() {
    for password in ["Калуга-2024", "korova-na-lugu", "тихий вечер у реки", "x7#Lq9!v", &"я".repeat(128)]
    {
        assert_eq!(check_new_password(password, &account()), Ok(()), "{password:?}");
    }
}

#[test]
fn refuses_empty_blank_short_and_long_passwords() {
    let cases = [
        (String::new(), PasswordProblem::Empty),
        (" \u{a0}\t        ".to_owned(), PasswordProblem::OnlySpaces),
        ("Кал2024".to_owned(), PasswordProblem::TooShort { chars: 7 }),
        ("я".repeat(129), PasswordProblem::TooLong { chars: 129 }),
    ];
    for (password, problem) in cases {
        assert_eq!(check_new_password(&password, &account()), Err(problem), "{password:?}");
    }
}

#[test]
fn counts_characters_not_bytes() {
    // Seven Cyrillic letters are fourteen bytes, still too short.
    assert_eq!(check_new_password("абвгдеж", &account()), Err(PasswordProblem::TooShort { chars: 7 }));
    assert_eq!(check_new_password("абвгдежз", &account()), Ok(()));
}

#[test]
fn refuses_the_account_number_and_near_variants() {
    for password in
        ["180211111", "180211111!", "!180211111!", "18021111100", "1802a11111", "111112081", "111112081ab"]
    {
        assert_eq!(check_new_password(password, &account()), Err(PasswordProblem::LikeAccount), "{password}");
    }
    // Three characters more is a different password (if not a good one).
    assert_eq!(check_new_password("180211111abc", &account()), Ok(()));
}

#[test]
fn refuses_common_passwords_in_any_case_or_layout() {
    for password in ["password", "PassWord", "12345678", "qwerty123", "ЙЦУКЕН123", "gfhjkm123"] {
        assert_eq!(check_new_password(password, &account()), Err(PasswordProblem::Common), "{password}");
    }
}

#[test]
fn the_confirmation_must_match_exactly() {
    assert_eq!(confirm_password("Калуга-2024", "Калуга-2024"), Ok(()));
    assert_eq!(confirm_password("12345", "12355"), Err(PasswordProblem::Mismatch));
    assert_eq!(confirm_password("Калуга-2024", "Калуга-2024 "), Err(PasswordProblem::Mismatch));
}

#[test]
fn speaks_russian_to_the_customer() {
    let cases = [
        (
            PasswordProblem::TooShort { chars: 5 },
            "Пароль слишком короткий: нужно не меньше 8 знаков, а в нём 5 знаков.",
        ),
        (
            PasswordProblem::TooShort { chars: 3 },
            "Пароль слишком короткий: нужно не меньше 8 знаков, а в нём 3 знака.",
        ),
        (PasswordProblem::LikeAccount, "Пароль не должен повторять номер лицевого счёта: его легко угадать."),
        (
            PasswordProblem::Mismatch,
            "Пароль и подтверждение не совпадают. Введите пароль ещё раз в оба поля.",
        ),
    ];
    for (problem, message) in cases {
        assert_eq!(problem.message_ru(), message);
    }
}

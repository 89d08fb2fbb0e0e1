//! Why a typed e-mail address was refused, in English for the logs and in Russian for the
//! person at the form. Each message names the one thing to fix.

use super::email::{MAX_EMAIL, MAX_LABEL, MAX_LOCAL};
use super::text::shown;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("the e-mail address has {chars} characters; at most {MAX_EMAIL}")]
    TooLong { chars: usize },
    #[error("the e-mail address contains a space")]
    Space,
    #[error("the e-mail address has no @")]
    NoAt,
    #[error("the e-mail address has {count} @ signs")]
    SeveralAt { count: usize },
    #[error("nothing before the @")]
    EmptyLocal,
    #[error("character {found:?} before the @")]
    LocalChar { found: char },
    #[error("the part before the @ has {chars} characters; at most {MAX_LOCAL}")]
    LocalTooLong { chars: usize },
    #[error("a dot at the start or end of the part before the @, or two dots in a row")]
    LocalDots,
    #[error("nothing after the @")]
    EmptyDomain,
    #[error("character {found:?} in the domain")]
    DomainChar { found: char },
    #[error("the domain ends with a dot")]
    TrailingDot,
    #[error("the domain has an empty label (a dot after the @ or two dots in a row)")]
    EmptyLabel,
    #[error("the domain has no dot (suggested: {suggestion:?})")]
    MissingDot { suggestion: Option<String> },
    #[error("a domain label starts or ends with a hyphen")]
    LabelHyphen,
    #[error("a domain label is longer than {MAX_LABEL} characters")]
    LabelTooLong,
    #[error("the domain ends with digits")]
    NumericEnding,
}

impl EmailError {
    /// The message for the person at the form.
    pub fn message_ru(&self) -> String {
        match self {
            EmailError::Empty => "Введите адрес электронной почты.".to_owned(),
            EmailError::TooLong { .. } => {
                format!(
                    "Адрес электронной почты слишком длинный: в нём может быть не больше {MAX_EMAIL} знаков."
                )
            }
            EmailError::Space => "В адресе электронной почты не должно быть пробелов.".to_owned(),
            EmailError::NoAt => "В адресе нет знака @. Адрес выглядит так: ivanov@mail.ru.".to_owned(),
            EmailError::SeveralAt { .. } => "В адресе должен быть только один знак @.".to_owned(),
            EmailError::EmptyLocal => {
                "Перед знаком @ должно стоять имя почтового ящика, например ivanov@mail.ru.".to_owned()
            }
            EmailError::LocalChar { found } if is_cyrillic(*found) => format!(
                "Перед знаком @ русские буквы не подходят (стоит «{found}»). \
                 Возможно, включена русская раскладка клавиатуры."
            ),
            EmailError::LocalChar { found } => format!(
                "Перед знаком @ не может стоять знак «{}». Можно латинские буквы, цифры, точку, \
                 дефис и подчёркивание.",
                shown(*found)
            ),
            EmailError::LocalTooLong { .. } => {
                format!("Имя почтового ящика перед знаком @ слишком длинное: не больше {MAX_LOCAL} знаков.")
            }
            EmailError::LocalDots => "Перед знаком @ точка не может стоять первой, последней \
                                      или две точки подряд."
                .to_owned(),
            EmailError::EmptyDomain => "После @ должен быть домен, например mail.ru.".to_owned(),
            EmailError::DomainChar { found: ',' } => {
                "После @ вместо запятой нужна точка, например mail.ru.".to_owned()
            }
            EmailError::DomainChar { found } => {
                format!("После @ не может стоять знак «{}». Домен пишется так: mail.ru.", shown(*found))
            }
            EmailError::TrailingDot => "Уберите точку в конце адреса.".to_owned(),
            EmailError::EmptyLabel => {
                "После @ не может сразу стоять точка или две точки подряд. Домен пишется так: mail.ru."
                    .to_owned()
            }
            EmailError::MissingDot { suggestion: Some(address) } => {
                format!("В домене после @ не хватает точки. Возможно, вы имели в виду {address}?")
            }
            EmailError::MissingDot { suggestion: None } => {
                "В домене после @ не хватает точки, например mail.ru.".to_owned()
            }
            EmailError::LabelHyphen => {
                "В домене после @ дефис не может стоять рядом с точкой, в начале или в конце.".to_owned()
            }
            EmailError::LabelTooLong => "Домен после @ слишком длинный. Проверьте адрес.".to_owned(),
            EmailError::NumericEnding => {
                "Домен должен заканчиваться буквами, например .ru или .com.".to_owned()
            }
        }
    }
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{400}'..='\u{4ff}')
}

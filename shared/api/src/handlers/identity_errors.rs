//! How the identity use cases' errors answer over HTTP.

use http::StatusCode;
use svet_domain::identity::{IdentityError, input::AddressPart};
use svet_domain::mail::MailError;

use crate::ApiError;

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Invalid(fields) => ApiError::Fields {
                status: StatusCode::BAD_REQUEST,
                code: "invalid",
                message: "Проверьте поля, отмеченные ниже.".into(),
                fields: fields.0,
            },
            IdentityError::AddressDiffers(parts) => {
                let message = address_message(&parts);
                ApiError::Fields {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "address_mismatch",
                    message: message.clone(),
                    fields: vec![("address", message)],
                }
            }
            IdentityError::AlreadyRegistered => ApiError::Client {
                status: StatusCode::CONFLICT,
                code: "already_registered",
                message: "Личный кабинет для этого лицевого счёта уже зарегистрирован. Войдите или воспользуйтесь «Забыли пароль?».".into(),
            },
            IdentityError::LoginFailed => ApiError::Client {
                status: StatusCode::UNAUTHORIZED,
                code: "login_failed",
                message: "Неверный номер лицевого счёта или пароль.".into(),
            },
            IdentityError::NotActivated => ApiError::Client {
                status: StatusCode::FORBIDDEN,
                code: "not_activated",
                message: "Личный кабинет ещё не активирован. Откройте письмо, которое пришло после регистрации, и перейдите по ссылке — или запросите новое письмо.".into(),
            },
            IdentityError::TooManyAttempts { retry_after } => ApiError::TooMany { retry_after },
            IdentityError::BadLink => ApiError::Client {
                status: StatusCode::GONE,
                code: "bad_link",
                message: "Ссылка устарела или уже использована. Запросите новую.".into(),
            },
            IdentityError::WrongCurrentPassword => ApiError::Fields {
                status: StatusCode::BAD_REQUEST,
                code: "invalid",
                message: "Текущий пароль введён неверно.".into(),
                fields: vec![("current_password", "Текущий пароль введён неверно.".into())],
            },
            IdentityError::Store(e) => e.into(),
            IdentityError::Mail(MailError::Rejected(why)) => ApiError::Client {
                status: StatusCode::BAD_REQUEST,
                code: "mail_rejected",
                message: format!("Письмо на этот адрес отправить нельзя ({why}). Проверьте адрес."),
            },
            IdentityError::Mail(e @ MailError::Unavailable(_)) => ApiError::Unavailable(e.into()),
            IdentityError::Hashing(e) => ApiError::Internal(e),
        }
    }
}

/// «Адрес не совпадает с адресом в базе компании: не совпадает номер квартиры.»
fn address_message(parts: &[AddressPart]) -> String {
    let labels: Vec<&str> = parts.iter().map(AddressPart::label_ru).collect();
    let what = match labels.as_slice() {
        [] => "адрес".to_owned(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} и {last}", rest.join(", ")),
    };
    let verb = if labels.len() > 1 { "не совпадают" } else { "не совпадает" };
    format!(
        "Адрес не совпадает с адресом лицевого счёта в базе компании: {verb} {what}. Введите адрес, как он указан в счёте."
    )
}

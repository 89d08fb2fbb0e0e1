//! The mails of the identity flows, in Russian, plain text and HTML, with the company's name
//! and support contacts in the footer. Subjects never carry the full account number.

use crate::mail::Mail;
use crate::{AccountNumber, Config};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A mail with a greeting, paragraphs, an optional button link and the footer.
pub(crate) fn compose(
    config: &Config,
    to: &str,
    subject: String,
    paragraphs: &[String],
    link: Option<(&str, &str)>,
) -> Mail {
    let c = &config.company;
    let footer = format!(
        "{}\nСлужба поддержки: {}, {}\n{}\n\nЭто письмо отправлено автоматически, отвечать на него не нужно.",
        c.name, c.support_phone, c.support_email, c.website
    );
    let mut text = String::from("Здравствуйте!\n\n");
    let mut html = String::from("<p>Здравствуйте!</p>");
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    if let Some((label, url)) = link {
        text.push_str(&format!("{label}: {url}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{0}\" style=\"display:inline-block;padding:12px 20px;background:#0b5cad;color:#ffffff;text-decoration:none;border-radius:4px\">{1}</a></p>\
             <p style=\"font-size:90%;color:#4a5058\">Если кнопка не открывается, скопируйте ссылку в адресную строку браузера:<br>{0}</p>",
            escape(url),
            escape(label)
        ));
    }
    text.push_str("--\n");
    text.push_str(&footer);
    html.push_str(&format!(
        "<hr><p style=\"font-size:90%;color:#4a5058\">{}</p>",
        escape(&footer).replace('\n', "<br>")
    ));
    Mail { to: to.to_owned(), subject, text, html: Some(html), attachments: vec![] }
}

pub fn activation(config: &Config, to: &str, account: &AccountNumber, link: &str) -> Mail {
    compose(
        config,
        to,
        format!("Активация личного кабинета (лицевой счёт {})", account.masked()),
        &[
            format!(
                "Вы зарегистрировались в личном кабинете {} с лицевым счётом {account}.",
                config.company.short_name
            ),
            format!(
                "Чтобы активировать кабинет, перейдите по ссылке ниже и нажмите «Активировать». Ссылка действует {} ч и только один раз.",
                config.identity.activation_hours
            ),
            "Если вы не регистрировались, просто не открывайте ссылку.".to_owned(),
        ],
        Some(("Активировать личный кабинет", link)),
    )
}

pub fn reset(config: &Config, to: &str, account: &AccountNumber, link: &str) -> Mail {
    compose(
        config,
        to,
        format!("Восстановление пароля (лицевой счёт {})", account.masked()),
        &[
            format!("Для лицевого счёта {} запрошено восстановление пароля.", account.masked()),
            format!(
                "Чтобы задать новый пароль, перейдите по ссылке. Ссылка действует {} мин и только один раз.",
                config.identity.reset_minutes
            ),
            "Если вы не запрашивали восстановление, ничего не делайте: ваш пароль не изменится.".to_owned(),
        ],
        Some(("Задать новый пароль", link)),
    )
}

pub fn password_changed(config: &Config, to: &str, account: &AccountNumber) -> Mail {
    compose(
        config,
        to,
        format!("Пароль изменён (лицевой счёт {})", account.masked()),
        &[
            format!(
                "Пароль от личного кабинета (лицевой счёт {}) изменён. Все прежние входы завершены.",
                account.masked()
            ),
            format!(
                "Если это сделали не вы, срочно позвоните в службу поддержки: {}.",
                config.company.support_phone
            ),
        ],
        None,
    )
}

pub fn email_change_confirm(config: &Config, to: &str, account: &AccountNumber, link: &str) -> Mail {
    compose(
        config,
        to,
        "Подтвердите адрес электронной почты".to_owned(),
        &[
            format!(
                "Этот адрес указан для личного кабинета (лицевой счёт {}). Уведомления и чеки будут приходить сюда после подтверждения.",
                account.masked()
            ),
            format!("Ссылка действует {} ч и только один раз.", config.identity.email_change_hours),
        ],
        Some(("Подтвердить адрес", link)),
    )
}

pub fn email_change_notice(config: &Config, to: &str, account: &AccountNumber, new_email: &str) -> Mail {
    compose(
        config,
        to,
        format!("Смена адреса электронной почты (лицевой счёт {})", account.masked()),
        &[
            format!(
                "Для личного кабинета (лицевой счёт {}) запрошена смена адреса почты на {}. Адрес сменится, когда по ссылке в письме на новый адрес перейдут.",
                account.masked(),
                mask_email(new_email)
            ),
            format!(
                "Если это сделали не вы, позвоните в службу поддержки: {}.",
                config.company.support_phone
            ),
        ],
        None,
    )
}

/// `iv***@list.ru`: enough for the owner to recognise, little for anyone else.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            format!("{shown}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

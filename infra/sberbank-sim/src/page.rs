//! The hosted payment page (formUrl) and the issuer's 3-D Secure page: plain
//! server-rendered HTML in Russian, one small stylesheet, no scripts and nothing external.
//! Each card submission is one of the order's attempts; after it the customer is sent back
//! to the merchant's returnUrl (success) or failUrl (failure), with `orderId` appended.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use crate::Simulator;
use crate::cards::{ACS_CODE, Card, TEST_CARDS, action_description};
use crate::orders::{Order, Status, Step};
use crate::params::Params;
use crate::rest::PAGE_PATH;

pub const ACS_PATH: &str = "/acs/challenge";
pub const CSS_PATH: &str = "/payment/sim.css";

const CSS: &str = include_str!("../assets/page.css");

pub fn show(sim: &Simulator, prefix: &str, form: &Params) -> Response<Bytes> {
    let book = sim.book();
    let Some(order) = form.get("mdOrder").and_then(|id| book.get(id)) else {
        return unknown_order(prefix);
    };
    if order.status == Status::Acs {
        return see_other(&format!("{prefix}{ACS_PATH}?mdOrder={}", order.id));
    }
    if !order.payable() {
        return closed(prefix, order);
    }
    html(StatusCode::OK, &card_form(sim, prefix, order, "", None))
}

pub fn submit(sim: &Simulator, prefix: &str, form: &Params) -> Response<Bytes> {
    let id = form.get("mdOrder").unwrap_or_default().to_owned();
    let field = |name| form.get(name).unwrap_or_default();
    let card = Card::parse(field("pan"), field("expiry"), field("cvc"));
    let (step, events) = {
        let mut book = sim.book();
        let Some(order) = book.get(&id) else { return unknown_order(prefix) };
        if !order.payable() {
            return closed(prefix, order);
        }
        let card = match card {
            Ok(card) => card,
            Err(message) => {
                let page = card_form(sim, prefix, order, field("pan"), Some(message));
                return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        };
        match book.submit_card(&id, card, sim.now(), sim.config.attempts_per_order) {
            Ok(done) => done,
            Err(_) => return unknown_order(prefix),
        }
    };
    sim.notify(&events);
    match step {
        Step::Challenge => see_other(&format!("{prefix}{ACS_PATH}?mdOrder={id}")),
        Step::Finished => back_to_merchant(sim, prefix, &id),
    }
}

pub fn acs_show(sim: &Simulator, prefix: &str, form: &Params) -> Response<Bytes> {
    let book = sim.book();
    let Some(order) = form.get("mdOrder").and_then(|id| book.get(id)) else {
        return unknown_order(prefix);
    };
    if order.status != Status::Acs {
        return closed(prefix, order);
    }
    let card = order.card.as_ref().map(Card::masked).unwrap_or_default();
    let body = format!(
        r#"<p class="bank">Банк-эмитент · проверка 3-D Secure</p>
<h1>Подтверждение покупки</h1>
<dl class="order"><dt>Сумма</dt><dd>{amount}</dd><dt>Карта</dt><dd>{card}</dd></dl>
<form method="post" action="{prefix}{ACS_PATH}">
<input type="hidden" name="mdOrder" value="{id}">
<label for="code">Код подтверждения</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required aria-describedby="code-hint">
<p id="code-hint" class="hint">Код из SMS. Тестовый код: {ACS_CODE}.</p>
<button type="submit">Подтвердить</button>
</form>"#,
        amount = rubles(order.spec.amount),
        card = escape(&card),
        id = escape(&order.id),
    );
    html(StatusCode::OK, &layout(prefix, "Подтверждение покупки", &body))
}

pub fn acs_submit(sim: &Simulator, prefix: &str, form: &Params) -> Response<Bytes> {
    let id = form.get("mdOrder").unwrap_or_default().to_owned();
    let code = form.get("code").unwrap_or_default();
    let result = sim.book().confirm_challenge(&id, code, sim.now(), sim.config.attempts_per_order);
    match result {
        Ok(events) => {
            sim.notify(&events);
            back_to_merchant(sim, prefix, &id)
        }
        Err(_) => match sim.book().get(&id) {
            Some(order) => closed(prefix, order),
            None => unknown_order(prefix),
        },
    }
}

pub fn css() -> Response<Bytes> {
    let mut reply = Response::new(Bytes::from_static(CSS.as_bytes()));
    reply.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    reply
}

fn back_to_merchant(sim: &Simulator, prefix: &str, id: &str) -> Response<Bytes> {
    match sim.book().get(id) {
        Some(order) => see_other(&order.back_url()),
        None => unknown_order(prefix),
    }
}

fn card_form(sim: &Simulator, prefix: &str, order: &Order, pan: &str, error: Option<&str>) -> String {
    let left = sim.config.attempts_per_order.saturating_sub(order.attempts);
    let previous = if order.status == Status::Declined {
        format!(
            r#"<p class="error" role="alert">Платёж отклонён: {}. Попробуйте другую карту.</p>"#,
            action_description(order.action_code)
        )
    } else {
        String::new()
    };
    let error = error
        .map_or_else(String::new, |e| format!(r#"<p class="error" role="alert" id="form-error">{e}</p>"#));
    let described =
        if error.is_empty() { "" } else { r#" aria-describedby="form-error" aria-invalid="true""# };
    let cards: String = TEST_CARDS
        .iter()
        .map(|c| {
            format!("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", c.pan, c.expiry, c.cvc, c.note)
        })
        .collect();
    let description = order
        .spec
        .description
        .as_deref()
        .map_or_else(String::new, |d| format!("<dt>Описание</dt><dd>{}</dd>", escape(d)));
    let body = format!(
        r#"<p class="bank">СберБанк · тестовый платёжный шлюз</p>
<h1>Оплата заказа</h1>
<dl class="order"><dt>Сумма к оплате</dt><dd>{amount}</dd><dt>Номер заказа</dt><dd>{number}</dd>{description}</dl>
{previous}{error}
<form method="post" action="{prefix}{PAGE_PATH}">
<input type="hidden" name="mdOrder" value="{id}">
<label for="pan">Номер карты</label>
<input id="pan" name="pan" value="{pan}" inputmode="numeric" autocomplete="cc-number" required{described}>
<div class="row">
<div><label for="expiry">Срок действия</label>
<input id="expiry" name="expiry" placeholder="ММ/ГГ" autocomplete="cc-exp" required aria-describedby="expiry-hint">
<span id="expiry-hint" class="hint">месяц и год, ММ/ГГ</span></div>
<div><label for="cvc">CVC</label>
<input id="cvc" name="cvc" type="password" inputmode="numeric" maxlength="3" autocomplete="cc-csc" required aria-describedby="cvc-hint">
<span id="cvc-hint" class="hint">три цифры на обороте</span></div>
</div>
<button type="submit">Оплатить картой</button>
</form>
<p class="hint">Осталось попыток: {left}. Время на оплату ограничено.</p>
<details><summary>Тестовые карты</summary>
<table><thead><tr><th scope="col">Номер</th><th scope="col">Срок</th><th scope="col">CVC</th><th scope="col">Результат</th></tr></thead>
<tbody>{cards}</tbody></table>
<p class="hint">Код 3-D Secure: {ACS_CODE}. Любая другая карта с верной контрольной цифрой проходит без 3-D Secure.</p>
</details>"#,
        amount = rubles(order.spec.amount),
        number = escape(&order.spec.number),
        id = escape(&order.id),
        pan = escape(pan),
    );
    layout(prefix, "Оплата заказа", &body)
}

/// A page for an order that takes no card: paid, expired, out of attempts.
fn closed(prefix: &str, order: &Order) -> Response<Bytes> {
    let message = match (order.status, order.action_code) {
        (Status::Approved | Status::Deposited | Status::Refunded, _) => "Заказ уже оплачен.",
        (Status::Reversed, _) => "Заказ отменён.",
        (_, -2007) => "Время на оплату заказа истекло.",
        (_, -2013) => "Исчерпаны попытки оплаты заказа.",
        _ => "Заказ не может быть оплачен.",
    };
    let body = format!(
        r#"<h1>{message}</h1><p><a href="{}">Вернуться в магазин</a></p>"#,
        escape(&order.back_url())
    );
    html(StatusCode::OK, &layout(prefix, message, &body))
}

fn unknown_order(prefix: &str) -> Response<Bytes> {
    html(StatusCode::NOT_FOUND, &layout(prefix, "Заказ не найден", "<h1>Заказ не найден</h1>"))
}

fn layout(prefix: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — тестовый шлюз</title>
<link rel="stylesheet" href="{prefix}{CSS_PATH}">
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"#
    )
}

fn html(status: StatusCode, page: &str) -> Response<Bytes> {
    let mut reply = Response::new(Bytes::from(page.to_owned()));
    *reply.status_mut() = status;
    let headers = reply.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Its own policy: the form's redirect goes to the merchant, another origin.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'"),
    );
    reply
}

fn see_other(location: &str) -> Response<Bytes> {
    let mut reply = Response::new(Bytes::new());
    *reply.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        reply.headers_mut().insert(header::LOCATION, value);
    }
    reply
}

/// `1 234,56 ₽`, with no-break spaces.
fn rubles(kopecks: i64) -> String {
    let whole = (kopecks / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    format!("{grouped},{:02}\u{a0}₽", kopecks % 100)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_rubles() {
        assert_eq!(rubles(123_456), "1\u{a0}234,56\u{a0}₽");
        assert_eq!(rubles(5), "0,05\u{a0}₽");
        assert_eq!(rubles(1_000_000_000), "10\u{a0}000\u{a0}000,00\u{a0}₽");
    }
}

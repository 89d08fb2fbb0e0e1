//! The REST methods under `/payment/rest/`: their parameters, their checks in the order the
//! bank makes them (credentials, then fields, then the order's state), and their JSON
//! answers. Business errors come with HTTP 200 and `errorCode` as a string; a successful
//! register.do carries no `errorCode` at all.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::config::Merchant;
use crate::orders::{GatewayError, NewOrder, Order, fail};
use crate::params::Params;
use crate::{Simulator, cards};

/// The path of the hosted payment page, below the simulator's base URL.
pub const PAGE_PATH: &str = "/payment/merchants/sbersafe_sberid/payment_ru.html";

/// Answers one REST method (`register.do`, …); `None` for a method the bank doesn't have.
pub(crate) fn call(sim: &Simulator, method: &str, params: &Params, base_url: &str) -> Option<Value> {
    let result = match method {
        "register.do" => register(sim, params, base_url, false),
        "registerPreAuth.do" => register(sim, params, base_url, true),
        "getOrderStatusExtended.do" => status_extended(sim, params),
        "getOrderStatus.do" => return Some(status_legacy(sim, params)),
        "deposit.do" => deposit(sim, params),
        "reverse.do" => reverse(sim, params),
        "refund.do" => refund(sim, params),
        _ => return None,
    };
    Some(result.unwrap_or_else(|e| json!({ "errorCode": e.code.to_string(), "errorMessage": e.message })))
}

/// `userName` + `password`, or `token` alone.
fn authenticate<'a>(sim: &'a Simulator, params: &Params) -> Result<&'a Merchant, GatewayError> {
    let merchants = &sim.config.merchants;
    let found = match (params.get("token"), params.get("userName"), params.get("password")) {
        (Some(token), None, None) => merchants.iter().find(|m| m.token.as_deref() == Some(token)),
        (Some(_), _, _) => None,
        (None, None, _) => return fail(4, "Не указан логин"),
        (None, _, None) => return fail(4, "Не указан пароль"),
        (None, Some(login), Some(password)) => {
            merchants.iter().find(|m| m.login == login && m.password == password)
        }
    };
    found.map_or_else(|| fail(5, "Доступ запрещён"), Ok)
}

fn register(
    sim: &Simulator,
    params: &Params,
    base_url: &str,
    two_stage: bool,
) -> Result<Value, GatewayError> {
    let merchant = authenticate(sim, params)?;
    let now = sim.now();
    let spec = new_order(params, now, sim.config.default_session_timeout, two_stage)?;
    let id = new_order_id();
    let id = sim.book().register(&merchant.login, spec, id, now)?;
    Ok(json!({ "orderId": id, "formUrl": format!("{base_url}{PAGE_PATH}?mdOrder={id}") }))
}

fn new_order(
    params: &Params,
    now: Timestamp,
    default_timeout: std::time::Duration,
    two_stage: bool,
) -> Result<NewOrder, GatewayError> {
    let number = params.require("orderNumber", "Номер заказа не указан")?;
    if number.chars().count() > 32 {
        return fail(5, "Неверный номер заказа");
    }
    let amount = params.positive_amount()?;
    let return_url = params.require("returnUrl", "URL возврата не указан")?;
    let fail_url = params.get("failUrl");
    if [Some(return_url), fail_url]
        .into_iter()
        .flatten()
        .any(|u| !u.starts_with("http://") && !u.starts_with("https://"))
    {
        return fail(4, "Неверный URL возврата");
    }
    let currency = params.get("currency").unwrap_or("643");
    if currency != "643" {
        return fail(3, format!("Не найдена валюта с кодом {currency}"));
    }
    let description = params.get("description");
    if description.is_some_and(|d| d.chars().count() > 512) {
        return fail(5, "Описание заказа длиннее 512 символов");
    }
    if let Some(features) = params.get("features") {
        let known = ["VERIFY", "AUTO_PAYMENT", "FORCE_SSL", "FORCE_TDS", "FORCE_FULL_TDS", "FORCE_NO_SSL"];
        if features.split(';').any(|f| !known.contains(&f.trim())) {
            return fail(14, "Неверное значение параметра features");
        }
    }
    let expires = expiry(params, now, default_timeout)?;
    let json_params = match params.get("jsonParams") {
        None => Vec::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect(),
            _ => return fail(5, "Неверный формат jsonParams"),
        },
    };
    let order_bundle = match params.get("orderBundle") {
        None => None,
        Some(text) => Some(check_bundle(text, amount)?),
    };
    Ok(NewOrder {
        number: number.to_owned(),
        amount,
        currency: currency.to_owned(),
        return_url: return_url.to_owned(),
        fail_url: fail_url.map(str::to_owned),
        description: description.map(str::to_owned),
        client_id: params.get("clientId").map(str::to_owned),
        json_params,
        order_bundle,
        expires,
        two_stage,
    })
}

/// `expirationDate` (Moscow time, no zone) wins over `sessionTimeoutSecs`.
fn expiry(params: &Params, now: Timestamp, default: std::time::Duration) -> Result<Timestamp, GatewayError> {
    if let Some(text) = params.get("expirationDate") {
        let at = text
            .parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| crate::orders::MOSCOW.to_timestamp(dt).ok())
            .filter(|at| *at > now);
        return at.map_or_else(|| fail(5, "Неверная дата окончания срока жизни заказа"), Ok);
    }
    let seconds = match params.get("sessionTimeoutSecs") {
        None => i64::try_from(default.as_secs()).unwrap_or(i64::MAX),
        Some(text) => match text.parse::<i64>() {
            Ok(s) if s > 0 && s <= 366 * 86_400 => s,
            _ => return fail(5, "Неверное значение sessionTimeoutSecs"),
        },
    };
    Ok(now.checked_add(SignedDuration::from_secs(seconds)).unwrap_or(now))
}

/// The cart must parse and its lines must add up to the order's amount.
fn check_bundle(text: &str, amount: i64) -> Result<Value, GatewayError> {
    let bundle: Value = serde_json::from_str(text)
        .map_err(|_| GatewayError {
            code: 8, message: "Неверный формат корзины".into()
        })?;
    let Some(items) = bundle.pointer("/cartItems/items").and_then(Value::as_array) else {
        return fail(8, "Неверный формат корзины");
    };
    let mut total: i64 = 0;
    for item in items {
        let line = item.get("itemAmount").and_then(Value::as_i64);
        let (Some(line), true) = (line, item.get("name").is_some_and(Value::is_string)) else {
            return fail(8, "Неверный формат корзины");
        };
        total = total.saturating_add(line);
    }
    if total != amount {
        return fail(8, "Сумма товарных позиций в Корзине не совпадает с общей суммой заказа");
    }
    Ok(bundle)
}

fn status_extended(sim: &Simulator, params: &Params) -> Result<Value, GatewayError> {
    let merchant = authenticate(sim, params)?;
    let book = sim.book();
    let order = book.find(&merchant.login, params.get("orderId"), params.get("orderNumber"))?;
    Ok(extended(order))
}

fn extended(order: &Order) -> Value {
    let ms = |t: Option<Timestamp>| t.map(|t| t.as_millisecond());
    let mut v = json!({
        "errorCode": "0",
        "errorMessage": "Успешно",
        "orderNumber": order.spec.number,
        "orderStatus": order.status as u8,
        "actionCode": order.action_code,
        "actionCodeDescription": cards::action_description(order.action_code),
        "amount": order.spec.amount,
        "currency": order.spec.currency,
        "date": order.created.as_millisecond(),
        "orderDescription": order.spec.description.clone().unwrap_or_default(),
        "merchantOrderParams": order.spec.json_params.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
        "attributes": [{ "name": "mdOrder", "value": order.id }],
        "terminalId": "12345678",
        "paymentAmountInfo": {
            "paymentState": order.status.payment_state(),
            "approvedAmount": order.approved,
            "depositedAmount": order.deposited,
            "refundedAmount": order.refunded,
            "feeAmount": 0,
        },
        "bankInfo": { "bankName": "TEST CARD", "bankCountryCode": "RU", "bankCountryName": "Россия" },
    });
    let object = v.as_object_mut().expect("a JSON object");
    let mut put = |name: &str, value: Value| {
        if !value.is_null() {
            object.insert(name.to_owned(), value);
        }
    };
    if let Some(card) = &order.card {
        put(
            "cardAuthInfo",
            json!({
                "maskedPan": card.masked(),
                "pan": card.masked(),
                "expiration": card.expiration(),
                "cardholderName": "CARDHOLDER NAME",
                "approvalCode": order.approval_code,
                "paymentSystem": card.payment_system(),
                "paymentWay": "CARD",
                "secureAuthInfo": { "eci": 5 },
            }),
        );
    }
    put("authDateTime", json!(ms(order.authorised_at)));
    put("authRefNum", json!(order.rrn));
    put("depositedDate", json!(ms(order.deposited_at)));
    put("refundedDate", json!(ms(order.refunded_at)));
    put("orderBundle", order.spec.order_bundle.clone().unwrap_or(Value::Null));
    if let Some(client_id) = &order.spec.client_id {
        put("bindingInfo", json!({ "clientId": client_id }));
    }
    v
}

/// The deprecated getOrderStatus.do, with its capitalised keys.
fn status_legacy(sim: &Simulator, params: &Params) -> Value {
    let found = authenticate(sim, params).and_then(|merchant| {
        let book = sim.book();
        book.find(&merchant.login, params.get("orderId"), None).map(|order| {
            json!({
                "ErrorCode": "0",
                "ErrorMessage": "Успешно",
                "OrderStatus": order.status as u8,
                "OrderNumber": order.spec.number,
                "Pan": order.card.as_ref().map(cards::Card::masked),
                "expiration": order.card.as_ref().map(cards::Card::expiration),
                "cardholderName": order.card.as_ref().map(|_| "CARDHOLDER NAME"),
                "Amount": order.spec.amount,
                "currency": order.spec.currency,
                "approvalCode": order.approval_code,
                "depositAmount": order.deposited,
            })
        })
    });
    found.unwrap_or_else(|e| json!({ "ErrorCode": e.code.to_string(), "ErrorMessage": e.message }))
}

fn deposit(sim: &Simulator, params: &Params) -> Result<Value, GatewayError> {
    let merchant = authenticate(sim, params)?;
    let id = params.require("orderId", "Не указан номер заказа")?;
    let amount = match params.amount("amount")? {
        None => return fail(4, "Сумма не указана"),
        Some(a) if a < 0 => return fail(4, "Сумма должна быть больше нуля"),
        Some(a) => a,
    };
    let events = sim.book().deposit(&merchant.login, id, amount, sim.now())?;
    sim.notify(&events);
    Ok(success())
}

fn reverse(sim: &Simulator, params: &Params) -> Result<Value, GatewayError> {
    let merchant = authenticate(sim, params)?;
    let id = params.require("orderId", "Не указан номер заказа")?;
    let amount = params.amount("amount")?;
    let events = sim.book().reverse(&merchant.login, id, amount, sim.now())?;
    sim.notify(&events);
    Ok(success())
}

fn refund(sim: &Simulator, params: &Params) -> Result<Value, GatewayError> {
    let merchant = authenticate(sim, params)?;
    let id = params.require("orderId", "Не указан номер заказа")?;
    let amount = params.positive_amount()?;
    let events = sim.book().refund(&merchant.login, id, amount, sim.now())?;
    sim.notify(&events);
    Ok(success())
}

fn success() -> Value {
    json!({ "errorCode": "0", "errorMessage": "Успешно" })
}

/// A random (version 4) UUID in lower-case hex, as the bank's orderId.
fn new_order_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the OS has randomness");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

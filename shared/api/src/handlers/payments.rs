//! Card payments over HTTP (B3–B11, P1–P5): `POST /api/payments` starts one and answers the
//! bank's page, `GET /api/payments/return` is where the bank sends the customer back,
//! `GET /api/sberbank/callback` is the bank's notice, and `GET /api/payments` lists them.
//!
//! The return is a cross-site navigation from the bank's page, so the SameSite=Strict session
//! cookie does not come with it: it needs no session. It takes only the order id from the
//! redirect, asks the bank (the domain's `confirm`), and sends the browser on to «Счёт»; the
//! page then loads with its cookie as usual. Neither the return nor the callback is trusted
//! beyond naming an order.

use http::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use svet_domain::Kopecks;
use svet_domain::billing::{Registers, date_dots};
use svet_domain::identity::input::parse_email;
use svet_domain::money::MoneyError;
use svet_domain::payments::{
    CallbackOutcome, ConfirmError, DateRange, OrderRef, Payment, PaymentError, PaymentStatus, Receipt,
    StartPayment, date_range, list,
};
use svet_domain::readings::Typed;
use svet_domain::store::StoreError;

use crate::error::json;
use crate::handlers::readings::submit_error;
use crate::metrics::{self, Metric};
use crate::observe::scrub;
use crate::request::json_body;
use crate::session::{caller, same_origin};
use crate::{ApiError, App, Body, Request, Response};

/// Where the bank sends the customer back; it appends `orderId=…`.
pub const RETURN_PATH: &str = "/api/payments/return";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReadingsPart {
    single: Option<String>,
    day: Option<String>,
    night: Option<String>,
    #[serde(default)]
    confirm: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentForm {
    /// As typed: «1 234,50».
    amount: String,
    receipt_email: String,
    /// «Получить чек по электронной почте» ticked (B6).
    #[serde(default)]
    receipt_mail: bool,
    #[serde(default)]
    readings: Option<ReadingsPart>,
    form_token: String,
}

fn field(field: &'static str, message: String) -> ApiError {
    ApiError::Fields {
        status: StatusCode::BAD_REQUEST,
        code: "invalid",
        message: "Проверьте поля, отмеченные ниже.".into(),
        fields: vec![(field, message)],
    }
}

fn amount_message(e: &MoneyError) -> String {
    match e {
        MoneyError::Empty => "Введите сумму оплаты.".into(),
        MoneyError::BadCharacter(c) => {
            format!("Сумма может содержать только цифры и запятую перед копейками, а не «{c}».")
        }
        MoneyError::DotDecimal => "Отделяйте копейки запятой, а не точкой: 1 234,50.".into(),
        MoneyError::TooManyDecimals => "После запятой — не больше двух цифр (копейки).".into(),
        MoneyError::TooLarge => "Слишком большая сумма.".into(),
    }
}

fn payment_error(e: PaymentError) -> ApiError {
    let message = e.message_ru();
    match e {
        PaymentError::ZeroAmount | PaymentError::Negative | PaymentError::AboveLimit { .. } => {
            field("amount", message)
        }
        PaymentError::Readings(e) => submit_error(e),
        PaymentError::BadIdempotencyKey => {
            ApiError::Client { status: StatusCode::BAD_REQUEST, code: "bad_form_token", message }
        }
        PaymentError::InProgress => {
            ApiError::Client { status: StatusCode::CONFLICT, code: "in_progress", message }
        }
        PaymentError::NotInRegistry => {
            ApiError::Internal(anyhow::anyhow!("a session for an account outside the registry"))
        }
        PaymentError::Gateway(cause) => {
            tracing::warn!(error = %scrub(&cause.to_string()), "register.do failed");
            ApiError::Client { status: StatusCode::BAD_GATEWAY, code: "bank_unavailable", message }
        }
        PaymentError::Store(e) => e.into(),
    }
}

/// `POST /api/payments`: 201 with the payment's id and the bank's page.
pub async fn start(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let who = caller(app, &request).await?;
    let form: PaymentForm = json_body(&request)?;
    let amount = Kopecks::parse_rubles(&form.amount).map_err(|e| field("amount", amount_message(&e)))?;
    let email = parse_email(&form.receipt_email).map_err(|e| field("receipt_email", e.message_ru()))?;
    let readings = form.readings.unwrap_or_default();
    let typed = Typed { single: readings.single, day: readings.day, night: readings.night };
    let return_url = format!("{}{RETURN_PATH}", app.public_url.trim_end_matches('/'));
    let started = app
        .payments()?
        .start(&StartPayment {
            account: &who.account,
            amount,
            email,
            receipt_mail: form.receipt_mail,
            readings: &typed,
            confirm_readings: readings.confirm,
            idempotency_key: &form.form_token,
            return_url: &return_url,
        })
        .await
        .map_err(payment_error)?;
    metrics::emit(&[(Metric::PaymentsStarted, 1)]);
    json(StatusCode::CREATED, &json!({ "payment": started.payment.id, "form_url": started.form_url }))
}

/// The query's parameters, decoded, in order, duplicates kept (the callback refuses them).
fn query(request: &Request) -> Vec<(String, String)> {
    use lambda_http::RequestExt;
    if let Some(raw) = request.uri().query() {
        return form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
    }
    let params = request.query_string_parameters();
    params
        .iter()
        .flat_map(|(name, _)| {
            params.all(name).unwrap_or_default().into_iter().map(move |v| (name.to_owned(), v.to_owned()))
        })
        .collect()
}

fn one<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn see_other(location: &str) -> Result<Response<Body>, ApiError> {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Empty)
        .map_err(|e| ApiError::Internal(e.into()))
}

/// `GET /api/payments/return?orderId=…`: asks the bank, then 303 to «Счёт» with the outcome
/// (`paid`, `declined`, `registered` while the bank has no answer yet, …; `unknown` for an
/// order that is not ours, `pending` when the bank could not be asked or the store could not
/// record its answer).
pub async fn return_from_bank(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let params = query(&request);
    let status = match one(&params, "orderId") {
        None => "unknown".to_owned(),
        Some(order_id) => match app.payments()?.confirm(OrderRef::Id(order_id)).await {
            Ok(Some(confirmed)) => {
                metrics::emit(&metrics::confirmed(&confirmed));
                mail_receipt(app, &confirmed.payment).await;
                status_name(confirmed.payment.status)
            }
            Ok(None) => "unknown".to_owned(),
            Err(ConfirmError::Gateway(e)) => {
                // Reconciliation settles it; the page says the bank has not answered yet.
                tracing::warn!(error = %scrub(&e.to_string()), "the bank could not be asked on a return");
                "pending".to_owned()
            }
            Err(ConfirmError::Refused(e)) => {
                tracing::warn!(error = %scrub(&e.to_string()), "a return was refused");
                "unknown".to_owned()
            }
            Err(ConfirmError::Store(e @ (StoreError::Unavailable(_) | StoreError::Conflict))) => {
                // The bank's answer could not be recorded (nothing was: it is one transaction);
                // its callback or reconciliation records it. The customer, who may just have
                // paid, is told the payment is being processed, not shown an error instead of
                // the page, which might have them pay again.
                tracing::error!(error = %scrub(&format!("{e:?}")), "the store failed on a return");
                "pending".to_owned()
            }
            Err(ConfirmError::Store(e)) => return Err(e.into()),
        },
    };
    see_other(&format!("/bill.html?payment={status}"))
}

/// Mails the payment's receipt if it is queued (B6). A failure stays queued for
/// reconciliation and never fails the request: the payment itself is done.
async fn mail_receipt(app: &App, payment: &Payment) {
    let summary = app.receipt_mails().send_for(payment).await;
    if summary.sent + summary.failed + summary.given_up > 0 {
        metrics::emit(&metrics::receipt_mails(&summary));
    }
    if summary.failed + summary.given_up > 0 {
        tracing::warn!(payment = %payment.id, ?summary, "a receipt mail failed; reconciliation retries it");
    }
}

fn status_name(status: PaymentStatus) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// `GET /api/sberbank/callback`: a wrong checksum is 400 (logged, nothing changed); an order
/// that is not ours is 200 so the bank stops; otherwise confirmed with the bank and 200.
pub async fn callback(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let params = query(&request);
    match app.payments()?.callback(&params).await {
        Ok(CallbackOutcome::UnknownOrder) => {
            tracing::info!("a verified callback for an order that is not ours");
            json(StatusCode::OK, &json!({ "ok": true }))
        }
        Ok(CallbackOutcome::Confirmed(c)) => {
            tracing::info!(payment = %c.payment.id, status = ?c.payment.status, credited_now = c.credited_now, "callback");
            metrics::emit(&metrics::confirmed(&c));
            mail_receipt(app, &c.payment).await;
            json(StatusCode::OK, &json!({ "ok": true }))
        }
        Err(ConfirmError::Refused(why)) => {
            // No parameters in the log: the order and the amount are enough to find nothing
            // personal, but a forged callback's text is not worth keeping.
            tracing::warn!(reason = %scrub(&why.to_string()), "a callback was refused");
            metrics::emit(&[(Metric::CallbacksRefused, 1)]);
            Err(ApiError::Client {
                status: StatusCode::BAD_REQUEST,
                code: "refused",
                message: "Уведомление отклонено.".into(),
            })
        }
        // The bank retries its callback; reconciliation settles it in any case.
        Err(ConfirmError::Gateway(e)) => Err(ApiError::Unavailable(e.into())),
        Err(ConfirmError::Store(e)) => Err(e.into()),
    }
}

fn readings_json(readings: Option<Registers>) -> Value {
    match readings {
        None => Value::Null,
        Some(Registers::Single(value)) => json!({ "single": value }),
        Some(Registers::DayNight { day, night }) => json!({ "day": day, "night": night }),
    }
}

fn view(p: &Payment, tz: &jiff::tz::TimeZone) -> Value {
    let local = p.created_at.to_zoned(tz.clone());
    json!({
        "id": p.id,
        "created_at": p.created_at,
        "paid_at": p.paid_at,
        "date_text": date_dots(local.date()),
        "time_text": local.strftime("%H:%M").to_string(),
        "amount": p.amount,
        "amount_text": p.amount.to_string(),
        "status": p.status,
        "status_label": p.status.label_ru(),
        "readings": readings_json(p.readings),
        "refunded": p.refunded,
        "refunded_text": p.refunded.to_string(),
        "receipt": matches!(p.status, PaymentStatus::Paid | PaymentStatus::Refunded) && p.paid_at.is_some(),
    })
}

/// `GET /api/payments?from=YYYY-MM-DD&to=YYYY-MM-DD`: the caller's payments and readings-only
/// rows created in the range (both days included, the company's time zone), newest first; by
/// default the last three months.
pub async fn history(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let who = caller(app, &request).await?;
    let params = query(&request);
    let tz = app.config.time_zone();
    let today = app.clock.now().to_zoned(tz.clone()).date();
    let DateRange { from, to, start, end } = date_range(one(&params, "from"), one(&params, "to"), today, &tz)
        .map_err(|e| field(e.field(), e.message_ru()))?;
    let payments = list(app.store.as_ref(), &who.account, start, end).await?;
    json(
        StatusCode::OK,
        &json!({
            "from": from,
            "to": to,
            "payments": payments.iter().map(|p| view(p, &tz)).collect::<Vec<_>>(),
        }),
    )
}

fn receipt_not_found() -> ApiError {
    ApiError::Client {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        message: "Квитанция не найдена. Квитанция есть только у успешного платежа с вашего лицевого счета."
            .into(),
    }
}

/// The caller's receipt named by `?id=`: someone else's payment, an unpaid one and an unknown
/// id are the same 404, so nobody learns that another customer's payment exists.
async fn caller_receipt(app: &App, request: &Request) -> Result<Receipt, ApiError> {
    let who = caller(app, request).await?;
    let params = query(request);
    let id = one(&params, "id").unwrap_or_default();
    Receipt::load(app.store.as_ref(), &app.config, &who.account, id).await?.ok_or_else(receipt_not_found)
}

/// `GET /api/payments/receipt?id=…`: a successful payment's receipt (P4).
pub async fn receipt(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let receipt = caller_receipt(app, &request).await?;
    let p = &receipt.payment;
    json(
        StatusCode::OK,
        &json!({
            "id": p.id,
            "title": receipt.title(),
            "status": p.status,
            "status_label": p.status.label_ru(),
            "date_text": receipt.date_text,
            "time_text": receipt.time_text,
            "amount": p.amount,
            "amount_text": p.amount.to_string(),
            "refunded": p.refunded,
            "refunded_text": p.refunded.to_string(),
            "account": p.account,
            "address": receipt.address,
            "readings": readings_json(p.readings),
            "readings_text": receipt.readings_text(),
            "order_number": p.order_number,
            "rows": receipt.rows().into_iter().map(|(label, value)| json!({ "label": label, "value": value })).collect::<Vec<_>>(),
            "pdf_url": format!("{RECEIPT_PDF_PATH}?id={}", p.id),
        }),
    )
}

/// Where the receipt's PDF is served.
pub const RECEIPT_PDF_PATH: &str = "/api/payments/receipt.pdf";

/// `GET /api/payments/receipt.pdf?id=…`: the same receipt as a one-page PDF, rendered on
/// request (about a millisecond; receipts are not stored).
pub async fn receipt_pdf(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let receipt = caller_receipt(app, &request).await?;
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(header::CONTENT_DISPOSITION, format!("inline; filename=\"{}\"", receipt.file_name()))
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(Body::Binary(receipt.pdf(&app.config)))
        .map_err(|e| ApiError::Internal(e.into()))
}

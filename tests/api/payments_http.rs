//! The payments' HTTP routes on both portals, against the gateway simulator on a free port (as
//! in payments.rs): a payment started over the API, paid on the simulator's page, and
//! confirmed by the bank's return without a session cookie; forged, valid, duplicate and
//! unknown callbacks; the «Платежи» list seen only by its own customer; the amount's errors in
//! Russian.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};
use svet_api::App;
use svet_domain::mail::MailError;
use svet_domain::payments::{Payment, PaymentStatus, Started, list};
use svet_domain::{AccountNumber, Kopecks, Mailer};
use svet_sberbank::Secret;
use svet_sberbank::callback::hmac_checksum;
use svet_sberbank_sim::TEST_CALLBACK_KEY;

use crate::bills::generate;
use crate::payments::{Bank, callback, credits, pay_on_page, stored};
use crate::portal::{Portal, Reply, on_both_portals};

on_both_portals!(
    a_payment_started_over_the_api_is_paid_after_a_return_without_a_cookie,
    callbacks_over_http_are_checked_and_credit_once,
    another_customer_does_not_see_the_payment,
    amount_errors_are_in_russian,
    the_bill_shows_what_was_paid_since_it_was_posted,
    the_receipt_is_its_customers_alone_and_mailed_once,
    a_receipt_mail_waits_out_a_mail_outage,
    the_job_settles_a_payment_nobody_came_back_from_and_mails_its_receipt,
    a_bill_counts_the_card_payments_of_its_month_net_of_refunds,
);

const ACCOUNT: &str = "180211111";
const ADDRESS: &str = "г. Калуга, ул. Ленина, д. 12, кв. 5";
const OTHER: (&str, &str) = ("180211112", "г. Калуга, ул. Кирова, д. 3, кв. 41");
const SUCCESS_CARD: (&str, &str, &str) = ("2202205000012424", "05/28", "649");

/// The portal's application with the simulator's gateway.
fn with_bank(p: &Portal, bank: &Bank) -> App {
    App { payments: Some(Arc::new(bank.gateway.clone())), ..p.app.clone() }
}

async fn start(p: &Portal, app: &App, cookie: &str, amount: &str, token: &str) -> Reply {
    let form = json!({
        "amount": amount,
        "receipt_email": "ivanov@list.ru",
        "readings": { "single": "12445" },
        "form_token": token,
    });
    p.call_on(app, Method::POST, "/api/payments", Some(form), Some(cookie)).await
}

/// The stored payment the API answered with, and its page.
async fn started(p: &Portal, reply: &Reply) -> Started {
    assert_eq!(reply.status, 201, "{}: {:?}", p.backend, reply.body);
    let id = reply.body["payment"].as_str().unwrap();
    let account = AccountNumber::parse(ACCOUNT).unwrap();
    let all =
        list(p.app.store.as_ref(), &account, Timestamp::UNIX_EPOCH, "2100-01-01T00:00:00Z".parse().unwrap())
            .await
            .unwrap();
    let payment = all.into_iter().find(|x| x.id == id).expect("the payment is stored");
    Started { payment, form_url: reply.body["form_url"].as_str().unwrap().to_owned() }
}

fn query(params: &[(String, String)]) -> String {
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

async fn deliver(p: &Portal, app: &App, params: &[(String, String)]) -> Reply {
    p.call_on(app, Method::GET, &format!("/api/sberbank/callback?{}", query(params)), None, None).await
}

async fn a_payment_started_over_the_api_is_paid_after_a_return_without_a_cookie(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;

    let reply = start(p, &app, &cookie, "1 234,56", "form-token-http-1").await;
    let started = started(p, &reply).await;
    assert_eq!(started.payment.amount, Kopecks::new(123_456), "{}", p.backend);
    assert_eq!(started.payment.status, PaymentStatus::Registered, "{}", p.backend);
    // The same form again (a double click): the same payment and page.
    let again = start(p, &app, &cookie, "1 234,56", "form-token-http-1").await;
    assert_eq!(again.status, 201, "{}: {:?}", p.backend, again.body);
    assert_eq!(again.body, reply.body, "{}", p.backend);
    // Without a session, or from another origin: refused.
    let form = json!({ "amount": "1", "receipt_email": "ivanov@list.ru", "form_token": "form-token-http-x" });
    assert_eq!(p.call_on(&app, Method::POST, "/api/payments", Some(form), None).await.status, 401);

    pay_on_page(&started, SUCCESS_CARD).await;

    // The bank's return, a cross-site navigation: no cookie. Its own parameters other than the
    // order id are not believed.
    let order_id = started.payment.order_id.clone().unwrap();
    let back = p
        .call_on(
            &app,
            Method::GET,
            &format!("/api/payments/return?orderId={order_id}&status=failed"),
            None,
            None,
        )
        .await;
    assert_eq!(back.status, 303, "{}: {:?}", p.backend, back.body);
    assert_eq!(back.location.as_deref(), Some("/bill.html?payment=paid"), "{}", p.backend);
    assert_eq!(stored(p, &started.payment).await.status, PaymentStatus::Paid, "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
    // The return again: still one credit.
    let back =
        p.call_on(&app, Method::GET, &format!("/api/payments/return?orderId={order_id}"), None, None).await;
    assert_eq!(back.location.as_deref(), Some("/bill.html?payment=paid"), "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);

    // An order that is not ours, and none at all.
    for path in ["/api/payments/return?orderId=00000000-0000-0000-0000-000000000000", "/api/payments/return"]
    {
        let r = p.call_on(&app, Method::GET, path, None, None).await;
        assert_eq!(r.status, 303, "{}", p.backend);
        assert_eq!(r.location.as_deref(), Some("/bill.html?payment=unknown"), "{}: {path}", p.backend);
    }
}

async fn callbacks_over_http_are_checked_and_credit_once(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    let started = started(p, &start(p, &app, &cookie, "500", "form-token-http-2").await).await;
    pay_on_page(&started, SUCCESS_CARD).await;
    let before: Payment = stored(p, &started.payment).await;

    // A forged checksum: 400, nothing changed although the bank has the money.
    let mut forged = callback(&before, "deposited", "1");
    forged.last_mut().unwrap().1 = "0".repeat(64);
    let r = deliver(p, &app, &forged).await;
    assert_eq!(r.status, 400, "{}: {:?}", p.backend, r.body);
    assert_eq!(stored(p, &before).await, before, "{}: byte for byte unchanged", p.backend);
    assert!(credits(p).await.is_empty(), "{}", p.backend);
    // No checksum at all: the same.
    let mut unsigned = callback(&before, "deposited", "1");
    unsigned.pop();
    assert_eq!(deliver(p, &app, &unsigned).await.status, 400, "{}", p.backend);
    assert_eq!(stored(p, &before).await, before, "{}", p.backend);

    // The real one, then a duplicate: 200 both times, one credit.
    for _ in 0..2 {
        let r = deliver(p, &app, &callback(&before, "deposited", "1")).await;
        assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    }
    assert_eq!(stored(p, &before).await.status, PaymentStatus::Paid, "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}: one credit", p.backend);

    // A signed callback for an order that is not ours: 200, so the bank stops.
    let mut unknown: Vec<(String, String)> = vec![
        ("mdOrder".into(), "00000000-0000-0000-0000-000000000000".into()),
        ("orderNumber".into(), format!("sv{}", "0".repeat(28))),
        ("operation".into(), "deposited".into()),
        ("status".into(), "1".into()),
    ];
    let checksum =
        hmac_checksum(&Secret::new(TEST_CALLBACK_KEY), unknown.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    unknown.push(("checksum".into(), checksum));
    assert_eq!(deliver(p, &app, &unknown).await.status, 200, "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
}

async fn another_customer_does_not_see_the_payment(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    let other = p.logged_in(OTHER.0, OTHER.1).await;
    let reply = start(p, &app, &cookie, "100,50", "form-token-http-3").await;
    let started = started(p, &reply).await;

    let mine = p.call_on(&app, Method::GET, "/api/payments", None, Some(&cookie)).await;
    assert_eq!(mine.status, 200, "{}: {:?}", p.backend, mine.body);
    let rows = mine.body["payments"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{}: {rows:?}", p.backend);
    assert_eq!(rows[0]["id"], started.payment.id.as_str());
    assert_eq!(rows[0]["amount"], 10_050);
    assert_eq!(rows[0]["status_label"], "Ожидает оплаты");

    // Paying for someone else's account: the account is the session's, never the form's; a
    // form that names one is refused.
    let form = json!({
        "account": OTHER.0, "amount": "10", "receipt_email": "ivanov@list.ru",
        "readings": { "single": "12445" }, "form_token": "form-token-http-4",
    });
    let r = p.call_on(&app, Method::POST, "/api/payments", Some(form), Some(&cookie)).await;
    assert_eq!(r.status, 400, "{}: {:?}", p.backend, r.body);

    let theirs = p.call_on(&app, Method::GET, "/api/payments", None, Some(&other)).await;
    assert_eq!(theirs.status, 200, "{}", p.backend);
    assert_eq!(theirs.body["payments"], json!([]), "{}", p.backend);
    assert_eq!(p.call_on(&app, Method::GET, "/api/payments", None, None).await.status, 401);

    // A range that ends before the payment, and a bad date.
    let earlier = p
        .call_on(&app, Method::GET, "/api/payments?from=2025-01-01&to=2026-02-14", None, Some(&cookie))
        .await;
    assert_eq!(earlier.body["payments"], json!([]), "{}", p.backend);
    let bad = p.call_on(&app, Method::GET, "/api/payments?from=15.02.2026", None, Some(&cookie)).await;
    assert_eq!(bad.status, 400, "{}", p.backend);
    assert_eq!(bad.body["fields"]["from"], "Укажите дату в виде ГГГГ-ММ-ДД.");
}

async fn amount_errors_are_in_russian(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    let cases: &[(&str, &str)] = &[
        ("", "Введите сумму оплаты."),
        ("сто", "Сумма может содержать только цифры"),
        ("-5", "не может быть отрицательной"),
        ("0", "«Передать показания счетчика»"),
        ("1,234", "не больше двух цифр"),
        ("12.50", "запятой, а не точкой"),
        ("100 000,01", "на части"),
        ("99999999999999", "Слишком большая сумма"),
    ];
    for (i, (amount, message)) in cases.iter().enumerate() {
        let r = start(p, &app, &cookie, amount, &format!("form-token-amount-{i}")).await;
        assert_eq!(r.status, 400, "{}: {amount:?}: {:?}", p.backend, r.body);
        let said = r.body["fields"]["amount"].as_str().unwrap_or_default();
        assert!(said.contains(message), "{}: {amount:?}: {said:?}", p.backend);
    }
    let r = start(p, &app, &cookie, "0,01", "form-token-amount-ok").await;
    assert_eq!(r.status, 201, "{}: {:?}", p.backend, r.body);
    let mine = p.call_on(&app, Method::GET, "/api/payments", None, Some(&cookie)).await;
    assert_eq!(
        mine.body["payments"].as_array().unwrap().len(),
        1,
        "{}: refused amounts store nothing",
        p.backend
    );
    let Value::String(bad_email) =
        &start_with_email(p, &app, &cookie, "ivanov").await.body["fields"]["receipt_email"]
    else {
        panic!("{}: no e-mail error", p.backend)
    };
    assert!(!bad_email.is_empty());
}

async fn start_with_email(p: &Portal, app: &App, cookie: &str, email: &str) -> Reply {
    let form = json!({
        "amount": "10", "receipt_email": email, "readings": { "single": "12445" }, "form_token": "form-token-email",
    });
    p.call_on(app, Method::POST, "/api/payments", Some(form), Some(cookie)).await
}

async fn the_bill_shows_what_was_paid_since_it_was_posted(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    // The February bills are posted on 5 March.
    bank.advance(p, 18 * 86_400);
    generate(p, "2026-02").await;
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    let bill = p.call_on(&app, Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(bill.body["paid_since_bill"], 0, "{}: {:?}", p.backend, bill.body);

    let started = started(p, &start(p, &app, &cookie, "700,25", "form-token-http-bill").await).await;
    pay_on_page(&started, SUCCESS_CARD).await;
    let order_id = started.payment.order_id.clone().unwrap();
    let back =
        p.call_on(&app, Method::GET, &format!("/api/payments/return?orderId={order_id}"), None, None).await;
    assert_eq!(back.location.as_deref(), Some("/bill.html?payment=paid"), "{}", p.backend);
    let bill = p.call_on(&app, Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(bill.body["paid_since_bill"], 70_025, "{}: {:?}", p.backend, bill.body);
}

/// Starts a payment of `amount` with «Получить чек по электронной почте» ticked, pays it with
/// the success card and comes back from the bank; returns the payment.
async fn paid_with_receipt(
    p: &Portal,
    app: &App,
    cookie: &str,
    amount: &str,
    to: &str,
    token: &str,
) -> Payment {
    let form = json!({
        "amount": amount,
        "receipt_email": to,
        "receipt_mail": true,
        "readings": { "single": "12445" },
        "form_token": token,
    });
    let reply = p.call_on(app, Method::POST, "/api/payments", Some(form), Some(cookie)).await;
    let started = started(p, &reply).await;
    assert!(started.payment.receipt_mail, "{}", p.backend);
    pay_on_page(&started, SUCCESS_CARD).await;
    let order_id = started.payment.order_id.clone().unwrap();
    let back =
        p.call_on(app, Method::GET, &format!("/api/payments/return?orderId={order_id}"), None, None).await;
    assert_eq!(back.location.as_deref(), Some("/bill.html?payment=paid"), "{}", p.backend);
    stored(p, &started.payment).await
}

async fn the_receipt_is_its_customers_alone_and_mailed_once(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    let other = p.logged_in(OTHER.0, OTHER.1).await;
    let to = p.email("receipt");
    let paid = paid_with_receipt(p, &app, &cookie, "100,50", &to, "form-token-receipt-1").await;

    // The list links it; the receipt has every P4 item.
    let rows =
        p.call_on(&app, Method::GET, "/api/payments", None, Some(&cookie)).await.body["payments"].clone();
    assert_eq!(rows[0]["id"], paid.id.as_str(), "{}", p.backend);
    assert_eq!(rows[0]["receipt"], true, "{}", p.backend);
    assert!(rows[0]["date_text"].as_str().unwrap().len() == 10, "{}: {rows}", p.backend);
    let path = format!("/api/payments/receipt?id={}", paid.id);
    let receipt = p.call_on(&app, Method::GET, &path, None, Some(&cookie)).await;
    assert_eq!(receipt.status, 200, "{}: {:?}", p.backend, receipt.body);
    let r = &receipt.body;
    assert_eq!(r["amount"], 10_050);
    assert_eq!(r["amount_text"], "100,50\u{a0}₽");
    assert_eq!(r["id"], paid.id.as_str());
    assert_eq!(r["account"], ACCOUNT);
    assert_eq!(r["address"], ADDRESS);
    assert_eq!(r["readings"], json!({ "single": 12445 }));
    assert_eq!(r["status_label"], "Платеж успешно выполнен");
    let local = paid.paid_at.unwrap().to_zoned(jiff::tz::TimeZone::get("Europe/Moscow").unwrap());
    assert_eq!(r["date_text"], local.strftime("%d.%m.%Y").to_string(), "{}", p.backend);
    assert_eq!(r["time_text"], local.strftime("%H:%M").to_string(), "{}", p.backend);

    let pdf_path = r["pdf_url"].as_str().unwrap().to_owned();
    let pdf = p.call_on(&app, Method::GET, &pdf_path, None, Some(&cookie)).await;
    assert_eq!(pdf.status, 200, "{}", p.backend);
    assert_eq!(pdf.content_type.as_deref(), Some("application/pdf"));
    assert!(pdf.bytes.starts_with(b"%PDF"), "{}", p.backend);

    // Someone else's, nobody's, an unknown id, and an unpaid payment: refused alike.
    for (path, cookie, status) in [
        (path.clone(), Some(other.as_str()), 404),
        (pdf_path.clone(), Some(other.as_str()), 404),
        (path.clone(), None, 401),
        ("/api/payments/receipt?id=0123456789abcdef".to_owned(), Some(cookie.as_str()), 404),
        ("/api/payments/receipt?id=../../etc".to_owned(), Some(cookie.as_str()), 404),
        ("/api/payments/receipt".to_owned(), Some(cookie.as_str()), 404),
    ] {
        let reply = p.call_on(&app, Method::GET, &path, None, cookie).await;
        assert_eq!(reply.status, status, "{}: {path}: {:?}", p.backend, reply.body);
        assert!(reply.body.get("account").is_none(), "{}: {path} leaks the receipt", p.backend);
    }
    let unpaid = started(p, &start(p, &app, &cookie, "10", "form-token-receipt-2").await).await;
    let reply = p
        .call_on(
            &app,
            Method::GET,
            &format!("/api/payments/receipt?id={}", unpaid.payment.id),
            None,
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, 404, "{}: an unpaid payment has no receipt", p.backend);

    // One mail with the PDF; the return and a drain again send nothing more.
    let order_id = paid.order_id.clone().unwrap();
    p.call_on(&app, Method::GET, &format!("/api/payments/return?orderId={order_id}"), None, None).await;
    let drained = app.receipt_mails().drain().await.unwrap();
    assert_eq!(drained.sent, 0, "{}: {drained:?}", p.backend);
    let mails = p.messages_to(&to).await;
    assert_eq!(mails.len(), 1, "{}: {:?}", p.backend, mails.iter().map(|m| &m.subject).collect::<Vec<_>>());
    assert!(mails[0].subject.starts_with("Квитанция об оплате 100,50 ₽"), "{}", mails[0].subject);
    assert!(mails[0].text.contains(&paid.id), "{}: the mail names the payment", p.backend);
    let (name, content_type, bytes) = &mails[0].attachments[0];
    assert_eq!(name, &format!("receipt-{}.pdf", paid.id));
    assert_eq!(content_type, "application/pdf");
    assert!(bytes.starts_with(b"%PDF"));
}

/// A mailer whose first `failures` sends fail as if the service were down.
struct Flaky {
    inner: Arc<dyn Mailer>,
    failures: AtomicU32,
}

#[async_trait::async_trait]
impl Mailer for Flaky {
    async fn send(&self, mail: &svet_domain::Mail) -> Result<String, MailError> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(MailError::Unavailable(anyhow::anyhow!("injected outage")));
        }
        self.inner.send(mail).await
    }
}

async fn a_receipt_mail_waits_out_a_mail_outage(p: &Portal) {
    let bank = Bank::start(p).await;
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    let flaky = Arc::new(Flaky { inner: p.app.mailer.clone(), failures: AtomicU32::new(1) });
    let app = App { mailer: flaky.clone(), ..with_bank(p, &bank) };
    let to = p.email("outage");
    let paid = paid_with_receipt(p, &app, &cookie, "42", &to, "form-token-receipt-3").await;
    // The payment is done although its mail failed.
    assert_eq!(paid.status, PaymentStatus::Paid, "{}", p.backend);
    assert!(p.messages_to(&to).await.is_empty(), "{}", p.backend);

    let drained = app.receipt_mails().drain().await.unwrap();
    assert_eq!(drained.sent, 1, "{}: {drained:?}", p.backend);
    assert_eq!(p.messages_to(&to).await.len(), 1, "{}", p.backend);
    let again = app.receipt_mails().drain().await.unwrap();
    assert_eq!(again, Default::default(), "{}: the queue is empty", p.backend);
}

async fn the_job_settles_a_payment_nobody_came_back_from_and_mails_its_receipt(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    let to = p.email("lost");
    let form = json!({
        "amount": "300", "receipt_email": to, "receipt_mail": true,
        "readings": { "single": "12445" }, "form_token": "form-token-lost-return",
    });
    let started =
        started(p, &p.call_on(&app, Method::POST, "/api/payments", Some(form), Some(&cookie)).await).await;
    pay_on_page(&started, SUCCESS_CARD).await;
    // No return (the customer closed the tab) and no callback (the test simulator sends none).
    let early = svet_api::jobs::reconcile_payments(&app).await.unwrap();
    assert_eq!(early.payments.checked, 0, "{}: not due before the order's lifetime is over", p.backend);
    bank.advance(p, 1200 + 300 + 1);
    let report = svet_api::jobs::reconcile_payments(&app).await.unwrap();
    assert_eq!((report.payments.checked, report.payments.settled), (1, 1), "{}: {report:?}", p.backend);
    assert_eq!(report.receipts.sent, 1, "{}: {report:?}", p.backend);
    assert!(!report.has_failures());
    assert_eq!(stored(p, &started.payment).await.status, PaymentStatus::Paid, "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
    assert_eq!(p.messages_to(&to).await.len(), 1, "{}", p.backend);
    // The next run has nothing to do.
    let next = svet_api::jobs::reconcile_payments(&app).await.unwrap();
    assert_eq!(next, Default::default(), "{}", p.backend);
}

async fn a_bill_counts_the_card_payments_of_its_month_net_of_refunds(p: &Portal) {
    let bank = Bank::start(p).await;
    let app = with_bank(p, &bank);
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    // 15 February: 700,25 ₽ paid, then 100 ₽ of it refunded.
    let to = p.email("balance");
    let paid = paid_with_receipt(p, &app, &cookie, "700,25", &to, "form-token-balance-1").await;
    app.payments().unwrap().refund(&paid.id, Kopecks::new(10_000)).await.unwrap();
    // 5 March: another payment, which belongs to March, then the February bills.
    bank.advance(p, 18 * 86_400);
    let login = json!({ "account": ACCOUNT, "password": "Светлячок-2026" });
    let cookie =
        p.call_on(&app, Method::POST, "/api/login", Some(login), None).await.cookie.expect("a new session");
    paid_with_receipt(p, &app, &cookie, "50", &to, "form-token-balance-2").await;
    generate(p, "2026-02").await;
    let bill = p.call_on(&app, Method::GET, "/api/bill", None, Some(&cookie)).await.body["bill"].clone();
    assert_eq!(bill["period"], "2026-02", "{}", p.backend);
    assert_eq!(bill["payments"], 60_025, "{}: February's payments net of the refund: {bill}", p.backend);
    let (opening, charge) =
        (bill["opening_balance"].as_i64().unwrap(), bill["total_charge"].as_i64().unwrap());
    assert_eq!(bill["closing_balance"].as_i64().unwrap(), opening + charge - 60_025, "{}", p.backend);
}

//! What the logs say during a customer's visit (issue 6, «Observe»): one `request` line per
//! request with its request id, the handlers' lines under the same id, the metrics of the
//! payment, and no personal data anywhere: no e-mail, full account number, address, session
//! token, activation token, password, IP or card number.
//!
//! The logs are captured as the Lambda functions write them (flat JSON lines) into a buffer,
//! by a subscriber scoped to this test's thread: the process-wide subscriber can be set only
//! once, and the other tests run on other threads.

use std::collections::HashSet;
use std::sync::Arc;

use http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};
use svet_api::App;
use svet_domain::AccountNumber;
use svet_domain::payments::{Started, list};

use crate::payments::{Bank, callback, pay_on_page};
use crate::portal::Portal;

const ACCOUNT: &str = "180211111";
const ADDRESS: &str = "г. Калуга, ул. Ленина, д. 12, кв. 5";
const PASSWORD: &str = "Светлячок-2026";
const CARD: (&str, &str, &str) = ("2202205000012424", "05/28", "649");

fn request_lines(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["message"] == "request").collect()
}

#[tokio::test]
async fn a_customers_visit_logs_request_ids_and_no_personal_data() {
    let p = Portal::sqlite().await;
    let (logs, _guard) = svet_api::observe::capture_json("debug");
    let bank = Bank::start(&p).await;
    let app = App { payments: Some(Arc::new(bank.gateway.clone())), ..p.app.clone() };
    let email = p.email(&format!("user{ACCOUNT}"));
    let mut requests = 0;

    // Register and activate (two requests), then log in again.
    let cookie = p.logged_in(ACCOUNT, ADDRESS).await;
    requests += 2;
    let login = p.post("/api/login", json!({ "account": ACCOUNT, "password": PASSWORD })).await;
    requests += 1;
    assert_eq!(login.status, 200, "{:?}", login.body);
    let cookie2 = login.cookie.expect("a session");
    // The meter's page.
    let meter = p.call(Method::GET, "/api/readings", None, Some(&cookie)).await;
    requests += 1;
    assert_eq!(meter.status, 200, "{:?}", meter.body);
    // A form whose field has the wrong type: serde's message would quote the e-mail.
    let bad = json!({ "amount": "100", "receipt_email": email, "receipt_mail": email, "form_token": "form-token-log-0" });
    let r = p.call_on(&app, Method::POST, "/api/payments", Some(bad), Some(&cookie2)).await;
    requests += 1;
    assert_eq!(r.status, 400, "{:?}", r.body);

    // A payment with the readings: started, paid on the bank's page, confirmed by the return.
    let form = json!({
        "amount": "1 234,56", "receipt_email": email, "receipt_mail": true,
        "readings": { "single": "12445" }, "form_token": "form-token-log-1",
    });
    let reply = p.call_on(&app, Method::POST, "/api/payments", Some(form), Some(&cookie2)).await;
    requests += 1;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let id = reply.body["payment"].as_str().unwrap().to_owned();
    let account = AccountNumber::parse(ACCOUNT).unwrap();
    let all =
        list(p.app.store.as_ref(), &account, Timestamp::UNIX_EPOCH, "2100-01-01T00:00:00Z".parse().unwrap())
            .await
            .unwrap();
    let payment = all.into_iter().find(|x| x.id == id).expect("stored");
    let started =
        Started { payment: payment.clone(), form_url: reply.body["form_url"].as_str().unwrap().into() };
    pay_on_page(&started, CARD).await;
    let order_id = payment.order_id.clone().unwrap();
    let back =
        p.call_on(&app, Method::GET, &format!("/api/payments/return?orderId={order_id}"), None, None).await;
    requests += 1;
    assert_eq!(back.location.as_deref(), Some("/bill.html?payment=paid"));
    // A forged callback, then the real one (nothing left to credit).
    let mut forged = callback(&payment, "deposited", "1");
    forged.last_mut().unwrap().1 = "0".repeat(64);
    let query = |params: &[(String, String)]| {
        params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    };
    let r =
        p.call_on(&app, Method::GET, &format!("/api/sberbank/callback?{}", query(&forged)), None, None).await;
    requests += 1;
    assert_eq!(r.status, 400);
    let real = callback(&payment, "deposited", "1");
    let r =
        p.call_on(&app, Method::GET, &format!("/api/sberbank/callback?{}", query(&real)), None, None).await;
    requests += 1;
    assert_eq!(r.status, 200);
    // The list, and a request straight through dispatch to see the id come back.
    let list = p.call_on(&app, Method::GET, "/api/payments", None, Some(&cookie2)).await;
    requests += 1;
    assert_eq!(list.status, 200);
    let (route, _) = svet_api::find(svet_api::routes::ROUTES, &Method::GET, "/api/health").unwrap();
    let health = svet_api::dispatch(
        &app,
        route,
        http::Request::builder().uri("/api/health").body(lambda_http::Body::Empty).unwrap(),
    )
    .await;
    requests += 1;
    let health_id = health.headers()["x-request-id"].to_str().unwrap().to_owned();

    let text = logs.text();
    let lines = logs.lines();
    assert_eq!(lines.len(), text.lines().count(), "every line is one JSON object:\n{text}");

    // One request line per request, each with its own id, the route's function and the rest.
    let requested = request_lines(&lines);
    assert_eq!(requested.len(), requests, "{text}");
    let ids: HashSet<&str> =
        requested.iter().map(|l| l["request_id"].as_str().expect("a request id")).collect();
    assert_eq!(ids.len(), requests, "ids are unique: {text}");
    for line in &requested {
        assert!(line["route"].as_str().is_some_and(|r| !r.is_empty() && !r.contains('/')), "{line}");
        assert!(
            line["method"].is_string() && line["status"].is_u64() && line["latency_ms"].is_u64(),
            "{line}"
        );
        assert_eq!(line["level"], "INFO");
    }
    assert!(ids.contains(health_id.as_str()), "x-request-id {health_id} is the logged id");
    let routes: Vec<&str> = requested.iter().map(|l| l["route"].as_str().unwrap()).collect();
    for route in [
        "register",
        "activate",
        "login",
        "readings-list",
        "payments-start",
        "payments-return",
        "sberbank-callback",
    ] {
        assert!(routes.contains(&route), "{route} in {routes:?}");
    }

    // The handlers' own lines carry the id of their request.
    let refused = lines
        .iter()
        .find(|l| l["message"] == "a callback was refused")
        .expect("the forged callback is logged");
    assert!(refused["request_id"].as_str().is_some_and(|id| ids.contains(id)), "{refused}");
    let bad_form =
        lines.iter().find(|l| l["message"] == "a form body did not parse").expect("the bad form is logged");
    assert!(bad_form["request_id"].as_str().is_some_and(|id| ids.contains(id)), "{bad_form}");

    // The payment's counters: started, credited once, one callback refused, a receipt mailed.
    let metrics: Vec<&str> =
        lines.iter().filter(|l| l["message"] == "metrics").filter_map(|l| l["metrics"].as_str()).collect();
    let count =
        |name: &str| metrics.iter().filter(|m| m.split(' ').any(|kv| kv == format!("{name}=1"))).count();
    assert_eq!(count("PaymentsStarted"), 1, "{metrics:?}");
    assert_eq!(count("PaymentsCredited"), 1, "credited once, by the return: {metrics:?}");
    assert_eq!(count("CallbacksRefused"), 1, "{metrics:?}");
    assert_eq!(count("MailsSent"), 1, "the receipt: {metrics:?}");

    // No personal data: not the e-mail, the full account number, the address, the password,
    // the session or activation tokens, the client's IP or the card.
    let token = p.last_token(&email, "activate.html").await;
    for (what, secret) in [
        ("e-mail", email.as_str()),
        ("e-mail domain", "@list.ru"),
        ("account number", ACCOUNT),
        ("street", "Ленина"),
        ("town", "Калуга"),
        ("password", PASSWORD),
        ("session", cookie.as_str()),
        ("session", cookie2.as_str()),
        ("activation token", token.as_str()),
        ("IP", "192.0.2.7"),
        ("card", CARD.0),
    ] {
        assert!(!text.contains(secret), "the log has the {what} {secret:?}:\n{text}");
    }
}

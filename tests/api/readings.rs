//! Readings-only submissions (B3–B5, B11, P5) through the handlers on both stores: sized to
//! the meter, never below the last accepted reading, a jump above 5× the usual month asks
//! first, day and night separately, none without a meter.

use http::Method;
use serde_json::{Value, json};

use crate::portal::{ORIGIN, Portal, Reply, on_both_portals};

on_both_portals!(
    single_rate_readings_are_checked_and_kept,
    a_jump_asks_before_it_is_accepted,
    day_night_meters_have_two_fields_and_no_meter_none,
);

const LENINA: &str = "г. Калуга, ул. Ленина, д. 12, кв. 5";

async fn send(p: &Portal, cookie: &str, body: Value) -> Reply {
    p.call(Method::POST, "/api/readings", Some(body), Some(cookie)).await
}

async fn single_rate_readings_are_checked_and_kept(p: &Portal) {
    let cookie = p.logged_in("180211111", LENINA).await;
    let meter = p.call(Method::GET, "/api/readings", None, Some(&cookie)).await;
    assert_eq!(meter.body["meter"], json!({ "kind": "single", "digits": 5, "registry_reading": 12345 }));

    let cases = [
        ("123456", "5"),
        ("12400,5", "цел"),
        ("12000", "(4842) 701-838"),
        ("12О00", "букв"),
        ("", "Введите"),
    ];
    for (typed, words) in cases {
        let r = send(p, &cookie, json!({ "single": typed })).await;
        let message = r.body["fields"]["single"].as_str().unwrap_or_default();
        assert_eq!(r.status, 400, "{}: {typed:?}: {:?}", p.backend, r.body);
        assert!(message.contains(words), "{typed:?}: {message}");
    }
    let r = send(p, &cookie, json!({ "single": "12400" })).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        (r.body["period"].as_str(), r.body["status_label"].as_str()),
        (Some("2026-02"), Some("Приняты"))
    );
    assert_eq!(r.body["source_label"], "Личный кабинет");
    assert_eq!(send(p, &cookie, json!({ "single": "12400" })).await.status, 409, "twice at the same moment");
    // The same values a minute later (the answer was lost, or a second tap): already there.
    p.advance(60);
    let again = send(p, &cookie, json!({ "single": "12400" })).await;
    assert_eq!((again.status, again.body["error"].as_str()), (409, Some("twice")), "{:?}", again.body);

    // A typo corrected before the cut-off: the later reading replaces it, history kept.
    p.advance(600);
    assert_eq!(
        send(p, &cookie, json!({ "single": "12390" })).await.status,
        201,
        "lower than the typo is fine"
    );
    let history = p.call(Method::GET, "/api/readings", None, Some(&cookie)).await.body["readings"].clone();
    let values: Vec<&Value> = history.as_array().unwrap().iter().map(|r| &r["registers"]["single"]).collect();
    assert_eq!(values, [&json!(12390), &json!(12400)], "newest first, both kept, the repeat not stored");
    let rows = p.call(Method::GET, "/api/payments", None, Some(&cookie)).await.body["payments"].clone();
    assert_eq!(rows.as_array().map(Vec::len), Some(2), "one «без оплаты» row per stored reading: {rows:?}");

    let stranger = p
        .send(
            Method::POST,
            "/api/readings",
            Some(json!({ "single": "12500" }).to_string()),
            Some(&cookie),
            Some("https://evil.example"),
            "application/json",
        )
        .await;
    assert_eq!(stranger.status, 403);
    assert_eq!(
        p.call(Method::POST, "/api/readings", Some(json!({ "single": "12500" })), None).await.status,
        401
    );
    let _ = ORIGIN;
}

async fn a_jump_asks_before_it_is_accepted(p: &Portal) {
    let mut cookie = p.logged_in("180211111", LENINA).await;
    let login = json!({ "account": "180211111", "password": "Светлячок-2026" });
    // Three months of about 100 kWh: 15 Feb, 15 Mar, 15 Apr (logging in again each month).
    for value in ["12445", "12545", "12645"] {
        assert_eq!(send(p, &cookie, json!({ "single": value })).await.status, 201);
        p.advance(29 * 86_400);
        cookie = p.post("/api/login", login.clone()).await.cookie.expect("logged in again");
    }
    let jump = send(p, &cookie, json!({ "single": "13300" })).await;
    assert_eq!(
        (jump.status, jump.body["error"].as_str()),
        (409, Some("confirm")),
        "{}: {:?}",
        p.backend,
        jump.body
    );
    assert!(jump.body["fields"]["single"].as_str().unwrap().contains("Вы уверены?"), "{:?}", jump.body);
    let confirmed = send(p, &cookie, json!({ "single": "13300", "confirm": true })).await;
    assert_eq!(confirmed.status, 201, "{:?}", confirmed.body);
}

async fn day_night_meters_have_two_fields_and_no_meter_none(p: &Portal) {
    let cookie = p.logged_in("180211112", "г. Калуга, ул. Кирова, д. 3, кв. 41").await;
    let r = send(p, &cookie, json!({ "day": "23500" })).await;
    assert_eq!((r.status, r.body["fields"]["night"].is_string()), (400, true), "{:?}", r.body);
    let r = send(p, &cookie, json!({ "day": "23500", "night": "10200" })).await;
    assert_eq!(r.status, 400, "night below its last reading");
    assert!(r.body["fields"]["night"].as_str().unwrap().contains("701-838"), "{:?}", r.body);
    let r = send(p, &cookie, json!({ "day": "23500", "night": "10300" })).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["registers"], json!({ "day": 23500, "night": 10300 }));

    let none =
        p.logged_in("180211113", "Калужская обл., Дзержинский р-н, д. Галкино, ул. Садовая, д. 7").await;
    let r = send(p, &none, json!({ "single": "1" })).await;
    assert_eq!((r.status, r.body["error"].as_str()), (400, Some("no_meter")));
    let meter = p.call(Method::GET, "/api/readings", None, Some(&none)).await;
    assert_eq!(meter.body["meter"]["kind"], "none");
}

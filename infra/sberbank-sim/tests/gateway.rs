//! The REST methods and the payment page over real HTTP, against the standalone server.

mod support;

use jiff::SignedDuration;
use support::{Bank, location, start, with_auth};
use svet_sberbank_sim::Config;

const SUCCESS: (&str, &str, &str) = ("2202 2050 0001 2424", "05/28", "649");
const CHALLENGE: (&str, &str, &str) = ("4006800900962514", "05/26", "941");
const NO_FUNDS: (&str, &str, &str) = ("2202205000060910", "06/28", "810");
const EXPIRED: (&str, &str, &str) = ("2202202107593166", "06/22", "123");

async fn pay(bank: &Bank, id: &str, card: (&str, &str, &str)) -> reqwest::Response {
    bank.pay(id, card.0, card.1, card.2).await
}

#[tokio::test]
async fn register_pay_and_refund_in_parts() {
    let bank = start(Config::default()).await;
    let (id, form_url) = bank.register("svet-1", "12345", &[("description", "Электроэнергия")]).await;
    assert_eq!(id.len(), 36);
    assert!(form_url.starts_with(&bank.url) && form_url.ends_with(&format!("?mdOrder={id}")), "{form_url}");

    // GIVEN a registered order, the bank reports it unpaid.
    let status = bank.status(&id).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(0), Some(-100)));
    assert_eq!((status["amount"].as_i64(), status["currency"].as_str()), (Some(12345), Some("643")));
    assert_eq!(status["orderNumber"], "svet-1");
    assert_eq!(status["attributes"][0]["value"], id.as_str());

    // The payment page, in Russian, with the three fields and the button.
    let (code, page) = bank.page(&form_url).await;
    assert_eq!(code, 200);
    for text in [
        r#"<label for="pan">Номер карты</label>"#,
        r#"<label for="expiry">Срок действия</label>"#,
        r#"<label for="cvc">CVC</label>"#,
        "Оплатить картой",
        "123,45\u{a0}₽",
        "Электроэнергия",
    ] {
        assert!(page.contains(text), "{text} missing in {page}");
    }
    assert!(!page.contains("http://") && !page.contains("https://"), "nothing external");

    // WHEN the customer pays with the frictionless success card.
    let done = pay(&bank, &id, SUCCESS).await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), format!("https://shop.example/paid?x=1&orderId={id}"));

    // THEN the order is deposited, with the card's details.
    let status = bank.status(&id).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(2), Some(0)));
    assert_eq!(status["cardAuthInfo"]["maskedPan"], "220220**2424");
    assert_eq!(status["cardAuthInfo"]["pan"], "220220**2424");
    assert_eq!(status["cardAuthInfo"]["expiration"], "202805");
    assert_eq!(status["cardAuthInfo"]["paymentSystem"], "MIR");
    assert_eq!(status["paymentAmountInfo"]["paymentState"], "DEPOSITED");
    assert_eq!(status["paymentAmountInfo"]["depositedAmount"], 12345);
    let (code, page) = bank.page(&form_url).await;
    assert_eq!(code, 200);
    assert!(page.contains("Заказ уже оплачен"));
    assert_eq!(pay(&bank, &id, SUCCESS).await.status(), 200, "a paid order takes no second card");

    // Refunds: partial, the rest, then nothing more.
    assert_eq!(
        refund(&bank, &id, "2345").await,
        serde_json::json!({"errorCode": "0", "errorMessage": "Успешно"})
    );
    let status = bank.status(&id).await;
    assert_eq!(status["orderStatus"], 4);
    assert_eq!(status["paymentAmountInfo"]["refundedAmount"], 2345);
    assert_eq!(refund(&bank, &id, "10001").await["errorCode"], "7", "above deposited − refunded");
    assert_eq!(refund(&bank, &id, "10000").await["errorCode"], "0");
    assert_eq!(bank.status(&id).await["paymentAmountInfo"]["refundedAmount"], 12345);
    assert_eq!(refund(&bank, &id, "1").await["errorCode"], "7");
    assert_eq!(refund(&bank, &id, "0").await["errorCode"], "4");
    assert_eq!(refund(&bank, &id, "-5").await["errorCode"], "4");
}

async fn refund(bank: &Bank, id: &str, amount: &str) -> serde_json::Value {
    bank.call("refund.do", &with_auth(&[("orderId", id), ("amount", amount)])).await
}

#[tokio::test]
async fn register_errors_carry_the_banks_codes() {
    let bank = start(Config::default()).await;
    bank.register("dup-1", "100", &[]).await;
    let base = [("returnUrl", "https://shop.example/r")];
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("userName", "svet-api"), ("password", "wrong"), ("orderNumber", "a1"), ("amount", "100")], "5"),
        (&[("userName", "nobody"), ("password", "svet"), ("orderNumber", "a1"), ("amount", "100")], "5"),
        (&[("userName", "svet-api"), ("orderNumber", "a1"), ("amount", "100")], "4"),
        (&[("userName", "svet-api"), ("password", "svet"), ("orderNumber", "dup-1"), ("amount", "100")], "1"),
        (&[("userName", "svet-api"), ("password", "svet"), ("amount", "100")], "4"),
        (&[("userName", "svet-api"), ("password", "svet"), ("orderNumber", "a1"), ("amount", "0")], "4"),
        (&[("userName", "svet-api"), ("password", "svet"), ("orderNumber", "a1"), ("amount", "-100")], "4"),
        (&[("userName", "svet-api"), ("password", "svet"), ("orderNumber", "a1"), ("amount", "1.50")], "4"),
        (&[("userName", "svet-api"), ("password", "svet"), ("orderNumber", "a1")], "4"),
        (
            &[
                ("userName", "svet-api"),
                ("password", "svet"),
                ("orderNumber", "a1"),
                ("amount", "100"),
                ("currency", "840"),
            ],
            "3",
        ),
        (
            &[
                ("userName", "svet-api"),
                ("password", "svet"),
                ("orderNumber", "a1"),
                ("amount", "100"),
                ("features", "BOGUS"),
            ],
            "14",
        ),
        (
            &[
                ("userName", "svet-api"),
                ("password", "svet"),
                ("orderNumber", "a1"),
                ("amount", "100"),
                ("jsonParams", "{oops"),
            ],
            "5",
        ),
        (
            &[
                ("userName", "svet-api"),
                ("password", "svet"),
                ("orderNumber", "a1"),
                ("amount", "100"),
                ("sessionTimeoutSecs", "-1"),
            ],
            "5",
        ),
    ];
    for (fields, code) in cases {
        let mut form = fields.to_vec();
        form.extend_from_slice(&base);
        let reply = bank.call("register.do", &form).await;
        assert_eq!(reply["errorCode"], *code, "{fields:?} → {reply}");
        assert!(reply["errorMessage"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(reply.get("orderId").is_none());
    }
    let no_return = with_auth(&[("orderNumber", "a2"), ("amount", "100")]);
    assert_eq!(bank.call("register.do", &no_return).await["errorCode"], "4");
    // The numbers refused above are still free.
    bank.register("a1", "100", &[]).await;
}

#[tokio::test]
async fn the_cart_must_add_up_to_the_amount() {
    let bank = start(Config::default()).await;
    let bundle = |amount: i64| {
        serde_json::json!({"customerDetails": {"email": "ivanov@example.ru"}, "cartItems": {"items": [{
            "positionId": "1", "name": "Электроэнергия, л/с 180211111, 2026-02", "quantity": {"value": 1, "measure": "шт"},
            "itemAmount": amount, "itemPrice": amount, "itemCode": "180211111-2026-02", "tax": {"taxType": 6}}]}})
        .to_string()
    };
    let wrong = with_auth(&[("orderNumber", "c1"), ("amount", "10000"), ("returnUrl", "https://s/r")]);
    let mut wrong = wrong;
    let wrong_bundle = bundle(9999);
    wrong.push(("orderBundle", &wrong_bundle));
    assert_eq!(bank.call("register.do", &wrong).await["errorCode"], "8");
    let right_bundle = bundle(10000);
    let (id, _) = bank
        .register(
            "c1",
            "10000",
            &[("orderBundle", &right_bundle), ("jsonParams", r#"{"account":"180211111"}"#)],
        )
        .await;
    let status = bank.status(&id).await;
    assert_eq!(status["orderBundle"]["customerDetails"]["email"], "ivanov@example.ru");
    assert_eq!(status["merchantOrderParams"], serde_json::json!([{"name": "account", "value": "180211111"}]));
}

#[tokio::test]
async fn status_by_order_number_and_unknown_orders() {
    let bank = start(Config::default()).await;
    let (id, _) = bank.register("n-1", "500", &[]).await;
    let by_number = bank.call("getOrderStatusExtended.do", &with_auth(&[("orderNumber", "n-1")])).await;
    assert_eq!(by_number["attributes"][0]["value"], id.as_str());
    let unknown = "00000000-0000-4000-8000-000000000000";
    for (method, form) in [
        ("getOrderStatusExtended.do", with_auth(&[("orderId", unknown)])),
        ("getOrderStatusExtended.do", with_auth(&[("orderNumber", "n-2")])),
        ("refund.do", with_auth(&[("orderId", unknown), ("amount", "100")])),
        ("reverse.do", with_auth(&[("orderId", unknown)])),
    ] {
        assert_eq!(bank.call(method, &form).await["errorCode"], "6", "{method} {form:?}");
    }
    let wrong = bank
        .call("getOrderStatusExtended.do", &[("userName", "svet-api"), ("password", "x"), ("orderId", &id)])
        .await;
    assert_eq!(wrong["errorCode"], "5");
    let legacy = bank.call("getOrderStatus.do", &with_auth(&[("orderId", &id)])).await;
    assert_eq!(
        (legacy["ErrorCode"].as_str(), legacy["OrderStatus"].as_i64(), legacy["Amount"].as_i64()),
        (Some("0"), Some(0), Some(500))
    );
    // Refund of an unpaid order.
    assert_eq!(
        bank.call("refund.do", &with_auth(&[("orderId", &id), ("amount", "100")])).await["errorCode"],
        "7"
    );
    let missing = bank.http.get(format!("{}/payment/rest/nothing.do", bank.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn get_query_and_json_bodies_are_accepted_too() {
    let bank = start(Config::default()).await;
    let url = format!(
        "{}/payment/rest/register.do?userName=svet-api&password=svet&orderNumber=g1&amount=700&returnUrl=https%3A%2F%2Fs%2Fr",
        bank.url
    );
    let reply: serde_json::Value = bank.http.get(url).send().await.unwrap().json().await.unwrap();
    assert!(reply["orderId"].is_string(), "{reply}");
    let body = serde_json::json!({"userName": "svet-api", "password": "svet", "orderNumber": "j1", "amount": 800,
        "returnUrl": "https://s/r", "jsonParams": {"a": "b"}});
    let reply: serde_json::Value = bank
        .http
        .post(format!("{}/payment/rest/register.do", bank.url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = reply["orderId"].as_str().unwrap();
    assert_eq!(bank.status(id).await["merchantOrderParams"][0]["value"], "b");
}

#[tokio::test]
async fn three_d_secure_challenge_then_success_or_failure() {
    let bank = start(Config::default()).await;
    let (id, _) = bank.register("3ds-1", "5000", &[("failUrl", "https://shop.example/failed")]).await;
    let challenge = pay(&bank, &id, CHALLENGE).await;
    assert_eq!(bank.status(&id).await["orderStatus"], 5, "ACS authentication in progress");
    let done = bank.confirm(challenge, "111111").await;
    assert_eq!(location(&done), format!("https://shop.example/paid?x=1&orderId={id}"));
    assert_eq!(bank.status(&id).await["orderStatus"], 2);

    let (id, _) = bank.register("3ds-2", "5000", &[("failUrl", "https://shop.example/failed")]).await;
    let done = bank.confirm(pay(&bank, &id, CHALLENGE).await, "000000").await;
    assert_eq!(location(&done), format!("https://shop.example/failed?orderId={id}"));
    let status = bank.status(&id).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(6), Some(-2006)));
}

#[tokio::test]
async fn declines_insufficient_funds_and_expired_card() {
    let bank = start(Config::default()).await;
    let (id, _) = bank.register("d-1", "5000", &[]).await;
    let done = bank.confirm(pay(&bank, &id, NO_FUNDS).await, "111111").await;
    assert_eq!(
        location(&done),
        format!("https://shop.example/paid?x=1&orderId={id}"),
        "no failUrl: returnUrl"
    );
    let status = bank.status(&id).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(6), Some(116)));
    assert_eq!(status["paymentAmountInfo"]["paymentState"], "DECLINED");

    let (id, _) = bank.register("d-2", "5000", &[]).await;
    assert_eq!(pay(&bank, &id, EXPIRED).await.status(), 303);
    let status = bank.status(&id).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(6), Some(101)));

    // The 100 ₽ balance card pays 100 ₽ but not 100,01 ₽.
    let (id, _) = bank.register("d-3", "10001", &[]).await;
    bank.confirm(bank.pay(&id, "2202205300068092", "05/26", "583").await, "111111").await;
    assert_eq!(bank.status(&id).await["actionCode"], 116);
    let (id, _) = bank.register("d-4", "10000", &[]).await;
    bank.confirm(bank.pay(&id, "2202205300068092", "05/26", "583").await, "111111").await;
    assert_eq!(bank.status(&id).await["orderStatus"], 2);
}

#[tokio::test]
async fn three_failed_attempts_close_the_order_and_a_retry_may_succeed_before() {
    let bank = start(Config::default()).await;
    let (id, form_url) = bank.register("att-1", "5000", &[]).await;
    pay(&bank, &id, EXPIRED).await;
    pay(&bank, &id, EXPIRED).await;
    let (_, page) = bank.page(&form_url).await;
    assert!(page.contains("Осталось попыток: 1") && page.contains("Истек срок действия карты"), "{page}");
    pay(&bank, &id, EXPIRED).await;
    let status = bank.status(&id).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(6), Some(-2013)));
    let fourth = pay(&bank, &id, SUCCESS).await;
    assert_eq!(fourth.status(), 200);
    assert!(fourth.text().await.unwrap().contains("Исчерпаны попытки оплаты"));
    assert_eq!(bank.status(&id).await["orderStatus"], 6);

    let (id, _) = bank.register("att-2", "5000", &[]).await;
    pay(&bank, &id, EXPIRED).await;
    pay(&bank, &id, SUCCESS).await;
    assert_eq!(bank.status(&id).await["orderStatus"], 2);
}

#[tokio::test]
async fn malformed_card_fields_are_not_an_attempt() {
    let bank = start(Config::default()).await;
    let (id, _) = bank.register("m-1", "5000", &[]).await;
    let reply = bank.pay(&id, "4111 1111 1111 1112", "12/30", "123").await;
    assert_eq!(reply.status(), 422);
    let page = reply.text().await.unwrap();
    assert!(
        page.contains(r#"role="alert""#)
            && page.contains("Проверьте номер карты")
            && page.contains("Осталось попыток: 3"),
        "{page}"
    );
    assert_eq!(bank.status(&id).await["actionCode"], -100);
}

#[tokio::test]
async fn orders_expire_after_their_lifetime() {
    let bank = start(Config::default()).await;
    let (id, form_url) = bank.register("e-1", "5000", &[]).await;
    let (short, _) = bank.register("e-2", "5000", &[("sessionTimeoutSecs", "60")]).await;
    bank.clock.advance(SignedDuration::from_secs(61));
    assert_eq!(bank.status(&id).await["orderStatus"], 0);
    let status = bank.status(&short).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(6), Some(-2007)));

    bank.clock.advance(SignedDuration::from_secs(1200 - 61));
    let status = bank.status(&id).await;
    assert_eq!((status["orderStatus"].as_i64(), status["actionCode"].as_i64()), (Some(6), Some(-2007)));
    let (_, page) = bank.page(&form_url).await;
    assert!(page.contains("Время на оплату заказа истекло"));
    assert_eq!(pay(&bank, &id, SUCCESS).await.status(), 200);
    assert_eq!(bank.status(&id).await["orderStatus"], 6);

    // expirationDate is Moscow time and wins over sessionTimeoutSecs.
    let (id, _) = bank
        .register("e-3", "5000", &[("expirationDate", "2026-03-10T13:00:00"), ("sessionTimeoutSecs", "60")])
        .await;
    bank.clock.advance(SignedDuration::from_secs(100));
    assert_eq!(bank.status(&id).await["orderStatus"], 0);
}

#[tokio::test]
async fn reverse_same_day_and_two_stage_payments() {
    let bank = start(Config::default()).await;
    let (id, _) = bank.register("r-1", "5000", &[]).await;
    assert_eq!(
        bank.call("reverse.do", &with_auth(&[("orderId", &id)])).await["errorCode"],
        "5",
        "nothing to reverse"
    );
    pay(&bank, &id, SUCCESS).await;
    assert_eq!(bank.call("reverse.do", &with_auth(&[("orderId", &id)])).await["errorCode"], "0");
    assert_eq!(bank.status(&id).await["orderStatus"], 3);

    let (id, _) = bank.register("r-2", "5000", &[]).await;
    pay(&bank, &id, SUCCESS).await;
    bank.clock.advance(SignedDuration::from_hours(24));
    assert_eq!(
        bank.call("reverse.do", &with_auth(&[("orderId", &id)])).await["errorCode"],
        "5",
        "the next day: refund only"
    );

    let form = with_auth(&[("orderNumber", "h-1"), ("amount", "5000"), ("returnUrl", "https://s/r")]);
    let id = bank.call("registerPreAuth.do", &form).await["orderId"].as_str().unwrap().to_owned();
    pay(&bank, &id, SUCCESS).await;
    let status = bank.status(&id).await;
    assert_eq!(
        (status["orderStatus"].as_i64(), status["paymentAmountInfo"]["approvedAmount"].as_i64()),
        (Some(1), Some(5000))
    );
    assert_eq!(
        bank.call("deposit.do", &with_auth(&[("orderId", &id), ("amount", "5001")])).await["errorCode"],
        "5"
    );
    assert_eq!(
        bank.call("deposit.do", &with_auth(&[("orderId", &id), ("amount", "4000")])).await["errorCode"],
        "0"
    );
    let status = bank.status(&id).await;
    assert_eq!(
        (status["orderStatus"].as_i64(), status["paymentAmountInfo"]["depositedAmount"].as_i64()),
        (Some(2), Some(4000))
    );
    assert_eq!(
        bank.call("deposit.do", &with_auth(&[("orderId", &id), ("amount", "0")])).await["errorCode"],
        "7"
    );
}

#[tokio::test]
async fn a_token_replaces_login_and_password() {
    let mut config = Config::default();
    config.merchants[0].token = Some("test-token".into());
    let bank = start(config).await;
    let form =
        [("token", "test-token"), ("orderNumber", "t1"), ("amount", "100"), ("returnUrl", "https://s/r")];
    assert!(bank.call("register.do", &form).await["orderId"].is_string());
    let form = [("token", "other"), ("orderNumber", "t2"), ("amount", "100"), ("returnUrl", "https://s/r")];
    assert_eq!(bank.call("register.do", &form).await["errorCode"], "5");
}

#[tokio::test]
async fn mounted_under_a_prefix_it_keeps_the_banks_paths() {
    let sim = svet_sberbank_sim::Simulator::new(Config::default());
    let body = "userName=svet-api&password=svet&orderNumber=p1&amount=100&returnUrl=https%3A%2F%2Fs%2Fr";
    let request = http::Request::post("/sim/sberbank/payment/rest/register.do")
        .header("host", "127.0.0.1:8080")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(bytes::Bytes::from(body))
        .unwrap();
    let reply = sim.handle("/sim/sberbank/", request).await;
    assert_eq!(reply.headers()["content-type"], "application/json;charset=UTF-8");
    let reply: serde_json::Value = serde_json::from_slice(reply.body()).unwrap();
    let form_url = reply["formUrl"].as_str().unwrap();
    assert!(form_url.starts_with("http://127.0.0.1:8080/sim/sberbank/payment/merchants/"), "{form_url}");
    let page_path = form_url.strip_prefix("http://127.0.0.1:8080").unwrap();
    let page =
        sim.handle("/sim/sberbank", http::Request::get(page_path).body(bytes::Bytes::new()).unwrap()).await;
    let html = String::from_utf8(page.body().to_vec()).unwrap();
    assert!(
        html.contains(r#"action="/sim/sberbank/payment/merchants/"#)
            && html.contains(r#"href="/sim/sberbank/payment/sim.css""#)
    );
    let css = sim
        .handle(
            "/sim/sberbank",
            http::Request::get("/sim/sberbank/payment/sim.css").body(bytes::Bytes::new()).unwrap(),
        )
        .await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let outside = sim
        .handle(
            "/sim/sberbank",
            http::Request::get("/payment/rest/register.do").body(bytes::Bytes::new()).unwrap(),
        )
        .await;
    assert_eq!(outside.status(), 404);
}

#[tokio::test]
async fn the_binary_serves_on_the_port_it_prints() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sberbank-sim"))
        .args(["--port", "0", "--password", "other"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().unwrap();
    let url = line.split_whitespace().last().unwrap().trim_end_matches("/payment/rest/").to_owned();
    let form = [
        ("userName", "svet-api"),
        ("password", "other"),
        ("orderNumber", "b1"),
        ("amount", "100"),
        ("returnUrl", "https://s/r"),
    ];
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/payment/rest/register.do"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(reply["formUrl"].as_str().unwrap().starts_with(&url), "{reply}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn control_paths_move_time_and_set_faults() {
    let bank = start(Config::default()).await;
    let (id, _) = bank.register("ctl-1", "100", &[]).await;
    let advance = bank
        .http
        .post(format!("{}/sim/advance", bank.url))
        .form(&[("seconds", "1200")])
        .send()
        .await
        .unwrap();
    let now: serde_json::Value = advance.json().await.unwrap();
    assert_eq!(now["now"], "2026-03-10T09:20:00Z");
    assert_eq!(bank.status(&id).await["actionCode"], -2007);

    let form = [("drop_percent", "30"), ("duplicates", "2"), ("reorder", "1")];
    let faults: serde_json::Value = bank
        .http
        .post(format!("{}/sim/faults", bank.url))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        faults,
        serde_json::json!({"drop_percent": 30, "delay_ms": 0, "duplicates": 2, "reorder": true, "reorder_hold_ms": 1000})
    );
    let log: serde_json::Value =
        bank.http.get(format!("{}/sim/callbacks", bank.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(log, serde_json::json!([]), "no callback URL configured");
}

//! The client against the gateway simulator (`infra/sberbank-sim`) over real HTTP: every
//! method, every error code the client can provoke, payments made on the simulator's payment
//! page with the bank's test cards, order expiry on the simulator's clock, and signed callbacks
//! verified with [`CallbackKey`].
//!
//! Error codes 3, 4, 8 and 14 cannot be provoked through the client: it always sends the
//! currency, every mandatory field, a cart built from the order's amount and no `features`.
//! Their mapping is tested against the fixture server (`fixture_gateway.rs`).

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jiff::{SignedDuration, Timestamp};
use svet_domain::Kopecks;
use svet_sberbank::{
    CallbackKey, CallbackOperation, Client, Credentials, Error, GatewayErrorCode, OrderId, OrderNumber,
    OrderRef, OrderStatus, PaymentState, Registered, Secret, Url,
};
use svet_sberbank_sim::{Config, ManualClock, Simulator, TEST_CALLBACK_KEY};
use tokio::net::TcpListener;

/// A simulator on a free loopback port, on a manual clock.
struct Bank {
    base: String,
    clock: Arc<ManualClock>,
}

impl Bank {
    async fn start(config: Config) -> Bank {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the simulator cannot get a port");
        let address = listener.local_addr().unwrap();
        let clock = Arc::new(ManualClock::new(Timestamp::now()));
        let simulator = Arc::new(Simulator::with_clock(config, clock.clone()));
        tokio::spawn(async move {
            svet_sberbank_sim::server::serve(listener, simulator).await.expect("the simulator stopped");
        });
        let bank = Bank { base: format!("http://{address}/payment/rest/"), clock };
        // Fail loudly here rather than in every test if the simulator does not answer.
        let unknown = OrderId::parse("00000000-0000-0000-0000-000000000000").unwrap();
        match bank.client().order_status(OrderRef::Id(&unknown)).await {
            Err(Error::Gateway { code: GatewayErrorCode::UnknownOrder, .. }) => {}
            other => panic!("the simulator at {address} does not answer as the bank: {other:?}"),
        }
        bank
    }

    fn client(&self) -> Client {
        common::client(&self.base)
    }

    async fn register(&self, amount: i64) -> Registered {
        self.client().register(&common::order(amount)).await.expect("register.do")
    }

    /// Pays on the simulator's payment page as a customer would, answering the 3-D Secure step
    /// with the test code when the card asks for it. Returns whether it asked.
    async fn pay(&self, registered: &Registered, pan: &str, expiry: &str, cvc: &str) -> bool {
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut page = registered.form_url.clone();
        page.set_query(None);
        let id = registered.order_id.as_str();
        let form = [("mdOrder", id), ("pan", pan), ("expiry", expiry), ("cvc", cvc)];
        let response = browser.post(page.clone()).form(&form).send().await.unwrap();
        assert!(response.status().is_redirection(), "the payment page answered {}", response.status());
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let challenged = location.contains("/acs/");
        if challenged {
            let acs = page.join(&location).unwrap();
            let response =
                browser.post(acs).form(&[("mdOrder", id), ("code", "111111")]).send().await.unwrap();
            assert!(response.status().is_redirection(), "the 3-D Secure page answered {}", response.status());
        }
        challenged
    }
}

const SUCCESS_CARD: (&str, &str, &str) = ("2202205000012424", "05/28", "649");
const CHALLENGE_CARD: (&str, &str, &str) = ("2202206000270541", "05/28", "123");
const INSUFFICIENT_FUNDS_CARD: (&str, &str, &str) = ("2202205000060910", "06/28", "810");

#[tokio::test]
async fn a_registered_order_is_pending_with_what_was_sent() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let order = common::order(123_456);
    let registered = client.register(&order).await.unwrap();
    assert!(registered.form_url.as_str().contains(registered.order_id.as_str()));

    let by_id = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert_eq!(by_id.status, OrderStatus::Registered);
    assert!(by_id.status.is_pending());
    assert_eq!(by_id.amount, Kopecks::new(123_456));
    assert!(by_id.is_rubles());
    assert_eq!(by_id.order_id.as_ref(), Some(&registered.order_id));
    assert_eq!(by_id.order_number.as_deref(), Some(order.order_number.as_str()));
    assert_eq!(by_id.merchant_order_params, vec![("paymentId".to_owned(), "p-1".to_owned())]);
    assert!(by_id.registered_at.is_some());
    assert!(!by_id.confirms_payment(Kopecks::new(123_456)));

    // After a lost register.do answer, the order is found by our number.
    let by_number = client.order_status(OrderRef::Number(&order.order_number)).await.unwrap();
    assert_eq!(by_number, by_id);
}

#[tokio::test]
async fn a_reused_order_number_is_error_1() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let order = common::order(100);
    client.register(&order).await.unwrap();
    let error = client.register(&order).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::OrderNumberUsed), "{error}");
    assert!(!error.may_have_reached_bank());
}

#[tokio::test]
async fn wrong_credentials_are_error_5_on_every_method() {
    let bank = Bank::start(Config::default()).await;
    let registered = bank.register(100).await;
    for credentials in [
        Credentials::Password { user_name: "svet-api".into(), password: Secret::new("wrong") },
        Credentials::Password { user_name: "someone-api".into(), password: Secret::new("svet") },
        Credentials::Token(Secret::new("no-such-token")),
    ] {
        let mut config = common::config(&bank.base);
        config.credentials = credentials;
        let client = Client::new(config).unwrap();
        let errors = [
            client.register(&common::order(100)).await.unwrap_err(),
            client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap_err(),
            client.refund(&registered.order_id, Kopecks::new(1)).await.unwrap_err(),
            client.reverse(&registered.order_id).await.unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::InvalidParameter), "{error}");
        }
    }
}

#[tokio::test]
async fn unknown_orders_are_error_6_on_every_method() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let unknown = OrderId::parse("a67b0ced-c9a4-4cfb-bce3-b9595afaafc1").unwrap();
    let number = OrderNumber::generate();
    let errors = [
        client.order_status(OrderRef::Id(&unknown)).await.unwrap_err(),
        client.order_status(OrderRef::Number(&number)).await.unwrap_err(),
        client.refund(&unknown, Kopecks::new(100)).await.unwrap_err(),
        client.reverse(&unknown).await.unwrap_err(),
    ];
    for error in errors {
        assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::UnknownOrder), "{error}");
    }
}

#[tokio::test]
async fn a_paid_order_is_deposited_and_refunded_in_parts_up_to_its_amount() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let registered = bank.register(20_000).await;
    let (pan, expiry, cvc) = SUCCESS_CARD;
    assert!(!bank.pay(&registered, pan, expiry, cvc).await, "no 3-D Secure challenge");

    let paid = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert_eq!(paid.status, OrderStatus::Deposited);
    assert!(paid.confirms_payment(Kopecks::new(20_000)));
    assert!(!paid.confirms_payment(Kopecks::new(19_999)));
    assert_eq!(paid.action_code, Some(0));
    assert_eq!(paid.amounts.deposited, Some(Kopecks::new(20_000)));
    assert_eq!(paid.amounts.state, Some(PaymentState::Deposited));
    assert!(paid.authorised_at.is_some() && paid.deposited_at.is_some());
    let card = paid.card.as_ref().unwrap();
    assert_eq!(card.last4(), Some("2424"));
    assert_eq!(card.masked_pan.as_deref(), Some("220220**2424"));
    assert_eq!(card.payment_system.as_deref(), Some("MIR"));

    client.refund(&registered.order_id, Kopecks::new(5_000)).await.unwrap();
    let refunded = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(refunded.amounts.refunded, Some(Kopecks::new(5_000)));
    assert!(refunded.refunded_at.is_some());

    // More than what is left: error 7, and nothing changes.
    let error = client.refund(&registered.order_id, Kopecks::new(15_001)).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::SystemError), "{error}");
    client.refund(&registered.order_id, Kopecks::new(15_000)).await.unwrap();
    let all = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert_eq!(all.amounts.refunded, Some(Kopecks::new(20_000)));
    let error = client.refund(&registered.order_id, Kopecks::new(1)).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::SystemError), "{error}");
}

#[tokio::test]
async fn an_unpaid_order_cannot_be_refunded_or_reversed() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let registered = bank.register(100).await;
    let error = client.refund(&registered.order_id, Kopecks::new(100)).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::SystemError), "{error}");
    let error = client.reverse(&registered.order_id).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::InvalidParameter), "{error}");
}

#[tokio::test]
async fn a_payment_is_reversed_on_the_same_day_once() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let registered = bank.register(10_000).await;
    let (pan, expiry, cvc) = CHALLENGE_CARD;
    assert!(bank.pay(&registered, pan, expiry, cvc).await, "a 3-D Secure challenge");
    let paid = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert!(paid.confirms_payment(Kopecks::new(10_000)), "{paid:?}");

    client.reverse(&registered.order_id).await.unwrap();
    let reversed = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert_eq!(reversed.status, OrderStatus::Reversed);
    assert_eq!(reversed.amounts.state, Some(PaymentState::Reversed));
    assert!(!reversed.confirms_payment(Kopecks::new(10_000)));
    let error = client.reverse(&registered.order_id).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::InvalidParameter), "{error}");
    let error = client.refund(&registered.order_id, Kopecks::new(1)).await.unwrap_err();
    assert_eq!(error.gateway_code(), Some(&GatewayErrorCode::SystemError), "{error}");
}

#[tokio::test]
async fn a_declined_card_leaves_the_order_declined_with_its_action_code() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let registered = bank.register(10_000).await;
    let (pan, expiry, cvc) = INSUFFICIENT_FUNDS_CARD;
    assert!(bank.pay(&registered, pan, expiry, cvc).await, "a 3-D Secure challenge");
    let report = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert_eq!(report.action_code, Some(116), "{report:?}");
    assert_eq!(report.status, OrderStatus::Declined);
    assert_eq!(report.amounts.state, Some(PaymentState::Declined));
    assert_eq!(report.card.as_ref().and_then(|c| c.last4()), Some("0910"));
    assert!(!report.confirms_payment(Kopecks::new(10_000)));
}

#[tokio::test]
async fn an_order_left_unpaid_expires_after_its_lifetime() {
    let bank = Bank::start(Config::default()).await;
    let client = bank.client();
    let registered = bank.register(100).await;
    bank.clock.advance(SignedDuration::from_secs(1201));
    let report = client.order_status(OrderRef::Id(&registered.order_id)).await.unwrap();
    assert_eq!(report.status, OrderStatus::Declined);
    assert_eq!(report.action_code, Some(-2007));
}

/// Callbacks as the simulator sends them (GET, query parameters), answered with 200.
async fn callback_receiver() -> (String, Arc<Mutex<Vec<Vec<(String, String)>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/sberbank/callback", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let store = store.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let url = Url::parse(&format!("http://callback{}", request.uri())).unwrap();
                    store.lock().unwrap().push(url.query_pairs().into_owned().collect());
                    async { Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"OK")))) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    (url, received)
}

#[tokio::test]
async fn the_simulators_signed_callbacks_verify_and_forgeries_do_not() {
    let (url, received) = callback_receiver().await;
    let mut config = Config::default();
    config.merchants[0].callback_url = Some(url);
    config.merchants[0].callback_amount = true;
    let bank = Bank::start(config).await;
    let client = bank.client();
    let registered = bank.register(12_345).await;
    let (pan, expiry, cvc) = SUCCESS_CARD;
    assert!(!bank.pay(&registered, pan, expiry, cvc).await, "no 3-D Secure challenge");
    client.refund(&registered.order_id, Kopecks::new(345)).await.unwrap();

    let mut waited = Duration::ZERO;
    while received.lock().unwrap().len() < 2 && waited < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    let callbacks = received.lock().unwrap().clone();
    assert_eq!(callbacks.len(), 2, "{} callbacks in {waited:?}", callbacks.len());

    let key = CallbackKey::hmac(Secret::new(TEST_CALLBACK_KEY)).unwrap();
    let verified: Vec<_> =
        callbacks.iter().map(|params| key.verify(params).expect("a valid checksum")).collect();
    let deposited = verified.iter().find(|c| c.operation == CallbackOperation::Deposited).expect("deposited");
    assert_eq!(deposited.order_id, registered.order_id);
    assert!(deposited.success);
    assert_eq!(deposited.amount, Some(Kopecks::new(12_345)));
    let refunded = verified.iter().find(|c| c.operation == CallbackOperation::Refunded).expect("refunded");
    assert!(refunded.success);

    let other_key = CallbackKey::hmac(Secret::new("not-the-key")).unwrap();
    assert!(other_key.verify(&callbacks[0]).is_err());
    let mut forged = callbacks[0].clone();
    for (name, value) in &mut forged {
        if name == "amount" {
            *value = "1".into();
        }
    }
    assert!(key.verify(&forged).is_err());
}

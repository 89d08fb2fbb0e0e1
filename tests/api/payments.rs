//! Card payments in the domain on both stores, against the gateway simulator over HTTP: paying
//! with the bank's test cards on its page, confirming from the return and from callbacks
//! (delivered by the test itself, signed with the simulator's test key, so that duplicates,
//! reordering and races are under the test's control), exactly one credit whatever arrives,
//! forged and unknown callbacks, a wrong amount, a declined card, reconciliation of lost
//! outcomes and expired orders, a double click, and the amount checks.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use svet_domain::billing::Registers;
use svet_domain::identity::input::parse_email;
use svet_domain::payments::{
    CallbackOutcome, CallbackRefused, ConfirmError, GatewayError, OrderRef, Payment, PaymentError,
    PaymentStatus, Payments, StartPayment, Started, list, paid_since,
};
use svet_domain::readings::{Typed, history};
use svet_domain::store::{Condition, Item, Query, SkRange};
use svet_domain::{AccountNumber, Kopecks};
use svet_sberbank::callback::hmac_checksum;
use svet_sberbank::{
    CallbackKey, Client, Credentials, FiscalSettings, GatewayConfig, PaymentObject, RetryPolicy,
    SberbankGateway, Secret, TaxType, Url,
};
use svet_sberbank_sim::{ManualClock, Simulator, TEST_CALLBACK_KEY};
use tokio::net::TcpListener;

use crate::portal::{Portal, on_both_portals};

on_both_portals!(
    a_paid_payment_is_credited_once_whatever_arrives,
    a_callback_before_the_return_and_both_at_once_credit_once,
    forged_and_unknown_callbacks_change_nothing,
    a_wrong_amount_at_the_bank_is_flagged_not_credited,
    a_declined_card_credits_nothing,
    reconciliation_settles_lost_and_expired_orders,
    a_double_click_makes_one_order,
    amounts_are_checked_and_readings_go_alone,
    a_bank_that_cannot_be_reached_fails_the_payment,
);

const ACCOUNT: &str = "180211111";
const SUCCESS_CARD: (&str, &str, &str) = ("2202205000012424", "05/28", "649");
const INSUFFICIENT_FUNDS_CARD: (&str, &str, &str) = ("2202205000060910", "06/28", "810");
const RETURN_URL: &str = "http://127.0.0.1:8080/api/payments/return";

/// The simulator on a free port (callbacks off: the tests deliver them), on a manual clock
/// that starts at the portal's time, and the domain's gateway port over the real client.
pub(crate) struct Bank {
    clock: Arc<ManualClock>,
    pub(crate) gateway: SberbankGateway,
}

impl Bank {
    pub(crate) async fn start(p: &Portal) -> Bank {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the simulator cannot get a port");
        let address = listener.local_addr().unwrap();
        let clock = Arc::new(ManualClock::new(p.app.clock.now()));
        let simulator = Arc::new(Simulator::with_clock(svet_sberbank_sim::Config::default(), clock.clone()));
        tokio::spawn(async move {
            svet_sberbank_sim::server::serve(listener, simulator).await.expect("the simulator stopped");
        });
        Bank::at(&address.to_string(), clock)
    }

    /// A gateway for `address` (`host:port`).
    fn at(address: &str, clock: Arc<ManualClock>) -> Bank {
        let credentials =
            Credentials::Password { user_name: "svet-api".into(), password: Secret::new("svet") };
        let mut config =
            GatewayConfig::new(Url::parse(&format!("http://{address}/payment/rest/")).unwrap(), credentials);
        config.connect_timeout = Duration::from_secs(2);
        config.request_timeout = Duration::from_secs(5);
        config.retry = RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(20) };
        let gateway = SberbankGateway::new(
            Client::new(config).unwrap(),
            CallbackKey::hmac(Secret::new(TEST_CALLBACK_KEY)).unwrap(),
            FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
        );
        Bank { clock, gateway }
    }

    fn payments<'a>(&'a self, p: &'a Portal) -> Payments<'a> {
        Payments {
            store: p.app.store.as_ref(),
            clock: p.app.clock.as_ref(),
            ids: p.app.ids.as_ref(),
            config: &p.app.config,
            gateway: &self.gateway,
        }
    }

    /// Moves both clocks (the portal's and the bank's) forward.
    pub(crate) fn advance(&self, p: &Portal, seconds: i64) {
        p.advance(seconds);
        self.clock.advance(SignedDuration::from_secs(seconds));
    }
}

/// Pays on the simulator's page as a customer would, answering a 3-D Secure step with the
/// test code.
pub(crate) async fn pay_on_page(started: &Started, (pan, expiry, cvc): (&str, &str, &str)) {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut page = Url::parse(&started.form_url).unwrap();
    page.set_query(None);
    let id = started.payment.order_id.as_deref().unwrap();
    let form = [("mdOrder", id), ("pan", pan), ("expiry", expiry), ("cvc", cvc)];
    let response = browser.post(page.clone()).form(&form).send().await.unwrap();
    assert!(response.status().is_redirection(), "the payment page answered {}", response.status());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    if location.contains("/acs/") {
        let acs = page.join(&location).unwrap();
        let response = browser.post(acs).form(&[("mdOrder", id), ("code", "111111")]).send().await.unwrap();
        assert!(response.status().is_redirection(), "the 3-D Secure page answered {}", response.status());
    }
}

/// A callback as the bank sends it, signed with the simulator's test key.
pub(crate) fn callback(payment: &Payment, operation: &str, status: &str) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = vec![
        ("mdOrder".into(), payment.order_id.clone().unwrap()),
        ("orderNumber".into(), payment.order_number.clone().unwrap()),
        ("operation".into(), operation.into()),
        ("status".into(), status.into()),
    ];
    let checksum =
        hmac_checksum(&Secret::new(TEST_CALLBACK_KEY), params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    params.push(("checksum".into(), checksum));
    params
}

fn account() -> AccountNumber {
    AccountNumber::parse(ACCOUNT).unwrap()
}

fn reading(value: &str) -> Typed {
    Typed { single: Some(value.into()), ..Typed::default() }
}

async fn start(
    pay: &Payments<'_>,
    p: &Portal,
    amount: i64,
    typed: &Typed,
    key: &str,
) -> Result<Started, PaymentError> {
    let account = account();
    pay.start(&StartPayment {
        account: &account,
        amount: Kopecks::new(amount),
        email: parse_email(&p.email("payer")).unwrap(),
        receipt_mail: false,
        readings: typed,
        confirm_readings: false,
        idempotency_key: key,
        return_url: RETURN_URL,
    })
    .await
}

/// Every credit item of the account: (sort key, amount).
/// Whether calls may race here. moto applies a failed TransactWriteItems by restoring a copy
/// of every table taken before it began, so on moto a transaction that loses a race can undo
/// one that won at the same moment (real DynamoDB serialises transactions). On moto the race
/// tests make the same calls one after another: duplicates, not concurrency.
fn races(p: &Portal) -> bool {
    p.backend == "sqlite"
}

pub(crate) async fn credits(p: &Portal) -> Vec<(String, i64)> {
    let query = Query::new(format!("ACCOUNT#{ACCOUNT}"), SkRange::Prefix("CREDIT#".into()));
    let page = p.app.store.query(&query).await.unwrap();
    page.items.iter().map(|i| (i.key.sk.clone(), i.data["amount"].as_i64().unwrap())).collect()
}

pub(crate) async fn stored(p: &Portal, payment: &Payment) -> Payment {
    p.app.store.get(&payment.key()).await.unwrap().unwrap().to_serde().unwrap()
}

async fn pending_entries(p: &Portal) -> usize {
    let query = Query::new("PENDING", SkRange::All);
    p.app.store.query(&query).await.unwrap().items.len()
}

async fn since_morning(p: &Portal) -> Kopecks {
    let morning: Timestamp = "2026-02-15T00:00:00Z".parse().unwrap();
    paid_since(p.app.store.as_ref(), &account(), morning).await.unwrap()
}

async fn a_paid_payment_is_credited_once_whatever_arrives(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);
    let started = start(&pay, p, 123_456, &reading("12445"), "form-token-1").await.unwrap();
    assert_eq!(started.payment.status, PaymentStatus::Registered, "{}", p.backend);
    assert!(started.form_url.contains(started.payment.order_id.as_deref().unwrap()));
    assert_eq!(pending_entries(p).await, 1, "stored in the pending index before the bank answered");
    // The reading waits for the payment.
    let before = history(p.app.store.as_ref(), &account(), 10).await.unwrap();
    assert!(before.is_empty(), "{}: {before:?}", p.backend);

    pay_and_return(&pay, p, &started).await;

    // Duplicates and a stale, reordered callback after it: nothing more.
    let paid = stored(p, &started.payment).await;
    for params in [
        callback(&paid, "deposited", "1"),
        callback(&paid, "deposited", "1"),
        callback(&paid, "deposited", "0"),
        callback(&paid, "declinedByTimeout", "0"),
        callback(&paid, "deposited", "1"),
    ] {
        match pay.callback(&params).await.unwrap() {
            CallbackOutcome::Confirmed(c) => {
                assert!(!c.credited_now, "{}", p.backend);
                assert_eq!(c.payment.status, PaymentStatus::Paid);
            }
            other => panic!("{}: {other:?}", p.backend),
        }
    }
    assert_eq!(credits(p).await.len(), 1, "{}: one credit", p.backend);
    assert_eq!(since_morning(p).await, Kopecks::new(123_456));
    let later: Timestamp = "2026-02-16T00:00:00Z".parse().unwrap();
    assert_eq!(paid_since(p.app.store.as_ref(), &account(), later).await.unwrap(), Kopecks::ZERO);

    // The reading sent with it is accepted, once.
    let readings = history(p.app.store.as_ref(), &account(), 10).await.unwrap();
    assert_eq!(readings.len(), 1, "{}: {readings:?}", p.backend);
    assert_eq!(readings[0].registers, Registers::Single(12_445));

    // «Платежи».
    let now = p.app.clock.now();
    let rows =
        list(p.app.store.as_ref(), &account(), now - SignedDuration::from_hours(24 * 90), now).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status.label_ru(), "Платеж успешно выполнен");
    assert_eq!(rows[0].readings, Some(Registers::Single(12_445)));
    assert_eq!(pending_entries(p).await, 0, "settled: off the pending index");

    // A second payment the same day (B9: the sum of both).
    bank.advance(p, 60);
    let second = start(&pay, p, 10_000, &reading("12445"), "form-token-2").await.unwrap();
    pay_on_page(&second, SUCCESS_CARD).await;
    let confirmed =
        pay.confirm(OrderRef::Id(second.payment.order_id.as_deref().unwrap())).await.unwrap().unwrap();
    assert!(confirmed.credited_now);
    assert_eq!(since_morning(p).await, Kopecks::new(133_456), "{}", p.backend);
    let rows = list(p.app.store.as_ref(), &account(), now, p.app.clock.now()).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.amount.get()).collect::<Vec<_>>(),
        vec![10_000, 123_456],
        "newest first"
    );
}

/// Pays with the success card and comes back: paid and credited by the return.
async fn pay_and_return(pay: &Payments<'_>, p: &Portal, started: &Started) {
    pay_on_page(started, SUCCESS_CARD).await;
    let order_id = started.payment.order_id.as_deref().unwrap();
    let returned = pay.confirm(OrderRef::Id(order_id)).await.unwrap().expect("our order");
    assert_eq!(returned.payment.status, PaymentStatus::Paid, "{}", p.backend);
    assert!(returned.credited_now && returned.payment.credited);
    let again = pay.confirm(OrderRef::Id(order_id)).await.unwrap().unwrap();
    assert!(!again.credited_now, "{}: a reload of the return page credits nothing", p.backend);
}

async fn a_callback_before_the_return_and_both_at_once_credit_once(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);

    // The callback comes first, reordered after a failure notice, and twice.
    let first = start(&pay, p, 50_000, &reading("12445"), "form-token-a").await.unwrap();
    pay_on_page(&first, SUCCESS_CARD).await;
    let params = callback(&first.payment, "deposited", "1");
    let stale = callback(&first.payment, "deposited", "0");
    let outcomes = [
        pay.callback(&params).await.unwrap(),
        pay.callback(&stale).await.unwrap(),
        pay.callback(&params).await.unwrap(),
    ];
    let credited: Vec<bool> = outcomes
        .iter()
        .map(|o| match o {
            CallbackOutcome::Confirmed(c) => c.credited_now,
            CallbackOutcome::UnknownOrder => panic!("{}: our order", p.backend),
        })
        .collect();
    assert_eq!(credited, vec![true, false, false], "{}", p.backend);
    let returned =
        pay.confirm(OrderRef::Id(first.payment.order_id.as_deref().unwrap())).await.unwrap().unwrap();
    assert!(!returned.credited_now && returned.payment.status == PaymentStatus::Paid);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);

    // The return and two copies of the callback at the same moment.
    bank.advance(p, 60);
    let second = start(&pay, p, 25_000, &reading("12446"), "form-token-b").await.unwrap();
    pay_on_page(&second, SUCCESS_CARD).await;
    let params = callback(&second.payment, "deposited", "1");
    let order_id = second.payment.order_id.clone().unwrap();
    let (returned, a, b) = if races(p) {
        tokio::join!(pay.confirm(OrderRef::Id(&order_id)), pay.callback(&params), pay.callback(&params))
    } else {
        (pay.confirm(OrderRef::Id(&order_id)).await, pay.callback(&params).await, pay.callback(&params).await)
    };
    let mut credited_now = usize::from(returned.unwrap().unwrap().credited_now);
    for outcome in [a.unwrap(), b.unwrap()] {
        match outcome {
            CallbackOutcome::Confirmed(c) => credited_now += usize::from(c.credited_now),
            CallbackOutcome::UnknownOrder => panic!("{}: our order", p.backend),
        }
    }
    assert_eq!(credited_now, 1, "{}: exactly one of three credited", p.backend);
    let credits = credits(p).await;
    assert_eq!(credits.iter().map(|c| c.1).collect::<Vec<_>>(), vec![50_000, 25_000], "{}", p.backend);
    assert_eq!(since_morning(p).await, Kopecks::new(75_000));
    assert_eq!(stored(p, &second.payment).await.status, PaymentStatus::Paid);

    // No readings to send (no meter): the race again, with the credit as the only write.
    let rural = AccountNumber::parse("180211113").unwrap();
    let started = pay
        .start(&StartPayment {
            account: &rural,
            amount: Kopecks::new(85_040),
            email: parse_email(&p.email("rural")).unwrap(),
            receipt_mail: false,
            readings: &Typed::default(),
            confirm_readings: false,
            idempotency_key: "form-token-rural",
            return_url: RETURN_URL,
        })
        .await
        .unwrap();
    assert_eq!(started.payment.readings, None);
    pay_on_page(&started, SUCCESS_CARD).await;
    let params = callback(&started.payment, "deposited", "1");
    let order_id = started.payment.order_id.clone().unwrap();
    let number = started.payment.order_number.clone().unwrap();
    let (returned, a, b, c) = if races(p) {
        tokio::join!(
            pay.confirm(OrderRef::Id(&order_id)),
            pay.callback(&params),
            pay.callback(&params),
            pay.confirm(OrderRef::Number(&number))
        )
    } else {
        (
            pay.confirm(OrderRef::Id(&order_id)).await,
            pay.callback(&params).await,
            pay.callback(&params).await,
            pay.confirm(OrderRef::Number(&number)).await,
        )
    };
    let mut credited_now = usize::from(returned.unwrap().unwrap().credited_now);
    credited_now += usize::from(c.unwrap().unwrap().credited_now);
    for outcome in [a.unwrap(), b.unwrap()] {
        let CallbackOutcome::Confirmed(c) = outcome else { panic!("{}: our order", p.backend) };
        credited_now += usize::from(c.credited_now);
    }
    assert_eq!(credited_now, 1, "{}: exactly one of four credited", p.backend);
    let start_of_day: Timestamp = "2026-02-15T00:00:00Z".parse().unwrap();
    assert_eq!(paid_since(p.app.store.as_ref(), &rural, start_of_day).await.unwrap(), Kopecks::new(85_040));
}

async fn forged_and_unknown_callbacks_change_nothing(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);
    let started = start(&pay, p, 70_000, &reading("12445"), "form-token-f").await.unwrap();
    pay_on_page(&started, SUCCESS_CARD).await;
    let before = p.app.store.get(&started.payment.key()).await.unwrap().unwrap();

    // A wrong checksum, a checksum under another key, a tampered parameter, none at all.
    let mut wrong = callback(&started.payment, "deposited", "1");
    wrong.last_mut().unwrap().1 = "00".repeat(32);
    let mut other_key = callback(&started.payment, "deposited", "1");
    other_key.pop();
    let checksum =
        hmac_checksum(&Secret::new("not-the-key"), other_key.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    other_key.push(("checksum".into(), checksum));
    let mut tampered = callback(&started.payment, "deposited", "1");
    tampered[3].1 = "0".into();
    let mut unsigned = callback(&started.payment, "deposited", "1");
    unsigned.pop();
    for params in [wrong, other_key, tampered, unsigned] {
        let refused = pay.callback(&params).await;
        assert!(matches!(refused, Err(ConfirmError::Refused(_))), "{}: {refused:?}", p.backend);
    }
    let after = p.app.store.get(&started.payment.key()).await.unwrap().unwrap();
    assert_eq!(after, before, "{}: nothing changed", p.backend);
    assert!(credits(p).await.is_empty());

    // Signed, but for an order that is not ours (or not even plausible): ignored.
    let mut stranger = started.payment.clone();
    stranger.order_number = Some("sv0000000000000000000000000000".into());
    stranger.order_id = Some("00000000-0000-0000-0000-000000000000".into());
    let outcome = pay.callback(&callback(&stranger, "deposited", "1")).await.unwrap();
    assert_eq!(outcome, CallbackOutcome::UnknownOrder, "{}", p.backend);
    stranger.order_number = Some("ORDER#x/../PENDING".into());
    let outcome = pay.callback(&callback(&stranger, "deposited", "1")).await.unwrap();
    assert_eq!(outcome, CallbackOutcome::UnknownOrder, "{}", p.backend);
    stranger.order_id = Some("x".repeat(2000));
    let malformed = pay.callback(&callback(&stranger, "deposited", "1")).await;
    assert!(matches!(malformed, Err(ConfirmError::Refused(CallbackRefused::Malformed(_)))), "{malformed:?}");
    assert_eq!(p.app.store.get(&started.payment.key()).await.unwrap().unwrap(), before);
    assert!(credits(p).await.is_empty());

    // The genuine one still credits.
    let genuine = pay.callback(&callback(&started.payment, "deposited", "1")).await.unwrap();
    assert!(matches!(genuine, CallbackOutcome::Confirmed(c) if c.credited_now), "{}", p.backend);
}

async fn a_wrong_amount_at_the_bank_is_flagged_not_credited(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);
    let started = start(&pay, p, 40_000, &reading("12445"), "form-token-w").await.unwrap();
    pay_on_page(&started, SUCCESS_CARD).await;
    // The bank took 400,00 ₽, but our payment says 400,01 ₽ (as if changed after the order).
    let item = p.app.store.get(&started.payment.key()).await.unwrap().unwrap();
    let mut payment: Payment = item.to_serde().unwrap();
    payment.amount = Kopecks::new(40_001);
    let mut changed = Item::from_serde(item.key.clone(), &payment).unwrap();
    changed.version = item.version + 1;
    p.app.store.put(changed, Condition::VersionIs(item.version)).await.unwrap();

    let params = callback(&started.payment, "deposited", "1");
    let outcome = pay.callback(&params).await.unwrap();
    let CallbackOutcome::Confirmed(confirmed) = outcome else { panic!("{}: our order", p.backend) };
    assert!(!confirmed.credited_now);
    assert_eq!(confirmed.payment.status, PaymentStatus::Flagged, "{}", p.backend);
    assert!(confirmed.payment.flag.as_deref().unwrap().contains("40000"), "{:?}", confirmed.payment.flag);
    assert!(!confirmed.payment.credited);
    // Nor does the return or a repeat change it.
    let returned =
        pay.confirm(OrderRef::Id(started.payment.order_id.as_deref().unwrap())).await.unwrap().unwrap();
    assert_eq!((returned.credited_now, returned.payment.status), (false, PaymentStatus::Flagged));
    assert!(credits(p).await.is_empty(), "{}", p.backend);
    assert_eq!(since_morning(p).await, Kopecks::ZERO);
    assert!(history(p.app.store.as_ref(), &account(), 10).await.unwrap().is_empty(), "readings not accepted");
    assert_eq!(pending_entries(p).await, 0, "left for an operator, not for reconciliation");
}

async fn a_declined_card_credits_nothing(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);
    let started = start(&pay, p, 30_000, &reading("12445"), "form-token-d").await.unwrap();
    pay_on_page(&started, INSUFFICIENT_FUNDS_CARD).await;
    let returned =
        pay.confirm(OrderRef::Id(started.payment.order_id.as_deref().unwrap())).await.unwrap().unwrap();
    assert_eq!(returned.payment.status, PaymentStatus::Declined, "{}", p.backend);
    assert_eq!(returned.payment.action_code, Some(116), "insufficient funds");
    assert_eq!(returned.payment.status.label_ru(), "Банк отклонил оплату");
    assert!(!returned.credited_now && !returned.payment.credited);
    let outcome = pay.callback(&callback(&started.payment, "deposited", "0")).await.unwrap();
    assert!(matches!(outcome, CallbackOutcome::Confirmed(c) if !c.credited_now));
    assert!(credits(p).await.is_empty(), "{}", p.backend);
    assert!(history(p.app.store.as_ref(), &account(), 10).await.unwrap().is_empty(), "readings not accepted");
    // The bank's page still takes another card until the lifetime ends: it stays in the index,
    // and after the lifetime reconciliation closes it as declined.
    assert_eq!(pending_entries(p).await, 1);
    bank.advance(p, 1200 + 300 + 1);
    let summary = pay.reconcile().await.unwrap();
    assert_eq!((summary.checked, summary.settled), (1, 1), "{}: {summary:?}", p.backend);
    let settled = stored(p, &started.payment).await;
    assert_eq!((settled.status, settled.credited), (PaymentStatus::Declined, false));
    assert!(credits(p).await.is_empty());
}

async fn reconciliation_settles_lost_and_expired_orders(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);
    // Left on the bank's page; and paid, but neither the return nor any callback arrived.
    let left = start(&pay, p, 11_100, &reading("12445"), "form-token-l").await.unwrap();
    let lost = start(&pay, p, 22_200, &reading("12445"), "form-token-p").await.unwrap();
    pay_on_page(&lost, SUCCESS_CARD).await;

    let early = pay.reconcile().await.unwrap();
    assert_eq!(early.checked, 0, "{}: nothing is due before the lifetime and the margin", p.backend);
    bank.advance(p, 1200 + 300 + 1);
    let summary = pay.reconcile().await.unwrap();
    assert_eq!((summary.checked, summary.settled, summary.failed), (2, 2, 0), "{}: {summary:?}", p.backend);

    let expired = stored(p, &left.payment).await;
    assert_eq!(expired.status, PaymentStatus::Expired, "{}", p.backend);
    assert_eq!(expired.action_code, Some(-2007));
    assert_eq!(expired.status.label_ru(), "Время оплаты истекло");
    let paid = stored(p, &lost.payment).await;
    assert_eq!((paid.status, paid.credited), (PaymentStatus::Paid, true), "{}", p.backend);
    assert_eq!(credits(p).await.iter().map(|c| c.1).collect::<Vec<_>>(), vec![22_200]);
    assert_eq!(pending_entries(p).await, 0, "no payment stays pending");
    assert_eq!(pay.reconcile().await.unwrap().checked, 0);

    // The late callbacks change nothing.
    for (payment, operation) in [(&left.payment, "declinedByTimeout"), (&lost.payment, "deposited")] {
        let outcome = pay.callback(&callback(payment, operation, "1")).await.unwrap();
        assert!(matches!(outcome, CallbackOutcome::Confirmed(c) if !c.credited_now), "{}", p.backend);
    }
    assert_eq!(credits(p).await.len(), 1);
    assert_eq!(stored(p, &left.payment).await.status, PaymentStatus::Expired);
}

async fn a_double_click_makes_one_order(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);
    let first = start(&pay, p, 15_000, &reading("12445"), "form-token-2x").await.unwrap();
    let second = start(&pay, p, 15_000, &reading("12445"), "form-token-2x").await.unwrap();
    assert_eq!(second, first, "{}: the same payment and page", p.backend);

    // Two clicks at the same moment: one payment; the loser gets the same page or is told to wait.
    let typed = reading("12445");
    let (a, b) = if races(p) {
        tokio::join!(
            start(&pay, p, 16_000, &typed, "form-token-at-once"),
            start(&pay, p, 16_000, &typed, "form-token-at-once")
        )
    } else {
        (
            start(&pay, p, 16_000, &typed, "form-token-at-once").await,
            start(&pay, p, 16_000, &typed, "form-token-at-once").await,
        )
    };
    let ok: Vec<Started> = [a, b]
        .into_iter()
        .filter_map(|r| match r {
            Ok(started) => Some(started),
            Err(PaymentError::InProgress) => None,
            Err(e) => panic!("{}: {e:?}", p.backend),
        })
        .collect();
    assert!(!ok.is_empty() && ok.iter().all(|s| s.payment.id == ok[0].payment.id), "{}", p.backend);

    let now = p.app.clock.now();
    let rows =
        list(p.app.store.as_ref(), &account(), now - SignedDuration::from_hours(1), now).await.unwrap();
    assert_eq!(rows.len(), 2, "{}: one payment per form: {rows:?}", p.backend);
    assert_eq!(pending_entries(p).await, 2);
    // Pay the first once: one credit, though the form was sent twice.
    pay_on_page(&first, SUCCESS_CARD).await;
    pay.confirm(OrderRef::Id(first.payment.order_id.as_deref().unwrap())).await.unwrap().unwrap();
    assert_eq!(credits(p).await.len(), 1);
}

async fn amounts_are_checked_and_readings_go_alone(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = bank.payments(p);
    let typed = reading("12445");

    let zero = start(&pay, p, 0, &typed, "form-token-z").await.unwrap_err();
    assert!(matches!(zero, PaymentError::ZeroAmount), "{zero:?}");
    assert!(zero.message_ru().contains("Передать показания счетчика"), "{}", zero.message_ru());
    let negative = start(&pay, p, -100, &typed, "form-token-n").await.unwrap_err();
    assert!(matches!(negative, PaymentError::Negative), "{negative:?}");
    assert!(negative.message_ru().contains("отрицательной"));

    let above = start(&pay, p, 12_345_678, &typed, "form-token-big").await.unwrap_err();
    let PaymentError::AboveLimit { limit, parts, .. } = &above else { panic!("{above:?}") };
    assert_eq!((*limit, *parts), (Kopecks::new(10_000_000), 2));
    let message = above.message_ru();
    assert!(
        message.contains("не более 100\u{a0}000,00\u{a0}₽")
            && message.contains("123\u{a0}456,78\u{a0}₽")
            && message.contains("на части")
            && message.contains("теми же показаниями"),
        "{message}"
    );
    let just_above = start(&pay, p, 10_000_001, &typed, "form-token-ja").await.unwrap_err();
    assert!(matches!(just_above, PaymentError::AboveLimit { parts: 2, .. }));
    let bad_key = start(&pay, p, 100, &typed, "x").await.unwrap_err();
    assert!(matches!(bad_key, PaymentError::BadIdempotencyKey));
    let bad_reading = start(&pay, p, 100, &reading("12"), "form-token-r").await.unwrap_err();
    assert!(matches!(bad_reading, PaymentError::Readings(_)), "{bad_reading:?}");
    let now = p.app.clock.now();
    let rows =
        list(p.app.store.as_ref(), &account(), now - SignedDuration::from_hours(1), now).await.unwrap();
    assert!(rows.is_empty(), "{}: refused amounts store nothing: {rows:?}", p.backend);

    // The limit itself is a payment; the minimum too.
    let at_limit = start(&pay, p, 10_000_000, &typed, "form-token-lim").await.unwrap();
    assert_eq!(at_limit.payment.status, PaymentStatus::Registered, "{}", p.backend);
    let minimum = start(&pay, p, 1, &typed, "form-token-min").await.unwrap();
    assert_eq!(minimum.payment.amount, Kopecks::new(1));

    // Amount 0: readings without payment, a row of their own (P5), accepted at once.
    bank.advance(p, 60);
    let row = pay.submit_readings(&account(), &typed, false).await.unwrap();
    assert_eq!(row.status, PaymentStatus::ReadingsOnly);
    assert_eq!(row.status.label_ru(), "передача показаний без оплаты");
    assert_eq!(row.amount, Kopecks::ZERO);
    let readings = history(p.app.store.as_ref(), &account(), 10).await.unwrap();
    assert_eq!(readings.len(), 1, "{}", p.backend);
    assert_eq!(readings[0].registers, Registers::Single(12_445));
    let rows = list(p.app.store.as_ref(), &account(), now - SignedDuration::from_hours(1), p.app.clock.now())
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "{}", p.backend);
    assert_eq!(rows[0], row, "newest first");
    assert!(credits(p).await.is_empty());
    assert_eq!(pending_entries(p).await, 2, "the readings-only row is not pending");
}

async fn a_bank_that_cannot_be_reached_fails_the_payment(p: &Portal) {
    // A port nobody listens on: register.do certainly never reached the bank.
    let address = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let bank = Bank::at(&address.to_string(), Arc::new(ManualClock::new(p.app.clock.now())));
    let pay = bank.payments(p);
    let error = start(&pay, p, 10_000, &reading("12445"), "form-token-down").await.unwrap_err();
    assert!(matches!(error, PaymentError::Gateway(GatewayError::NotSent(_))), "{}: {error:?}", p.backend);
    assert!(error.message_ru().contains("Банк сейчас не отвечает"));
    let now = p.app.clock.now();
    let rows = list(p.app.store.as_ref(), &account(), now, now).await.unwrap();
    assert_eq!(rows.len(), 1, "{}", p.backend);
    assert_eq!(rows[0].status, PaymentStatus::Failed);
    assert_eq!(rows[0].status.label_ru(), "Платеж не создан: банк не ответил");
    assert_eq!(pending_entries(p).await, 0, "settled: nothing for reconciliation");
    // The same form again does not make a second attempt; a new form does.
    let again = start(&pay, p, 10_000, &reading("12445"), "form-token-down").await.unwrap_err();
    assert!(matches!(again, PaymentError::Gateway(_)), "{again:?}");
    assert_eq!(list(p.app.store.as_ref(), &account(), now, now).await.unwrap().len(), 1);
    assert!(history(p.app.store.as_ref(), &account(), 10).await.unwrap().is_empty(), "readings not accepted");
}

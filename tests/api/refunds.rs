//! Refunds (B10) on both stores, against the gateway simulator over HTTP: partial refunds and
//! the rest, what is refused with nothing changed, a lost answer settled by running the command
//! again (refunded once), the store failing after the bank made a refund (made once), a refund
//! that never left settled as failed and made anew, and the `payments-refund` function's answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use svet_api::App;
use svet_domain::identity::input::parse_email;
use svet_domain::payments::{
    BankStatus, CallbackNotice, CallbackRefused, GatewayError, OrderRef, OrderRequest, Payment,
    PaymentGateway, PaymentStatus, Payments, REPEAT_WINDOW_SECONDS, RefundError, RefundState,
    RegisteredOrder, SETTLE_AFTER_SECONDS, StartPayment, Started, refunded_since, refunds_of,
};
use svet_domain::readings::Typed;
use svet_domain::store::{Query, SkRange};
use svet_domain::{AccountNumber, Kopecks};

use crate::faults::{Faulty, Hits, Lose};
use crate::payments::{Bank, pay_on_page, stored};
use crate::portal::{Portal, on_both_portals};

on_both_portals!(
    partial_refunds_then_the_rest,
    unknown_unpaid_and_bad_amounts_are_refused_with_nothing_stored,
    a_lost_answer_is_settled_by_running_it_again_not_sent_twice,
    a_refund_that_never_left_is_settled_as_failed_and_made_anew,
    a_refund_the_store_drops_after_the_bank_is_made_once,
    the_refund_function_answers_json,
);

/// The rural demo account: no meter, so a payment needs no readings.
const ACCOUNT: &str = "180211113";
const SUCCESS_CARD: (&str, &str, &str) = ("2202205000012424", "05/28", "649");

/// The real gateway, counting refund.do calls, and losing their answers on demand: after the
/// call (`lose_after`: the bank made it) or instead of it (`lose_before`: it never left).
struct Lossy<'a> {
    inner: &'a dyn PaymentGateway,
    lose_after: AtomicBool,
    lose_before: AtomicBool,
    refunds_sent: AtomicUsize,
}

impl<'a> Lossy<'a> {
    fn new(inner: &'a dyn PaymentGateway) -> Self {
        Lossy {
            inner,
            lose_after: AtomicBool::new(false),
            lose_before: AtomicBool::new(false),
            refunds_sent: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl PaymentGateway for Lossy<'_> {
    async fn register(&self, order: &OrderRequest) -> Result<RegisteredOrder, GatewayError> {
        self.inner.register(order).await
    }
    async fn status(&self, order: OrderRef<'_>) -> Result<BankStatus, GatewayError> {
        self.inner.status(order).await
    }
    async fn refund(&self, order_id: &str, amount: Kopecks) -> Result<(), GatewayError> {
        if self.lose_before.load(Ordering::SeqCst) {
            return Err(GatewayError::MaybeSent("injected: timed out before the bank saw it".into()));
        }
        self.refunds_sent.fetch_add(1, Ordering::SeqCst);
        let answer = self.inner.refund(order_id, amount).await;
        if self.lose_after.load(Ordering::SeqCst) {
            answer?;
            return Err(GatewayError::MaybeSent("injected: the answer was lost".into()));
        }
        answer
    }
    async fn reverse(&self, order_id: &str) -> Result<(), GatewayError> {
        self.inner.reverse(order_id).await
    }
    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackRefused> {
        self.inner.verify_callback(params)
    }
}

fn payments<'a>(p: &'a Portal, gateway: &'a dyn PaymentGateway) -> Payments<'a> {
    Payments {
        store: p.app.store.as_ref(),
        clock: p.app.clock.as_ref(),
        ids: p.app.ids.as_ref(),
        config: &p.app.config,
        gateway,
    }
}

fn account() -> AccountNumber {
    AccountNumber::parse(ACCOUNT).unwrap()
}

/// A payment of `amount` kopecks, unpaid (registered at the bank).
async fn started(pay: &Payments<'_>, p: &Portal, amount: i64, key: &str) -> Started {
    pay.start(&StartPayment {
        account: &account(),
        amount: Kopecks::new(amount),
        email: parse_email(&p.email("refund")).unwrap(),
        receipt_mail: false,
        readings: &Typed::default(),
        confirm_readings: false,
        idempotency_key: key,
        return_url: "http://127.0.0.1:8080/api/payments/return",
    })
    .await
    .unwrap()
}

/// A payment of `amount` kopecks, paid on the simulator's page and credited.
async fn paid(pay: &Payments<'_>, p: &Portal, amount: i64, key: &str) -> Payment {
    let started = started(pay, p, amount, key).await;
    pay_on_page(&started, SUCCESS_CARD).await;
    let confirmed =
        pay.confirm(OrderRef::Id(started.payment.order_id.as_deref().unwrap())).await.unwrap().unwrap();
    assert_eq!(confirmed.payment.status, PaymentStatus::Paid, "{}", p.backend);
    confirmed.payment
}

fn rub(text: &str) -> Kopecks {
    Kopecks::parse_rubles(text).unwrap()
}

/// The bank's refunded amount for the payment's order.
async fn bank_refunded(gateway: &dyn PaymentGateway, payment: &Payment) -> Kopecks {
    let status = gateway.status(OrderRef::Number(payment.order_number.as_deref().unwrap())).await.unwrap();
    status.refunded.unwrap_or(Kopecks::ZERO)
}

/// Every refund item of the account: (state, amount).
async fn refund_items(p: &Portal) -> Vec<(String, i64)> {
    let query = Query::new(format!("ACCOUNT#{ACCOUNT}"), SkRange::Prefix("REFUND#".into()));
    let page = p.app.store.query(&query).await.unwrap();
    page.items
        .iter()
        .map(|i| (i.data["state"].as_str().unwrap().to_owned(), i.data["amount"].as_i64().unwrap()))
        .collect()
}

async fn partial_refunds_then_the_rest(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = payments(p, &bank.gateway);
    let payment = paid(&pay, p, 100_000, "form-refund-1").await;

    // Two partial refunds.
    let first = pay.refund(&payment.id, rub("300")).await.unwrap();
    assert!(!first.settled_earlier);
    assert_eq!((first.refund.state, first.refund.number), (RefundState::Done, 0), "{}", p.backend);
    assert_eq!((first.payment.status, first.payment.refunded), (PaymentStatus::Refunded, rub("300")));
    bank.advance(p, 60);
    let second = pay.refund(&payment.id, rub("200,50")).await.unwrap();
    assert_eq!(second.refund.number, 1);
    assert_eq!(second.payment.refunded, rub("500,50"), "{}", p.backend);
    assert_eq!(bank_refunded(&bank.gateway, &payment).await, rub("500,50"));

    // More than is left: refused before the bank is asked, nothing changed.
    let before = p.app.store.get(&payment.key()).await.unwrap().unwrap();
    let error = pay.refund(&payment.id, rub("499,51")).await.unwrap_err();
    assert!(matches!(error, RefundError::AboveRemaining { .. }), "{}: {error:?}", p.backend);
    assert!(error.to_string().contains("499,50"), "names what is left: {error}");
    let after = p.app.store.get(&payment.key()).await.unwrap().unwrap();
    assert_eq!((after.version, &after.data), (before.version, &before.data), "the payment untouched");
    assert_eq!(refund_items(p).await.len(), 2, "no refund item for a refused amount");
    assert_eq!(bank_refunded(&bank.gateway, &payment).await, rub("500,50"));

    // The rest, then nothing left.
    bank.advance(p, 60);
    let rest = pay.refund(&payment.id, rub("499,50")).await.unwrap();
    assert_eq!((rest.payment.refunded, rest.payment.status), (rub("1000"), PaymentStatus::Refunded));
    let error = pay.refund(&payment.id, rub("0,01")).await.unwrap_err();
    assert!(matches!(error, RefundError::AboveRemaining { .. }), "{error:?}");
    assert_eq!(bank_refunded(&bank.gateway, &payment).await, rub("1000"), "{}", p.backend);

    // The items the bill subtracts, and the payment's totals for «Платежи».
    assert_eq!(
        refund_items(p).await,
        vec![("done".into(), 30_000), ("done".into(), 20_050), ("done".into(), 49_950)],
        "{}",
        p.backend
    );
    let item = &refunds_of(p.app.store.as_ref(), &payment).await.unwrap()[2];
    assert_eq!(item.0.refunded_at, Some(p.app.clock.now()));
    let since = refunded_since(p.app.store.as_ref(), &account(), payment.created_at).await.unwrap();
    assert_eq!(since.iter().map(|r| r.amount.get()).sum::<i64>(), 100_000);
    let now = stored(p, &payment).await;
    assert_eq!((now.status, now.refunded, now.credited), (PaymentStatus::Refunded, rub("1000"), true));
    assert_eq!(now.status.label_ru(), "Платеж возвращен");

    // The bank's "refunded" callback, confirmed afterwards, changes nothing and credits nothing.
    let again = pay.confirm(OrderRef::Id(payment.order_id.as_deref().unwrap())).await.unwrap().unwrap();
    assert!(!again.credited_now);
    assert_eq!((again.payment.status, again.payment.refunded), (PaymentStatus::Refunded, rub("1000")));
    assert_eq!(credits_of(p).await, 1, "still one credit");
}

async fn credits_of(p: &Portal) -> usize {
    let query = Query::new(format!("ACCOUNT#{ACCOUNT}"), SkRange::Prefix("CREDIT#".into()));
    p.app.store.query(&query).await.unwrap().items.len()
}

async fn unknown_unpaid_and_bad_amounts_are_refused_with_nothing_stored(p: &Portal) {
    let bank = Bank::start(p).await;
    let pay = payments(p, &bank.gateway);
    for id in ["no-such-payment", "", "PAYID#x", &"a".repeat(100)] {
        let error = pay.refund(id, rub("1")).await.unwrap_err();
        assert!(matches!(error, RefundError::UnknownPayment(_)), "{id:?}: {error:?}");
    }
    let unpaid = started(&pay, p, 10_000, "form-refund-unpaid").await;
    let error = pay.refund(&unpaid.payment.id, rub("1")).await.unwrap_err();
    assert!(matches!(error, RefundError::NotPaid { status: PaymentStatus::Registered }), "{error:?}");
    assert!(error.to_string().contains("registered, not paid"), "{error}");
    let paid = paid(&pay, p, 10_000, "form-refund-paid").await;
    for amount in [Kopecks::ZERO, Kopecks::new(-100)] {
        let error = pay.refund(&paid.id, amount).await.unwrap_err();
        assert!(matches!(error, RefundError::NotPositive), "{error:?}");
    }
    assert!(refund_items(p).await.is_empty(), "{}", p.backend);
    assert_eq!(stored(p, &paid).await.refunded, Kopecks::ZERO);
    assert_eq!(bank_refunded(&bank.gateway, &paid).await, Kopecks::ZERO);
}

async fn a_lost_answer_is_settled_by_running_it_again_not_sent_twice(p: &Portal) {
    let bank = Bank::start(p).await;
    let lossy = Lossy::new(&bank.gateway);
    let pay = payments(p, &lossy);
    let payment = paid(&pay, p, 50_000, "form-refund-lost").await;

    // The bank makes the refund; its answer is lost.
    lossy.lose_after.store(true, Ordering::SeqCst);
    let error = pay.refund(&payment.id, rub("250")).await.unwrap_err();
    assert!(matches!(error, RefundError::AnswerLost { .. }), "{}: {error:?}", p.backend);
    assert!(error.to_string().contains("run the same command again"), "{error}");
    lossy.lose_after.store(false, Ordering::SeqCst);
    assert_eq!(refund_items(p).await, vec![("requested".into(), 25_000)]);
    assert_eq!(stored(p, &payment).await.refunded, Kopecks::ZERO, "not counted until settled");

    // Run again at once: the refund may still be on its way, so nothing is sent.
    let error = pay.refund(&payment.id, rub("250")).await.unwrap_err();
    assert!(matches!(error, RefundError::InProgress { .. }), "{error:?}");

    // Later: settled by the bank's refunded amount, not sent again.
    bank.advance(p, 121);
    let settled = pay.refund(&payment.id, rub("250")).await.unwrap();
    assert!(settled.settled_earlier, "{}", p.backend);
    assert_eq!(settled.refund.state, RefundState::Done);
    assert_eq!((settled.payment.refunded, settled.payment.status), (rub("250"), PaymentStatus::Refunded));
    assert_eq!(lossy.refunds_sent.load(Ordering::SeqCst), 1, "refund.do sent once");
    assert_eq!(bank_refunded(&bank.gateway, &payment).await, rub("250"), "{}: refunded once", p.backend);
    assert_eq!(refund_items(p).await, vec![("done".into(), 25_000)]);

    // The same command minutes later is still that one; after the repeat window, a further
    // run is a new refund of what is left.
    let same = pay.refund(&payment.id, rub("250")).await.unwrap();
    assert!(same.settled_earlier, "{}", p.backend);
    assert_eq!(lossy.refunds_sent.load(Ordering::SeqCst), 1, "{}", p.backend);
    bank.advance(p, REPEAT_WINDOW_SECONDS);
    let more = pay.refund(&payment.id, rub("250")).await.unwrap();
    assert!(!more.settled_earlier);
    assert_eq!(more.payment.refunded, rub("500"));
    assert_eq!(lossy.refunds_sent.load(Ordering::SeqCst), 2);
}

/// The store failing after refund.do: the bank has made the refund and Svet must learn it
/// without sending another, whether the recording write failed (the refund stays `requested`,
/// settled by the bank's refunded amount) or was applied with its answer lost (the refund is
/// `done`; the operator, who saw only an error, runs the same command again).
async fn a_refund_the_store_drops_after_the_bank_is_made_once(p: &Portal) {
    let bank = Bank::start(p).await;
    let lossy = Lossy::new(&bank.gateway);
    let payment = paid(&payments(p, &lossy), p, 100_000, "form-refund-store").await;
    let faulty = Faulty::new(p.app.store.clone());
    let pay = Payments { store: &faulty, ..payments(p, &lossy) };
    // The second write that touches a refund: the first stores it `requested`, the second
    // records what the bank did.
    let second_refund_write = || -> Hits {
        let seen = Arc::new(AtomicUsize::new(0));
        Box::new(move |k| k.sk.starts_with("REFUND#") && seen.fetch_add(1, Ordering::SeqCst) >= 1)
    };

    for (lose, amount, sent) in [(Lose::Write, "300", 1), (Lose::Answer, "200", 2)] {
        faulty.fail_next(lose, second_refund_write());
        let error = pay.refund(&payment.id, rub(amount)).await.unwrap_err();
        assert!(matches!(error, RefundError::Store(_)), "{}: {lose:?}: {error:?}", p.backend);
        assert_eq!(lossy.refunds_sent.load(Ordering::SeqCst), sent, "{}: {lose:?}", p.backend);
        if lose == Lose::Write {
            // Not recorded: a later run settles it by the bank's refunded amount.
            bank.advance(p, SETTLE_AFTER_SECONDS + 1);
        }
        let again = pay.refund(&payment.id, rub(amount)).await.unwrap();
        assert!(again.settled_earlier, "{}: {lose:?}: the same command again sends nothing", p.backend);
        assert_eq!(again.refund.state, RefundState::Done, "{}: {lose:?}", p.backend);
        assert_eq!(
            lossy.refunds_sent.load(Ordering::SeqCst),
            sent,
            "{}: {lose:?}: refund.do once",
            p.backend
        );
    }
    assert_eq!(bank_refunded(&bank.gateway, &payment).await, rub("500"), "{}: refunded once each", p.backend);
    assert_eq!(stored(p, &payment).await.refunded, rub("500"), "{}", p.backend);
    assert_eq!(
        refund_items(p).await,
        vec![("done".into(), 30_000), ("done".into(), 20_000)],
        "{}",
        p.backend
    );
}

async fn a_refund_that_never_left_is_settled_as_failed_and_made_anew(p: &Portal) {
    let bank = Bank::start(p).await;
    let lossy = Lossy::new(&bank.gateway);
    let pay = payments(p, &lossy);
    let payment = paid(&pay, p, 50_000, "form-refund-never").await;

    lossy.lose_before.store(true, Ordering::SeqCst);
    let error = pay.refund(&payment.id, rub("100")).await.unwrap_err();
    assert!(matches!(error, RefundError::AnswerLost { .. }), "{error:?}");
    lossy.lose_before.store(false, Ordering::SeqCst);

    bank.advance(p, 121);
    let done = pay.refund(&payment.id, rub("100")).await.unwrap();
    assert!(!done.settled_earlier, "{}: the bank had not made it, so it was made now", p.backend);
    assert_eq!(done.refund.number, 1);
    assert_eq!(done.payment.refunded, rub("100"));
    assert_eq!(lossy.refunds_sent.load(Ordering::SeqCst), 1);
    assert_eq!(bank_refunded(&bank.gateway, &payment).await, rub("100"), "{}", p.backend);
    let mut items = refund_items(p).await;
    items.sort();
    assert_eq!(items, vec![("done".into(), 10_000), ("failed".into(), 10_000)]);
}

async fn the_refund_function_answers_json(p: &Portal) {
    let bank = Bank::start(p).await;
    let payment = paid(&payments(p, &bank.gateway), p, 20_000, "form-refund-fn").await;
    let app = App { payments: Some(Arc::new(bank.gateway.clone())), ..p.app.clone() };
    let invoke = |input: Value| {
        let app = app.clone();
        async move {
            svet_functions::refund::handle(&app, lambda_runtime::LambdaEvent::new(input, Default::default()))
                .await
                .unwrap()
        }
    };

    let answer = invoke(json!({"payment_id": payment.id, "amount": "50,25"})).await;
    assert_eq!(answer["outcome"], "refunded", "{}: {answer}", p.backend);
    assert_eq!(answer["settled_earlier"], false);
    assert_eq!(answer["refund"]["amount"], 5_025);
    assert_eq!(answer["payment"]["refunded"], 5_025);
    assert_eq!(answer["payment"]["left"], 14_975);
    assert_eq!(answer["payment"]["status"], "refunded");

    let answer = invoke(json!({"payment_id": payment.id, "amount": "150"})).await;
    assert_eq!(
        (answer["outcome"].as_str(), answer["error"].as_str()),
        (Some("refused"), Some("above_remaining"))
    );
    let answer = invoke(json!({"payment_id": "nope", "amount": "1"})).await;
    assert_eq!(answer["error"], "unknown_payment");
    for bad in [json!({"payment_id": payment.id, "amount": 100}), json!({"amount": "1"}), json!("refund")] {
        assert_eq!(invoke(bad).await["outcome"], "invalid");
    }
    let answer = invoke(json!({"payment_id": payment.id, "amount": "1.50"})).await;
    assert_eq!(answer["outcome"], "invalid", "a dot is not the decimal separator: {answer}");
    assert_eq!(stored(p, &payment).await.refunded, Kopecks::new(5_025));
}

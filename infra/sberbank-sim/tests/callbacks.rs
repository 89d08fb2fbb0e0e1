//! Callbacks delivered to a tiny merchant server: signed as the reference says, retried
//! until 200, and dropped, delayed, duplicated or reordered on request.

mod support;

use std::time::Duration;

use jiff::SignedDuration;
use support::{Bank, param, params, start};
use svet_sberbank_sim::{Config, DeliveryOutcome, Faults, TEST_CALLBACK_KEY, checksum};

fn config(url: &str) -> Config {
    let mut config = Config::default();
    config.merchants[0].callback_url = Some(url.to_owned());
    config.callbacks.first_backoff = Duration::from_millis(50);
    config.callbacks.max_attempts = 4;
    config
}

async fn paid_order(bank: &Bank, number: &str) -> String {
    let (id, _) = bank.register(number, "19900", &[]).await;
    assert_eq!(bank.pay(&id, "2202205000012424", "05/28", "649").await.status(), 303);
    id
}

/// The checksum verifies as a merchant would check it: over every received parameter.
fn assert_signed(query: &str) {
    let received = params(query);
    let sent = param(query, "checksum").expect("a checksum");
    assert_eq!(sent, checksum(&received, TEST_CALLBACK_KEY), "{query}");
}

#[tokio::test]
async fn each_transition_sends_a_signed_get() {
    let merchant = support::merchant(vec![]).await;
    let bank = start(config(&merchant.url)).await;
    let id = paid_order(&bank, "cb-1").await;
    let got = merchant.wait_for(1).await;
    assert_signed(&got[0]);
    let names: Vec<String> = params(&got[0]).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["mdOrder", "orderNumber", "operation", "status", "checksum"]);
    assert_eq!(param(&got[0], "mdOrder").as_deref(), Some(id.as_str()));
    assert_eq!(param(&got[0], "orderNumber").as_deref(), Some("cb-1"));
    assert_eq!(
        (param(&got[0], "operation").unwrap(), param(&got[0], "status").unwrap()),
        ("deposited".into(), "1".into())
    );

    let refund = support::with_auth(&[("orderId", &id), ("amount", "100")]);
    assert_eq!(bank.call("refund.do", &refund).await["errorCode"], "0");
    let got = merchant.wait_for(2).await;
    assert_signed(&got[1]);
    assert_eq!(param(&got[1], "operation").as_deref(), Some("refunded"));

    // A declined card: deposited with status 0.
    let (id, _) = bank.register("cb-2", "100", &[]).await;
    bank.pay(&id, "2202202107593166", "06/22", "123").await;
    let got = merchant.wait_for(3).await;
    assert_eq!(
        (param(&got[2], "operation").unwrap(), param(&got[2], "status").unwrap()),
        ("deposited".into(), "0".into())
    );
    assert_signed(&got[2]);
}

#[tokio::test]
async fn expiry_sends_declined_by_timeout() {
    let merchant = support::merchant(vec![]).await;
    let bank = start(config(&merchant.url)).await;
    let (id, _) = bank.register("cb-t", "100", &[]).await;
    bank.clock.advance(SignedDuration::from_secs(1201));
    bank.sim.expire_orders();
    let got = merchant.wait_for(1).await;
    assert_eq!(param(&got[0], "operation").as_deref(), Some("declinedByTimeout"));
    assert_eq!(param(&got[0], "mdOrder").as_deref(), Some(id.as_str()));
    assert_signed(&got[0]);
    bank.sim.expire_orders();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(merchant.received().len(), 1, "once");
}

#[tokio::test]
async fn failures_are_retried_until_200() {
    let merchant = support::merchant(vec![500, 503]).await;
    let bank = start(config(&merchant.url)).await;
    paid_order(&bank, "cb-r").await;
    let got = merchant.wait_for(3).await;
    assert!(got.iter().all(|q| q == &got[0]), "the same callback each time");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(merchant.received().len(), 3, "no more after the 200");
    let attempts: Vec<(u32, DeliveryOutcome)> =
        bank.sim.callback_log().into_iter().map(|d| (d.attempt, d.outcome)).collect();
    assert_eq!(
        attempts,
        [
            (1, DeliveryOutcome::Status(500)),
            (2, DeliveryOutcome::Status(503)),
            (3, DeliveryOutcome::Status(200))
        ]
    );
}

#[tokio::test]
async fn retries_stop_after_the_configured_attempts() {
    let merchant = support::merchant(vec![500; 10]).await;
    let bank = start(config(&merchant.url)).await;
    paid_order(&bank, "cb-g").await;
    merchant.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(merchant.received().len(), 4);
}

#[tokio::test]
async fn duplicates_drops_and_delays() {
    let merchant = support::merchant(vec![]).await;
    let bank = start(config(&merchant.url)).await;

    bank.sim.set_faults(Faults { duplicates: 2, ..Faults::default() });
    paid_order(&bank, "cb-d").await;
    let got = merchant.wait_for(3).await;
    assert!(got.iter().all(|q| q == &got[0]), "{got:?}");

    bank.sim.set_faults(Faults { drop_percent: 100, ..Faults::default() });
    paid_order(&bank, "cb-x").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(merchant.received().len(), 3, "dropped");
    assert!(bank.sim.callback_log().iter().any(|d| d.outcome == DeliveryOutcome::Dropped));

    // The delay is far longer than the check's wait, so a loaded machine cannot blur them.
    bank.sim.set_faults(Faults { delay: Duration::from_millis(3_000), ..Faults::default() });
    paid_order(&bank, "cb-l").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(merchant.received().len(), 3, "not yet");
    let got = merchant.wait_for(4).await;
    assert_eq!(param(&got[3], "orderNumber").as_deref(), Some("cb-l"));
}

#[tokio::test]
async fn reordering_swaps_callbacks_in_pairs() {
    let merchant = support::merchant(vec![]).await;
    let mut config = config(&merchant.url);
    config.callbacks.faults =
        Faults { reorder: true, reorder_hold: Duration::from_millis(3_000), ..Faults::default() };
    let bank = start(config).await;
    let id = paid_order(&bank, "cb-o").await;
    let refund = support::with_auth(&[("orderId", &id), ("amount", "100")]);
    bank.call("refund.do", &refund).await;
    let got = merchant.wait_for(2).await;
    let operations: Vec<String> = got.iter().map(|q| param(q, "operation").unwrap()).collect();
    assert_eq!(operations, ["refunded", "deposited"]);

    // A lone callback goes out after the hold.
    paid_order(&bank, "cb-p").await;
    let got = merchant.wait_for(3).await;
    assert_eq!(param(&got[2], "orderNumber").as_deref(), Some("cb-p"));
}

#[tokio::test]
async fn amount_can_be_added_and_the_checksum_turned_off() {
    let merchant = support::merchant(vec![]).await;
    let mut config = config(&merchant.url);
    config.merchants[0].callback_amount = true;
    let bank = start(config).await;
    paid_order(&bank, "cb-a").await;
    let got = merchant.wait_for(1).await;
    assert_eq!(param(&got[0], "amount").as_deref(), Some("19900"));
    assert_signed(&got[0]);

    let merchant = support::merchant(vec![]).await;
    let mut config = self::config(&merchant.url);
    config.merchants[0].callback_key = None;
    let bank = start(config).await;
    paid_order(&bank, "cb-n").await;
    let got = merchant.wait_for(1).await;
    assert_eq!(param(&got[0], "checksum"), None);
}

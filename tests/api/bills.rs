//! Posting a month's bills on both stores (B2): from the period's accepted reading, an
//! estimate or the norm; the opening balance from the registry or the previous bill; the
//! reading marked as billed; a second run changes nothing; `GET /api/bill` shows the latest.

use http::Method;
use serde_json::json;
use svet_domain::billing::{Basis, Period, Tariffs};
use svet_domain::bills::{Generation, Summary, bills};
use svet_domain::{AccountNumber, Kopecks};

use crate::portal::{Portal, on_both_portals};

on_both_portals!(a_month_of_bills_is_posted_once);

async fn generate(p: &Portal, period: &str) -> Summary {
    let tariffs = Tariffs::embedded().unwrap();
    let generation = Generation {
        store: p.app.store.as_ref(),
        clock: p.app.clock.as_ref(),
        config: &p.app.config,
        tariffs: &tariffs,
    };
    let mut failures = Vec::new();
    let summary = generation
        .run(Period::parse(period).unwrap(), 0, 1, &mut |e| failures.push(e.to_string()), &mut |_| {})
        .await
        .unwrap();
    assert!(failures.is_empty(), "{}: {failures:?}", p.backend);
    summary
}

async fn a_month_of_bills_is_posted_once(p: &Portal) {
    let cookie = p.logged_in("180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5").await;
    let none = p.call(Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(none.body["bill"], json!(null));
    assert!(none.body["message"].as_str().unwrap().contains("ещё не выставлен"));
    let r = p.call(Method::POST, "/api/readings", Some(json!({ "single": "12445" })), Some(&cookie)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    // The February bills are posted on 5 March.
    p.advance(18 * 86_400);
    let first = generate(p, "2026-02").await;
    assert_eq!((first.accounts, first.generated, first.existing), (5, 5, 0), "{}", p.backend);
    let again = generate(p, "2026-02").await;
    assert_eq!((again.generated, again.existing), (0, 5), "{}: a second run changes nothing", p.backend);

    let account = AccountNumber::parse("180211111").unwrap();
    let bill = bills(p.app.store.as_ref(), &account, 1).await.unwrap().remove(0).bill;
    let line = &bill.lines[0];
    assert_eq!(
        (line.basis, line.previous, line.current, line.consumption),
        (Basis::Readings, Some(12345), Some(12445), 100)
    );
    assert_eq!(line.charge, Kopecks::new(73_600), "100 kWh at 7,36 ₽");
    assert_eq!(bill.opening_balance, Kopecks::new(123_456), "the registry's balance opens the first bill");
    assert_eq!(bill.amount_due, Kopecks::new(197_056));
    assert_eq!(bill.due_date.to_string(), "2026-03-10");
    assert!(
        bill.qr_payload.contains("|PersAcc=180211111|") && bill.qr_payload.contains("|Sum=197056|"),
        "{}",
        bill.qr_payload
    );

    let readings = p
        .call(
            Method::GET,
            "/api/readings",
            None,
            Some(
                &p.post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" }))
                    .await
                    .cookie
                    .unwrap(),
            ),
        )
        .await;
    assert_eq!(readings.body["readings"][0]["status_label"], "Учтены в счёте за февраль 2026");

    let no_meter = bills(p.app.store.as_ref(), &AccountNumber::parse("180211113").unwrap(), 1)
        .await
        .unwrap()
        .remove(0)
        .bill;
    assert_eq!(no_meter.lines[0].basis, Basis::Norm, "no meter: the norm");
    let overpaid = bills(p.app.store.as_ref(), &AccountNumber::parse("180211114").unwrap(), 1)
        .await
        .unwrap()
        .remove(0)
        .bill;
    assert!(overpaid.closing_balance < overpaid.total_charge, "the overpayment is taken into account");

    // March without a reading: estimated from February, opened by February's closing balance.
    p.advance(31 * 86_400);
    generate(p, "2026-03").await;
    let march = bills(p.app.store.as_ref(), &account, 1).await.unwrap().remove(0).bill;
    assert_eq!((march.lines[0].basis, march.lines[0].consumption), (Basis::Estimated, 100));
    assert_eq!(march.opening_balance, Kopecks::new(197_056));
    let cookie = p
        .post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" }))
        .await
        .cookie
        .unwrap();
    let current = p.call(Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(current.body["bill"]["period"], "2026-03", "{:?}", current.body);
    assert_eq!(current.body["period_name"], "март 2026");
    let months = p.call(Method::GET, "/api/bills", None, Some(&cookie)).await.body["months"].clone();
    let periods: Vec<&str> =
        months.as_array().unwrap().iter().map(|m| m["period"].as_str().unwrap()).collect();
    assert_eq!(periods, ["2026-02", "2026-03"], "oldest first, for the chart");
    assert_eq!(months[0]["zones"][0]["consumption"], 100);
}

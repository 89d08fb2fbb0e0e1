//! The storage contract: SQLite and DynamoDB (through moto) behave the same for every
//! operation Svet uses.

use jiff::SignedDuration;
use serde_json::{Map, Value, json};
use svet_domain::store::{Condition, Item, Key, MAX_TRANSACTION, Query, Scan, SkRange, StoreError, Write};

use crate::helpers::{Harness, on_both_stores};

on_both_stores!(
    round_trips_every_kind_of_value,
    conditional_puts_and_deletes,
    transactions_are_all_or_nothing,
    invalid_transactions_are_refused_alike,
    expired_items_are_gone_for_reads_and_conditions,
    range_queries_page_in_order,
    queries_skip_expired_items_and_stay_full,
    batches_beyond_the_service_limits,
    segmented_scans_cover_every_item_once,
);

fn data(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn item(pk: &str, sk: &str, value: Value) -> Item {
    Item::new(Key::new(pk, sk), data(value))
}

async fn round_trips_every_kind_of_value(h: &Harness) {
    let key = Key::new("ACCOUNT#180211111", "REGISTRY");
    assert!(h.store.get(&key).await.unwrap().is_none(), "{}: nothing stored yet", h.backend);
    let value = json!({
        "address": "г. Калуга, ул. Ленина, д. 12 «Ёлка» — 5",
        "balance": -123_456,
        "big": 9_007_199_254_740_993_u64,
        "debt": 10_000_000_000_i64,
        "zero": 0,
        "flag": true,
        "nothing": null,
        "list": [1, "два", {"три": 3}],
        "nested": {"meter": {"kind": "day_night", "digits": 6}},
        "empty": "",
    });
    let mut stored = item(&key.pk, &key.sk, value);
    stored.version = 7;
    h.store.put(stored.clone(), Condition::None).await.unwrap();
    let read = h.store.get(&key).await.unwrap().expect("the item is there");
    assert_eq!(read, stored, "{}: the item reads back exactly", h.backend);
}

async fn conditional_puts_and_deletes(h: &Harness) {
    let first = item("P", "A", json!({"n": 1}));
    h.store.put(first.clone(), Condition::Absent).await.unwrap();
    let again = h.store.put(item("P", "A", json!({"n": 2})), Condition::Absent).await;
    assert!(matches!(again, Err(StoreError::ConditionFailed { index: 0 })), "{}: {again:?}", h.backend);
    assert_eq!(h.store.get(&first.key).await.unwrap().unwrap().data["n"], 1, "the refused put wrote nothing");

    let missing = h.store.put(item("P", "B", json!({})), Condition::Present).await;
    assert!(matches!(missing, Err(StoreError::ConditionFailed { .. })), "{}: {missing:?}", h.backend);

    let mut next = item("P", "A", json!({"n": 2}));
    next.version = 2;
    h.store.put(next.clone(), Condition::VersionIs(1)).await.unwrap();
    let stale = h.store.put(item("P", "A", json!({"n": 3})), Condition::VersionIs(1)).await;
    assert!(matches!(stale, Err(StoreError::ConditionFailed { .. })), "{}: a stale version loses", h.backend);
    assert_eq!(h.store.get(&first.key).await.unwrap().unwrap(), next);

    let wrong = h.store.delete(&first.key, Condition::VersionIs(1)).await;
    assert!(matches!(wrong, Err(StoreError::ConditionFailed { .. })), "{}: {wrong:?}", h.backend);
    h.store.delete(&first.key, Condition::VersionIs(2)).await.unwrap();
    assert!(h.store.get(&first.key).await.unwrap().is_none());
    h.store.delete(&first.key, Condition::None).await.expect("deleting nothing is fine");
}

async fn transactions_are_all_or_nothing(h: &Harness) {
    h.store.put(item("ORDER", "1", json!({"taken": true})), Condition::None).await.unwrap();
    let writes = vec![
        Write::Put { item: item("PAY", "1", json!({"amount": 100})), condition: Condition::Absent },
        Write::Put { item: item("PAY", "2", json!({"amount": 200})), condition: Condition::None },
        Write::Check { key: Key::new("ORDER", "1"), condition: Condition::Absent },
    ];
    let result = h.store.transact(writes).await;
    assert!(matches!(result, Err(StoreError::ConditionFailed { index: 2 })), "{}: {result:?}", h.backend);
    for sk in ["1", "2"] {
        assert!(
            h.store.get(&Key::new("PAY", sk)).await.unwrap().is_none(),
            "{}: PAY/{sk} was not written",
            h.backend
        );
    }

    let writes = vec![
        Write::Put { item: item("PAY", "1", json!({"amount": 100})), condition: Condition::Absent },
        Write::Delete { key: Key::new("ORDER", "1"), condition: Condition::Present },
        Write::Check { key: Key::new("PAY", "3"), condition: Condition::Absent },
        Write::Check { key: Key::new("PAY", "4"), condition: Condition::None },
    ];
    h.store.transact(writes).await.unwrap();
    assert!(h.store.get(&Key::new("PAY", "1")).await.unwrap().is_some());
    assert!(h.store.get(&Key::new("ORDER", "1")).await.unwrap().is_none());
    assert!(h.store.get(&Key::new("PAY", "3")).await.unwrap().is_none(), "a check writes nothing");
}

async fn invalid_transactions_are_refused_alike(h: &Harness) {
    let twice = vec![
        Write::Put { item: item("A", "1", json!({})), condition: Condition::None },
        Write::Delete { key: Key::new("A", "1"), condition: Condition::None },
    ];
    assert!(matches!(h.store.transact(twice).await, Err(StoreError::Invalid(_))));
    let many = (0..=MAX_TRANSACTION)
        .map(|i| Write::Put { item: item("A", &i.to_string(), json!({})), condition: Condition::None })
        .collect();
    assert!(matches!(h.store.transact(many).await, Err(StoreError::Invalid(_))));
    assert!(matches!(h.store.get(&Key::new("", "x")).await, Err(StoreError::Invalid(_))));
    let mut query = Query::new("A", SkRange::All);
    query.limit = 0;
    assert!(matches!(h.store.query(&query).await, Err(StoreError::Invalid(_))));
    assert!(h.store.get(&Key::new("A", "1")).await.unwrap().is_none(), "{}: nothing written", h.backend);
}

async fn expired_items_are_gone_for_reads_and_conditions(h: &Harness) {
    let now = h.clock.now_seconds();
    let token = item("TOKEN", "abc", json!({"purpose": "activation"})).expires_at(now + 60);
    h.store.put(token.clone(), Condition::Absent).await.unwrap();
    assert_eq!(
        h.store.get(&token.key).await.unwrap(),
        Some(token.clone()),
        "{}: live before expiry",
        h.backend
    );

    h.clock.advance(SignedDuration::from_secs(60));
    assert!(h.store.get(&token.key).await.unwrap().is_none(), "{}: gone at its expiry second", h.backend);
    assert!(h.store.get_many(std::slice::from_ref(&token.key)).await.unwrap().is_empty());
    let page = h.store.query(&Query::new("TOKEN", SkRange::All)).await.unwrap();
    assert!(page.items.is_empty(), "{}: queries skip it", h.backend);
    let present = h.store.put(token.clone(), Condition::Present).await;
    assert!(
        matches!(present, Err(StoreError::ConditionFailed { .. })),
        "{}: expired is not present",
        h.backend
    );
    let version = h.store.delete(&token.key, Condition::VersionIs(1)).await;
    assert!(
        matches!(version, Err(StoreError::ConditionFailed { .. })),
        "{}: expired has no version",
        h.backend
    );

    let fresh = item("TOKEN", "abc", json!({"purpose": "reset"}));
    h.store.put(fresh.clone(), Condition::Absent).await.expect("an expired item counts as absent");
    assert_eq!(h.store.get(&fresh.key).await.unwrap(), Some(fresh));
}

async fn range_queries_page_in_order(h: &Harness) {
    let mut items: Vec<Item> =
        (0..25).map(|i| item("ACCOUNT#1", &format!("PAY#{i:02}"), json!({"i": i}))).collect();
    items.push(item("ACCOUNT#1", "PAX", json!({})));
    items.push(item("ACCOUNT#1", "PROFILE", json!({})));
    items.push(item("ACCOUNT#2", "PAY#05", json!({})));
    h.store.put_many(items).await.unwrap();

    let all =
        collect(h, Query { limit: 10, ..Query::new("ACCOUNT#1", SkRange::Prefix("PAY#".into())) }).await;
    let expected: Vec<String> = (0..25).map(|i| format!("PAY#{i:02}")).collect();
    assert_eq!(all.0, expected, "{}: prefix pages in sort-key order", h.backend);
    assert_eq!(&all.1[..3], &[10, 10, 5], "{}: full pages of the limit", h.backend);

    let back = collect(
        h,
        Query { limit: 7, forward: false, ..Query::new("ACCOUNT#1", SkRange::Prefix("PAY#".into())) },
    )
    .await;
    let reversed: Vec<String> = expected.iter().rev().cloned().collect();
    assert_eq!(back.0, reversed, "{}: backwards", h.backend);

    let between =
        collect(h, Query::new("ACCOUNT#1", SkRange::Between("PAY#03".into(), "PAY#06".into()))).await;
    assert_eq!(between.0, ["PAY#03", "PAY#04", "PAY#05", "PAY#06"], "{}: both ends inclusive", h.backend);

    let everything = collect(h, Query::new("ACCOUNT#1", SkRange::All)).await;
    assert_eq!(everything.0.len(), 27, "{}: one partition only", h.backend);
}

/// All pages of a query: the sort keys in order and each page's size.
async fn collect(h: &Harness, mut query: Query) -> (Vec<String>, Vec<usize>) {
    let (mut keys, mut sizes) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        let page = h.store.query(&query).await.unwrap();
        assert!(page.items.len() <= query.limit as usize);
        sizes.push(page.items.len());
        keys.extend(page.items.into_iter().map(|i| i.key.sk));
        match page.next {
            Some(cursor) => query.after = Some(cursor),
            None => return (keys, sizes),
        }
    }
    panic!("{}: the query never ended", h.backend);
}

async fn queries_skip_expired_items_and_stay_full(h: &Harness) {
    let now = h.clock.now_seconds();
    let items = (0..12)
        .map(|i| {
            let it = item("SESSIONS", &format!("S#{i:02}"), json!({"i": i}));
            if i % 3 == 0 { it.expires_at(now + 10) } else { it }
        })
        .collect();
    h.store.put_many(items).await.unwrap();
    h.clock.advance(SignedDuration::from_secs(11));
    let (keys, sizes) = collect(h, Query { limit: 4, ..Query::new("SESSIONS", SkRange::All) }).await;
    assert_eq!(keys, ["S#01", "S#02", "S#04", "S#05", "S#07", "S#08", "S#10", "S#11"], "{}", h.backend);
    assert_eq!(&sizes[..2], &[4, 4], "{}: pages stay full despite expired items", h.backend);
}

async fn batches_beyond_the_service_limits(h: &Harness) {
    let items: Vec<Item> =
        (0..260).map(|i| item(&format!("ACCOUNT#{i}"), "REGISTRY", json!({"i": i}))).collect();
    h.store.put_many(items.clone()).await.unwrap();
    let mut keys: Vec<Key> = items.iter().map(|i| i.key.clone()).collect();
    keys.push(Key::new("ACCOUNT#missing", "REGISTRY"));
    keys.push(keys[0].clone());
    let mut found = h.store.get_many(&keys).await.unwrap();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    let mut expected = items;
    expected.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(found, expected, "{}: every stored item once, the missing one left out", h.backend);
}

trait NowSeconds {
    fn now_seconds(&self) -> i64;
}

impl NowSeconds for std::sync::Arc<svet_domain::FixedClock> {
    fn now_seconds(&self) -> i64 {
        use svet_domain::Clock;
        self.now().as_second()
    }
}

async fn segmented_scans_cover_every_item_once(h: &Harness) {
    let now = h.clock.now_seconds();
    let mut items: Vec<Item> =
        (0..120).map(|i| item(&format!("ACCOUNT#{i:04}"), "REGISTRY", json!({ "i": i }))).collect();
    items.extend((0..30).map(|i| item(&format!("ACCOUNT#{i:04}"), "PROFILE", json!({}))));
    items.extend((0..10).map(|i| item(&format!("TOKEN#{i}"), "TOKEN", json!({}))));
    items.push(item("ACCOUNT#gone", "REGISTRY", json!({})).expires_at(now + 5));
    h.store.put_many(items).await.unwrap();
    h.clock.advance(SignedDuration::from_secs(5));

    let mut seen: Vec<String> = Vec::new();
    for segment in 0..4 {
        let mut scan = Scan { segment, segments: 4, limit: 7, ..Scan::all("ACCOUNT#", Some("REGISTRY")) };
        for _ in 0..100 {
            let page = h.store.scan(&scan).await.unwrap();
            assert!(page.items.len() <= 7);
            assert!(page.items.iter().all(|i| i.key.sk == "REGISTRY" && i.key.pk.starts_with("ACCOUNT#")));
            seen.extend(page.items.into_iter().map(|i| i.key.pk));
            match page.next {
                Some(cursor) => scan.after = Some(cursor),
                None => break,
            }
        }
    }
    seen.sort();
    let expected: Vec<String> = (0..120).map(|i| format!("ACCOUNT#{i:04}")).collect();
    assert_eq!(seen, expected, "{}: four segments hold each live registry entry exactly once", h.backend);
    let bad = Scan { segment: 4, segments: 4, ..Scan::all("ACCOUNT#", None) };
    assert!(matches!(h.store.scan(&bad).await, Err(StoreError::Invalid(_))));
}

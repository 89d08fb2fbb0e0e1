//! The monthly bill run as it runs on AWS, on moto: the planner's messages in a real SQS queue,
//! read back and delivered to the worker's handler as Lambda's SQS event source would, which
//! posts the bills into DynamoDB, their PDF and PNG into S3 and the mails through SES. A second
//! delivery changes nothing and mails nothing again; a worker that crashes half-way through its
//! segment (a store that fails after some writes) or runs out of time gives its message back,
//! and the redelivery finishes the segment.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use http::Method;
use serde_json::{Value, json};
use svet_api::App;
use svet_aws::SqsQueue;
use svet_aws::sqs_client::Client as Sqs;
use svet_domain::billing::{Period, Tariffs};
use svet_domain::bills::bills;
use svet_domain::bills::document::{Format, doc_key};
use svet_domain::store::{Item, Key, Page, Query, Scan, SkRange, Store, StoreError, Write};
use svet_domain::{AccountNumber, Clock};
use svet_functions::bills::{SegmentJob, handle_plan, handle_work};

use crate::helpers::{config, sdk, unique};
use crate::portal::Portal;

/// The demo registry the portal is seeded with.
const ACCOUNTS: [&str; 5] = ["180211111", "180211112", "180211113", "180211114", "180211115"];

async fn create_queue() -> (Sqs, String) {
    let sqs = Sqs::new(&sdk().await);
    let url = sqs
        .create_queue()
        .queue_name(unique("svet-bills"))
        .send()
        .await
        .expect("moto creates the queue")
        .queue_url
        .expect("a queue URL");
    (sqs, url)
}

/// Invokes the planner's handler as the schedule or an operator would.
async fn plan(sqs: &Sqs, url: &str, input: Value, segments: u32) -> Result<Value, lambda_runtime::Error> {
    let queue = SqsQueue::new(sqs.clone(), url);
    let now = crate::helpers::clock().now();
    handle_plan(&queue, &config(), now, segments, lambda_runtime::LambdaEvent::new(input, Default::default()))
        .await
}

/// Every message on the queue, each received once (hidden for a minute, as a poller would).
async fn receive_all(sqs: &Sqs, url: &str) -> Vec<SqsMessage> {
    let mut out = Vec::new();
    loop {
        let page = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .send()
            .await
            .expect("moto receives");
        if page.messages().is_empty() {
            return out;
        }
        for m in page.messages() {
            let mut message = SqsMessage::default();
            message.message_id = m.message_id().map(str::to_owned);
            message.receipt_handle = m.receipt_handle().map(str::to_owned);
            message.body = m.body().map(str::to_owned);
            message.event_source = Some("aws:sqs".into());
            out.push(message);
        }
    }
}

fn job(message: &SqsMessage) -> SegmentJob {
    serde_json::from_str(message.body.as_deref().unwrap()).expect("a segment job")
}

/// Delivers messages to the worker as one SQS event.
async fn deliver(app: &App, messages: &[SqsMessage], context: lambda_runtime::Context) -> SqsBatchResponse {
    let mut event = SqsEvent::default();
    event.records = messages.to_vec();
    let tariffs = Tariffs::embedded().unwrap();
    handle_work(app, &tariffs, lambda_runtime::LambdaEvent::new(event, context))
        .await
        .expect("the handler answers")
}

fn failed_ids(response: &SqsBatchResponse) -> Vec<String> {
    response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect()
}

/// Registers two demo customers: one who wants the bill as a PDF, one who keeps the default
/// notice. Returns their addresses.
async fn subscribers(p: &Portal) -> (String, String) {
    let cookie = p.logged_in("180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5").await;
    let put = p
        .call(
            Method::PUT,
            "/api/settings",
            Some(json!({ "delivery": "pdf", "notices": false })),
            Some(&cookie),
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    p.logged_in("180211112", "г. Калуга, ул. Кирова, д. 3, кв. 41").await;
    (p.email("user180211111"), p.email("user180211112"))
}

/// (bill mails, notice mails) sent to an address for January 2026.
async fn bill_mails(p: &Portal, to: &str) -> (usize, usize) {
    let mails = p.mails_to(to).await;
    let count = |prefix: &str| {
        mails.iter().filter(|(s, _)| s.starts_with(prefix) && s.contains("январь 2026")).count()
    };
    (count("Счёт за электроэнергию"), count("Выставлен счёт"))
}

/// Everything stored under the demo accounts' partitions (bills, outbox records, profiles).
async fn snapshot(store: &dyn Store) -> Vec<Item> {
    let mut out = Vec::new();
    for account in ACCOUNTS {
        out.extend(store.query(&Query::new(format!("ACCOUNT#{account}"), SkRange::All)).await.unwrap().items);
    }
    out
}

async fn billed_accounts(store: &dyn Store, period: Period) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for account in ACCOUNTS {
        let posted = bills(store, &AccountNumber::parse(account).unwrap(), 12).await.unwrap();
        let of_period = posted.iter().filter(|b| b.bill.period == period).count();
        assert!(of_period <= 1, "{account}: {of_period} bills for {period}");
        if of_period == 1 {
            out.insert(account.to_owned());
        }
    }
    out
}

#[tokio::test]
async fn the_planner_queues_one_message_per_segment() {
    let (sqs, url) = create_queue().await;
    // The schedule's input: the month before the scheduled time, in Moscow (03:00 on 1 March
    // is still 28 February in UTC).
    let out = plan(&sqs, &url, json!({ "scheduled_time": "2026-02-28T21:00:00Z" }), 23).await.unwrap();
    assert_eq!(out, json!({ "period": "2026-02", "segments": 23 }));
    let jobs: Vec<SegmentJob> = receive_all(&sqs, &url).await.iter().map(job).collect();
    assert_eq!(jobs.len(), 23, "one message per segment, sent in batches of ten: {jobs:?}");
    let segments: BTreeSet<u32> = jobs.iter().map(|j| j.segment).collect();
    assert_eq!(segments, (0..23).collect(), "every segment once");
    assert!(jobs.iter().all(|j| j.segments == 23 && j.period == Period::parse("2026-02").unwrap()));

    // An operator re-running a month; no input at all means last month by the clock.
    plan(&sqs, &url, json!({ "period": "2025-12" }), 3).await.unwrap();
    let jobs: Vec<SegmentJob> = receive_all(&sqs, &url).await.iter().map(job).collect();
    assert_eq!(jobs.len(), 3);
    assert!(jobs.iter().all(|j| j.period == Period::parse("2025-12").unwrap()), "{jobs:?}");
    plan(&sqs, &url, json!({}), 2).await.unwrap();
    let jobs: Vec<SegmentJob> = receive_all(&sqs, &url).await.iter().map(job).collect();
    assert!(
        jobs.len() == 2 && jobs.iter().all(|j| j.period == Period::parse("2026-01").unwrap()),
        "{jobs:?}"
    );

    // A mistyped month queues nothing.
    let err = plan(&sqs, &url, json!({ "period": "2026-1" }), 3).await.unwrap_err();
    assert!(err.to_string().contains("YYYY-MM"), "{err}");
    assert!(receive_all(&sqs, &url).await.is_empty());
}

#[tokio::test]
async fn workers_bill_each_segment_once_and_a_redelivery_changes_nothing() {
    let p = Portal::aws().await;
    let (pdf_to, notice_to) = subscribers(&p).await;
    let (sqs, url) = create_queue().await;
    plan(&sqs, &url, json!({ "period": "2026-01" }), 4).await.unwrap();
    let messages = receive_all(&sqs, &url).await;
    assert_eq!(messages.len(), 4);

    // Batch size 1: one invocation per message.
    for message in &messages {
        let response = deliver(&p.app, std::slice::from_ref(message), Default::default()).await;
        assert!(response.batch_item_failures.is_empty(), "segment {:?} failed", job(message));
    }
    let january = Period::parse("2026-01").unwrap();
    assert_eq!(
        billed_accounts(p.app.store.as_ref(), january).await.len(),
        5,
        "every account, whatever its segment"
    );

    // The PDFs are in the bucket under bills/<period>/<account>.pdf; PNGs are rendered when
    // first needed, and nobody here asked for one yet.
    let http = reqwest::Client::new();
    let mut bucket = None;
    for account in ACCOUNTS {
        for format in [Format::Pdf] {
            let key = doc_key(&AccountNumber::parse(account).unwrap(), january, format);
            let link = p.app.documents.link(&key, std::time::Duration::from_secs(60)).await.unwrap();
            let path = link.split('?').next().unwrap();
            let (name, rest) =
                path.split_once("://").unwrap().1.split_once('/').unwrap().1.split_once('/').unwrap();
            assert_eq!(rest, format!("bills/2026-01/{account}.{}", format.extension()));
            bucket = Some(name.to_owned());
            let body = http.get(&link).send().await.unwrap().bytes().await.unwrap();
            let magic: &[u8] = if format == Format::Pdf { b"%PDF" } else { b"\x89PNG" };
            assert!(body.starts_with(magic), "{account}.{}: not a {format:?}", format.extension());
        }
    }
    let s3 = svet_aws::S3Documents::client(&sdk().await);
    let listed = s3.list_objects_v2().bucket(bucket.unwrap()).prefix("bills/").send().await.unwrap();
    assert_eq!(listed.contents().len(), 5, "a PDF per account, nothing else");

    assert_eq!(bill_mails(&p, &pdf_to).await, (1, 0), "the bill as a PDF to who asked for it");
    assert_eq!(bill_mails(&p, &notice_to).await, (0, 1), "a notice to who kept notices");

    // SQS delivers at least once: the same messages again (here all in one event) change nothing.
    let before = snapshot(p.app.store.as_ref()).await;
    let response = deliver(&p.app, &messages, Default::default()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(snapshot(p.app.store.as_ref()).await, before, "a redelivery writes nothing");
    assert_eq!(bill_mails(&p, &pdf_to).await, (1, 0), "and mails nothing twice");
    assert_eq!(bill_mails(&p, &notice_to).await, (0, 1));
    // A second plan of the same month (an operator's re-run) is just as harmless.
    plan(&sqs, &url, json!({ "period": "2026-01" }), 2).await.unwrap();
    let again = receive_all(&sqs, &url).await;
    assert!(deliver(&p.app, &again, Default::default()).await.batch_item_failures.is_empty());
    assert_eq!(snapshot(p.app.store.as_ref()).await, before, "a re-run with other segments writes nothing");
    assert_eq!(bill_mails(&p, &pdf_to).await, (1, 0));
}

#[tokio::test]
async fn a_crashed_worker_gives_its_message_back_and_the_redelivery_resumes() {
    let p = Portal::aws().await;
    let (pdf_to, notice_to) = subscribers(&p).await;
    let (sqs, url) = create_queue().await;
    plan(&sqs, &url, json!({ "period": "2026-01" }), 1).await.unwrap();
    let messages = receive_all(&sqs, &url).await;
    let id = messages[0].message_id.clone().unwrap();
    let january = Period::parse("2026-01").unwrap();

    // Out of time before it starts: the message goes back untouched.
    let mut late = lambda_runtime::Context::default();
    late.deadline = u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap() + 1_000;
    let response = deliver(&p.app, &messages, late).await;
    assert_eq!(failed_ids(&response), [id.as_str()], "a worker without time left gives the message back");
    assert!(billed_accounts(p.app.store.as_ref(), january).await.is_empty());

    // Two deliveries that crash after three writes each (an account takes two to four: the
    // bill, its documents, the mail's claim and its record): the message goes back each time,
    // what was done stays, and each delivery goes on from there.
    let mut before = snapshot(p.app.store.as_ref()).await;
    for _ in 0..2 {
        let crashing = App { store: Arc::new(CrashingStore::after(p.app.store.clone(), 3)), ..p.app.clone() };
        let response = deliver(&crashing, &messages, Default::default()).await;
        assert_eq!(
            failed_ids(&response),
            [id.as_str()],
            "a crash is reported, so SQS delivers the message again"
        );
        let after = snapshot(p.app.store.as_ref()).await;
        assert_ne!(after, before, "the crashed delivery got somewhere");
        let posted = billed_accounts(p.app.store.as_ref(), january).await.len();
        assert!((1..5).contains(&posted), "a crash half-way: {posted} bills posted");
        before = after;
    }

    let response = deliver(&p.app, &messages, Default::default()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        billed_accounts(p.app.store.as_ref(), january).await.len(),
        5,
        "the redelivery finished the segment"
    );
    for account in ACCOUNTS {
        let posted = bills(p.app.store.as_ref(), &AccountNumber::parse(account).unwrap(), 1).await.unwrap();
        assert!(posted[0].documents, "{account}: its PDF is stored");
    }
    assert_eq!(bill_mails(&p, &pdf_to).await, (1, 0), "mailed once across the crashes");
    assert_eq!(bill_mails(&p, &notice_to).await, (0, 1));
}

/// Wraps the real store and fails every write once `writes` have gone through: a worker dying
/// half-way through its segment, as the worker sees it (the run stops on a store error).
struct CrashingStore {
    inner: Arc<dyn Store>,
    writes_left: AtomicUsize,
}

impl CrashingStore {
    fn after(inner: Arc<dyn Store>, writes: usize) -> Self {
        CrashingStore { inner, writes_left: AtomicUsize::new(writes) }
    }

    fn write(&self) -> Result<(), StoreError> {
        self.writes_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1))
            .map(|_| ())
            .map_err(|_| StoreError::unavailable(anyhow::anyhow!("injected: the worker crashed")))
    }
}

#[async_trait]
impl Store for CrashingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.get_many(keys).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.write()?;
        self.inner.transact(writes).await
    }
    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        self.write()?;
        self.inner.put_many(items).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn scan(&self, scan: &Scan) -> Result<Page, StoreError> {
        self.inner.scan(scan).await
    }
}

//! Payments benchmarks for scripts/bench-payments, on the embedded store in a temporary folder
//! with the gateway simulator in-process on a loopback port and the real client
//! (`SberbankGateway`), as in `tests/api/payments.rs`:
//!
//! 1. the callback's checksum verification alone;
//! 2. a duplicate callback end to end (verify, getOrderStatusExtended.do over loopback HTTP,
//!    the store reads that find nothing to change);
//! 3. the first callback, which credits (verify, status, the credit transaction);
//! 4. the store part of 2 and 3 alone: `confirm` with a gateway wrapper that answers the
//!    status from a cache filled beforehand (only to take the bank's loopback latency out),
//!    and the status query over loopback alone for comparison;
//!
//! then the store requests of one whole payment, counted by a wrapper around the store whose
//! every port call is one DynamoDB request (the DynamoDB adapter's mapping: `get` GetItem,
//! `get_many` BatchGetItem, a one-write `transact`/`put`/`delete` PutItem or DeleteItem, a
//! larger `transact` TransactWriteItems, `query` one Query page, `put_many` BatchWriteItem).
//!
//! `payments_bench [PAYMENTS] [DUPLICATES] [VERIFICATIONS]` (defaults 300, 1000, 20000).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use svet_domain::identity::input::parse_email;
use svet_domain::payments::{
    BankStatus, CallbackNotice, CallbackOutcome, CallbackRefused, GatewayError, OrderRef, OrderRequest,
    Payment, PaymentGateway, PaymentStatus, Payments, RegisteredOrder, StartPayment, Started,
};
use svet_domain::readings::Typed;
use svet_domain::registry::{self, ImportOptions, Quiet};
use svet_domain::store::{Page, Query, Scan};
use svet_domain::{
    AccountNumber, Config, Item, Key, Kopecks, RandomIds, Store, StoreError, SystemClock, Write,
};
use svet_sberbank::callback::hmac_checksum;
use svet_sberbank::{
    CallbackKey, Client, Credentials, FiscalSettings, GatewayConfig, PaymentObject, RetryPolicy,
    SberbankGateway, Secret, TaxType, Url,
};
use svet_sberbank_sim::{Simulator, TEST_CALLBACK_KEY};
use tokio::net::TcpListener;

const SUCCESS_CARD: (&str, &str, &str) = ("2202205000012424", "05/28", "649");
const RETURN_URL: &str = "http://127.0.0.1:8080/api/payments/return";
const FIRST_ACCOUNT: u64 = 400_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arg =
        |n: usize, default: usize| std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default);
    let payments = arg(1, 300);
    let duplicates = arg(2, 1000);
    let verifications = arg(3, 20_000);

    // The simulator on a free loopback port, the real client against it.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let simulator = Arc::new(Simulator::new(svet_sberbank_sim::Config::default()));
    tokio::spawn(async move { svet_sberbank_sim::server::serve(listener, simulator).await });
    let bank = gateway(&address.to_string())?;

    // The embedded store with 2 × PAYMENTS + 2 single-rate accounts (one per payment, so that
    // each payment's reading is the account's first).
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(SystemClock);
    let sqlite: Arc<dyn Store> =
        Arc::new(svet_embedded::SqliteStore::open(dir.path().join("svet.db"), clock.clone())?);
    let config = Config::from_env()?;
    let accounts = 2 * payments + 2;
    let rows: String = (0..accounts)
        .map(|i| {
            format!(
                "{};г. Калуга, ул. Ленина, д. {}, кв. {};single;6;12345;;urban;123456\n",
                FIRST_ACCOUNT + i as u64,
                i % 90 + 1,
                i + 1
            )
        })
        .collect();
    let file = format!("account;address;meter;digits;reading;reading_night;tariff;balance\n{rows}");
    registry::import(
        sqlite.as_ref(),
        &config,
        clock.as_ref(),
        &RandomIds,
        || Ok(std::io::Cursor::new(file.clone().into_bytes())),
        "bench",
        file.len() as u64,
        &ImportOptions::default(),
        &Quiet,
        &mut |_| {},
    )
    .await?;

    let counting = Counting::new(sqlite.clone());
    let tap = Tap::new(&bank);
    let pay =
        Payments { store: &counting, clock: clock.as_ref(), ids: &RandomIds, config: &config, gateway: &tap };
    let mut next_account = 0..accounts;
    let mut account =
        || AccountNumber::parse(&(FIRST_ACCOUNT + next_account.next().unwrap() as u64).to_string());

    println!("machine: {} cores, load average {}", cores(), load());
    println!("latency (n = samples; wall clock, sequential, one task)");

    // 3 first (it leaves credited payments for 2): prepare PAYMENTS paid orders.
    let mut paid = Vec::new();
    for i in 0..payments {
        paid.push(start_and_pay(&pay, &account()?, &format!("bench-form-{i}")).await?);
    }
    // 1. The checksum alone.
    let params = callback(&paid[0].payment);
    let mut times = Vec::with_capacity(verifications);
    for _ in 0..verifications {
        let started = Instant::now();
        let notice = bank.verify_callback(&params);
        times.push(started.elapsed());
        anyhow::ensure!(notice.is_ok(), "the checksum was refused: {notice:?}");
    }
    report("1. verify_callback alone (HMAC-SHA256 check, parse)", &mut times);

    let mut times = Vec::with_capacity(payments);
    for started_payment in &paid {
        let params = callback(&started_payment.payment);
        let started = Instant::now();
        let outcome = pay.callback(&params).await?;
        times.push(started.elapsed());
        anyhow::ensure!(credited_now(&outcome), "the first callback did not credit: {outcome:?}");
    }
    // 2. Duplicates of a credited payment's callback.
    let mut dup_times = Vec::with_capacity(duplicates);
    for _ in 0..duplicates {
        let started = Instant::now();
        let outcome = pay.callback(&params).await?;
        dup_times.push(started.elapsed());
        anyhow::ensure!(already_paid(&outcome), "a duplicate callback changed something: {outcome:?}");
    }
    report("2. duplicate callback end to end (verify, status over loopback, 3 reads)", &mut dup_times);
    report("3. first callback, credits (verify, status over loopback, 3 reads, transaction)", &mut times);

    // 4. The store part alone: confirm with the status answered from a cache.
    let mut fresh = Vec::new();
    for i in 0..payments {
        fresh.push(start_and_pay(&pay, &account()?, &format!("bench-cache-{i}")).await?);
    }
    let cached = Tap::new(&bank);
    for s in &fresh {
        cached.remember(s.payment.order_number.as_deref().unwrap()).await?;
    }
    let local = Payments { gateway: &cached, ..pay };
    let mut times = Vec::with_capacity(payments);
    for s in &fresh {
        let number = s.payment.order_number.as_deref().unwrap();
        let started = Instant::now();
        let confirmed = local.confirm(OrderRef::Number(number)).await?;
        times.push(started.elapsed());
        anyhow::ensure!(confirmed.is_some_and(|c| c.credited_now), "the cached confirmation did not credit");
    }
    let number = fresh[0].payment.order_number.as_deref().unwrap();
    let mut dup_times = Vec::with_capacity(duplicates);
    for _ in 0..duplicates {
        let started = Instant::now();
        let confirmed = local.confirm(OrderRef::Number(number)).await?;
        dup_times.push(started.elapsed());
        anyhow::ensure!(confirmed.is_some_and(|c| !c.credited_now), "a cached duplicate credited");
    }
    report("4a. store part of 2: confirm, status cached (3 reads)", &mut dup_times);
    report("4b. store part of 3: confirm, status cached (3 reads, transaction)", &mut times);
    let params = callback(&fresh[0].payment);
    let mut times = Vec::with_capacity(duplicates);
    for _ in 0..duplicates {
        let started = Instant::now();
        let outcome = local.callback(&params).await?;
        times.push(started.elapsed());
        anyhow::ensure!(already_paid(&outcome), "a cached duplicate callback changed something");
    }
    report("4c. duplicate callback, status cached (verify + 3 reads)", &mut times);
    let mut times = Vec::with_capacity(duplicates);
    for _ in 0..duplicates {
        let started = Instant::now();
        let status = bank.status(OrderRef::Number(number)).await?;
        times.push(started.elapsed());
        anyhow::ensure!(status.state == svet_domain::payments::BankState::Paid, "{status:?}");
    }
    report("4d. getOrderStatusExtended.do alone, client to simulator over loopback HTTP", &mut times);

    // Store requests per payment.
    println!();
    println!("store requests per phase (each = one DynamoDB request; capacity estimated from item sizes)");
    let mut total = Counts::default();
    let mut bank_total = (0, 0);
    let mut sum = |(r, s): (u64, u64)| {
        bank_total.0 += r;
        bank_total.1 += s;
        (r, s)
    };
    let customer = account()?;
    counting.reset();
    tap.reset();
    let started = start(&pay, &customer, "bench-count-1").await?;
    let start_counts = counting.take();
    let start_bank = sum(tap.take());
    total.add(&start_counts);
    show("start (idempotency check, readings check, bill, 2 transactions)", &start_counts, start_bank);
    let again = start(&pay, &customer, "bench-count-1").await?;
    anyhow::ensure!(again.payment.id == started.payment.id, "the same form started another payment");
    show("  the same form again (double click: not part of the total)", &counting.take(), tap.take());
    pay_on_page(&started, SUCCESS_CARD).await?;
    let order_id = started.payment.order_id.clone().unwrap();
    let returned = pay.confirm(OrderRef::Id(&order_id)).await?;
    anyhow::ensure!(returned.is_some_and(|c| c.credited_now), "the return did not credit");
    let c = counting.take();
    total.add(&c);
    show("return: confirm by orderId, credits", &c, sum(tap.take()));
    let payment: Payment = sqlite.get(&started.payment.key()).await?.unwrap().to_serde()?;
    let outcome = pay.callback(&callback(&payment)).await?;
    anyhow::ensure!(already_paid(&outcome), "the callback after the return changed something");
    let c = counting.take();
    total.add(&c);
    show("callback (duplicate of the return)", &c, sum(tap.take()));
    let summary = pay.reconcile().await?;
    anyhow::ensure!(summary.checked == 0, "reconciliation found due entries: {summary:?}");
    let c = counting.take();
    total.add(&c);
    show("reconciliation run, nothing due", &c, sum(tap.take()));
    show("whole payment (start + return + callback + reconciliation run)", &total, bank_total);
    let reader = account()?;
    let row = pay.submit_readings(&reader, &reading(), true).await?;
    anyhow::ensure!(row.status == PaymentStatus::ReadingsOnly);
    show("readings-only submission", &counting.take(), tap.take());
    println!(
        "  columns: Get=GetItem BGet=BatchGetItem Q=Query Put=PutItem Del=DeleteItem Tx=TransactWriteItems"
    );
    println!("  (items in it) BW=BatchWriteItem; RRU strongly consistent, 4 KB; WRU 1 KB, 2 per");
    println!("  transactional item; bank = register.do + getOrderStatusExtended.do calls");
    Ok(())
}

fn gateway(address: &str) -> anyhow::Result<SberbankGateway> {
    let credentials = Credentials::Password { user_name: "svet-api".into(), password: Secret::new("svet") };
    let mut config = GatewayConfig::new(Url::parse(&format!("http://{address}/payment/rest/"))?, credentials);
    config.connect_timeout = Duration::from_secs(2);
    config.request_timeout = Duration::from_secs(5);
    config.retry = RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(20) };
    Ok(SberbankGateway::new(
        Client::new(config)?,
        CallbackKey::hmac(Secret::new(TEST_CALLBACK_KEY))?,
        FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
    ))
}

fn reading() -> Typed {
    Typed { single: Some("12445".into()), ..Typed::default() }
}

async fn start(pay: &Payments<'_>, account: &AccountNumber, key: &str) -> anyhow::Result<Started> {
    Ok(pay
        .start(&StartPayment {
            account,
            amount: Kopecks::new(123_456),
            email: parse_email("payer@list.ru").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            receipt_mail: false,
            readings: &reading(),
            confirm_readings: true,
            idempotency_key: key,
            return_url: RETURN_URL,
        })
        .await?)
}

async fn start_and_pay(pay: &Payments<'_>, account: &AccountNumber, key: &str) -> anyhow::Result<Started> {
    let started = start(pay, account, key).await?;
    pay_on_page(&started, SUCCESS_CARD).await?;
    Ok(started)
}

/// Pays on the simulator's page as a customer would (the success card is frictionless).
async fn pay_on_page(started: &Started, (pan, expiry, cvc): (&str, &str, &str)) -> anyhow::Result<()> {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut page = Url::parse(&started.form_url)?;
    page.set_query(None);
    let id = started.payment.order_id.as_deref().unwrap_or_default();
    let form = [("mdOrder", id), ("pan", pan), ("expiry", expiry), ("cvc", cvc)];
    let response = browser.post(page).form(&form).send().await?;
    anyhow::ensure!(response.status().is_redirection(), "the payment page answered {}", response.status());
    Ok(())
}

/// A "deposited" callback as the bank sends it, signed with the simulator's test key.
fn callback(payment: &Payment) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = vec![
        ("mdOrder".into(), payment.order_id.clone().unwrap_or_default()),
        ("orderNumber".into(), payment.order_number.clone().unwrap_or_default()),
        ("operation".into(), "deposited".into()),
        ("status".into(), "1".into()),
    ];
    let checksum =
        hmac_checksum(&Secret::new(TEST_CALLBACK_KEY), params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    params.push(("checksum".into(), checksum));
    params
}

fn credited_now(outcome: &CallbackOutcome) -> bool {
    matches!(outcome, CallbackOutcome::Confirmed(c) if c.credited_now && c.payment.status == PaymentStatus::Paid)
}

fn already_paid(outcome: &CallbackOutcome) -> bool {
    matches!(outcome, CallbackOutcome::Confirmed(c) if !c.credited_now && c.payment.status == PaymentStatus::Paid)
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let pick = |q: usize| times[(times.len() * q / 100).min(times.len() - 1)];
    println!(
        "{what}: n={} p50={:.1?} p90={:.1?} p99={:.1?} max={:.1?}",
        times.len(),
        pick(50),
        pick(90),
        pick(99),
        times[times.len() - 1]
    );
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, usize::from)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The store requests one phase made, as DynamoDB requests, with estimated capacity units.
#[derive(Debug, Default, Clone)]
struct Counts {
    get: u64,
    batch_get: u64,
    query: u64,
    put: u64,
    delete: u64,
    transact: u64,
    transact_items: u64,
    batch_write: u64,
    scan: u64,
    /// Read units: strongly consistent, 4 KB each, at least one per request (and per item of a
    /// BatchGetItem).
    rru: u64,
    /// Write units: 1 KB each, twice for a transactional item.
    wru: u64,
    /// The largest item written, in bytes (estimated as DynamoDB counts them).
    largest: u64,
}

impl Counts {
    fn requests(&self) -> u64 {
        self.get
            + self.batch_get
            + self.query
            + self.put
            + self.delete
            + self.transact
            + self.batch_write
            + self.scan
    }

    fn add(&mut self, o: &Counts) {
        self.get += o.get;
        self.batch_get += o.batch_get;
        self.query += o.query;
        self.put += o.put;
        self.delete += o.delete;
        self.transact += o.transact;
        self.transact_items += o.transact_items;
        self.batch_write += o.batch_write;
        self.scan += o.scan;
        self.rru += o.rru;
        self.wru += o.wru;
        self.largest = self.largest.max(o.largest);
    }
}

fn show(phase: &str, c: &Counts, (register, status): (u64, u64)) {
    println!(
        "{phase:<66} Get {:>2} BGet {} Q {} Put {} Del {} Tx {} ({:>2} items) BW {} | requests {:>2} | RRU {:>2} WRU {:>2} | bank {}+{} | largest item {} B",
        c.get,
        c.batch_get,
        c.query,
        c.put,
        c.delete,
        c.transact,
        c.transact_items,
        c.batch_write,
        c.requests(),
        c.rru,
        c.wru,
        register,
        status,
        c.largest
    );
}

/// DynamoDB's item size, approximately: attribute names and values, the data map as its JSON.
fn item_bytes(item: &Item) -> u64 {
    let data = serde_json::to_string(&item.data).map_or(0, |s| s.len());
    let expiry = if item.expires_at.is_some() { 9 + 10 } else { 0 };
    (2 + item.key.pk.len() + 2 + item.key.sk.len() + 4 + data + 1 + 4 + expiry) as u64
}

fn units(bytes: u64, unit: u64) -> u64 {
    bytes.div_ceil(unit).max(1)
}

/// A store that counts its callers' requests as the DynamoDB adapter would send them.
struct Counting {
    inner: Arc<dyn Store>,
    counts: Mutex<Counts>,
}

impl Counting {
    fn new(inner: Arc<dyn Store>) -> Self {
        Counting { inner, counts: Mutex::new(Counts::default()) }
    }

    fn count(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut self.counts.lock().unwrap());
    }

    fn reset(&self) {
        self.take();
    }

    fn take(&self) -> Counts {
        std::mem::take(&mut *self.counts.lock().unwrap())
    }

    /// A single put or delete is PutItem/DeleteItem (the adapter sends no transaction for it).
    fn count_single(&self, write: &Write) {
        match write {
            Write::Put { item, .. } => self.count(|c| {
                c.put += 1;
                c.wru += units(item_bytes(item), 1024);
                c.largest = c.largest.max(item_bytes(item));
            }),
            Write::Delete { .. } => self.count(|c| {
                c.delete += 1;
                c.wru += 1;
            }),
            Write::Check { .. } => self.count(|c| {
                c.transact += 1;
                c.transact_items += 1;
                c.wru += 2;
            }),
        }
    }
}

#[async_trait]
impl Store for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let found = self.inner.get(key).await?;
        let bytes = found.as_ref().map_or(0, item_bytes);
        self.count(|c| {
            c.get += 1;
            c.rru += units(bytes, 4096);
        });
        Ok(found)
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let found = self.inner.get_many(keys).await?;
        let read: u64 = found.iter().map(|i| units(item_bytes(i), 4096)).sum();
        self.count(|c| {
            c.batch_get += keys.len().div_ceil(100) as u64;
            c.rru += read;
        });
        Ok(found)
    }

    async fn put(&self, item: Item, condition: svet_domain::Condition) -> Result<(), StoreError> {
        self.count_single(&Write::Put { item: item.clone(), condition });
        self.inner.put(item, condition).await
    }

    async fn delete(&self, key: &Key, condition: svet_domain::Condition) -> Result<(), StoreError> {
        self.count_single(&Write::Delete { key: key.clone(), condition });
        self.inner.delete(key, condition).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if let [single @ (Write::Put { .. } | Write::Delete { .. })] = writes.as_slice() {
            self.count_single(single);
        } else {
            let wru: u64 = writes
                .iter()
                .map(|w| match w {
                    Write::Put { item, .. } => 2 * units(item_bytes(item), 1024),
                    _ => 2,
                })
                .sum();
            let largest = writes
                .iter()
                .filter_map(|w| match w {
                    Write::Put { item, .. } => Some(item_bytes(item)),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            self.count(|c| {
                c.largest = c.largest.max(largest);
                c.transact += 1;
                c.transact_items += writes.len() as u64;
                c.wru += wru;
            });
        }
        self.inner.transact(writes).await
    }

    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let wru: u64 = items.iter().map(|i| units(item_bytes(i), 1024)).sum();
        self.count(|c| {
            c.batch_write += items.len().div_ceil(25) as u64;
            c.wru += wru;
        });
        self.inner.put_many(items).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let page = self.inner.query(query).await?;
        let bytes: u64 = page.items.iter().map(item_bytes).sum();
        self.count(|c| {
            c.query += 1;
            c.rru += units(bytes, 4096);
        });
        Ok(page)
    }

    async fn scan(&self, scan: &Scan) -> Result<Page, StoreError> {
        self.count(|c| c.scan += 1);
        self.inner.scan(scan).await
    }
}

/// The real gateway, counting register.do and status calls; with statuses remembered
/// beforehand it answers those from memory, to take the bank's loopback latency out of a
/// measurement of our own work. Used only by this bench.
struct Tap<'a> {
    inner: &'a SberbankGateway,
    cache: Mutex<HashMap<String, BankStatus>>,
    calls: Mutex<(u64, u64)>,
}

impl<'a> Tap<'a> {
    fn new(inner: &'a SberbankGateway) -> Self {
        Tap { inner, cache: Mutex::new(HashMap::new()), calls: Mutex::new((0, 0)) }
    }

    /// Asks the bank about an order now and answers later status queries for it from memory.
    async fn remember(&self, number: &str) -> Result<(), GatewayError> {
        let status = self.inner.status(OrderRef::Number(number)).await?;
        self.cache.lock().unwrap().insert(number.to_owned(), status);
        Ok(())
    }

    fn reset(&self) {
        self.take();
    }

    fn take(&self) -> (u64, u64) {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[async_trait]
impl PaymentGateway for Tap<'_> {
    async fn register(&self, order: &OrderRequest) -> Result<RegisteredOrder, GatewayError> {
        self.calls.lock().unwrap().0 += 1;
        self.inner.register(order).await
    }

    async fn status(&self, order: OrderRef<'_>) -> Result<BankStatus, GatewayError> {
        self.calls.lock().unwrap().1 += 1;
        if let OrderRef::Number(number) = order
            && let Some(status) = self.cache.lock().unwrap().get(number)
        {
            return Ok(status.clone());
        }
        self.inner.status(order).await
    }

    async fn refund(&self, order_id: &str, amount: Kopecks) -> Result<(), GatewayError> {
        self.inner.refund(order_id, amount).await
    }

    async fn reverse(&self, order_id: &str) -> Result<(), GatewayError> {
        self.inner.reverse(order_id).await
    }

    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackRefused> {
        self.inner.verify_callback(params)
    }
}

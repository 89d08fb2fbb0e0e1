//! Faults in the middle of a request: the store, the mail service or the bank failing while a
//! request runs, through the route table and `dispatch` on both portals (SQLite and the outbox;
//! DynamoDB and SES on moto) and the bank's gateway simulator over HTTP. Every test checks the
//! same three things:
//!
//! 1. the customer gets a clear answer: 503 `unavailable` with «Сервис временно недоступен…»
//!    (the cause logged, never shown), 502 `bank_unavailable` with «Банк сейчас не отвечает…»,
//!    or, where the work is done and only a mail is missing, the success itself;
//! 2. nothing is half-written: the store is read afterwards (the items a failed write touched
//!    are as they were; no payment, credit, reading, row, queue entry or link without the rest);
//! 3. once the service is back, the same request completes exactly once (one registration and
//!    one activation mail, one reading, one payment credited once, one receipt mail).
//!
//! Faults are injected around the real adapters, never instead of them: [`Faulty`] wraps the
//! store and fails the next write that touches a given item, before it is applied, after it is
//! applied (the answer lost: a timeout after the commit), or from there on every call until it
//! is back; [`Outage`] wraps the mailer and fails every send while it is down; [`Proxy`] is a
//! loopback TCP proxy in front of the bank's simulator (and of moto) that forwards, refuses
//! connections, cuts them, or forwards a request and loses the answer, so the real clients
//! decide what the failure means.
//!
//! Request by request:
//! - `POST /api/register`: the store down; the profile's transaction failing (nothing stored)
//!   or its answer lost (the same form again is the same registration: a new link, not «already
//!   registered»); the store stopping right after the profile (201, `mail_sent: false`); the
//!   mail down (201, `mail_sent: false`; `POST /api/activation/resend` answers 202 as for any
//!   pair, sends nothing until the mail is back, then one link);
//! - `POST /api/password/forgot` with the mail down (202 as for any pair, nothing sent; asked
//!   again once it is back, one link), and
//!   `POST /api/password/reset` with the mail down (the password is changed: 200);
//! - `POST /api/settings/email` with the mail down (503, the address unchanged, then one
//!   confirmation and one notice) and `POST /api/settings/password` (changed: 200);
//! - `POST /api/readings`: the reading's transaction failing or its answer lost;
//! - `POST /api/payments`: the store failing before register.do (nothing stored, the bank not
//!   asked) and after it (the payment stays `created`, reconciliation settles it; with the
//!   answer lost the same form gets its page); the bank refusing connections (`failed`), cutting
//!   them or losing register.do's answer (`created`, settled by reconciliation as `failed` or
//!   `expired`);
//! - `GET /api/payments/return` and `GET /api/sberbank/callback`: the bank unreachable (the
//!   return says `pending`, the callback 503), and the crediting transaction failing or its
//!   answer lost (the callback again credits nothing twice);
//! - the receipt mail failing: queued, and sent once by the reconcile job;
//! - `GET /api/bill` with the bucket down on a bill's first view: the bill and its PDF link are
//!   shown, the PNG (rendered and stored on that first view) comes with a later one;
//! - on moto only: DynamoDB and SES themselves stopped (behind a proxy) mid-session, so the
//!   real AWS adapters' error mapping is what answers.
//!
//! Elsewhere: the store down or DynamoDB unreachable on a request (`handlers.rs`), the document
//! store and the mail failing in the bill run (`bills.rs`, `bill_fanout.rs`), a crash in the
//! middle of an import (`registry_import.rs`), the bank unreachable in the payments use case
//! (`payments.rs`), a receipt mail drained after an outage (`payments_http.rs`), refund.do's
//! answer lost and the store failing after refund.do (`refunds.rs`, with this file's [`Faulty`]).
//!
//! Left out: a mid-transaction crash of the store itself (both adapters' transactions are
//! atomic, held by the contract suite: a fault is before or after the commit, which is what the
//! wrapper injects); the store failing after a password is written but before the other
//! sessions are closed (503, though the password is changed).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use http::Method;
use jiff::SignedDuration;
use serde_json::{Value, json};
use svet_api::App;
use svet_domain::bills::bills;
use svet_domain::bills::document::{Format, doc_key};
use svet_domain::documents::{DocKey, Document, DocumentError, Documents};
use svet_domain::identity::profile::{Status, load};
use svet_domain::mail::MailError;
use svet_domain::payments::{Payment, PaymentStatus, Started};
use svet_domain::readings::history;
use svet_domain::store::{Item, Key, Page, Query, Scan, SkRange, Store, StoreError, Write};
use svet_domain::{AccountNumber, Mail, Mailer, SequentialIds};
use svet_sberbank::{
    CallbackKey, Client, Credentials, FiscalSettings, GatewayConfig, PaymentObject, RetryPolicy,
    SberbankGateway, Secret, TaxType, Url,
};
use svet_sberbank_sim::{ManualClock, Simulator, TEST_CALLBACK_KEY};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::payments::{callback, credits, pay_on_page};
use crate::portal::{Portal, Reply, on_both_portals};

on_both_portals!(
    a_registration_is_stored_whole_or_not_at_all_and_its_retry_registers_once,
    a_registration_stands_when_the_mail_is_down_and_its_link_is_sent_again,
    a_password_reset_with_the_mail_down,
    settings_changes_with_the_mail_down,
    a_reading_is_stored_with_its_row_or_not_at_all,
    a_payment_the_store_drops_before_the_bank_leaves_nothing,
    a_payment_the_store_drops_after_the_bank_is_settled_by_reconciliation,
    a_payment_the_bank_cannot_take_is_refused_clearly_and_settled_later,
    the_return_and_the_callback_wait_out_a_bank_that_cannot_be_asked,
    a_credit_the_store_drops_happens_once_when_the_callback_comes_again,
    a_receipt_the_mail_drops_is_sent_once_by_the_reconcile_job,
    a_bill_is_shown_without_its_png_while_the_bucket_is_down,
);

const LENINA: (&str, &str) = ("180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5");
const KIROVA: (&str, &str) = ("180211112", "г. Калуга, ул. Кирова, д. 3, кв. 41");
const STARICHKOV: (&str, &str) = ("180211114", "г. Калуга, пер. Старичков, д. 2, кв. 17");
const PASSWORD: &str = "Светлячок-2026";
const SUCCESS_CARD: (&str, &str, &str) = ("2202205000012424", "05/28", "649");
/// The order's lifetime at the bank and reconciliation's margin, and a second.
const PAST_DUE: i64 = 1200 + 300 + 1;

// --- The store, failing on purpose -------------------------------------------------------

/// What an injected store failure loses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lose {
    /// The write: it fails before anything of it is applied.
    Write,
    /// The answer: the write is applied, then the call fails (a timeout after the commit).
    Answer,
    /// The store: the write fails, and so does every call after it until [`Faulty::up`].
    Store,
}

/// Which writes a fault is for: those that touch an item it matches.
pub(crate) type Hits = Box<dyn Fn(&Key) -> bool + Send + Sync>;

fn sk(prefix: &'static str) -> Hits {
    Box::new(move |key| key.sk.starts_with(prefix))
}

fn pk(prefix: &'static str) -> Hits {
    Box::new(move |key| key.pk.starts_with(prefix))
}

fn injected(what: &str) -> StoreError {
    StoreError::unavailable(anyhow::anyhow!("injected: {what}"))
}

/// The real store with faults on demand: down (every call fails), or a trap that fails the
/// next write (a whole transaction, as the real ones fail) touching an item it matches.
pub(crate) struct Faulty {
    inner: Arc<dyn Store>,
    down: AtomicBool,
    trap: Mutex<Option<(Hits, Lose)>>,
    /// The items the failed write touched, as they were when it failed.
    before: Mutex<Vec<(Key, Option<Item>)>>,
}

impl Faulty {
    pub(crate) fn new(inner: Arc<dyn Store>) -> Self {
        Faulty { inner, down: AtomicBool::new(false), trap: Mutex::new(None), before: Mutex::new(Vec::new()) }
    }

    fn down(&self) {
        self.down.store(true, Ordering::SeqCst);
    }

    fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    pub(crate) fn fail_next(&self, lose: Lose, hits: Hits) {
        *self.trap.lock().unwrap() = Some((hits, lose));
        self.before.lock().unwrap().clear();
    }

    /// Asserts that the trap went off and that nothing of the write it failed was applied: every
    /// item the write touched is as it was.
    async fn assert_untouched(&self, p: &Portal) {
        assert!(self.trap.lock().unwrap().is_none(), "{}: the fault was never injected", p.backend);
        let before = self.before.lock().unwrap().clone();
        assert!(!before.is_empty(), "{}: the failed write touched nothing", p.backend);
        for (key, item) in before {
            let now = self.inner.get(&key).await.unwrap();
            assert_eq!(now, item, "{}: {}/{} was changed by a failed write", p.backend, key.pk, key.sk);
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(injected("the store is down"));
        }
        Ok(())
    }

    /// The fault for a write of `keys`, when the trap is set for one of them.
    fn spring(&self, keys: &[Key]) -> Option<Lose> {
        let mut trap = self.trap.lock().unwrap();
        let hit = trap.as_ref().is_some_and(|(hits, _)| keys.iter().any(hits));
        if hit { trap.take().map(|(_, lose)| lose) } else { None }
    }

    /// Fails a write of `keys` before it is applied, remembering what its items were.
    async fn refuse(&self, lose: Lose, keys: Vec<Key>) -> StoreError {
        let mut before = Vec::new();
        for key in keys {
            let item = self.inner.get(&key).await.expect("the real store answers");
            before.push((key, item));
        }
        *self.before.lock().unwrap() = before;
        if lose == Lose::Store {
            self.down();
        }
        injected("the write failed")
    }
}

#[async_trait]
impl Store for Faulty {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.check()?;
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.check()?;
        self.inner.get_many(keys).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.check()?;
        let keys: Vec<Key> = writes.iter().map(|w| w.key().clone()).collect();
        match self.spring(&keys) {
            None => self.inner.transact(writes).await,
            Some(Lose::Answer) => {
                self.inner.transact(writes).await?;
                Err(injected("the write was done, its answer lost"))
            }
            Some(lose) => Err(self.refuse(lose, keys).await),
        }
    }

    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        self.check()?;
        let keys: Vec<Key> = items.iter().map(|i| i.key.clone()).collect();
        match self.spring(&keys) {
            None => self.inner.put_many(items).await,
            Some(Lose::Answer) => {
                self.inner.put_many(items).await?;
                Err(injected("the write was done, its answer lost"))
            }
            Some(lose) => Err(self.refuse(lose, keys).await),
        }
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.check()?;
        self.inner.query(query).await
    }

    async fn scan(&self, scan: &Scan) -> Result<Page, StoreError> {
        self.check()?;
        self.inner.scan(scan).await
    }
}

// --- The mail service, down on purpose ---------------------------------------------------

/// The real mailer behind a switch: while it is down every send fails as the service's would.
struct Outage {
    inner: Arc<dyn Mailer>,
    down: AtomicBool,
}

impl Outage {
    fn down(&self) {
        self.down.store(true, Ordering::SeqCst);
    }

    fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[async_trait]
impl Mailer for Outage {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(MailError::Unavailable(anyhow::anyhow!("injected: the mail service is down")));
        }
        self.inner.send(mail).await
    }
}

// --- The document store, down on purpose -------------------------------------------------

/// The real document store behind a switch: while it is down, reads and writes fail as the
/// bucket's would; links are signed without asking it (an S3 presigned link is computed
/// locally), so they still work.
struct Bucket {
    inner: Arc<dyn Documents>,
    down: AtomicBool,
}

impl Bucket {
    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), DocumentError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DocumentError::Unavailable(anyhow::anyhow!("injected: the bucket is down")));
        }
        Ok(())
    }
}

#[async_trait]
impl Documents for Bucket {
    async fn put(&self, key: &DocKey, doc: Document) -> Result<(), DocumentError> {
        self.check()?;
        self.inner.put(key, doc).await
    }

    async fn get(&self, key: &DocKey) -> Result<Option<Document>, DocumentError> {
        self.check()?;
        self.inner.get(key).await
    }

    async fn link(&self, key: &DocKey, valid_for: Duration) -> Result<String, DocumentError> {
        self.inner.link(key, valid_for).await
    }
}

// --- A service stopped on purpose: a loopback TCP proxy ----------------------------------

/// What the proxy does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forwards both ways.
    Up,
    /// Does not listen: connections are refused, so the request certainly never left.
    Refusing,
    /// Accepts and hangs up at once, forwarding nothing.
    Cut,
    /// Forwards the request, then hangs up as the answer starts: the service did the work.
    AnswerLost,
}

/// A TCP proxy on 127.0.0.1 in front of `upstream`. A change of mode ends the connections open
/// so far, so a client's pooled connection cannot slip past it.
struct Proxy {
    address: SocketAddr,
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    listening: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy cannot get a port");
        let (mode, _) = watch::channel(Mode::Up);
        let proxy = Proxy {
            address: listener.local_addr().unwrap(),
            upstream,
            mode,
            listening: Mutex::new(None),
            connections: Arc::default(),
        };
        proxy.listen(listener);
        proxy
    }

    fn listen(&self, listener: TcpListener) {
        let task =
            tokio::spawn(accept(listener, self.upstream, self.mode.subscribe(), self.connections.clone()));
        *self.listening.lock().unwrap() = Some(task);
    }

    async fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
        let running = self.listening.lock().unwrap().take();
        match (mode, running) {
            (Mode::Refusing, Some(task)) => {
                task.abort();
                let _ = task.await;
            }
            (Mode::Refusing, None) => {}
            (_, Some(task)) => *self.listening.lock().unwrap() = Some(task),
            (_, None) => {
                self.listen(TcpListener::bind(self.address).await.expect("the proxy's port is free again"))
            }
        }
    }

    /// Connections accepted so far.
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
    connections: Arc<AtomicUsize>,
) {
    while let Ok((client, _)) = listener.accept().await {
        connections.fetch_add(1, Ordering::SeqCst);
        let now = *mode.borrow_and_update();
        tokio::spawn(relay(client, upstream, now, mode.clone()));
    }
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, mode: Mode, mut changed: watch::Receiver<Mode>) {
    if matches!(mode, Mode::Cut | Mode::Refusing) {
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    if mode == Mode::AnswerLost {
        let (mut from_client, _) = client.split();
        let (mut from_server, mut to_server) = server.split();
        let mut first = [0u8; 1];
        tokio::select! {
            _ = tokio::io::copy(&mut from_client, &mut to_server) => {}
            _ = from_server.read(&mut first) => {}
        }
        return;
    }
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = changed.changed() => {}
    }
}

// --- The portal with its faults ----------------------------------------------------------

/// A portal's application over the faulty store and mailer (and the bank, for payments).
struct Rig<'p> {
    p: &'p Portal,
    store: Arc<Faulty>,
    mail: Arc<Outage>,
    bucket: Arc<Bucket>,
    app: App,
}

impl<'p> Rig<'p> {
    fn new(p: &'p Portal) -> Self {
        let store = Arc::new(Faulty::new(p.app.store.clone()));
        let mail = Arc::new(Outage { inner: p.app.mailer.clone(), down: AtomicBool::new(false) });
        let bucket = Arc::new(Bucket { inner: p.app.documents.clone(), down: AtomicBool::new(false) });
        let app =
            App { store: store.clone(), mailer: mail.clone(), documents: bucket.clone(), ..p.app.clone() };
        Rig { p, store, mail, bucket, app }
    }

    fn with_bank(p: &'p Portal, bank: &Bank) -> Self {
        let mut rig = Rig::new(p);
        rig.app.payments = Some(Arc::new(bank.gateway.clone()));
        rig
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>, cookie: Option<&str>) -> Reply {
        self.p.call_on(&self.app, method, path, body, cookie).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body), None).await
    }
}

/// A store or mail outage as the customer sees it: 503 and the Russian message, not the cause.
fn assert_unavailable(p: &Portal, reply: &Reply, what: &str) {
    assert_eq!(reply.status, 503, "{}: {what}: {:?}", p.backend, reply.body);
    assert_eq!(reply.body["error"], "unavailable", "{}: {what}", p.backend);
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Сервис временно недоступен"), "{}: {what}: {message}", p.backend);
    assert!(
        !reply.body.to_string().contains("injected"),
        "{}: {what}: the cause is logged, not shown",
        p.backend
    );
}

/// The bank out of reach as the customer sees it at «Оплатить».
fn assert_bank_unavailable(p: &Portal, reply: &Reply, what: &str) {
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (502, Some("bank_unavailable")),
        "{}: {what}: {:?}",
        p.backend,
        reply.body
    );
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Банк сейчас не отвечает"), "{}: {what}: {message}", p.backend);
}

fn account(number: &str) -> AccountNumber {
    AccountNumber::parse(number).unwrap()
}

// --- Identity ----------------------------------------------------------------------------

fn registration(p: &Portal, (account, address): (&str, &str), name: &str) -> Value {
    json!({
        "account": account, "password": PASSWORD, "password_confirm": PASSWORD,
        "email": p.email(name), "address": address, "consent": true,
    })
}

/// How many mails to `to` carry a link to `page`.
async fn links(p: &Portal, to: &str, page: &str) -> usize {
    let needle = format!("/{page}#token=");
    p.mails_to(to).await.iter().filter(|(_, text)| text.contains(&needle)).count()
}

/// How many mails to `to` have a subject starting with `subject`.
async fn mails_titled(p: &Portal, to: &str, subject: &str) -> usize {
    p.mails_to(to).await.iter().filter(|(s, _)| s.starts_with(subject)).count()
}

/// Follows the last activation link mailed to `to`.
async fn activate(rig: &Rig<'_>, to: &str) -> Reply {
    let token = rig.p.last_token(to, "activate.html").await;
    rig.post("/api/activate", json!({ "token": token })).await
}

fn assert_registered(p: &Portal, reply: &Reply, mail_sent: bool, what: &str) {
    assert_eq!(
        (reply.status, &reply.body["mail_sent"]),
        (201, &json!(mail_sent)),
        "{}: {what}: {:?}",
        p.backend,
        reply.body
    );
}

async fn a_registration_is_stored_whole_or_not_at_all_and_its_retry_registers_once(p: &Portal) {
    let rig = Rig::new(p);
    let store = p.app.store.as_ref();

    // The store down from the start: 503, nothing to undo.
    rig.store.down();
    let form = registration(p, LENINA, "ivanov");
    assert_unavailable(p, &rig.post("/api/register", form.clone()).await, "the store down");
    rig.store.up();

    // The transaction of the profile and its activation token fails: neither is stored and no
    // mail goes. The same form again registers once and mails one link.
    let to = p.email("ivanov");
    rig.store.fail_next(Lose::Write, sk("PROFILE"));
    assert_unavailable(p, &rig.post("/api/register", form.clone()).await, "the profile's write failed");
    rig.store.assert_untouched(p).await;
    assert!(load(store, &account(LENINA.0)).await.unwrap().is_none(), "{}", p.backend);
    assert!(p.mails_to(&to).await.is_empty(), "{}", p.backend);
    assert_registered(p, &rig.post("/api/register", form).await, true, "the same form again");
    assert_eq!(links(p, &to, "activate.html").await, 1, "{}", p.backend);
    assert_eq!(activate(&rig, &to).await.status, 200, "{}", p.backend);

    // The same write done but its answer lost: stored and pending, no mail. The same form again
    // is the same registration: one link, the profile not written again; another e-mail or
    // another password for that account is «already registered», as before.
    let form = registration(p, KIROVA, "petrov");
    let to = p.email("petrov");
    rig.store.fail_next(Lose::Answer, sk("PROFILE"));
    assert_unavailable(p, &rig.post("/api/register", form.clone()).await, "the profile's answer was lost");
    let stored = load(store, &account(KIROVA.0)).await.unwrap().expect("the profile was written");
    assert_eq!(stored.profile.status, Status::Pending, "{}", p.backend);
    assert!(p.mails_to(&to).await.is_empty(), "{}", p.backend);
    let mut stranger = form.clone();
    stranger["email"] = json!(p.email("stranger"));
    let mut guess = form.clone();
    guess["password"] = json!("Другой-пароль-5");
    guess["password_confirm"] = json!("Другой-пароль-5");
    for other in [stranger, guess] {
        let r = rig.post("/api/register", other).await;
        assert_eq!((r.status, r.body["error"].as_str()), (409, Some("already_registered")), "{}", p.backend);
    }
    assert!(p.mails_to(&p.email("stranger")).await.is_empty(), "{}", p.backend);
    assert_registered(
        p,
        &rig.post("/api/register", form.clone()).await,
        true,
        "the form after a lost answer",
    );
    let again = load(store, &account(KIROVA.0)).await.unwrap().unwrap();
    assert_eq!(again.version, stored.version, "{}: the profile is written once", p.backend);
    assert_eq!(links(p, &to, "activate.html").await, 1, "{}", p.backend);
    assert_eq!(activate(&rig, &to).await.status, 200, "{}", p.backend);
    let late = rig.post("/api/register", form).await;
    assert_eq!(late.status, 409, "{}: once active, the form again is refused", p.backend);

    // The store stops right after the profile, at the mail's counter: the registration stands
    // (201, the mail not sent); «send again» is 503 while the store is down, then one link.
    let to = p.email("sidorov");
    rig.store.fail_next(Lose::Store, pk("LIMIT#mail-to#"));
    let r = rig.post("/api/register", registration(p, STARICHKOV, "sidorov")).await;
    assert_registered(p, &r, false, "the store stopped after the profile");
    let resend = json!({ "account": STARICHKOV.0, "email": to });
    assert_unavailable(p, &rig.post("/api/activation/resend", resend.clone()).await, "resend, store down");
    rig.store.up();
    let stored = load(store, &account(STARICHKOV.0)).await.unwrap().expect("the profile stands");
    assert_eq!(stored.profile.status, Status::Pending, "{}", p.backend);
    assert!(p.mails_to(&to).await.is_empty(), "{}", p.backend);
    assert_eq!(rig.post("/api/activation/resend", resend).await.status, 202, "{}", p.backend);
    assert_eq!(links(p, &to, "activate.html").await, 1, "{}", p.backend);
    assert_eq!(activate(&rig, &to).await.status, 200, "{}", p.backend);
}

async fn a_registration_stands_when_the_mail_is_down_and_its_link_is_sent_again(p: &Portal) {
    let rig = Rig::new(p);
    let to = p.email("ivanov");
    rig.mail.down();
    let r = rig.post("/api/register", registration(p, LENINA, "ivanov")).await;
    assert_registered(p, &r, false, "the mail down");
    let stored = load(p.app.store.as_ref(), &account(LENINA.0)).await.unwrap().expect("registered");
    assert_eq!(stored.profile.status, Status::Pending, "{}", p.backend);
    assert!(p.mails_to(&to).await.is_empty(), "{}", p.backend);

    // Logging in says the link is missing; asking for it again while the mail is down answers
    // as for any pair (202: a 503 only for real pairs would tell a stranger which are) and
    // sends nothing; once it is back, one link, and it activates.
    let login = json!({ "account": LENINA.0, "password": PASSWORD });
    let r = rig.post("/api/login", login.clone()).await;
    assert_eq!((r.status, r.body["error"].as_str()), (403, Some("not_activated")), "{}", p.backend);
    let resend = json!({ "account": LENINA.0, "email": to });
    assert_eq!(rig.post("/api/activation/resend", resend.clone()).await.status, 202, "{}", p.backend);
    assert!(p.mails_to(&to).await.is_empty(), "{}: nothing sent while the mail is down", p.backend);
    rig.mail.up();
    assert_eq!(rig.post("/api/activation/resend", resend).await.status, 202, "{}", p.backend);
    assert_eq!(links(p, &to, "activate.html").await, 1, "{}", p.backend);
    assert_eq!(activate(&rig, &to).await.status, 200, "{}", p.backend);
    assert_eq!(rig.post("/api/login", login).await.status, 200, "{}", p.backend);
}

async fn a_password_reset_with_the_mail_down(p: &Portal) {
    let rig = Rig::new(p);
    p.logged_in(LENINA.0, LENINA.1).await;
    let to = p.email(&format!("user{}", LENINA.0));
    let forgot = json!({ "account": LENINA.0, "email": to });

    // Asking for the link while the mail is down: the same 202 as for a pair that is no
    // customer's (the page says to call support when no letter comes), and nothing sent.
    rig.mail.down();
    let unknown = json!({ "account": LENINA.0, "email": p.email("stranger") });
    let (real, other) = (
        rig.post("/api/password/forgot", forgot.clone()).await,
        rig.post("/api/password/forgot", unknown).await,
    );
    assert_eq!((real.status, &real.body), (other.status, &other.body), "{}: one answer for both", p.backend);
    assert_eq!(real.status, 202, "{}", p.backend);
    rig.mail.up();
    assert_eq!(links(p, &to, "reset.html").await, 0, "{}", p.backend);
    assert_eq!(rig.post("/api/password/forgot", forgot).await.status, 202, "{}", p.backend);
    assert_eq!(links(p, &to, "reset.html").await, 1, "{}", p.backend);

    // Setting the password while the mail is down: it is set (only the notice is missing); the
    // link is used up, as after any reset.
    let token = p.last_token(&to, "reset.html").await;
    let new = json!({ "token": token, "password": "Новый-пароль-77", "password_confirm": "Новый-пароль-77" });
    rig.mail.down();
    let r = rig.post("/api/password/reset", new.clone()).await;
    assert_eq!(r.status, 200, "{}: the password is changed: {:?}", p.backend, r.body);
    rig.mail.up();
    assert_eq!(rig.post("/api/password/reset", new).await.status, 410, "{}", p.backend);
    assert_eq!(mails_titled(p, &to, "Пароль изменён").await, 0, "{}", p.backend);
    let old = rig.post("/api/login", json!({ "account": LENINA.0, "password": PASSWORD })).await;
    assert_eq!(old.status, 401, "{}", p.backend);
    let new = rig.post("/api/login", json!({ "account": LENINA.0, "password": "Новый-пароль-77" })).await;
    assert_eq!(new.status, 200, "{}", p.backend);
}

async fn settings_changes_with_the_mail_down(p: &Portal) {
    let rig = Rig::new(p);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;
    let other =
        rig.post("/api/login", json!({ "account": LENINA.0, "password": PASSWORD })).await.cookie.unwrap();
    let (old, new) = (p.email(&format!("user{}", LENINA.0)), p.email("new"));
    let settings = || rig.call(Method::GET, "/api/settings", None, Some(&cookie));
    let change_email =
        || rig.call(Method::POST, "/api/settings/email", Some(json!({ "email": new })), Some(&cookie));

    // The e-mail while the mail is down: 503; the profile keeps its address; nothing is mailed.
    rig.mail.down();
    assert_unavailable(p, &change_email().await, "an e-mail change, mail down");
    assert_eq!(settings().await.body["email"], old.as_str(), "{}", p.backend);
    assert!(p.mails_to(&new).await.is_empty(), "{}", p.backend);
    assert_eq!(mails_titled(p, &old, "Смена адреса").await, 0, "{}", p.backend);

    // The password while the mail is down: changed, the other sessions ended; only the notice
    // is missing.
    let password = json!({
        "current_password": PASSWORD, "password": "Другой-пароль-5", "password_confirm": "Другой-пароль-5",
    });
    let r = rig.call(Method::POST, "/api/settings/password", Some(password), Some(&cookie)).await;
    assert_eq!(r.status, 200, "{}: the password is changed: {:?}", p.backend, r.body);
    assert_eq!(rig.call(Method::GET, "/api/me", None, Some(&other)).await.status, 401, "{}", p.backend);
    assert_eq!(mails_titled(p, &old, "Пароль изменён").await, 0, "{}", p.backend);

    // The mail back: the e-mail change again mails one link and one notice; the link works.
    rig.mail.up();
    assert_eq!(change_email().await.status, 202, "{}", p.backend);
    assert_eq!(links(p, &new, "confirm-email.html").await, 1, "{}", p.backend);
    assert_eq!(mails_titled(p, &old, "Смена адреса").await, 1, "{}", p.backend);
    let token = p.last_token(&new, "confirm-email.html").await;
    assert_eq!(rig.post("/api/settings/email/confirm", json!({ "token": token })).await.status, 200);
    assert_eq!(settings().await.body["email"], new.as_str(), "{}", p.backend);
}

// --- Readings ----------------------------------------------------------------------------

/// Items of a partition.
async fn partition(p: &Portal, pk: &str, range: SkRange) -> Vec<Item> {
    let mut query = Query::new(pk, range);
    query.limit = 1000;
    p.app.store.query(&query).await.unwrap().items
}

/// The account's payments and readings-only rows, oldest first.
async fn payments(p: &Portal) -> Vec<Payment> {
    let items = partition(p, &format!("ACCOUNT#{}", LENINA.0), SkRange::Prefix("PAYMENT#".into())).await;
    items.iter().map(|i| i.to_serde().unwrap()).collect()
}

/// The account's readings, newest first.
async fn readings(p: &Portal) -> Vec<Value> {
    let all = history(p.app.store.as_ref(), &account(LENINA.0), 100).await.unwrap();
    all.iter().map(|r| serde_json::to_value(r.registers).unwrap()).collect()
}

async fn send_reading(rig: &Rig<'_>, cookie: &str, value: &str) -> Reply {
    rig.call(Method::POST, "/api/readings", Some(json!({ "single": value })), Some(cookie)).await
}

async fn a_reading_is_stored_with_its_row_or_not_at_all(p: &Portal) {
    let rig = Rig::new(p);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;

    // The transaction of the reading and its row «передача показаний без оплаты» fails: neither
    // is stored; the same reading again is stored once, with its row.
    rig.store.fail_next(Lose::Write, sk("READING#"));
    assert_unavailable(p, &send_reading(&rig, &cookie, "12400").await, "the reading's write failed");
    rig.store.assert_untouched(p).await;
    assert!(readings(p).await.is_empty(), "{}", p.backend);
    assert!(payments(p).await.is_empty(), "{}: no row without its reading", p.backend);
    let r = send_reading(&rig, &cookie, "12400").await;
    assert_eq!(r.status, 201, "{}: {:?}", p.backend, r.body);
    assert_eq!(readings(p).await.len(), 1, "{}", p.backend);
    let rows = payments(p).await;
    assert_eq!(rows.len(), 1, "{}", p.backend);
    assert_eq!(rows[0].status, PaymentStatus::ReadingsOnly, "{}", p.backend);

    // The same write done but its answer lost: stored with its row; the same reading sent again
    // at once is «already sent», not a second copy.
    p.advance(60);
    rig.store.fail_next(Lose::Answer, sk("READING#"));
    assert_unavailable(p, &send_reading(&rig, &cookie, "12410").await, "the reading's answer was lost");
    let r = send_reading(&rig, &cookie, "12410").await;
    assert_eq!((r.status, r.body["error"].as_str()), (409, Some("twice")), "{}: {:?}", p.backend, r.body);
    // And seconds later (another key): still the one reading.
    p.advance(5);
    let r = send_reading(&rig, &cookie, "12410").await;
    assert_eq!((r.status, r.body["error"].as_str()), (409, Some("twice")), "{}: {:?}", p.backend, r.body);
    assert_eq!(readings(p).await, [json!({ "single": 12410 }), json!({ "single": 12400 })], "{}", p.backend);
    assert_eq!(payments(p).await.len(), 2, "{}: one row per reading", p.backend);
}

// --- Payments ----------------------------------------------------------------------------

/// The gateway simulator on a free port, reached by the portal through a [`Proxy`] (the link
/// to the bank), on a manual clock that starts at the portal's time. Its payment page is
/// reached directly, as the customer's browser does; its callbacks are off (the tests deliver
/// them).
struct Bank {
    clock: Arc<ManualClock>,
    proxy: Proxy,
    gateway: SberbankGateway,
}

impl Bank {
    async fn start(p: &Portal) -> Bank {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the simulator cannot get a port");
        let address = listener.local_addr().unwrap();
        let clock = Arc::new(ManualClock::new(p.app.clock.now()));
        let config =
            svet_sberbank_sim::Config { public_url: Some(format!("http://{address}")), ..Default::default() };
        let simulator = Arc::new(Simulator::with_clock(config, clock.clone()));
        tokio::spawn(async move {
            svet_sberbank_sim::server::serve(listener, simulator).await.expect("the simulator stopped");
        });
        let proxy = Proxy::start(address).await;
        let credentials =
            Credentials::Password { user_name: "svet-api".into(), password: Secret::new("svet") };
        let base = Url::parse(&format!("http://{}/payment/rest/", proxy.address)).unwrap();
        let mut config = GatewayConfig::new(base, credentials);
        config.connect_timeout = Duration::from_secs(2);
        config.request_timeout = Duration::from_secs(5);
        config.retry = RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(20) };
        let gateway = SberbankGateway::new(
            Client::new(config).unwrap(),
            CallbackKey::hmac(Secret::new(TEST_CALLBACK_KEY)).unwrap(),
            FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
        );
        Bank { clock, proxy, gateway }
    }

    /// Moves both clocks (the portal's and the bank's) forward.
    fn advance(&self, p: &Portal, seconds: i64) {
        p.advance(seconds);
        self.clock.advance(SignedDuration::from_secs(seconds));
    }
}

/// «Оплатить» on «Счёт»: 500 ₽ with a reading, the receipt mailed when `receipt` is ticked.
async fn start(rig: &Rig<'_>, cookie: &str, token: &str, receipt: bool) -> Reply {
    let form = json!({
        "amount": "500", "receipt_email": rig.p.email("payer"), "receipt_mail": receipt,
        "readings": { "single": "12445" }, "form_token": token,
    });
    rig.call(Method::POST, "/api/payments", Some(form), Some(cookie)).await
}

/// The payment a 201 of `POST /api/payments` started, as stored, with its page.
async fn started(p: &Portal, reply: &Reply) -> Started {
    assert_eq!(reply.status, 201, "{}: {:?}", p.backend, reply.body);
    let id = reply.body["payment"].as_str().unwrap();
    let payment = payments(p).await.into_iter().find(|x| x.id == id).expect("the payment is stored");
    Started { payment, form_url: reply.body["form_url"].as_str().unwrap().to_owned() }
}

/// The payment started by the form with `token` (its `PAYKEY#` link), as stored now.
async fn of_form(p: &Portal, token: &str) -> Payment {
    let pk = format!("ACCOUNT#{}", LENINA.0);
    let link =
        p.app.store.get(&Key::new(&pk, format!("PAYKEY#{token}"))).await.unwrap().expect("the form's link");
    let sk = link.data["sk"].as_str().unwrap();
    p.app.store.get(&Key::new(&pk, sk)).await.unwrap().expect("its payment").to_serde().unwrap()
}

async fn stored(p: &Portal, payment: &Payment) -> Item {
    p.app.store.get(&payment.key()).await.unwrap().expect("the payment")
}

async fn pending(p: &Portal) -> usize {
    partition(p, "PENDING", SkRange::All).await.len()
}

async fn receipts_queued(p: &Portal) -> Vec<Item> {
    partition(p, "RECEIPTQ", SkRange::All).await
}

/// The bank's callback for `payment`: deposited, signed with the simulator's key.
async fn deliver(rig: &Rig<'_>, payment: &Payment) -> Reply {
    let query: Vec<String> =
        callback(payment, "deposited", "1").iter().map(|(k, v)| format!("{k}={v}")).collect();
    rig.call(Method::GET, &format!("/api/sberbank/callback?{}", query.join("&")), None, None).await
}

/// The bank's return to the portal: where it sends the browser on.
async fn come_back(rig: &Rig<'_>, payment: &Payment) -> Option<String> {
    let order = payment.order_id.as_deref().expect("a registered order");
    let r = rig.call(Method::GET, &format!("/api/payments/return?orderId={order}"), None, None).await;
    assert_eq!(r.status, 303, "{}: {:?}", rig.p.backend, r.body);
    r.location
}

async fn a_payment_the_store_drops_before_the_bank_leaves_nothing(p: &Portal) {
    let bank = Bank::start(p).await;
    let rig = Rig::with_bank(p, &bank);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;

    // The payment's own transaction (the payment, its order and id links, the pending entry,
    // the form's token) fails: nothing of it is stored and the bank is never asked.
    rig.store.fail_next(Lose::Write, pk("PAYID#"));
    assert_unavailable(p, &start(&rig, &cookie, "form-token-f1", false).await, "the payment's write failed");
    rig.store.assert_untouched(p).await;
    assert!(payments(p).await.is_empty(), "{}", p.backend);
    assert_eq!(pending(p).await, 0, "{}", p.backend);
    assert_eq!(bank.proxy.connections(), 0, "{}: the bank was not asked", p.backend);

    // The same form again: one payment, one order, paid and credited once.
    let started = started(p, &start(&rig, &cookie, "form-token-f1", false).await).await;
    assert_eq!(payments(p).await.len(), 1, "{}", p.backend);
    pay_on_page(&started, SUCCESS_CARD).await;
    assert_eq!(come_back(&rig, &started.payment).await.as_deref(), Some("/bill.html?payment=paid"));
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
    assert_eq!(readings(p).await.len(), 1, "{}", p.backend);
}

async fn a_payment_the_store_drops_after_the_bank_is_settled_by_reconciliation(p: &Portal) {
    let bank = Bank::start(p).await;
    let rig = Rig::with_bank(p, &bank);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;

    // register.do answered, but writing the bank's order id and page fails: 503; the payment
    // stays created and pending, with our order number, so reconciliation can ask the bank.
    rig.store.fail_next(Lose::Write, pk("GWORDER#"));
    assert_unavailable(p, &start(&rig, &cookie, "form-token-f2", false).await, "the order's write failed");
    rig.store.assert_untouched(p).await;
    let orphan = of_form(p, "form-token-f2").await;
    assert_eq!(
        (orphan.status, orphan.order_id.as_deref(), orphan.form_url.as_deref()),
        (PaymentStatus::Created, None, None),
        "{}",
        p.backend
    );
    assert!(orphan.order_number.is_some() && !orphan.credited, "{}", p.backend);
    assert_eq!(pending(p).await, 1, "{}", p.backend);
    // The same form again: its order is being created (its page was never shown, so nobody can
    // pay it). The page reloaded, a new form pays once.
    let r = start(&rig, &cookie, "form-token-f2", false).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (409, Some("in_progress")),
        "{}: {:?}",
        p.backend,
        r.body
    );
    let paid = started(p, &start(&rig, &cookie, "form-token-f2-new", false).await).await;
    pay_on_page(&paid, SUCCESS_CARD).await;
    assert_eq!(come_back(&rig, &paid.payment).await.as_deref(), Some("/bill.html?payment=paid"));
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);

    // After the order's lifetime the reconcile job asks the bank by number: the order expired
    // unpaid, the payment is settled and leaves the index; nothing more is credited.
    let early = svet_api::jobs::reconcile_payments(&rig.app).await.unwrap();
    assert_eq!(early.payments.checked, 0, "{}: not due yet", p.backend);
    bank.advance(p, PAST_DUE);
    let report = svet_api::jobs::reconcile_payments(&rig.app).await.unwrap();
    assert_eq!((report.payments.checked, report.payments.settled), (1, 1), "{}: {report:?}", p.backend);
    let settled = of_form(p, "form-token-f2").await;
    assert_eq!((settled.status, settled.credited), (PaymentStatus::Expired, false), "{}", p.backend);
    assert_eq!(pending(p).await, 0, "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);

    // The same write done but its answer lost: 503, yet the order is recorded; the same form
    // again gets its page, and it is paid once.
    rig.store.fail_next(Lose::Answer, pk("GWORDER#"));
    assert_unavailable(p, &start(&rig, &cookie, "form-token-f3", false).await, "the order's answer was lost");
    let again = started(p, &start(&rig, &cookie, "form-token-f3", false).await).await;
    assert_eq!(again.payment.status, PaymentStatus::Registered, "{}", p.backend);
    pay_on_page(&again, SUCCESS_CARD).await;
    assert_eq!(come_back(&rig, &again.payment).await.as_deref(), Some("/bill.html?payment=paid"));
    assert_eq!(credits(p).await.len(), 2, "{}: one credit per paid payment", p.backend);
    assert_eq!(payments(p).await.len(), 3, "{}", p.backend);
}

async fn a_payment_the_bank_cannot_take_is_refused_clearly_and_settled_later(p: &Portal) {
    let bank = Bank::start(p).await;
    let rig = Rig::with_bank(p, &bank);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;

    // The bank refuses connections: register.do certainly never left. 502 with the bank's
    // message; the payment failed and waits for nothing.
    bank.proxy.set(Mode::Refusing).await;
    assert_bank_unavailable(p, &start(&rig, &cookie, "form-token-b1", false).await, "connection refused");
    let failed = of_form(p, "form-token-b1").await;
    assert_eq!((failed.status, failed.pending_due), (PaymentStatus::Failed, None), "{}", p.backend);
    assert_eq!(pending(p).await, 0, "{}", p.backend);
    // The bank back: that form does not try again (docs/payments.md); a new one pays once.
    bank.proxy.set(Mode::Up).await;
    assert_bank_unavailable(p, &start(&rig, &cookie, "form-token-b1", false).await, "the same form");
    assert_eq!(payments(p).await.len(), 1, "{}", p.backend);
    let paid = started(p, &start(&rig, &cookie, "form-token-b2", false).await).await;
    pay_on_page(&paid, SUCCESS_CARD).await;
    assert_eq!(come_back(&rig, &paid.payment).await.as_deref(), Some("/bill.html?payment=paid"));
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);

    // The connection cut once made, and register.do's answer lost after the bank took it: both
    // may have reached the bank, so each payment stays created and pending; the same form is
    // told to wait.
    bank.proxy.set(Mode::Cut).await;
    assert_bank_unavailable(p, &start(&rig, &cookie, "form-token-b3", false).await, "connection cut");
    bank.proxy.set(Mode::AnswerLost).await;
    assert_bank_unavailable(p, &start(&rig, &cookie, "form-token-b4", false).await, "answer lost");
    bank.proxy.set(Mode::Up).await;
    for token in ["form-token-b3", "form-token-b4"] {
        assert_eq!(of_form(p, token).await.status, PaymentStatus::Created, "{}: {token}", p.backend);
        let r = start(&rig, &cookie, token, false).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (409, Some("in_progress")),
            "{}: {token}",
            p.backend
        );
    }
    assert_eq!(pending(p).await, 2, "{}", p.backend);
    // After the lifetime the job settles both by asking the bank: the cut one it never heard
    // of (failed), the other it had, unpaid (expired). Still one credit.
    bank.advance(p, PAST_DUE);
    let report = svet_api::jobs::reconcile_payments(&rig.app).await.unwrap();
    assert_eq!((report.payments.checked, report.payments.settled), (2, 2), "{}: {report:?}", p.backend);
    assert_eq!(of_form(p, "form-token-b3").await.status, PaymentStatus::Failed, "{}", p.backend);
    assert_eq!(of_form(p, "form-token-b4").await.status, PaymentStatus::Expired, "{}", p.backend);
    assert_eq!(pending(p).await, 0, "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
}

async fn the_return_and_the_callback_wait_out_a_bank_that_cannot_be_asked(p: &Portal) {
    let bank = Bank::start(p).await;
    let rig = Rig::with_bank(p, &bank);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;
    let started = started(p, &start(&rig, &cookie, "form-token-r1", false).await).await;
    pay_on_page(&started, SUCCESS_CARD).await;
    let before = stored(p, &started.payment).await;

    // Paid, but the bank cannot be asked: the return says the payment is being processed, the
    // callback is 503 so the bank sends it again; nothing changes meanwhile.
    bank.proxy.set(Mode::Refusing).await;
    assert_eq!(come_back(&rig, &started.payment).await.as_deref(), Some("/bill.html?payment=pending"));
    assert_unavailable(p, &deliver(&rig, &started.payment).await, "the callback, bank unreachable");
    assert_eq!(stored(p, &started.payment).await, before, "{}", p.backend);
    assert!(credits(p).await.is_empty() && readings(p).await.is_empty(), "{}", p.backend);

    // The bank back: its callback again credits once; the return then says paid.
    bank.proxy.set(Mode::Up).await;
    let r = deliver(&rig, &started.payment).await;
    assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    assert_eq!(come_back(&rig, &started.payment).await.as_deref(), Some("/bill.html?payment=paid"));
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
    assert_eq!(readings(p).await.len(), 1, "{}", p.backend);
}

/// The paid payment is as the bank left it at its page: registered, pending, nothing of its
/// credit written.
async fn assert_nothing_credited(p: &Portal, payment: &Payment) {
    let now: Payment = stored(p, payment).await.to_serde().unwrap();
    assert_eq!((now.status, now.credited), (PaymentStatus::Registered, false), "{}", p.backend);
    assert!(credits(p).await.is_empty(), "{}", p.backend);
    assert!(readings(p).await.is_empty(), "{}", p.backend);
    assert!(receipts_queued(p).await.is_empty(), "{}", p.backend);
    assert_eq!(pending(p).await, 1, "{}", p.backend);
}

async fn a_credit_the_store_drops_happens_once_when_the_callback_comes_again(p: &Portal) {
    let bank = Bank::start(p).await;
    let rig = Rig::with_bank(p, &bank);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;
    let to = p.email("payer");
    let started = started(p, &start(&rig, &cookie, "form-token-c1", true).await).await;
    pay_on_page(&started, SUCCESS_CARD).await;
    let payment = &started.payment;
    // On the return, the crediting transaction (the payment, its credit, its reading, the
    // receipt to mail, the pending entry) fails: nothing of it is written, and the customer is
    // told the payment is being processed.
    rig.store.fail_next(Lose::Write, sk("CREDIT#"));
    assert_eq!(
        come_back(&rig, payment).await.as_deref(),
        Some("/bill.html?payment=pending"),
        "{}",
        p.backend
    );
    rig.store.assert_untouched(p).await;
    assert_nothing_credited(p, payment).await;

    // The bank's callback, its transaction failing too: 503, so the bank sends it again.
    rig.store.fail_next(Lose::Write, sk("CREDIT#"));
    assert_unavailable(p, &deliver(&rig, payment).await, "the credit's write failed");
    rig.store.assert_untouched(p).await;
    assert_nothing_credited(p, payment).await;

    // Again, and this time the transaction is done but its answer lost: still 503, but credited
    // whole: the credit, the reading and the receipt to mail.
    rig.store.fail_next(Lose::Answer, sk("CREDIT#"));
    assert_unavailable(p, &deliver(&rig, payment).await, "the credit's answer was lost");
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
    assert_eq!(readings(p).await.len(), 1, "{}", p.backend);
    assert_eq!(receipts_queued(p).await.len(), 1, "{}", p.backend);
    assert_eq!(pending(p).await, 0, "{}", p.backend);

    // The bank's next delivery: 200, nothing credited twice, the receipt mailed once; a
    // duplicate and the return change nothing.
    for _ in 0..2 {
        let r = deliver(&rig, payment).await;
        assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    }
    assert_eq!(come_back(&rig, payment).await.as_deref(), Some("/bill.html?payment=paid"), "{}", p.backend);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
    assert_eq!(readings(p).await.len(), 1, "{}", p.backend);
    assert_eq!(mails_titled(p, &to, "Квитанция об оплате").await, 1, "{}", p.backend);
    assert!(receipts_queued(p).await.is_empty(), "{}", p.backend);
}

async fn a_receipt_the_mail_drops_is_sent_once_by_the_reconcile_job(p: &Portal) {
    let bank = Bank::start(p).await;
    let rig = Rig::with_bank(p, &bank);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;
    let to = p.email("payer");
    let started = started(p, &start(&rig, &cookie, "form-token-m1", true).await).await;
    pay_on_page(&started, SUCCESS_CARD).await;

    // The mail down when the callback credits the payment: 200 all the same (the payment is
    // done), and the receipt waits in the queue with its failed attempt.
    rig.mail.down();
    let r = deliver(&rig, &started.payment).await;
    assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    assert_eq!(credits(p).await.len(), 1, "{}", p.backend);
    let queued = receipts_queued(p).await;
    assert_eq!(queued.len(), 1, "{}", p.backend);
    assert_eq!(queued[0].data["attempts"], 1, "{}: {:?}", p.backend, queued[0].data);
    assert_eq!(queued[0].data["error"], "the mail service is unavailable", "{}", p.backend);

    // The job while the mail is still down: a failure, left for the next run.
    let report = svet_api::jobs::reconcile_payments(&rig.app).await.unwrap();
    assert_eq!(report.receipts.failed, 1, "{}: {report:?}", p.backend);
    assert!(report.has_failures(), "{}", p.backend);
    assert_eq!(mails_titled(p, &to, "Квитанция об оплате").await, 0, "{}", p.backend);

    // The mail back: the next run sends it once; the run after, and the return, send nothing.
    rig.mail.up();
    let report = svet_api::jobs::reconcile_payments(&rig.app).await.unwrap();
    assert_eq!(report.receipts.sent, 1, "{}: {report:?}", p.backend);
    assert!(!report.has_failures(), "{}", p.backend);
    let next = svet_api::jobs::reconcile_payments(&rig.app).await.unwrap();
    assert_eq!(next, Default::default(), "{}", p.backend);
    let back = come_back(&rig, &started.payment).await;
    assert_eq!(back.as_deref(), Some("/bill.html?payment=paid"), "{}", p.backend);
    assert_eq!(mails_titled(p, &to, "Квитанция об оплате").await, 1, "{}", p.backend);
    assert!(receipts_queued(p).await.is_empty(), "{}", p.backend);
}

// --- The AWS services themselves stopped -------------------------------------------------

/// moto's address, as the test command named it.
fn moto_address() -> SocketAddr {
    let endpoint = crate::helpers::moto_endpoint();
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    host.to_socket_addrs().expect("moto's address").find(SocketAddr::is_ipv4).expect("an IPv4 address")
}

/// DynamoDB and SES stop answering in the middle of a session (a proxy in front of moto is
/// closed): the real adapters' errors answer 503 (SES's is not taken for a refused address),
/// nothing is stored, and the same requests complete once when they are back.
#[tokio::test]
async fn dynamodb_and_ses_stopped_mid_session_answer_503_and_the_retry_completes_once() {
    let p = Portal::aws().await;
    let (dynamodb, ses) = (Proxy::start(moto_address()).await, Proxy::start(moto_address()).await);
    let table =
        crate::helpers::create_table(&svet_aws::dynamodb_client::Client::new(&crate::helpers::sdk().await))
            .await;
    let store: Arc<dyn Store> = Arc::new(svet_aws::DynamoStore::new(
        svet_aws::dynamodb_client::Client::new(
            &crate::helpers::sdk_at(format!("http://{}", dynamodb.address)).await,
        ),
        table,
        p.clock.clone(),
    ));
    let ids = Arc::new(SequentialIds::default());
    let mailer = svet_aws::SesMailer::new(
        svet_aws::sesv2_client::Client::new(&crate::helpers::sdk_at(format!("http://{}", ses.address)).await),
        "Svet <no-reply@svet.example>",
        ids.clone(),
    );
    let app =
        crate::portal::app(store.clone(), Arc::new(mailer), p.app.documents.clone(), p.clock.clone(), ids);
    crate::portal::seed_registry(&app).await;
    let to = p.email("ivanov");
    let r =
        p.call_on(&app, Method::POST, "/api/register", Some(registration(&p, LENINA, "ivanov")), None).await;
    assert_registered(&p, &r, true, "through the proxies");
    let token = p.last_token(&to, "activate.html").await;
    let activated =
        p.call_on(&app, Method::POST, "/api/activate", Some(json!({ "token": token })), None).await;
    let cookie = activated.cookie.expect("a session");

    // DynamoDB refuses connections: the reading is 503, nothing stored; back, it is stored once.
    let reading =
        || p.call_on(&app, Method::POST, "/api/readings", Some(json!({ "single": "12400" })), Some(&cookie));
    dynamodb.set(Mode::Refusing).await;
    assert_unavailable(&p, &reading().await, "DynamoDB stopped");
    dynamodb.set(Mode::Up).await;
    assert!(history(store.as_ref(), &account(LENINA.0), 10).await.unwrap().is_empty());
    assert_eq!(reading().await.status, 201);
    assert_eq!(history(store.as_ref(), &account(LENINA.0), 10).await.unwrap().len(), 1);

    // SES cuts its connections: the reset link cannot go; the answer is the one any pair
    // gets (202), and nothing is sent; back, one link.
    let forgot = || {
        let form = json!({ "account": LENINA.0, "email": to });
        p.call_on(&app, Method::POST, "/api/password/forgot", Some(form), None)
    };
    ses.set(Mode::Cut).await;
    assert_eq!(forgot().await.status, 202, "SES stopped");
    ses.set(Mode::Up).await;
    assert_eq!(links(&p, &to, "reset.html").await, 0);
    assert_eq!(forgot().await.status, 202);
    assert_eq!(links(&p, &to, "reset.html").await, 1);
}

// --- Documents --------------------------------------------------------------------------------

async fn a_bill_is_shown_without_its_png_while_the_bucket_is_down(p: &Portal) {
    let rig = Rig::new(p);
    let cookie = p.logged_in(LENINA.0, LENINA.1).await;
    let r = rig.call(Method::POST, "/api/readings", Some(json!({ "single": "12445" })), Some(&cookie)).await;
    assert_eq!(r.status, 201, "{}: {:?}", p.backend, r.body);
    p.advance(18 * 86_400);
    crate::bills::generate(p, "2026-02").await;
    // The session has expired by the time the bill is posted: log in again.
    let login = rig.post("/api/login", json!({ "account": LENINA.0, "password": PASSWORD })).await;
    let cookie = login.cookie.expect("a session");
    let lenina = account(LENINA.0);
    let png = doc_key(&lenina, "2026-02".parse().unwrap(), Format::Png);

    // The bill's first view needs its PNG rendered and stored; the bucket cannot take it: the
    // bill is shown with its PDF link, without the PNG, and nothing says the PNG is stored.
    rig.bucket.set_down(true);
    let r = rig.call(Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    assert_eq!(r.body["bill"]["period"], "2026-02", "{}", p.backend);
    assert!(r.body["documents"]["pdf"]["url"].is_string(), "{}: {:?}", p.backend, r.body["documents"]);
    assert!(r.body["documents"].get("png").is_none(), "{}: {:?}", p.backend, r.body["documents"]);
    let posted = bills(p.app.store.as_ref(), &lenina, 1).await.unwrap().remove(0);
    assert!(!posted.png, "{}: the PNG is not recorded as stored", p.backend);
    assert!(p.app.documents.get(&png).await.unwrap().is_none(), "{}", p.backend);

    // Back: the next view renders and stores it once, and links it.
    rig.bucket.set_down(false);
    let r = rig.call(Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
    assert!(r.body["documents"]["png"]["url"].is_string(), "{}: {:?}", p.backend, r.body["documents"]);
    assert!(bills(p.app.store.as_ref(), &lenina, 1).await.unwrap().remove(0).png, "{}", p.backend);
    let stored = p.app.documents.get(&png).await.unwrap().expect("the PNG is stored");
    assert_eq!(stored.content_type, "image/png", "{}", p.backend);
}

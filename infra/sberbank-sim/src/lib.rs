//! A simulator of Sberbank's internet-acquiring gateway, faithful to the protocol reference
//! (shared/sberbank-gateway.md) so that merchant code written for the real bank runs against
//! it unchanged: the legacy REST API under `/payment/rest/*.do`, the hosted payment page in
//! Russian with a 3-D Secure step and the bank's test cards, and signed callbacks with
//! injectable faults.
//!
//! A guided tour: [`orders`] is the state machine (no HTTP), [`rest`] the REST methods,
//! [`page`] the payment page, [`callbacks`] the checksum and delivery, [`server`] the
//! standalone listener. [`Simulator::handle`] serves one request under any path prefix, so
//! the local server can mount it at `/sim/sberbank/` and tests can run it on its own.
//!
//! State lives in memory: a restart forgets every order, as a test bank may.

pub mod callbacks;
pub mod cards;
pub mod clock;
pub mod config;
mod control;
pub mod orders;
mod page;
mod params;
mod rest;
pub mod server;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use jiff::SignedDuration;

pub use callbacks::{Delivery, DeliveryOutcome, check_string, checksum};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{CallbackConfig, Config, Faults, Merchant, TEST_CALLBACK_KEY};
pub use rest::PAGE_PATH;

use callbacks::Callbacks;
use orders::{Book, Event};
use params::Params;

/// The simulated bank: its merchants, its orders and its callback queue.
pub struct Simulator {
    config: Config,
    clock: Arc<dyn Clock>,
    /// Time moved forward through [`advance`](Self::advance), on top of `clock`.
    offset: Mutex<SignedDuration>,
    book: Mutex<Book>,
    callbacks: Arc<Callbacks>,
}

impl Simulator {
    pub fn new(config: Config) -> Self {
        Simulator::with_clock(config, Arc::new(SystemClock))
    }

    pub fn with_clock(config: Config, clock: Arc<dyn Clock>) -> Self {
        let callbacks = Callbacks::new(config.callbacks.clone());
        Simulator {
            config,
            clock,
            offset: Mutex::new(SignedDuration::ZERO),
            book: Mutex::new(Book::default()),
            callbacks,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Serves one request. `prefix` is where the simulator is mounted (`""` standalone,
    /// `/sim/sberbank` in the local server); the bank's own paths follow it. Needs a tokio
    /// runtime (callbacks are sent from spawned tasks).
    pub async fn handle(&self, prefix: &str, request: Request<Bytes>) -> Response<Bytes> {
        let prefix = prefix.trim_end_matches('/');
        let Some(path) = request.uri().path().strip_prefix(prefix).map(str::to_owned) else {
            return not_found();
        };
        self.expire_orders();
        let base_url = self.base_url(prefix, &request);
        let method = request.method().clone();
        let query = request.uri().query().map(str::to_owned);
        let content_type =
            request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = request.into_body();
        let readable = method == Method::GET || method == Method::POST;
        if let Some(rest_method) = path.strip_prefix("/payment/rest/") {
            if !readable {
                return not_found();
            }
            let reply = match Params::parse(query.as_deref(), content_type.as_deref(), &body) {
                Ok(params) => rest::call(self, rest_method, &params, &base_url),
                Err(e) => {
                    Some(serde_json::json!({ "errorCode": e.code.to_string(), "errorMessage": e.message }))
                }
            };
            return reply.map_or_else(not_found, |value| json(&value));
        }
        let form = || Params::parse(query.as_deref(), content_type.as_deref(), &body).unwrap_or_default();
        if let Some(control) = path.strip_prefix("/sim/") {
            return control::handle(self, control, &method, &form());
        }
        match (path.as_str(), method) {
            (PAGE_PATH, Method::GET) => page::show(self, prefix, &form()),
            (PAGE_PATH, Method::POST) => page::submit(self, prefix, &form()),
            (page::ACS_PATH, Method::GET) => page::acs_show(self, prefix, &form()),
            (page::ACS_PATH, Method::POST) => page::acs_submit(self, prefix, &form()),
            (page::CSS_PATH, Method::GET) => page::css(),
            _ => not_found(),
        }
    }

    /// Declines the orders whose lifetime is over and sends their `declinedByTimeout`
    /// callbacks. [`handle`](Self::handle) calls it first; [`spawn_expiry`](Self::spawn_expiry)
    /// calls it every second for callbacks nobody asks for.
    pub fn expire_orders(&self) {
        let events = self.book().expire(self.now());
        self.notify(&events);
    }

    /// Runs [`expire_orders`](Self::expire_orders) every second, for as long as the
    /// simulator lives.
    pub fn spawn_expiry(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(sim) => sim.expire_orders(),
                    None => return,
                }
            }
        })
    }

    /// Changes the callback faults from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.callbacks.set_faults(faults);
    }

    /// Every callback delivery attempt so far, oldest first.
    pub fn callback_log(&self) -> Vec<Delivery> {
        self.callbacks.log()
    }

    /// The simulator's now: its clock plus any [`advance`](Self::advance).
    pub fn now(&self) -> jiff::Timestamp {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        self.clock.now().checked_add(offset).unwrap_or_else(|_| self.clock.now())
    }

    /// Moves the simulator's time forward (for tests in another process; in-process tests
    /// use a [`ManualClock`]) and expires the orders whose lifetime is over.
    pub fn advance(&self, by: SignedDuration) {
        {
            let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
            *offset = offset.saturating_add(by);
        }
        self.expire_orders();
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self, events: &[Event]) {
        for event in events {
            if let Some(merchant) = self.config.merchants.iter().find(|m| m.login == event.merchant) {
                self.callbacks.send(merchant, event);
            }
        }
    }

    fn base_url(&self, prefix: &str, request: &Request<Bytes>) -> String {
        if let Some(url) = &self.config.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .unwrap_or("127.0.0.1");
        format!("http://{host}{prefix}")
    }
}

fn json(value: &serde_json::Value) -> Response<Bytes> {
    let mut reply = Response::new(Bytes::from(value.to_string()));
    reply
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
    reply
}

/// What the bank's front answers for an unknown path: 404 with an empty HTML body.
fn not_found() -> Response<Bytes> {
    let mut reply = Response::new(Bytes::new());
    *reply.status_mut() = StatusCode::NOT_FOUND;
    reply.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    reply
}

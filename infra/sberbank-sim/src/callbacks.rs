//! Callback notifications as the legacy gateway sends them (shared/sberbank-gateway.md §5):
//! an HTTP GET to the merchant's configured URL with `mdOrder`, `orderNumber`, `operation`,
//! `status` (and `amount` if enabled) in the query, signed with an HMAC-SHA256 `checksum`,
//! retried with a doubling backoff until the merchant answers 200.
//!
//! Tests of exactly-once crediting need a bank that misbehaves, so delivery can drop, delay,
//! duplicate and reorder callbacks ([`Faults`]); every attempt is logged for tests to read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::{CallbackConfig, Faults, Merchant};
use crate::orders::Event;

/// The string the checksum signs: every parameter but `checksum`, sorted by name in byte
/// order, each as `name;value;`.
pub fn check_string(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(name, _)| name != "checksum").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted.iter().map(|(name, value)| format!("{name};{value};")).collect()
}

/// HMAC-SHA256 of [`check_string`] under the merchant's key, as upper-case hex.
pub fn checksum(params: &[(String, String)], key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(check_string(params).as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

/// One delivery attempt (or a drop), as tests see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    /// 1 for the first delivery of a copy, 2 for its first retry, …; 0 for a dropped callback.
    pub attempt: u32,
    pub outcome: DeliveryOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Dropped,
    Status(u16),
    Failed(String),
}

/// A signed callback ready to go.
#[derive(Clone, Debug)]
struct Callback {
    url: String,
    merchant: String,
}

struct Held {
    seq: u64,
    callback: Callback,
}

pub struct Callbacks {
    client: reqwest::Client,
    config: Mutex<CallbackConfig>,
    log: Mutex<Vec<Delivery>>,
    held: Mutex<HashMap<String, Held>>,
    next_seq: Mutex<u64>,
}

impl Callbacks {
    pub fn new(config: CallbackConfig) -> Arc<Self> {
        Arc::new(Callbacks {
            client: reqwest::Client::new(),
            config: Mutex::new(config),
            log: Mutex::new(Vec::new()),
            held: Mutex::new(HashMap::new()),
            next_seq: Mutex::new(0),
        })
    }

    pub fn set_faults(&self, faults: Faults) {
        lock(&self.config).faults = faults;
    }

    pub fn faults(&self) -> Faults {
        lock(&self.config).faults.clone()
    }

    pub fn log(&self) -> Vec<Delivery> {
        lock(&self.log).clone()
    }

    /// Sends the callback of `event` to `merchant`, if it has a callback URL, in the
    /// background (needs a tokio runtime).
    pub fn send(self: &Arc<Self>, merchant: &Merchant, event: &Event) {
        let Some(base) = &merchant.callback_url else { return };
        let url = signed_url(base, merchant, event);
        let faults = self.faults();
        if faults.drop_percent > 0 && random_percent() < u32::from(faults.drop_percent) {
            tracing::info!(%url, "callback dropped (fault injection)");
            self.record(Delivery { url, attempt: 0, outcome: DeliveryOutcome::Dropped });
            return;
        }
        let callback = Callback { url, merchant: event.merchant.clone() };
        if !faults.reorder {
            let this = self.clone();
            tokio::spawn(async move { this.deliver_in_order(vec![callback]).await });
            return;
        }
        let seq = {
            let mut next = lock(&self.next_seq);
            *next += 1;
            *next
        };
        let previous = lock(&self.held).remove(&callback.merchant);
        let this = self.clone();
        match previous {
            Some(older) => {
                tokio::spawn(async move { this.deliver_in_order(vec![callback, older.callback]).await });
            }
            None => {
                let merchant = callback.merchant.clone();
                lock(&self.held).insert(merchant.clone(), Held { seq, callback });
                tokio::spawn(async move {
                    tokio::time::sleep(faults.reorder_hold).await;
                    let alone = {
                        let mut held = lock(&this.held);
                        match held.get(&merchant) {
                            Some(h) if h.seq == seq => held.remove(&merchant),
                            _ => None,
                        }
                    };
                    if let Some(alone) = alone {
                        this.deliver_in_order(vec![alone.callback]).await;
                    }
                });
            }
        }
    }

    /// Delivers the callbacks one after another (each copy's first attempt awaited), after
    /// the configured delay; retries run on their own.
    async fn deliver_in_order(self: Arc<Self>, callbacks: Vec<Callback>) {
        let (delay, copies) = {
            let config = lock(&self.config);
            (config.faults.delay, 1 + config.faults.duplicates)
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        for callback in callbacks {
            for _ in 0..copies {
                if !self.attempt(&callback.url, 1).await {
                    let this = self.clone();
                    let url = callback.url.clone();
                    tokio::spawn(async move { this.retry(url).await });
                }
            }
        }
    }

    async fn retry(self: Arc<Self>, url: String) {
        let (max_attempts, mut backoff, max_backoff) = {
            let config = lock(&self.config);
            (config.max_attempts, config.first_backoff, config.max_backoff)
        };
        for attempt in 2..=max_attempts {
            tokio::time::sleep(backoff).await;
            if self.attempt(&url, attempt).await {
                return;
            }
            backoff = (backoff * 2).min(max_backoff);
        }
        tracing::warn!(%url, max_attempts, "callback given up");
    }

    /// One GET; true when the merchant answered 200.
    async fn attempt(&self, url: &str, attempt: u32) -> bool {
        let timeout = lock(&self.config).timeout;
        let outcome = match self.client.get(url).timeout(timeout).send().await {
            Ok(response) => DeliveryOutcome::Status(response.status().as_u16()),
            Err(e) => DeliveryOutcome::Failed(e.to_string()),
        };
        let delivered = outcome == DeliveryOutcome::Status(200);
        tracing::info!(%url, attempt, ?outcome, "callback sent");
        self.record(Delivery { url: url.to_owned(), attempt, outcome });
        delivered
    }

    fn record(&self, delivery: Delivery) {
        lock(&self.log).push(delivery);
    }
}

/// The callback URL with its parameters and checksum in the query.
pub fn signed_url(base: &str, merchant: &Merchant, event: &Event) -> String {
    let mut params = vec![
        ("mdOrder".to_owned(), event.order_id.clone()),
        ("orderNumber".to_owned(), event.order_number.clone()),
        ("operation".to_owned(), event.operation.to_owned()),
        ("status".to_owned(), event.status.to_string()),
    ];
    if merchant.callback_amount {
        params.push(("amount".to_owned(), event.amount.to_string()));
    }
    if let Some(key) = &merchant.callback_key {
        let sum = checksum(&params, key);
        params.push(("checksum".to_owned(), sum));
    }
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

fn random_percent() -> u32 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    u32::from_le_bytes(bytes) % 100
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Worked example A of the reference (parameters from skodnik/sberbank-api's tests).
    #[test]
    fn worked_example_a() {
        let params = pairs(&[
            ("amount", "5"),
            ("orderNumber", "ZX-987654321"),
            ("mdOrder", "72318777-5zfg-782c-bk02-xxxxxxxx8dx5"),
            ("operation", "deposited"),
            ("status", "1"),
        ]);
        assert_eq!(
            check_string(&params),
            "amount;5;mdOrder;72318777-5zfg-782c-bk02-xxxxxxxx8dx5;operation;deposited;orderNumber;ZX-987654321;status;1;"
        );
        assert_eq!(
            checksum(&params, "B07BAA3F9C809098ACBB462618A93275"),
            "CFEE6A9A93B5E7DE21F866EE0912AB12A62EF0346A4E073314B6FA8B1AF24B3A"
        );
    }

    /// Worked example B of the reference; a received `checksum` is left out of the signed set.
    #[test]
    fn worked_example_b() {
        let params = pairs(&[
            ("status", "1"),
            ("checksum", "ignored"),
            ("operation", "deposited"),
            ("orderNumber", "e2574f1785324f1592d9029cb05adbbd"),
            ("mdOrder", "a67b0ced-c9a4-4cfb-bce3-b9595afaafc1"),
            ("amount", "19900"),
        ]);
        assert_eq!(
            check_string(&params),
            "amount;19900;mdOrder;a67b0ced-c9a4-4cfb-bce3-b9595afaafc1;operation;deposited;orderNumber;e2574f1785324f1592d9029cb05adbbd;status;1;"
        );
        assert_eq!(
            checksum(&params, "yourSecretToken123"),
            "BBE0F1F832D2DAA94D996B7FC29B316CC7ABAF023D2C138FC126F2F69FD11505"
        );
    }

    #[test]
    fn the_signed_url_carries_the_parameters_and_their_checksum() {
        let merchant = Merchant {
            callback_url: Some("http://shop/cb?x=1".into()),
            callback_amount: true,
            ..Merchant::default()
        };
        let event = Event {
            merchant: "svet-api".into(),
            order_id: "id-1".into(),
            order_number: "N 1".into(),
            operation: "refunded",
            status: 1,
            amount: 500,
        };
        let url = signed_url("http://shop/cb?x=1", &merchant, &event);
        let query = url.split_once('?').unwrap().1;
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let sent = params.iter().find(|(k, _)| k == "checksum").unwrap().1.clone();
        let signed: Vec<_> = params.into_iter().filter(|(k, _)| k != "x").collect();
        assert_eq!(sent, checksum(&signed, crate::config::TEST_CALLBACK_KEY));
        assert!(url.contains("orderNumber=N+1&operation=refunded&status=1&amount=500"), "{url}");
    }
}

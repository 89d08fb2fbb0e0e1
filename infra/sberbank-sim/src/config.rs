//! What the bank's support would set up for a merchant (login, password, callback URL and
//! key), plus the simulator's own knobs: the public URL of the payment page, the order
//! defaults, and the faults injected into callback delivery.

use std::time::Duration;

/// The simulator's configuration. `Config::default()` is the Svet test merchant.
#[derive(Clone, Debug)]
pub struct Config {
    pub merchants: Vec<Merchant>,
    /// The absolute URL the simulator is reachable at, prefix included
    /// (`http://127.0.0.1:8080/sim/sberbank`). `None`: taken from each request's `Host`
    /// header and the mount prefix.
    pub public_url: Option<String>,
    /// Order lifetime when register.do gives neither `sessionTimeoutSecs` nor
    /// `expirationDate` (the bank's default: 20 minutes).
    pub default_session_timeout: Duration,
    /// Card payment attempts per order (the bank allows 3).
    pub attempts_per_order: u8,
    pub callbacks: CallbackConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            merchants: vec![Merchant::default()],
            public_url: None,
            default_session_timeout: Duration::from_secs(1200),
            attempts_per_order: 3,
            callbacks: CallbackConfig::default(),
        }
    }
}

/// One merchant account: its API credentials and its callback settings.
#[derive(Clone, Debug)]
pub struct Merchant {
    /// The API login (`userName`); the bank's convention is a `-api` suffix.
    pub login: String,
    pub password: String,
    /// An API token accepted instead of `userName` + `password`, if set.
    pub token: Option<String>,
    /// Where callbacks go (an HTTP GET with the parameters in the query); `None`: no callbacks.
    pub callback_url: Option<String>,
    /// The symmetric (HMAC-SHA256) callback key; `None`: callbacks carry no `checksum`.
    pub callback_key: Option<String>,
    /// Adds `amount` (kopecks) to every callback, inside the signed set.
    pub callback_amount: bool,
}

impl Default for Merchant {
    /// The documented test merchant `svet-api` / `svet` with the documented test callback key.
    fn default() -> Self {
        Merchant {
            login: "svet-api".into(),
            password: "svet".into(),
            token: None,
            callback_url: None,
            callback_key: Some(TEST_CALLBACK_KEY.into()),
            callback_amount: false,
        }
    }
}

/// The callback key of the default test merchant. Not a secret: it exists only here.
pub const TEST_CALLBACK_KEY: &str = "svet-sim-callback-key";

/// How callbacks are delivered: the retry schedule and the injected faults.
#[derive(Clone, Debug)]
pub struct CallbackConfig {
    /// Deliveries of one callback, the first included, until one gets HTTP 200.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles after each failure, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The timeout of one delivery.
    pub timeout: Duration,
    pub faults: Faults,
}

impl Default for CallbackConfig {
    fn default() -> Self {
        CallbackConfig {
            max_attempts: 8,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            faults: Faults::default(),
        }
    }
}

/// Faults injected into callback delivery, for tests of exactly-once crediting.
/// The default injects none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Faults {
    /// The share of callbacks (0..=100 %) never sent at all, chosen at random.
    pub drop_percent: u8,
    /// A wait before the first delivery of every callback.
    pub delay: Duration,
    /// Extra copies of every callback, each delivered (and retried) on its own.
    pub duplicates: u32,
    /// Callbacks are delivered in swapped pairs: each is held until the next one of the same
    /// merchant arrives, then the newer goes first. A callback with no successor within
    /// `reorder_hold` is delivered alone.
    pub reorder: bool,
    pub reorder_hold: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            drop_percent: 0,
            delay: Duration::ZERO,
            duplicates: 0,
            reorder: false,
            reorder_hold: Duration::from_secs(1),
        }
    }
}

//! The local composition root: the embedded adapters under the data folder.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use svet_api::App;
use svet_api::hasher::Argon2Hasher;
use svet_api::session::SessionKey;
use svet_domain::billing::Tariffs;
use svet_domain::{Config, RandomIds, SystemClock};
use svet_embedded::{FolderDocuments, OutboxMailer, SqliteStore};
use svet_sberbank::{
    CallbackKey, Client, Credentials, FiscalSettings, GatewayConfig, PaymentObject, SberbankGateway, Secret,
    TaxType, Url,
};

pub struct Local {
    pub app: App,
    pub store: SqliteStore,
    pub documents: FolderDocuments,
    pub outbox: PathBuf,
}

/// 32 random bytes kept in a file of the data folder (made on first use, readable by the owner
/// only), so sessions survive a restart of the local server.
fn secret_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(bytes) = std::fs::read(path)
        && bytes.len() >= 32
    {
        return Ok(bytes);
    }
    let mut fresh = vec![0u8; 32];
    getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    std::fs::write(path, &fresh)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(fresh)
}

pub fn data_dir() -> PathBuf {
    std::env::var_os("SVET_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| ".svet".into())
}

/// The bank's gateway, pointed at the simulator this local server plays under
/// [`crate::server::SIM_PREFIX`], as its documented test merchant (`svet-api` / `svet`) with the
/// simulator's test callback key (docs/sberbank-simulator.md).
fn simulated_bank(base_url: &str) -> anyhow::Result<SberbankGateway> {
    let url = Url::parse(&format!("{base_url}{}/payment/rest/", crate::server::SIM_PREFIX))
        .context("the simulator's URL")?;
    let credentials = Credentials::Password { user_name: "svet-api".into(), password: Secret::new("svet") };
    let client = Client::new(GatewayConfig::new(url, credentials)).context("the gateway client")?;
    let key =
        CallbackKey::hmac(Secret::new(svet_sberbank_sim::TEST_CALLBACK_KEY)).context("the callback key")?;
    Ok(SberbankGateway::new(
        client,
        key,
        FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
    ))
}

/// Opens the data folder (creating it) and wires the application.
pub fn open(base_url: &str) -> anyhow::Result<Local> {
    let dir = data_dir();
    let config = Config::from_env().context("loading the retailer configuration")?;
    // A tariff file with gaps, overlaps or unknown codes stops the start, not a bill run.
    let tariffs = Tariffs::from_env().context("loading the tariffs")?;
    tariffs.check_codes(&config).context("checking the tariffs against the configuration")?;
    let clock = Arc::new(SystemClock);
    let ids = Arc::new(RandomIds);
    let store = SqliteStore::open(dir.join("svet.db"), clock.clone())
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    let documents = FolderDocuments::open(dir.join("documents"), base_url, clock.clone())
        .context("opening the documents folder")?;
    let outbox = dir.join("outbox");
    let mailer = OutboxMailer::open(&outbox, &config.mail.from, clock.clone(), ids.clone())
        .context("opening the mail outbox")?;
    let session_key = secret_file(&dir.join("session.key")).context("reading the session key")?;
    let hasher = Argon2Hasher;
    hasher.warm_up();
    let origins = match base_url.strip_prefix("http://127.0.0.1") {
        Some(port) => vec![base_url.to_owned(), format!("http://localhost{port}")],
        None => vec![base_url.to_owned()],
    };
    let app = App {
        store: Arc::new(store.clone()),
        documents: Arc::new(documents.clone()),
        mailer: Arc::new(mailer),
        clock,
        ids,
        hasher: Arc::new(hasher),
        session_key: Arc::new(SessionKey::hmac(&session_key)?),
        config: Arc::new(config),
        public_url: base_url.to_owned(),
        origins,
        payments: Some(Arc::new(simulated_bank(base_url)?)),
    };
    Ok(Local { app, store, documents, outbox })
}

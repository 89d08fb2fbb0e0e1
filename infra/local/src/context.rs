//! The local composition root: the embedded adapters under the data folder.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use svet_api::App;
use svet_domain::{Config, RandomIds, SystemClock};
use svet_embedded::{FolderDocuments, OutboxMailer, SqliteStore};

pub struct Local {
    pub app: App,
    pub store: SqliteStore,
    pub documents: FolderDocuments,
    pub outbox: PathBuf,
}

pub fn data_dir() -> PathBuf {
    std::env::var_os("SVET_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| ".svet".into())
}

/// Opens the data folder (creating it) and wires the application.
pub fn open(base_url: &str) -> anyhow::Result<Local> {
    let dir = data_dir();
    let config = Config::from_env().context("loading the retailer configuration")?;
    let clock = Arc::new(SystemClock);
    let ids = Arc::new(RandomIds);
    let store = SqliteStore::open(dir.join("svet.db"), clock.clone())
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    let documents = FolderDocuments::open(dir.join("documents"), base_url, clock.clone())
        .context("opening the documents folder")?;
    let outbox = dir.join("outbox");
    let mailer = OutboxMailer::open(&outbox, &config.mail.from, clock.clone(), ids.clone())
        .context("opening the mail outbox")?;
    let app = App {
        store: Arc::new(store.clone()),
        documents: Arc::new(documents.clone()),
        mailer: Arc::new(mailer),
        clock,
        ids,
        config: Arc::new(config),
    };
    Ok(Local { app, store, documents, outbox })
}

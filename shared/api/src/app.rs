//! The application context every handler receives: the ports and the configuration.

use std::sync::Arc;

use svet_domain::billing::Tariffs;
use svet_domain::bills::Generation;
use svet_domain::identity::Deps;
use svet_domain::identity::passwords::PasswordHasher;
use svet_domain::payments::{PaymentGateway, Payments, ReceiptMails};
use svet_domain::{Clock, Config, Documents, IdGen, Mailer, Store};

use crate::ApiError;
use crate::session::SessionKey;

/// Built once per Lambda container or local process, shared by all requests.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub documents: Arc<dyn Documents>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub session_key: Arc<SessionKey>,
    pub config: Arc<Config>,
    /// Where the pages are (mailed links start with it), e.g. `https://lk.example.ru`.
    pub public_url: String,
    /// Origins allowed to send state-changing requests (the public URL's, and locally both
    /// `127.0.0.1` and `localhost`).
    pub origins: Vec<String>,
    /// The bank's gateway (`svet_sberbank::SberbankGateway`): only the functions that start or
    /// confirm payments are given one (and the right to read its secrets); the others have
    /// `None` and answer 503 if asked to.
    pub payments: Option<Arc<dyn PaymentGateway>>,
}

impl App {
    /// The identity use cases' view of the ports.
    pub fn deps(&self) -> Deps<'_> {
        Deps {
            store: self.store.as_ref(),
            mailer: self.mailer.as_ref(),
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
            hasher: self.hasher.as_ref(),
            config: &self.config,
            public_url: &self.public_url,
        }
    }

    /// Bill generation's view of the ports, with the tariffs it prices by.
    pub fn generation<'a>(&'a self, tariffs: &'a Tariffs) -> Generation<'a> {
        Generation {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            config: &self.config,
            tariffs,
            documents: self.documents.as_ref(),
            mailer: self.mailer.as_ref(),
            public_url: &self.public_url,
        }
    }

    /// Mailing payment receipts (B6), at the current moment.
    pub fn receipt_mails(&self) -> ReceiptMails<'_> {
        ReceiptMails {
            store: self.store.as_ref(),
            mailer: self.mailer.as_ref(),
            config: &self.config,
            public_url: &self.public_url,
            now: self.clock.now(),
        }
    }

    /// The payments use cases' view of the ports; 503 where no gateway is configured.
    pub fn payments(&self) -> Result<Payments<'_>, ApiError> {
        let gateway = self
            .payments
            .as_deref()
            .ok_or_else(|| ApiError::Unavailable(anyhow::anyhow!("no payment gateway is configured here")))?;
        Ok(Payments {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
            config: &self.config,
            gateway,
        })
    }
}

//! The application context every handler receives: the ports and the configuration.

use std::sync::Arc;

use svet_domain::identity::Deps;
use svet_domain::identity::passwords::PasswordHasher;
use svet_domain::{Clock, Config, Documents, IdGen, Mailer, Store};

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
}

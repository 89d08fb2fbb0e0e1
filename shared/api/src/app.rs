//! The application context every handler receives: the ports and the configuration.

use std::sync::Arc;

use svet_domain::{Clock, Config, Documents, IdGen, Mailer, Store};

/// Built once per Lambda container or local process, shared by all requests.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub documents: Arc<dyn Documents>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub config: Arc<Config>,
}

//! The mail port on a folder: each message becomes `<time>-<id>.eml` in the outbox, which the
//! local server lists at `/dev/mail`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use svet_domain::mail::{Mail, MailError, Mailer, to_mime};
use svet_domain::{Clock, IdGen};

use crate::documents::write_atomically;

#[derive(Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
}

impl OutboxMailer {
    pub fn open(
        dir: impl AsRef<Path>,
        from: &str,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Result<Self, MailError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| MailError::Unavailable(e.into()))?;
        Ok(OutboxMailer { dir, from: from.to_owned(), clock, ids })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let id = self.ids.new_id();
        let mime = to_mime(mail, &self.from, &format!("<{id}@svet.local>"))?;
        let stamp = self.clock.now().strftime("%Y%m%dT%H%M%S%.3fZ").to_string();
        let path = self.dir.join(format!("{stamp}-{id}.eml"));
        tokio::task::spawn_blocking(move || write_atomically(&path, &mime))
            .await
            .map_err(|e| MailError::Unavailable(e.into()))?
            .map_err(|e| MailError::Unavailable(e.into()))?;
        Ok(id)
    }
}

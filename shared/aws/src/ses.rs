//! The mail port on SES (v2 API): the message goes as raw MIME, so attachments travel too.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use svet_domain::IdGen;
use svet_domain::mail::{Mail, MailError, Mailer, to_mime};

use crate::lazy::ServiceClient;

pub struct SesMailer {
    client: ServiceClient<Client>,
    from: String,
    ids: std::sync::Arc<dyn IdGen>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, ids: std::sync::Arc<dyn IdGen>) -> Self {
        SesMailer { client: ServiceClient::Ready(client), from: from.into(), ids }
    }

    /// The mailer whose SES client is built on its first mail, so that a function that sends
    /// none does not build it at its cold start.
    pub fn on_first_use(
        config: &aws_config::SdkConfig,
        from: impl Into<String>,
        ids: std::sync::Arc<dyn IdGen>,
    ) -> Self {
        SesMailer { client: ServiceClient::on_first_use(config, Client::new), from: from.into(), ids }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let mime = to_mime(mail, &self.from, &format!("<{}@svet>", self.ids.new_id()))?;
        let raw = RawMessage::builder()
            .data(Blob::new(mime))
            .build()
            .map_err(|e| MailError::Rejected(e.to_string()))?;
        let result = self
            .client
            .get()
            .send_email()
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.message_id.unwrap_or_default()),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err().code(),
                    Some("MessageRejected" | "MailFromDomainNotVerifiedException" | "BadRequestException")
                ) =>
            {
                Err(MailError::Rejected(e.err().message().unwrap_or("rejected").to_owned()))
            }
            Err(e) => Err(MailError::Unavailable(e.into())),
        }
    }
}

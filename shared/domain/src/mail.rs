//! The mail port: a message in Russian with a plain-text and an HTML part and optional
//! attachments. Adapters build the MIME themselves (SES raw mail on AWS, `.eml` files in the
//! outbox folder at home).

use async_trait::async_trait;

/// One e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message cannot be sent as given (a malformed address, say); retrying won't help.
    #[error("the message was refused: {0}")]
    Rejected(String),
    /// The mail service failed or cannot be reached; the send may be retried.
    #[error("the mail service is unavailable")]
    Unavailable(#[source] anyhow::Error),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends the message; returns the id the service gave it.
    async fn send(&self, mail: &Mail) -> Result<String, MailError>;
}

/// The message as MIME (multipart/alternative text + HTML, multipart/mixed with attachments),
/// ready for SES raw sending or an `.eml` file.
pub fn to_mime(mail: &Mail, from: &str, message_id: &str) -> Result<Vec<u8>, MailError> {
    use lettre::message::{Attachment as Part, Mailbox, MultiPart, SinglePart, header::ContentType};

    let from: Mailbox = from.parse().map_err(|e| MailError::Rejected(format!("sender: {e}")))?;
    let to: Mailbox = mail.to.parse().map_err(|e| MailError::Rejected(format!("recipient: {e}")))?;
    let body = match &mail.html {
        Some(html) => MultiPart::alternative_plain_html(mail.text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
    };
    let body = mail.attachments.iter().try_fold(
        MultiPart::mixed().multipart(body),
        |parts, a| -> Result<MultiPart, MailError> {
            let content_type = ContentType::parse(&a.content_type)
                .map_err(|e| MailError::Rejected(format!("attachment type: {e}")))?;
            Ok(parts.singlepart(Part::new(a.filename.clone()).body(a.bytes.clone(), content_type)))
        },
    )?;
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id.to_owned()))
        .multipart(body)
        .map_err(|e| MailError::Rejected(e.to_string()))?;
    Ok(message.formatted())
}

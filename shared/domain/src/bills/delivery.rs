//! Delivering a posted bill by e-mail (S1, S2): the bill attached in the customer's format to
//! those who asked for delivery, a short notice with a link to those who asked for notices,
//! nothing to the others.
//!
//! Every mail has an outbox record, `ACCOUNT#<n>` / `OUTBOX#BILL#<period>`, written before the
//! send:
//! - a worker *claims* the record (created with `Absent`, or moved on with `VersionIs`), so
//!   two workers never send the same mail at once;
//! - after the send it records `sent` (with the service's message id) or `failed` (with the
//!   reason), and a `sent` record is never sent again;
//! - a `failed` record, or a claim older than [`STALE_CLAIM_SECONDS`] (the worker died between
//!   claim and send), is retried by the next run, up to [`MAX_ATTEMPTS`] attempts.
//!
//! A send that succeeded but whose `sent` record was never written (the worker died in between)
//! is sent again after the stale claim expires: at least once, never twice in the normal case.
//! A mail failure is counted and logged; it never stops billing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::PostedBill;
use super::document::{EnsureError, Format, doc_key, ensure_png, file_name};
use crate::billing::date_ru;
use crate::documents::Documents;
use crate::identity::mails::compose;
use crate::identity::profile::{self, Delivery as Wants, Status};
use crate::mail::{Attachment, MailError, Mailer};
use crate::store::{Condition, Item, Key, Store, StoreError, Write};
use crate::{AccountNumber, Config, Mail};

/// Sends of one mail before it is left for an operator (the record keeps the last reason).
pub const MAX_ATTEMPTS: u32 = 5;
/// A claim this old is taken to belong to a worker that died.
pub const STALE_CLAIM_SECONDS: i64 = 15 * 60;

pub fn outbox_key(account: &AccountNumber, period: crate::billing::Period) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("OUTBOX#BILL#{period}"))
}

/// What the customer gets for a posted bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// The bill attached (S1).
    Bill(#[serde(with = "format_name")] Format),
    /// A notice with a link (S2).
    Notice,
}

mod format_name {
    use super::Format;

    pub fn serialize<S: serde::Serializer>(format: &Format, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(format.extension())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Format, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        match name.as_str() {
            "pdf" => Ok(Format::Pdf),
            "png" => Ok(Format::Png),
            other => Err(serde::de::Error::custom(format!("unknown bill format {other:?}"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// A worker is sending it.
    Sending,
    Sent,
    /// The last attempt failed; retried by the next run.
    Failed,
}

/// The outbox record of one bill's mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub kind: MailKind,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub updated_at: Timestamp,
    /// The mail service's id, once sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Why the last attempt failed (no personal data: the service's error kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What delivery did for one bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The customer has no active profile, or asked for neither bills nor notices.
    NotSubscribed,
    Sent(MailKind),
    /// Sent earlier, or being sent by another worker right now.
    AlreadyDone,
    /// This attempt failed; the record says why and the next run retries.
    Failed,
    /// [`MAX_ATTEMPTS`] failed; an operator has to look.
    GaveUp,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the bill's {0} is missing from the document store")]
    MissingDocument(&'static str),
    #[error(transparent)]
    Documents(#[from] crate::documents::DocumentError),
    #[error("rendering the bill's PNG: {0}")]
    Render(super::document::RenderError),
}

pub struct Delivery<'a> {
    pub store: &'a dyn Store,
    pub documents: &'a dyn Documents,
    pub mailer: &'a dyn Mailer,
    pub config: &'a Config,
    /// The portal's address, for the links in the mail.
    pub public_url: &'a str,
    pub now: Timestamp,
}

impl Delivery<'_> {
    /// Sends the bill's mail unless it was sent, is being sent, or nobody asked for it.
    pub async fn deliver(&self, posted: &PostedBill) -> Result<Delivered, DeliveryError> {
        let bill = &posted.bill;
        let Some(stored) = profile::load(self.store, &bill.account).await? else {
            return Ok(Delivered::NotSubscribed);
        };
        let p = &stored.profile;
        let kind = match (p.status, p.delivery, p.notices) {
            (Status::Pending, _, _) => return Ok(Delivered::NotSubscribed),
            (Status::Active, Wants::Pdf, _) => MailKind::Bill(Format::Pdf),
            (Status::Active, Wants::Png, _) => MailKind::Bill(Format::Png),
            (Status::Active, Wants::Off, true) => MailKind::Notice,
            (Status::Active, Wants::Off, false) => return Ok(Delivered::NotSubscribed),
        };

        // Claim the record.
        let key = outbox_key(&bill.account, bill.period);
        let (attempts, condition, kind) = match self.store.get(&key).await? {
            None => (0, Condition::Absent, kind),
            Some(item) => {
                let record: OutboxRecord = item.to_serde()?;
                let stale = record.updated_at.as_second() + STALE_CLAIM_SECONDS <= self.now.as_second();
                match record.status {
                    OutboxStatus::Sent => return Ok(Delivered::AlreadyDone),
                    OutboxStatus::Sending if !stale => return Ok(Delivered::AlreadyDone),
                    _ if record.attempts >= MAX_ATTEMPTS => return Ok(Delivered::GaveUp),
                    // A retry sends what was decided first, whatever the settings say now.
                    _ => (record.attempts, Condition::VersionIs(item.version), record.kind),
                }
            }
        };
        let version = match condition {
            Condition::VersionIs(v) => v + 1,
            _ => 1,
        };
        let claim = OutboxRecord {
            kind,
            status: OutboxStatus::Sending,
            attempts: attempts + 1,
            updated_at: self.now,
            message_id: None,
            error: None,
        };
        let mut item = Item::from_serde(key.clone(), &claim)?;
        item.version = version;
        match self.store.transact(vec![Write::Put { item, condition }]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => return Ok(Delivered::AlreadyDone),
            Err(e) => return Err(e.into()),
        }

        let mail = self.compose(&p.email, posted, kind).await?;
        let (record, delivered) = match self.mailer.send(&mail).await {
            Ok(id) => (
                OutboxRecord { status: OutboxStatus::Sent, message_id: Some(id), ..claim },
                Delivered::Sent(kind),
            ),
            Err(e) => {
                let reason = match &e {
                    MailError::Rejected(why) => format!("rejected: {why}"),
                    MailError::Unavailable(_) => "the mail service is unavailable".to_owned(),
                };
                // A refused message will be refused again: no point retrying it.
                let attempts =
                    if matches!(e, MailError::Rejected(_)) { MAX_ATTEMPTS } else { claim.attempts };
                let gave_up = attempts >= MAX_ATTEMPTS;
                (
                    OutboxRecord { status: OutboxStatus::Failed, error: Some(reason), attempts, ..claim },
                    if gave_up { Delivered::GaveUp } else { Delivered::Failed },
                )
            }
        };
        let mut item = Item::from_serde(key, &record)?;
        item.version = version + 1;
        self.store.transact(vec![Write::Put { item, condition: Condition::VersionIs(version) }]).await?;
        Ok(delivered)
    }

    async fn compose(&self, to: &str, posted: &PostedBill, kind: MailKind) -> Result<Mail, DeliveryError> {
        let bill = &posted.bill;
        let base = self.public_url.trim_end_matches('/');
        let period = bill.period.name_ru();
        let due = format!(
            "К оплате: {} ₽ до {}.",
            bill.amount_due.format_rubles().replace('\u{a0}', " "),
            date_ru(bill.due_date)
        );
        let (subject, paragraphs, attachments) = match kind {
            MailKind::Bill(format) => {
                if format == Format::Png {
                    match ensure_png(self.store, self.documents, self.config, &bill.account, bill.period)
                        .await
                    {
                        Ok(_) => {}
                        Err(EnsureError::Store(e)) => return Err(e.into()),
                        Err(EnsureError::Render(e)) => return Err(DeliveryError::Render(e)),
                    }
                }
                let doc = self
                    .documents
                    .get(&doc_key(&bill.account, bill.period, format))
                    .await?
                    .ok_or(DeliveryError::MissingDocument(format.extension()))?;
                (
                    format!("Счёт за электроэнергию за {period} г. (лицевой счёт {})", bill.account.masked()),
                    vec![
                        format!("Счёт за электроэнергию за {period} г. по лицевому счёту {} — во вложении.", bill.account),
                        due,
                        "Вы получаете счёт по e-mail, потому что включили доставку в настройках личного кабинета. Изменить формат или отключить доставку можно там же.".to_owned(),
                    ],
                    vec![Attachment {
                        filename: file_name(bill, format),
                        content_type: doc.content_type,
                        bytes: doc.bytes,
                    }],
                )
            }
            MailKind::Notice => (
                format!("Выставлен счёт за {period} г. (лицевой счёт {})", bill.account.masked()),
                vec![
                    format!(
                        "В личном кабинете размещён счёт за электроэнергию за {period} г. по лицевому счёту {}.",
                        bill.account
                    ),
                    due,
                    "Вы получаете это уведомление, потому что включили его в настройках личного кабинета."
                        .to_owned(),
                ],
                vec![],
            ),
        };
        let link = format!("{base}/bill.html");
        let mut mail =
            compose(self.config, to, subject, &paragraphs, Some(("Открыть счёт в личном кабинете", &link)));
        mail.attachments = attachments;
        Ok(mail)
    }
}

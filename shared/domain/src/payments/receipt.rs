//! The receipt of a successful payment (P4): shown on the «Платежи» page, printed, as a PDF,
//! and mailed when the customer ticked «Получить чек по электронной почте» (B6).
//!
//! This is the retailer's receipt for the customer's records; the 54-FZ cash-register cheque
//! is the bank's (its cash register mails it to the same address).
//!
//! The mail is queued in the same transaction that credits the payment (`RECEIPTQ` /
//! `<paid unix s>#<id>`), so a credited payment that asked for its receipt is never forgotten.
//! The queue entry is the outbox record: claimed (attempts + 1, `VersionIs`) before the send,
//! deleted after it, or marked failed for the next try; after [`MAX_ATTEMPTS`] (or a refused
//! address) it stays, given up, for an operator. A send whose deletion was lost (the process
//! died in between) is sent again after the claim goes stale: at least once, twice only then.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use svet_billdoc::{ReceiptSheet, receipt_layout};

use super::{Link, Payment, PaymentStatus, find};
use crate::billing::{Registers, date_dots};
use crate::bills::document::company;
use crate::identity::mails::compose;
use crate::mail::{Attachment, MailError, Mailer};
use crate::registry::{RegistryEntry, registry_key};
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Write};
use crate::{AccountNumber, Config, Mail};

/// Sends of one receipt before it is left for an operator.
pub const MAX_ATTEMPTS: u32 = 5;
/// A claim this old belongs to a process that died.
pub const STALE_CLAIM_SECONDS: i64 = 15 * 60;
/// The receipt queue's one partition: a few receipts a minute at most.
pub const RECEIPT_QUEUE_PK: &str = "RECEIPTQ";

pub fn receipt_queue_key(paid_at: Timestamp, payment_id: &str) -> Key {
    Key::new(RECEIPT_QUEUE_PK, format!("{}#{payment_id}", super::seconds(paid_at)))
}

/// A receipt waiting to be mailed: where its payment is, and how the sends went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedReceipt {
    pub account: AccountNumber,
    /// The payment's sort key.
    pub sk: String,
    pub attempts: u32,
    /// Set while a process sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<Timestamp>,
    /// Why the last send failed (the service's error kind, no personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl QueuedReceipt {
    pub(super) fn for_payment(payment: &Payment) -> QueuedReceipt {
        let link = Link::to(payment);
        QueuedReceipt { account: link.account, sk: link.sk, attempts: 0, claimed_at: None, error: None }
    }
}

/// A successful payment's receipt, with what it prints.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub payment: Payment,
    /// The premises' address from the registry.
    pub address: String,
    /// When it was paid, in the company's time zone: «25.11.2026» and «18:03».
    pub date_text: String,
    pub time_text: String,
}

impl Receipt {
    /// The receipt of `payment_id` if it is `account`'s and paid (or refunded since); `None`
    /// otherwise, so nobody learns whether someone else's payment exists.
    pub async fn load(
        store: &dyn Store,
        config: &Config,
        account: &AccountNumber,
        payment_id: &str,
    ) -> Result<Option<Receipt>, StoreError> {
        let Some((payment, _)) = find(store, payment_id).await? else { return Ok(None) };
        if &payment.account != account {
            return Ok(None);
        }
        Self::of(store, config, payment).await
    }

    /// The receipt of a payment already read; `None` when it is not paid.
    pub async fn of(
        store: &dyn Store,
        config: &Config,
        payment: Payment,
    ) -> Result<Option<Receipt>, StoreError> {
        let paid_at = match (payment.status, payment.paid_at) {
            (PaymentStatus::Paid | PaymentStatus::Refunded, Some(at)) => at,
            _ => return Ok(None),
        };
        let address = match store.get(&registry_key(&payment.account)).await? {
            Some(item) => item.to_serde::<RegistryEntry>()?.address,
            None => String::new(),
        };
        let local = paid_at.to_zoned(config.time_zone());
        Ok(Some(Receipt {
            address,
            date_text: date_dots(local.date()),
            time_text: local.strftime("%H:%M").to_string(),
            payment,
        }))
    }

    /// The readings sent with the payment, as the receipt prints them.
    pub fn readings_text(&self) -> String {
        match self.payment.readings {
            None => "не передавались".to_owned(),
            Some(Registers::Single(value)) => format!("{value} кВт·ч"),
            Some(Registers::DayNight { day, night }) => format!("день {day} кВт·ч, ночь {night} кВт·ч"),
        }
    }

    /// Label and value of every line, in the receipt's order (P4).
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let p = &self.payment;
        let mut rows = vec![
            ("Дата", self.date_text.clone()),
            ("Время", self.time_text.clone()),
            ("Сумма", p.amount.to_string()),
            ("Номер платежа", p.id.clone()),
            ("Показания счетчика", self.readings_text()),
            ("Лицевой счёт", p.account.to_string()),
            ("Адрес помещения", self.address.clone()),
            ("Статус", p.status.label_ru().to_owned()),
        ];
        if p.refunded > crate::Kopecks::ZERO {
            rows.push(("Возвращено на карту", p.refunded.to_string()));
        }
        rows
    }

    pub fn title(&self) -> &'static str {
        "Квитанция об оплате электроэнергии"
    }

    pub fn file_name(&self) -> String {
        format!("receipt-{}.pdf", self.payment.id)
    }

    /// The receipt as a one-page PDF.
    pub fn pdf(&self, config: &Config) -> Vec<u8> {
        let sheet = ReceiptSheet {
            company: company(config, &config.payee),
            title: self.title().to_owned(),
            rows: self.rows().into_iter().map(|(label, value)| (label.to_owned(), value)).collect(),
            note: "Оплата банковской картой через личный кабинет. Кассовый чек по 54-ФЗ направляет банк \
                   на адрес электронной почты, указанный при оплате."
                .to_owned(),
        };
        svet_billdoc::pdf(&receipt_layout(&sheet))
    }
}

/// What a drain of the receipt queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailSummary {
    pub sent: u32,
    /// Failed this time; retried by the next run.
    pub failed: u32,
    /// Waiting for an operator: [`MAX_ATTEMPTS`] failed, or the address was refused.
    pub given_up: u32,
    /// Being sent by another process right now.
    pub busy: u32,
}

/// Mailing receipts over the store and the mail port.
#[derive(Clone, Copy)]
pub struct ReceiptMails<'a> {
    pub store: &'a dyn Store,
    pub mailer: &'a dyn Mailer,
    pub config: &'a Config,
    /// The portal's address, for the link to «Платежи».
    pub public_url: &'a str,
    pub now: Timestamp,
}

enum Outcome {
    Sent,
    Failed,
    GivenUp,
    Busy,
}

impl ReceiptMails<'_> {
    /// Sends the payment's receipt if it is queued (just credited, with the option ticked).
    /// A failure is left queued for the next drain and never fails the caller's request.
    pub async fn send_for(&self, payment: &Payment) -> MailSummary {
        let mut summary = MailSummary::default();
        let Some(paid_at) = payment.paid_at.filter(|_| payment.receipt_mail) else { return summary };
        let key = receipt_queue_key(paid_at, &payment.id);
        match self.store.get(&key).await {
            Ok(Some(item)) => self.count(&mut summary, item).await,
            Ok(None) => {}
            // The next drain sends it.
            Err(_) => summary.failed += 1,
        }
        summary
    }

    /// Sends every queued receipt that is not given up or being sent.
    pub async fn drain(&self) -> Result<MailSummary, StoreError> {
        let mut query = Query::new(RECEIPT_QUEUE_PK, SkRange::All);
        query.limit = 100;
        let mut summary = MailSummary::default();
        loop {
            let page = self.store.query(&query).await?;
            for item in page.items {
                self.count(&mut summary, item).await;
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(summary),
            }
        }
    }

    async fn count(&self, summary: &mut MailSummary, item: Item) {
        match self.send_queued(item).await {
            Ok(Outcome::Sent) => summary.sent += 1,
            Ok(Outcome::Failed) => summary.failed += 1,
            Ok(Outcome::GivenUp) => summary.given_up += 1,
            Ok(Outcome::Busy) => summary.busy += 1,
            // The store failed mid-way: the entry stays queued (or its claim goes stale).
            Err(_) => summary.failed += 1,
        }
    }

    async fn send_queued(&self, item: Item) -> Result<Outcome, StoreError> {
        let queued: QueuedReceipt = item.to_serde()?;
        if queued.attempts >= MAX_ATTEMPTS {
            return Ok(Outcome::GivenUp);
        }
        if let Some(at) = queued.claimed_at
            && at.as_second() + STALE_CLAIM_SECONDS > self.now.as_second()
        {
            return Ok(Outcome::Busy);
        }
        let claim = QueuedReceipt { attempts: queued.attempts + 1, claimed_at: Some(self.now), ..queued };
        let mut claimed = Item::from_serde(item.key.clone(), &claim)?;
        claimed.version = item.version + 1;
        match self.store.put(claimed, Condition::VersionIs(item.version)).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => return Ok(Outcome::Busy),
            Err(e) => return Err(e),
        }
        let version = item.version + 1;
        let link = Link { account: claim.account.clone(), sk: claim.sk.clone() };
        let payment: Option<Payment> =
            self.store.get(&link.key()).await?.map(|i| i.to_serde()).transpose()?;
        let receipt = match payment {
            Some(payment) => Receipt::of(self.store, self.config, payment).await?,
            None => None,
        };
        let Some((receipt, to)) = receipt.and_then(|r| r.payment.email.clone().map(|to| (r, to))) else {
            // Nothing to send (the payment is gone or has no address): drop the entry.
            self.store.delete(&item.key, Condition::VersionIs(version)).await?;
            return Ok(Outcome::GivenUp);
        };
        let mail = self.compose(to.as_str(), &receipt);
        match self.mailer.send(&mail).await {
            Ok(_) => {
                match self.store.delete(&item.key, Condition::VersionIs(version)).await {
                    Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                    Err(e) => return Err(e),
                }
                Ok(Outcome::Sent)
            }
            Err(e) => {
                let (reason, attempts) = match &e {
                    // A refused address is refused again: no point retrying.
                    MailError::Rejected(why) => (format!("rejected: {why}"), MAX_ATTEMPTS),
                    MailError::Unavailable(_) => {
                        ("the mail service is unavailable".to_owned(), claim.attempts)
                    }
                };
                let failed = QueuedReceipt { attempts, claimed_at: None, error: Some(reason), ..claim };
                let mut next = Item::from_serde(item.key.clone(), &failed)?;
                next.version = version + 1;
                self.store
                    .transact(vec![Write::Put { item: next, condition: Condition::VersionIs(version) }])
                    .await?;
                Ok(if attempts >= MAX_ATTEMPTS { Outcome::GivenUp } else { Outcome::Failed })
            }
        }
    }

    fn compose(&self, to: &str, receipt: &Receipt) -> Mail {
        let p = &receipt.payment;
        let amount = p.amount.to_string().replace('\u{a0}', " ");
        let subject = format!("Квитанция об оплате {amount} (лицевой счёт {})", p.account.masked());
        let paragraphs = vec![
            format!(
                "Платеж на сумму {amount} по лицевому счёту {} выполнен {} в {}, номер платежа {}. \
                 Квитанция — во вложении.",
                p.account, receipt.date_text, receipt.time_text, p.id
            ),
            format!("Показания счетчика, переданные с платежом: {}.", receipt.readings_text()),
            "Кассовый чек по 54-ФЗ придет отдельным письмом от банка.".to_owned(),
        ];
        let link = format!("{}/payments.html", self.public_url.trim_end_matches('/'));
        let mut mail =
            compose(self.config, to, subject, &paragraphs, Some(("Все платежи в личном кабинете", &link)));
        mail.attachments = vec![Attachment {
            filename: receipt.file_name(),
            content_type: "application/pdf".to_owned(),
            bytes: receipt.pdf(self.config),
        }];
        mail
    }
}

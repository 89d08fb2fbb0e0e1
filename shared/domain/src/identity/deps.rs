//! What the identity use cases need, and how they fail.

use crate::identity::input::AddressPart;
use crate::identity::passwords::PasswordHasher;
use crate::mail::{Mail, MailError, Mailer};
use crate::store::{Store, StoreError};
use crate::{Clock, Config, IdGen};

/// The ports and settings the identity flows use.
pub struct Deps<'a> {
    pub store: &'a dyn Store,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdGen,
    pub hasher: &'a dyn PasswordHasher,
    pub config: &'a Config,
    /// Where the pages are, e.g. `https://lk.example.ru`; mailed links start with it.
    pub public_url: &'a str,
}

impl Deps<'_> {
    pub fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    pub fn link(&self, page: &str, secret: &str) -> String {
        // In the fragment: never sent to a server, so it stays out of logs and referrers.
        format!("{}/{page}#token={secret}", self.public_url.trim_end_matches('/'))
    }

    /// Sends a mail, at most [`MAIL_PER_ADDRESS`] an hour to one address whatever asked for it,
    /// so no endpoint can be used to flood someone's mailbox.
    pub async fn send(&self, mail: Mail) -> Result<(), IdentityError> {
        use sha2::{Digest, Sha256};
        let address = hex::encode(Sha256::digest(mail.to.to_lowercase().as_bytes()));
        allowed(MAIL_PER_ADDRESS.hit(self.store, self.clock, &address).await?)?;
        self.mailer.send(&mail).await?;
        Ok(())
    }

    /// Sends a link asked for by an account number and an e-mail, where the request answers
    /// the same whether or not the pair is a customer's (recovery, a new activation link): a
    /// failed send, or the address's hourly limit, is returned for the log instead of as an
    /// error, whose different answer would tell a stranger that the pair is real. The store
    /// failing still fails the request.
    pub async fn send_unseen(&self, mail: Mail) -> Result<Option<MailNotSent>, IdentityError> {
        match self.send(mail).await {
            Ok(()) => Ok(None),
            Err(IdentityError::Mail(e)) => Ok(Some(MailNotSent(format!("{e:#}")))),
            Err(IdentityError::TooManyAttempts { .. }) => {
                Ok(Some(MailNotSent("the address's hourly mail limit is reached".to_owned())))
            }
            Err(e) => Err(e),
        }
    }
}

/// Why a link was not mailed to a customer who was told it may have been; for the log (the
/// mail service's text may quote the address: scrub it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailNotSent(pub String);

/// Mails to one address per hour (counted by the address's SHA-256, not the address).
pub const MAIL_PER_ADDRESS: crate::identity::limits::Rule =
    crate::identity::limits::Rule { scope: "mail-to", max: 10, window: 3600 };

/// Field-by-field problems, each with a Russian message for the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn into_result(self) -> Result<(), IdentityError> {
        if self.0.is_empty() { Ok(()) } else { Err(IdentityError::Invalid(self)) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("invalid input in {} field(s)", .0.0.len())]
    Invalid(FieldErrors),
    /// R2: the typed address does not match the registry's (or the account is unknown, which
    /// answers the same so as not to reveal which accounts exist).
    #[error("the address does not match the registry")]
    AddressDiffers(Vec<AddressPart>),
    #[error("the account is already registered")]
    AlreadyRegistered,
    #[error("wrong account or password")]
    LoginFailed,
    #[error("the account is not activated")]
    NotActivated,
    #[error("too many attempts; retry in {retry_after} s")]
    TooManyAttempts { retry_after: i64 },
    #[error("the link is unknown, used or expired")]
    BadLink,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("mail failed: {0}")]
    Mail(#[from] MailError),
    #[error("password hashing failed: {0}")]
    Hashing(anyhow::Error),
}

/// Turns a rate-limit answer into an error.
pub fn allowed(limit: crate::identity::limits::Limit) -> Result<(), IdentityError> {
    match limit {
        crate::identity::limits::Limit::Allowed => Ok(()),
        crate::identity::limits::Limit::Denied { retry_after } => {
            Err(IdentityError::TooManyAttempts { retry_after })
        }
    }
}

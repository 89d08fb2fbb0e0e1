//! The e-mail address typed at registration (R1, R3) and in the settings (S4).
//!
//! The checks catch what people actually get wrong (no @, a comma for a dot, a space, the
//! Russian keyboard layout, a dot at the end) and say so in words; they do not try to accept
//! every address RFC 5322 allows (quoted local parts, IP literals), which no mail provider
//! hands out to households. Internationalised domains such as `почта.рф` are accepted, in
//! Unicode; the local part stays ASCII, as SES and most providers require.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::email_error::EmailError;
use super::mail_domains::closest_common_domain;
use super::text::{clean_edges, is_space};

/// Longest address (RFC 5321's path limit less the brackets) and local part, in characters.
pub const MAX_EMAIL: usize = 254;
pub const MAX_LOCAL: usize = 64;
/// Longest label of a domain name (between two dots).
pub const MAX_LABEL: usize = 63;

/// A checked e-mail address: the local part as typed (mailboxes may be case-sensitive), the
/// domain lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email {
    text: String,
    at: usize,
}

impl Email {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The part before the @.
    pub fn local(&self) -> &str {
        &self.text[..self.at]
    }

    /// The part after the @, lowercased.
    pub fn domain(&self) -> &str {
        &self.text[self.at + 1..]
    }

    /// The same mailbox at another domain; the domain must already be valid.
    pub(crate) fn with_domain(&self, domain: &str) -> Email {
        Email { text: format!("{}@{domain}", self.local()), at: self.at }
    }
}

/// Reads an e-mail address as typed: invisible characters and the spaces around it removed,
/// the domain lowercased. The first problem found is returned.
pub fn parse_email(input: &str) -> Result<Email, EmailError> {
    let text = clean_edges(input);
    if text.is_empty() {
        return Err(EmailError::Empty);
    }
    let length = text.chars().count();
    if length > MAX_EMAIL {
        return Err(EmailError::TooLong { chars: length });
    }
    if text.chars().any(is_space) {
        return Err(EmailError::Space);
    }
    let (local, domain) = match text.matches('@').count() {
        0 => return Err(EmailError::NoAt),
        1 => text.split_once('@').unwrap_or_default(),
        count => return Err(EmailError::SeveralAt { count }),
    };
    check_local(local)?;
    let domain = domain.to_lowercase();
    check_domain(local, &domain)?;
    Ok(Email { text: format!("{local}@{domain}"), at: local.len() })
}

fn check_local(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::EmptyLocal);
    }
    if let Some(found) = local.chars().find(|c| !is_atext(*c) && *c != '.') {
        return Err(EmailError::LocalChar { found });
    }
    if local.len() > MAX_LOCAL {
        return Err(EmailError::LocalTooLong { chars: local.len() });
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::LocalDots);
    }
    Ok(())
}

/// The characters RFC 5322 allows unquoted in a local part, besides the dot.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn check_domain(local: &str, domain: &str) -> Result<(), EmailError> {
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain);
    }
    if let Some(found) = domain.chars().find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '.')) {
        return Err(EmailError::DomainChar { found });
    }
    if let Some(rest) = domain.strip_suffix('.')
        && !rest.split('.').any(str::is_empty)
    {
        return Err(EmailError::TrailingDot);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) {
        return Err(EmailError::EmptyLabel);
    }
    if labels.len() < 2 {
        let suggestion = closest_common_domain(domain).map(|common| format!("{local}@{common}"));
        return Err(EmailError::MissingDot { suggestion });
    }
    if labels.iter().any(|label| label.starts_with('-') || label.ends_with('-')) {
        return Err(EmailError::LabelHyphen);
    }
    if labels.iter().any(|label| label.chars().count() > MAX_LABEL) {
        return Err(EmailError::LabelTooLong);
    }
    if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_numeric() || c == '-')) {
        return Err(EmailError::NumericEnding);
    }
    Ok(())
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        parse_email(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.text
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
#[path = "email_tests.rs"]
mod tests;

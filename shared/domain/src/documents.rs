//! The documents port: bills, receipts and import reports, stored privately and handed out as
//! short-lived links (S3 presigned GET on AWS, a signed link to the local server at home).

use std::time::Duration;

use async_trait::async_trait;

/// Where a document lives, e.g. `bills/2026-01/180211111.pdf`: lowercase path segments of
/// letters, digits, `-`, `_` and `.`, no `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocKey(String);

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("invalid document key {0:?}")]
    InvalidKey(String),
    #[error("the document store is unavailable")]
    Unavailable(#[source] anyhow::Error),
}

impl DocKey {
    pub fn parse(key: &str) -> Result<Self, DocumentError> {
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if key.len() > 512 || !key.split('/').all(segment_ok) {
            return Err(DocumentError::InvalidKey(key.to_owned()));
        }
        Ok(DocKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

#[async_trait]
pub trait Documents: Send + Sync {
    /// Stores (or replaces) a document.
    async fn put(&self, key: &DocKey, doc: Document) -> Result<(), DocumentError>;

    /// Reads a document back.
    async fn get(&self, key: &DocKey) -> Result<Option<Document>, DocumentError>;

    /// A link that lets whoever holds it read the document until it expires.
    async fn link(&self, key: &DocKey, valid_for: Duration) -> Result<String, DocumentError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_their_folder() {
        assert!(DocKey::parse("bills/2026-01/180211111.pdf").is_ok());
        for bad in ["", "/abs", "a//b", "../etc/passwd", "a/../b", "a b", "счёт.pdf", "a/"] {
            assert!(DocKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}

//! Single-use tokens mailed as links (activation, password reset, e-mail change). The link
//! carries 32 random bytes; the store keeps only their SHA-256, with an expiry, so a leak of
//! the table does not leak working links. A token is used by deleting it in the same
//! transaction as the change it authorises.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AccountNumber;
use crate::store::{Condition, Item, Key, Store, StoreError, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Activate,
    Reset,
    ChangeEmail,
}

/// What a token authorises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub purpose: Purpose,
    pub account: AccountNumber,
    /// For an e-mail change: the new address.
    pub email: Option<String>,
}

/// A fresh token: the secret for the link and the write that stores its hash.
pub struct Issued {
    pub secret: String,
    pub write: Write,
}

fn key_for(secret: &str) -> Key {
    Key::new(format!("TOKEN#{}", hex::encode(Sha256::digest(secret.as_bytes()))), "TOKEN")
}

/// A new token for `grant`, valid until `expires_at` (unix seconds).
pub fn issue(grant: &Grant, expires_at: i64) -> Result<Issued, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::unavailable(anyhow::anyhow!("no randomness: {e}")))?;
    let secret = base64url(&bytes);
    let item = Item::from_serde(key_for(&secret), grant)?.expires_at(expires_at);
    Ok(Issued { secret, write: Write::Put { item, condition: Condition::Absent } })
}

/// The live grant of a token, with the write that uses it up, if the token is known, unexpired
/// and for this purpose. Malformed input is simply unknown.
pub async fn find(
    store: &dyn Store,
    secret: &str,
    purpose: Purpose,
) -> Result<Option<(Grant, Write)>, StoreError> {
    if secret.is_empty()
        || secret.len() > 100
        || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let key = key_for(secret);
    let Some(item) = store.get(&key).await? else { return Ok(None) };
    let grant: Grant = item.to_serde()?;
    if grant.purpose != purpose {
        return Ok(None);
    }
    Ok(Some((grant, Write::Delete { key, condition: Condition::VersionIs(item.version) })))
}

/// Base64url without padding.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_the_rfc_vectors() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let grant = Grant {
            purpose: Purpose::Activate,
            account: AccountNumber::parse("180211111").unwrap(),
            email: None,
        };
        let a = issue(&grant, 100).unwrap();
        let b = issue(&grant, 100).unwrap();
        assert_eq!(a.secret.len(), 43);
        assert_ne!(a.secret, b.secret);
        assert!(!a.write.key().pk.contains(&a.secret), "the secret itself is never stored");
    }
}

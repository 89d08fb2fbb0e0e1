//! A registered customer's profile: how they log in, where their mail goes, what they agreed
//! to, and their delivery settings. One item per account, beside the registry entry.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::AccountNumber;
use crate::store::{Item, Key, Store, StoreError};

/// Where a profile is stored.
pub fn profile_key(account: &AccountNumber) -> Key {
    Key::new(format!("ACCOUNT#{account}"), "PROFILE")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub account: AccountNumber,
    /// Where every notice and receipt goes (S4).
    pub email: String,
    /// The argon2id PHC string.
    pub password: String,
    pub status: Status,
    pub registered_at: Timestamp,
    pub activated_at: Option<Timestamp>,
    pub password_changed_at: Timestamp,
    /// 152-FZ: the consent to personal-data processing given at registration.
    pub consent: Consent,
    /// S1: bill delivery by e-mail.
    pub delivery: Delivery,
    /// S2: notices that a new bill is posted.
    pub notices: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Registered, activation link not yet followed: cannot log in (R4).
    Pending,
    Active,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Off,
    Pdf,
    Png,
}

/// A record of consent: which text was shown, when, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub version: String,
    pub at: Timestamp,
    pub ip: String,
}

/// A profile as read, with the version to write it back with.
#[derive(Debug, Clone)]
pub struct Stored {
    pub profile: Profile,
    pub version: u64,
}

impl Stored {
    /// The next version of the item, to be written with `Condition::VersionIs(self.version)`.
    pub fn next_item(&self, profile: &Profile) -> Result<Item, StoreError> {
        let mut item = Item::from_serde(profile_key(&profile.account), profile)?;
        item.version = self.version + 1;
        Ok(item)
    }
}

pub async fn load(store: &dyn Store, account: &AccountNumber) -> Result<Option<Stored>, StoreError> {
    match store.get(&profile_key(account)).await? {
        Some(item) => Ok(Some(Stored { profile: item.to_serde()?, version: item.version })),
        None => Ok(None),
    }
}

//! Server-side session records, one per login: `ACCOUNT#<n>` / `SESSION#<id>`. The browser's
//! signed cookie names the record; a request is let in only while the record lives. The record
//! expires after the idle timeout, renewed as the customer works, and never outlives the
//! absolute limit. «Выход», a password change or a reset delete records, so the cookie stops
//! working at once.

use serde::{Deserialize, Serialize};

use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Write};
use crate::{AccountNumber, Clock, IdGen};

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: i64,
    pub absolute: i64,
}

/// Renew the idle deadline at most this often (a write per request would double the cost).
const RENEW_AFTER: i64 = 60;

fn key(account: &AccountNumber, id: &str) -> Key {
    Key::new(format!("ACCOUNT#{account}"), format!("SESSION#{id}"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub created_at: i64,
    pub last_seen: i64,
    /// Unix seconds after which the session ends whatever happens.
    pub absolute: i64,
}

/// Starts a session; returns it (its id goes into the cookie).
pub fn open(
    clock: &dyn Clock,
    ids: &dyn IdGen,
    account: &AccountNumber,
    life: Lifetimes,
) -> Result<(Session, Write), StoreError> {
    let now = clock.now().as_second();
    let session =
        Session { id: ids.new_id(), created_at: now, last_seen: now, absolute: now + life.absolute };
    let item = Item::from_serde(key(account, &session.id), &session)?
        .expires_at((now + life.idle).min(session.absolute));
    Ok((session.clone(), Write::Put { item, condition: Condition::Absent }))
}

/// Whether the session lives; renews its idle deadline when due.
pub async fn touch(
    store: &dyn Store,
    clock: &dyn Clock,
    account: &AccountNumber,
    id: &str,
    life: Lifetimes,
) -> Result<bool, StoreError> {
    let key = key(account, id);
    let Some(item) = store.get(&key).await? else { return Ok(false) };
    let mut session: Session = item.to_serde()?;
    let now = clock.now().as_second();
    if now >= session.absolute {
        return Ok(false);
    }
    if now - session.last_seen >= RENEW_AFTER {
        session.last_seen = now;
        let mut renewed =
            Item::from_serde(key, &session)?.expires_at((now + life.idle).min(session.absolute));
        renewed.version = item.version + 1;
        // Another request renewing at the same moment is as good.
        match store.put(renewed, Condition::VersionIs(item.version)).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Ends one session.
pub async fn close(store: &dyn Store, account: &AccountNumber, id: &str) -> Result<(), StoreError> {
    store.delete(&key(account, id), Condition::None).await
}

/// Ends every session of the account but `keep`.
pub async fn close_all(
    store: &dyn Store,
    account: &AccountNumber,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    let mut query = Query::new(format!("ACCOUNT#{account}"), SkRange::Prefix("SESSION#".into()));
    let mut closed = 0;
    loop {
        let page = store.query(&query).await?;
        for item in &page.items {
            if keep.is_some_and(|k| item.key.sk == format!("SESSION#{k}")) {
                continue;
            }
            store.delete(&item.key, Condition::None).await?;
            closed += 1;
        }
        match page.next {
            Some(cursor) => query.after = Some(cursor),
            None => return Ok(closed),
        }
    }
}

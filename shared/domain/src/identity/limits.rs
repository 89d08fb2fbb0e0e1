//! Fixed-window rate limits kept in the store, so that every Lambda container and the local
//! server count together: `LIMIT#<scope>#<subject>` / `<window start>`, expiring with the
//! window. Counting is a compare-and-swap on the item's version.

use serde::{Deserialize, Serialize};

use crate::Clock;
use crate::store::{Condition, Item, Key, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Allowed,
    /// Over the limit; the window ends in this many seconds.
    Denied {
        retry_after: i64,
    },
}

#[derive(Serialize, Deserialize)]
struct Count {
    count: u32,
}

/// A limit: at most `max` hits per `window` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub scope: &'static str,
    pub max: u32,
    pub window: i64,
}

impl Rule {
    /// Counts one hit for `subject` (an account, an address, an IP) and says whether it is
    /// within the limit. A denied hit is not counted. A hit that keeps losing the count's
    /// compare-and-swap to others at the same moment is a burst in itself: it is denied for a
    /// second rather than failed as if the store were down.
    pub async fn hit(
        &self,
        store: &dyn Store,
        clock: &dyn Clock,
        subject: &str,
    ) -> Result<Limit, StoreError> {
        let now = clock.now().as_second();
        let start = now - now.rem_euclid(self.window);
        let key = Key::new(format!("LIMIT#{}#{subject}", self.scope), start.to_string());
        for _ in 0..8 {
            let stored = store.get(&key).await?;
            let (count, condition, version) = match &stored {
                Some(item) => {
                    (item.to_serde::<Count>()?.count, Condition::VersionIs(item.version), item.version + 1)
                }
                None => (0, Condition::Absent, 1),
            };
            if count >= self.max {
                return Ok(Limit::Denied { retry_after: start + self.window - now });
            }
            let mut item =
                Item::from_serde(key.clone(), &Count { count: count + 1 })?.expires_at(start + self.window);
            item.version = version;
            match store.put(item, condition).await {
                Ok(()) => return Ok(Limit::Allowed),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(Limit::Denied { retry_after: 1 })
    }
}

//! The storage port: one table of items addressed by a partition key and a sort key, with the
//! semantics of DynamoDB that Svet relies on, so that the embedded store and DynamoDB behave
//! the same (the contract suite in `tests/` holds both to it):
//!
//! - conditional writes ([`Condition`]) for uniqueness, idempotency and optimistic locking;
//! - transactions of up to [`MAX_TRANSACTION`] writes that succeed or fail together;
//! - expiry: an item whose `expires_at` has passed is absent for every read *and* condition,
//!   even before the store deletes it (DynamoDB's TTL deletes lazily);
//! - range queries within one partition, in sort-key order, paginated by an opaque cursor.
//!
//! There is no scan on a request path; batch jobs get their own port when they need one.

use async_trait::async_trait;
use jiff::Timestamp;
use serde_json::{Map, Value};

/// At most this many writes in one transaction (DynamoDB's limit).
pub const MAX_TRANSACTION: usize = 100;
/// At most this many items in a page.
pub const MAX_PAGE: u32 = 1000;

/// An item's address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key { pk: pk.into(), sk: sk.into() }
    }
}

/// One stored item: its key, a JSON object of attributes, an optional expiry and a version
/// number that writers use for optimistic locking ([`Condition::VersionIs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub data: Map<String, Value>,
    /// Unix seconds after which the item no longer exists.
    pub expires_at: Option<i64>,
    pub version: u64,
}

impl Item {
    pub fn new(key: Key, data: Map<String, Value>) -> Self {
        Item { key, data, expires_at: None, version: 1 }
    }

    /// An item whose attributes are `value`'s fields; `value` must serialise to an object.
    pub fn from_serde(key: Key, value: &impl serde::Serialize) -> Result<Self, StoreError> {
        match serde_json::to_value(value) {
            Ok(Value::Object(data)) => Ok(Item::new(key, data)),
            Ok(_) => Err(StoreError::Invalid("an item's data must be a JSON object".into())),
            Err(e) => Err(StoreError::Invalid(format!("cannot serialise an item: {e}"))),
        }
    }

    /// The attributes read back into a domain type.
    pub fn to_serde<T: serde::de::DeserializeOwned>(&self) -> Result<T, StoreError> {
        // Straight from the map: no copy of the attributes.
        T::deserialize(&self.data).map_err(|e| {
            StoreError::Corrupt(format!("item {}/{} does not decode: {e}", self.key.pk, self.key.sk))
        })
    }

    pub fn expires_at(mut self, unix_seconds: i64) -> Self {
        self.expires_at = Some(unix_seconds);
        self
    }

    /// Whether the item has expired at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        is_expired(self.expires_at, now)
    }
}

/// Whether an item with this expiry is gone at `now`: expiry is inclusive of its second.
pub fn is_expired(expires_at: Option<i64>, now: Timestamp) -> bool {
    expires_at.is_some_and(|t| t <= now.as_second())
}

/// What must hold of the stored item for a write to happen. An expired item counts as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Write whatever is there.
    None,
    /// Only if no live item has this key.
    Absent,
    /// Only if a live item has this key.
    Present,
    /// Only if a live item has this key and this version.
    VersionIs(u64),
}

impl Condition {
    /// Whether the condition holds of the live item (or its absence).
    pub fn holds(self, stored_version: Option<u64>) -> bool {
        match (self, stored_version) {
            (Condition::None, _) => true,
            (Condition::Absent, v) => v.is_none(),
            (Condition::Present, v) => v.is_some(),
            (Condition::VersionIs(want), Some(have)) => want == have,
            (Condition::VersionIs(_), None) => false,
        }
    }
}

/// One write of a transaction.
#[derive(Debug, Clone)]
pub enum Write {
    Put {
        item: Item,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing, but the transaction fails unless the condition holds.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Write {
    pub fn key(&self) -> &Key {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Delete { key, .. } | Write::Check { key, .. } => key,
        }
    }

    pub fn condition(&self) -> Condition {
        match self {
            Write::Put { condition, .. }
            | Write::Delete { condition, .. }
            | Write::Check { condition, .. } => *condition,
        }
    }
}

/// Which sort keys of a partition a query returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkRange {
    All,
    Prefix(String),
    /// Both ends inclusive.
    Between(String, String),
}

impl SkRange {
    pub fn contains(&self, sk: &str) -> bool {
        match self {
            SkRange::All => true,
            SkRange::Prefix(p) => sk.starts_with(p.as_str()),
            SkRange::Between(a, b) => a.as_str() <= sk && sk <= b.as_str(),
        }
    }
}

/// A range query in one partition.
#[derive(Debug, Clone)]
pub struct Query {
    pub pk: String,
    pub range: SkRange,
    /// Ascending sort-key order when true.
    pub forward: bool,
    /// At most this many items per page (1..=[`MAX_PAGE`]).
    pub limit: u32,
    /// The cursor of the previous page.
    pub after: Option<String>,
}

impl Query {
    pub fn new(pk: impl Into<String>, range: SkRange) -> Self {
        Query { pk: pk.into(), range, forward: true, limit: 100, after: None }
    }
}

/// A scan of the whole table for batch jobs (bill generation), never on a request path: the
/// live items whose partition key starts with `pk_prefix` (and whose sort key is `sk`, when
/// given), in `segments` disjoint parts that workers read in parallel. Order within a segment
/// is unspecified; together the segments hold every matching item exactly once.
#[derive(Debug, Clone)]
pub struct Scan {
    pub pk_prefix: String,
    pub sk: Option<String>,
    /// This worker's part, `0..segments`.
    pub segment: u32,
    pub segments: u32,
    pub limit: u32,
    pub after: Option<String>,
}

impl Scan {
    /// The whole of one item type in one segment, e.g. `Scan::all("ACCOUNT#", Some("REGISTRY"))`.
    pub fn all(pk_prefix: &str, sk: Option<&str>) -> Self {
        Scan {
            pk_prefix: pk_prefix.into(),
            sk: sk.map(Into::into),
            segment: 0,
            segments: 1,
            limit: 500,
            after: None,
        }
    }
}

/// The segment a partition key belongs to in the embedded store's scans (FNV-1a).
pub fn segment_of(pk: &str, segments: u32) -> u32 {
    let hash =
        pk.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    (hash % u64::from(segments.max(1))) as u32
}

/// A scan cursor holds a whole key: `pk`, a unit separator, `sk`.
pub fn scan_cursor(key: &Key) -> String {
    format!("{}\u{1f}{}", key.pk, key.sk)
}

pub fn parse_scan_cursor(cursor: &str) -> Result<Key, StoreError> {
    cursor
        .split_once('\u{1f}')
        .map(|(pk, sk)| Key::new(pk, sk))
        .ok_or_else(|| StoreError::Invalid("a malformed scan cursor".into()))
}

/// Checks a scan's segment and limit.
pub fn check_scan(scan: &Scan) -> Result<(), StoreError> {
    if scan.segments == 0 || scan.segments > 1000 || scan.segment >= scan.segments {
        return Err(StoreError::Invalid(format!(
            "segment {} of {} is not a segment",
            scan.segment, scan.segments
        )));
    }
    if scan.limit == 0 || scan.limit > MAX_PAGE {
        return Err(StoreError::Invalid(format!(
            "a page holds 1 to {MAX_PAGE} items, asked for {}",
            scan.limit
        )));
    }
    Ok(())
}

/// One page of a query: at most `limit` items; `next` is set when more may follow.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold; for a transaction, `index` is the first write that failed.
    #[error("condition failed on write {index}")]
    ConditionFailed { index: usize },
    /// Another transaction touched the same items at the same moment; retrying may succeed.
    #[error("the transaction conflicted with another one")]
    Conflict,
    /// A request the store cannot carry out (too many writes, a key twice, a bad cursor).
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// Stored data that does not decode.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The store cannot be reached or failed; the caller answers 503.
    #[error("the store is unavailable")]
    Unavailable(#[source] anyhow::Error),
}

impl StoreError {
    pub fn unavailable(e: impl Into<anyhow::Error>) -> Self {
        StoreError::Unavailable(e.into())
    }
}

/// The storage port. Both adapters pass `tests/api/store_contract.rs`.
#[async_trait]
pub trait Store: Send + Sync {
    /// The live item at `key`, if any.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// The live items among `keys` (any order; missing and expired ones left out). At most
    /// [`MAX_PAGE`] keys.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;

    /// Writes `item` if `condition` holds.
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.transact(vec![Write::Put { item, condition }]).await
    }

    /// Deletes the item at `key` if `condition` holds; deleting nothing is not an error.
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.transact(vec![Write::Delete { key: key.clone(), condition }]).await
    }

    /// Writes all or nothing.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Unconditional puts of many items, for imports: each item is written whole, and a
    /// retried call writes the same result. Not atomic as a whole.
    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError>;

    /// One page of a range query.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// One page of a segment of a table scan: for batch jobs only.
    async fn scan(&self, scan: &Scan) -> Result<Page, StoreError>;
}

/// Checks a transaction before an adapter runs it, so both refuse the same requests.
pub fn check_transaction(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() {
        return Err(StoreError::Invalid("a transaction needs at least one write".into()));
    }
    if writes.len() > MAX_TRANSACTION {
        return Err(StoreError::Invalid(format!(
            "a transaction has {} writes; at most {MAX_TRANSACTION}",
            writes.len()
        )));
    }
    let mut keys: Vec<&Key> = writes.iter().map(Write::key).collect();
    keys.sort();
    if let Some(pair) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(StoreError::Invalid(format!("a transaction writes {}/{} twice", pair[0].pk, pair[0].sk)));
    }
    for write in writes {
        check_key(write.key())?;
    }
    Ok(())
}

/// Keys are non-empty and at most 1024 bytes (DynamoDB's sort-key limit).
pub fn check_key(key: &Key) -> Result<(), StoreError> {
    for part in [&key.pk, &key.sk] {
        if part.is_empty() || part.len() > 1024 {
            return Err(StoreError::Invalid(format!(
                "a key part must have 1 to 1024 bytes, got {}",
                part.len()
            )));
        }
    }
    Ok(())
}

/// Checks a query's limit.
pub fn check_query(query: &Query) -> Result<(), StoreError> {
    if query.limit == 0 || query.limit > MAX_PAGE {
        return Err(StoreError::Invalid(format!(
            "a page holds 1 to {MAX_PAGE} items, asked for {}",
            query.limit
        )));
    }
    if query.pk.is_empty() {
        return Err(StoreError::Invalid("a query needs a partition key".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(pk: &str, sk: &str) -> Write {
        Write::Put { item: Item::new(Key::new(pk, sk), Map::new()), condition: Condition::None }
    }

    #[test]
    fn transactions_are_checked_alike_for_both_adapters() {
        assert!(check_transaction(&[]).is_err());
        assert!(check_transaction(&[put("A", "1"), put("A", "2")]).is_ok());
        assert!(matches!(
            check_transaction(&[put("A", "1"), put("A", "1")]),
            Err(StoreError::Invalid(m)) if m.contains("twice")
        ));
        let many: Vec<Write> = (0..=MAX_TRANSACTION).map(|i| put("A", &i.to_string())).collect();
        assert!(check_transaction(&many).is_err());
        assert!(check_transaction(&[put("", "1")]).is_err());
    }

    #[test]
    fn conditions_read_the_live_version() {
        assert!(Condition::Absent.holds(None));
        assert!(!Condition::Absent.holds(Some(1)));
        assert!(Condition::Present.holds(Some(3)));
        assert!(Condition::VersionIs(3).holds(Some(3)));
        assert!(!Condition::VersionIs(3).holds(Some(4)));
        assert!(!Condition::VersionIs(3).holds(None));
    }

    #[test]
    fn expiry_includes_its_second() {
        let now = Timestamp::from_second(1_000).unwrap();
        assert!(is_expired(Some(1_000), now));
        assert!(!is_expired(Some(1_001), now));
        assert!(!is_expired(None, now));
    }
}

//! The storage port on SQLite: one `items` table with the same keys, conditions, expiry and
//! paging as the DynamoDB table (docs/data-model.md).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};
use svet_domain::Clock;
use svet_domain::store::{self, Item, Key, Page, Query, Scan, SkRange, Store, StoreError, Write};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk         TEXT    NOT NULL,
    sk         TEXT    NOT NULL,
    data       TEXT    NOT NULL,   -- the item's attributes, a JSON object
    expires_at INTEGER,            -- unix seconds; the item is gone from then on
    version    INTEGER NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
";

/// A SQLite database file holding the one table. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    clock: Arc<dyn Clock>,
    /// Idle connections; each blocking task takes one and puts it back.
    idle: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(StoreError::unavailable)?;
        }
        let first = connect(&path)?;
        first.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(SqliteStore { inner: Arc::new(Inner { path, clock, idle: Mutex::new(vec![first]) }) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Deletes expired items (reads already ignore them); returns how many went.
    pub async fn sweep_expired(&self) -> Result<usize, StoreError> {
        let now = self.inner.clock.now().as_second();
        self.run(move |c| c.execute("DELETE FROM items WHERE expires_at <= ?1", [now]).map_err(unavailable))
            .await
    }

    /// Runs `work` on a pooled connection on the blocking thread pool.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => connect(&inner.path)?,
            };
            let result = work(&mut conn);
            let mut idle = inner.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < 8 {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(StoreError::unavailable)?
    }

    fn now(&self) -> i64 {
        self.inner.clock.now().as_second()
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(unavailable)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(unavailable)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;").map_err(unavailable)?;
    Ok(conn)
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::unavailable(e)
}

/// Reads a row (data, expires_at, version) into an item.
fn to_item(key: Key, data: String, expires_at: Option<i64>, version: i64) -> Result<Item, StoreError> {
    let data: Map<String, Value> = serde_json::from_str(&data)
        .map_err(|e| StoreError::Corrupt(format!("item {}/{} holds bad JSON: {e}", key.pk, key.sk)))?;
    Ok(Item { key, data, expires_at, version: version.try_into().unwrap_or_default() })
}

fn live_version(conn: &Connection, key: &Key, now: i64) -> Result<Option<u64>, StoreError> {
    conn.query_row(
        "SELECT version FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
        params![key.pk, key.sk, now],
        |row| row.get::<_, i64>(0),
    )
    .optional()
    .map(|v| v.map(|v| v.try_into().unwrap_or_default()))
    .map_err(unavailable)
}

fn insert(conn: &Connection, item: &Item) -> Result<(), StoreError> {
    let data = serde_json::to_string(&item.data).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let version = i64::try_from(item.version).map_err(|_| StoreError::Invalid("version too large".into()))?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO items (pk, sk, data, expires_at, version) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| s.execute(params![item.key.pk, item.key.sk, data, item.expires_at, version]))
    .map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        store::check_key(key)?;
        Ok(self.get_many(std::slice::from_ref(key)).await?.pop())
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.len() > store::MAX_PAGE as usize {
            return Err(StoreError::Invalid(format!("at most {} keys at once", store::MAX_PAGE)));
        }
        let mut keys = keys.to_vec();
        keys.sort();
        keys.dedup();
        let now = self.now();
        self.run(move |conn| {
            let tx = conn.transaction().map_err(unavailable)?;
            let mut found = Vec::with_capacity(keys.len());
            {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT data, expires_at, version FROM items
                         WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
                    )
                    .map_err(unavailable)?;
                for key in keys {
                    let row = stmt
                        .query_row(params![key.pk, key.sk, now], |r| {
                            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
                        })
                        .optional()
                        .map_err(unavailable)?;
                    if let Some((data, expires_at, version)) = row {
                        found.push(to_item(key, data, expires_at, version)?);
                    }
                }
            }
            tx.commit().map_err(unavailable)?;
            Ok(found)
        })
        .await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        store::check_transaction(&writes)?;
        let now = self.now();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            for (index, write) in writes.iter().enumerate() {
                if !write.condition().holds(live_version(&tx, write.key(), now)?) {
                    return Err(StoreError::ConditionFailed { index });
                }
            }
            for write in &writes {
                match write {
                    Write::Put { item, .. } => insert(&tx, item)?,
                    Write::Delete { key, .. } => {
                        tx.execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", params![key.pk, key.sk])
                            .map_err(unavailable)?;
                    }
                    Write::Check { .. } => {}
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        for item in &items {
            store::check_key(&item.key)?;
        }
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            for item in &items {
                insert(&tx, item)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn scan(&self, scan: &Scan) -> Result<Page, StoreError> {
        store::check_scan(scan)?;
        let scan = scan.clone();
        let now = self.now();
        self.run(move |conn| SqliteStore::scan_now(conn, &scan, now)).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        store::check_query(query)?;
        let query = query.clone();
        let now = self.now();
        self.run(move |conn| {
            let (low, high) = bounds(&query.range);
            let (cursor_op, order) = if query.forward { (">", "ASC") } else { ("<", "DESC") };
            let sql = format!(
                "SELECT sk, data, expires_at, version FROM items
                 WHERE pk = ?1 AND sk >= ?2 AND (?3 IS NULL OR sk <= ?3)
                   AND (?4 IS NULL OR substr(sk, 1, length(?4)) = ?4)
                   AND (?5 IS NULL OR sk {cursor_op} ?5)
                   AND (expires_at IS NULL OR expires_at > ?6)
                 ORDER BY sk {order} LIMIT ?7"
            );
            let prefix = match &query.range {
                SkRange::Prefix(p) => Some(p.clone()),
                _ => None,
            };
            let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
            let rows = stmt
                .query_map(
                    params![query.pk, low, high, prefix, query.after, now, i64::from(query.limit) + 1],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?)),
                )
                .map_err(unavailable)?;
            let mut items = Vec::new();
            for row in rows {
                let (sk, data, expires_at, version) = row.map_err(unavailable)?;
                items.push(to_item(Key::new(query.pk.clone(), sk), data, expires_at, version)?);
            }
            let next = if items.len() > query.limit as usize {
                items.truncate(query.limit as usize);
                items.last().map(|i| i.key.sk.clone())
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await
    }
}

impl SqliteStore {
    /// Reads rows in key order after the cursor and keeps this segment's (by the partition
    /// key's hash), so each segment reads the matching rows once; fine for one machine's
    /// scale, where a job usually runs one segment.
    fn scan_now(conn: &Connection, scan: &Scan, now: i64) -> Result<Page, StoreError> {
        let after = scan.after.as_deref().map(store::parse_scan_cursor).transpose()?;
        let (after_pk, after_sk) = after.map_or((None, None), |k| (Some(k.pk), Some(k.sk)));
        let mut stmt = conn
            .prepare_cached(
                "SELECT pk, sk, data, expires_at, version FROM items
                 WHERE substr(pk, 1, length(?1)) = ?1 AND (?2 IS NULL OR sk = ?2)
                   AND (?3 IS NULL OR pk > ?3 OR (pk = ?3 AND sk > ?4))
                   AND (expires_at IS NULL OR expires_at > ?5)
                 ORDER BY pk, sk LIMIT ?6",
            )
            .map_err(unavailable)?;
        let mut items = Vec::new();
        let mut cursor = (after_pk, after_sk);
        const CHUNK: i64 = 2000;
        loop {
            let rows: Vec<(String, String, String, Option<i64>, i64)> = stmt
                .query_map(params![scan.pk_prefix, scan.sk, cursor.0, cursor.1, now, CHUNK], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(unavailable)?
                .collect::<Result<_, _>>()
                .map_err(unavailable)?;
            let exhausted = (rows.len() as i64) < CHUNK;
            for (pk, sk, data, expires_at, version) in rows {
                cursor = (Some(pk.clone()), Some(sk.clone()));
                if store::segment_of(&pk, scan.segments) != scan.segment {
                    continue;
                }
                items.push(to_item(Key::new(pk, sk), data, expires_at, version)?);
                if items.len() == scan.limit as usize {
                    let next = items.last().map(|i| store::scan_cursor(&i.key));
                    return Ok(Page { items, next });
                }
            }
            if exhausted {
                return Ok(Page { items, next: None });
            }
        }
    }
}

/// The lowest and (optional) highest sort key of a range.
fn bounds(range: &SkRange) -> (String, Option<String>) {
    match range {
        SkRange::All => (String::new(), None),
        SkRange::Prefix(p) => (p.clone(), None),
        SkRange::Between(a, b) => (a.clone(), Some(b.clone())),
    }
}

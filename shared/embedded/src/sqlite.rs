//! The storage port on SQLite: one `items` table with the same keys, conditions, expiry and
//! paging as the DynamoDB table (docs/data-model.md).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};
use svet_domain::Clock;
use svet_domain::store::{self, Item, Key, Page, Query, Scan, SkRange, Store, StoreError, Write};

/// A rowid table: the key index holds only (pk, sk), so a lookup compares short keys. The first
/// schema was `WITHOUT ROWID`, where the whole row is the index entry: a bill (over 1 KB of
/// JSON) spilled into overflow pages that every search through it copied to compare keys, and
/// few rows fitted a page ([`migrate`] converts such a file). The expiry index is a plain one:
/// with the first schema's partial index (`WHERE expires_at IS NOT NULL`) SQLite's planner
/// compared every bound value with the index's condition, which made each statement prepare
/// itself again whenever a value changed, that is on every call.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk         TEXT    NOT NULL,
    sk         TEXT    NOT NULL,
    data       TEXT    NOT NULL,   -- the item's attributes, a JSON object
    expires_at INTEGER,            -- unix seconds; the item is gone from then on
    version    INTEGER NOT NULL,
    PRIMARY KEY (pk, sk)
);
CREATE INDEX IF NOT EXISTS items_expires_at ON items (expires_at);
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
        let mut first = connect(&path)?;
        migrate(&mut first)?;
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

    /// Runs `work` on a pooled connection, on the calling thread. A statement here takes
    /// microseconds (WAL: readers never wait; a write transaction holds one item or a few), far
    /// less than handing it to the blocking thread pool and back, which cost two thread wake-ups
    /// per statement and capped the local server at a third of its throughput
    /// (docs/performance.md, «Load»). Only a writer waiting for another process's write lock
    /// (the busy timeout) holds its thread longer.
    async fn run<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let inner = &self.inner;
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
    }

    fn now(&self) -> i64 {
        self.inner.clock.now().as_second()
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(unavailable)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(unavailable)?;
    // Every statement shape of this file fits (the default keeps 16).
    conn.set_prepared_statement_cache_capacity(64);
    // 16 MiB of page cache per connection (the default is 2 MiB): the hot pages of a few
    // thousand customers stay parsed in memory instead of being read from the OS each time.
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;")
        .map_err(unavailable)?;
    Ok(conn)
}

/// Drops the first schema's partial expiry index, and rewrites a `WITHOUT ROWID` items table
/// as a rowid table in one transaction (a crash leaves the old table); the data and versions
/// are unchanged.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch("DROP INDEX IF EXISTS items_expiry;").map_err(unavailable)?;
    let sql: Option<String> = conn
        .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'items'", [], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    if !sql.is_some_and(|sql| sql.to_ascii_uppercase().contains("WITHOUT ROWID")) {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
    tx.execute_batch("ALTER TABLE items RENAME TO items_without_rowid;").map_err(unavailable)?;
    tx.execute_batch(SCHEMA).map_err(unavailable)?;
    tx.execute_batch(
        "INSERT INTO items (pk, sk, data, expires_at, version)
             SELECT pk, sk, data, expires_at, version FROM items_without_rowid ORDER BY pk, sk;
         DROP TABLE items_without_rowid;",
    )
    .map_err(unavailable)?;
    tx.commit().map_err(unavailable)
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
            // Several keys are read in one transaction, so they come from one state of the
            // table; one key needs none (a BEGIN and a COMMIT are parsed each time).
            let conn: &Connection = conn;
            let tx =
                if keys.len() > 1 { Some(conn.unchecked_transaction().map_err(unavailable)?) } else { None };
            let mut found = Vec::with_capacity(keys.len());
            {
                let mut stmt = conn
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
            if let Some(tx) = tx {
                tx.commit().map_err(unavailable)?;
            }
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
            let (sql, values) = query_statement(&query, now);
            let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(values), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?))
                })
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
        const CHUNK: i64 = 2000;
        // The LIMIT written into the text, not bound (see [`query_statement`]).
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT pk, sk, data, expires_at, version FROM items
                 WHERE substr(pk, 1, length(?1)) = ?1 AND (?2 IS NULL OR sk = ?2)
                   AND (?3 IS NULL OR pk > ?3 OR (pk = ?3 AND sk > ?4))
                   AND (expires_at IS NULL OR expires_at > ?5)
                 ORDER BY pk, sk LIMIT {CHUNK}"
            ))
            .map_err(unavailable)?;
        let mut items = Vec::new();
        let mut cursor = (after_pk, after_sk);
        loop {
            let rows: Vec<(String, String, String, Option<i64>, i64)> = stmt
                .query_map(params![scan.pk_prefix, scan.sk, cursor.0, cursor.1, now], |r| {
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

/// A query's statement and its values: only the terms it needs, so the planner sees a plain
/// range of the key index (`?n IS NULL OR …` terms made it walk the whole partition and read
/// every row's data); a dozen shapes in all, each prepared once per connection. The LIMIT is
/// written into the text, not bound: SQLite plans `ORDER BY … LIMIT ?` with the bound value,
/// so such a statement prepared itself again on every call (13 % of the local server's time
/// under load; `a_query_statement_is_prepared_once` holds it).
fn query_statement(query: &Query, now: i64) -> (String, Vec<SqlValue>) {
    let mut sql = String::from(
        "SELECT sk, data, expires_at, version FROM items \
         WHERE pk = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
    );
    let mut values = vec![SqlValue::Text(query.pk.clone()), SqlValue::Integer(now)];
    let mut term = |sql: &mut String, condition: &str, value: &str| {
        values.push(SqlValue::Text(value.to_owned()));
        sql.push_str(&condition.replace('?', &format!("?{}", values.len())));
    };
    match &query.range {
        SkRange::All => {}
        SkRange::Prefix(prefix) => {
            term(&mut sql, " AND sk >= ?", prefix);
            match prefix_end(prefix) {
                Some(end) => term(&mut sql, " AND sk < ?", &end),
                None => term(&mut sql, " AND substr(sk, 1, length(?)) = ?", prefix),
            }
        }
        SkRange::Between(low, high) => {
            term(&mut sql, " AND sk >= ?", low);
            term(&mut sql, " AND sk <= ?", high);
        }
    }
    if let Some(after) = &query.after {
        term(&mut sql, if query.forward { " AND sk > ?" } else { " AND sk < ?" }, after);
    }
    sql.push_str(&format!(
        " ORDER BY sk {} LIMIT {}",
        if query.forward { "ASC" } else { "DESC" },
        i64::from(query.limit) + 1
    ));
    (sql, values)
}

/// The least string above every string that starts with `prefix` (SQLite compares text as
/// UTF-8 bytes, in code point order): the prefix with its last character raised by one, the
/// characters that cannot be raised dropped first. `None` when none can be.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use svet_domain::SystemClock;

    #[tokio::test]
    async fn a_without_rowid_table_of_the_first_schema_is_rewritten_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svet.db");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE items (pk TEXT NOT NULL, sk TEXT NOT NULL, data TEXT NOT NULL,
                     expires_at INTEGER, version INTEGER NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID;
                 CREATE INDEX items_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
                 INSERT INTO items VALUES ('ACCOUNT#1', 'BILL#2026-10', '{\"total\":1}', NULL, 3);
                 INSERT INTO items VALUES ('ACCOUNT#1', 'SESSION#a', '{}', 1, 1);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path, Arc::new(SystemClock)).unwrap();
        let item = store.get(&Key::new("ACCOUNT#1", "BILL#2026-10")).await.unwrap().expect("the row moved");
        assert_eq!((item.data["total"].as_i64(), item.version), (Some(1), 3));
        // Expired long ago: still there, still ignored, and swept by the rebuilt index.
        assert!(store.get(&Key::new("ACCOUNT#1", "SESSION#a")).await.unwrap().is_none());
        assert_eq!(store.sweep_expired().await.unwrap(), 1);
        let conn = Connection::open(&path).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT sql FROM sqlite_master WHERE name LIKE 'items%' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tables.len(), 2, "{tables:?}");
        assert!(tables.iter().all(|sql| !sql.contains("WITHOUT ROWID")), "{tables:?}");
        // Opening again changes nothing.
        drop(store);
        SqliteStore::open(&path, Arc::new(SystemClock)).unwrap();
    }

    #[test]
    fn a_prefix_ends_where_no_key_with_it_can_be() {
        assert_eq!(prefix_end("BILL#").as_deref(), Some("BILL$"));
        assert_eq!(prefix_end("ПЛАТЁЖ").as_deref(), Some("ПЛАТЁЗ"));
        // U+D7FF is followed by U+E000: surrogates are not characters.
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
        for (prefix, key) in [
            ("BILL#", "BILL#2026-10"),
            ("BILL#", "BILL#\u{10FFFF}x"),
            ("a\u{10FFFF}", "a\u{10FFFF}\u{10FFFF}"),
        ] {
            let end = prefix_end(prefix).unwrap();
            assert!(prefix <= key && key < end.as_str(), "{key:?} in [{prefix:?}, {end:?})");
        }
        for key in ["BILL$", "BILL", "BILM", "BILL$#"] {
            assert!(!(key >= "BILL#" && key < prefix_end("BILL#").unwrap().as_str()), "{key:?}");
        }
    }

    /// Every query shape is prepared once per connection and then only bound: SQLite
    /// re-prepares a statement whose plan used a bound value (a bound LIMIT did), which costs
    /// a parse and a plan per call.
    #[test]
    fn a_query_statement_is_prepared_once() {
        use rusqlite::StatementStatus;
        let dir = tempfile::tempdir().unwrap();
        let conn = connect(&dir.path().join("svet.db")).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        for i in 0..40 {
            let expires = (i % 2 == 0).then_some(2_000 + i);
            conn.execute(
                "INSERT INTO items VALUES (?1, ?2, '{}', ?3, 1)",
                params![format!("P{}", i % 4), format!("S{i:02}"), expires],
            )
            .unwrap();
        }
        let shapes = [
            Query { pk: String::new(), range: SkRange::All, forward: true, limit: 10, after: None },
            Query {
                pk: String::new(),
                range: SkRange::Prefix("S1".into()),
                forward: false,
                limit: 10,
                after: None,
            },
            Query {
                pk: String::new(),
                range: SkRange::Between("S01".into(), "S30".into()),
                forward: true,
                limit: 10,
                after: Some("S05".into()),
            },
        ];
        for shape in shapes {
            let mut last = None;
            for n in 0..10 {
                let query = Query { pk: format!("P{}", n % 4), ..shape.clone() };
                let (sql, values) = query_statement(&query, 1_000 + n);
                let mut stmt = conn.prepare_cached(&sql).unwrap();
                let rows =
                    stmt.query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(0)).unwrap();
                assert!(rows.count() > 0, "{sql}");
                last = Some((sql, stmt.get_status(StatementStatus::RePrepare)));
            }
            let (sql, reprepared) = last.unwrap();
            assert_eq!(reprepared, 0, "prepared again on calls with new values: {sql}");
        }
    }
}

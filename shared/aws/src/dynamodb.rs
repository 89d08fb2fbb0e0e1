//! The storage port on one DynamoDB table: `PK` and `SK` strings, the item's attributes in a
//! map `data`, the version in `v` and the TTL attribute `expiresAt` (docs/data-model.md).
//! Reads are strongly consistent and ignore expired items, which DynamoDB deletes lazily.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, PutRequest, TransactWriteItem,
    WriteRequest,
};
use serde_json::{Map, Number, Value};
use svet_domain::Clock;
use svet_domain::store::{self, Condition, Item, Key, Page, Query, Scan, SkRange, Store, StoreError, Write};

/// BatchGetItem and BatchWriteItem limits.
const BATCH_GET: usize = 100;
const BATCH_WRITE: usize = 25;
/// How often unprocessed batch items are retried before the store counts as unavailable.
const BATCH_ATTEMPTS: u32 = 8;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        DynamoStore { client, table: table.into(), clock }
    }

    fn now(&self) -> i64 {
        self.clock.now().as_second()
    }
}

fn key_attrs(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(key.pk.clone())),
        ("SK".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn item_attrs(item: &Item) -> HashMap<String, AttributeValue> {
    let mut attrs = key_attrs(&item.key);
    attrs.insert("data".into(), AttributeValue::M(to_map(&item.data)));
    attrs.insert("v".into(), AttributeValue::N(item.version.to_string()));
    if let Some(t) = item.expires_at {
        attrs.insert("expiresAt".into(), AttributeValue::N(t.to_string()));
    }
    attrs
}

fn from_attrs(mut attrs: HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    let mut string = |name: &str| match attrs.remove(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        _ => Err(StoreError::Corrupt(format!("an item has no string {name}"))),
    };
    let key = Key::new(string("PK")?, string("SK")?);
    let number = |v: Option<&AttributeValue>| match v {
        Some(AttributeValue::N(n)) => n.parse::<i64>().ok(),
        _ => None,
    };
    let version = number(attrs.get("v")).unwrap_or(1).try_into().unwrap_or(1);
    let expires_at = number(attrs.get("expiresAt"));
    let data = match attrs.remove("data") {
        Some(AttributeValue::M(m)) => from_map(m)?,
        _ => return Err(StoreError::Corrupt(format!("item {}/{} has no data map", key.pk, key.sk))),
    };
    Ok(Item { key, data, expires_at, version })
}

fn to_map(map: &Map<String, Value>) -> HashMap<String, AttributeValue> {
    map.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect()
}

fn to_attr(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(a) => AttributeValue::L(a.iter().map(to_attr).collect()),
        Value::Object(o) => AttributeValue::M(to_map(o)),
    }
}

fn from_map(map: HashMap<String, AttributeValue>) -> Result<Map<String, Value>, StoreError> {
    map.into_iter().map(|(k, v)| Ok((k, from_attr(v)?))).collect()
}

fn from_attr(attr: AttributeValue) -> Result<Value, StoreError> {
    Ok(match attr {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::S(s) => Value::String(s),
        AttributeValue::N(n) => Value::Number(parse_number(&n)?),
        AttributeValue::L(l) => Value::Array(l.into_iter().map(from_attr).collect::<Result<_, _>>()?),
        AttributeValue::M(m) => Value::Object(from_map(m)?),
        other => return Err(StoreError::Corrupt(format!("unsupported attribute type {other:?}"))),
    })
}

fn parse_number(n: &str) -> Result<Number, StoreError> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    serde_json::from_str::<Number>(n).map_err(|_| StoreError::Corrupt(format!("bad number {n:?}")))
}

/// A condition as a DynamoDB expression, with its names and values. Expired items count as
/// absent, as in the embedded store.
struct Expr {
    text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

fn condition_expr(condition: Condition, now: i64) -> Option<Expr> {
    let live = "(attribute_not_exists(#e) OR #e > :now)";
    let text = match condition {
        Condition::None => return None,
        Condition::Absent => "attribute_not_exists(#pk) OR #e <= :now".to_owned(),
        Condition::Present => format!("attribute_exists(#pk) AND {live}"),
        Condition::VersionIs(_) => format!("#v = :v AND {live}"),
    };
    let mut names = HashMap::from([("#e".to_owned(), "expiresAt".to_owned())]);
    let mut values = HashMap::from([(":now".to_owned(), AttributeValue::N(now.to_string()))]);
    match condition {
        Condition::VersionIs(v) => {
            names.insert("#v".into(), "v".into());
            values.insert(":v".into(), AttributeValue::N(v.to_string()));
        }
        _ => {
            names.insert("#pk".into(), "PK".into());
        }
    }
    Some(Expr { text, names, values })
}

/// Maps an SDK failure: unreachable or throttled means unavailable; a refused request invalid.
fn sdk_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if let SdkError::ServiceError(service) = &e {
        let code = service.err().code().unwrap_or_default();
        if code == "ValidationException" {
            let message = service.err().message().unwrap_or_default().to_owned();
            return StoreError::Invalid(message);
        }
        if code == "TransactionConflictException" {
            return StoreError::Conflict;
        }
    }
    StoreError::unavailable(e)
}

type ExprParts = (Option<String>, Option<HashMap<String, String>>, Option<HashMap<String, AttributeValue>>);

/// An optional condition as the SDK builders' optional fields.
fn expression_parts(expr: Option<Expr>) -> ExprParts {
    match expr {
        Some(e) => (Some(e.text), Some(e.names), Some(e.values)),
        None => (None, None, None),
    }
}

/// A failed PutItem/DeleteItem: a condition that did not hold, or what [`sdk_error`] says.
fn single_write_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &e {
        SdkError::ServiceError(s) if s.err().code() == Some("ConditionalCheckFailedException") => {
            StoreError::ConditionFailed { index: 0 }
        }
        _ => sdk_error(e),
    }
}

fn transact_item(write: &Write, table: &str, now: i64) -> Result<TransactWriteItem, StoreError> {
    let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
    let (text, names, values) = expression_parts(condition_expr(write.condition(), now));
    Ok(match write {
        Write::Put { item, .. } => TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item_attrs(item)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build)?,
            )
            .build(),
        Write::Delete { key, .. } => TransactWriteItem::builder()
            .delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(key)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build)?,
            )
            .build(),
        Write::Check { key, .. } => {
            // DynamoDB needs an expression for a check; a check of nothing always holds.
            let (text, names) = match (text, names) {
                (Some(t), n) => (t, n),
                (None, _) => (
                    "attribute_exists(#pk) OR attribute_not_exists(#pk)".to_owned(),
                    Some(HashMap::from([("#pk".to_owned(), "PK".to_owned())])),
                ),
            };
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(table)
                        .set_key(Some(key_attrs(key)))
                        .condition_expression(text)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(build)?,
                )
                .build()
        }
    })
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        store::check_key(key)?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let now = self.clock.now();
        match out.item {
            Some(attrs) => Ok(Some(from_attrs(attrs)?).filter(|i| !i.is_expired(now))),
            None => Ok(None),
        }
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.len() > store::MAX_PAGE as usize {
            return Err(StoreError::Invalid(format!("at most {} keys at once", store::MAX_PAGE)));
        }
        let mut unique: Vec<&Key> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let mut found = Vec::with_capacity(keys.len());
        for chunk in unique.chunks(BATCH_GET) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(|k| key_attrs(k)).collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            );
            let mut attempt = 0;
            while let Some(request) = pending.take() {
                attempt += 1;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                for attrs in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    found.push(from_attrs(attrs)?);
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
                if pending.is_some() {
                    backoff(attempt).await?;
                }
            }
        }
        let now = self.clock.now();
        found.retain(|i| !i.is_expired(now));
        Ok(found)
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        store::check_transaction(&writes)?;
        let now = self.now();
        // One put or delete needs no transaction, which would cost twice the write units.
        if let [single @ (Write::Put { .. } | Write::Delete { .. })] = writes.as_slice() {
            return self.write_one(single, now).await;
        }
        let items =
            writes.iter().map(|w| transact_item(w, &self.table, now)).collect::<Result<Vec<_>, _>>()?;
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                let reasons = match e.into_err() {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                        c.cancellation_reasons.unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or("None")).collect();
                if let Some(index) = codes.iter().position(|c| *c == "ConditionalCheckFailed") {
                    Err(StoreError::ConditionFailed { index })
                } else if codes.contains(&"TransactionConflict") {
                    Err(StoreError::Conflict)
                } else {
                    Err(StoreError::unavailable(anyhow::anyhow!("transaction cancelled: {codes:?}")))
                }
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        for item in &items {
            store::check_key(&item.key)?;
        }
        let batches = items.chunks(BATCH_WRITE).map(|chunk| {
            let requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item_attrs(item))).build();
                    put.map(|p| WriteRequest::builder().put_request(p).build())
                })
                .collect::<Result<_, _>>()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            Ok::<_, StoreError>(self.write_batch(requests))
        });
        let futures = batches.collect::<Result<Vec<_>, _>>()?;
        // A few batches in flight at once: enough to fill a Lambda's network, gentle on moto.
        use futures::StreamExt;
        let mut stream = futures::stream::iter(futures).buffer_unordered(4);
        while let Some(result) = stream.next().await {
            result?;
        }
        Ok(())
    }

    async fn scan(&self, scan: &Scan) -> Result<Page, StoreError> {
        store::check_scan(scan)?;
        let mut names =
            HashMap::from([("#pk".to_owned(), "PK".to_owned()), ("#e".to_owned(), "expiresAt".to_owned())]);
        let mut values = HashMap::from([
            (":p".to_owned(), AttributeValue::S(scan.pk_prefix.clone())),
            (":now".to_owned(), AttributeValue::N(self.now().to_string())),
        ]);
        let mut filter = "begins_with(#pk, :p) AND (attribute_not_exists(#e) OR #e > :now)".to_owned();
        if let Some(sk) = &scan.sk {
            filter.push_str(" AND #sk = :sk");
            names.insert("#sk".into(), "SK".into());
            values.insert(":sk".into(), AttributeValue::S(sk.clone()));
        }
        let mut start =
            scan.after.as_deref().map(store::parse_scan_cursor).transpose()?.map(|k| key_attrs(&k));
        let mut items = Vec::new();
        // The filter runs after Limit, so keep reading until the page is full or the segment ends.
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .segment(i32::try_from(scan.segment).unwrap_or(0))
                .total_segments(i32::try_from(scan.segments).unwrap_or(1))
                .filter_expression(&filter)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .limit(i32::try_from(scan.limit as usize - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for attrs in out.items.unwrap_or_default() {
                items.push(from_attrs(attrs)?);
            }
            let last = out.last_evaluated_key.and_then(|mut k| match (k.remove("PK"), k.remove("SK")) {
                (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Some(Key::new(pk, sk)),
                _ => None,
            });
            match last {
                Some(key) if items.len() < scan.limit as usize => start = Some(key_attrs(&key)),
                next => return Ok(Page { items, next: next.map(|k| store::scan_cursor(&k)) }),
            }
        }
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        store::check_query(query)?;
        let now = self.now();
        let mut names =
            HashMap::from([("#pk".to_owned(), "PK".to_owned()), ("#e".to_owned(), "expiresAt".to_owned())]);
        let mut values = HashMap::from([
            (":pk".to_owned(), AttributeValue::S(query.pk.clone())),
            (":now".to_owned(), AttributeValue::N(now.to_string())),
        ]);
        let mut key_condition = "#pk = :pk".to_owned();
        match &query.range {
            SkRange::All => {}
            SkRange::Prefix(p) => {
                key_condition.push_str(" AND begins_with(#sk, :p)");
                names.insert("#sk".into(), "SK".into());
                values.insert(":p".into(), AttributeValue::S(p.clone()));
            }
            SkRange::Between(a, b) => {
                key_condition.push_str(" AND #sk BETWEEN :a AND :b");
                names.insert("#sk".into(), "SK".into());
                values.insert(":a".into(), AttributeValue::S(a.clone()));
                values.insert(":b".into(), AttributeValue::S(b.clone()));
            }
        }
        let mut items = Vec::new();
        let mut start = query.after.as_ref().map(|sk| key_attrs(&Key::new(query.pk.clone(), sk.clone())));
        // The expiry filter runs after Limit, so keep asking until the page is full.
        loop {
            let remaining = query.limit as usize - items.len();
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&key_condition)
                .filter_expression("attribute_not_exists(#e) OR #e > :now")
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(query.forward)
                .consistent_read(true)
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for attrs in out.items.unwrap_or_default() {
                items.push(from_attrs(attrs)?);
            }
            let last = out.last_evaluated_key.and_then(|mut k| match k.remove("SK") {
                Some(AttributeValue::S(sk)) => Some(sk),
                _ => None,
            });
            match last {
                Some(sk) if items.len() < query.limit as usize => {
                    start = Some(key_attrs(&Key::new(query.pk.clone(), sk)));
                }
                next => return Ok(Page { items, next }),
            }
        }
    }
}

impl DynamoStore {
    /// A single conditional PutItem or DeleteItem.
    async fn write_one(&self, write: &Write, now: i64) -> Result<(), StoreError> {
        let (text, names, values) = expression_parts(condition_expr(write.condition(), now));
        match write {
            Write::Put { item, .. } => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item_attrs(item)))
                .set_condition_expression(text)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send()
                .await
                .map(drop)
                .map_err(single_write_error),
            Write::Delete { key, .. } => self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_attrs(key)))
                .set_condition_expression(text)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send()
                .await
                .map(drop)
                .map_err(single_write_error),
            Write::Check { .. } => Err(StoreError::Invalid("a lone check goes through a transaction".into())),
        }
    }

    async fn write_batch(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        let mut pending = requests;
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(sdk_error)?;
            pending = out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
            if !pending.is_empty() {
                backoff(attempt).await?;
            }
        }
        Ok(())
    }
}

/// Waits before retrying unprocessed batch items: 50 ms, doubling, capped; gives up after
/// [`BATCH_ATTEMPTS`].
async fn backoff(attempt: u32) -> Result<(), StoreError> {
    if attempt >= BATCH_ATTEMPTS {
        return Err(StoreError::unavailable(anyhow::anyhow!(
            "DynamoDB left batch items unprocessed {attempt} times"
        )));
    }
    let millis = 50u64 << attempt.min(6);
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(())
}

//! Test harness: the embedded adapters in a temporary folder, the AWS adapters against moto
//! with a fresh table or bucket per test (tests run in parallel), a fixed clock, and a store
//! wrapper that injects faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use jiff::Timestamp;
use svet_aws::aws_config::{self, BehaviorVersion, Region};
use svet_aws::dynamodb_client as ddb;
use svet_domain::store::{Item, Key, Page, Query, Scan, Store, StoreError, Write};
use svet_domain::{Config, FixedClock, SequentialIds};

/// The moto server the test command started. Missing is a failure, never a skip.
pub fn moto_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: the AWS adapter tests need moto's server. \
             Run them through ./scripts/test, which installs and starts it."
        ),
    }
}

/// SDK configuration for moto, whatever the environment holds.
pub async fn sdk() -> aws_config::SdkConfig {
    sdk_at(moto_endpoint()).await
}

/// SDK configuration for an endpoint of a test's own (a proxy in front of moto, a closed
/// port), with the functions' HTTP client.
pub async fn sdk_at(endpoint: impl Into<String>) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(svet_aws::http_client())
        .region(Region::new("eu-central-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "static",
        ))
        .load()
        .await
}

pub fn unique(prefix: &str) -> String {
    use svet_domain::IdGen;
    format!("{prefix}-{}", &svet_domain::RandomIds.new_id()[..12])
}

/// 15 February 2026, 10:00 UTC: the clock every test starts from.
pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at("2026-02-15T10:00:00Z".parse::<Timestamp>().unwrap()))
}

pub fn config() -> Config {
    Config::parse(svet_domain::config::DEFAULT_TOML).unwrap()
}

/// A store under test with its clock; keeps its temporary folder alive.
pub struct Harness {
    pub store: Arc<dyn Store>,
    pub clock: Arc<FixedClock>,
    pub ids: Arc<SequentialIds>,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    pub async fn sqlite() -> Self {
        let clock = clock();
        let dir = tempfile::tempdir().unwrap();
        let store = svet_embedded::SqliteStore::open(dir.path().join("svet.db"), clock.clone()).unwrap();
        Harness { store: Arc::new(store), clock, ids: Arc::default(), backend: "sqlite", _dir: Some(dir) }
    }

    pub async fn dynamodb() -> Self {
        let clock = clock();
        let client = ddb::Client::new(&sdk().await);
        let table = create_table(&client).await;
        let store = svet_aws::DynamoStore::new(client, table, clock.clone());
        Harness { store: Arc::new(store), clock, ids: Arc::default(), backend: "dynamodb", _dir: None }
    }
}

/// Creates a table with the key schema and TTL attribute that template.yaml declares.
pub async fn create_table(client: &ddb::Client) -> String {
    use ddb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let table = unique("svet-test");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("SK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(KeySchemaElement::builder().attribute_name("PK").key_type(KeyType::Hash).build().unwrap())
        .key_schema(
            KeySchemaElement::builder().attribute_name("SK").key_type(KeyType::Range).build().unwrap(),
        )
        .send()
        .await
        .expect("moto creates the table");
    client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name("expiresAt").enabled(true).build().unwrap(),
        )
        .send()
        .await
        .expect("moto enables TTL");
    table
}

/// A bucket in moto, private like the template's.
pub async fn create_bucket(client: &svet_aws::s3_client::Client) -> String {
    use svet_aws::s3_client::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let bucket = unique("svet-test");
    client
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .expect("moto creates the bucket");
    bucket
}

/// Wraps a real store and fails on purpose: every call when `down`, or `put_many` after a
/// number of successful calls (a crash in the middle of an import).
pub struct FaultyStore {
    pub inner: Arc<dyn Store>,
    pub down: bool,
    pub put_many_left: AtomicUsize,
}

impl FaultyStore {
    pub fn down(inner: Arc<dyn Store>) -> Self {
        FaultyStore { inner, down: true, put_many_left: AtomicUsize::new(usize::MAX) }
    }

    pub fn crash_after_put_many(inner: Arc<dyn Store>, calls: usize) -> Self {
        FaultyStore { inner, down: false, put_many_left: AtomicUsize::new(calls) }
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.down {
            return Err(StoreError::unavailable(anyhow::anyhow!("injected: the store is down")));
        }
        Ok(())
    }
}

#[async_trait]
impl Store for FaultyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.check()?;
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.check()?;
        self.inner.get_many(keys).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.transact(writes).await
    }
    async fn put_many(&self, items: Vec<Item>) -> Result<(), StoreError> {
        self.check()?;
        let left = self.put_many_left.load(Ordering::SeqCst);
        if left == 0 {
            return Err(StoreError::unavailable(anyhow::anyhow!("injected: crash during put_many")));
        }
        self.put_many_left.store(left - 1, Ordering::SeqCst);
        self.inner.put_many(items).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.check()?;
        self.inner.query(query).await
    }
    async fn scan(&self, scan: &Scan) -> Result<Page, StoreError> {
        self.check()?;
        self.inner.scan(scan).await
    }
}

/// Declares each listed `async fn(&Harness)` as a test on both stores.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name(&crate::helpers::Harness::sqlite().await).await; } )*
        }
        mod dynamodb {
            $( #[tokio::test] async fn $name() { super::$name(&crate::helpers::Harness::dynamodb().await).await; } )*
        }
    };
}
pub(crate) use on_both_stores;

/// moto's whole state (`/moto-api/data.json`), where SES keeps the messages it was sent. moto
/// sometimes answers 500 while another test writes to its DynamoDB at the same moment (it
/// serialises every service at once); a few retries ride that out, and a lasting failure
/// still fails the test.
pub async fn moto_data() -> serde_json::Value {
    let url = format!("{}/moto-api/data.json", moto_endpoint());
    let mut last = String::new();
    for attempt in 0..8u64 {
        match reqwest::get(&url).await {
            Ok(r) if r.status().is_success() => return r.json().await.expect("moto's data.json is JSON"),
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100 * (attempt + 1))).await;
    }
    panic!("moto's {url} kept failing: {last}");
}

/// A fresh Ed25519 pair for the sessions, as an engineer makes it (docs/deploy.md, step 3): the
/// private key's PKCS#8 PEM and the public key in unpadded base64url.
pub fn session_pair() -> (String, String) {
    use base64::Engine;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    let mut seed = [0u8; 32];
    let tag = unique("pair");
    for (i, byte) in tag.bytes().enumerate() {
        seed[i % 32] ^= byte.rotate_left(i as u32);
    }
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    let pem = signing.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
    (pem, public)
}

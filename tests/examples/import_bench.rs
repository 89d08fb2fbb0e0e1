//! Registry import throughput on a chosen store, for scripts/bench-import:
//! `import_bench sqlite FILE` or `import_bench dynamodb FILE` (DynamoDB at AWS_ENDPOINT_URL,
//! i.e. moto). Prints one line: rows, seconds, rows per second.

use std::io::BufReader;
use std::sync::Arc;
use std::time::Instant;

use svet_aws::dynamodb_client as ddb;
use svet_domain::registry::{self, ImportOptions, Quiet};
use svet_domain::{Config, RandomIds, Store, SystemClock};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [backend, path] = args.as_slice() else {
        anyhow::bail!("usage: import_bench sqlite|dynamodb FILE");
    };
    let clock = Arc::new(SystemClock);
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = match backend.as_str() {
        "sqlite" => Arc::new(svet_embedded::SqliteStore::open(dir.path().join("svet.db"), clock.clone())?),
        "dynamodb" => {
            let sdk = svet_aws::sdk_config().await;
            let client = ddb::Client::new(&sdk);
            let table = format!("svet-bench-{}", std::process::id());
            client
                .create_table()
                .table_name(&table)
                .billing_mode(ddb::types::BillingMode::PayPerRequest)
                .attribute_definitions(
                    ddb::types::AttributeDefinition::builder()
                        .attribute_name("PK")
                        .attribute_type(ddb::types::ScalarAttributeType::S)
                        .build()?,
                )
                .attribute_definitions(
                    ddb::types::AttributeDefinition::builder()
                        .attribute_name("SK")
                        .attribute_type(ddb::types::ScalarAttributeType::S)
                        .build()?,
                )
                .key_schema(
                    ddb::types::KeySchemaElement::builder()
                        .attribute_name("PK")
                        .key_type(ddb::types::KeyType::Hash)
                        .build()?,
                )
                .key_schema(
                    ddb::types::KeySchemaElement::builder()
                        .attribute_name("SK")
                        .key_type(ddb::types::KeyType::Range)
                        .build()?,
                )
                .send()
                .await?;
            Arc::new(svet_aws::DynamoStore::new(client, table, clock.clone()))
        }
        other => anyhow::bail!("unknown backend {other}"),
    };
    let config = Config::from_env()?;
    let size = std::fs::metadata(path)?.len();
    for run in ["first import", "re-import (unchanged)"] {
        let started = Instant::now();
        let summary = registry::import(
            store.as_ref(),
            &config,
            clock.as_ref(),
            &RandomIds,
            || std::fs::File::open(path).map(|f| BufReader::with_capacity(1 << 16, f)),
            path,
            size,
            &ImportOptions::default(),
            &Quiet,
            &mut |_| {},
        )
        .await?;
        let millis = started.elapsed().as_millis().max(1);
        println!(
            "{backend} {run}: {} rows (imported {}, unchanged {}, refused {}) in {}.{:03} s = {} rows/s",
            summary.rows,
            summary.imported,
            summary.unchanged,
            summary.refused,
            millis / 1000,
            millis % 1000,
            u128::from(summary.rows) * 1000 / millis
        );
    }
    Ok(())
}

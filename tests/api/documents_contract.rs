//! The documents contract: the folder and S3 (through moto) store, replace and read documents
//! alike, and hand out links that expire. The local server's serving of folder links over
//! HTTP is covered by the smoke test in infra/local.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use svet_domain::FixedClock;
use svet_domain::documents::{DocKey, Document, Documents};

use crate::helpers::{clock, create_bucket, sdk};

fn pdf(bytes: &[u8]) -> Document {
    Document { bytes: bytes.to_vec(), content_type: "application/pdf".into() }
}

async fn stores_replaces_and_reads(docs: &dyn Documents) {
    let key = DocKey::parse("bills/2026-01/180211111.pdf").unwrap();
    assert!(docs.get(&key).await.unwrap().is_none());
    docs.put(&key, pdf(b"%PDF-1.7 first")).await.unwrap();
    docs.put(&key, pdf(b"%PDF-1.7 second")).await.unwrap();
    assert_eq!(docs.get(&key).await.unwrap(), Some(pdf(b"%PDF-1.7 second")));
    let png = Document { bytes: vec![0x89, b'P', b'N', b'G', 0, 255], content_type: "image/png".into() };
    let png_key = DocKey::parse("bills/2026-01/180211111.png").unwrap();
    docs.put(&png_key, png.clone()).await.unwrap();
    assert_eq!(docs.get(&png_key).await.unwrap(), Some(png), "binary bytes and type survive");
}

#[tokio::test]
async fn folder_documents() {
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<FixedClock> = clock();
    let docs =
        svet_embedded::FolderDocuments::open(dir.path(), "http://127.0.0.1:8080", clock.clone()).unwrap();
    stores_replaces_and_reads(&docs).await;

    let key = DocKey::parse("bills/2026-01/180211111.pdf").unwrap();
    let link = docs.link(&key, Duration::from_secs(300)).await.unwrap();
    assert!(link.starts_with("http://127.0.0.1:8080/files/bills/2026-01/180211111.pdf?"), "{link}");
    let query: HashMap<String, String> = link
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let expires: i64 = query["expires"].parse().unwrap();
    assert!(docs.verify_link(&key, expires, &query["sig"]));
    let other = DocKey::parse("bills/2026-01/180211112.pdf").unwrap();
    assert!(!docs.verify_link(&other, expires, &query["sig"]), "a link opens only its own document");
    assert!(!docs.verify_link(&key, expires + 3600, &query["sig"]), "the expiry cannot be stretched");
    assert!(!docs.verify_link(&key, expires, "00"), "a forged signature fails");
    clock.advance(SignedDuration::from_secs(300));
    assert!(!docs.verify_link(&key, expires, &query["sig"]), "the link expires");

    let reopened =
        svet_embedded::FolderDocuments::open(dir.path(), "http://127.0.0.1:8080", clock.clone()).unwrap();
    let link = reopened.link(&key, Duration::from_secs(60)).await.unwrap();
    let sig = link.rsplit_once("sig=").unwrap().1;
    let exp: i64 = link.split("expires=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    assert!(docs.verify_link(&key, exp, sig), "the signing key survives a restart");
}

#[tokio::test]
async fn s3_documents() {
    let sdk = sdk().await;
    let client = svet_aws::S3Documents::client(&sdk);
    let bucket = create_bucket(&client).await;
    let docs = svet_aws::S3Documents::new(client, &bucket);
    stores_replaces_and_reads(&docs).await;

    let key = DocKey::parse("bills/2026-01/180211111.pdf").unwrap();
    let link = docs.link(&key, Duration::from_secs(300)).await.unwrap();
    assert!(link.contains("X-Amz-Expires=300"), "{link}");
    assert!(link.contains("X-Amz-Signature="), "{link}");
    assert!(link.contains(&format!("/{bucket}/bills/2026-01/180211111.pdf")), "path-style: {link}");
    // moto does not check presigned signatures (../shared/tooling.md), so this proves the
    // link's shape and routing, not the signing.
    let response = reqwest::get(&link).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"%PDF-1.7 second");
    let unsigned = reqwest::get(link.split('?').next().unwrap()).await.unwrap();
    assert_eq!(unsigned.status(), 403, "the bucket is private");
}

//! The registry import on AWS: an upload under `imports/` in the bucket triggers it. The file
//! is streamed to the function's temporary disk (it is read twice), imported by the same use
//! case as the local `svet import-registry`, and a report for the operators is written to
//! `import-reports/` in the bucket. Logs carry counts only, never rows (personal data).

use std::io::{BufReader, Write};

use aws_lambda_events::event::s3::S3Event;
use lambda_runtime::LambdaEvent;
use svet_api::App;
use svet_api::metrics::{self, Metric};
use svet_domain::documents::{DocKey, Document};
use svet_domain::registry::{self, ImportOptions, Quiet, RowIssue};

/// Only so many refused rows are listed in a report; the count is always exact.
const REPORT_LIMIT: usize = 10_000;

pub async fn handle(app: &App, event: LambdaEvent<S3Event>) -> Result<(), lambda_runtime::Error> {
    let sdk = svet_aws::sdk_config().await;
    let s3 = svet_aws::S3Documents::client(&sdk);
    for record in event.payload.records {
        let (Some(bucket), Some(raw_key)) = (record.s3.bucket.name, record.s3.object.key) else {
            tracing::warn!("an S3 record without a bucket or key; skipped");
            continue;
        };
        let key = decode_event_key(&raw_key);
        let path = std::env::temp_dir().join("registry-import.csv");
        let bytes = download(&s3, &bucket, &key, &path).await?;
        let mut issues: Vec<RowIssue> = Vec::new();
        let result = registry::import(
            app.store.as_ref(),
            &app.config,
            app.clock.as_ref(),
            app.ids.as_ref(),
            || std::fs::File::open(&path).map(BufReader::new),
            &key,
            bytes,
            &ImportOptions::default(),
            &Quiet,
            &mut |issue| {
                if issues.len() < REPORT_LIMIT {
                    issues.push(issue.clone());
                }
            },
        )
        .await;
        let _ = std::fs::remove_file(&path);
        let report = match &result {
            Ok(summary) => {
                tracing::info!(
                    import_id = %summary.import_id, rows = summary.rows, imported = summary.imported,
                    updated = summary.updated, unchanged = summary.unchanged, refused = summary.refused,
                    "registry imported"
                );
                metrics::emit(&[
                    (Metric::RegistryRowsImported, summary.imported + summary.updated),
                    (Metric::RegistryRowsRefused, summary.refused),
                ]);
                registry::report_text(summary, &issues)
            }
            Err(e) => {
                // The error may quote a line of the file: scrubbed (counts and positions stay).
                tracing::error!(error = %svet_api::observe::scrub(&e.to_string()), "registry import refused");
                format!("The registry file {key} was refused; nothing was written.\n\n{e}\n")
            }
        };
        let name = format!("import-reports/{}-{}.txt", safe_name(&key), app.ids.new_id());
        let doc = Document { bytes: report.into_bytes(), content_type: "text/plain; charset=utf-8".into() };
        app.documents.put(&DocKey::parse(&name)?, doc).await?;
        if let Err(registry::ImportError::Store(e)) = result {
            // Transient: let Lambda retry the event; the import is idempotent.
            return Err(e.into());
        }
    }
    Ok(())
}

/// S3 event keys are URL-encoded, with `+` for spaces.
fn decode_event_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match raw.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The uploaded file's name reduced to what a document key allows.
fn safe_name(key: &str) -> String {
    let base = key.rsplit('/').next().unwrap_or(key);
    let cleaned: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_matches('.').to_owned();
    if cleaned.is_empty() { "registry".into() } else { cleaned }
}

async fn download(
    s3: &svet_aws::s3_client::Client,
    bucket: &str,
    key: &str,
    path: &std::path::Path,
) -> anyhow::Result<u64> {
    let mut object = s3.get_object().bucket(bucket).key(key).send().await?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut total = 0u64;
    while let Some(chunk) = object.body.try_next().await? {
        total += chunk.len() as u64;
        file.write_all(&chunk)?;
    }
    file.flush()?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_are_decoded_and_names_made_safe() {
        assert_eq!(
            decode_event_key("imports/%D1%80%D0%B5%D0%B5%D1%81%D1%82%D1%80+1.csv"),
            "imports/реестр 1.csv"
        );
        assert_eq!(decode_event_key("imports/a%2"), "imports/a%2");
        assert_eq!(safe_name("imports/реестр 1.csv"), "_______1.csv");
        assert_eq!(safe_name("imports/.."), "registry");
    }
}

//! An SQS queue for the jobs that fan out (the monthly bill run): messages are sent with
//! `SendMessageBatch`, ten at a time (the API's limit), and the entries SQS could not take this
//! time are sent again. There is no embedded counterpart: locally, one process runs every
//! segment itself.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

/// The most entries one `SendMessageBatch` takes.
pub const BATCH: usize = 10;
/// Sends of one entry before giving up. The SDK retries a failed call by itself; these are the
/// entries of a call that succeeded but that SQS did not accept (it reports them one by one).
const ATTEMPTS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The call failed (after the SDK's own retries).
    #[error("SQS is unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// SQS refused an entry as the sender's fault (too large, malformed): sending it again
    /// would not help.
    #[error("SQS refused a message ({code}): {reason}")]
    Refused { code: String, reason: String },
    /// Entries still failing after every attempt.
    #[error("SQS did not accept {count} messages after {ATTEMPTS} attempts (last: {code})")]
    GaveUp { count: usize, code: String },
}

pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        SqsQueue { client, url: url.into() }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends every body as one message, in batches of [`BATCH`]; entries that fail are
    /// retried with a growing pause. On an error some messages may have been sent: the
    /// consumers of this queue are idempotent, so the caller simply sends all of them again.
    pub async fn send_all(&self, bodies: &[String]) -> Result<(), QueueError> {
        for chunk in bodies.chunks(BATCH) {
            self.send_batch(chunk).await?;
        }
        Ok(())
    }

    async fn send_batch(&self, bodies: &[String]) -> Result<(), QueueError> {
        // Entry ids are the positions in this batch; the pending ones are sent again.
        let mut pending: Vec<usize> = (0..bodies.len()).collect();
        let mut last_code = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            let entries = pending
                .iter()
                .map(|&i| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&bodies[i])
                        .build()
                        .map_err(|e| QueueError::Unavailable(e.into()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError::Unavailable(e.into()))?;
            let mut failed = Vec::new();
            for entry in out.failed() {
                if entry.sender_fault() {
                    return Err(QueueError::Refused {
                        code: entry.code().to_owned(),
                        reason: entry.message().unwrap_or_default().to_owned(),
                    });
                }
                let index =
                    entry.id().parse::<usize>().ok().filter(|i| pending.contains(i)).ok_or_else(|| {
                        QueueError::Unavailable(anyhow::anyhow!(
                            "SQS reported an unknown entry id {:?}",
                            entry.id()
                        ))
                    })?;
                last_code = entry.code().to_owned();
                failed.push(index);
            }
            if failed.is_empty() {
                return Ok(());
            }
            tracing::warn!(failed = failed.len(), code = %last_code, attempt, "SQS did not accept some messages; sending them again");
            pending = failed;
        }
        Err(QueueError::GaveUp { count: pending.len(), code: last_code })
    }
}

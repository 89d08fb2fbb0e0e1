//! The monthly bill run on AWS. An EventBridge Scheduler schedule (the 5th, 03:00 company
//! time) invokes the planner, which puts one message per parallel-scan segment of the registry
//! on an SQS queue; each message starts a worker that posts, renders and mails that segment's
//! bills with the same use case as the local `svet generate-bills` ([`Generation::run`]).
//!
//! Every step of that use case is idempotent and recorded, so a message delivered twice, a
//! planner invoked twice or a worker that dies half-way does no harm: the next delivery skips
//! what is done and finishes the rest. A message that keeps failing ends in the dead-letter
//! queue (docs/operations.md).
//!
//! Logs carry periods, segment numbers and counts; a failed account's error names it by its
//! masked number only (never addresses or e-mails).

use std::time::{Duration, SystemTime};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use jiff::Timestamp;
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use svet_api::App;
use svet_api::metrics;
use svet_api::observe::scrub;
use svet_aws::SqsQueue;
use svet_domain::Config;
use svet_domain::billing::{Period, Tariffs};
use svet_domain::bills::Summary;

/// Scan segments per run unless `BILL_SEGMENTS` says otherwise. A region has up to a million
/// accounts: 512 segments is about 2 000 accounts each, which a worker finishes in about five
/// minutes even at 150 ms per account, a third of Lambda's 15-minute limit (docs/operations.md).
pub const DEFAULT_SEGMENTS: u32 = 512;
/// More segments than this would only add messages and scans of nearly empty slices.
pub const MAX_SEGMENTS: u32 = 100_000;
/// A worker stops this long before its deadline, so that it can log and give the message back
/// instead of being killed mid-account.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(30);

/// One message: a segment of the registry to bill for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentJob {
    pub period: Period,
    pub segment: u32,
    pub segments: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("\"period\" must be a month as YYYY-MM, e.g. \"2026-01\": {0}")]
    Period(String),
    #[error("\"{field}\" is not a timestamp: {value:?}")]
    Time { field: &'static str, value: String },
    #[error("BILL_SEGMENTS must be a whole number from 1 to {MAX_SEGMENTS}, not {0:?}")]
    Segments(String),
    #[error(transparent)]
    Queue(#[from] svet_aws::queue::QueueError),
}

/// The scan segments from `BILL_SEGMENTS` (unset or empty: [`DEFAULT_SEGMENTS`]).
pub fn segments_from_env() -> Result<u32, PlanError> {
    match std::env::var("BILL_SEGMENTS") {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_SEGMENTS).contains(n))
            .ok_or(PlanError::Segments(text)),
        _ => Ok(DEFAULT_SEGMENTS),
    }
}

/// The period a planner invocation bills:
/// - `{"period": "2026-01"}` (an operator re-running a month): that month;
/// - otherwise the month before the invocation's date in the company's time zone, the date
///   taken from the schedule's `scheduled_time` (template.yaml passes EventBridge Scheduler's
///   `<aws.scheduler.scheduled-time>`), an EventBridge event's `time`, or else `now`. The
///   scheduled time keeps a retried invocation on the month it was meant for.
pub fn period_for(input: &Value, now: Timestamp, config: &Config) -> Result<Period, PlanError> {
    if let Some(period) = input.get("period").filter(|v| !v.is_null()) {
        let text = period.as_str().ok_or_else(|| PlanError::Period(period.to_string()))?;
        return Period::parse(text).map_err(|e| PlanError::Period(e.to_string()));
    }
    let mut at = now;
    for field in ["scheduled_time", "time"] {
        if let Some(value) = input.get(field).and_then(Value::as_str) {
            at = value.parse().map_err(|_| PlanError::Time { field, value: value.to_owned() })?;
            break;
        }
    }
    let date = at.to_zoned(config.time_zone()).date();
    Period::new(date.year(), date.month()).map(Period::prev).map_err(|e| PlanError::Period(e.to_string()))
}

/// Puts one message per segment on the queue. Sending them all again is harmless.
pub async fn plan(queue: &SqsQueue, period: Period, segments: u32) -> Result<Vec<SegmentJob>, PlanError> {
    let jobs: Vec<SegmentJob> =
        (0..segments).map(|segment| SegmentJob { period, segment, segments }).collect();
    let bodies = jobs
        .iter()
        .map(|job| serde_json::to_string(job).unwrap_or_else(|_| unreachable!("a job is plain JSON")))
        .collect::<Vec<_>>();
    queue.send_all(&bodies).await?;
    Ok(jobs)
}

/// The planner's handler: decides the period and fans out. Returns what it queued, which an
/// operator invoking it by hand sees.
pub async fn handle_plan(
    queue: &SqsQueue,
    config: &Config,
    now: Timestamp,
    segments: u32,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let period = period_for(&event.payload, now, config).inspect_err(|e| {
        tracing::error!(error = %e, "the bill run was not planned: bad input");
    })?;
    plan(queue, period, segments).await.inspect_err(|e| {
        tracing::error!(%period, error = %e, "the bill run was not fully queued; invoke the planner again");
    })?;
    tracing::info!(%period, segments, "bill run queued");
    Ok(serde_json::json!({ "period": period, "segments": segments }))
}

/// The worker's handler: one SQS message (the event source's batch size is 1, but any number
/// is handled), one segment. A message is reported failed, so SQS delivers it again after the
/// visibility timeout, when the run stopped (the store or the document store down), ran out of
/// time, or some mails failed and should be retried; the redelivery resumes where it stopped.
/// Accounts that fail on their own data (a bill that cannot be computed or drawn) are logged and
/// counted, not retried: the same data fails the same way.
pub async fn handle_work(
    app: &App,
    tariffs: &Tariffs,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let deadline = event.context.deadline;
    let mut response = SqsBatchResponse::default();
    for record in event.payload.records {
        let id = record.message_id.clone().unwrap_or_default();
        let job = match parse_job(record.body.as_deref()) {
            Ok(job) => job,
            Err(e) => {
                // Never processed; after maxReceiveCount deliveries it lands in the DLQ.
                tracing::error!(message_id = %id, error = %e, "not a bill segment message");
                response.add_failure(id);
                continue;
            }
        };
        if !work_segment(app, tariffs, job, time_left(deadline)).await {
            response.add_failure(id);
        }
    }
    Ok(response)
}

fn parse_job(body: Option<&str>) -> Result<SegmentJob, String> {
    let job: SegmentJob =
        serde_json::from_str(body.unwrap_or_default()).map_err(|e| format!("unreadable body: {e}"))?;
    if job.segments == 0 || job.segments > MAX_SEGMENTS || job.segment >= job.segments {
        return Err(format!("segment {} of {} does not exist", job.segment, job.segments));
    }
    Ok(job)
}

/// Time to the invocation's deadline less [`DEADLINE_MARGIN`]; no limit when the context has no
/// deadline (a test calling the handler directly).
fn time_left(deadline_ms: u64) -> Option<Duration> {
    if deadline_ms == 0 {
        return None;
    }
    let deadline = SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms);
    let left = deadline.duration_since(SystemTime::now()).unwrap_or_default();
    Some(left.saturating_sub(DEADLINE_MARGIN))
}

/// Runs one segment; true when it is done (nothing for a redelivery to do).
async fn work_segment(app: &App, tariffs: &Tariffs, job: SegmentJob, time: Option<Duration>) -> bool {
    let SegmentJob { period, segment, segments } = job;
    let generation = app.generation(tariffs);
    let mut failed = |e: &svet_domain::bills::GenerateError| tracing::warn!(%period, segment, error = %scrub(&e.to_string()), "an account's bill failed");
    // The counts so far, for the metrics of a segment that stops half-way: its redelivery
    // finds those bills posted and does not count them again.
    let mut so_far = Summary::default();
    let mut progress = |s: &Summary| so_far = s.clone();
    let run = generation.run(period, segment, segments, &mut failed, &mut progress);
    let result = match time {
        Some(time) => match tokio::time::timeout(time, run).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(
                    %period, segment, segments,
                    "the segment did not finish before the function's deadline; its next delivery resumes it"
                );
                metrics::emit(&metrics::bill_run(&so_far));
                return false;
            }
        },
        None => run.await,
    };
    match result {
        Ok(s) => {
            tracing::info!(
                %period, segment, segments, accounts = s.accounts, generated = s.generated,
                existing = s.existing, rendered = s.rendered, mailed = s.mailed,
                mail_failed = s.mail_failed, mail_gave_up = s.mail_gave_up, failed = s.failed,
                "bill segment done"
            );
            metrics::emit(&metrics::bill_run(&s));
            if s.mail_failed > 0 {
                tracing::warn!(%period, segment, mail_failed = s.mail_failed, "some mails failed; the segment is retried for them");
            }
            s.mail_failed == 0
        }
        Err(e) => {
            tracing::error!(%period, segment, segments, error = %scrub(&e.to_string()), "the segment stopped; its next delivery resumes it");
            metrics::emit(&metrics::bill_run(&so_far));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(svet_domain::config::DEFAULT_TOML).unwrap()
    }

    #[test]
    fn the_period_is_last_month_in_the_company_time_zone_unless_named() {
        let now: Timestamp = "2026-02-15T10:00:00Z".parse().unwrap();
        let period = |input: Value| period_for(&input, now, &config()).map(|p| p.to_string());
        assert_eq!(period(serde_json::json!({})).unwrap(), "2026-01");
        assert_eq!(period(serde_json::json!({ "period": "2025-11" })).unwrap(), "2025-11");
        // 03:00 in Moscow on 1 March is still February in UTC.
        assert_eq!(
            period(serde_json::json!({ "scheduled_time": "2026-02-28T21:00:00Z" })).unwrap(),
            "2026-02"
        );
        assert_eq!(period(serde_json::json!({ "time": "2026-03-05T00:00:00Z" })).unwrap(), "2026-02");
        assert!(period(serde_json::json!({ "period": "2026-13" })).is_err());
        assert!(period(serde_json::json!({ "period": 202601 })).is_err());
        assert!(period(serde_json::json!({ "scheduled_time": "yesterday" })).is_err());
    }

    #[test]
    fn jobs_are_checked() {
        let job = parse_job(Some(r#"{"period":"2026-01","segment":3,"segments":4}"#)).unwrap();
        assert_eq!((job.period.to_string(), job.segment, job.segments), ("2026-01".into(), 3, 4));
        for bad in [
            r#"{"period":"2026-01","segment":4,"segments":4}"#,
            r#"{"period":"2026-01","segment":0,"segments":0}"#,
            r#"{"period":"2026-1","segment":0,"segments":1}"#,
            r#"{"period":"2026-01","segment":0,"segments":1,"extra":1}"#,
            "",
        ] {
            assert!(parse_job(Some(bad)).is_err(), "{bad}");
        }
        assert!(parse_job(None).is_err());
    }

    #[test]
    fn a_worker_keeps_a_margin_before_its_deadline() {
        assert_eq!(time_left(0), None);
        let past =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64 - 1000;
        assert_eq!(time_left(past), Some(Duration::ZERO));
        let later = past + 1000 + 120_000;
        let left = time_left(later).unwrap();
        assert!(left <= Duration::from_secs(90) && left > Duration::from_secs(80), "{left:?}");
    }
}

//! Settles payments whose bank notice never came and mails queued receipts. Invoked every 5
//! minutes by a schedule (the event's content is ignored), or by an operator.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    svet_functions::init_logging("reconcile-payments");
    let app = svet_functions::aws_app().await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        let report = svet_api::jobs::reconcile_payments(app).await?;
        let summary = report.as_json();
        if report.has_failures() {
            // Left for the next run; the log line and the metric filter show it.
            tracing::warn!(%summary, "payments reconciled with failures");
        } else {
            tracing::info!(%summary, "payments reconciled");
        }
        Ok::<Value, lambda_runtime::Error>(summary)
    }))
    .await
}

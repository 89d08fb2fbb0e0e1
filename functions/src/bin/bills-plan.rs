//! Plans a month's bill run: one message per registry scan segment on the bill queue. Invoked
//! by the monthly schedule, or by an operator with `{"period": "YYYY-MM"}`.

use svet_domain::{Clock, Config, SystemClock};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    svet_functions::init_logging("bills-plan");
    let config = Config::from_env()?;
    let segments = svet_functions::bills::segments_from_env()?;
    let sdk = svet_aws::sdk_config().await;
    let url =
        std::env::var("BILL_QUEUE_URL").map_err(|_| "the environment variable BILL_QUEUE_URL is not set")?;
    let queue = svet_aws::SqsQueue::new(svet_aws::sqs_client::Client::new(&sdk), url);
    let (queue, config) = (&queue, &config);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        svet_functions::bills::handle_plan(queue, config, SystemClock.now(), segments, event).await
    }))
    .await
}

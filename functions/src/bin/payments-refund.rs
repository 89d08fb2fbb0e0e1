//! Refunds part or all of a paid payment (an operator's `aws lambda invoke`, docs/operations.md).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    svet_functions::init_logging("payments-refund");
    let app = svet_functions::aws_app().await?;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        svet_functions::refund::handle(app, event).await
    }))
    .await
}

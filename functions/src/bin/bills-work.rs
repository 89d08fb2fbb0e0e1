//! Posts, renders and mails the bills of one registry scan segment (an SQS message from the
//! planner).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    svet_functions::init_logging("bills-work");
    let app = svet_functions::aws_app().await?;
    let tariffs = svet_domain::billing::Tariffs::from_env()?;
    let (app, tariffs) = (&app, &tariffs);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        svet_functions::bills::handle_work(app, tariffs, event).await
    }))
    .await
}

//! Imports a customer registry uploaded under `imports/` in the bucket (an S3 event).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    svet_functions::init_logging("registry-import");
    let app = svet_functions::aws_app().await?;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        svet_functions::registry_import::handle(app, event).await
    }))
    .await
}

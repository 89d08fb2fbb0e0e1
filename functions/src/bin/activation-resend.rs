//! `POST /api/activation/resend` on Lambda.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    svet_functions::serve(svet_api::routes::ACTIVATION_RESEND).await
}

//! `GET /api/sberbank/callback` on Lambda.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    svet_functions::serve(svet_api::routes::SBERBANK_CALLBACK).await
}

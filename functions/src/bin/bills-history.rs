//! `GET /api/bills` on Lambda.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    svet_functions::serve(svet_api::routes::BILLS_HISTORY).await
}

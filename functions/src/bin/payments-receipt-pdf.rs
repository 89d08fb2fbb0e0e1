//! `GET /api/payments/receipt.pdf` on Lambda.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    svet_functions::serve(svet_api::routes::PAYMENTS_RECEIPT_PDF).await
}

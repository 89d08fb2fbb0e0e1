//! `POST /api/password/reset` on Lambda.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    svet_functions::serve(svet_api::routes::PASSWORD_RESET).await
}

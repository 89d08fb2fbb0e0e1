//! `POST /api/password/forgot` on Lambda.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    svet_functions::serve(svet_api::routes::PASSWORD_FORGOT).await
}

//! The baseline for the cold-start bench (`scripts/bench-coldstart`, docs/performance.md): the
//! smallest lambda_http service, answering every request with 200 and a short body, built with
//! the same release profile and the same lambda_http features as the real functions.

use std::convert::Infallible;

use lambda_http::{Body, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(|_request: Request| async {
        Ok::<_, Infallible>(Response::new(Body::from("hello")))
    }))
    .await
}

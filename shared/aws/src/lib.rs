//! The AWS adapters: DynamoDB (one table), S3 (a private bucket, presigned links), SES
//! (raw MIME) and SQS (the bill run's fan-out). This is the only crate that depends on the AWS
//! SDK. Clients come from `aws_config`'s defaults with one shared HTTP client ([`http_client`]),
//! so `AWS_ENDPOINT_URL` points them at moto in tests.

mod dynamodb;
mod http;
mod lazy;
pub mod queue;
mod s3;
pub mod secrets;
mod ses;

pub use dynamodb::DynamoStore;
pub use http::http_client;
pub use queue::SqsQueue;
pub use s3::S3Documents;
pub use ses::SesMailer;

/// The SDK crates, for the composition roots and tests.
pub use aws_config;
pub use aws_sdk_dynamodb as dynamodb_client;
pub use aws_sdk_s3 as s3_client;
pub use aws_sdk_sesv2 as sesv2_client;
pub use aws_sdk_sqs as sqs_client;
pub use aws_sdk_ssm as ssm_client;

/// The SDK configuration from the environment (region, credentials, endpoint override), with
/// one HTTP client for all the service clients built from it, set up on its first request.
///
/// On Lambda the region (`AWS_REGION`) and the role's credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) are in the environment, where the SDK's
/// default chains look first: taking them from there directly spares a cold start building
/// the rest of those chains (profile files, web identity, container and instance metadata).
/// Elsewhere (no such variables) the default chains apply.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client());
    if let Some(region) = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()) {
        loader = loader.region(aws_config::Region::new(region));
    }
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY") {
        loader = loader
            .credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new());
    }
    loader.load().await
}

//! The AWS adapters: DynamoDB (one table), S3 (a private bucket, presigned links), SES
//! (raw MIME) and SQS (the bill run's fan-out). This is the only crate that depends on the AWS
//! SDK. Clients come from `aws_config::load_defaults`, so `AWS_ENDPOINT_URL` points them at moto
//! in tests.

mod dynamodb;
pub mod queue;
mod s3;
pub mod secrets;
mod ses;

pub use dynamodb::DynamoStore;
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

/// The SDK configuration from the environment (region, credentials, endpoint override).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

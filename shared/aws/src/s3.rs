//! The documents port on a private S3 bucket: objects encrypted at rest by the bucket's
//! default, read through presigned GET links that expire in minutes.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use svet_domain::documents::{DocKey, Document, DocumentError, Documents};

use crate::lazy::ServiceClient;

#[derive(Clone)]
pub struct S3Documents {
    client: ServiceClient<Client>,
    bucket: String,
}

impl S3Documents {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Documents { client: ServiceClient::Ready(client), bucket: bucket.into() }
    }

    /// The bucket's adapter whose client ([`S3Documents::client`]) is built on its first use,
    /// so that a function that never reads or writes a document does not build it at its cold
    /// start.
    pub fn on_first_use(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        S3Documents {
            client: ServiceClient::on_first_use(config, S3Documents::client),
            bucket: bucket.into(),
        }
    }

    /// An S3 client from the SDK configuration; path-style addressing when an endpoint
    /// override (moto, say) is set, since such endpoints have no per-bucket host names.
    pub fn client(config: &aws_config::SdkConfig) -> Client {
        let path_style = config.endpoint_url().is_some();
        Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(path_style).build())
    }
}

fn unavailable(e: impl Into<anyhow::Error>) -> DocumentError {
    DocumentError::Unavailable(e.into())
}

#[async_trait]
impl Documents for S3Documents {
    async fn put(&self, key: &DocKey, doc: Document) -> Result<(), DocumentError> {
        self.client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(doc.content_type)
            .body(ByteStream::from(doc.bytes))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, key: &DocKey) -> Result<Option<Document>, DocumentError> {
        let out = match self.client.get().get_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(out) => out,
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let content_type = out.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
        let bytes = out.body.collect().await.map_err(unavailable)?.into_bytes().to_vec();
        Ok(Some(Document { bytes, content_type }))
    }

    async fn link(&self, key: &DocKey, valid_for: Duration) -> Result<String, DocumentError> {
        let presigning = PresigningConfig::expires_in(valid_for).map_err(unavailable)?;
        let request = self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .presigned(presigning)
            .await
            .map_err(unavailable)?;
        Ok(request.uri().to_owned())
    }
}

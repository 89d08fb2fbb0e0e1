//! What a Lambda function does with the SDK at its cold start: read its secrets from SSM in one
//! call (against moto's server, which the test command starts), and talk to AWS through the
//! shared HTTP client, which still refuses a server it cannot verify.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_ssm::config::Credentials;
use aws_sdk_ssm::types::ParameterType;
use svet_aws::aws_config::{self, BehaviorVersion, Region, SdkConfig};

/// The moto server the test command started. Missing is a failure, never a skip.
fn moto_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("AWS_ENDPOINT_URL is not set: these tests need moto's server (./scripts/test starts it)"),
    }
}

async fn sdk(endpoint: String) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(svet_aws::http_client())
        .region(Region::new("eu-central-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "static"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

async fn put_secret(sdk: &SdkConfig, name: &str, value: &str) {
    svet_aws::ssm_client::Client::new(sdk)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
}

fn unique(what: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    let run: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("/svet/test-{run}/{what}")
}

#[tokio::test]
async fn secrets_come_in_one_call_in_the_order_asked() {
    let sdk = sdk(moto_endpoint()).await;
    let (key, password, callback) = (unique("session-key"), unique("password"), unique("callback"));
    put_secret(&sdk, &key, &"k".repeat(48)).await;
    put_secret(&sdk, &password, "bank-password").await;
    put_secret(&sdk, &callback, "callback-token").await;

    let values = svet_aws::secrets::ssm_secrets(&sdk, &[&callback, &key, &password]).await.unwrap();
    assert_eq!(values, [b"callback-token".to_vec(), "k".repeat(48).into_bytes(), b"bank-password".to_vec()]);

    // The same parameter named twice (two settings pointing at one parameter) is read once.
    let twice = svet_aws::secrets::ssm_secrets(&sdk, &[&password, &password]).await.unwrap();
    assert_eq!(twice, [b"bank-password".to_vec(), b"bank-password".to_vec()]);

    let one = svet_aws::secrets::ssm_secret(&sdk, &key).await.unwrap();
    assert_eq!(one, "k".repeat(48).into_bytes());
}

#[tokio::test]
async fn an_unknown_parameter_fails_the_read_and_is_named() {
    let sdk = sdk(moto_endpoint()).await;
    let known = unique("known");
    put_secret(&sdk, &known, "value").await;
    let missing = unique("missing");
    let error = svet_aws::secrets::ssm_secrets(&sdk, &[&known, &missing]).await.unwrap_err().to_string();
    assert!(error.contains(&missing), "{error}");
    assert!(!error.contains("value"), "no secret in the error: {error}");
    assert!(svet_aws::secrets::ssm_secrets(&sdk, &[]).await.is_err(), "nothing to read is a mistake");
}

/// A TLS server on loopback whose certificate (for 127.0.0.1) no trusted root signed: the
/// client ends the handshake, so no request (and no signed credential) reaches it.
#[tokio::test]
async fn a_server_with_an_untrusted_certificate_is_refused() {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let cert = CertificateDer::from_pem_slice(include_bytes!("fixtures/self-signed.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("fixtures/self-signed.key")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (connections, handshakes) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (seen, done) = (connections.clone(), handshakes.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            if acceptor.accept(tcp).await.is_ok() {
                done.fetch_add(1, Ordering::SeqCst);
            }
        }
    });

    let sdk = sdk(format!("https://127.0.0.1:{port}")).await;
    let error = svet_aws::secrets::ssm_secrets(&sdk, &["/svet/any"]).await.unwrap_err();
    let chain = format!("{error:?}").to_lowercase();
    assert!(chain.contains("unknownissuer"), "signed by no trusted root: {chain}");
    assert!(connections.load(Ordering::SeqCst) >= 1, "the client did connect");
    assert_eq!(handshakes.load(Ordering::SeqCst), 0, "and refused the handshake");
}

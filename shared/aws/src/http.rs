//! The SDK's HTTP client, shaped for a Lambda cold start (docs/performance.md, «Cold start»).
//!
//! The SDK's default gives every service client an HTTP client of its own and sets it up when
//! the service client is built: it reads the platform's root certificates (on Debian the
//! bundle and the 146 files of /etc/ssl/certs) and parses them into a TLS configuration, once
//! per service client, even in a function that makes no request before its first event.
//! Here every service client built from one SDK configuration shares one HTTP client, which
//! sets up its connector on the first request, and trusts Mozilla's root certificates compiled
//! into the binary (webpki-root-certs): no file is read.
//!
//! The connector is still the SDK's own: hyper, rustls on aws-lc with the SDK's cipher suites
//! and key exchange, its timeouts and its classification of errors for retries. Servers'
//! certificates are verified as before; only where the roots come from changes, so a private
//! CA installed on the host is not trusted (AWS endpoints chain to Amazon's public roots).

use std::borrow::Cow;
use std::sync::OnceLock;

use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// One HTTP client for every service client of an SDK configuration; see the module's notes.
pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(OnFirstRequest::default())
}

/// Builds the SDK's HTTPS client when a connector is first asked for. The SDK asks each
/// client's HTTP client to set up early (`validate_base_client_config`) so that the platform's
/// certificates load at start-up; the default (doing nothing) is kept here on purpose.
#[derive(Debug, Default)]
struct OnFirstRequest {
    client: OnceLock<SharedHttpClient>,
}

impl HttpClient for OnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // The inner client keeps one connector (and its connection pool) per timeout setting.
        self.client.get_or_init(https_client).http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        // What the SDK's client reports (it goes into the user agent), without building it.
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

fn https_client() -> SharedHttpClient {
    let trust = TrustStore::empty().with_pem_certificate(mozilla_roots_pem());
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context with a trust store always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https()
}

/// Mozilla's trusted roots as one PEM text (the SDK's trust store takes PEM).
fn mozilla_roots_pem() -> Vec<u8> {
    let mut pem = Vec::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2_100);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        let base64 = aws_smithy_types::base64::encode(cert.as_ref());
        for line in base64.as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    pem
}

#[cfg(test)]
mod tests {
    use super::mozilla_roots_pem;

    #[test]
    fn the_compiled_in_roots_read_back_as_the_same_certificates() {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let pem = mozilla_roots_pem();
        let read: Vec<CertificateDer<'_>> =
            CertificateDer::pem_slice_iter(&pem).collect::<Result<_, _>>().expect("valid PEM");
        assert!(read.len() > 100, "Mozilla's set has over a hundred roots: {}", read.len());
        assert_eq!(read, webpki_root_certs::TLS_SERVER_ROOT_CERTS);
    }
}

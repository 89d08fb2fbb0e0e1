//! The SDK's HTTP client, shaped for a Lambda cold start (docs/performance.md, «Cold start»).
//!
//! The SDK's default gives every service client an HTTP client of its own and sets it up when
//! the service client is built: it reads the platform's root certificates (on Debian the
//! bundle and the 146 files of /etc/ssl/certs) and parses them into a TLS configuration, once
//! per service client, even in a function that makes no request before its first event.
//! Here every service client built from one SDK configuration shares one HTTP client, which
//! sets up its connector on the first request, and trusts only the five roots of Amazon Trust
//! Services, the CA of every AWS endpoint, picked out of Mozilla's roots (webpki-root-certs) by
//! fingerprint at build time (build.rs) and compiled in as PEM text: no file is read.
//!
//! The connector is still the SDK's own: hyper, rustls on aws-lc with the SDK's cipher suites
//! and key exchange, its timeouts and its classification of errors for retries. Servers'
//! certificates are verified as before; only the roots change. A private CA installed on the
//! host is not trusted, nor any other public CA: none of them can stand in for an AWS endpoint.
//! It is also quicker. The SDK's trust store takes PEM text only, and turning Mozilla's 118
//! roots into PEM and back cost about 0.8 ms of a core on each function's first AWS request
//! (`perf record` of 60 starts of `login`, docs/performance.md, «Cold start»), and picking the
//! five out at run time (hashing all 118, encoding five) still about 0.2 ms; parsing the five
//! from text made at build time costs little.

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
    let trust = TrustStore::empty().with_pem_certificate(AMAZON_ROOTS_PEM);
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context with a trust store always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https()
}

/// Amazon Trust Services' five roots as one PEM text (the SDK's trust store takes PEM),
/// picked out of Mozilla's roots by SHA-256 fingerprint at build time (build.rs,
/// src/amazon_roots.rs).
const AMAZON_ROOTS_PEM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/amazon_roots.pem"));

#[cfg(test)]
mod tests {
    use super::*;

    include!("amazon_roots.rs");

    /// The PEM text the build wrote holds the five pinned roots, in the table's order, each
    /// one of Mozilla's roots (a new webpki-root-certs that dropped or changed one fails the
    /// build, and this test), each with its own name, and nothing else.
    #[test]
    fn the_trust_store_is_amazon_trust_services_five_roots() {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        use sha2::{Digest, Sha256};
        let read: Vec<CertificateDer<'_>> =
            CertificateDer::pem_slice_iter(AMAZON_ROOTS_PEM).collect::<Result<_, _>>().expect("valid PEM");
        assert_eq!(read.len(), AMAZON_TRUST_SERVICES.len(), "five certificates, no more");
        for (der, (name, pinned)) in read.iter().zip(AMAZON_TRUST_SERVICES) {
            assert_eq!(<[u8; 32]>::from(Sha256::digest(der)), pinned, "{name}: the pinned fingerprint");
            assert!(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().any(|root| root.as_ref() == der.as_ref()),
                "{name} is one of Mozilla's roots"
            );
            // A self-signed root names itself as subject and issuer.
            let named = der.windows(name.len()).filter(|w| *w == name.as_bytes()).count();
            assert_eq!(named, 2, "{name}: the certificate with its fingerprint carries its name");
        }
        assert!(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() > 100, "the others are left out");
    }
}

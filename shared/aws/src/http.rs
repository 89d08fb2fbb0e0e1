//! The SDK's HTTP client, shaped for a Lambda cold start (docs/performance.md, «Cold start»).
//!
//! The SDK's default gives every service client an HTTP client of its own and sets it up when
//! the service client is built: it reads the platform's root certificates (on Debian the
//! bundle and the 146 files of /etc/ssl/certs) and parses them into a TLS configuration, once
//! per service client, even in a function that makes no request before its first event.
//! Here every service client built from one SDK configuration shares one HTTP client, which
//! sets up its connector on the first request, and trusts only the five roots of Amazon Trust
//! Services, the CA of every AWS endpoint, taken from Mozilla's roots compiled into the binary
//! (webpki-root-certs): no file is read.
//!
//! The connector is still the SDK's own: hyper, rustls on aws-lc with the SDK's cipher suites
//! and key exchange, its timeouts and its classification of errors for retries. Servers'
//! certificates are verified as before; only the roots change. A private CA installed on the
//! host is not trusted, nor any other public CA: none of them can stand in for an AWS endpoint.
//! It is also quicker. The SDK's trust store takes PEM text only, and turning Mozilla's 118
//! roots into PEM and back cost about 0.8 ms of a core on each function's first AWS request
//! (`perf record` of 60 starts of `login`, docs/performance.md, «Cold start»); five cost
//! little.

use std::borrow::Cow;
use std::sync::OnceLock;

use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use sha2::{Digest, Sha256};

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
    let trust = TrustStore::empty().with_pem_certificate(amazon_roots_pem());
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context with a trust store always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https()
}

/// The roots of Amazon Trust Services by SHA-256 fingerprint, as published at
/// <https://www.amazontrust.com/repository/>. Every AWS endpoint's certificate chains to one
/// of them (Starfield Services G2 cross-signs Amazon Root CA 1–4 for older clients).
const AMAZON_TRUST_SERVICES: [(&str, [u8; 32]); 5] = [
    ("Amazon Root CA 1", hex("8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e")),
    ("Amazon Root CA 2", hex("1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4")),
    ("Amazon Root CA 3", hex("18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4")),
    ("Amazon Root CA 4", hex("e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092")),
    (
        "Starfield Services Root Certificate Authority - G2",
        hex("568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5"),
    ),
];

/// 32 bytes from 64 hex digits, at compile time.
const fn hex(digits: &str) -> [u8; 32] {
    let digits = digits.as_bytes();
    assert!(digits.len() == 64, "a SHA-256 fingerprint is 64 hex digits");
    let mut bytes = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        bytes[i] = nibble(digits[2 * i]) << 4 | nibble(digits[2 * i + 1]);
        i += 1;
    }
    bytes
}

const fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => panic!("a fingerprint is lowercase hex"),
    }
}

/// Amazon Trust Services' roots from Mozilla's compiled-in set.
fn amazon_roots() -> impl Iterator<Item = &'static [u8]> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().map(|cert| cert.as_ref()).filter(|der| {
        let fingerprint: [u8; 32] = Sha256::digest(der).into();
        AMAZON_TRUST_SERVICES.iter().any(|(_, pinned)| *pinned == fingerprint)
    })
}

/// Those roots as one PEM text (the SDK's trust store takes PEM).
fn amazon_roots_pem() -> Vec<u8> {
    let mut pem = Vec::with_capacity(AMAZON_TRUST_SERVICES.len() * 2_100);
    for der in amazon_roots() {
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        let base64 = aws_smithy_types::base64::encode(der);
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
    use super::*;

    /// All five pinned roots are in Mozilla's set (a new webpki-root-certs that dropped or
    /// changed one fails here, not on AWS), and they read back from the PEM as the same
    /// certificates, each with its own name.
    #[test]
    fn the_trust_store_is_amazon_trust_services_five_roots() {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let found: Vec<&[u8]> = amazon_roots().collect();
        assert_eq!(found.len(), AMAZON_TRUST_SERVICES.len(), "each pinned root is in Mozilla's set once");
        let pem = amazon_roots_pem();
        let read: Vec<CertificateDer<'_>> =
            CertificateDer::pem_slice_iter(&pem).collect::<Result<_, _>>().expect("valid PEM");
        assert_eq!(read.iter().map(|c| c.as_ref()).collect::<Vec<_>>(), found);
        for (name, pinned) in AMAZON_TRUST_SERVICES {
            let der = found
                .iter()
                .find(|der| <[u8; 32]>::from(Sha256::digest(der)) == pinned)
                .unwrap_or_else(|| panic!("{name} is in the set"));
            // A self-signed root names itself as subject and issuer.
            let named = der.windows(name.len()).filter(|w| *w == name.as_bytes()).count();
            assert_eq!(named, 2, "{name}: the certificate with its fingerprint carries its name");
        }
        assert!(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() > 100, "the others are left out");
    }
}

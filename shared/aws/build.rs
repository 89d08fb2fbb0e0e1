//! Writes the roots the SDK's HTTP client trusts (src/http.rs) as one PEM text in OUT_DIR:
//! Amazon Trust Services' five roots (src/amazon_roots.rs), picked out of Mozilla's roots
//! (webpki-root-certs) by SHA-256 fingerprint. Done here, a function's first AWS request only
//! parses five certificates: it no longer hashes Mozilla's 118 and encodes five at every cold
//! start (docs/performance.md, «Cold start»). A fingerprint missing from Mozilla's set fails
//! the build.

use base64::Engine;
use sha2::{Digest, Sha256};

include!("src/amazon_roots.rs");

fn main() {
    println!("cargo::rerun-if-changed=src/amazon_roots.rs");
    let mut pem = String::with_capacity(AMAZON_TRUST_SERVICES.len() * 2_100);
    for (name, pinned) in AMAZON_TRUST_SERVICES {
        let found: Vec<&[u8]> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|cert| cert.as_ref())
            .filter(|der| <[u8; 32]>::from(Sha256::digest(der)) == pinned)
            .collect();
        let [der] = found[..] else {
            panic!("{name}: {} certificates with its fingerprint in webpki-root-certs, not one", found.len())
        };
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        for line in text.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(std::path::Path::new(&out).join("amazon_roots.pem"), pem).expect("OUT_DIR is writable");
}

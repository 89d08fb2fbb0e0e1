// The roots of Amazon Trust Services by SHA-256 fingerprint, as published at
// <https://www.amazontrust.com/repository/>. Every AWS endpoint's certificate chains to one of
// them (Starfield Services G2 cross-signs Amazon Root CA 1–4 for older clients).
//
// Included by the build script (build.rs), which picks these certificates out of Mozilla's
// roots and writes them as the PEM text the SDK's HTTP client trusts (src/http.rs), and by
// that module's tests, which check the text against this table.

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

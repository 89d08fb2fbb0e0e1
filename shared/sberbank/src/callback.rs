//! Verifying the gateway's callback notifications (reference §5).
//!
//! The bank calls the merchant's URL with `mdOrder`, `orderNumber`, `operation`, `status`, any
//! extra parameters enabled for the merchant, and `checksum`. The checksum covers every other
//! parameter: sorted by name in byte order, written `name;value;` one after another (with the
//! trailing `;`), then either
//! - HMAC-SHA256 with the secret token from the bank, as hex (the bank sends it uppercase), or
//! - an RSA PKCS#1 v1.5 signature over SHA-512, as hex, checked with the bank's public key.
//!
//! Comparison is constant-time (the `hmac` crate's `verify_slice`) and ignores the case of the
//! hex. A callback without a checksum, or with a parameter given twice, is refused: Svet always
//! runs with a checksum configured.

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, Mac};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::{Sha256, Sha512};
use svet_domain::Kopecks;

use crate::config::Secret;
use crate::order::OrderId;

/// The parameter that carries the checksum; it is not part of the signed text.
pub const CHECKSUM: &str = "checksum";
/// A parameter newer gateway builds add; whether it is signed is not documented, so a callback
/// that carries it is accepted when either reading verifies.
pub const SIGN_ALIAS: &str = "sign_alias";

/// The key callbacks are checked with, from the bank's technical support (the token) or the
/// merchant cabinet (the public key). Never printed.
#[derive(Clone)]
pub enum CallbackKey {
    /// Symmetric mode: the secret token, used as the HMAC key exactly as given (its ASCII bytes).
    Hmac(Secret),
    /// Asymmetric mode: the bank's RSA public key.
    Rsa(Box<RsaPublicKey>),
}

impl fmt::Debug for CallbackKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallbackKey::Hmac(_) => "CallbackKey::Hmac(***)",
            CallbackKey::Rsa(_) => "CallbackKey::Rsa(..)",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackKeyError {
    #[error("the callback token is empty")]
    EmptyToken,
    #[error("the bank's public key is not a PEM SubjectPublicKeyInfo RSA key")]
    BadPublicKey,
}

impl CallbackKey {
    pub fn hmac(token: Secret) -> Result<Self, CallbackKeyError> {
        if token.expose().is_empty() {
            return Err(CallbackKeyError::EmptyToken);
        }
        Ok(CallbackKey::Hmac(token))
    }

    /// The bank's public key as PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn rsa_from_pem(pem: &str) -> Result<Self, CallbackKeyError> {
        let key =
            RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|_| CallbackKeyError::BadPublicKey)?;
        Ok(CallbackKey::Rsa(Box::new(key)))
    }

    /// Checks the callback's checksum, then reads its fields. `params` are the query (or form)
    /// parameters, URL-decoded, in any order.
    pub fn verify(&self, params: &[(String, String)]) -> Result<Callback, CallbackError> {
        let mut signed = BTreeMap::new();
        let mut checksum = None;
        for (name, value) in params {
            if name == CHECKSUM {
                if checksum.replace(value.as_str()).is_some() {
                    return Err(CallbackError::Repeated(CHECKSUM.to_owned()));
                }
            } else if signed.insert(name.as_str(), value.as_str()).is_some() {
                return Err(CallbackError::Repeated(name.clone()));
            }
        }
        let checksum = checksum.ok_or(CallbackError::NoChecksum)?;
        let checksum = hex::decode(checksum.trim()).map_err(|_| CallbackError::ChecksumNotHex)?;
        let mut ok = self.matches(&check_string(signed.iter().map(|(k, v)| (*k, *v))), &checksum);
        if !ok && signed.contains_key(SIGN_ALIAS) {
            let mut without = signed.clone();
            without.remove(SIGN_ALIAS);
            ok = self.matches(&check_string(without.iter().map(|(k, v)| (*k, *v))), &checksum);
        }
        if !ok {
            return Err(CallbackError::BadChecksum);
        }
        Callback::read(signed)
    }

    fn matches(&self, text: &str, checksum: &[u8]) -> bool {
        match self {
            CallbackKey::Hmac(token) => {
                let mut mac = hmac_sha256(token.expose().as_bytes());
                mac.update(text.as_bytes());
                mac.verify_slice(checksum).is_ok()
            }
            CallbackKey::Rsa(key) => {
                let Ok(signature) = Signature::try_from(checksum) else { return false };
                VerifyingKey::<Sha512>::new((**key).clone()).verify(text.as_bytes(), &signature).is_ok()
            }
        }
    }
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// The text the checksum covers: `name;value;` for each parameter but `checksum`, sorted by
/// name in byte order.
pub fn check_string<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let sorted: BTreeMap<&str, &str> = params.into_iter().filter(|(name, _)| *name != CHECKSUM).collect();
    sorted.into_iter().map(|(name, value)| format!("{name};{value};")).collect()
}

/// The symmetric checksum of a set of parameters as the bank computes it (uppercase hex), for
/// the simulator and for tests.
pub fn hmac_checksum<'a>(token: &Secret, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut mac = hmac_sha256(token.expose().as_bytes());
    mac.update(check_string(params).as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

/// What happened to the order (`operation`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallbackOperation {
    /// Amount held (two-stage payments).
    Approved,
    /// Paid (or, with status 0, a failed payment attempt).
    Deposited,
    Reversed,
    Refunded,
    /// The order's lifetime ran out unpaid.
    DeclinedByTimeout,
    /// Another operation (the new gateway also sends `created`, `subscriptionCreated`).
    Other(String),
}

impl CallbackOperation {
    fn from_wire(text: &str) -> Self {
        match text {
            "approved" => Self::Approved,
            "deposited" => Self::Deposited,
            "reversed" => Self::Reversed,
            "refunded" => Self::Refunded,
            "declinedByTimeout" => Self::DeclinedByTimeout,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A verified callback. It says what the bank did; the handler still confirms the order with
/// getOrderStatusExtended.do before crediting anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub order_id: OrderId,
    /// Our order number as the bank echoes it (not checked further: a foreign number simply
    /// finds no payment).
    pub order_number: String,
    pub operation: CallbackOperation,
    /// `status=1`: the operation succeeded; `0`: it failed.
    pub success: bool,
    /// `amount`, when the merchant has extra parameters enabled.
    pub amount: Option<Kopecks>,
    /// Every signed parameter, as received.
    pub params: BTreeMap<String, String>,
}

impl Callback {
    fn read(signed: BTreeMap<&str, &str>) -> Result<Self, CallbackError> {
        let get = |name: &'static str| signed.get(name).copied().filter(|v| !v.is_empty());
        let order_id = get("mdOrder").ok_or(CallbackError::Missing("mdOrder"))?;
        let order_id = OrderId::parse(order_id).map_err(|_| CallbackError::Invalid("mdOrder"))?;
        let order_number = get("orderNumber").ok_or(CallbackError::Missing("orderNumber"))?.to_owned();
        let operation =
            CallbackOperation::from_wire(get("operation").ok_or(CallbackError::Missing("operation"))?);
        let success = match get("status").ok_or(CallbackError::Missing("status"))? {
            "1" => true,
            "0" => false,
            _ => return Err(CallbackError::Invalid("status")),
        };
        let amount = match get("amount") {
            None => None,
            Some(text) => Some(Kopecks::new(text.parse().map_err(|_| CallbackError::Invalid("amount"))?)),
        };
        let params = signed.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        Ok(Callback { order_id, order_number, operation, success, amount, params })
    }
}

/// Why a callback was refused. The handler answers 4xx and logs the variant (never the
/// parameters' values).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the callback has no checksum")]
    NoChecksum,
    #[error("the checksum is not hex")]
    ChecksumNotHex,
    #[error("the checksum does not match")]
    BadChecksum,
    #[error("the parameter {0:?} is given more than once")]
    Repeated(String),
    #[error("the callback has no {0}")]
    Missing(&'static str),
    #[error("the callback's {0} is not valid")]
    Invalid(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Worked example A of the reference (inputs from the skodnik/sberbank-api tests), in the
    /// order the bank sent them.
    fn example_a() -> Vec<(String, String)> {
        params(&[
            ("amount", "5"),
            ("orderNumber", "ZX-987654321"),
            ("mdOrder", "72318777-5zfg-782c-bk02-xxxxxxxx8dx5"),
            ("operation", "deposited"),
            ("status", "1"),
        ])
    }

    const KEY_A: &str = "B07BAA3F9C809098ACBB462618A93275";
    const HMAC_A: &str = "CFEE6A9A93B5E7DE21F866EE0912AB12A62EF0346A4E073314B6FA8B1AF24B3A";

    fn example_b() -> Vec<(String, String)> {
        params(&[
            ("mdOrder", "a67b0ced-c9a4-4cfb-bce3-b9595afaafc1"),
            ("orderNumber", "e2574f1785324f1592d9029cb05adbbd"),
            ("operation", "deposited"),
            ("status", "1"),
            ("amount", "19900"),
        ])
    }

    const KEY_B: &str = "yourSecretToken123";
    const HMAC_B: &str = "BBE0F1F832D2DAA94D996B7FC29B316CC7ABAF023D2C138FC126F2F69FD11505";

    fn pairs(params: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
        params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn with_checksum(mut params: Vec<(String, String)>, checksum: &str) -> Vec<(String, String)> {
        params.push((CHECKSUM.to_owned(), checksum.to_owned()));
        params
    }

    fn hmac_key(token: &str) -> CallbackKey {
        CallbackKey::hmac(Secret::new(token)).unwrap()
    }

    #[test]
    fn example_a_check_string_and_hmac() {
        assert_eq!(
            check_string(pairs(&example_a())),
            "amount;5;mdOrder;72318777-5zfg-782c-bk02-xxxxxxxx8dx5;operation;deposited;orderNumber;ZX-987654321;status;1;"
        );
        assert_eq!(hmac_checksum(&Secret::new(KEY_A), pairs(&example_a())), HMAC_A);
        let callback = hmac_key(KEY_A).verify(&with_checksum(example_a(), HMAC_A)).unwrap();
        assert_eq!(callback.order_id.as_str(), "72318777-5zfg-782c-bk02-xxxxxxxx8dx5");
        assert_eq!(callback.order_number, "ZX-987654321");
        assert_eq!(callback.operation, CallbackOperation::Deposited);
        assert!(callback.success);
        assert_eq!(callback.amount, Some(Kopecks::new(5)));
    }

    #[test]
    fn example_b_check_string_and_hmac() {
        assert_eq!(
            check_string(pairs(&example_b())),
            "amount;19900;mdOrder;a67b0ced-c9a4-4cfb-bce3-b9595afaafc1;operation;deposited;\
             orderNumber;e2574f1785324f1592d9029cb05adbbd;status;1;"
        );
        assert_eq!(hmac_checksum(&Secret::new(KEY_B), pairs(&example_b())), HMAC_B);
        let callback = hmac_key(KEY_B).verify(&with_checksum(example_b(), HMAC_B)).unwrap();
        assert_eq!(callback.amount, Some(Kopecks::new(19_900)));
    }

    #[test]
    fn lowercase_hex_is_accepted() {
        let lower = HMAC_A.to_lowercase();
        assert!(hmac_key(KEY_A).verify(&with_checksum(example_a(), &lower)).is_ok());
    }

    #[test]
    fn any_change_breaks_the_checksum() {
        let key = hmac_key(KEY_A);
        let mut tampered = example_a();
        tampered[0].1 = "500".into();
        assert_eq!(key.verify(&with_checksum(tampered, HMAC_A)), Err(CallbackError::BadChecksum));
        let mut extra = example_a();
        extra.push(("customField".into(), "x".into()));
        assert_eq!(key.verify(&with_checksum(extra, HMAC_A)), Err(CallbackError::BadChecksum));
        assert_eq!(
            hmac_key("another").verify(&with_checksum(example_a(), HMAC_A)),
            Err(CallbackError::BadChecksum)
        );
        let mut short = HMAC_A.to_owned();
        short.truncate(62);
        assert_eq!(key.verify(&with_checksum(example_a(), &short)), Err(CallbackError::BadChecksum));
        assert_eq!(key.verify(&with_checksum(example_a(), "zz")), Err(CallbackError::ChecksumNotHex));
        assert_eq!(key.verify(&example_a()), Err(CallbackError::NoChecksum));
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let key = hmac_key(KEY_A);
        let mut twice = with_checksum(example_a(), HMAC_A);
        twice.push(("status".into(), "0".into()));
        assert_eq!(key.verify(&twice), Err(CallbackError::Repeated("status".into())));
        let twice = with_checksum(with_checksum(example_a(), HMAC_A), HMAC_A);
        assert_eq!(key.verify(&twice), Err(CallbackError::Repeated("checksum".into())));
    }

    #[test]
    fn sign_alias_is_accepted_signed_or_not() {
        let key = hmac_key(KEY_A);
        let mut unsigned = with_checksum(example_a(), HMAC_A);
        unsigned.push((SIGN_ALIAS.into(), "alias".into()));
        assert!(key.verify(&unsigned).is_ok());
        let mut with_alias = example_a();
        with_alias.push((SIGN_ALIAS.into(), "alias".into()));
        let checksum = hmac_checksum(&Secret::new(KEY_A), pairs(&with_alias));
        assert!(key.verify(&with_checksum(with_alias, &checksum)).is_ok());
    }

    #[test]
    fn fields_are_checked_after_the_checksum() {
        let token = Secret::new(KEY_B);
        let check = |pairs_: &[(&str, &str)]| {
            let p = params(pairs_);
            let checksum = hmac_checksum(&token, pairs(&p));
            hmac_key(KEY_B).verify(&with_checksum(p, &checksum))
        };
        let base =
            [("mdOrder", "a67b0ced"), ("orderNumber", "n1"), ("operation", "refunded"), ("status", "0")];
        let ok = check(&base).unwrap();
        assert_eq!((ok.operation, ok.success, ok.amount), (CallbackOperation::Refunded, false, None));
        assert_eq!(check(&base[1..]), Err(CallbackError::Missing("mdOrder")));
        assert_eq!(check(&[base[0], base[1], base[2]]), Err(CallbackError::Missing("status")));
        assert_eq!(
            check(&[base[0], base[1], base[2], ("status", "yes")]),
            Err(CallbackError::Invalid("status"))
        );
        assert_eq!(
            check(&[base[0], base[1], base[3], ("operation", "")]),
            Err(CallbackError::Missing("operation"))
        );
        assert_eq!(
            check(&[base[0], base[1], base[2], base[3], ("amount", "1,5")]),
            Err(CallbackError::Invalid("amount"))
        );
        let other = check(&[base[0], base[1], base[3], ("operation", "created")]).unwrap();
        assert_eq!(other.operation, CallbackOperation::Other("created".into()));
    }

    /// The asymmetric vector of the reference: public key and signature from the
    /// skodnik/sberbank-api tests (RSA PKCS#1 v1.5 over SHA-512, verified independently in the
    /// reference with python `cryptography`).
    const BANK_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwtuGKbQ4WmfdV1gjWWys
5jyHKTWXnxX3zVa5/Cx5aKwJpOsjrXnHh6l8bOPQ6Sgj3iSeKJ9plZ3i7rPjkfmw
qUOJ1eLU5NvGkVjOgyi11aUKgEKwS5Iq5HZvXmPLzu+U22EUCTQwjBqnE/Wf0hnI
wYABDgc0fJeJJAHYHMBcJXTuxF8DmDf4DpbLrQ2bpGaCPKcX+04POS4zVLVCHF6N
6gYtM7U2QXYcTMTGsAvmIqSj1vddGwvNGeeUVoPbo6enMBbvZgjN5p6j3ItTziMb
Vba3m/u7bU1dOG2/79UpGAGR10qEFHiOqS6WpO7CuIR2tL9EznXRc7D9JZKwGfoY
/QIDAQAB
-----END PUBLIC KEY-----";

    const RSA_SIGNATURE: &str = "9524FD765FB1BABFB1F42E4BC6EF5A4B07BAA3F9C809098ACBB462618A9327539F975FEDB4CF6EC\
        1556FF88BA74774342AF4F5B51BA63903BE9647C670EBD962467282955BD1D57B16935C956864526810870CD32967845EBABE1C6565\
        C03F94FF66907CEDB54669A1C74AC1AD6E39B67FA7EF6D305A007A474F03B80FD6C965656BEAA74E09BB1189F4B32E622C903DC5284\
        3C454B7ACF76D6F76324C27767DE2FF6E7217716C19C530CA7551DB58268CC815638C30F3BCA3270E1FD44F63C14974B108E65C2063\
        8ECE2F2D752F32742FFC5077415102706FA5235D310D4948A780B08D1B75C8983F22F211DFCBF14435F262ADDA6A97BFEB6D332C3D5\
        1010B";

    fn rsa_params(amount: &str) -> Vec<(String, String)> {
        params(&[
            ("amount", amount),
            ("mdOrder", "12b59da8-f68f-7c8d-12b5-9da8000826ea"),
            ("operation", "deposited"),
            ("status", "1"),
            ("checksum", RSA_SIGNATURE),
        ])
    }

    #[test]
    fn rsa_signatures_are_verified_with_the_banks_public_key() {
        assert_eq!(RSA_SIGNATURE.len(), 512);
        let key = CallbackKey::rsa_from_pem(BANK_PUBLIC_KEY).unwrap();
        // The reference's vector has no orderNumber, which Svet's callbacks always carry: the
        // signature verifies, then the field check refuses it.
        assert_eq!(key.verify(&rsa_params("35000099")), Err(CallbackError::Missing("orderNumber")));
        assert_eq!(key.verify(&rsa_params("935000099")), Err(CallbackError::BadChecksum));
        assert_eq!(hmac_key(KEY_A).verify(&rsa_params("35000099")), Err(CallbackError::BadChecksum));
        assert_eq!(CallbackKey::rsa_from_pem("not a key").unwrap_err(), CallbackKeyError::BadPublicKey);
    }

    #[test]
    fn keys_are_never_printed() {
        assert_eq!(format!("{:?}", hmac_key(KEY_A)), "CallbackKey::Hmac(***)");
        assert_eq!(CallbackKey::hmac(Secret::new("")).unwrap_err(), CallbackKeyError::EmptyToken);
    }
}

//! The browser session: a JWT (EdDSA on AWS, HS256 on the local server: [`SessionKey`]) in an
//! HttpOnly, Secure, SameSite=Strict cookie that names a server-side session record. Both must
//! hold: a valid signature, an unexpired token, and a live record (so «Выход» or a password
//! change ends it at once). State-changing requests must come from our own origin.

use http::{HeaderValue, Method, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use svet_domain::AccountNumber;
use svet_domain::identity::{login, sessions};

use crate::{ApiError, App, Request};

pub const COOKIE: &str = "__Host-svet_session";

/// The keys that sign and check session tokens.
///
/// On AWS the tokens are signed with Ed25519 ([`SessionKey::ed25519_issuer_on_first_use`]):
/// only the functions that start a session (login and activation) read the private key, from
/// SSM, a read begun at their cold start and awaited when the first session is signed; every
/// other function checks tokens with the public key alone ([`SessionKey::ed25519_verifier`]),
/// which is no secret and comes in an environment variable. So a function that only reads
/// sessions can never forge one, and makes no SSM call. The local server, one process that
/// both signs and checks, uses HMAC ([`SessionKey::hmac`]).
pub struct SessionKey {
    algorithm: Algorithm,
    signer: Signer,
    decoding: DecodingKey,
}

/// Reads the private key's PEM (from SSM, on AWS).
pub type LoadPrivateKey =
    Box<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send>> + Send + Sync>;

enum Signer {
    /// A function that only checks sessions.
    None,
    Ready(EncodingKey),
    /// The private key, loaded on the first signature (or by [`SessionKey::ready`]) and checked
    /// against the public key; a failed load is tried again by the next.
    OnFirstUse {
        load: LoadPrivateKey,
        public: [u8; 32],
        key: tokio::sync::OnceCell<EncodingKey>,
    },
}

impl SessionKey {
    /// HS256 with a shared secret of at least 32 bytes.
    pub fn hmac(secret: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= 32,
            "the session key must have at least 32 bytes, has {}",
            secret.len()
        );
        Ok(SessionKey {
            algorithm: Algorithm::HS256,
            signer: Signer::Ready(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// EdDSA (Ed25519) with the private key, a PKCS#8 PEM (`openssl genpkey -algorithm
    /// ed25519`), which must be the pair of `public` (as [`SessionKey::ed25519_verifier`]
    /// takes it): tokens signed with any other key would be refused by every other function.
    pub fn ed25519_issuer(private_pem: &str, public: &str) -> anyhow::Result<Self> {
        let verifier = SessionKey::ed25519_verifier(public)?;
        let key = ed25519_encoding(private_pem, &public_key_bytes(public)?)?;
        Ok(SessionKey { signer: Signer::Ready(key), ..verifier })
    }

    /// [`SessionKey::ed25519_issuer`] with the private key loaded when it is first needed:
    /// checking sessions needs only `public`, and a login has the password to check first.
    pub fn ed25519_issuer_on_first_use(public: &str, load: LoadPrivateKey) -> anyhow::Result<Self> {
        let verifier = SessionKey::ed25519_verifier(public)?;
        let public = public_key_bytes(public)?;
        Ok(SessionKey {
            signer: Signer::OnFirstUse { load, public, key: tokio::sync::OnceCell::new() },
            ..verifier
        })
    }

    /// EdDSA (Ed25519) with the public key only, 32 bytes in unpadded base64url (a JWK's `x`):
    /// checks tokens and cannot sign one.
    pub fn ed25519_verifier(public: &str) -> anyhow::Result<Self> {
        public_key_bytes(public)?;
        Ok(SessionKey {
            algorithm: Algorithm::EdDSA,
            signer: Signer::None,
            decoding: DecodingKey::from_ed_components(public.trim())?,
        })
    }

    /// Whether this key can sign a session (a function that starts sessions).
    pub fn can_sign(&self) -> bool {
        !matches!(self.signer, Signer::None)
    }

    /// Loads a private key that is read on first use, now; an error says why it cannot sign.
    /// A function that starts sessions calls it at its cold start, beside its other work (so
    /// that a bad or missing key is in the log at once), and before it starts a session.
    pub async fn ready(&self) -> anyhow::Result<()> {
        self.encoding().await.map(|_| ())
    }

    async fn encoding(&self) -> anyhow::Result<&EncodingKey> {
        match &self.signer {
            Signer::None => anyhow::bail!("this function has only the session's public key and cannot sign"),
            Signer::Ready(key) => Ok(key),
            Signer::OnFirstUse { load, public, key } => {
                key.get_or_try_init(|| async { ed25519_encoding(&load().await?, public) }).await
            }
        }
    }

    async fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let encoding = self.encoding().await?;
        Ok(jsonwebtoken::encode(&Header::new(self.algorithm), claims, encoding)?)
    }

    /// The claims of a token with a good signature; the expiry is the caller's to check,
    /// against the application's clock.
    fn verify(&self, token: &str) -> Option<Claims> {
        // Only the key's own algorithm: a token that names another (`none`, or HS256 keyed
        // with the public key) is refused.
        let mut validation = Validation::new(self.algorithm);
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|t| t.claims)
    }
}

/// The signing key from a PKCS#8 PEM, which must be the pair of `public`.
fn ed25519_encoding(private_pem: &str, public: &[u8; 32]) -> anyhow::Result<EncodingKey> {
    use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    let signing = ed25519_dalek::SigningKey::from_pkcs8_pem(private_pem.trim())
        .map_err(|_| anyhow::anyhow!("the session's private key is not an Ed25519 key in PKCS#8 PEM"))?;
    anyhow::ensure!(
        signing.verifying_key().as_bytes() == public,
        "the session's private key is not the pair of SESSION_PUBLIC_KEY: the other functions \
         would refuse every session it signs"
    );
    let der = signing.to_pkcs8_der().map_err(|e| anyhow::anyhow!("encoding the session key: {e}"))?;
    Ok(EncodingKey::from_ed_der(der.as_bytes()))
}

/// The 32 bytes of an Ed25519 public key given in unpadded base64url, checked to be a point on
/// the curve.
fn public_key_bytes(public: &str) -> anyhow::Result<[u8; 32]> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(public.trim())
        .map_err(|_| anyhow::anyhow!("SESSION_PUBLIC_KEY is not unpadded base64url"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| anyhow::anyhow!("SESSION_PUBLIC_KEY has {} bytes, not 32", b.len()))?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| anyhow::anyhow!("SESSION_PUBLIC_KEY is not an Ed25519 public key"))?;
    Ok(bytes)
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    sid: String,
    iat: i64,
    exp: i64,
}

/// Who is calling: the account and their session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: AccountNumber,
    pub session: String,
}

/// The `Set-Cookie` value that starts a session.
pub async fn cookie(
    app: &App,
    account: &AccountNumber,
    session: &sessions::Session,
) -> Result<HeaderValue, ApiError> {
    let claims = Claims {
        sub: account.to_string(),
        sid: session.id.clone(),
        iat: session.created_at,
        exp: session.absolute,
    };
    let token = app.session_key.sign(&claims).await.map_err(ApiError::Internal)?;
    let max_age = session.absolute - session.created_at;
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    ))
    .map_err(|e| ApiError::Internal(e.into()))
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("__Host-svet_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

fn token(request: &Request) -> Option<&str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// The caller of a request that needs a session; 401 without a valid one.
pub async fn caller(app: &App, request: &Request) -> Result<Caller, ApiError> {
    let token = token(request).ok_or(ApiError::Unauthenticated)?;
    let claims = app.session_key.verify(token).ok_or(ApiError::Unauthenticated)?;
    let account = AccountNumber::parse(&claims.sub).map_err(|_| ApiError::Unauthenticated)?;
    if claims.exp <= app.clock.now().as_second() {
        return Err(ApiError::Unauthenticated);
    }
    let deps = app.deps();
    if !sessions::touch(
        app.store.as_ref(),
        app.clock.as_ref(),
        &account,
        &claims.sid,
        login::lifetimes(&deps),
    )
    .await?
    {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Caller { account, session: claims.sid })
}

/// Refuses a state-changing request from another origin (or without an Origin header).
pub fn same_origin(app: &App, request: &Request) -> Result<(), ApiError> {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match origin {
        Some(o) if app.origins.iter().any(|allowed| allowed == o) => Ok(()),
        _ => Err(ApiError::CrossOrigin),
    }
}

/// The header CloudFront adds, with the stack's own value (`ORIGIN_VERIFY`), to every API
/// request it forwards (template.yaml, WebDistribution). Only a request that carries it came
/// through CloudFront, so only then is its `CloudFront-Viewer-Address` the customer's.
pub const ORIGIN_VERIFY_HEADER: &str = "x-svet-origin-verify";
const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

fn origin_verify() -> Option<&'static str> {
    static VALUE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    VALUE.get_or_init(|| std::env::var("ORIGIN_VERIFY").ok().filter(|v| v.len() >= 16)).as_deref()
}

/// The client's IP address: from the local server, from CloudFront's viewer address when the
/// request provably came through our distribution, or from API Gateway's request context
/// (behind CloudFront that is an edge server's address, shared by many customers).
pub fn client_ip(request: &Request) -> String {
    client_ip_behind(request, origin_verify())
}

/// [`client_ip`] with the expected origin-verify value given.
pub fn client_ip_behind(request: &Request, origin_verify: Option<&str>) -> String {
    use lambda_http::RequestExt;
    if let Some(ClientIp(ip)) = request.extensions().get::<ClientIp>() {
        return ip.clone();
    }
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(expected) = origin_verify
        && header(ORIGIN_VERIFY_HEADER)
            .is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes()))
        && let Some(ip) = header(VIEWER_ADDRESS_HEADER).and_then(viewer_ip)
    {
        return ip;
    }
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.clone().unwrap_or_else(|| "unknown".into())
        }
        _ => "unknown".into(),
    }
}

/// `198.51.100.10:46532` or `2001:db8::1:46532` (the port after the last colon) → the address.
fn viewer_ip(value: &str) -> Option<String> {
    let (ip, port) = value.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The peer address, set by the local server.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ed25519 pair: the private key's PEM and the public key in base64url.
    fn pair(seed: u8) -> (String, String) {
        use base64::Engine;
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let pem = signing.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF).unwrap();
        let public =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
        (pem.to_string(), public)
    }

    fn claims() -> Claims {
        Claims { sub: "100200300".into(), sid: "s1".into(), iat: 1_795_000_000, exp: 1_795_086_400 }
    }

    #[tokio::test]
    async fn a_verifier_accepts_what_its_issuer_signed_and_cannot_sign_itself() {
        let (private, public) = pair(1);
        let issuer = SessionKey::ed25519_issuer(&private, &public).unwrap();
        let verifier = SessionKey::ed25519_verifier(&public).unwrap();
        assert!(issuer.can_sign() && !verifier.can_sign());
        let token = issuer.sign(&claims()).await.unwrap();
        let read = verifier.verify(&token).expect("the pair's signature is good");
        assert_eq!((read.sub.as_str(), read.sid.as_str(), read.exp), ("100200300", "s1", 1_795_086_400));
        let refused = verifier.sign(&claims()).await.unwrap_err().to_string();
        assert!(refused.contains("cannot sign"), "{refused}");
    }

    #[tokio::test]
    async fn tokens_from_another_key_or_algorithm_are_refused() {
        use base64::Engine;
        let (private, public) = pair(1);
        let verifier = SessionKey::ed25519_verifier(&public).unwrap();
        let (other_private, other_public) = pair(2);
        let other = SessionKey::ed25519_issuer(&other_private, &other_public).unwrap();
        assert!(verifier.verify(&other.sign(&claims()).await.unwrap()).is_none(), "another key pair");
        // HS256 keyed with the public key's bytes (the algorithm-confusion forgery), and with the
        // public key's text.
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&public).unwrap();
        for secret in [raw.as_slice(), public.as_bytes()] {
            let forged = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims(),
                &EncodingKey::from_secret(secret),
            )
            .unwrap();
            assert!(verifier.verify(&forged).is_none(), "an HS256 token");
        }
        // `alg: none` with the issuer's own payload and no signature.
        let good = SessionKey::ed25519_issuer(&private, &public).unwrap().sign(&claims()).await.unwrap();
        let payload = good.split('.').nth(1).unwrap();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(verifier.verify(&format!("{header}.{payload}.")).is_none(), "alg none");
        // The good token with one byte of its payload changed.
        let mut tampered = good.clone().into_bytes();
        let at = good.find('.').unwrap() + 5;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        assert!(verifier.verify(std::str::from_utf8(&tampered).unwrap()).is_none(), "a changed payload");
        // A local server's HS256 token is no good on AWS either.
        let local = SessionKey::hmac(&[7u8; 32]).unwrap();
        assert!(verifier.verify(&local.sign(&claims()).await.unwrap()).is_none());
    }

    #[tokio::test]
    async fn a_private_key_read_on_first_use_is_read_once_checked_and_retried_after_a_failure() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (private, public) = pair(1);
        let reads = Arc::new(AtomicUsize::new(0));
        // The first read fails (SSM unreachable), the next ones answer.
        let load: LoadPrivateKey = {
            let (reads, private) = (reads.clone(), private.clone());
            Box::new(move || {
                let n = reads.fetch_add(1, Ordering::SeqCst);
                let private = private.clone();
                Box::pin(async move {
                    anyhow::ensure!(n > 0, "SSM is unreachable");
                    Ok(private)
                })
            })
        };
        let issuer = SessionKey::ed25519_issuer_on_first_use(&public, load).unwrap();
        assert!(issuer.can_sign());
        assert_eq!(reads.load(Ordering::SeqCst), 0, "nothing is read before it is needed");
        let failed = issuer.ready().await.unwrap_err().to_string();
        assert!(failed.contains("unreachable"), "{failed}");
        let verifier = SessionKey::ed25519_verifier(&public).unwrap();
        let token = issuer.sign(&claims()).await.expect("the second read answers");
        assert!(verifier.verify(&token).is_some());
        issuer.sign(&claims()).await.unwrap();
        issuer.ready().await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 2, "read once more after the failure, then kept");

        // A key that is not the public key's pair is refused at the first use, every time.
        let (other, _) = pair(2);
        let wrong = SessionKey::ed25519_issuer_on_first_use(
            &public,
            Box::new(move || {
                let other = other.clone();
                Box::pin(async move { Ok(other) })
            }),
        )
        .unwrap();
        for _ in 0..2 {
            let refused = wrong.ready().await.unwrap_err().to_string();
            assert!(refused.contains("not the pair"), "{refused}");
        }
    }

    #[test]
    fn mismatched_or_malformed_keys_fail_the_start() {
        let (private, _) = pair(1);
        let (_, other_public) = pair(2);
        let mismatch = SessionKey::ed25519_issuer(&private, &other_public).err().unwrap().to_string();
        assert!(mismatch.contains("not the pair of SESSION_PUBLIC_KEY"), "{mismatch}");
        let pem = SessionKey::ed25519_issuer(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            &other_public,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(pem.contains("PKCS#8 PEM"), "{pem}");
        let short = SessionKey::ed25519_verifier("AAAA").err().unwrap().to_string();
        assert!(short.contains("3 bytes, not 32"), "{short}");
        let text = SessionKey::ed25519_verifier("not base64url!").err().unwrap().to_string();
        assert!(text.contains("base64url"), "{text}");
        assert!(SessionKey::hmac(b"short").is_err(), "a short HMAC key");
    }

    const VERIFY: &str = "0f8c2a9e-5b1d-4c3e-9a77-6d2b1e0c4f11";

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder().uri("/api/login");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(lambda_http::Body::Empty).unwrap()
    }

    #[test]
    fn the_viewer_address_counts_only_behind_our_distribution() {
        let through =
            request(&[(ORIGIN_VERIFY_HEADER, VERIFY), (VIEWER_ADDRESS_HEADER, "198.51.100.10:46532")]);
        assert_eq!(client_ip_behind(&through, Some(VERIFY)), "198.51.100.10");
        let v6 = request(&[(ORIGIN_VERIFY_HEADER, VERIFY), (VIEWER_ADDRESS_HEADER, "2001:db8::1:46532")]);
        assert_eq!(client_ip_behind(&v6, Some(VERIFY)), "2001:db8::1");
        // Straight to the API with a made-up viewer address: not believed.
        let forged = request(&[(ORIGIN_VERIFY_HEADER, "guess"), (VIEWER_ADDRESS_HEADER, "203.0.113.1:1")]);
        assert_eq!(client_ip_behind(&forged, Some(VERIFY)), "unknown");
        let bare = request(&[(VIEWER_ADDRESS_HEADER, "203.0.113.1:1")]);
        assert_eq!(client_ip_behind(&bare, Some(VERIFY)), "unknown");
        // Without a distribution (no value configured) the header means nothing.
        assert_eq!(client_ip_behind(&through, None), "unknown");
        // Garbage in the header: not an address.
        let garbage = request(&[(ORIGIN_VERIFY_HEADER, VERIFY), (VIEWER_ADDRESS_HEADER, "evil.example:80")]);
        assert_eq!(client_ip_behind(&garbage, Some(VERIFY)), "unknown");
        // The local server's peer address wins.
        let mut local = request(&[]);
        local.extensions_mut().insert(ClientIp("127.0.0.1".into()));
        assert_eq!(client_ip_behind(&local, Some(VERIFY)), "127.0.0.1");
    }
}

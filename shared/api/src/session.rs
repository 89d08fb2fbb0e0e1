//! The browser session: a JWT (HS256 only) in an HttpOnly, Secure, SameSite=Strict cookie that
//! names a server-side session record. Both must hold: a valid signature, an unexpired token,
//! and a live record (so «Выход» or a password change ends it at once). State-changing
//! requests must come from our own origin.

use http::{HeaderValue, Method, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use svet_domain::AccountNumber;
use svet_domain::identity::{login, sessions};

use crate::{ApiError, App, Request};

pub const COOKIE: &str = "__Host-svet_session";

/// The key that signs session tokens (at least 32 bytes).
pub struct SessionKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SessionKey {
    pub fn new(secret: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= 32,
            "the session key must have at least 32 bytes, has {}",
            secret.len()
        );
        Ok(SessionKey {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }
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
pub fn cookie(
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
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &app.session_key.encoding)
        .map_err(|e| ApiError::Internal(e.into()))?;
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
    let mut validation = Validation::new(Algorithm::HS256);
    // The expiry is checked below against the application's clock, not the library's.
    validation.validate_exp = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let claims = jsonwebtoken::decode::<Claims>(token, &app.session_key.decoding, &validation)
        .map_err(|_| ApiError::Unauthenticated)?
        .claims;
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

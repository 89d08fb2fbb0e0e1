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

pub const COOKIE: &str = "svet_session";

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
    HeaderValue::from_static("svet_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
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

/// The client's IP address: from the local server, or from API Gateway's request context.
pub fn client_ip(request: &Request) -> String {
    use lambda_http::RequestExt;
    if let Some(ClientIp(ip)) = request.extensions().get::<ClientIp>() {
        return ip.clone();
    }
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.clone().unwrap_or_else(|| "unknown".into())
        }
        _ => "unknown".into(),
    }
}

/// The peer address, set by the local server.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

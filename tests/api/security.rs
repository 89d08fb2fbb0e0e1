//! Attacks on the identity endpoints: forged, tampered, expired and foreign session tokens,
//! cross-origin and malformed requests, and one customer reaching for another's data.

use http::Method;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use svet_domain::identity::tokens::base64url;

use crate::portal::{ORIGIN, Portal};

async fn logged_in(p: &Portal, account: &str, address: &str, email: &str) -> String {
    let form = json!({
        "account": account, "password": "Светлячок-2026", "password_confirm": "Светлячок-2026",
        "email": email, "address": address, "consent": true,
    });
    assert_eq!(p.post("/api/register", form).await.status, 201);
    let token = p.last_token(email, "activate.html").await;
    p.post("/api/activate", json!({ "token": token })).await.cookie.unwrap()
}

fn sign(claims: serde_json::Value, key: &[u8], alg: Algorithm) -> String {
    jsonwebtoken::encode(&Header::new(alg), &claims, &EncodingKey::from_secret(key)).unwrap()
}

#[tokio::test]
async fn forged_and_stale_session_tokens_are_refused() {
    let p = Portal::sqlite().await;
    let cookie = logged_in(&p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5", &p.email("a")).await;
    let me = |c: String| {
        let p = &p;
        async move { p.call(Method::GET, "/api/me", None, Some(&c)).await.status }
    };
    assert_eq!(me(cookie.clone()).await, 200);

    let parts: Vec<&str> = cookie.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(&base64url_decode(parts[1])).unwrap();
    let sid = claims["sid"].as_str().unwrap();
    let exp = claims["exp"].as_i64().unwrap();

    let mut tampered = cookie.clone();
    tampered.replace_range(tampered.len() - 3.., "AAA");
    assert_eq!(me(tampered).await, 401, "a tampered signature");

    let other_account = json!({ "sub": "180211112", "sid": sid, "iat": 0, "exp": exp });
    let swapped = format!("{}.{}.{}", parts[0], base64url(other_account.to_string().as_bytes()), parts[2]);
    assert_eq!(me(swapped).await, 401, "claims changed under the old signature");

    let none = format!(
        "{}.{}.",
        base64url(br#"{"alg":"none","typ":"JWT"}"#),
        base64url(json!({ "sub": "180211111", "sid": sid, "iat": 0, "exp": exp }).to_string().as_bytes())
    );
    assert_eq!(me(none).await, 401, "alg=none");

    let foreign = sign(
        json!({ "sub": "180211111", "sid": sid, "iat": 0, "exp": exp }),
        b"another key, also long enough for HS256",
        Algorithm::HS256,
    );
    assert_eq!(me(foreign).await, 401, "signed with another key");

    let hs512 = sign(
        json!({ "sub": "180211111", "sid": sid, "iat": 0, "exp": exp }),
        crate::portal::KEY,
        Algorithm::HS512,
    );
    assert_eq!(me(hs512).await, 401, "one fixed algorithm");

    let unknown_session = sign(
        json!({ "sub": "180211111", "sid": "made-up", "iat": 0, "exp": exp }),
        crate::portal::KEY,
        Algorithm::HS256,
    );
    assert_eq!(me(unknown_session).await, 401, "a valid signature without a session record");

    assert_eq!(me("garbage".into()).await, 401);
    p.advance(31 * 60);
    assert_eq!(me(cookie).await, 401, "idle for longer than 30 minutes");
}

#[tokio::test]
async fn sessions_end_after_twelve_hours_however_busy() {
    let p = Portal::sqlite().await;
    let cookie = logged_in(&p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5", &p.email("a")).await;
    for _ in 0..(12 * 60 / 20 - 1) {
        p.advance(20 * 60);
        assert_eq!(p.call(Method::GET, "/api/me", None, Some(&cookie)).await.status, 200);
    }
    p.advance(20 * 60);
    assert_eq!(p.call(Method::GET, "/api/me", None, Some(&cookie)).await.status, 401, "the absolute limit");
}

#[tokio::test]
async fn cross_origin_and_malformed_requests_are_refused() {
    let p = Portal::sqlite().await;
    let cookie = logged_in(&p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5", &p.email("a")).await;
    let body = json!({ "delivery": "pdf", "notices": true }).to_string();
    let put = |origin: Option<&'static str>, content_type: &'static str, body: String| {
        let (p, cookie) = (&p, cookie.clone());
        async move { p.send(Method::PUT, "/api/settings", Some(body), Some(&cookie), origin, content_type).await }
    };
    assert_eq!(
        put(Some("https://evil.example"), "application/json", body.clone()).await.status,
        403,
        "another origin"
    );
    assert_eq!(put(None, "application/json", body.clone()).await.status, 403, "no origin");
    assert_eq!(put(Some(ORIGIN), "text/plain", body.clone()).await.status, 415, "not JSON");
    assert_eq!(
        put(Some(ORIGIN), "application/json", "{\"delivery\":".into()).await.status,
        400,
        "broken JSON"
    );
    assert_eq!(
        put(Some(ORIGIN), "application/json", json!({ "delivery": 5, "notices": true }).to_string())
            .await
            .status,
        400
    );
    assert_eq!(
        put(
            Some(ORIGIN),
            "application/json",
            json!({ "delivery": "pdf", "notices": true, "admin": true }).to_string()
        )
        .await
        .status,
        400,
        "unknown fields"
    );
    let huge = json!({ "delivery": "pdf", "notices": true, "x": "a".repeat(20_000) }).to_string();
    assert_eq!(put(Some(ORIGIN), "application/json", huge).await.status, 413);
    let get = p.call(Method::GET, "/api/settings", None, Some(&cookie)).await;
    assert_eq!(get.body["delivery"], "off", "nothing was changed by any of them");

    let login = json!({ "account": "180211111", "password": "Светлячок-2026" }).to_string();
    let r = p
        .send(Method::POST, "/api/login", Some(login), None, Some("https://evil.example"), "application/json")
        .await;
    assert_eq!((r.status, r.cookie), (403, None), "no login from another site");
}

#[tokio::test]
async fn a_customer_sees_only_their_own_account() {
    let p = Portal::sqlite().await;
    let a = logged_in(&p, "180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5", &p.email("a")).await;
    let b = logged_in(&p, "180211112", "г. Калуга, ул. Кирова, д. 3, кв. 41", &p.email("b")).await;
    let me_a = p.call(Method::GET, "/api/me", None, Some(&a)).await.body;
    let me_b = p.call(Method::GET, "/api/me", None, Some(&b)).await.body;
    assert_eq!(
        (me_a["account"].as_str(), me_a["email"].as_str()),
        (Some("180211111"), Some(p.email("a").as_str()))
    );
    assert_eq!(
        (me_b["account"].as_str(), me_b["email"].as_str()),
        (Some("180211112"), Some(p.email("b").as_str()))
    );
    // Nothing takes an account from the request: the session decides whose data it is.
    let r = p.call(Method::GET, "/api/me?account=180211112", None, Some(&a)).await;
    assert_eq!(r.body["account"], "180211111");
    assert_eq!(p.call(Method::GET, "/api/settings", None, None).await.status, 401);
}

#[tokio::test]
async fn markup_in_fields_comes_back_as_inert_json() {
    let p = Portal::sqlite().await;
    let form = json!({
        "account": "<script>alert(1)</script>", "password": "x", "password_confirm": "y",
        "email": "\"><img src=x onerror=alert(1)>@list.ru", "address": "'; DROP TABLE items; --", "consent": true,
    });
    let r = p.post("/api/register", form).await;
    assert_eq!(r.status, 400);
    let text = r.body.to_string();
    assert!(!text.contains("<script>") && !text.contains("<img"), "no markup echoed: {text}");
}

fn base64url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    };
    let bits: Vec<u8> = text.bytes().map(value).collect();
    bits.chunks(4)
        .flat_map(|c| {
            let n = c.iter().enumerate().fold(0u32, |n, (i, v)| n | (u32::from(*v) << (18 - 6 * i)));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(c.len() - 1)
        })
        .collect()
}

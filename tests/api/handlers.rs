//! Handlers through the router and `dispatch`, as both hosts call them: health on a working
//! store, 503 (never a panic) on a store that is down, JSON 404 and 405.

use std::sync::Arc;

use http::{Method, StatusCode};
use svet_api::{App, Request, find, routes::ROUTES};
use svet_domain::{Config, SequentialIds, Store};

use svet_api::session::SessionKey;

use crate::helpers::{FaultyStore, Harness, clock};
use crate::portal::Portal;

fn app(store: Arc<dyn Store>) -> App {
    let dir = std::env::temp_dir();
    let clock = clock();
    let ids = Arc::new(SequentialIds::default());
    crate::portal::app(
        store,
        Arc::new(
            svet_embedded::OutboxMailer::open(
                dir.join("svet-test-outbox"),
                "a@b.c",
                clock.clone(),
                ids.clone(),
            )
            .unwrap(),
        ),
        Arc::new(
            svet_embedded::FolderDocuments::open(dir.join("svet-test-docs"), "http://x", clock.clone())
                .unwrap(),
        ),
        clock,
        ids,
    )
}

async fn call(app: &App, method: Method, path: &str) -> (StatusCode, serde_json::Value, http::HeaderMap) {
    let response = match find(ROUTES, &method, path) {
        Ok((route, _)) => {
            let request: Request =
                http::Request::builder().method(method).uri(path).body(lambda_http::Body::Empty).unwrap();
            svet_api::dispatch(app, route, request).await
        }
        Err(e) => e.into_response(),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).expect("a JSON body");
    (status, body, headers)
}

#[tokio::test]
async fn health_answers_when_the_store_does() {
    let h = Harness::sqlite().await;
    let (status, body, _) = call(&app(h.store.clone()), Method::GET, "/api/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["time"], "2026-02-15T10:00:00Z");
}

#[tokio::test]
async fn a_store_that_is_down_gives_503_with_a_message() {
    let h = Harness::sqlite().await;
    let (status, body, _) =
        call(&app(Arc::new(FaultyStore::down(h.store.clone()))), Method::GET, "/api/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "unavailable");
    assert!(body["message"].as_str().unwrap().contains("временно недоступен"));
    assert!(!body.to_string().contains("injected"), "the cause is logged, not shown");
}

#[tokio::test]
async fn an_unreachable_dynamodb_gives_503() {
    // A port nobody listens on: the real SDK fails to connect.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let sdk = crate::helpers::sdk_at(format!("http://127.0.0.1:{port}")).await;
    let store = svet_aws::DynamoStore::new(svet_aws::dynamodb_client::Client::new(&sdk), "nowhere", clock());
    let (status, body, _) = call(&app(Arc::new(store)), Method::GET, "/api/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "unavailable");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let h = Harness::sqlite().await;
    let app = app(h.store.clone());
    let (status, body, _) = call(&app, Method::GET, "/api/nothing-here").await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, body, headers) = call(&app, Method::DELETE, "/api/health").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    assert_eq!(headers["allow"], "GET");
}

#[tokio::test]
async fn company_contacts_come_from_the_configuration() {
    let h = Harness::sqlite().await;
    let mut app = app(h.store.clone());
    let custom = svet_domain::config::DEFAULT_TOML.replace("(4842) 701-838", "8 800 000-00-00");
    app.config = Arc::new(Config::parse(&custom).unwrap());
    let (status, body, _) = call(&app, Method::GET, "/api/company").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["support_phone"], "8 800 000-00-00");
    assert_eq!(body["support_email"], "support@ksk.kaluga.ru");
}

/// The session's private key comes from an SSM SecureString at a login function's cold start,
/// and must be the pair of the public key the other functions check with.
#[tokio::test]
async fn the_session_key_is_read_from_ssm() {
    let sdk = crate::helpers::sdk().await;
    let ssm = svet_aws::ssm_client::Client::new(&sdk);
    let name = format!("/svet/{}/session-key", crate::helpers::unique("test"));
    let (pem, public) = crate::helpers::session_pair();
    ssm.put_parameter()
        .name(&name)
        .value(&pem)
        .r#type(svet_aws::ssm_client::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let key = svet_aws::secrets::ssm_secret(&sdk, &name).await.unwrap();
    assert_eq!(key, pem.as_bytes());
    let key = String::from_utf8(key).unwrap();
    assert!(SessionKey::ed25519_issuer(&key, &public).unwrap().can_sign());
    let (_, other_public) = crate::helpers::session_pair();
    assert!(SessionKey::ed25519_issuer(&key, &other_public).is_err(), "not the pair: refused at the start");
    assert!(
        svet_aws::secrets::ssm_secret(&sdk, "/svet/missing").await.is_err(),
        "a missing parameter fails the cold start"
    );
    assert!(SessionKey::hmac(b"short").is_err(), "a short key is refused");
}

/// On AWS only login and activation hold the session's private key. The cookie they sign is
/// good in a function that has the public key alone (here `/api/me`); that function cannot
/// sign one itself, and refuses the cookie of another key pair.
#[tokio::test]
async fn a_session_signed_at_activation_is_checked_with_the_public_key_alone() {
    let mut portal = Portal::aws().await;
    let (pem, public) = crate::helpers::session_pair();
    portal.app.session_key = Arc::new(SessionKey::ed25519_issuer(&pem, &public).unwrap());
    let reader =
        App { session_key: Arc::new(SessionKey::ed25519_verifier(&public).unwrap()), ..portal.app.clone() };
    let cookie = portal.logged_in("180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5").await;
    let me = portal.call_on(&reader, Method::GET, "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["account"], "180211111");

    // The same login through a function with the public key only: the password is right, but
    // no cookie can be signed there, so no session starts (503, as when the key cannot be read).
    let login = serde_json::json!({ "account": "180211111", "password": "Светлячок-2026" });
    let refused = portal.call_on(&reader, Method::POST, "/api/login", Some(login), None).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert!(refused.cookie.is_none());

    // Another deployment's pair: its cookies are no good here.
    let (other_pem, other_public) = crate::helpers::session_pair();
    let other = App {
        session_key: Arc::new(SessionKey::ed25519_issuer(&other_pem, &other_public).unwrap()),
        ..portal.app.clone()
    };
    let login = serde_json::json!({ "account": "180211111", "password": "Светлячок-2026" });
    let foreign = portal.call_on(&other, Method::POST, "/api/login", Some(login), None).await;
    assert_eq!(foreign.status, 200, "{:?}", foreign.body);
    let foreign = foreign.cookie.expect("a cookie signed with the other key");
    let me = portal.call_on(&reader, Method::GET, "/api/me", None, Some(&foreign)).await;
    assert_eq!(me.status, 401);
}

/// A login function whose signing key cannot be read yet (SSM unreachable at its first need)
/// answers 503 to an activation and spends nothing: the same link works once the key comes.
#[tokio::test]
async fn an_activation_without_its_signing_key_spends_nothing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut portal = Portal::aws().await;
    let (pem, public) = crate::helpers::session_pair();
    let reachable = Arc::new(AtomicBool::new(false));
    let load: svet_api::session::LoadPrivateKey = {
        let reachable = reachable.clone();
        Box::new(move || {
            let (reachable, pem) = (reachable.load(Ordering::SeqCst), pem.clone());
            Box::pin(async move {
                anyhow::ensure!(reachable, "SSM is unreachable");
                Ok(pem)
            })
        })
    };
    portal.app.session_key = Arc::new(SessionKey::ed25519_issuer_on_first_use(&public, load).unwrap());
    let email = portal.email("offline-key");
    let form = serde_json::json!({
        "account": "180211112", "password": "Светлячок-2026", "password_confirm": "Светлячок-2026",
        "email": email, "address": "г. Калуга, ул. Кирова, д. 3, кв. 41", "consent": true,
    });
    assert_eq!(portal.post("/api/register", form).await.status, 201);
    let token = portal.last_token(&email, "activate.html").await;

    let refused = portal.post("/api/activate", serde_json::json!({ "token": token })).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert!(refused.cookie.is_none());
    let login = serde_json::json!({ "account": "180211112", "password": "Светлячок-2026" });
    assert_eq!(portal.post("/api/login", login.clone()).await.status, 403, "not activated yet");

    reachable.store(true, Ordering::SeqCst);
    let activated = portal.post("/api/activate", serde_json::json!({ "token": token })).await;
    assert_eq!(activated.status, 200, "the same link, once the key comes: {:?}", activated.body);
    let me = portal.call(Method::GET, "/api/me", None, activated.cookie.as_deref()).await;
    assert_eq!(me.status, 200);
}

//! A whole portal for flow tests: the real route table and handlers over either the embedded
//! adapters (SQLite, outbox) or the AWS ones (DynamoDB and SES on moto), with a fixed clock,
//! requests built as a browser sends them, and the mail read back from where it went.

use std::sync::Arc;

use http::Method;
use jiff::SignedDuration;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;
use svet_api::hasher::Argon2Hasher;
use svet_api::session::{ClientIp, SessionKey};
use svet_api::{App, find, routes::ROUTES};
use svet_domain::registry::{self, ImportOptions, Quiet};
use svet_domain::{FixedClock, SequentialIds};

use crate::helpers::{clock, config, create_table, sdk};

pub const ORIGIN: &str = "http://127.0.0.1:8080";
pub const KEY: &[u8] = b"test session key, thirty-two bytes or more";

const REGISTRY: &str = include_str!("../../infra/local/demo-registry.csv");

pub struct Portal {
    pub app: App,
    /// Unique per portal: moto keeps one mailbox for every test, so addresses must not repeat.
    pub tag: String,
    pub clock: Arc<FixedClock>,
    pub backend: &'static str,
    outbox: Option<tempfile::TempDir>,
    _data: Option<tempfile::TempDir>,
}

/// A mail as received.
#[derive(Debug)]
pub struct Received {
    pub subject: String,
    pub text: String,
    /// (file name, content type, bytes).
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// A response as the browser sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `__Host-svet_session` cookie value set by this response ("" when cleared).
    pub cookie: Option<String>,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
    pub content_type: Option<String>,
    /// The body as sent (a PDF, say).
    pub bytes: Vec<u8>,
    pub headers: http::HeaderMap,
}

impl Portal {
    pub async fn sqlite() -> Portal {
        let clock = clock();
        let data = tempfile::tempdir().unwrap();
        let outbox = tempfile::tempdir().unwrap();
        let ids = Arc::new(SequentialIds::default());
        let store = svet_embedded::SqliteStore::open(data.path().join("svet.db"), clock.clone()).unwrap();
        let mailer = svet_embedded::OutboxMailer::open(
            outbox.path(),
            "Svet <no-reply@svet.example>",
            clock.clone(),
            ids.clone(),
        )
        .unwrap();
        let documents =
            svet_embedded::FolderDocuments::open(data.path().join("documents"), ORIGIN, clock.clone())
                .unwrap();
        let app = app(Arc::new(store), Arc::new(mailer), Arc::new(documents), clock.clone(), ids);
        let portal =
            Portal { app, tag: tag(), clock, backend: "sqlite", outbox: Some(outbox), _data: Some(data) };
        portal.seed().await;
        portal
    }

    pub async fn aws() -> Portal {
        let clock = clock();
        let sdk = sdk().await;
        let ddb = svet_aws::dynamodb_client::Client::new(&sdk);
        let table = create_table(&ddb).await;
        let ses = svet_aws::sesv2_client::Client::new(&sdk);
        ses.create_email_identity().email_identity("no-reply@svet.example").send().await.unwrap();
        let s3 = svet_aws::S3Documents::client(&sdk);
        let bucket = crate::helpers::create_bucket(&s3).await;
        let ids = Arc::new(SequentialIds::default());
        let app = app(
            Arc::new(svet_aws::DynamoStore::new(ddb, table, clock.clone())),
            Arc::new(svet_aws::SesMailer::new(ses, "Svet <no-reply@svet.example>", ids.clone())),
            Arc::new(svet_aws::S3Documents::new(s3, bucket)),
            clock.clone(),
            ids,
        );
        let portal = Portal { app, tag: tag(), clock, backend: "dynamodb", outbox: None, _data: None };
        portal.seed().await;
        portal
    }

    async fn seed(&self) {
        seed_registry(&self.app).await;
    }

    /// An e-mail address of this portal's own, e.g. `ivanov.3f9a…@list.ru`.
    pub fn email(&self, name: &str) -> String {
        format!("{name}.{}@list.ru", self.tag)
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(SignedDuration::from_secs(seconds));
    }

    /// A request as the portal's own pages send it: JSON, with our Origin.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>, cookie: Option<&str>) -> Reply {
        self.send(method, path, body.map(|b| b.to_string()), cookie, Some(ORIGIN), "application/json").await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body), None).await
    }

    /// Any request, as an attacker might build it.
    /// [`Portal::call`] on another `App` over the same ports (e.g. with a payment gateway).
    pub async fn call_on(
        &self,
        app: &App,
        method: Method,
        path: &str,
        body: Option<Value>,
        cookie: Option<&str>,
    ) -> Reply {
        send_to(app, method, path, body.map(|b| b.to_string()), cookie, Some(ORIGIN), "application/json")
            .await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        cookie: Option<&str>,
        origin: Option<&str>,
        content_type: &str,
    ) -> Reply {
        send_to(&self.app, method, path, body, cookie, origin, content_type).await
    }

    /// Registers and activates a demo account; returns its session cookie.
    pub async fn logged_in(&self, account: &str, address: &str) -> String {
        let email = self.email(&format!("user{account}"));
        let form = serde_json::json!({
            "account": account, "password": "Светлячок-2026", "password_confirm": "Светлячок-2026",
            "email": email, "address": address, "consent": true,
        });
        let r = self.post("/api/register", form).await;
        assert_eq!(r.status, 201, "{}: register {account}: {:?}", self.backend, r.body);
        let token = self.last_token(&email, "activate.html").await;
        self.post("/api/activate", serde_json::json!({ "token": token })).await.cookie.expect("a session")
    }

    /// Every mail sent to `to`, oldest first, as (subject, text).
    pub async fn mails_to(&self, to: &str) -> Vec<(String, String)> {
        self.messages_to(to).await.into_iter().map(|m| (m.subject, m.text)).collect()
    }

    /// Every mail sent to `to`, oldest first, with its attachments.
    pub async fn messages_to(&self, to: &str) -> Vec<Received> {
        let raws: Vec<Vec<u8>> = match &self.outbox {
            Some(dir) => {
                let mut files: Vec<_> =
                    std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
                files.sort();
                files.iter().map(|f| std::fs::read(f).unwrap()).collect()
            }
            None => {
                let data = crate::helpers::moto_data().await;
                data["ses"]["RawMessage"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|m| m["raw_data"].as_str().map(|s| s.as_bytes().to_vec()))
                    .collect()
            }
        };
        raws.iter()
            .filter_map(|raw| MessageParser::default().parse(raw))
            .filter(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(to))
            .map(|m| Received {
                subject: m.subject().unwrap_or("").to_owned(),
                text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                attachments: m
                    .attachments()
                    .map(|a| {
                        (
                            a.attachment_name().unwrap_or("").to_owned(),
                            a.content_type()
                                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
                                .unwrap_or_default(),
                            a.contents().to_vec(),
                        )
                    })
                    .collect(),
            })
            .collect()
    }

    /// The token of the last link to `page` mailed to `to`.
    pub async fn last_token(&self, to: &str, page: &str) -> String {
        let mails = self.mails_to(to).await;
        let needle = format!("{ORIGIN}/{page}#token=");
        mails
            .iter()
            .rev()
            .find_map(|(_, text)| {
                let start = text.find(&needle)? + needle.len();
                Some(text[start..].split_whitespace().next()?.to_owned())
            })
            .unwrap_or_else(|| panic!("{}: no mail to {to} with a link to {page}: {mails:?}", self.backend))
    }
}

/// One request through the route table and `dispatch`, as the local server and Lambda do.
pub async fn send_to(
    app: &App,
    method: Method,
    path: &str,
    body: Option<String>,
    cookie: Option<&str>,
    origin: Option<&str>,
    content_type: &str,
) -> Reply {
    let mut builder =
        http::Request::builder().method(method.clone()).uri(path).header("content-type", content_type);
    if let Some(origin) = origin {
        builder = builder.header("origin", origin);
    }
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", format!("__Host-svet_session={cookie}"));
    }
    let body = body.map_or(lambda_http::Body::Empty, lambda_http::Body::Text);
    let mut request = builder.body(body).unwrap();
    request.extensions_mut().insert(ClientIp("192.0.2.7".into()));
    let route_path = path.split('?').next().unwrap_or(path);
    let response = match find(ROUTES, &method, route_path) {
        Ok((route, _)) => svet_api::dispatch(app, route, request).await,
        Err(e) => e.into_response(),
    };
    let cookie =
        response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
            v.strip_prefix("__Host-svet_session=").map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        });
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = response.body().to_vec();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let headers = response.headers().clone();
    Reply { status: response.status().as_u16(), body, cookie, location, content_type, bytes, headers }
}

pub fn tag() -> String {
    crate::helpers::unique("t").replace('-', "")
}

pub fn app(
    store: Arc<dyn svet_domain::Store>,
    mailer: Arc<dyn svet_domain::Mailer>,
    documents: Arc<dyn svet_domain::Documents>,
    clock: Arc<FixedClock>,
    ids: Arc<SequentialIds>,
) -> App {
    App {
        store,
        documents,
        mailer,
        clock,
        ids,
        hasher: Arc::new(Argon2Hasher),
        session_key: Arc::new(SessionKey::hmac(KEY).unwrap()),
        config: Arc::new(config()),
        public_url: ORIGIN.into(),
        origins: vec![ORIGIN.into()],
        payments: None,
    }
}

/// Declares each listed `async fn(&Portal)` as a test on both hosts' adapters.
macro_rules! on_both_portals {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name(&crate::portal::Portal::sqlite().await).await; } )*
        }
        mod dynamodb {
            $( #[tokio::test] async fn $name() { super::$name(&crate::portal::Portal::aws().await).await; } )*
        }
    };
}
pub(crate) use on_both_portals;

/// Imports the demo registry (the five demo accounts) into the application's store.
pub async fn seed_registry(app: &App) {
    registry::import(
        app.store.as_ref(),
        &app.config,
        app.clock.as_ref(),
        app.ids.as_ref(),
        || Ok(std::io::Cursor::new(REGISTRY.as_bytes())),
        "demo",
        REGISTRY.len() as u64,
        &ImportOptions::default(),
        &Quiet,
        &mut |_| {},
    )
    .await
    .unwrap();
}

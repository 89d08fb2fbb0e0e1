//! Identity benchmarks for scripts/bench-identity, on the embedded store in a temporary
//! folder: argon2id hashing with Svet's parameters, the login handler's latency in-process,
//! registration end to end (checks, hash, transaction, activation mail to the outbox), and the
//! session check of a request with an HS256 session (local) and an EdDSA one (AWS).

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Value, json};
use svet_api::hasher::Argon2Hasher;
use svet_api::session::{ClientIp, SessionKey};
use svet_api::{App, find, routes::ROUTES};
use svet_domain::identity::passwords::PasswordHasher;
use svet_domain::registry::{self, ImportOptions, Quiet};
use svet_domain::{Config, RandomIds, SystemClock};

const ORIGIN: &str = "http://127.0.0.1:8080";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let hashes: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(30);
    let requests: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(200);

    let hasher = Argon2Hasher;
    hasher.warm_up();
    let mut times = Vec::new();
    for _ in 0..hashes {
        let started = Instant::now();
        hasher.hash("Светлячок-2026").await?;
        times.push(started.elapsed());
    }
    report("argon2id hash (m=19456 KiB, t=2, p=1), one core", &mut times);

    let dir = tempfile::tempdir()?;
    let app = app(dir.path())?;
    let rows: String = (0..requests)
        .map(|i| {
            format!(
                "{};г. Калуга, ул. Ленина, д. {}, кв. {};single;5;1;;urban;0\n",
                300_000_000 + i,
                i % 90 + 1,
                i + 1
            )
        })
        .collect();
    let file = format!("account;address;meter;digits;reading;reading_night;tariff;balance\n{rows}");
    registry::import(
        app.store.as_ref(),
        &app.config,
        app.clock.as_ref(),
        app.ids.as_ref(),
        || Ok(std::io::Cursor::new(file.clone().into_bytes())),
        "bench",
        file.len() as u64,
        &ImportOptions::default(),
        &Quiet,
        &mut |_| {},
    )
    .await?;

    let mut times = Vec::new();
    for i in 0..requests {
        let form = json!({
            "account": (300_000_000 + i).to_string(), "password": "Светлячок-2026", "password_confirm": "Светлячок-2026",
            "email": format!("user{i}@list.ru"), "address": format!("Калуга, Ленина {}, кв {}", i % 90 + 1, i + 1), "consent": true,
        });
        let started = Instant::now();
        let (status, _) = call(&app, Method::POST, "/api/register", form, i).await;
        times.push(started.elapsed());
        anyhow::ensure!(status == 201, "registration {i} answered {status}");
    }
    report("registration end to end (handler, argon2, transaction, mail to the outbox)", &mut times);

    // Activate one account by its token from the outbox, then log in repeatedly.
    let text = std::fs::read_dir(dir.path().join("outbox"))?
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|raw| {
            let message = mail_parser::MessageParser::default().parse(&raw)?;
            let to = message.to()?.first()?.address()?.to_owned();
            (to == "user0@list.ru").then(|| message.body_text(0).map(|t| t.into_owned()))?
        })
        .next()
        .ok_or_else(|| anyhow::anyhow!("no activation mail"))?;
    let token: String = text
        .split("#token=")
        .nth(1)
        .map(|t| t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
        .ok_or_else(|| anyhow::anyhow!("no token in the mail"))?;
    let (status, _) = call(&app, Method::POST, "/api/activate", json!({ "token": token }), 0).await;
    anyhow::ensure!(status == 200, "activation answered {status}");
    let mut times = Vec::new();
    for i in 0..requests {
        let started = Instant::now();
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/login",
            json!({ "account": "300000000", "password": "Светлячок-2026" }),
            i,
        )
        .await;
        times.push(started.elapsed());
        anyhow::ensure!(status == 200, "login {i} answered {status}");
    }
    report("login handler in-process (argon2 verify, store reads, session write)", &mut times);

    // The session check of every request with a session, as the local server signs (HS256) and
    // as the functions on AWS do (EdDSA, the public key only): GET /api/me, whose other work
    // is one store read.
    let signing = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]);
    let pem = {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        signing.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)?.to_string()
    };
    let public = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes())
    };
    let eddsa = App { session_key: Arc::new(SessionKey::ed25519_issuer(&pem, &public)?), ..app.clone() };
    for (name, app) in [("HS256", &app), ("EdDSA", &eddsa)] {
        let login = json!({ "account": "300000000", "password": "Светлячок-2026" });
        let (status, _, cookie) = send(app, Method::POST, "/api/login", login, 0, None).await;
        anyhow::ensure!(status == 200, "login answered {status}");
        let cookie = cookie.ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
        let mut times = Vec::new();
        for i in 0..requests * 10 {
            let started = Instant::now();
            let (status, _, _) = send(app, Method::GET, "/api/me", Value::Null, i, Some(&cookie)).await;
            times.push(started.elapsed());
            anyhow::ensure!(status == 200, "me {i} answered {status}");
        }
        report(
            &format!("GET /api/me with an {name} session (signature check and one store read)"),
            &mut times,
        );
    }
    Ok(())
}

fn app(dir: &std::path::Path) -> anyhow::Result<App> {
    let clock = Arc::new(SystemClock);
    let ids = Arc::new(RandomIds);
    let store = svet_embedded::SqliteStore::open(dir.join("svet.db"), clock.clone())?;
    Ok(App {
        store: Arc::new(store),
        documents: Arc::new(svet_embedded::FolderDocuments::open(
            dir.join("documents"),
            ORIGIN,
            clock.clone(),
        )?),
        mailer: Arc::new(svet_embedded::OutboxMailer::open(
            dir.join("outbox"),
            "Svet <no-reply@svet.example>",
            clock.clone(),
            ids.clone(),
        )?),
        clock,
        ids,
        hasher: Arc::new(Argon2Hasher),
        session_key: Arc::new(SessionKey::hmac(&[7u8; 32])?),
        config: Arc::new(Config::from_env()?),
        public_url: ORIGIN.into(),
        origins: vec![ORIGIN.into()],
        payments: None,
    })
}

/// One request through the router and `dispatch`, from its own IP (the per-IP limits would
/// otherwise stop a benchmark).
async fn call(app: &App, method: Method, path: &str, body: Value, i: usize) -> (u16, Value) {
    let (status, body, _) = send(app, method, path, body, i, None).await;
    (status, body)
}

/// [`call`] with a session cookie sent, and the one set returned.
async fn send(
    app: &App,
    method: Method,
    path: &str,
    body: Value,
    i: usize,
    cookie: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut builder = http::Request::builder()
        .method(method.clone())
        .uri(path)
        .header("content-type", "application/json")
        .header("origin", ORIGIN);
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", format!("{}={cookie}", svet_api::session::COOKIE));
    }
    let body = match body {
        Value::Null => lambda_http::Body::Empty,
        body => lambda_http::Body::Text(body.to_string()),
    };
    let mut request = builder.body(body).expect("a valid request");
    request.extensions_mut().insert(ClientIp(format!(
        "10.{}.{}.{}",
        i / 65536 % 256,
        i / 256 % 256,
        i % 256
    )));
    let (route, _) = find(ROUTES, &method, path).expect("a route");
    let response = svet_api::dispatch(app, route, request).await;
    let set = response
        .headers()
        .get(http::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(svet_api::session::COOKIE)?.strip_prefix('='))
        .map(|v| v.split(';').next().unwrap_or("").to_owned());
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body, set)
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let pick = |q: usize| times[(times.len() * q / 100).min(times.len() - 1)];
    println!(
        "{what}: n={} p50={:.1?} p99={:.1?} max={:.1?}",
        times.len(),
        pick(50),
        pick(99),
        times[times.len() - 1]
    );
}

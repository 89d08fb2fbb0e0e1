//! Identity benchmarks for scripts/bench-identity, on the embedded store in a temporary
//! folder: argon2id hashing with Svet's parameters, the login handler's latency in-process,
//! and registration end to end (checks, hash, transaction, activation mail to the outbox).

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
    let mut request = http::Request::builder()
        .method(method.clone())
        .uri(path)
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .body(lambda_http::Body::Text(body.to_string()))
        .expect("a valid request");
    request.extensions_mut().insert(ClientIp(format!(
        "10.{}.{}.{}",
        i / 65536 % 256,
        i / 256 % 256,
        i % 256
    )));
    let (route, _) = find(ROUTES, &method, path).expect("a route");
    let response = svet_api::dispatch(app, route, request).await;
    (response.status().as_u16(), serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null))
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

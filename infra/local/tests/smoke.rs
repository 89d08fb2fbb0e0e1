//! The built local server as a user starts it: `svet serve` on a free port with a fresh data
//! folder. Health, the main page, JSON errors, signed document links, the mail outbox page,
//! and `svet import-registry` running beside the server on the same data folder.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use svet_domain::documents::{DocKey, Document, Documents};
use svet_domain::mail::{Mail, Mailer};
use svet_domain::registry::registry_key;
use svet_domain::{AccountNumber, Key, RandomIds, Store, SystemClock};

const SVET: &str = env!("CARGO_BIN_EXE_svet");

/// The running server; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path) -> Server {
    let mut child = Command::new(SVET)
        .args(["serve", "--port", "0"])
        .env("SVET_DATA_DIR", data)
        .env("SVET_WEB_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../web"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the svet binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).expect("the server says it is running within 30 s");
    let url = line
        .strip_prefix("Svet is running at ")
        .and_then(|rest| rest.split('/').take(3).collect::<Vec<_>>().join("/").into())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    Server { child, url }
}

/// The status of a request sent byte for byte (an HTTP client would normalise the path).
fn raw_status(url: &str, head: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    write!(stream, "{head}\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn import(data: &Path, file: &Path) -> (i32, String, String) {
    let out = Command::new(SVET)
        .arg("import-registry")
        .arg(file)
        .env("SVET_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("svet import-registry runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn the_local_server_serves_the_portal_and_operators_work_beside_it() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.url)).send();

    // Health and the main page.
    let health = get("/api/health").await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let page = get("/").await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Личный кабинет</h1>") && html.contains("Зарегистрироваться"), "{html}");
    assert_eq!(get("/css/site.css").await.unwrap().headers()["content-type"], "text/css; charset=utf-8");

    // The API's OpenAPI document (docs/openapi.yaml), served by the local server only.
    let openapi = get("/api/openapi.yaml").await.unwrap();
    assert_eq!(openapi.status(), 200);
    assert_eq!(openapi.headers()["content-type"], "application/yaml; charset=utf-8");
    let text = openapi.text().await.unwrap();
    assert!(text.starts_with("openapi: 3.1") || text.contains("\nopenapi: 3.1."), "{text:.200}");
    assert!(text.contains("/api/payments/receipt.pdf:"));

    // Errors.
    let missing = get("/api/nope").await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<serde_json::Value>().await.unwrap()["error"], "not_found");
    let wrong = http.post(format!("{}/api/health", server.url)).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    for sneaky in ["/%2e%2e/Cargo.toml", "/../Cargo.toml", "/.svet/svet.db"] {
        let status = raw_status(&server.url, &format!("GET {sneaky} HTTP/1.1"));
        assert!(status == 400 || status == 404, "{sneaky}: {status}");
    }
    let lost = get("/no-such-page").await.unwrap();
    assert_eq!(lost.status(), 404);
    assert!(lost.text().await.unwrap().contains("Страница не найдена"));
    let huge = raw_status(&server.url, "POST /api/health HTTP/1.1\r\nContent-Length: 2097152");
    assert_eq!(huge, 413, "an oversized body is refused before it is read");

    // The demo registry was seeded on first start.
    let store = svet_embedded::SqliteStore::open(data.path().join("svet.db"), Arc::new(SystemClock)).unwrap();
    for account in ["180211111", "180211112", "180211113", "180211114", "180211115"] {
        let key = registry_key(&AccountNumber::parse(account).unwrap());
        assert!(store.get(&key).await.unwrap().is_some(), "demo account {account}");
    }

    // The server's own clock posts last month's bills from 03:00 on the 5th (Moscow time).
    let now = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Europe/Moscow").unwrap());
    let due = now.day() > 5 || (now.day() == 5 && now.hour() >= 3);
    let last_month = now.date().first_of_month().yesterday().unwrap();
    let bill = Key::new("ACCOUNT#180211111", format!("BILL#{}", last_month.strftime("%Y-%m")));
    let mut posted = false;
    for _ in 0..50 {
        posted = store.get(&bill).await.unwrap().is_some();
        if posted || !due {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(posted, due, "last month's bill is posted by the server's clock exactly when it is due");

    // A document link from the folder adapter opens through the server; a forged one does not.
    let docs = svet_embedded::FolderDocuments::open(
        data.path().join("documents"),
        &server.url,
        Arc::new(SystemClock),
    )
    .unwrap();
    let key = DocKey::parse("bills/2026-01/180211111.pdf").unwrap();
    docs.put(&key, Document { bytes: b"%PDF-1.7 demo".to_vec(), content_type: "application/pdf".into() })
        .await
        .unwrap();
    let link = docs.link(&key, Duration::from_secs(60)).await.unwrap();
    let file = reqwest::get(&link).await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.7 demo");
    let forged = link.replace("180211111.pdf", "180211112.pdf");
    assert_eq!(reqwest::get(&forged).await.unwrap().status(), 403);

    // Mail in the outbox shows at /dev/mail with its link clickable and markup inert.
    let outbox = svet_embedded::OutboxMailer::open(
        data.path().join("outbox"),
        "Svet <no-reply@svet.example>",
        Arc::new(SystemClock),
        Arc::new(RandomIds),
    )
    .unwrap();
    let mail = Mail {
        to: "ivanov@list.ru".into(),
        subject: "Активация личного кабинета".into(),
        text: "Перейдите по ссылке: http://127.0.0.1/activate?token=abc <script>alert(1)</script>".into(),
        html: None,
        attachments: vec![],
    };
    outbox.send(&mail).await.unwrap();
    let mail_page = get("/dev/mail").await.unwrap().text().await.unwrap();
    assert!(mail_page.contains("Активация личного кабинета"), "{mail_page}");
    assert!(mail_page.contains("<a href=\"http://127.0.0.1/activate?token=abc\">"), "{mail_page}");
    assert!(mail_page.contains("&lt;script&gt;") && !mail_page.contains("<script>alert"), "{mail_page}");

    // The operators' import runs while the server runs, on the same data folder.
    let registry = data.path().join("registry.csv");
    std::fs::write(
        &registry,
        "account;address;meter;digits;reading;reading_night;tariff;balance\n\
        190000001;г. Калуга, ул. Новая, д. 1;single;5;100;;urban;10,00\n\
        190000002;г. Калуга, ул. Новая, д. 2;none;;;;rural;0\n",
    )
    .unwrap();
    let (code, stdout, stderr) = import(data.path(), &registry);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("rows 2: imported 2, updated 0, unchanged 0, refused 0"), "{stdout}");
    assert!(store.get(&registry_key(&AccountNumber::parse("190000002").unwrap())).await.unwrap().is_some());
    assert_eq!(get("/api/health").await.unwrap().status(), 200, "the server still answers");

    std::fs::write(
        &registry,
        "account;address;meter;digits;reading;reading_night;tariff;balance\n\
        190000001;г. Калуга, ул. Новая, д. 1;single;5;100;;urban;10,00\n\
        19000000X;г. Калуга;none;;;;urban;0\n",
    )
    .unwrap();
    let (code, stdout, stderr) = import(data.path(), &registry);
    assert_eq!(code, 3, "some rows refused: {stdout}\n{stderr}");
    assert!(stderr.contains("refused line 3: account: unexpected character 'X'"), "{stderr}");
    assert!(stdout.contains("unchanged 1, refused 1"), "{stdout}");

    std::fs::write(&registry, "").unwrap();
    let (code, _, stderr) = import(data.path(), &registry);
    assert_eq!(code, 1);
    assert!(stderr.contains("the file is empty") && stderr.contains("Nothing was written"), "{stderr}");

    // The month's bills, twice: the second run posts nothing new.
    let bills = |period: &str| {
        let out = Command::new(SVET)
            .args(["generate-bills", "--period", period])
            .env("SVET_DATA_DIR", data.path())
            .env("RUST_LOG", "warn")
            .output()
            .expect("svet generate-bills runs");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, stdout) = bills("2026-01");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("accounts 7: posted 7, already posted 0, failed 0"), "{stdout}");
    let (_, stdout) = bills("2026-01");
    assert!(stdout.contains("accounts 7: posted 0, already posted 7, failed 0"), "{stdout}");
    assert_eq!(bills("2026-13").0, Some(1), "a month that does not exist");
}

/// A tariff file with overlapping dates stops the server at start-up, with the reason.
#[test]
fn a_broken_tariff_file_stops_the_start() {
    let data = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/tariffs.toml")).unwrap();
    let first = good.find("\n[[prices]]").expect("the tariff file has prices") + 1;
    let block_end = good[first..].find("\n[[prices]]").map_or(good.len(), |i| first + i + 1);
    let broken = format!("{good}\n{}", &good[first..block_end]);
    let file = data.path().join("tariffs.toml");
    std::fs::write(&file, broken).unwrap();
    let out = Command::new(SVET)
        .args(["serve", "--port", "0"])
        .env("SVET_DATA_DIR", data.path())
        .env("SVET_TARIFFS", &file)
        .output()
        .expect("the svet binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the server must not start");
    assert!(stderr.contains("tariff") && stderr.contains("overlap"), "{stderr}");
}

/// The bank's gateway simulator answers inside the local server under `/sim/sberbank/`, with
/// the bank's own paths, credentials and payment page.
#[tokio::test]
async fn the_local_server_plays_the_bank() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let api = format!("{}/sim/sberbank/payment/rest", server.url);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let call = |method: &str, form: Vec<(&str, String)>| {
        let request = client.post(format!("{api}/{method}")).form(&form);
        async move {
            let reply = request.send().await.unwrap();
            assert_eq!(reply.status(), 200);
            reply.json::<serde_json::Value>().await.unwrap()
        }
    };
    let auth = |mut form: Vec<(&'static str, String)>| {
        form.extend([("userName", "svet-api".to_owned()), ("password", "svet".to_owned())]);
        form
    };

    let registered = call(
        "register.do",
        auth(vec![
            ("orderNumber", "smoke-1".to_owned()),
            ("amount", "12345".to_owned()),
            ("returnUrl", format!("{}/bill.html", server.url)),
        ]),
    )
    .await;
    assert!(registered.get("errorCode").is_none(), "a registered order has no errorCode: {registered}");
    let order = registered["orderId"].as_str().unwrap().to_owned();
    let form_url = registered["formUrl"].as_str().unwrap();
    // The bank's page is on another site than the portal: localhost, not 127.0.0.1.
    let bank_site = server.url.replace("127.0.0.1", "localhost");
    assert_ne!(bank_site, server.url);
    assert!(form_url.starts_with(&format!("{bank_site}/sim/sberbank/")), "{form_url}");

    let page = client.get(form_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for label in ["Номер карты", "Срок действия", "CVC", "Оплатить картой", "123,45"]
    {
        assert!(html.contains(label), "{label:?} not on the payment page");
    }

    let status = call("getOrderStatusExtended.do", auth(vec![("orderId", order)])).await;
    assert_eq!(status["orderStatus"], 0, "{status}");
    assert_eq!(status["amount"], 12345);

    let refused = call(
        "register.do",
        vec![
            ("userName", "svet-api".to_owned()),
            ("password", "wrong".to_owned()),
            ("orderNumber", "smoke-2".to_owned()),
            ("amount", "100".to_owned()),
            ("returnUrl", format!("{}/bill.html", server.url)),
        ],
    )
    .await;
    assert_eq!(refused["errorCode"], "5", "{refused}");
}

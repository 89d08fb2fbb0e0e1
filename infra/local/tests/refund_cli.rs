//! `svet refund` end to end: the built server on a free port with a fresh data folder, a payment
//! paid on its simulator's page, then the command run beside the server on the same folder, as
//! an operator would: a partial refund, the amount above what is left, an unknown payment and
//! bad arguments, with their exit codes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use svet_domain::identity::input::parse_email;
use svet_domain::payments::{OrderRef, PaymentStatus, Payments, StartPayment};
use svet_domain::readings::Typed;
use svet_domain::{AccountNumber, Config, Kopecks, RandomIds, Store, SystemClock};
use svet_sberbank::{
    CallbackKey, Client, Credentials, FiscalSettings, GatewayConfig, PaymentObject, SberbankGateway, Secret,
    TaxType, Url,
};

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
        .env("SVET_AUTO_BILLS", "0")
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
        .map(|rest| rest.split('/').take(3).collect::<Vec<_>>().join("/"))
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    Server { child, url }
}

/// `svet refund ARGS…` on the data folder, with the server's port: (exit code, stdout, stderr).
fn refund(data: &Path, port: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(SVET)
        .arg("refund")
        .args(args)
        .env("SVET_DATA_DIR", data)
        .env("SVET_PORT", port)
        .env("RUST_LOG", "warn")
        .output()
        .expect("svet refund runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The server's simulator as the server's own gateway reaches it.
fn gateway(server: &str) -> SberbankGateway {
    let url = Url::parse(&format!("{server}/sim/sberbank/payment/rest/")).unwrap();
    let credentials = Credentials::Password { user_name: "svet-api".into(), password: Secret::new("svet") };
    SberbankGateway::new(
        Client::new(GatewayConfig::new(url, credentials)).unwrap(),
        CallbackKey::hmac(Secret::new(svet_sberbank_sim::TEST_CALLBACK_KEY)).unwrap(),
        FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
    )
}

#[tokio::test]
async fn an_operator_refunds_part_of_a_payment_beside_the_server() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let port = server.url.rsplit(':').next().unwrap().to_owned();

    // A payment of 500,00 ₽ by the meterless demo account, paid on the simulator's page.
    let store = svet_embedded::SqliteStore::open(data.path().join("svet.db"), Arc::new(SystemClock)).unwrap();
    let bank = gateway(&server.url);
    let config = Config::parse(svet_domain::config::DEFAULT_TOML).unwrap();
    let pay =
        Payments { store: &store, clock: &SystemClock, ids: &RandomIds, config: &config, gateway: &bank };
    let account = AccountNumber::parse("180211113").unwrap();
    let started = pay
        .start(&StartPayment {
            account: &account,
            amount: Kopecks::new(50_000),
            email: parse_email("operator-test@list.ru").unwrap(),
            receipt_mail: false,
            readings: &Typed::default(),
            confirm_readings: false,
            idempotency_key: "cli-refund-form",
            return_url: &format!("{}/api/payments/return", server.url),
        })
        .await
        .unwrap();
    let order_id = started.payment.order_id.clone().unwrap();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut page = Url::parse(&started.form_url).unwrap();
    page.set_query(None);
    let card =
        [("mdOrder", order_id.as_str()), ("pan", "2202205000012424"), ("expiry", "05/28"), ("cvc", "649")];
    assert!(browser.post(page).form(&card).send().await.unwrap().status().is_redirection());
    let paid = pay.confirm(OrderRef::Id(&order_id)).await.unwrap().unwrap().payment;
    assert_eq!(paid.status, PaymentStatus::Paid);
    let id = paid.id.clone();

    // A partial refund.
    let (code, out, err) = refund(data.path(), &port, &[&id, "100,50"]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("Refunded 100,50"), "{out}");
    assert!(out.contains("refunded 100,50") && out.contains("left 399,50"), "{out}");
    assert!(!out.contains("180211113"), "the account is masked: {out}");
    let now: svet_domain::payments::Payment =
        store.get(&paid.key()).await.unwrap().unwrap().to_serde().unwrap();
    assert_eq!((now.status, now.refunded), (PaymentStatus::Refunded, Kopecks::new(10_050)));

    // More than is left, an unknown payment: refused (3), nothing changed.
    let (code, _, err) = refund(data.path(), &port, &[&id, "400"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("more than is left to refund"), "{err}");
    let (code, _, err) = refund(data.path(), &port, &["no-such-payment", "1"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no card payment"), "{err}");

    // Bad arguments (2).
    for args in [&[id.as_str()][..], &[id.as_str(), "1.50"], &[id.as_str(), "1", "2"]] {
        let (code, _, err) = refund(data.path(), &port, args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }

    // The rest.
    let (code, out, err) = refund(data.path(), &port, &[&id, "399,50"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("refunded 500,00") && out.contains("left 0,00"), "{out}");
}

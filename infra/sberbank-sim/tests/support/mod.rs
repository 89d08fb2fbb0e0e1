//! The simulator on a free port with a manual clock, a client that speaks to it as a
//! merchant would (form posts, JSON answers) and as a customer's browser would (the payment
//! page, redirects not followed), and a tiny merchant server that records callbacks.

#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use serde_json::Value;
use svet_sberbank_sim::{Config, ManualClock, Simulator, server};

/// 2026-03-10 12:00 in Moscow.
pub const START: &str = "2026-03-10T09:00:00Z";

pub struct Bank {
    pub url: String,
    pub sim: Arc<Simulator>,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
}

pub async fn start(config: Config) -> Bank {
    let clock = Arc::new(ManualClock::new(START.parse::<Timestamp>().unwrap()));
    let sim = Arc::new(Simulator::with_clock(config, clock.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(listener, sim.clone()));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Bank { url, sim, clock, http }
}

/// The default test merchant's credentials and a form of extra fields.
pub fn with_auth<'a>(fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("userName", "svet-api"), ("password", "svet")];
    form.extend_from_slice(fields);
    form
}

impl Bank {
    /// POSTs a form to `/payment/rest/<method>` and returns the JSON answer.
    pub async fn call(&self, method: &str, form: &[(&str, &str)]) -> Value {
        let response =
            self.http.post(format!("{}/payment/rest/{method}", self.url)).form(form).send().await.unwrap();
        assert_eq!(response.status(), 200, "{method}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("application/json"), "{content_type}");
        response.json().await.unwrap()
    }

    /// register.do with the merchant's credentials; returns (orderId, formUrl).
    pub async fn register(&self, number: &str, amount: &str, extra: &[(&str, &str)]) -> (String, String) {
        let mut form = with_auth(&[
            ("orderNumber", number),
            ("amount", amount),
            ("returnUrl", "https://shop.example/paid?x=1"),
        ]);
        form.extend_from_slice(extra);
        let reply = self.call("register.do", &form).await;
        assert!(reply.get("errorCode").is_none(), "{reply}");
        (reply["orderId"].as_str().unwrap().to_owned(), reply["formUrl"].as_str().unwrap().to_owned())
    }

    pub async fn status(&self, id: &str) -> Value {
        let reply = self.call("getOrderStatusExtended.do", &with_auth(&[("orderId", id)])).await;
        assert_eq!(reply["errorCode"], "0", "{reply}");
        reply
    }

    /// Submits a card on the payment page, as the browser posts its form.
    pub async fn pay(&self, id: &str, pan: &str, expiry: &str, cvc: &str) -> reqwest::Response {
        let page = format!("{}{}", self.url, svet_sberbank_sim::PAGE_PATH);
        self.http
            .post(page)
            .form(&[("mdOrder", id), ("pan", pan), ("expiry", expiry), ("cvc", cvc)])
            .send()
            .await
            .unwrap()
    }

    /// Follows a redirect to the 3-D Secure page and submits `code` there.
    pub async fn confirm(&self, challenge: reqwest::Response, code: &str) -> reqwest::Response {
        assert_eq!(challenge.status(), 303);
        let location = format!("{}{}", self.url, location(&challenge));
        let page = self.http.get(&location).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(r#"<label for="code">Код подтверждения</label>"#), "{page}");
        let id = location.split("mdOrder=").nth(1).unwrap().to_owned();
        let action = location.split('?').next().unwrap().to_owned();
        self.http.post(action).form(&[("mdOrder", id.as_str()), ("code", code)]).send().await.unwrap()
    }

    pub async fn page(&self, form_url: &str) -> (u16, String) {
        let response = self.http.get(form_url).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A merchant's callback endpoint: records each request's query and answers with the next
/// status of `answers` (200 once they run out).
pub struct Merchant {
    pub url: String,
    pub received: Arc<Mutex<Vec<String>>>,
}

pub async fn merchant(answers: Vec<u16>) -> Merchant {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sber/callback", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let log = received.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (log, answers) = (log.clone(), answers.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    log.lock().unwrap().push(request.uri().query().unwrap_or("").to_owned());
                    let status = answers.lock().unwrap().next().unwrap_or(200);
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"OK")));
                    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    Merchant { url, received }
}

impl Merchant {
    pub fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    /// Waits up to 5 s for at least `n` callbacks.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        // Up to 15 s: generous for a loaded CI machine; a passing test returns at once.
        for _ in 0..300 {
            if self.received().len() >= n {
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} callbacks, got {:?}", self.received());
    }
}

/// The query's parameters, in order.
pub fn params(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

pub fn param(query: &str, name: &str) -> Option<String> {
    params(query).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

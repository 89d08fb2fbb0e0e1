//! The gateway client: register.do, getOrderStatusExtended.do, refund.do and reverse.do of the
//! legacy REST form API, over reqwest with rustls (certificate verification always on).
//!
//! Retries follow what is safe for each method:
//! - getOrderStatusExtended.do only reads, so it is repeated after any transport failure, an
//!   HTTP 5xx or 429, or error code 7 (system error);
//! - register.do, refund.do and reverse.do change money or orders, so they are repeated only
//!   when the connection was never made and the bank certainly saw nothing. Any other failure
//!   is returned as it is, and [`Error::may_have_reached_bank`] tells the caller to look at the
//!   order's status before deciding what to do next.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde_json::{Map, Value};
use svet_domain::Kopecks;
use tracing::{Instrument, debug, info_span, warn};

use crate::codes::GatewayErrorCode;
use crate::config::{ConfigError, Credentials, GatewayConfig, RetryPolicy};
use crate::error::{Delivery, Error, Operation};
use crate::order::{OrderId, OrderNumber, OrderRef};
use crate::receipt::{Cheque, RUB};
use crate::status::OrderReport;
use crate::wire;

/// Largest amount the gateway takes: 12 digits of kopecks.
pub const MAX_AMOUNT: Kopecks = Kopecks::new(999_999_999_999);
/// Longest order description sent. The bank accepts 512 characters but recommends at most 99,
/// and only the first 24 reach card processing.
pub const MAX_DESCRIPTION: usize = 99;
/// Language of the payment page and of the gateway's error messages.
const LANGUAGE: &str = "ru";

/// One merchant account's connection to the gateway. Cheap to share: build it once per process
/// (per Lambda container) and borrow it.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    retry: RetryPolicy,
}

/// A one-stage order to register: the customer pays it on the bank's page at `formUrl`.
#[derive(Debug, Clone)]
pub struct RegisterOrder {
    /// A fresh number for this attempt ([`OrderNumber::generate`]), stored with the payment
    /// before the call.
    pub order_number: OrderNumber,
    pub amount: Kopecks,
    /// Where the bank sends the browser back; the gateway appends `orderId=…`.
    pub return_url: Url,
    /// Where the browser goes after a failed payment; `return_url` when absent.
    pub fail_url: Option<Url>,
    /// At most [`MAX_DESCRIPTION`] characters; shown on the payment page.
    pub description: String,
    /// The order's lifetime; the gateway's default (20 minutes) when absent.
    pub session_timeout: Option<Duration>,
    /// Extra parameters echoed back in the status as `merchantOrderParams`.
    pub json_params: Vec<(String, String)>,
    /// The 54-FZ cheque (`orderBundle`).
    pub cheque: Cheque,
}

/// A registered order: the gateway's id and the page to send the customer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub order_id: OrderId,
    pub form_url: Url,
}

/// Which calls may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Safety {
    /// A read: any failure may be retried.
    Idempotent,
    /// A change: only when the bank certainly saw nothing.
    OnlyIfNotSent,
}

impl Client {
    /// Checks the configuration and builds the HTTP client. Fails for the not yet implemented
    /// JSON gateway, for plain http to anything but a loopback simulator, and for bad PEM.
    pub fn new(config: GatewayConfig) -> Result<Self, ConfigError> {
        let base = config.checked_base()?;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // Credentials travel in the body: never follow the gateway elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("svet-sberbank/", env!("CARGO_PKG_VERSION")));
        for pem in &config.extra_roots_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| ConfigError::RootCertificate(e.to_string()))?;
            if certificates.is_empty() {
                return Err(ConfigError::RootCertificate("no certificate in the PEM text".into()));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Client { http, base, credentials: config.credentials, retry: config.retry })
    }

    /// register.do: registers a one-stage order with its cheque and returns the payment page.
    ///
    /// Error code 1 ([`GatewayErrorCode::OrderNumberUsed`]) means the number was used before:
    /// generate a new one. When the call fails with [`Error::may_have_reached_bank`], the order
    /// may exist: ask [`Client::order_status`] by number before a new attempt.
    pub async fn register(&self, order: &RegisterOrder) -> Result<Registered, Error> {
        let operation = Operation::Register;
        let invalid = |reason| Err(Error::InvalidRequest { operation, reason });
        if order.amount <= Kopecks::ZERO {
            return invalid("the amount must be positive");
        }
        if order.amount > MAX_AMOUNT {
            return invalid("the amount has more than 12 digits of kopecks");
        }
        if order.description.chars().count() > MAX_DESCRIPTION {
            return invalid("the description is longer than 99 characters");
        }
        let mut params = vec![
            ("orderNumber", order.order_number.to_string()),
            ("amount", order.amount.get().to_string()),
            ("currency", RUB.to_string()),
            ("returnUrl", order.return_url.to_string()),
            ("description", order.description.clone()),
            ("language", LANGUAGE.to_owned()),
            ("orderBundle", order.cheque.order_bundle(order.amount).to_string()),
        ];
        if let Some(fail_url) = &order.fail_url {
            params.push(("failUrl", fail_url.to_string()));
        }
        if let Some(timeout) = order.session_timeout {
            params.push(("sessionTimeoutSecs", timeout.as_secs().max(1).to_string()));
        }
        if !order.json_params.is_empty() {
            let map: Map<String, Value> =
                order.json_params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            params.push(("jsonParams", Value::Object(map).to_string()));
        }
        let span = info_span!("sberbank", method = operation.method(), order_number = %order.order_number);
        let body = self.call(operation, params, Safety::OnlyIfNotSent).instrument(span).await?;
        let registered = read_registered(&body)?;
        if !on_gateway_site(&registered.form_url, &self.base) {
            // The customer would be sent there to type a card number: never to another site.
            let host = registered.form_url.host_str().unwrap_or("no host");
            return Err(Error::Decode {
                operation,
                detail: format!("formUrl is not on the gateway's site ({host})"),
            });
        }
        Ok(registered)
    }

    /// getOrderStatusExtended.do, by the gateway's id or by our order number.
    pub async fn order_status(&self, order: OrderRef<'_>) -> Result<OrderReport, Error> {
        let operation = Operation::OrderStatus;
        let (name, value) = match order {
            OrderRef::Id(id) => ("orderId", id.to_string()),
            OrderRef::Number(number) => ("orderNumber", number.to_string()),
        };
        let params = vec![(name, value.clone()), ("language", LANGUAGE.to_owned())];
        let span = info_span!("sberbank", method = operation.method(), order = %value);
        let body = self.call(operation, params, Safety::Idempotent).instrument(span).await?;
        read_order_report(body)
    }

    /// refund.do: returns `amount` of a paid order to the card it was paid with. Partial
    /// refunds may repeat while their sum stays within the paid amount.
    ///
    /// Never sent twice unless the first attempt certainly did not leave: after a failure with
    /// [`Error::may_have_reached_bank`], compare `amounts.refunded` in [`Client::order_status`]
    /// with what was there before.
    pub async fn refund(&self, order_id: &OrderId, amount: Kopecks) -> Result<(), Error> {
        let operation = Operation::Refund;
        if amount <= Kopecks::ZERO || amount > MAX_AMOUNT {
            return Err(Error::InvalidRequest { operation, reason: "the refund amount is out of range" });
        }
        let params = vec![
            ("orderId", order_id.to_string()),
            ("amount", amount.get().to_string()),
            ("language", LANGUAGE.to_owned()),
        ];
        let span = info_span!("sberbank", method = operation.method(), order = %order_id);
        self.call(operation, params, Safety::OnlyIfNotSent).instrument(span).await.map(drop)
    }

    /// reverse.do: voids a payment on the day it was made (before the bank's settlement, about
    /// 23:59 Moscow time); afterwards only [`Client::refund`] works. The whole amount is
    /// reversed. Retried like refund.do.
    pub async fn reverse(&self, order_id: &OrderId) -> Result<(), Error> {
        let operation = Operation::Reverse;
        let params = vec![("orderId", order_id.to_string()), ("language", LANGUAGE.to_owned())];
        let span = info_span!("sberbank", method = operation.method(), order = %order_id);
        self.call(operation, params, Safety::OnlyIfNotSent).instrument(span).await.map(drop)
    }

    /// Sends a call, repeating it as far as `safety` allows, and returns the body of a
    /// successful answer (the envelope's `errorCode` absent or zero).
    async fn call(
        &self,
        operation: Operation,
        params: Vec<(&'static str, String)>,
        safety: Safety,
    ) -> Result<Map<String, Value>, Error> {
        let url = self.base.join(operation.method()).expect("a method name joins onto a base URL");
        let mut params = params;
        match &self.credentials {
            Credentials::Password { user_name, password } => {
                params.push(("userName", user_name.clone()));
                params.push(("password", password.expose().to_owned()));
            }
            Credentials::Token(token) => params.push(("token", token.expose().to_owned())),
        }
        let attempts = self.retry.attempts.max(1);
        let mut backoff = self.retry.first_backoff;
        let mut attempt = 1;
        loop {
            match self.send_once(operation, &url, &params).await {
                Ok(body) => {
                    debug!(attempt, "answered");
                    return Ok(body);
                }
                Err(error) if attempt < attempts && worth_retrying(&error, safety) => {
                    warn!(attempt, %error, "retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
                Err(error) => {
                    warn!(attempt, %error, may_have_reached_bank = error.may_have_reached_bank(), "failed");
                    return Err(error);
                }
            }
        }
    }

    async fn send_once(
        &self,
        operation: Operation,
        url: &Url,
        params: &[(&'static str, String)],
    ) -> Result<Map<String, Value>, Error> {
        let transport = |source: reqwest::Error| {
            // Only a failure to connect (TCP, TLS, or the connect timeout) proves that no byte
            // of the request left.
            let delivery = if source.is_connect() { Delivery::NotSent } else { Delivery::Unknown };
            Error::Transport { operation, delivery, source: source.without_url() }
        };
        let response = self
            .http
            .post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(params)
            .send()
            .await
            .map_err(transport)?;
        if response.status() != StatusCode::OK {
            return Err(Error::Http { operation, status: response.status().as_u16() });
        }
        let bytes = response.bytes().await.map_err(transport)?;
        read_answer(operation, &bytes)
    }
}

/// Whether the bank's payment page is on the gateway's own site: the same scheme as the REST
/// base (https, or http for the loopback simulator), and the same host or another host of the
/// same domain (for the simulator: a loopback host) (the bank may serve its pages from a sibling host of the API's, e.g.
/// `ecomtest.sberbank.ru` for `…/ecomm/gw/…`): the last two labels of the host, which for the
/// bank's `.ru` domains is the domain it owns.
pub fn on_gateway_site(form_url: &Url, base_url: &Url) -> bool {
    let (Some(form), Some(base)) = (form_url.host_str(), base_url.host_str()) else { return false };
    if form_url.scheme() != base_url.scheme() {
        return false;
    }
    // The simulator on this machine: its page may be on another loopback name (the local server
    // puts it on `localhost`, the portal on 127.0.0.1, so that the return is cross-site).
    let loopback = |host: &str| {
        host.eq_ignore_ascii_case("localhost")
            || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    };
    if loopback(base) {
        return loopback(form);
    }
    let domain = |host: &str| -> String {
        let labels: Vec<&str> = host.trim_end_matches('.').rsplitn(3, '.').collect();
        labels.iter().take(2).rev().copied().collect::<Vec<_>>().join(".")
    };
    let is_name = |host: &str| host.parse::<std::net::IpAddr>().is_err() && !host.starts_with('[');
    form.eq_ignore_ascii_case(base)
        || (is_name(form)
            && is_name(base)
            && base.contains('.')
            && domain(form).eq_ignore_ascii_case(&domain(base)))
}

// Reading the bank's answers. Public so that the fuzz targets (`fuzz/`) exercise exactly what
// the client does with the bytes the bank sends.

/// Reads the body of an HTTP 200 answer to `operation`: a JSON object whose envelope
/// (`errorCode`) says success.
pub fn read_answer(operation: Operation, bytes: &[u8]) -> Result<Map<String, Value>, Error> {
    let body = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(body)) => body,
        Ok(_) => return Err(Error::Decode { operation, detail: "not a JSON object".into() }),
        Err(e) => {
            let detail =
                format!("not JSON ({:?} error at line {} column {})", e.classify(), e.line(), e.column());
            return Err(Error::Decode { operation, detail });
        }
    };
    wire::check_envelope(&body).map_err(|(code, message)| Error::Gateway { operation, code, message })?;
    Ok(body)
}

/// Reads register.do's successful answer (see [`read_answer`]): the order id and the page.
pub fn read_registered(body: &Map<String, Value>) -> Result<Registered, Error> {
    let operation = Operation::Register;
    let decode = |detail: &str| Error::Decode { operation, detail: detail.to_owned() };
    let order_id =
        wire::field(body, &["orderId"]).and_then(wire::text).ok_or_else(|| decode("no orderId"))?;
    let order_id = OrderId::parse(&order_id).map_err(|_| decode("orderId is not an order id"))?;
    let form_url =
        wire::field(body, &["formUrl"]).and_then(wire::text).ok_or_else(|| decode("no formUrl"))?;
    let form_url = Url::parse(&form_url).map_err(|_| decode("formUrl is not an absolute URL"))?;
    Ok(Registered { order_id, form_url })
}

/// Reads getOrderStatusExtended.do's successful answer (see [`read_answer`]).
pub fn read_order_report(body: Map<String, Value>) -> Result<OrderReport, Error> {
    OrderReport::from_body(body).map_err(|detail| Error::Decode { operation: Operation::OrderStatus, detail })
}

fn worth_retrying(error: &Error, safety: Safety) -> bool {
    match (safety, error) {
        (_, Error::Transport { delivery: Delivery::NotSent, .. }) => true,
        (Safety::OnlyIfNotSent, _) => false,
        (Safety::Idempotent, Error::Transport { .. }) => true,
        (Safety::Idempotent, Error::Http { status, .. }) => *status >= 500 || *status == 429,
        (Safety::Idempotent, Error::Gateway { code, .. }) => *code == GatewayErrorCode::SystemError,
        (Safety::Idempotent, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{Url, on_gateway_site};

    #[test]
    fn the_payment_page_must_be_on_the_gateways_site() {
        let on =
            |form: &str, base: &str| on_gateway_site(&Url::parse(form).unwrap(), &Url::parse(base).unwrap());
        let legacy = "https://3dsec.sberbank.ru/payment/rest/";
        assert!(on("https://3dsec.sberbank.ru/payment/merchants/m/payment_ru.html?mdOrder=1", legacy));
        assert!(on(
            "https://ecomtest.sberbank.ru/pp/pay_ru?orderId=1",
            "https://ecomtest.sberbank.ru/ecomm/gw/partner/api/v1/"
        ));
        assert!(
            on("https://pay.sberbank.ru/x", "https://securepayments.sberbank.ru/payment/rest/"),
            "a sibling host"
        );
        assert!(on(
            "http://127.0.0.1:8080/sim/sberbank/pay?mdOrder=1",
            "http://127.0.0.1:8080/sim/sberbank/rest/"
        ));

        assert!(on(
            "http://localhost:8080/sim/sberbank/pay?mdOrder=1",
            "http://127.0.0.1:8080/sim/sberbank/rest/"
        ));
        assert!(!on("https://evil.example/payment_ru.html", legacy), "another site");
        assert!(!on("https://sberbank.ru.evil.example/x", legacy), "the bank's name inside another domain");
        assert!(!on("http://3dsec.sberbank.ru/payment/x", legacy), "downgraded to http");
        assert!(
            !on("http://192.0.2.1:8080/x", "http://127.0.0.1:8080/sim/sberbank/rest/"),
            "off this machine"
        );
        assert!(!on("https://10.0.0.1/x", "https://10.0.0.2/rest/"), "addresses compare whole");
    }
}

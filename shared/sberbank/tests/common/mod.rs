//! What the HTTP tests share: a client configuration for a loopback server and a ready order.

#![allow(dead_code)]

use std::time::Duration;

use svet_domain::billing::Period;
use svet_domain::identity::input::parse_email;
use svet_domain::{AccountNumber, Kopecks};
use svet_sberbank::{
    Cheque, Client, Credentials, FiscalSettings, GatewayConfig, OrderNumber, PaymentMethod, PaymentObject,
    RegisterOrder, RetryPolicy, Secret, TaxType, Url,
};

/// The simulator's default merchant.
pub const LOGIN: &str = "svet-api";
pub const PASSWORD: &str = "svet";

/// A client for `base` (`http://127.0.0.1:PORT/payment/rest/`) with short timeouts and quick
/// retries, so that failure tests run in milliseconds.
pub fn config(base: &str) -> GatewayConfig {
    let credentials = Credentials::Password { user_name: LOGIN.into(), password: Secret::new(PASSWORD) };
    let mut config = GatewayConfig::new(Url::parse(base).unwrap(), credentials);
    config.connect_timeout = Duration::from_millis(500);
    config.request_timeout = Duration::from_millis(500);
    config.retry = RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(20) };
    config
}

pub fn client(base: &str) -> Client {
    Client::new(config(base)).unwrap()
}

pub fn cheque() -> Cheque {
    Cheque {
        email: parse_email("customer@example.ru").unwrap(),
        account: AccountNumber::parse("180211111").unwrap(),
        period: Period::new(2026, 1).unwrap(),
        payment_method: PaymentMethod::FullPayment,
        fiscal: FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
    }
}

pub fn order(amount: i64) -> RegisterOrder {
    RegisterOrder {
        order_number: OrderNumber::generate(),
        amount: Kopecks::new(amount),
        return_url: Url::parse("http://127.0.0.1:8080/api/payments/return").unwrap(),
        fail_url: None,
        description: "Оплата электроэнергии, л/с 180211111".into(),
        session_timeout: Some(Duration::from_secs(1200)),
        json_params: vec![("paymentId".into(), "p-1".into())],
        cheque: cheque(),
    }
}

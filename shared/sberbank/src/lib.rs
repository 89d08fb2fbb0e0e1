//! Sberbank's internet-acquiring gateway, as Svet uses it: a client for register.do,
//! getOrderStatusExtended.do, refund.do and reverse.do, and the verification of the bank's
//! callback notifications. The protocol is described in `shared/sberbank-gateway.md`; the
//! design (configuration, retries, error mapping) in `docs/payments.md`.
//!
//! Only the legacy REST form API (`/payment/rest/*.do`) is implemented. The configuration has
//! an [`ApiFlavour`] so that the JSON gateway can be added without touching callers.
//!
//! No AWS or web framework here: the Lambda functions and the local server both use this crate,
//! with the merchant's credentials from their own secret stores. Nothing it logs contains
//! credentials, e-mail addresses or card numbers.

pub mod callback;
pub mod client;
pub mod codes;
pub mod config;
pub mod error;
pub mod order;
pub mod port;
pub mod receipt;
pub mod status;
mod wire;

pub use callback::{Callback, CallbackError, CallbackKey, CallbackKeyError, CallbackOperation};
pub use client::{Client, MAX_AMOUNT, MAX_DESCRIPTION, RegisterOrder, Registered};
pub use codes::{GatewayErrorCode, OrderStatus, PaymentState};
pub use config::{
    ApiFlavour, ConfigError, Credentials, GatewayConfig, PRODUCTION_URL, RetryPolicy, Secret, TEST_STAND_URL,
};
pub use error::{Delivery, Error, Operation};
pub use order::{OrderId, OrderNumber, OrderNumberError, OrderRef};
pub use port::SberbankGateway;
pub use receipt::{Cheque, FiscalSettings, PaymentMethod, PaymentObject, TaxType};
pub use reqwest::Url;
pub use status::{AmountInfo, CardInfo, OrderReport};

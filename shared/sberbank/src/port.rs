//! The domain's [`PaymentGateway`] port over this crate: [`SberbankGateway`] registers orders,
//! asks for their status and verifies callbacks, translating to and from the domain's own
//! types so that the domain never depends on this crate.

use std::time::Duration;

use async_trait::async_trait;
use svet_domain::Kopecks;
use svet_domain::payments::{
    BankState, BankStatus, CallbackNotice, CallbackRefused, GatewayError, OrderRef as DomainRef,
    OrderRequest, PaymentGateway, RegisteredOrder,
};
use tracing::warn;

use crate::callback::{CallbackError, CallbackKey};
use crate::client::{Client, RegisterOrder};
use crate::codes::{GatewayErrorCode, OrderStatus};
use crate::error::{Delivery, Error};
use crate::order::{OrderId, OrderNumber, OrderRef};
use crate::receipt::{Cheque, FiscalSettings, PaymentMethod};
use crate::status::OrderReport;
use reqwest::Url;

/// The bank's action code for an order whose lifetime ended unpaid.
const EXPIRED: i64 = -2007;

/// One merchant at the bank: the client, the callback key and the fiscal settings of the
/// cheque. Build it once per process.
#[derive(Debug, Clone)]
pub struct SberbankGateway {
    client: Client,
    callback_key: CallbackKey,
    fiscal: FiscalSettings,
}

impl SberbankGateway {
    pub fn new(client: Client, callback_key: CallbackKey, fiscal: FiscalSettings) -> Self {
        SberbankGateway { client, callback_key, fiscal }
    }
}

fn map_error(error: Error) -> GatewayError {
    let text = error.to_string();
    if error.gateway_code() == Some(&GatewayErrorCode::UnknownOrder) {
        return GatewayError::UnknownOrder;
    }
    if error.may_have_reached_bank() {
        return GatewayError::MaybeSent(text);
    }
    match error {
        Error::Transport { delivery: Delivery::NotSent, .. } | Error::InvalidRequest { .. } => {
            GatewayError::NotSent(text)
        }
        _ => GatewayError::Refused(text),
    }
}

fn bank_status(report: &OrderReport) -> BankStatus {
    let state = match report.status {
        OrderStatus::Registered | OrderStatus::AcsAuthorisation => BankState::Pending,
        OrderStatus::PreAuthorised => BankState::Held,
        OrderStatus::Deposited => BankState::Paid,
        OrderStatus::Reversed => BankState::Reversed,
        OrderStatus::Refunded => BankState::Refunded,
        OrderStatus::Declined if report.action_code == Some(EXPIRED) => BankState::Expired,
        OrderStatus::Declined => BankState::Declined,
        OrderStatus::Other(code) => BankState::Unknown(code),
    };
    BankStatus {
        state,
        amount: report.amount,
        rubles: report.is_rubles(),
        deposited: report.amounts.deposited,
        refunded: report.amounts.refunded,
        action_code: report.action_code,
    }
}

#[async_trait]
impl PaymentGateway for SberbankGateway {
    async fn register(&self, order: &OrderRequest) -> Result<RegisteredOrder, GatewayError> {
        let refused = |what: &str| GatewayError::NotSent(format!("not a valid {what}"));
        let request = RegisterOrder {
            order_number: OrderNumber::parse(&order.order_number).map_err(|_| refused("order number"))?,
            amount: order.amount,
            return_url: Url::parse(&order.return_url).map_err(|_| refused("return URL"))?,
            fail_url: None,
            description: order.description.clone(),
            session_timeout: Some(Duration::from_secs(order.lifetime_seconds.max(0).unsigned_abs())),
            json_params: vec![("paymentId".into(), order.payment_id.clone())],
            cheque: Cheque {
                email: order.email.clone(),
                account: order.account.clone(),
                period: order.period,
                payment_method: if order.advance {
                    PaymentMethod::Advance
                } else {
                    PaymentMethod::FullPayment
                },
                fiscal: self.fiscal,
            },
        };
        let registered = self.client.register(&request).await.map_err(map_error)?;
        Ok(RegisteredOrder {
            order_id: registered.order_id.to_string(),
            form_url: registered.form_url.to_string(),
        })
    }

    async fn status(&self, order: DomainRef<'_>) -> Result<BankStatus, GatewayError> {
        let report = match order {
            DomainRef::Id(id) => {
                let id = OrderId::parse(id).map_err(|_| GatewayError::UnknownOrder)?;
                self.client.order_status(OrderRef::Id(&id)).await
            }
            DomainRef::Number(number) => {
                let number = OrderNumber::parse(number).map_err(|_| GatewayError::UnknownOrder)?;
                self.client.order_status(OrderRef::Number(&number)).await
            }
        };
        Ok(bank_status(&report.map_err(map_error)?))
    }

    async fn refund(&self, order_id: &str, amount: Kopecks) -> Result<(), GatewayError> {
        // An id that is not the bank's cannot name an order there: nothing is sent.
        let id = OrderId::parse(order_id).map_err(|_| GatewayError::UnknownOrder)?;
        // The client sends refund.do again only when the connection was never made.
        self.client.refund(&id, amount).await.map_err(map_error)
    }

    async fn reverse(&self, order_id: &str) -> Result<(), GatewayError> {
        let id = OrderId::parse(order_id).map_err(|_| GatewayError::UnknownOrder)?;
        self.client.reverse(&id).await.map_err(map_error)
    }

    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackRefused> {
        let callback = self.callback_key.verify(params).map_err(|e| {
            // The variant only: never the parameters' values.
            warn!(error = %e, "a callback was refused");
            match e {
                CallbackError::NoChecksum | CallbackError::ChecksumNotHex | CallbackError::BadChecksum => {
                    CallbackRefused::Checksum(e.to_string())
                }
                _ => CallbackRefused::Malformed(e.to_string()),
            }
        })?;
        Ok(CallbackNotice {
            order_id: callback.order_id.to_string(),
            order_number: callback.order_number,
            operation: callback.params.get("operation").cloned().unwrap_or_default(),
            success: callback.success,
        })
    }
}

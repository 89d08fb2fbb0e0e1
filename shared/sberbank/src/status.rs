//! The answer of getOrderStatusExtended.do: the order's status and the extended fields the
//! pay flow, the callbacks, reconciliation, receipts and refunds need.
//!
//! Both spellings the bank uses are read (`maskedPan`/`pan`, `OrderStatus`/`orderStatus`, …),
//! numbers may come as strings, and dates are epoch milliseconds. The cardholder's name is not
//! read at all: Svet has no use for it.

use std::fmt;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};
use svet_domain::Kopecks;

use crate::codes::{OrderStatus, PaymentState};
use crate::order::OrderId;
use crate::wire::{lenient_i64, lenient_string};

/// One order as the gateway sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    /// The gateway's id (from `attributes[mdOrder]`), when the answer names it.
    pub order_id: Option<OrderId>,
    /// Our order number, echoed.
    pub order_number: Option<String>,
    pub status: OrderStatus,
    /// Why the last attempt ended as it did (0 success, 116 insufficient funds, -2007 expired…).
    pub action_code: Option<i64>,
    pub action_code_description: Option<String>,
    /// The registered amount.
    pub amount: Kopecks,
    /// ISO 4217 numeric, as sent: `"643"` (old data: `"810"`).
    pub currency: Option<String>,
    pub registered_at: Option<Timestamp>,
    pub authorised_at: Option<Timestamp>,
    pub deposited_at: Option<Timestamp>,
    pub refunded_at: Option<Timestamp>,
    /// The acquirer's reference number (RRN).
    pub auth_ref_num: Option<String>,
    pub amounts: AmountInfo,
    pub card: Option<CardInfo>,
    /// `merchantOrderParams`: the `jsonParams` sent at registration.
    pub merchant_order_params: Vec<(String, String)>,
}

/// `paymentAmountInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmountInfo {
    pub approved: Option<Kopecks>,
    pub deposited: Option<Kopecks>,
    pub refunded: Option<Kopecks>,
    pub state: Option<PaymentState>,
}

/// `cardAuthInfo`, without the cardholder's name.
#[derive(Clone, PartialEq, Eq)]
pub struct CardInfo {
    /// As the bank masks it: `411111**1111`, `220138*******0047`.
    pub masked_pan: Option<String>,
    /// `YYYYMM`.
    pub expiration: Option<String>,
    pub approval_code: Option<String>,
    /// VISA, MASTERCARD, MIR…
    pub payment_system: Option<String>,
}

impl CardInfo {
    /// The last four digits, for a receipt («карта *1111»).
    pub fn last4(&self) -> Option<&str> {
        let pan = self.masked_pan.as_deref()?;
        (pan.len() >= 4 && pan.is_ascii()).then(|| &pan[pan.len() - 4..])
    }
}

impl fmt::Debug for CardInfo {
    /// Only the last four digits and the payment system: a report may end up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardInfo")
            .field("last4", &self.last4())
            .field("payment_system", &self.payment_system)
            .finish_non_exhaustive()
    }
}

impl OrderReport {
    /// The currency is the rouble (643, or the legacy 810).
    pub fn is_rubles(&self) -> bool {
        matches!(self.currency.as_deref(), Some("643" | "810"))
    }

    /// The order is paid in full, in roubles, for exactly `expected`: what the return URL and
    /// the callback must see before they credit a payment. (A later refund moves the order to
    /// [`OrderStatus::Refunded`]; see `amounts.deposited` for what was paid then.)
    pub fn confirms_payment(&self, expected: Kopecks) -> bool {
        self.status == OrderStatus::Deposited && self.amount == expected && self.is_rubles()
    }

    /// Reads a successful answer (the envelope already checked).
    pub(crate) fn from_body(body: Map<String, Value>) -> Result<Self, String> {
        let raw: Raw = serde_json::from_value(Value::Object(body)).map_err(|e| e.to_string())?;
        let status = raw.order_status.or(raw.order_status_legacy).ok_or("no orderStatus")?;
        let amount = raw.amount.or(raw.amount_legacy).ok_or("no amount")?;
        let order_id = raw
            .attributes
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.name == "mdOrder")
            .and_then(|a| a.value)
            .and_then(|v| OrderId::parse(&v).ok());
        let info = raw.payment_amount_info.unwrap_or_default();
        Ok(OrderReport {
            order_id,
            order_number: raw.order_number.or(raw.order_number_legacy),
            status: OrderStatus::from_code(status),
            action_code: raw.action_code,
            action_code_description: raw.action_code_description,
            amount: Kopecks::new(amount),
            currency: raw.currency,
            registered_at: raw.date.and_then(millis),
            authorised_at: raw.auth_date_time.and_then(millis),
            deposited_at: raw.deposited_date.and_then(millis),
            refunded_at: raw.refunded_date.and_then(millis),
            auth_ref_num: raw.auth_ref_num,
            amounts: AmountInfo {
                approved: info.approved_amount.map(Kopecks::new),
                deposited: info.deposited_amount.map(Kopecks::new),
                refunded: info.refunded_amount.map(Kopecks::new),
                state: info.payment_state.as_deref().map(PaymentState::from_wire),
            },
            card: raw.card_auth_info.map(|c| CardInfo {
                masked_pan: c.masked_pan.or(c.pan),
                expiration: c.expiration,
                approval_code: c.approval_code,
                payment_system: c.payment_system,
            }),
            merchant_order_params: raw
                .merchant_order_params
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.name, p.value.unwrap_or_default()))
                .collect(),
        })
    }
}

fn millis(ms: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms).ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    // Each spelling is a field of its own (not a serde alias): the bank may send both, and an
    // alias would make that a "duplicate field" error.
    #[serde(default, deserialize_with = "lenient_string")]
    order_number: Option<String>,
    #[serde(rename = "OrderNumber", default, deserialize_with = "lenient_string")]
    order_number_legacy: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    order_status: Option<i64>,
    #[serde(rename = "OrderStatus", default, deserialize_with = "lenient_i64")]
    order_status_legacy: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    action_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    action_code_description: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    amount: Option<i64>,
    #[serde(rename = "Amount", default, deserialize_with = "lenient_i64")]
    amount_legacy: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    date: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    deposited_date: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    refunded_date: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    auth_date_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    auth_ref_num: Option<String>,
    #[serde(default)]
    attributes: Option<Vec<NameValue>>,
    #[serde(default)]
    merchant_order_params: Option<Vec<NameValue>>,
    #[serde(default)]
    card_auth_info: Option<RawCard>,
    #[serde(default)]
    payment_amount_info: Option<RawAmounts>,
}

#[derive(Deserialize)]
struct NameValue {
    name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCard {
    #[serde(default, deserialize_with = "lenient_string")]
    masked_pan: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pan: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    expiration: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    approval_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    payment_system: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawAmounts {
    #[serde(default, deserialize_with = "lenient_i64")]
    approved_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    deposited_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    refunded_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    payment_state: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn report(value: Value) -> OrderReport {
        OrderReport::from_body(value.as_object().unwrap().clone()).unwrap()
    }

    /// The shape of the bank's own OpenAPI example (new spelling: `maskedPan`,
    /// `cardHolderName`), values made up.
    fn spec_example() -> Value {
        json!({
            "errorCode": "0", "errorMessage": "Успешно",
            "orderNumber": "sv0123456789abcdef0123456789ab", "orderStatus": 2,
            "actionCode": 0, "actionCodeDescription": "",
            "amount": 123456, "currency": "643", "date": 1767258000000_i64,
            "depositedDate": 1767258060000_i64, "authDateTime": 1767258059000_i64,
            "orderDescription": "Оплата электроэнергии", "ip": "127.0.0.1", "authRefNum": "111111111111",
            "merchantOrderParams": [{"name": "paymentId", "value": "p-1"}],
            "attributes": [{"name": "mdOrder", "value": "a67b0ced-c9a4-4cfb-bce3-b9595afaafc1"}],
            "cardAuthInfo": {
                "maskedPan": "220220**2424", "expiration": "202805", "cardHolderName": "CARD HOLDER",
                "approvalCode": "123456", "paymentSystem": "MIR", "paymentWay": "CARD",
                "secureAuthInfo": {"eci": 5, "threeDSInfo": {}}
            },
            "bindingInfo": {"clientId": "c"},
            "paymentAmountInfo": {"approvedAmount": 123456, "depositedAmount": 123456,
                                  "refundedAmount": 0, "feeAmount": 0, "paymentState": "DEPOSITED"},
            "bankInfo": {"bankName": "TEST", "bankCountryCode": "RU", "bankCountryName": "Россия"}
        })
    }

    #[test]
    fn reads_the_extended_fields() {
        let report = report(spec_example());
        assert_eq!(report.status, OrderStatus::Deposited);
        assert_eq!(report.order_id.as_ref().unwrap().as_str(), "a67b0ced-c9a4-4cfb-bce3-b9595afaafc1");
        assert_eq!(report.order_number.as_deref(), Some("sv0123456789abcdef0123456789ab"));
        assert_eq!(report.amount, Kopecks::new(123_456));
        assert_eq!(report.action_code, Some(0));
        assert_eq!(report.registered_at, Some(Timestamp::from_millisecond(1_767_258_000_000).unwrap()));
        assert_eq!(report.authorised_at, Some(Timestamp::from_millisecond(1_767_258_059_000).unwrap()));
        assert_eq!(report.deposited_at, Some(Timestamp::from_millisecond(1_767_258_060_000).unwrap()));
        assert_eq!(report.auth_ref_num.as_deref(), Some("111111111111"));
        assert_eq!(report.amounts.deposited, Some(Kopecks::new(123_456)));
        assert_eq!(report.amounts.refunded, Some(Kopecks::ZERO));
        assert_eq!(report.amounts.state, Some(PaymentState::Deposited));
        let card = report.card.clone().unwrap();
        assert_eq!(card.masked_pan.as_deref(), Some("220220**2424"));
        assert_eq!(card.last4(), Some("2424"));
        assert_eq!(card.payment_system.as_deref(), Some("MIR"));
        assert_eq!(report.merchant_order_params, vec![("paymentId".into(), "p-1".into())]);
        assert!(report.confirms_payment(Kopecks::new(123_456)));
        assert!(!report.confirms_payment(Kopecks::new(123_455)));
    }

    #[test]
    fn reads_the_legacy_spellings_and_numbers_as_strings() {
        // Legacy `pan` and `cardholderName`, capitalised keys, numbers as strings, RUR 810.
        let report = report(json!({
            "ErrorCode": 0, "OrderNumber": "ZX-987654321", "OrderStatus": "4", "Amount": "5000",
            "currency": 810, "actionCode": "-2007",
            "cardAuthInfo": {"pan": "411111**1111", "cardholderName": "CARD HOLDER", "expiration": 202412},
            "paymentAmountInfo": {"depositedAmount": "5000", "refundedAmount": "2500", "paymentState": "REFUNDED"}
        }));
        assert_eq!(report.status, OrderStatus::Refunded);
        assert_eq!(report.order_number.as_deref(), Some("ZX-987654321"));
        assert_eq!(report.amount, Kopecks::new(5000));
        assert_eq!(report.action_code, Some(-2007));
        assert!(report.is_rubles());
        let card = report.card.unwrap();
        assert_eq!(card.masked_pan.as_deref(), Some("411111**1111"));
        assert_eq!(card.expiration.as_deref(), Some("202412"));
        assert_eq!(report.amounts.refunded, Some(Kopecks::new(2500)));
        assert_eq!(report.amounts.state, Some(PaymentState::Refunded));
        assert!(report.order_id.is_none());
    }

    #[test]
    fn both_spellings_at_once_are_read() {
        let report = report(json!({
            "errorCode": "0", "ErrorCode": "0", "orderStatus": 2, "OrderStatus": 2, "amount": 100, "Amount": 100,
            "orderNumber": "n1", "OrderNumber": "n1", "currency": "643",
            "cardAuthInfo": {"maskedPan": "220220**2424", "pan": "220220**2424",
                             "cardHolderName": "CARD HOLDER", "cardholderName": "CARD HOLDER"}
        }));
        assert_eq!(report.status, OrderStatus::Deposited);
        assert_eq!(report.amount, Kopecks::new(100));
        assert_eq!(report.order_number.as_deref(), Some("n1"));
        assert_eq!(report.card.unwrap().masked_pan.as_deref(), Some("220220**2424"));
    }

    #[test]
    fn every_order_status_is_read() {
        for code in 0..=6 {
            let report =
                report(json!({"errorCode": "0", "orderStatus": code, "amount": 100, "currency": "643"}));
            assert_eq!(report.status.code(), code);
            assert!(!matches!(report.status, OrderStatus::Other(_)));
        }
    }

    #[test]
    fn a_report_without_status_or_amount_is_refused_without_echoing_values() {
        let body = json!({"errorCode": "0", "amount": 100}).as_object().unwrap().clone();
        assert_eq!(OrderReport::from_body(body), Err("no orderStatus".into()));
        let body = json!({"orderStatus": 2, "amount": "ivanov@example.ru"}).as_object().unwrap().clone();
        let error = OrderReport::from_body(body).unwrap_err();
        assert!(!error.contains("ivanov"), "{error}");
    }

    #[test]
    fn debug_output_shows_only_the_last_four_digits() {
        let report = report(spec_example());
        let text = format!("{report:?}");
        assert!(!text.contains("220220") && text.contains("2424"), "{text}");
    }
}

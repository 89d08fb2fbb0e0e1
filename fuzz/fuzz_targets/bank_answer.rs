//! The bank's answers as the gateway client reads them (`client::read_answer`, then
//! `read_registered` for register.do and `read_order_report` for getOrderStatusExtended.do):
//! lenient JSON with error codes as strings or numbers, both spellings of keys, numbers as
//! strings, epoch milliseconds.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use svet_sberbank::client::{read_answer, read_order_report, read_registered};
use svet_sberbank::{Error, GatewayErrorCode, Operation, OrderId, OrderStatus};

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fuzz_target!(|bytes: &[u8]| {
    for operation in [Operation::Register, Operation::OrderStatus, Operation::Refund, Operation::Reverse] {
        let answer = read_answer(operation, bytes);
        let parsed = serde_json::from_slice::<Value>(bytes).ok();
        let object = parsed.as_ref().and_then(Value::as_object);
        // The envelope's error code, as the bank may spell it.
        let code = object.and_then(|o| {
            ["errorCode", "ErrorCode"].iter().filter_map(|k| o.get(*k)).find(|v| !v.is_null()).and_then(text)
        });
        let failed = code.as_deref().and_then(GatewayErrorCode::from_wire);
        match answer {
            Ok(body) => {
                assert_eq!(Some(&body), object, "an answer that is not a JSON object");
                assert_eq!(failed, None, "an error code {code:?} read as success");
                if operation == Operation::Register {
                    check_registered(&body);
                }
                if operation == Operation::OrderStatus {
                    check_report(body);
                }
            }
            Err(Error::Gateway { operation: op, code: got, message }) => {
                assert_eq!(op, operation);
                assert_eq!(Some(&got), failed.as_ref());
                assert_eq!(GatewayErrorCode::from_wire(got.code()).as_ref(), Some(&got));
                let _ = (got.meaning(), message);
            }
            Err(Error::Decode { operation: op, detail }) => {
                assert_eq!(op, operation);
                assert!(object.is_none(), "a JSON object refused: {detail}");
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
});

fn check_registered(body: &serde_json::Map<String, Value>) {
    match read_registered(body) {
        Ok(registered) => {
            assert!(OrderId::parse(registered.order_id.as_str()).is_ok());
            assert!(!registered.form_url.scheme().is_empty());
        }
        Err(error) => {
            assert!(matches!(error, Error::Decode { operation: Operation::Register, .. }), "{error:?}")
        }
    }
}

fn check_report(body: serde_json::Map<String, Value>) {
    let report = match read_order_report(body) {
        Ok(report) => report,
        Err(error) => {
            assert!(matches!(error, Error::Decode { operation: Operation::OrderStatus, .. }), "{error:?}");
            return;
        }
    };
    assert_eq!(OrderStatus::from_code(report.status.code()), report.status);
    if let Some(id) = &report.order_id {
        assert!(OrderId::parse(id.as_str()).is_ok());
    }
    if let Some(card) = &report.card
        && let Some(last4) = card.last4()
    {
        assert_eq!(last4.len(), 4);
        assert!(card.masked_pan.as_deref().is_some_and(|p| p.ends_with(last4)));
    }
    if report.confirms_payment(report.amount) {
        assert_eq!(report.status, OrderStatus::Deposited);
        assert!(report.is_rubles());
    }
    let _ = format!("{report:?}");
}

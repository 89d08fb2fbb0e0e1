//! Reading the gateway's JSON leniently where the bank is known to vary: `errorCode` as a
//! string, a number or absent (absent means success), capitalised keys in older methods, and
//! numbers sent as strings.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value};

use crate::codes::GatewayErrorCode;

/// The response envelope's verdict: `Ok` when `errorCode` is absent, empty or zero.
pub(crate) fn check_envelope(body: &Map<String, Value>) -> Result<(), (GatewayErrorCode, String)> {
    let code = field(body, &["errorCode", "ErrorCode"]).and_then(text);
    let Some(code) = code.as_deref().and_then(GatewayErrorCode::from_wire) else {
        return Ok(());
    };
    let message = field(body, &["errorMessage", "ErrorMessage"]).and_then(text).unwrap_or_default();
    Err((code, message))
}

/// The first of `names` present in `body` and not null.
pub(crate) fn field<'a>(body: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().filter_map(|name| body.get(*name)).find(|value| !value.is_null())
}

/// A string, or a number written out.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Deserializes an optional integer sent as a number or as a string of digits.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_any(LenientI64)
}

struct LenientI64;

impl<'de> Visitor<'de> for LenientI64 {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an integer, as a number or a string")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map(Some).map_err(|_| E::custom("integer too large"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        // The value itself stays out of the message: it may be anything the bank sent.
        v.parse().map(Some).map_err(|_| E::custom("a string that is not an integer"))
    }
}

/// Deserializes an optional string sent as a string or as a number (`"643"` or `643`).
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            text(&value).map(Some).ok_or_else(|| de::Error::custom("expected a string or a number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn envelope(value: Value) -> Result<(), (GatewayErrorCode, String)> {
        check_envelope(value.as_object().unwrap())
    }

    #[test]
    fn error_code_as_string_number_capitalised_or_absent() {
        assert_eq!(envelope(json!({"orderId": "x", "formUrl": "https://pay"})), Ok(()));
        assert_eq!(envelope(json!({"errorCode": "0", "errorMessage": "Успешно"})), Ok(()));
        assert_eq!(envelope(json!({"errorCode": 0})), Ok(()));
        assert_eq!(envelope(json!({"errorCode": null})), Ok(()));
        assert_eq!(
            envelope(json!({"errorCode": "1", "errorMessage": "Заказ с таким номером уже обработан"})),
            Err((GatewayErrorCode::OrderNumberUsed, "Заказ с таким номером уже обработан".into()))
        );
        assert_eq!(envelope(json!({"errorCode": 6})), Err((GatewayErrorCode::UnknownOrder, String::new())));
        assert_eq!(
            envelope(json!({"ErrorCode": "5", "ErrorMessage": "Доступ запрещён"})),
            Err((GatewayErrorCode::InvalidParameter, "Доступ запрещён".into()))
        );
        assert_eq!(
            envelope(json!({"errorCode": 42})),
            Err((GatewayErrorCode::Other("42".into()), String::new()))
        );
    }

    #[test]
    fn every_documented_code_arrives_typed_in_both_encodings() {
        for code in [1, 3, 4, 5, 6, 7, 8, 14] {
            let as_number = envelope(json!({ "errorCode": code, "errorMessage": "m" })).unwrap_err();
            let as_string =
                envelope(json!({ "errorCode": code.to_string(), "errorMessage": "m" })).unwrap_err();
            assert_eq!(as_number, as_string);
            assert!(!matches!(as_number.0, GatewayErrorCode::Other(_)), "{code}");
            assert_eq!(as_number.0.code(), code.to_string());
        }
    }
}

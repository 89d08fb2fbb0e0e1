//! Request parameters as the legacy gateway takes them: in the query (GET) or in an
//! `application/x-www-form-urlencoded` body (POST), where `jsonParams` and `orderBundle` are
//! JSON *strings*; the newer JSON gateway's `application/json` body is accepted too, its
//! nested objects turned back into JSON text.

use std::collections::HashMap;

use crate::orders::{GatewayError, fail};

#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Params, GatewayError> {
        let mut map: HashMap<String, String> = HashMap::new();
        if let Some(query) = query {
            map.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        let json =
            content_type.is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if json && !body.is_empty() {
            let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) else {
                return fail(5, "Неверный формат запроса");
            };
            for (name, value) in object {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                map.insert(name, text);
            }
        } else {
            map.extend(form_urlencoded::parse(body).into_owned());
        }
        Ok(Params(map))
    }

    /// The value, if given and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str, missing: &str) -> Result<&str, GatewayError> {
        match self.get(name) {
            Some(value) => Ok(value),
            None => fail(4, missing),
        }
    }

    /// An amount in kopecks: digits only, at most 12 of them.
    pub fn amount(&self, name: &str) -> Result<Option<i64>, GatewayError> {
        let Some(text) = self.get(name) else { return Ok(None) };
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return fail(4, "Неверная сумма");
        }
        let amount: i64 = text
            .parse()
            .map_err(|_| GatewayError { code: 4, message: "Неверная сумма".into() })?;
        Ok(Some(amount))
    }

    /// A positive amount, required.
    pub fn positive_amount(&self) -> Result<i64, GatewayError> {
        match self.amount("amount")? {
            None => fail(4, "Сумма не указана"),
            Some(a) if a <= 0 => fail(4, "Сумма должна быть больше нуля"),
            Some(a) => Ok(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_query_and_json_bodies_give_the_same_parameters() {
        let form = Params::parse(
            Some("userName=u"),
            Some("application/x-www-form-urlencoded"),
            b"amount=100&jsonParams=%7B%22a%22%3A1%7D",
        )
        .unwrap();
        let json = Params::parse(
            Some("userName=u"),
            Some("application/json; charset=utf-8"),
            br#"{"amount":100,"jsonParams":{"a":1}}"#,
        )
        .unwrap();
        for params in [form, json] {
            assert_eq!(params.get("userName"), Some("u"));
            assert_eq!(params.positive_amount(), Ok(100));
            assert_eq!(params.get("jsonParams"), Some(r#"{"a":1}"#));
        }
    }

    #[test]
    fn amounts_are_whole_kopecks() {
        for bad in ["1.5", "abc", "1e3", "1234567890123"] {
            let params = Params::parse(None, None, format!("amount={bad}").as_bytes()).unwrap();
            assert_eq!(params.amount("amount").unwrap_err().code, 4, "{bad}");
        }
        let params = Params::parse(None, None, b"amount=-5").unwrap();
        assert_eq!(params.amount("amount"), Ok(Some(-5)));
        assert_eq!(params.positive_amount().unwrap_err().code, 4);
    }
}

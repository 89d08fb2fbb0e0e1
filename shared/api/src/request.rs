//! Reading a request's JSON body into a typed form, with a clear answer for anything else.

use http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::{ApiError, Request};

/// The largest form body accepted.
pub const MAX_FORM: usize = 16 * 1024;

/// The body as `T`: 415 unless it is JSON, 413 when too big, 400 naming the problem when it
/// does not fit `T` (unknown fields are refused too, so a typo is not silently ignored).
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")) {
        return Err(ApiError::Client {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "Данные формы должны приходить в формате JSON.".into(),
        });
    }
    let bytes = request.body().as_ref();
    if bytes.len() > MAX_FORM {
        return Err(ApiError::Client {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "too_large",
            message: "Слишком большой запрос.".into(),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| {
        // serde's message quotes the value it could not take (an e-mail typed into the wrong
        // field, say): the log gets the kind of error and where, the customer the message.
        tracing::info!(kind = ?e.classify(), line = e.line(), column = e.column(), "a form body did not parse");
        ApiError::Client {
            status: StatusCode::BAD_REQUEST,
            code: "bad_json",
            message: format!(
                "Не удалось прочитать данные формы ({}). Обновите страницу и попробуйте ещё раз.",
                short(&e)
            ),
        }
    })
}

fn short(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split(" at line").next().unwrap_or(&text).chars().take(120).collect()
}

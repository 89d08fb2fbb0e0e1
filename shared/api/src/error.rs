//! One error type for every handler, turned into a JSON response in one place. Client errors
//! carry a Russian message for the page; server errors log their cause and answer with a
//! generic message, never the cause.

use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;
use svet_domain::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404: no route or no such thing.
    #[error("not found")]
    NotFound,
    /// 405: the path exists with other methods.
    #[error("method not allowed")]
    MethodNotAllowed { allowed: Vec<&'static str> },
    /// 400 (or another 4xx): the request is wrong; `message` is shown to the customer.
    #[error("{code}: {message}")]
    Client { status: StatusCode, code: &'static str, message: String },
    /// 400 or 422: named fields are wrong, each with its message for the page.
    #[error("{code}: {} field(s)", fields.len())]
    Fields { status: StatusCode, code: &'static str, message: String, fields: Vec<(&'static str, String)> },
    /// 401: no valid session.
    #[error("not logged in")]
    Unauthenticated,
    /// 403: a state-changing request from another origin.
    #[error("cross-origin request refused")]
    CrossOrigin,
    /// 429: too many attempts; retry after this many seconds.
    #[error("too many requests")]
    TooMany { retry_after: i64 },
    /// 503: a store or service is down; retrying later may work.
    #[error("a service is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// 500: a bug or corrupt data.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<svet_domain::documents::DocumentError> for ApiError {
    fn from(e: svet_domain::documents::DocumentError) -> Self {
        match e {
            svet_domain::documents::DocumentError::Unavailable(_) => ApiError::Unavailable(e.into()),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::Conflict => ApiError::Unavailable(e.into()),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Client { status: StatusCode::BAD_REQUEST, code, message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Client { status, .. } | ApiError::Fields { status, .. } => *status,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::CrossOrigin => StatusCode::FORBIDDEN,
            ApiError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response; server errors are logged here with their cause chain.
    pub fn into_response(self) -> Response<Body> {
        let mut extra = serde_json::Map::new();
        let (code, message) = match &self {
            ApiError::NotFound => ("not_found", "Страница не найдена.".to_owned()),
            ApiError::MethodNotAllowed { .. } => {
                ("method_not_allowed", "Этот запрос здесь не поддерживается.".to_owned())
            }
            ApiError::Client { code, message, .. } => (*code, message.clone()),
            ApiError::Fields { code, message, fields, .. } => {
                let fields: serde_json::Map<String, serde_json::Value> =
                    fields.iter().map(|(f, m)| ((*f).to_owned(), m.clone().into())).collect();
                extra.insert("fields".into(), fields.into());
                (*code, message.clone())
            }
            ApiError::Unauthenticated => ("unauthenticated", "Войдите в личный кабинет.".to_owned()),
            ApiError::CrossOrigin => {
                ("cross_origin", "Запрос отклонён: он пришёл не со страницы личного кабинета.".to_owned())
            }
            ApiError::TooMany { retry_after } => {
                extra.insert("retry_after".into(), (*retry_after).into());
                (
                    "too_many_attempts",
                    format!("Слишком много попыток. Попробуйте через {}.", wait_ru(*retry_after)),
                )
            }
            ApiError::Unavailable(cause) => {
                // The cause's text may quote a key or an address: scrubbed.
                tracing::error!(error = %crate::observe::scrub(&format!("{cause:?}")), "a service is unavailable");
                ("unavailable", "Сервис временно недоступен. Попробуйте через несколько минут.".to_owned())
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %crate::observe::scrub(&format!("{cause:?}")), "internal error");
                ("internal", "Произошла ошибка. Мы уже разбираемся; попробуйте позже.".to_owned())
            }
        };
        let mut builder = Response::builder()
            .status(self.status())
            .header(http::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(http::header::CACHE_CONTROL, "no-store");
        if let ApiError::MethodNotAllowed { allowed } = &self {
            builder = builder.header(http::header::ALLOW, allowed.join(", "));
        }
        if let ApiError::TooMany { retry_after } = &self {
            builder = builder.header(http::header::RETRY_AFTER, retry_after.to_string());
        }
        let mut body = json!({ "error": code, "message": message });
        if let Some(map) = body.as_object_mut() {
            map.extend(extra);
        }
        let body = body.to_string();
        builder.body(Body::from(body)).expect("a static response is valid")
    }
}

/// «5 мин», «40 с», «2 ч»: a waiting time as people say it.
pub fn wait_ru(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{} с", s.max(1)),
        s if s < 3600 => format!("{} мин", (s + 59) / 60),
        s => format!("{} ч", (s + 3599) / 3600),
    }
}

/// A JSON response.
pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| ApiError::Internal(e.into()))?;
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(Body::from(body))
        .map_err(|e| ApiError::Internal(e.into()))
}

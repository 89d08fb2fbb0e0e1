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
    /// 503: a store or service is down; retrying later may work.
    #[error("a service is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// 500: a bug or corrupt data.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
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
            ApiError::Client { status, .. } => *status,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response; server errors are logged here with their cause chain.
    pub fn into_response(self) -> Response<Body> {
        let (code, message) = match &self {
            ApiError::NotFound => ("not_found", "Страница не найдена.".to_owned()),
            ApiError::MethodNotAllowed { .. } => {
                ("method_not_allowed", "Этот запрос здесь не поддерживается.".to_owned())
            }
            ApiError::Client { code, message, .. } => (*code, message.clone()),
            ApiError::Unavailable(cause) => {
                tracing::error!(error = ?cause, "a service is unavailable");
                ("unavailable", "Сервис временно недоступен. Попробуйте через несколько минут.".to_owned())
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
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
        let body = json!({ "error": code, "message": message }).to_string();
        builder.body(Body::from(body)).expect("a static response is valid")
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

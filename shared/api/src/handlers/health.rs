//! `GET /api/health`: is Svet up, and can it reach its store? 200 or 503.

use http::StatusCode;
use serde_json::json;
use svet_domain::Key;

use crate::error::json;
use crate::{ApiError, App, Body, Request, Response};

pub async fn get(app: &App, _request: Request) -> Result<Response<Body>, ApiError> {
    // A read of a key that never exists: proves the store answers, costs one read unit.
    app.store.get(&Key::new("HEALTH", "HEALTH")).await?;
    json(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "time": app.clock.now().to_string(),
        }),
    )
}

//! `GET /api/company`: the retailer's name and support contacts, for every page's footer and
//! for the messages that tell customers whom to call.

use http::StatusCode;
use serde_json::json;

use crate::error::json;
use crate::{ApiError, App, Body, Request, Response};

pub async fn get(app: &App, _request: Request) -> Result<Response<Body>, ApiError> {
    let c = &app.config.company;
    let mut response = json(
        StatusCode::OK,
        &json!({
            "name": c.name,
            "short_name": c.short_name,
            "support_phone": c.support_phone,
            "support_email": c.support_email,
            "website": c.website,
        }),
    )?;
    response
        .headers_mut()
        .insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

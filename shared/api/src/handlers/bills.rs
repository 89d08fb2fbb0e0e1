//! `GET /api/bill`: the customer's current bill (the latest posted), or a clear answer that
//! none has been posted yet.

use http::StatusCode;
use serde_json::json;
use svet_domain::bills;

use crate::error::json;
use crate::session::caller;
use crate::{ApiError, App, Body, Request, Response};

pub async fn current(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let who = caller(app, &request).await?;
    let latest = bills::bills(app.store.as_ref(), &who.account, 1).await?.into_iter().next();
    let body = match latest {
        Some(posted) => json!({
            "bill": posted.bill,
            "posted_at": posted.posted_at,
            "period_name": posted.bill.period.name_ru(),
            "amount_due_text": posted.bill.amount_due.to_string(),
        }),
        None => json!({
            "bill": null,
            "message": "Счёт ещё не выставлен. Счета размещаются 5–6 числа следующего месяца.",
        }),
    };
    json(StatusCode::OK, &body)
}

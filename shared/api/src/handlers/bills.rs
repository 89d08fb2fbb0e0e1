//! `GET /api/bill`: the customer's current bill (the latest posted), or a clear answer that
//! none has been posted yet; `GET /api/bills`: the last 12 months' consumption and amounts, for
//! the chart on the «Счёт» page.

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

/// `GET /api/bills`: oldest first, at most 12 months.
pub async fn history(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let who = caller(app, &request).await?;
    let mut posted = bills::bills(app.store.as_ref(), &who.account, 12).await?;
    posted.reverse();
    let months: Vec<serde_json::Value> = posted
        .iter()
        .map(|p| {
            let b = &p.bill;
            json!({
                "period": b.period,
                "period_name": b.period.name_ru(),
                "zones": b.lines.iter().map(|l| json!({
                    "zone": l.zone,
                    "zone_label": l.zone.label_ru(),
                    "basis": l.basis,
                    "consumption": l.consumption,
                })).collect::<Vec<_>>(),
                "total_kwh": b.total_kwh(),
                "total_charge": b.total_charge,
                "amount_due": b.amount_due,
            })
        })
        .collect();
    json(StatusCode::OK, &json!({ "months": months }))
}

//! `GET /api/bill`: the customer's current bill (the latest posted), or a clear answer that
//! none has been posted yet; `GET /api/bills`: the last 12 months' consumption and amounts, for
//! the chart and the list of earlier bills on the «Счёт» page.
//!
//! Both hand out links to the bill's PDF and PNG that expire after [`LINK_MINUTES`] minutes
//! (an S3 presigned GET, or a signed link to the local server): the page asks again when it
//! is reloaded. The PDF is rendered when the bill is posted; the PNG the first time a bill
//! is shown here (or mailed as PNG), then stored: once per bill, never per view.

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use svet_domain::bills::document::{self, EnsureError, Format, RenderError, doc_key, file_name};
use svet_domain::bills::{self, PostedBill};

use crate::error::json;
use crate::session::caller;
use crate::{ApiError, App, Body, Request, Response};

/// How long a document link works.
pub const LINK_MINUTES: u64 = 10;

/// `{"pdf": {"url", "file_name"}, "png": …}`, or `null` while the PDF is being rendered. With
/// `render_png` the PNG is rendered now if it never was; without, or when it cannot be stored
/// now, it is left out until then.
async fn documents(app: &App, posted: &PostedBill, render_png: bool) -> Result<Value, ApiError> {
    if !posted.documents {
        return Ok(Value::Null);
    }
    let mut png = posted.png;
    if render_png && !posted.png {
        let (account, period) = (&posted.bill.account, posted.bill.period);
        match document::ensure_png(app.store.as_ref(), app.documents.as_ref(), &app.config, account, period)
            .await
        {
            Ok(_) => png = true,
            // The bucket cannot take the PNG just now: the bill and its PDF are still shown;
            // the PNG comes with a later view.
            Err(EnsureError::Render(RenderError::Store(e))) => {
                tracing::warn!(error = %crate::observe::scrub(&format!("{e:#}")), "the bill's PNG could not be stored; shown without it");
            }
            Err(EnsureError::Store(e)) => return Err(ApiError::from(e)),
            Err(EnsureError::Render(e)) => return Err(ApiError::Internal(e.into())),
        }
    }
    let mut links = serde_json::Map::new();
    for format in Format::ALL {
        if format == Format::Png && !png {
            continue;
        }
        let key = doc_key(&posted.bill.account, posted.bill.period, format);
        let url = app.documents.link(&key, Duration::from_secs(LINK_MINUTES * 60)).await?;
        links.insert(
            format.extension().to_owned(),
            json!({ "url": url, "file_name": file_name(&posted.bill, format) }),
        );
    }
    Ok(Value::Object(links))
}

fn tariff_name(app: &App, code: &str) -> String {
    app.config.tariff(code).map_or_else(|| code.to_owned(), |t| t.name.clone())
}

pub async fn current(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let who = caller(app, &request).await?;
    let latest = bills::bills(app.store.as_ref(), &who.account, 1).await?.into_iter().next();
    // The bank's per-payment limit (B8): the page offers to split a larger amount before it
    // sends the customer to the bank.
    let max_payment = app.config.payments.max_payment();
    let body = match latest {
        Some(posted) => json!({
            // «Оплачено по текущей квитанции» (B9), in kopecks.
            "paid_since_bill": svet_domain::payments::paid_since(app.store.as_ref(), &who.account, posted.posted_at).await?,
            "documents": documents(app, &posted, true).await?,
            "tariff_name": tariff_name(app, &posted.bill.tariff),
            "bill": posted.bill,
            "posted_at": posted.posted_at,
            "period_name": posted.bill.period.name_ru(),
            "amount_due_text": posted.bill.amount_due.to_string(),
            "max_payment": max_payment,
        }),
        None => json!({
            "bill": null,
            "max_payment": max_payment,
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
    let mut months = Vec::with_capacity(posted.len());
    for p in &posted {
        let b = &p.bill;
        months.push(json!({
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
                // Earlier months: the PNG only if it was rendered (a first view of up to 12
                // PNGs would take a quarter of a second); the PDF always.
                "documents": documents(app, p, false).await?,
        }));
    }
    json(StatusCode::OK, &json!({ "months": months }))
}

//! The simulator's own control paths under `/sim/` (not the bank's): tests in another
//! process set the callback faults, read the delivery log and move time forward.
//!
//! * `POST /sim/faults` — form fields `drop_percent`, `delay_ms`, `duplicates`, `reorder`
//!   (`1`/`0`), `reorder_hold_ms`; absent fields are reset to no fault.
//! * `GET /sim/callbacks` — every delivery attempt so far, as JSON.
//! * `POST /sim/advance` — form field `seconds`: the simulator's time jumps forward, and
//!   orders past their lifetime expire.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response};
use jiff::SignedDuration;
use serde_json::json;

use crate::callbacks::DeliveryOutcome;
use crate::params::Params;
use crate::{Faults, Simulator, json, not_found};

pub(crate) fn handle(sim: &Simulator, path: &str, method: &Method, form: &Params) -> Response<Bytes> {
    match (path, method) {
        ("faults", &Method::POST) => {
            let number = |name: &str| form.get(name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            let faults = Faults {
                drop_percent: u8::try_from(number("drop_percent").min(100)).unwrap_or(100),
                delay: Duration::from_millis(number("delay_ms")),
                duplicates: u32::try_from(number("duplicates")).unwrap_or(0),
                reorder: form.get("reorder") == Some("1"),
                reorder_hold: match number("reorder_hold_ms") {
                    0 => Faults::default().reorder_hold,
                    ms => Duration::from_millis(ms),
                },
            };
            sim.set_faults(faults.clone());
            json(&json!({
                "drop_percent": faults.drop_percent,
                "delay_ms": faults.delay.as_millis() as u64,
                "duplicates": faults.duplicates,
                "reorder": faults.reorder,
                "reorder_hold_ms": faults.reorder_hold.as_millis() as u64,
            }))
        }
        ("callbacks", &Method::GET) => {
            let log: Vec<_> = sim
                .callback_log()
                .into_iter()
                .map(|d| {
                    let (outcome, status) = match d.outcome {
                        DeliveryOutcome::Dropped => ("dropped".to_owned(), None),
                        DeliveryOutcome::Status(code) => ("sent".to_owned(), Some(code)),
                        DeliveryOutcome::Failed(error) => (error, None),
                    };
                    json!({ "url": d.url, "attempt": d.attempt, "outcome": outcome, "status": status })
                })
                .collect();
            json(&json!(log))
        }
        ("advance", &Method::POST) => match form.get("seconds").and_then(|s| s.parse::<i64>().ok()) {
            Some(seconds) if seconds > 0 => {
                sim.advance(SignedDuration::from_secs(seconds));
                json(&json!({ "now": sim.now().to_string() }))
            }
            _ => json(&json!({ "error": "seconds: a positive whole number" })),
        },
        _ => not_found(),
    }
}

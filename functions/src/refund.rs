//! The operator's refund on AWS (B10): the `payments-refund` function, invoked directly
//! (`aws lambda invoke`, docs/operations.md), not over HTTP: a refund sends money back, so only
//! someone allowed to invoke the function can ask for one. It runs the same use case as the
//! local `svet refund` ([`svet_domain::payments::Payments::refund`]), so running it again after
//! a lost answer settles that refund instead of sending another.
//!
//! Input `{"payment_id": "…", "amount": "100,50"}` (the amount as a customer types it; a number
//! of kopecks is refused, so that 100 cannot mean 1,00 ₽). The answer is JSON whatever the
//! outcome: `"outcome"` is `refunded`, `refused` (nothing refunded), `retry` (run it again
//! later) or `invalid` (the input). Only a failure of the store makes the invocation fail, so
//! the function's error alarm means trouble, not an operator's typo.

use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use svet_api::App;
use svet_api::metrics::{self, Metric};
use svet_domain::Kopecks;
use svet_domain::payments::{RefundError, Refunded};

/// The answer to one invocation; `Err` only when the store failed.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let input = &event.payload;
    let (Some(payment_id), Some(amount)) =
        (input.get("payment_id").and_then(Value::as_str), input.get("amount").and_then(Value::as_str))
    else {
        return Ok(invalid(
            "expected {\"payment_id\": \"…\", \"amount\": \"100,50\"} (the amount as text, in rubles)",
        ));
    };
    let amount = match Kopecks::parse_rubles(amount) {
        Ok(amount) => amount,
        Err(e) => return Ok(invalid(&format!("the amount {amount:?} is not an amount of rubles: {e}"))),
    };
    let payments = app.payments().map_err(|e| format!("{e}"))?;
    match payments.refund(payment_id, amount).await {
        Ok(done) => {
            tracing::info!(
                payment = %done.payment.id,
                account = %done.payment.account.masked(),
                amount = done.refund.amount.get(),
                refunded = done.payment.refunded.get(),
                settled_earlier = done.settled_earlier,
                "refund done"
            );
            metrics::emit(&[(Metric::RefundsMade, 1)]);
            Ok(refunded(&done))
        }
        Err(RefundError::Store(e)) => {
            tracing::error!(error = %e, "a refund stopped: the store failed");
            Err(e.into())
        }
        Err(e) => {
            let (outcome, code) = classify(&e);
            // The bank's refusals and failures; an operator's mistake (a wrong id or amount) is
            // not a failure of the service.
            if matches!(
                e,
                RefundError::Refused(_) | RefundError::Unreachable(_) | RefundError::AnswerLost { .. }
            ) {
                metrics::emit(&[(Metric::RefundsFailed, 1)]);
            }
            // The payment id only: the message may name amounts, never the account or card.
            tracing::warn!(payment = payment_id, error = code, message = %svet_api::observe::scrub(&e.to_string()), "refund not made");
            Ok(json!({ "outcome": outcome, "error": code, "message": e.to_string() }))
        }
    }
}

fn invalid(message: &str) -> Value {
    json!({ "outcome": "invalid", "error": "invalid_input", "message": message })
}

/// The outcome (`refused`: nothing refunded; `retry`: run it again later) and the error code.
pub fn classify(error: &RefundError) -> (&'static str, &'static str) {
    match error {
        RefundError::NotPositive => ("refused", "not_positive"),
        RefundError::UnknownPayment(_) => ("refused", "unknown_payment"),
        RefundError::NotPaid { .. } => ("refused", "not_paid"),
        RefundError::AboveRemaining { .. } => ("refused", "above_remaining"),
        RefundError::Refused(_) => ("refused", "bank_refused"),
        RefundError::Unreachable(_) => ("retry", "bank_unreachable"),
        RefundError::AnswerLost { .. } => ("retry", "answer_lost"),
        RefundError::InProgress { .. } => ("retry", "in_progress"),
        RefundError::Store(_) => ("retry", "store"),
    }
}

fn refunded(done: &Refunded) -> Value {
    let Refunded { refund, payment, settled_earlier } = done;
    json!({
        "outcome": "refunded",
        "settled_earlier": settled_earlier,
        "refund": {
            "amount": refund.amount,
            "amount_text": refund.amount.format_rubles(),
            "requested_at": refund.requested_at,
            "refunded_at": refund.refunded_at,
            "number": refund.number,
        },
        "payment": {
            "id": payment.id,
            "amount": payment.amount,
            "refunded": payment.refunded,
            "left": payment.amount.get() - payment.refunded.get(),
            "status": payment.status,
        },
    })
}

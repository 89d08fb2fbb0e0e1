//! Counters of what matters to the business: payments, refunds, callbacks, reconciliation,
//! bills, mail and registry imports. On Lambda each batch of counters is one CloudWatch
//! Embedded Metric Format (EMF) document, a JSON line on stdout that CloudWatch Logs turns
//! into metrics in the `Svet` namespace with the function's name as the `Function` dimension
//! (no agent, no API call, no extra latency). Locally, and in tests, the same counters are one
//! log event (`message` "metrics", the counters in its `metrics` field).
//!
//! Counters are emitted by the HTTP handlers and the jobs, never by the domain crate, which
//! has no logging by design: it reports what happened (`credited_now`, the summaries) and the
//! layer above counts it.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};
use svet_domain::bills::Summary;
use svet_domain::payments::{Confirmed, MailSummary, PaymentStatus, ReconcileSummary};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "Svet";

/// Every metric Svet emits (all counts). docs/operations.md lists what each one counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A payment registered with the bank (`POST /api/payments` answered 201).
    PaymentsStarted,
    /// A payment credited to its account: exactly once per payment, whoever confirmed it.
    PaymentsCredited,
    /// The bank declined the card.
    PaymentsDeclined,
    /// A payment ended unpaid without a decline: its order expired, was never registered or
    /// was voided.
    PaymentsExpired,
    /// The bank's status did not match the payment: left for an operator.
    PaymentsFlagged,
    RefundsMade,
    /// A refund refused by the bank or not sent (the bank unreachable, the answer lost).
    RefundsFailed,
    /// A bank callback with a missing or wrong checksum, or malformed.
    CallbacksRefused,
    /// Payments settled by the reconciliation job.
    ReconcileSettled,
    /// Payments the reconciliation job could not settle (the bank or the store failed).
    ReconcileFailed,
    BillsGenerated,
    BillsRendered,
    /// Accounts whose bill could not be posted or drawn.
    BillsFailed,
    /// Mails sent: bills, bill notices and payment receipts.
    MailsSent,
    /// Mails that failed this time; retried.
    MailsFailed,
    /// Mails left for an operator (refused by the mail service, or failed too often).
    MailsGivenUp,
    RegistryRowsImported,
    RegistryRowsRefused,
}

impl Metric {
    pub const ALL: [Metric; 18] = [
        Metric::PaymentsStarted,
        Metric::PaymentsCredited,
        Metric::PaymentsDeclined,
        Metric::PaymentsExpired,
        Metric::PaymentsFlagged,
        Metric::RefundsMade,
        Metric::RefundsFailed,
        Metric::CallbacksRefused,
        Metric::ReconcileSettled,
        Metric::ReconcileFailed,
        Metric::BillsGenerated,
        Metric::BillsRendered,
        Metric::BillsFailed,
        Metric::MailsSent,
        Metric::MailsFailed,
        Metric::MailsGivenUp,
        Metric::RegistryRowsImported,
        Metric::RegistryRowsRefused,
    ];

    /// The metric's name in CloudWatch: the variant's name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::PaymentsStarted => "PaymentsStarted",
            Metric::PaymentsCredited => "PaymentsCredited",
            Metric::PaymentsDeclined => "PaymentsDeclined",
            Metric::PaymentsExpired => "PaymentsExpired",
            Metric::PaymentsFlagged => "PaymentsFlagged",
            Metric::RefundsMade => "RefundsMade",
            Metric::RefundsFailed => "RefundsFailed",
            Metric::CallbacksRefused => "CallbacksRefused",
            Metric::ReconcileSettled => "ReconcileSettled",
            Metric::ReconcileFailed => "ReconcileFailed",
            Metric::BillsGenerated => "BillsGenerated",
            Metric::BillsRendered => "BillsRendered",
            Metric::BillsFailed => "BillsFailed",
            Metric::MailsSent => "MailsSent",
            Metric::MailsFailed => "MailsFailed",
            Metric::MailsGivenUp => "MailsGivenUp",
            Metric::RegistryRowsImported => "RegistryRowsImported",
            Metric::RegistryRowsRefused => "RegistryRowsRefused",
        }
    }
}

/// Where counters go: set once per process. Unset means the log (the local server, tests).
static EMF_FUNCTION: OnceLock<&'static str> = OnceLock::new();

/// On Lambda: counters become EMF documents on stdout, with this function's name (the binary's,
/// as in the route table: `payments-callback`) as the `Function` dimension. The physical
/// function name changes with every stack, so it would split a metric's history.
pub fn use_emf(function: &'static str) {
    let _ = EMF_FUNCTION.set(function);
}

/// Emits a batch of counters. Zeros are kept: a job's summary reports 0 failures as a data
/// point, so that an alarm on failures sees «none» rather than missing data.
pub fn emit(counts: &[(Metric, u64)]) {
    if counts.is_empty() {
        return;
    }
    match EMF_FUNCTION.get() {
        Some(function) => {
            let now = jiff::Timestamp::now().as_millisecond();
            crate::observe::stdout_line(&document(function, now, counts).to_string());
        }
        None => {
            let text = counts.iter().map(|(m, n)| format!("{}={n}", m.name())).collect::<Vec<_>>().join(" ");
            tracing::info!(metrics = %text, "metrics");
        }
    }
}

/// The EMF document for a batch of counters: the `_aws` metadata naming each metric (unit
/// `Count`) under the `Function` dimension, and each value at the top level, where CloudWatch
/// looks for it. A metric named twice is summed into one value.
pub fn document(function: &str, timestamp_ms: i64, counts: &[(Metric, u64)]) -> Value {
    let mut root = Map::new();
    let mut names: Vec<Value> = Vec::new();
    for (metric, n) in counts {
        let name = metric.name();
        match root.get_mut(name) {
            Some(Value::Number(old)) => {
                let sum = old.as_u64().unwrap_or_default().saturating_add(*n);
                root.insert(name.to_owned(), sum.into());
            }
            _ => {
                root.insert(name.to_owned(), (*n).into());
                names.push(json!({ "Name": name, "Unit": "Count" }));
            }
        }
    }
    root.insert("Function".into(), function.into());
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": names,
            }],
        }),
    );
    Value::Object(root)
}

/// The counters of one confirmation (a return, a callback): a credit, or the payment reaching
/// an unpaid end or the flag by this very call. A second confirmation of the same state counts
/// nothing, so a return and a callback for one payment count it once.
pub fn confirmed(c: &Confirmed) -> Vec<(Metric, u64)> {
    let mut counts = Vec::new();
    if c.credited_now {
        counts.push((Metric::PaymentsCredited, 1));
    }
    if c.previous != c.payment.status {
        match c.payment.status {
            PaymentStatus::Declined => counts.push((Metric::PaymentsDeclined, 1)),
            PaymentStatus::Expired | PaymentStatus::Failed | PaymentStatus::Reversed => {
                counts.push((Metric::PaymentsExpired, 1))
            }
            PaymentStatus::Flagged => counts.push((Metric::PaymentsFlagged, 1)),
            _ => {}
        }
    }
    counts
}

/// The counters of a reconciliation run.
pub fn reconciled(s: &ReconcileSummary) -> Vec<(Metric, u64)> {
    vec![
        (Metric::ReconcileSettled, s.settled),
        (Metric::ReconcileFailed, s.failed),
        (Metric::PaymentsCredited, s.credited),
        (Metric::PaymentsDeclined, s.declined),
        (Metric::PaymentsExpired, s.expired),
        (Metric::PaymentsFlagged, s.flagged),
    ]
}

/// The counters of receipt mails sent.
pub fn receipt_mails(s: &MailSummary) -> Vec<(Metric, u64)> {
    vec![
        (Metric::MailsSent, s.sent.into()),
        (Metric::MailsFailed, s.failed.into()),
        (Metric::MailsGivenUp, s.given_up.into()),
    ]
}

/// The counters of a bill run (one segment on AWS, a whole run locally).
pub fn bill_run(s: &Summary) -> Vec<(Metric, u64)> {
    vec![
        (Metric::BillsGenerated, s.generated),
        (Metric::BillsRendered, s.rendered),
        (Metric::BillsFailed, s.failed),
        (Metric::MailsSent, s.mailed),
        (Metric::MailsFailed, s.mail_failed),
        (Metric::MailsGivenUp, s.mail_gave_up),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_document_names_every_metric_and_carries_its_value_at_the_top() {
        let doc = document(
            "payments-callback",
            1_771_149_600_000,
            &[
                (Metric::PaymentsCredited, 1),
                (Metric::MailsSent, 2),
                (Metric::MailsFailed, 0),
                (Metric::MailsSent, 1),
            ],
        );
        // What CloudWatch reads: a JSON object on one line.
        let line = doc.to_string();
        assert!(!line.contains('\n'));
        let doc: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(doc["_aws"]["Timestamp"], 1_771_149_600_000_i64);
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Svet");
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        let metrics = directive["Metrics"].as_array().unwrap();
        let names: Vec<&str> = metrics.iter().map(|m| m["Name"].as_str().unwrap()).collect();
        assert_eq!(names, ["PaymentsCredited", "MailsSent", "MailsFailed"]);
        for m in metrics {
            assert_eq!(m["Unit"], "Count");
            let name = m["Name"].as_str().unwrap();
            assert!(doc[name].is_number(), "{name} has no numeric value at the top level: {doc}");
        }
        assert_eq!(doc["MailsSent"], 3);
        assert_eq!(doc["MailsFailed"], 0);
        // Every dimension named has its value at the top level too.
        for dims in directive["Dimensions"].as_array().unwrap() {
            for d in dims.as_array().unwrap() {
                assert!(doc[d.as_str().unwrap()].is_string(), "{d}");
            }
        }
        assert_eq!(doc["Function"], "payments-callback");
    }

    #[test]
    fn metric_names_are_unique_and_plain() {
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_alphanumeric())));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(format!("{:?}", Metric::RegistryRowsRefused), Metric::RegistryRowsRefused.name());
    }
}

//! The scheduled payment job, shared by its Lambda (`reconcile-payments`, every 5 minutes), the
//! local server's clock and the operator command `svet reconcile-payments`.

use svet_domain::payments::{MailSummary, ReconcileSummary};

use crate::App;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub payments: ReconcileSummary,
    pub receipts: MailSummary,
}

impl ReconcileReport {
    /// Something was left for the next run (the bank or the mail service failed).
    pub fn has_failures(&self) -> bool {
        self.payments.failed > 0 || self.receipts.failed > 0
    }

    /// One line for the log and the command's output.
    pub fn as_json(&self) -> serde_json::Value {
        let (p, r) = (&self.payments, &self.receipts);
        serde_json::json!({
            "payments": {
                "checked": p.checked, "settled": p.settled, "still_pending": p.still_pending, "failed": p.failed,
                "credited": p.credited, "declined": p.declined, "expired": p.expired, "flagged": p.flagged,
            },
            "receipts": { "sent": r.sent, "failed": r.failed, "given_up": r.given_up, "busy": r.busy },
        })
    }
}

/// Settles the payments whose order lifetime is over by asking the bank (no payment stays
/// pending for ever), then mails the receipts still queued (B6). A failure of one payment or
/// one mail is counted and left for the next run; only the store failing stops the run.
pub async fn reconcile_payments(app: &App) -> anyhow::Result<ReconcileReport> {
    let payments = app.payments().map_err(|e| anyhow::anyhow!("{e}"))?.reconcile().await?;
    // Counted even if the receipts then fail: the payments are settled by now.
    crate::metrics::emit(&crate::metrics::reconciled(&payments));
    let receipts = app.receipt_mails().drain().await?;
    crate::metrics::emit(&crate::metrics::receipt_mails(&receipts));
    Ok(ReconcileReport { payments, receipts })
}

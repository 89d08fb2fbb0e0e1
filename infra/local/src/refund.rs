//! `svet refund PAYMENT_ID AMOUNT`: return part or all of a paid payment to its card through
//! the bank's refund.do (B10), by the payment id printed on its receipt; AMOUNT in rubles as a
//! customer types it (`100,50`, `100`, `1 234,56`). Safe to run again: a refund whose answer
//! was lost is settled by asking the bank, never sent twice (docs/payments.md, «Refunds»).
//!
//! The bank is the one the local server uses: its built-in simulator on the server's port
//! (`SVET_PORT`, default 8080), so the server must be running, as the simulator keeps its
//! orders in memory.
//!
//! Exit codes: 0 refunded (or an earlier run's refund settled); 3 refused, nothing refunded
//! (unknown payment, not paid, the amount, the bank refused); 4 not settled yet, run it again
//! later (the bank unreachable, its answer lost, another run's refund in progress); 2 bad
//! arguments; 1 the command could not run (the store, the configuration).

use std::process::ExitCode;

use anyhow::Context as _;
use svet_domain::Kopecks;
use svet_domain::payments::{RefundError, Refunded};

const USAGE: &str = "usage: svet refund PAYMENT_ID AMOUNT (rubles, e.g. 100,50)";

pub async fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let [payment_id, amount] = args else {
        eprintln!("svet refund: expected a payment id and an amount\n{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let amount = match Kopecks::parse_rubles(amount) {
        Ok(amount) => amount,
        Err(e) => {
            eprintln!("svet refund: the amount {amount:?} is not an amount of rubles: {e}\n{USAGE}");
            return Ok(ExitCode::from(2));
        }
    };
    // The gateway points at the local server's simulator on its usual port.
    let port = std::env::var("SVET_PORT").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "8080".into());
    let local = crate::context::open(&format!("http://127.0.0.1:{port}"))?;
    let payments = local.app.payments().map_err(|e| anyhow::anyhow!("{e}")).context("the bank's gateway")?;
    match payments.refund(payment_id, amount).await {
        Ok(done) => {
            print_done(&done);
            Ok(ExitCode::SUCCESS)
        }
        Err(RefundError::Store(e)) => {
            Err(anyhow::Error::new(e).context("the store failed; nothing more was sent"))
        }
        Err(e) => {
            eprintln!("svet refund: {e}");
            Ok(ExitCode::from(exit_code(&e)))
        }
    }
}

/// 3: refused, nothing changed; 4: run it again later.
pub fn exit_code(error: &RefundError) -> u8 {
    match error {
        RefundError::Unreachable(_) | RefundError::AnswerLost { .. } | RefundError::InProgress { .. } => 4,
        RefundError::Store(_) => 1,
        _ => 3,
    }
}

fn print_done(done: &Refunded) {
    let Refunded { refund, payment, settled_earlier } = done;
    if *settled_earlier {
        println!(
            "An earlier run's refund of {} (requested {}) was made by the bank; nothing new was sent.",
            refund.amount, refund.requested_at
        );
    } else {
        println!("Refunded {} of payment {} to its card.", refund.amount, payment.id);
    }
    let left = Kopecks::new(payment.amount.get() - payment.refunded.get());
    println!(
        "payment {} (account {}): paid {}, refunded {}, left {}, status refunded",
        payment.id,
        payment.account.masked(),
        payment.amount,
        payment.refunded,
        left
    );
}

//! `svet generate-bills [--period YYYY-MM]`: post a period's bills for every account in the
//! registry (default: last month in the company's time zone). Safe to run again: bills that
//! exist are left alone, so a crashed run finishes by running it again.
//!
//! Exit codes: 0 every bill posted (or already there), rendered and mailed; 3 some accounts
//! failed (listed) or some mails failed (the next run retries them); 1 the run stopped.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use svet_domain::billing::{Period, Tariffs};
use svet_domain::bills::Generation;

pub async fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut period = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--period" => {
                let value = args.next().context("--period needs a month, e.g. 2026-01")?;
                period = Some(Period::parse(value).map_err(|e| anyhow::anyhow!("--period {value:?}: {e}"))?);
            }
            other => {
                anyhow::bail!("unexpected argument {other:?} (usage: svet generate-bills [--period YYYY-MM])")
            }
        }
    }
    // The mails link to the local server on its usual port.
    let port = std::env::var("SVET_PORT").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "8080".into());
    let local = crate::context::open(&format!("http://127.0.0.1:{port}"))?;
    let app = &local.app;
    let period =
        period.unwrap_or_else(|| Period::of(app.clock.now().to_zoned(app.config.time_zone()).date()).prev());
    let tariffs = Tariffs::from_env()?;
    let generation = Generation {
        store: app.store.as_ref(),
        clock: app.clock.as_ref(),
        config: &app.config,
        tariffs: &tariffs,
        documents: app.documents.as_ref(),
        mailer: app.mailer.as_ref(),
        public_url: &app.public_url,
    };

    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let started = Instant::now();
    let summary = generation
        .run(
            period,
            0,
            1,
            &mut |e| {
                if bar.is_hidden() {
                    eprintln!("failed {e}");
                } else {
                    bar.println(format!("failed {e}"));
                }
            },
            &mut |s| {
                let rate = u128::from(s.accounts) * 1000 / started.elapsed().as_millis().max(1);
                bar.set_message(format!(
                    "{period}: {} accounts, {} bills posted, {rate} accounts/s",
                    s.accounts, s.generated
                ));
            },
        )
        .await?;
    bar.finish_and_clear();
    let millis = started.elapsed().as_millis();
    println!("Bills for {period} ({}) in {}.{:03} s", period.name_ru(), millis / 1000, millis % 1000);
    println!(
        "accounts {}: posted {}, already posted {}, failed {}",
        summary.accounts, summary.generated, summary.existing, summary.failed
    );
    println!(
        "documents rendered {}; mails sent {}, failed {} (a rerun retries them), given up {}",
        summary.rendered, summary.mailed, summary.mail_failed, summary.mail_gave_up
    );
    Ok(if summary.failed > 0 || summary.mail_failed > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

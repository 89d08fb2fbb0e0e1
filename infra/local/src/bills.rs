//! `svet generate-bills [--period YYYY-MM]`: post a period's bills for every account in the
//! registry (default: last month in the company's time zone). Safe to run again: bills that
//! exist are left alone, so a crashed run finishes by running it again.
//!
//! Exit codes: 0 every bill posted (or already there), rendered and mailed; 3 some accounts
//! failed (listed) or some mails failed (the next run retries them); 1 the run stopped.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use svet_domain::billing::{Period, Tariffs};
use svet_domain::bills::Summary;

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
    let app = local.app.clone();
    let period =
        period.unwrap_or_else(|| Period::of(app.clock.now().to_zoned(app.config.time_zone()).date()).prev());
    let tariffs = Arc::new(Tariffs::from_env()?);
    // One scan segment per core: rendering is CPU work, and SQLite takes the writes in turn.
    let segments = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8) as u32;

    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let started = Instant::now();
    let progress = Arc::new(Mutex::new(vec![Summary::default(); segments as usize]));
    let mut tasks = tokio::task::JoinSet::new();
    for segment in 0..segments {
        let (app, tariffs, bar, progress) = (app.clone(), tariffs.clone(), bar.clone(), progress.clone());
        tasks.spawn(async move {
            let generation = app.generation(&tariffs);
            let failed_bar = bar.clone();
            generation
                .run(
                    period,
                    segment,
                    segments,
                    &mut |e| {
                        if failed_bar.is_hidden() {
                            eprintln!("failed {e}");
                        } else {
                            failed_bar.println(format!("failed {e}"));
                        }
                    },
                    &mut |s| {
                        let mut all = progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        all[segment as usize] = s.clone();
                        let mut total = Summary::default();
                        all.iter().for_each(|s| total.add(s));
                        let rate = u128::from(total.accounts) * 1000 / started.elapsed().as_millis().max(1);
                        bar.set_message(format!(
                            "{period}: {} accounts, {} bills posted, {rate} accounts/s",
                            total.accounts, total.generated
                        ));
                    },
                )
                .await
        });
    }
    let mut summary = Summary::default();
    let mut stopped = None;
    while let Some(joined) = tasks.join_next().await {
        match joined.context("a bill segment panicked")? {
            Ok(part) => summary.add(&part),
            Err(e) => stopped = Some(e),
        }
    }
    if let Some(e) = stopped {
        bar.finish_and_clear();
        return Err(anyhow::Error::new(e).context("the run stopped; running it again resumes"));
    }
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

//! `svet import-registry FILE [--dry-run]`: the registry import with a progress bar on a
//! terminal, every refused row on stderr, and a summary at the end.
//!
//! Exit codes: 0 all rows taken, 3 some rows refused (the rest written), 1 the file refused.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use svet_domain::registry::{self, ImportOptions, Progress, Summary};

pub async fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut file = None;
    let mut options = ImportOptions::default();
    for arg in args {
        match arg.as_str() {
            "--dry-run" => options.dry_run = true,
            flag if flag.starts_with("--") => anyhow::bail!("unknown option {flag}"),
            path if file.is_none() => file = Some(path.to_owned()),
            extra => anyhow::bail!("unexpected argument {extra:?}"),
        }
    }
    let Some(path) = file else {
        anyhow::bail!("usage: svet import-registry FILE [--dry-run]");
    };
    let size = std::fs::metadata(&path).with_context(|| format!("cannot read {path}"))?.len();
    let local = crate::context::open("http://127.0.0.1")?;
    let app = &local.app;
    let bar = Bar::new();
    let result = registry::import(
        app.store.as_ref(),
        &app.config,
        app.clock.as_ref(),
        app.ids.as_ref(),
        || File::open(&path).map(|f| BufReader::with_capacity(1 << 16, f)),
        &path,
        size,
        &options,
        &bar,
        &mut |issue| {
            // Above the bar on a terminal; plain lines otherwise (a hidden bar prints nothing).
            if bar.bar.is_hidden() {
                eprintln!("refused {issue}");
            } else {
                bar.bar.println(format!("refused {issue}"));
            }
        },
    )
    .await;
    bar.bar.finish_and_clear();
    match result {
        Ok(summary) => {
            print_summary(&summary, bar.started.elapsed().as_millis());
            Ok(if summary.refused > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
        }
        Err(e) => {
            eprintln!("svet: the registry was not imported: {e}");
            if matches!(e, registry::ImportError::File(_)) {
                eprintln!("Nothing was written.");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_summary(s: &Summary, millis: u128) {
    let rate = u128::from(s.rows) * 1000 / millis.max(1);
    let what = if s.dry_run { "Checked (dry run: nothing written)" } else { "Imported" };
    println!(
        "{what} {} ({}) in {}.{:03} s, {rate} rows/s",
        s.source,
        s.encoding,
        millis / 1000,
        millis % 1000
    );
    println!(
        "rows {}: imported {}, updated {}, unchanged {}, refused {}",
        s.rows, s.imported, s.updated, s.unchanged, s.refused
    );
}

/// A progress bar over the file's bytes, with rows and rows per second; hidden when stderr is
/// not a terminal.
struct Bar {
    bar: ProgressBar,
    started: Instant,
    phase_started: std::cell::Cell<Instant>,
}

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>11} [{bar:30}] {percent:>3}% {msg} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar { bar, started: Instant::now(), phase_started: std::cell::Cell::new(Instant::now()) }
    }
}

impl Progress for Bar {
    fn start(&self, phase: &'static str, total_bytes: u64) {
        self.phase_started.set(Instant::now());
        self.bar.reset();
        self.bar.set_length(total_bytes);
        self.bar.set_prefix(phase);
    }

    fn advance(&self, bytes: u64, rows: u64) {
        let millis = self.phase_started.get().elapsed().as_millis().max(1);
        let rate = u128::from(rows) * 1000 / millis;
        self.bar.set_position(bytes);
        self.bar.set_message(format!("{rows} rows, {rate} rows/s"));
    }

    fn finish(&self) {}
}

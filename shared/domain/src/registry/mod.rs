//! The customer registry: how customers get into Svet. The retailer's billing system exports
//! a `;`-separated file (UTF-8 or Windows-1251) with the columns [`COLUMNS`]; `import` reads
//! it twice, streaming: first to validate every row (and find accounts that appear twice),
//! then to write the valid rows idempotently. A re-run after a crash finishes the job, and a
//! re-import updates changed customers and leaves the others alone.

mod file;
mod import;
mod row;

pub use file::{Encoding, FileError, LineReader, split_fields};
pub use import::{ImportError, ImportOptions, Progress, Quiet, Summary, import, registry_key};
pub use row::{Header, RegistryEntry, RowError, parse_row};

/// The registry file's columns, in the order the billing system writes them. A file may
/// order them differently; it must have each exactly once and no others.
pub const COLUMNS: [&str; 8] =
    ["account", "address", "meter", "digits", "reading", "reading_night", "tariff", "balance"];

/// A refused row: its line number (1 is the header) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RowIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// A plain-text report of an import for the operators: the summary, then the refused rows.
pub fn report_text(summary: &Summary, issues: &[RowIssue]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let verb = if summary.dry_run { "Checked (dry run, nothing written)" } else { "Imported" };
    let _ = writeln!(out, "{verb}: {} ({}), import {}", summary.source, summary.encoding, summary.import_id);
    let _ = writeln!(
        out,
        "rows {}: imported {}, updated {}, unchanged {}, refused {}",
        summary.rows, summary.imported, summary.updated, summary.unchanged, summary.refused
    );
    let _ = writeln!(out, "started {}, finished {}", summary.started_at, summary.finished_at);
    if !issues.is_empty() {
        let _ = writeln!(out, "\nRefused rows:");
        for issue in issues {
            let _ = writeln!(out, "{issue}");
        }
        let unlisted = summary.refused.saturating_sub(issues.len() as u64);
        if unlisted > 0 {
            let _ = writeln!(out, "… and {unlisted} more refused rows not listed");
        }
    }
    out
}

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

//! The registry import use case: validate the whole file, then write the valid rows.

use std::collections::HashMap;
use std::io::{self, BufRead};

use serde::Serialize;

use super::file::{EncodingSniffer, decode};
use super::{Encoding, FileError, Header, LineReader, RegistryEntry, RowIssue, parse_row, split_fields};
use crate::store::{Item, Key, Store, StoreError};
use crate::{AccountNumber, Clock, Config, IdGen};

/// Where a customer's registry entry is stored.
pub fn registry_key(account: &AccountNumber) -> Key {
    Key::new(format!("ACCOUNT#{account}"), "REGISTRY")
}

/// Reports progress to a terminal or a log.
pub trait Progress {
    /// A new pass over the file begins.
    fn start(&self, phase: &'static str, total_bytes: u64);
    /// `bytes` of the file and `rows` rows are done in this pass.
    fn advance(&self, bytes: u64, rows: u64);
    fn finish(&self);
}

/// No progress reporting.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &'static str, _: u64) {}
    fn advance(&self, _: u64, _: u64) {}
    fn finish(&self) {}
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Check and classify, write nothing.
    pub dry_run: bool,
    /// Refuse files with more data rows than this.
    pub max_rows: u64,
    /// Rows read and written together.
    pub batch: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { dry_run: false, max_rows: 5_000_000, batch: 500 }
    }
}

/// What an import did. `rows` = `imported` + `updated` + `unchanged` + `refused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub import_id: String,
    pub source: String,
    pub encoding: String,
    pub dry_run: bool,
    pub rows: u64,
    pub imported: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub refused: u64,
    pub started_at: String,
    pub finished_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("storing the registry failed: {0}")]
    Store(#[from] StoreError),
}

impl From<io::Error> for ImportError {
    fn from(e: io::Error) -> Self {
        ImportError::File(FileError::Io(e))
    }
}

/// Imports a registry file. `open` opens it from the start (it is read twice); `report` gets
/// every refused row in line order. File-level problems refuse the whole file before anything
/// is written. Reading is blocking I/O: this is a batch job, not a request path.
#[allow(clippy::too_many_arguments)]
pub async fn import<R: BufRead>(
    store: &dyn Store,
    config: &Config,
    clock: &dyn Clock,
    ids: &dyn IdGen,
    mut open: impl FnMut() -> io::Result<R>,
    source: &str,
    total_bytes: u64,
    options: &ImportOptions,
    progress: &dyn Progress,
    report: &mut dyn FnMut(&RowIssue),
) -> Result<Summary, ImportError> {
    let started_at = clock.now();
    progress.start("checking", total_bytes);
    let checked = check_file(open()?, config, options, progress)?;
    progress.finish();

    let mut summary = Summary {
        import_id: ids.new_id(),
        source: source.to_owned(),
        encoding: checked.encoding.to_string(),
        dry_run: options.dry_run,
        rows: 0,
        imported: 0,
        updated: 0,
        unchanged: 0,
        refused: 0,
        started_at: started_at.to_string(),
        finished_at: String::new(),
    };
    progress.start(if options.dry_run { "classifying" } else { "importing" }, total_bytes);
    let mut reader = LineReader::new(open()?);
    reader.next_line()?; // the header, checked in the first pass
    let mut batch: Vec<RegistryEntry> = Vec::with_capacity(options.batch);
    while let Some((line, bytes)) = reader.next_line()? {
        let Some(row) = read_row(bytes, checked.encoding, &checked.header, config) else {
            continue;
        };
        summary.rows += 1;
        let refusal = match (checked.duplicates.get(&line), row) {
            (Some(reason), _) => Some(reason.clone()),
            (None, Err(reason)) => Some(reason),
            (None, Ok(entry)) => {
                batch.push(entry);
                None
            }
        };
        if let Some(reason) = refusal {
            summary.refused += 1;
            report(&RowIssue { line, reason });
        }
        if batch.len() == options.batch {
            write_batch(store, &mut batch, &mut summary, options.dry_run).await?;
            progress.advance(reader.bytes_read(), summary.rows);
        }
    }
    write_batch(store, &mut batch, &mut summary, options.dry_run).await?;
    progress.advance(reader.bytes_read(), summary.rows);
    progress.finish();
    if summary.rows != checked.rows {
        return Err(FileError::Io(io::Error::other(format!(
            "the file changed during the import ({} rows when checked, {} when written); run it again",
            checked.rows, summary.rows
        )))
        .into());
    }
    summary.finished_at = clock.now().to_string();
    if !options.dry_run {
        let key = Key::new("IMPORTS", format!("{}#{}", summary.started_at, summary.import_id));
        store.put(Item::from_serde(key, &summary)?, crate::Condition::None).await?;
    }
    Ok(summary)
}

/// What the first pass learned.
struct Checked {
    encoding: Encoding,
    header: Header,
    rows: u64,
    /// Lines whose account also appears on another line, with the reason to give.
    duplicates: HashMap<u64, String>,
}

fn check_file(
    input: impl BufRead,
    config: &Config,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<Checked, FileError> {
    let mut reader = LineReader::new(input);
    let mut sniffer = EncodingSniffer::default();
    let header = match reader.next_line()? {
        None => return Err(FileError::Empty),
        Some((_, Err(_))) => return Err(FileError::HeaderTooLong),
        Some((line, Ok(bytes))) => {
            let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
                return Err(FileError::NotText(line));
            }
            sniffer.observe(line, bytes)?;
            let text = decode(bytes, sniffer.encoding());
            if text.trim().is_empty() {
                return Err(FileError::Empty);
            }
            let fields = split_fields(&text).map_err(FileError::Header)?;
            Header::parse(&fields).map_err(FileError::Header)?
        }
    };
    // Each account as a compact number with its line: 16 bytes a row, sorted afterwards to
    // find duplicates without a hash map of strings.
    let mut accounts: Vec<(u64, u64)> = Vec::new();
    let mut rows = 0u64;
    while let Some((line, bytes)) = reader.next_line()? {
        if let Ok(bytes) = bytes {
            sniffer.observe(line, bytes)?;
        }
        let Some(row) = read_row(bytes, sniffer.encoding(), &header, config) else {
            continue;
        };
        rows += 1;
        if rows > options.max_rows {
            return Err(FileError::TooManyRows(options.max_rows));
        }
        if let Ok(entry) = row {
            accounts.push((entry.account.compact(), line));
        }
        if rows.is_multiple_of(10_000) {
            progress.advance(reader.bytes_read(), rows);
        }
    }
    progress.advance(reader.bytes_read(), rows);
    if rows == 0 {
        return Err(FileError::NoRows);
    }
    Ok(Checked { encoding: sniffer.encoding(), header, rows, duplicates: duplicates(accounts) })
}

/// Lines sharing an account, each with the other lines named.
fn duplicates(mut accounts: Vec<(u64, u64)>) -> HashMap<u64, String> {
    accounts.sort_unstable();
    let mut out = HashMap::new();
    for group in accounts.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        for &(_, line) in group {
            let others: Vec<String> =
                group.iter().filter(|o| o.1 != line).take(5).map(|o| o.1.to_string()).collect();
            let more = if group.len() > 6 { ", …" } else { "" };
            out.insert(
                line,
                format!("account: the same account is also on line {}{more}", others.join(", ")),
            );
        }
    }
    out
}

/// One data line: `None` for a blank line, else the entry or the reason it is refused.
fn read_row(
    bytes: Result<&[u8], usize>,
    encoding: Encoding,
    header: &Header,
    config: &Config,
) -> Option<Result<RegistryEntry, String>> {
    let bytes = match bytes {
        Ok(b) => b,
        Err(length) => {
            return Some(Err(format!("the line has {length} bytes; at most {}", super::file::MAX_LINE)));
        }
    };
    let text = decode(bytes, encoding);
    if text.trim().is_empty() {
        return None;
    }
    let fields = match split_fields(&text) {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    Some(parse_row(header, &fields, config).map_err(|e| e.0))
}

/// Writes the batch's new and changed entries and counts what happened to each.
async fn write_batch(
    store: &dyn Store,
    batch: &mut Vec<RegistryEntry>,
    summary: &mut Summary,
    dry_run: bool,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let keys: Vec<Key> = batch.iter().map(|e| registry_key(&e.account)).collect();
    let existing: HashMap<Key, Item> =
        store.get_many(&keys).await?.into_iter().map(|i| (i.key.clone(), i)).collect();
    let mut writes = Vec::new();
    for (entry, key) in batch.drain(..).zip(keys) {
        let version = match existing.get(&key) {
            None => {
                summary.imported += 1;
                1
            }
            Some(stored) => {
                // A stored entry that no longer decodes is replaced, not trusted.
                if stored.to_serde::<RegistryEntry>().ok().as_ref() == Some(&entry) {
                    summary.unchanged += 1;
                    continue;
                }
                summary.updated += 1;
                stored.version + 1
            }
        };
        let mut item = Item::from_serde(key, &entry)?;
        item.version = version;
        writes.push(item);
    }
    if !dry_run && !writes.is_empty() {
        store.put_many(writes).await?;
    }
    Ok(())
}

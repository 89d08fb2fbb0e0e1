//! A whole registry file through the import use case (`registry::import`): the BOM, the
//! encoding sniffing (UTF-8 or Windows-1251), line lengths, the header, every row and the
//! duplicate accounts, into a store that records what is written.
//!
//! A file that is valid UTF-8 and can be written in Windows-1251 is imported both ways: the
//! two imports must agree.

#![no_main]

use std::collections::BTreeSet;
use std::io::Cursor;

use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;
use svet_domain::registry::{ImportOptions, Quiet, RegistryEntry, RowIssue, Summary, import};
use svet_domain::{FixedClock, SequentialIds};
use svet_fuzz::{RecordingStore, block_on, check_entry, check_round_trip};

/// The longest line the import keeps (`registry::file::MAX_LINE`).
const MAX_LINE: usize = 4096;

struct Outcome {
    result: Result<Summary, String>,
    issues: Vec<RowIssue>,
    entries: Vec<RegistryEntry>,
}

fn run(bytes: &[u8]) -> Outcome {
    let config = svet_fuzz::config();
    let store = RecordingStore::default();
    let clock = FixedClock::at(Timestamp::from_second(1_780_000_000).expect("a valid time"));
    let ids = SequentialIds::default();
    let options = ImportOptions { dry_run: false, max_rows: 1000, batch: 7 };
    let mut issues = Vec::new();
    let result = block_on(import(
        &store,
        &config,
        &clock,
        &ids,
        || Ok(Cursor::new(bytes)),
        "fuzz.csv",
        bytes.len() as u64,
        &options,
        &Quiet,
        &mut |issue: &RowIssue| issues.push(issue.clone()),
    ))
    .map_err(|e| e.to_string());
    let written = store.written.into_inner().expect("not poisoned");
    let mut entries = Vec::new();
    for item in &written {
        if item.key.pk == "IMPORTS" {
            continue;
        }
        let entry: RegistryEntry = item.to_serde().expect("a written entry decodes");
        assert_eq!(item.key, svet_domain::registry::registry_key(&entry.account));
        check_entry(&entry, &config);
        check_round_trip(&entry, &config);
        entries.push(entry);
    }
    match &result {
        Ok(summary) => {
            assert_eq!(
                summary.rows,
                summary.imported + summary.updated + summary.unchanged + summary.refused,
                "{summary:?}"
            );
            // The store was empty: every valid row is new, written once.
            assert_eq!((summary.updated, summary.unchanged), (0, 0));
            assert_eq!(summary.imported, entries.len() as u64);
            assert_eq!(summary.refused, issues.len() as u64);
            assert!(issues.windows(2).all(|w| w[0].line < w[1].line), "issues out of line order");
            assert!(issues.iter().all(|i| i.line >= 2 && !i.reason.is_empty()));
            let accounts: BTreeSet<&str> = entries.iter().map(|e| e.account.as_str()).collect();
            assert_eq!(accounts.len(), entries.len(), "an account written twice");
            assert_eq!(written.iter().filter(|i| i.key.pk == "IMPORTS").count(), 1);
        }
        Err(_) => assert!(written.is_empty(), "a refused file wrote {} items", written.len()),
    }
    Outcome { result, issues, entries }
}

fuzz_target!(|bytes: &[u8]| {
    let outcome = run(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(summary) = &outcome.result
        && !text.is_ascii()
    {
        assert_eq!(summary.encoding, "UTF-8", "a valid UTF-8 file");
    }
    // The same file in Windows-1251, when it can be written so and reads unambiguously: each
    // line short enough either way, and no non-ASCII line that is also valid UTF-8.
    let (cp1251, _, lossy) = encoding_rs::WINDOWS_1251.encode(text);
    if lossy || text.is_ascii() || text.starts_with('\u{feff}') {
        return;
    }
    let lines_ok = bytes.split(|&b| b == b'\n').all(|l| l.len() <= MAX_LINE)
        && cp1251.split(|&b| b == b'\n').all(|l| l.is_ascii() || std::str::from_utf8(l).is_err());
    if !lines_ok {
        return;
    }
    let other = run(&cp1251);
    match (&outcome.result, &other.result) {
        (Ok(utf8), Ok(windows)) => {
            assert_eq!(windows.encoding, "Windows-1251");
            assert_eq!(outcome.entries, other.entries);
            assert_eq!(outcome.issues, other.issues);
            assert_eq!((utf8.rows, utf8.refused), (windows.rows, windows.refused));
        }
        (Err(_), Err(_)) => {}
        (utf8, windows) => panic!("UTF-8: {utf8:?}; Windows-1251: {windows:?}"),
    }
});

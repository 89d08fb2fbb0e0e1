//! Registry rows (`split_fields`, `Header::parse`, `parse_row`), the input's bytes read both as
//! UTF-8 and as Windows-1251. The first line is the header; when it is not a valid one, the
//! standard header is used and every line is a row.

#![no_main]

use libfuzzer_sys::fuzz_target;
use svet_domain::registry::{COLUMNS, Header, parse_row, split_fields};
use svet_fuzz::{check_entry, check_round_trip, standard_header};

fn rows(text: &str) {
    let config = svet_fuzz::config();
    let mut lines = text.lines();
    let header = lines
        .clone()
        .next()
        .and_then(|line| split_fields(line).ok())
        .and_then(|fields| Header::parse(&fields).ok());
    let header = match header {
        Some(header) => {
            lines.next();
            header
        }
        None => standard_header(),
    };
    for line in lines {
        let Ok(fields) = split_fields(line) else {
            assert!(line.contains('"'), "{line:?}: only an open quote fails a split");
            continue;
        };
        if !line.contains('"') {
            let plain: Vec<&str> = line.split(';').map(str::trim).collect();
            assert_eq!(fields, plain, "{line:?}");
        }
        // Every field quoted, the line splits into the same fields.
        let quoted: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect();
        assert_eq!(split_fields(&quoted.join(";")).as_ref(), Ok(&fields), "{line:?}");
        match parse_row(&header, &fields, &config) {
            Ok(entry) => {
                assert_eq!(fields.len(), COLUMNS.len());
                check_entry(&entry, &config);
                check_round_trip(&entry, &config);
            }
            Err(error) => assert!(!error.0.is_empty()),
        }
    }
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        rows(text);
    }
    let (text, _) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes);
    rows(&text);
});

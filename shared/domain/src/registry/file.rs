//! Reading the registry file: bounded lines, encoding detection, field splitting.

use std::io::{self, BufRead};

/// The longest line accepted, in bytes. Real rows are under 300 bytes; a longer line is
/// refused without being held in memory.
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1251,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1251 => "Windows-1251",
        })
    }
}

/// Problems with the file as a whole: nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header but no rows")]
    NoRows,
    #[error(
        "the file looks like UTF-16 or binary data (zero bytes on line {0}); save it as UTF-8 or Windows-1251"
    )]
    NotText(u64),
    #[error("line {0} is not valid UTF-8 although earlier lines are: the file mixes encodings")]
    MixedEncoding(u64),
    #[error("the header line is longer than {MAX_LINE} bytes: is this a registry file?")]
    HeaderTooLong,
    #[error("bad header: {0}")]
    Header(String),
    #[error("the file has more than {0} rows; split it")]
    TooManyRows(u64),
}

/// Reads lines of at most [`MAX_LINE`] bytes; a longer line is reported by length and skipped
/// without buffering it. Line endings `\n` and `\r\n`.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line_no: u64,
    bytes: u64,
}

/// One line: its number and its bytes, or its length when it was too long to keep.
pub type Line<'a> = (u64, Result<&'a [u8], usize>);

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader { inner, buf: Vec::with_capacity(512), line_no: 0, bytes: 0 }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut length = 0usize;
        let mut saw_any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if length + take <= MAX_LINE {
                self.buf.extend_from_slice(&chunk[..take]);
            }
            length += take;
            let consumed = if done { take + 1 } else { take };
            self.inner.consume(consumed);
            self.bytes += consumed as u64;
            if done {
                break;
            }
        }
        self.line_no += 1;
        if length > MAX_LINE {
            return Ok(Some((self.line_no, Err(length))));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some((self.line_no, Ok(&self.buf))))
    }
}

/// Learns the file's encoding line by line: ASCII lines say nothing; the first line with
/// other bytes decides (valid UTF-8, or else Windows-1251); a later line that disagrees with
/// UTF-8 is an error.
#[derive(Debug, Default)]
pub struct EncodingSniffer {
    decided: Option<Encoding>,
}

impl EncodingSniffer {
    pub fn observe(&mut self, line_no: u64, bytes: &[u8]) -> Result<(), FileError> {
        if bytes.contains(&0) {
            return Err(FileError::NotText(line_no));
        }
        if bytes.is_ascii() {
            return Ok(());
        }
        let utf8 = std::str::from_utf8(bytes).is_ok();
        match (self.decided, utf8) {
            (None, true) => self.decided = Some(Encoding::Utf8),
            (None, false) => self.decided = Some(Encoding::Windows1251),
            (Some(Encoding::Utf8), false) => return Err(FileError::MixedEncoding(line_no)),
            _ => {}
        }
        Ok(())
    }

    /// The encoding; an all-ASCII file reads the same either way.
    pub fn encoding(&self) -> Encoding {
        self.decided.unwrap_or(Encoding::Utf8)
    }
}

/// Decodes one line in the file's encoding.
pub fn decode(bytes: &[u8], encoding: Encoding) -> std::borrow::Cow<'_, str> {
    match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(bytes),
        Encoding::Windows1251 => encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes).0,
    }
}

/// Splits a line at `;`. A field may be quoted with `"` (a `;` inside is kept, `""` is a
/// quote); spaces around fields are trimmed. Fails on an unterminated quote.
pub fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::with_capacity(8);
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (';', false) => {
                fields.push(finish(&mut field, was_quoted));
                was_quoted = false;
            }
            (c, _) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(finish(&mut field, was_quoted));
    Ok(fields)
}

fn finish(field: &mut String, was_quoted: bool) -> String {
    let out = if was_quoted { field.clone() } else { field.trim().to_owned() };
    field.clear();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(u64, Result<String, usize>)> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(7, input));
        let mut out = Vec::new();
        while let Some((n, line)) = reader.next_line().unwrap() {
            out.push((n, line.map(|b| String::from_utf8_lossy(b).into_owned())));
        }
        out
    }

    #[test]
    fn reads_crlf_lf_and_a_last_line_without_newline() {
        let got = lines(b"a;b\r\nc\n\nd");
        assert_eq!(
            got,
            vec![(1, Ok("a;b".into())), (2, Ok("c".into())), (3, Ok("".into())), (4, Ok("d".into()))]
        );
    }

    #[test]
    fn a_too_long_line_is_reported_not_kept() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\nok\n");
        let got = lines(&input);
        assert_eq!(got, vec![(1, Err(MAX_LINE + 10)), (2, Ok("ok".into()))]);
    }

    #[test]
    fn sniffs_utf8_cp1251_and_utf16() {
        let mut s = EncodingSniffer::default();
        s.observe(1, b"account;address").unwrap();
        s.observe(2, "Калуга".as_bytes()).unwrap();
        assert_eq!(s.encoding(), Encoding::Utf8);
        assert!(matches!(s.observe(3, &[0xca, 0xe0]), Err(FileError::MixedEncoding(3))));

        let mut s = EncodingSniffer::default();
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode("Калуга, ул. Ленина");
        s.observe(2, &cp).unwrap();
        assert_eq!(s.encoding(), Encoding::Windows1251);
        assert_eq!(decode(&cp, Encoding::Windows1251), "Калуга, ул. Ленина");

        let mut s = EncodingSniffer::default();
        assert!(matches!(s.observe(1, b"a\0c\0"), Err(FileError::NotText(1))));
    }

    #[test]
    fn splits_fields_with_quotes() {
        assert_eq!(split_fields(" 1 ; a ;").unwrap(), vec!["1", "a", ""]);
        assert_eq!(
            split_fields(r#"1;"Калуга; ул. ""Новая"", 5";x"#).unwrap(),
            vec!["1", "Калуга; ул. \"Новая\", 5", "x"]
        );
        assert!(split_fields(r#"1;"open"#).is_err());
    }
}

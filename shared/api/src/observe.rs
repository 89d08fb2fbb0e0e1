//! Logs: request ids, the one «request» line per HTTP request, the JSON-lines format of the
//! Lambda functions (and of `svet serve` with `SVET_LOG_FORMAT=json`), and a scrubber for
//! error texts that may quote personal data.
//!
//! Every HTTP request runs inside a `request` span carrying its `request_id` (Lambda's request
//! id on AWS; on the local server a random id, also sent back as `x-request-id`), so every line
//! a handler logs carries it too. The JSON format flattens the fields of the event and of every
//! span around it into one object per line, so CloudWatch Logs Insights sees `request_id`,
//! `route` and `status` as top-level fields without unpacking span lists.
//!
//! Personal data never goes into a log: account numbers only as
//! [`AccountNumber::masked`](svet_domain::AccountNumber::masked), and no e-mails, addresses,
//! names, tokens, cookies or IPs. Handlers log ids and counts; error texts from outside
//! (the mail service, the store, serde) go through [`scrub`] first.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// The response header (and the local server's request header) that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id the local server put on a request (an extension): its span is already open,
/// so [`dispatch`](crate::dispatch) does not open another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A new random request id: 16 hex digits (64 bits are plenty to tell requests apart in a log).
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness: the clock's nanoseconds still tell requests apart in practice.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        bytes = nanos.to_be_bytes();
    }
    bytes.iter().fold(String::with_capacity(16), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// An incoming `x-request-id` (a proxy's or a test's) is kept only if it is short and plain:
/// 1 to 64 ASCII letters, digits, `-`, `_` or `.`. Anything else could forge log lines or
/// smuggle data into them, and is replaced by a new id.
pub fn plain_request_id(value: &str) -> Option<&str> {
    let plain = (1..=64).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then_some(value)
}

/// The `request` span of one HTTP request. Its `route`, recorded once the route is known, is
/// the function's name (the route table's `function`), never the path, which may carry ids.
pub fn request_span(request_id: &str) -> tracing::Span {
    tracing::info_span!("request", request_id = %request_id, route = tracing::field::Empty)
}

/// The level filter: `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls) wins, then
/// `RUST_LOG`, else `info`. Lambda's `FATAL` has no tracing level; it means errors only.
pub fn filter_from_env() -> EnvFilter {
    let lambda = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().filter(|v| !v.trim().is_empty());
    let directives = match lambda {
        Some(level) if level.eq_ignore_ascii_case("fatal") => "error".to_owned(),
        Some(level) => level.to_ascii_lowercase(),
        None => {
            std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| "info".into())
        }
    };
    EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The JSON-lines subscriber: one flat object per event (see [`FlatJson`]).
pub fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(JsonFields::new())
        .event_format(FlatJson)
        .with_writer(writer)
        .finish()
}

/// One JSON object per line: `timestamp`, `level`, `target`, the fields of every span around
/// the event (outermost first, so an inner span's field wins), then the event's own fields,
/// `message` among them. tracing-subscriber's own JSON format nests span fields in a `spans`
/// list instead, which CloudWatch Logs Insights can query only by position.
pub struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::String(jiff::Timestamp::now().to_string()));
        line.insert("level".into(), Value::String(meta.level().as_str().to_owned()));
        line.insert("target".into(), Value::String(meta.target().to_owned()));
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                // With JsonFields, a span's recorded fields are a JSON object as text.
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&fields.fields)
                {
                    line.extend(fields);
                }
            }
        }
        event.record(&mut JsonVisitor(&mut line));
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// An event's fields as JSON values: numbers and booleans stay numbers and booleans.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let number = serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number);
        self.0.insert(field.name().to_owned(), number);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().to_owned(), value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}").into());
    }
}

/// A log written to memory, for tests (and tools) that read what was logged: every thread's
/// lines, or only its owner's.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>, Option<std::thread::ThreadId>);

impl LogBuffer {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .into_owned()
    }

    /// Every line logged so far, parsed.
    pub fn lines(&self) -> Vec<Value> {
        self.text().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.1.is_some_and(|owner| owner != std::thread::current().id()) {
            return Ok(buf.len());
        }
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

/// Logs this thread's events as JSON lines into a [`LogBuffer`], for tests. The first capture
/// in a process installs the process's global subscriber (no guard; the buffer drops other
/// threads' lines): a scoped subscriber missed, now and then, the events of callsites that
/// other tests' threads reached at the same moment, since tracing caches each callsite's
/// interest for all threads. Later captures in the same process get a scoped one.
pub fn capture_json(filter: &str) -> (LogBuffer, Option<tracing::subscriber::DefaultGuard>) {
    let buffer = LogBuffer(Arc::default(), Some(std::thread::current().id()));
    let subscriber = json_subscriber(EnvFilter::new(filter), buffer.clone());
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        return (buffer, None);
    }
    let subscriber = json_subscriber(EnvFilter::new(filter), buffer.clone());
    let guard = tracing::subscriber::set_default(subscriber);
    (buffer, Some(guard))
}

/// An error text from outside (the mail service, the store, a parser) with what may be
/// personal data taken out: words with an `@` (e-mail addresses, as SES quotes them) become
/// `[email]`, and runs of 8 or more digits (account numbers, in keys like `ACCOUNT#…` too)
/// keep only their last four. Handlers never put personal data into a log on purpose; this
/// catches what a dependency's message quotes.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.contains('@') {
            // Keep the punctuation around the address (quotes, a trailing colon or comma).
            let start = word.find(|c: char| c.is_alphanumeric()).unwrap_or(0);
            let end = word.rfind(|c: char| c.is_alphanumeric()).map_or(word.len(), |e| e + 1);
            out.push_str(&word[..start.min(end)]);
            out.push_str("[email]");
            out.push_str(&word[end.max(start)..]);
        } else {
            mask_digit_runs(word, &mut out);
        }
    }
    out
}

fn mask_digit_runs(word: &str, out: &mut String) {
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 8 {
            out.push_str(&"*".repeat(run.len() - 4));
            out.push_str(&run[run.len() - 4..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in word.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, out);
            out.push(c);
        }
    }
    flush(&mut run, out);
}

/// Writes one line to stdout at once (an EMF document): a line is one CloudWatch Logs event.
pub(crate) fn stdout_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_request_ids_must_be_short_and_plain() {
        assert_eq!(plain_request_id("abc-123_x.y"), Some("abc-123_x.y"));
        assert_eq!(plain_request_id(""), None);
        assert_eq!(plain_request_id(&"a".repeat(65)), None);
        for bad in ["a b", "a\nb", "a\"b", "a@b", "id{}", "ид"] {
            assert_eq!(plain_request_id(bad), None, "{bad:?}");
        }
        let id = new_request_id();
        assert_eq!(id.len(), 16);
        assert!(plain_request_id(&id).is_some());
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn scrub_takes_out_addresses_and_long_numbers() {
        assert_eq!(
            scrub("Email address is not verified: ivanov@list.ru, \"petrov@mail.ru\"."),
            "Email address is not verified: [email], \"[email]\"."
        );
        assert_eq!(
            scrub("condition failed on ACCOUNT#180211111/BILL#2026-01"),
            "condition failed on ACCOUNT#*****1111/BILL#2026-01"
        );
        assert_eq!(
            scrub("HTTP 503 after 3 attempts, 1234567 kopecks"),
            "HTTP 503 after 3 attempts, 1234567 kopecks"
        );
    }

    #[test]
    fn json_lines_are_flat_with_the_span_fields() {
        let (buffer, _guard) = capture_json("info");
        let span = request_span("r-1");
        span.in_scope(|| {
            tracing::info_span!("inner", route = "health").in_scope(|| {
                tracing::info!(status = 200u16, ok = true, text = "x", "request");
            });
        });
        tracing::debug!("not at info");
        let lines = buffer.lines();
        assert_eq!(lines.len(), 1, "{}", buffer.text());
        let line = &lines[0];
        assert_eq!(line["request_id"], "r-1");
        assert_eq!(line["route"], "health");
        assert_eq!(line["status"], 200);
        assert_eq!(line["ok"], true);
        assert_eq!(line["message"], "request");
        assert_eq!(line["level"], "INFO");
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}

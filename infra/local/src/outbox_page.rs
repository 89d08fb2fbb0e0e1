//! `/dev/mail`: the local mail outbox as a page, newest first, with the links in each message
//! clickable, so a developer can follow an activation or reset link without a mail server.

use std::fmt::Write;
use std::path::Path;

use mail_parser::{MessageParser, MimeHeaders};
use svet_domain::Config;

/// At most this many messages are shown.
const SHOWN: usize = 200;

pub fn render(outbox: &Path, config: &Config) -> String {
    let mut files: Vec<_> = std::fs::read_dir(outbox)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.reverse();
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Почта (локально) — {}</title><link rel=\"stylesheet\" href=\"/css/site.css\"></head><body><main class=\"page\">\
         <h1>Исходящая почта</h1><p>Письма, которые отправил бы портал: {} шт. Папка <code>{}</code>.</p>",
        escape(&config.company.short_name),
        files.len(),
        escape(&outbox.display().to_string())
    );
    for path in files.iter().take(SHOWN) {
        let Ok(bytes) = std::fs::read(path) else { continue };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(message) = MessageParser::default().parse(&bytes) else {
            let _ = write!(
                page,
                "<article class=\"mail\"><h2>{}</h2><p>Не удалось разобрать письмо.</p></article>",
                escape(&name)
            );
            continue;
        };
        let to = message.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or("");
        let date = message.date().map(|d| d.to_rfc3339()).unwrap_or_default();
        let body = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
        let attachments: Vec<String> =
            message.attachments().filter_map(|a| a.attachment_name().map(escape)).collect();
        let _ = write!(
            page,
            "<article class=\"mail\"><h2>{}</h2><p class=\"meta\">Кому: {} · {} · <code>{}</code></p><pre>{}</pre>",
            escape(message.subject().unwrap_or("(без темы)")),
            escape(to),
            escape(&date),
            escape(&name),
            linkify(&body)
        );
        if !attachments.is_empty() {
            let _ = write!(page, "<p>Вложения: {}</p>", attachments.join(", "));
        }
        page.push_str("</article>");
    }
    page.push_str("</main></body></html>");
    page
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes the text and turns `http://` and `https://` URLs into links.
fn linkify(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        out.push_str(&escape(&rest[..start]));
        let url_len = rest[start..]
            .find(|c: char| c.is_whitespace() || "<>\"'".contains(c))
            .unwrap_or(rest.len() - start);
        let url = &rest[start..start + url_len];
        let _ = write!(out, "<a href=\"{0}\">{0}</a>", escape(url));
        rest = &rest[start + url_len..];
    }
    out.push_str(&escape(rest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_anchors_and_markup_stays_inert() {
        assert_eq!(
            linkify("Перейдите: https://x.test/a?b=1&c=2 <b>"),
            "Перейдите: <a href=\"https://x.test/a?b=1&amp;c=2\">https://x.test/a?b=1&amp;c=2</a> &lt;b&gt;"
        );
        assert_eq!(linkify("no links"), "no links");
    }
}

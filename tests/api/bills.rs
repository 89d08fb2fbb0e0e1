//! Posting a month's bills on both stores (B2): from the period's accepted reading, an
//! estimate or the norm; the opening balance from the registry or the previous bill; the
//! reading marked as billed; a second run changes nothing; `GET /api/bill` shows the latest.

use std::sync::atomic::{AtomicU32, Ordering};

use http::Method;
use serde_json::json;
use svet_domain::billing::{Basis, Period, Tariffs};
use svet_domain::bills::document::{Format, doc_key};
use svet_domain::bills::{GenerateError, Generation, Summary, bills};
use svet_domain::documents::{DocKey, Document, DocumentError};
use svet_domain::mail::MailError;
use svet_domain::{AccountNumber, Documents, Kopecks, Mailer};

use crate::portal::{ORIGIN, Portal, Received, on_both_portals};

on_both_portals!(
    a_month_of_bills_is_posted_once,
    bills_are_rendered_once_and_mailed_once,
    a_run_stopped_by_the_document_store_resumes,
);

pub(crate) async fn generate(p: &Portal, period: &str) -> Summary {
    let tariffs = Tariffs::embedded().unwrap();
    let generation = p.app.generation(&tariffs);
    let mut failures = Vec::new();
    let summary = generation
        .run(Period::parse(period).unwrap(), 0, 1, &mut |e| failures.push(e.to_string()), &mut |_| {})
        .await
        .unwrap();
    assert!(failures.is_empty(), "{}: {failures:?}", p.backend);
    summary
}

async fn a_month_of_bills_is_posted_once(p: &Portal) {
    let cookie = p.logged_in("180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5").await;
    let none = p.call(Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(none.body["bill"], json!(null));
    assert!(none.body["message"].as_str().unwrap().contains("ещё не выставлен"));
    let r = p.call(Method::POST, "/api/readings", Some(json!({ "single": "12445" })), Some(&cookie)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    // The February bills are posted on 5 March.
    p.advance(18 * 86_400);
    let first = generate(p, "2026-02").await;
    assert_eq!((first.accounts, first.generated, first.existing), (5, 5, 0), "{}", p.backend);
    let again = generate(p, "2026-02").await;
    assert_eq!((again.generated, again.existing), (0, 5), "{}: a second run changes nothing", p.backend);

    let account = AccountNumber::parse("180211111").unwrap();
    let bill = bills(p.app.store.as_ref(), &account, 1).await.unwrap().remove(0).bill;
    let line = &bill.lines[0];
    assert_eq!(
        (line.basis, line.previous, line.current, line.consumption),
        (Basis::Readings, Some(12345), Some(12445), 100)
    );
    assert_eq!(line.charge, Kopecks::new(73_600), "100 kWh at 7,36 ₽");
    assert_eq!(bill.opening_balance, Kopecks::new(123_456), "the registry's balance opens the first bill");
    assert_eq!(bill.amount_due, Kopecks::new(197_056));
    assert_eq!(bill.due_date.to_string(), "2026-03-10");
    assert!(
        bill.qr_payload.contains("|PersAcc=180211111|") && bill.qr_payload.contains("|Sum=197056|"),
        "{}",
        bill.qr_payload
    );

    let readings = p
        .call(
            Method::GET,
            "/api/readings",
            None,
            Some(
                &p.post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" }))
                    .await
                    .cookie
                    .unwrap(),
            ),
        )
        .await;
    assert_eq!(readings.body["readings"][0]["status_label"], "Учтены в счёте за февраль 2026");

    let no_meter = bills(p.app.store.as_ref(), &AccountNumber::parse("180211113").unwrap(), 1)
        .await
        .unwrap()
        .remove(0)
        .bill;
    assert_eq!(no_meter.lines[0].basis, Basis::Norm, "no meter: the norm");
    let overpaid = bills(p.app.store.as_ref(), &AccountNumber::parse("180211114").unwrap(), 1)
        .await
        .unwrap()
        .remove(0)
        .bill;
    assert!(overpaid.closing_balance < overpaid.total_charge, "the overpayment is taken into account");

    // March without a reading: estimated from February, opened by February's closing balance.
    p.advance(31 * 86_400);
    generate(p, "2026-03").await;
    let march = bills(p.app.store.as_ref(), &account, 1).await.unwrap().remove(0).bill;
    assert_eq!((march.lines[0].basis, march.lines[0].consumption), (Basis::Estimated, 100));
    assert_eq!(march.opening_balance, Kopecks::new(197_056));
    let cookie = p
        .post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" }))
        .await
        .cookie
        .unwrap();
    let current = p.call(Method::GET, "/api/bill", None, Some(&cookie)).await;
    assert_eq!(current.body["bill"]["period"], "2026-03", "{:?}", current.body);
    assert_eq!(current.body["period_name"], "март 2026");
    let months = p.call(Method::GET, "/api/bills", None, Some(&cookie)).await.body["months"].clone();
    let periods: Vec<&str> =
        months.as_array().unwrap().iter().map(|m| m["period"].as_str().unwrap()).collect();
    assert_eq!(periods, ["2026-02", "2026-03"], "oldest first, for the chart");
    assert_eq!(months[0]["zones"][0]["consumption"], 100);
}

/// A mailer whose first `failures` sends fail as if the service were down.
struct FlakyMailer<'a> {
    inner: &'a dyn Mailer,
    failures: AtomicU32,
}

#[async_trait::async_trait]
impl Mailer for FlakyMailer<'_> {
    async fn send(&self, mail: &svet_domain::Mail) -> Result<String, MailError> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(MailError::Unavailable(anyhow::anyhow!("injected outage")));
        }
        self.inner.send(mail).await
    }
}

/// A document store that goes down after `puts` successful writes.
struct FailingDocuments<'a> {
    inner: &'a dyn Documents,
    puts: AtomicU32,
}

#[async_trait::async_trait]
impl Documents for FailingDocuments<'_> {
    async fn put(&self, key: &DocKey, doc: Document) -> Result<(), DocumentError> {
        if self.puts.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_err() {
            return Err(DocumentError::Unavailable(anyhow::anyhow!("injected outage")));
        }
        self.inner.put(key, doc).await
    }
    async fn get(&self, key: &DocKey) -> Result<Option<Document>, DocumentError> {
        self.inner.get(key).await
    }
    async fn link(&self, key: &DocKey, valid_for: std::time::Duration) -> Result<String, DocumentError> {
        self.inner.link(key, valid_for).await
    }
}

async fn generate_with(
    p: &Portal,
    period: &str,
    documents: &dyn Documents,
    mailer: &dyn Mailer,
) -> Result<Summary, GenerateError> {
    let tariffs = Tariffs::embedded().unwrap();
    let generation = Generation { documents, mailer, ..p.app.generation(&tariffs) };
    let mut failures = Vec::new();
    let summary = generation
        .run(Period::parse(period).unwrap(), 0, 1, &mut |e| failures.push(e.to_string()), &mut |_| {})
        .await;
    assert!(failures.is_empty(), "{}: {failures:?}", p.backend);
    summary
}

/// Registers the demo accounts with each delivery setting; returns their e-mails.
async fn subscribers(p: &Portal) -> [String; 4] {
    let settings = [
        ("180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5", json!({ "delivery": "pdf", "notices": true })),
        ("180211112", "г. Калуга, ул. Кирова, д. 3, кв. 41", json!({ "delivery": "png", "notices": false })),
        (
            "180211113",
            "Калужская обл., Дзержинский р-н, д. Галкино, ул. Садовая, д. 7",
            json!({ "delivery": "off", "notices": true }),
        ),
        (
            "180211114",
            "г. Калуга, пер. Старичков, д. 2, кв. 17",
            json!({ "delivery": "off", "notices": false }),
        ),
    ];
    let mut emails = Vec::new();
    for (account, address, wants) in settings {
        let cookie = p.logged_in(account, address).await;
        let r = p.call(Method::PUT, "/api/settings", Some(wants), Some(&cookie)).await;
        assert_eq!(r.status, 200, "{}: {:?}", p.backend, r.body);
        emails.push(p.email(&format!("user{account}")));
    }
    emails.try_into().unwrap()
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bill.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils; scripts/test installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().replace('\u{a0}', " ")
}

/// The PNG's size and every QR code in it.
fn png_qr(bytes: &[u8]) -> ((u32, u32), Vec<String>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale, "a black-and-white bill");
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let codes = image
        .detect_grids()
        .iter()
        .map(|g| {
            let mut out = Vec::new();
            g.decode_to(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        })
        .collect();
    ((info.width, info.height), codes)
}

fn february_mails(mails: Vec<Received>) -> Vec<Received> {
    mails.into_iter().filter(|m| m.subject.contains("февраль 2026")).collect()
}

async fn bills_are_rendered_once_and_mailed_once(p: &Portal) {
    let [pdf_to, png_to, notice_to, nothing_to] = subscribers(p).await;
    p.advance(18 * 86_400);

    // The mail service is down for the first send: billing goes on, the mail waits.
    let flaky = FlakyMailer { inner: p.app.mailer.as_ref(), failures: AtomicU32::new(1) };
    let first = generate_with(p, "2026-02", p.app.documents.as_ref(), &flaky).await.unwrap();
    assert_eq!(
        (first.generated, first.rendered, first.mailed, first.mail_failed, first.failed),
        (5, 5, 2, 1, 0),
        "{}: every bill posted and rendered; one of three mails failed",
        p.backend
    );
    let second = generate_with(p, "2026-02", p.app.documents.as_ref(), p.app.mailer.as_ref()).await.unwrap();
    assert_eq!(
        (second.generated, second.existing, second.rendered, second.mailed, second.mail_failed),
        (0, 5, 0, 1, 0),
        "{}: the rerun sends only the failed mail",
        p.backend
    );
    let third = generate_with(p, "2026-02", p.app.documents.as_ref(), p.app.mailer.as_ref()).await.unwrap();
    assert_eq!((third.rendered, third.mailed), (0, 0), "{}: nothing twice", p.backend);

    // S1, PDF: the bill attached, the same bytes as stored; the text is real text.
    let account = AccountNumber::parse("180211111").unwrap();
    let bill = bills(p.app.store.as_ref(), &account, 1).await.unwrap().remove(0);
    assert!(bill.documents, "{}", p.backend);
    let stored =
        p.app.documents.get(&doc_key(&account, bill.bill.period, Format::Pdf)).await.unwrap().unwrap();
    let mails = february_mails(p.messages_to(&pdf_to).await);
    assert_eq!(mails.len(), 1, "{}: {mails:?}", p.backend);
    assert!(
        mails[0].subject.starts_with("Счёт за электроэнергию за февраль 2026 г."),
        "{}",
        mails[0].subject
    );
    assert!(!mails[0].subject.contains("180211111"), "subjects never carry the full account number");
    let (name, content_type, bytes) = &mails[0].attachments[0];
    assert_eq!((name.as_str(), content_type.as_str()), ("schet-2026-02-180211111.pdf", "application/pdf"));
    assert_eq!(bytes, &stored.bytes, "{}", p.backend);
    let text = pdftotext(bytes);
    let total = bill.bill.amount_due.format_rubles().replace('\u{a0}', " ");
    for needle in
        ["180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5", "Итого к оплате", &total, "февраль 2026"]
    {
        assert!(text.contains(needle), "{}: {needle:?} not in the PDF text:\n{text}", p.backend);
    }

    // S1, PNG: A4 at 150 dpi, and the QR code reads back as the bill's payload.
    let mails = february_mails(p.messages_to(&png_to).await);
    assert_eq!(mails.len(), 1, "{}", p.backend);
    let (name, content_type, bytes) = &mails[0].attachments[0];
    assert_eq!((name.as_str(), content_type.as_str()), ("schet-2026-02-180211112.png", "image/png"));
    let (size, codes) = png_qr(bytes);
    assert_eq!(size, (1240, 1754));
    let day_night = bills(p.app.store.as_ref(), &AccountNumber::parse("180211112").unwrap(), 1)
        .await
        .unwrap()
        .remove(0)
        .bill;
    assert_eq!(codes, std::slice::from_ref(&day_night.qr_payload), "{}", p.backend);
    assert!(day_night.qr_payload.starts_with("ST00012|Name="));

    // S2: a notice with a link, nothing attached.
    let mails = february_mails(p.messages_to(&notice_to).await);
    assert_eq!(mails.len(), 1, "{}", p.backend);
    assert!(mails[0].subject.starts_with("Выставлен счёт за февраль 2026 г."), "{}", mails[0].subject);
    assert!(mails[0].attachments.is_empty());
    assert!(mails[0].text.contains("/bill.html"), "{}", mails[0].text);
    assert!(mails[0].text.contains("К оплате:"), "{}", mails[0].text);

    // Neither asked for: nothing.
    assert!(february_mails(p.messages_to(&nothing_to).await).is_empty(), "{}", p.backend);

    // The page's links: short-lived, to this account's own documents.
    let cookie = p
        .post("/api/login", json!({ "account": "180211111", "password": "Светлячок-2026" }))
        .await
        .cookie
        .unwrap();
    let png_key = doc_key(&account, bill.bill.period, Format::Png);
    assert!(p.app.documents.get(&png_key).await.unwrap().is_none(), "no PNG until it is needed");
    let current = p.call(Method::GET, "/api/bill", None, Some(&cookie)).await;
    let pdf_url = current.body["documents"]["pdf"]["url"].as_str().unwrap().to_owned();
    // The first view rendered the PNG and recorded it; the next views use it.
    let png = p.app.documents.get(&png_key).await.unwrap().expect("the PNG after the first view");
    assert_eq!(png_qr(&png.bytes).0, (1240, 1754));
    assert!(bills(p.app.store.as_ref(), &account, 1).await.unwrap()[0].png, "{}", p.backend);
    assert!(pdf_url.contains("bills/2026-02/180211111.pdf"), "{pdf_url}");
    assert_eq!(current.body["documents"]["png"]["file_name"], "schet-2026-02-180211111.png");
    assert_eq!(current.body["tariff_name"], "Население (городское)");
    if p.backend == "dynamodb" {
        assert!(pdf_url.contains("X-Amz-Expires=600"), "{pdf_url}");
        let fetched = reqwest::get(&pdf_url).await.unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(fetched.bytes().await.unwrap().as_ref(), stored.bytes.as_slice());
    } else {
        assert!(
            pdf_url.starts_with(&format!("{ORIGIN}/files/bills/2026-02/180211111.pdf?expires=")),
            "{pdf_url}"
        );
    }
    let months = p.call(Method::GET, "/api/bills", None, Some(&cookie)).await;
    assert!(months.body["months"][0]["documents"]["png"]["url"].as_str().unwrap().contains("180211111.png"));
    assert!(months.body["months"][0]["documents"]["pdf"]["url"].as_str().unwrap().contains("180211111.pdf"));
}

async fn a_run_stopped_by_the_document_store_resumes(p: &Portal) {
    let [pdf_to, png_to, notice_to, _] = subscribers(p).await;
    p.advance(18 * 86_400);

    // The document store fails after the first PDF: the run stops with the error.
    let failing = FailingDocuments { inner: p.app.documents.as_ref(), puts: AtomicU32::new(1) };
    let stopped = generate_with(p, "2026-02", &failing, p.app.mailer.as_ref()).await;
    assert!(matches!(stopped, Err(GenerateError::Documents(_))), "{}: {stopped:?}", p.backend);

    let resumed = generate_with(p, "2026-02", p.app.documents.as_ref(), p.app.mailer.as_ref()).await.unwrap();
    assert_eq!(resumed.generated + resumed.existing, 5, "{}", p.backend);
    assert!(resumed.rendered >= 4, "{}: the unfinished bills are rendered: {resumed:?}", p.backend);
    for n in 11..=15 {
        let account = AccountNumber::parse(&format!("1802111{n}")).unwrap();
        let posted = bills(p.app.store.as_ref(), &account, 1).await.unwrap().remove(0);
        assert!(posted.documents, "{}: {account}", p.backend);
        // The PDF of every bill; the PNG only for the customer who gets bills as PNG.
        let wants_png = account.as_str() == "180211112";
        assert_eq!(posted.png, wants_png, "{}: {account}", p.backend);
        for format in Format::ALL {
            let doc = p.app.documents.get(&doc_key(&account, posted.bill.period, format)).await.unwrap();
            let expected = format == Format::Pdf || wants_png;
            assert_eq!(
                doc.is_some_and(|d| !d.bytes.is_empty()),
                expected,
                "{}: {account} {format:?}",
                p.backend
            );
        }
    }
    for to in [&pdf_to, &png_to, &notice_to] {
        assert_eq!(february_mails(p.messages_to(to).await).len(), 1, "{}", p.backend);
    }
}

//! The receipt's PDF read back with poppler-utils, as a customer's PDF reader sees it.

mod support;

use svet_billdoc::{Company, ReceiptSheet, pdf, receipt_layout};

#[test]
fn the_receipt_pdf_is_one_page_with_every_row_as_text() {
    let sheet = ReceiptSheet {
        company: Company {
            name: "ПАО «Тестовая сбытовая компания»".into(),
            inn: "4029030252".into(),
            ..Company::default()
        },
        title: "Квитанция об оплате".into(),
        rows: vec![
            ("Дата и время".into(), "25.11.2026 18:03".into()),
            ("Сумма".into(), "1\u{a0}234,50 ₽".into()),
            ("Номер платежа".into(), "0123456789abcdef0123456789abcdef".into()),
            ("Лицевой счёт".into(), "180211111".into()),
            ("Адрес".into(), "г. Калуга, ул. Ленина, д. 12, кв. 5".into()),
        ],
        note: "Электронный чек по 54-ФЗ направляет банк.".into(),
    };
    let bytes = pdf(&receipt_layout(&sheet));
    let dir = tempfile::tempdir().expect("temp dir");
    let info = String::from_utf8(support::poppler("pdfinfo", &[&support::write(dir.path(), &bytes)]))
        .expect("UTF-8");
    assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")), "{info}");
    let text = support::pdftotext(&bytes, "-raw").replace('\u{a0}', " ");
    for expected in [
        "Квитанция об оплате",
        "25.11.2026 18:03",
        "1 234,50 ₽",
        "0123456789abcdef0123456789abcdef",
        "180211111",
        "г. Калуга, ул. Ленина, д. 12, кв. 5",
        "ИНН 4029030252",
        "Электронный чек по 54-ФЗ направляет банк.",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
}

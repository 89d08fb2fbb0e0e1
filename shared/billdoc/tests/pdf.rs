//! The PDF read back with poppler-utils (`pdftotext`, `pdffonts`, `pdftoppm`), as a reader or a
//! bank app would see it. These tests need Debian's poppler-utils and fail without it.

mod support;

use support::{long_bill, pdftotext, poppler, qr_codes, write};
use svet_billdoc::{BillSheet, layout, pdf};

/// The text layer writes a no-break space as a plain space (the same glyph), which is also
/// what a reader copying the amount gets.
fn plain(text: &str) -> String {
    text.replace('\u{a0}', " ")
}

#[test]
fn pdftotext_finds_account_address_total_and_russian_text_exactly() {
    let sheet = BillSheet::sample();
    let text = pdftotext(&pdf(&layout(&sheet).expect("fits")), "-raw");

    for expected in [
        "180211111",
        "248030, Калужская обл., г. Калуга, ул. Ленина, д. 25, кв. 14",
        "Итого к оплате 1 781,50",
        "К оплате 1 781,50 ₽ Оплатить до 10 февраля 2026 г.",
        "Счёт за электроэнергию за январь 2026 г.",
        "ПАО «Калужская сбытовая компания»",
        "День 12 345 12 535 190 7,36 ₽/кВт·ч 1 398,40",
        "Оплатить до 10 февраля 2026 г.",
        "после трёх месяцев — по нормативу.",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert_eq!(plain(&sheet.total_due), "1 781,50");
}

#[test]
fn the_pdf_text_is_the_layouts_text_runs_in_order() {
    for sheet in [BillSheet::sample(), long_bill()] {
        let page = layout(&sheet).expect("fits");
        let from_pdf = pdftotext(&pdf(&page), "-raw");
        let from_pdf: Vec<&str> = from_pdf.split_whitespace().collect();
        let runs: Vec<String> = page.text_runs().map(|run| plain(&run.text)).collect();
        let from_layout: Vec<&str> = runs.iter().flat_map(|run| run.split_whitespace()).collect();
        assert_eq!(from_pdf, from_layout);
    }
}

#[test]
fn fonts_are_embedded_subsets_with_unicode_maps() {
    for sheet in [BillSheet::sample(), with_payer("Zoë Müller-Łukasik")] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), &pdf(&layout(&sheet).expect("fits")));
        let listing = String::from_utf8(poppler("pdffonts", &[&path])).expect("UTF-8");
        let fonts: Vec<&str> = listing.lines().skip(2).collect();
        assert_eq!(fonts.len(), 2, "{listing}");
        for font in fonts {
            let columns: Vec<&str> = font.split_whitespace().collect();
            assert!(columns[0].contains("+DejaVuSans"), "{listing}");
            // emb, sub, uni
            assert_eq!(&columns[columns.len() - 5..columns.len() - 2], ["yes", "yes", "yes"], "{listing}");
        }
    }
}

#[test]
fn characters_beyond_the_prepared_subset_are_still_embedded() {
    let text = pdftotext(&pdf(&layout(&with_payer("Zoë Müller-Łukasik")).expect("fits")), "-raw");
    assert!(text.contains("Плательщик Zoë Müller-Łukasik"), "{text}");
}

#[test]
fn the_pdfs_vector_qr_code_scans_to_the_exact_payload() {
    let sheet = BillSheet::sample();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), &pdf(&layout(&sheet).expect("fits")));
    let prefix = dir.path().join("page");
    let prefix = prefix.to_str().expect("UTF-8 path");
    poppler("pdftoppm", &["-r", "150", "-gray", "-singlefile", &path, prefix]);
    let (width, height, pixels) =
        read_pgm(&std::fs::read(format!("{prefix}.pgm")).expect("the rendered page"));
    assert_eq!(qr_codes(width, height, &pixels), vec![sheet.qr_payload.into_bytes()]);
}

#[test]
fn a_long_bill_still_makes_one_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), &pdf(&layout(&long_bill()).expect("fits")));
    let info = String::from_utf8(poppler("pdfinfo", &[&path])).expect("UTF-8");
    let field = |name: &str| {
        let line = info.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {info}"));
        line[name.len()..].trim().to_owned()
    };
    assert_eq!(field("Pages:"), "1");
    assert!(field("Page size:").ends_with("(A4)"), "{info}");
    assert_eq!(field("Title:"), "Счёт за электроэнергию за январь 2026 г.");
    assert_eq!(field("Author:"), "ПАО «Калужская сбытовая компания»");
    assert!(!info.contains("1970") && !info.contains("PDF/X"), "{info}");
}

#[test]
fn the_same_bill_gives_the_same_bytes() {
    let page = layout(&long_bill()).expect("fits");
    assert_eq!(pdf(&page), pdf(&page));
}

fn with_payer(payer: &str) -> BillSheet {
    BillSheet { payer: payer.to_owned(), ..BillSheet::sample() }
}

/// A binary PGM (P5, 8 bit), as `pdftoppm -gray` writes it.
fn read_pgm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).expect("ASCII header").to_owned());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P5", "255"));
    let (width, height): (usize, usize) =
        (fields[1].parse().expect("width"), fields[2].parse().expect("height"));
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), width * height);
    (width, height, pixels)
}

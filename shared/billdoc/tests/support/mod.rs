//! Shared by the integration tests: bills beyond the sample, and the Debian tools the PDF
//! tests read the PDF back with.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::path::Path;
use std::process::Command;

use svet_billdoc::{BalanceLine, BillSheet, MeterRow};

/// The sample with everything a long bill can have: three zones, a price change inside the
/// month (two-line cells), recalculation and penalty lines, a long address and notice.
pub fn long_bill() -> BillSheet {
    let mut sheet = BillSheet::sample();
    sheet.address = "249001, Калужская обл., Боровский р-н, д. Большое Верховье-Новосельское, \
                     ул. Центральная Заречная, д. 117, корп. 3, кв. 215"
        .to_owned();
    let row = |zone: &str, kwh: &str, tariff: &str, charge: &str| MeterRow {
        zone: zone.to_owned(),
        previous: "12\u{a0}345".to_owned(),
        current: "расчёт по среднему".to_owned(),
        consumption: kwh.to_owned(),
        tariff: tariff.to_owned(),
        charge: charge.to_owned(),
    };
    sheet.meter_rows = vec![
        row("День", "190", "7,36 ₽/кВт·ч (1–15)\n7,80 ₽/кВт·ч (16–31)", "721,28\n764,40"),
        row("Ночь", "90", "4,12 ₽/кВт·ч (1–15)\n4,40 ₽/кВт·ч (16–31)", "181,28\n202,40"),
        row("Общий", "280", "по нормативу", "1\u{a0}869,36"),
    ];
    let line = |label: &str, amount: &str| BalanceLine { label: label.to_owned(), amount: amount.to_owned() };
    sheet.balance = vec![
        line("Задолженность на начало периода", "512,30"),
        line("Начислено за период", "1\u{a0}869,36"),
        line("Перерасчёт за декабрь 2025 г. (показания переданы после 25-го числа)", "-120,00"),
        line("Пени (ст. 155 ЖК РФ)", "14,20"),
        line("Льготы и субсидии", "-300,00"),
        line("Оплачено в периоде", "500,00"),
    ];
    sheet.notice = format!("{} {}", sheet.notice, sheet.notice);
    sheet
}

/// Runs a poppler-utils tool. Fails loudly, never skips: CI installs poppler-utils.
pub fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool} ({e}): install Debian's poppler-utils (apt-get install poppler-utils)")
    });
    assert!(output.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// `pdftotext` with `mode` (e.g. `-raw`, `-layout`) on the PDF bytes.
pub fn pdftotext(pdf: &[u8], mode: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), pdf);
    String::from_utf8(poppler("pdftotext", &[mode, "-enc", "UTF-8", &path, "-"])).expect("UTF-8 text")
}

pub fn write(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("bill.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    path.to_str().expect("a UTF-8 temp path").to_owned()
}

/// Decodes an 8-bit greyscale PNG into (width, height, pixels).
pub fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut pixels).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    pixels.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, pixels)
}

/// Every QR code rqrr finds in a greyscale picture, as raw bytes.
pub fn qr_codes(width: usize, height: usize, pixels: &[u8]) -> Vec<Vec<u8>> {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    image
        .detect_grids()
        .iter()
        .map(|grid| {
            let mut bytes = Vec::new();
            grid.decode_to(&mut bytes).expect("the QR code decodes");
            bytes
        })
        .collect()
}

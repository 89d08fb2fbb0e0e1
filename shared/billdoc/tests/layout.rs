//! The layout itself: what fits, what is refused, and where things go.

mod support;

use support::long_bill;
use svet_billdoc::{
    BillSheet, Item, LayoutError, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, Weight, layout, text_width_mm,
};

#[test]
fn everything_stays_on_the_page_and_inside_the_margins() {
    for sheet in [BillSheet::sample(), long_bill()] {
        let page = layout(&sheet).expect("fits");
        for item in &page.items {
            let (x0, y0, x1, y1) = match item {
                Item::Text(t) => {
                    let w = text_width_mm(&t.text, t.size_pt, t.weight);
                    let left = match t.align {
                        svet_billdoc::Align::Left => t.x,
                        svet_billdoc::Align::Center => t.x - w / 2.0,
                        svet_billdoc::Align::Right => t.x - w,
                    };
                    (left, t.y - t.size_pt * 0.35, left + w, t.y)
                }
                Item::Rule(r) => (r.x1.min(r.x2), r.y1.min(r.y2), r.x1.max(r.x2), r.y1.max(r.y2)),
                Item::Frame(f) => (f.x, f.y, f.x + f.w, f.y + f.h),
                Item::Qr(q) => (q.x, q.y, q.x + q.side_mm(), q.y + q.side_mm()),
            };
            assert!(
                x0 >= 9.9 && y0 >= 9.9 && x1 <= PAGE_WIDTH_MM - 9.9 && y1 <= PAGE_HEIGHT_MM - 9.9,
                "{item:?}"
            );
        }
    }
}

#[test]
fn the_total_is_bold_and_larger_than_the_lines_above_it() {
    let page = layout(&BillSheet::sample()).expect("fits");
    let total = page.text_runs().find(|r| r.text == "1\u{a0}781,50").expect("the total");
    let line = page.text_runs().find(|r| r.text == "512,30").expect("a balance line");
    assert_eq!((total.weight, line.weight), (Weight::Bold, Weight::Regular));
    assert!(total.size_pt > line.size_pt);
}

#[test]
fn the_qr_code_keeps_its_quiet_zone_clear() {
    let page = layout(&long_bill()).expect("fits");
    let qr = page.qr().expect("a QR code");
    let quiet = 4.0 * qr.module_mm;
    let (x0, y0, x1, y1) =
        (qr.x - quiet, qr.y - quiet, qr.x + qr.side_mm() + quiet, qr.y + qr.side_mm() + quiet);
    for item in &page.items {
        let inside = |x: f32, y: f32| x > x0 && x < x1 && y > y0 && y < y1;
        let clear = match item {
            // The baseline and the top of the capitals (0.73 em in DejaVu Sans).
            Item::Text(t) => !inside(t.x, t.y) && !inside(t.x, t.y - t.size_pt * 25.4 / 72.0 * 0.73),
            Item::Rule(r) => !inside(r.x1, r.y1) && !inside(r.x2, r.y2),
            Item::Frame(f) => f.x + f.w <= x0 || f.x >= x1 || f.y + f.h <= y0 || f.y >= y1,
            Item::Qr(_) => true,
        };
        assert!(clear, "{item:?} is in the QR code's quiet zone");
    }
}

#[test]
fn a_bill_that_cannot_fit_one_page_is_refused() {
    let mut sheet = long_bill();
    sheet.meter_rows = std::iter::repeat_n(sheet.meter_rows[0].clone(), 30).collect();
    assert_eq!(layout(&sheet), Err(LayoutError::DoesNotFit));
}

#[test]
fn a_payload_too_long_for_a_qr_code_is_refused() {
    let sheet = BillSheet { qr_payload: "Я".repeat(2000), ..BillSheet::sample() };
    assert_eq!(layout(&sheet), Err(LayoutError::QrPayloadTooLong { bytes: 4000 }));
}

#[test]
fn empty_optional_fields_leave_no_rows_behind() {
    let sheet = BillSheet {
        payer: String::new(),
        meter: String::new(),
        notice: String::new(),
        ..BillSheet::sample()
    };
    let page = layout(&sheet).expect("fits");
    assert!(!page.text_runs().any(|r| r.text == "Плательщик" || r.text == "Прибор учёта"));
}

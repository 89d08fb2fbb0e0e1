//! The PNG decoded back: size, and the QR code read by rqrr from the rendered pixels.

mod support;

use support::{decode_png, long_bill, qr_codes};
use svet_billdoc::{BillSheet, layout, png, svg};

#[test]
fn a4_at_150_dpi_is_1240_by_1754_greyscale() {
    let page = layout(&BillSheet::sample()).expect("fits");
    let (width, height, pixels) = decode_png(&png(&page, 150).expect("renders"));
    assert_eq!((width, height), (1240, 1754));
    // White paper with black ink, and not much of it.
    let dark = pixels.iter().filter(|&&p| p < 128).count();
    assert!(pixels.contains(&255) && pixels.contains(&0));
    assert!(dark > 20_000 && dark < pixels.len() / 5, "{dark} dark pixels");
}

#[test]
fn the_qr_code_in_the_png_scans_to_the_exact_payload() {
    for sheet in [BillSheet::sample(), long_bill()] {
        let page = layout(&sheet).expect("fits");
        let (width, height, pixels) = decode_png(&png(&page, 150).expect("renders"));
        assert_eq!(qr_codes(width, height, &pixels), vec![sheet.qr_payload.clone().into_bytes()]);
    }
}

#[test]
fn other_resolutions_scale_and_silly_ones_are_refused() {
    let page = layout(&BillSheet::sample()).expect("fits");
    let (width, height, _) = decode_png(&png(&page, 72).expect("renders"));
    assert_eq!((width, height), (595, 842));
    assert!(png(&page, 0).is_err());
    assert!(png(&page, 5000).is_err());
}

#[test]
fn the_svg_the_png_is_drawn_from_carries_every_text_run() {
    let page = layout(&long_bill()).expect("fits");
    let markup = svg(&page);
    let mut rest = markup.as_str();
    for run in page.text_runs() {
        let escaped =
            run.text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        let at = rest
            .find(&format!(">{escaped}</text>"))
            .unwrap_or_else(|| panic!("{:?} missing or out of order", run.text));
        rest = &rest[at..];
    }
}

//! Prints the sample bill's payment QR code as an SVG (one path, 1 unit a module), for the HTML
//! version of the sample bill that scripts/bench-render gives WeasyPrint:
//! `cargo run -p svet-billdoc --example sample_qr_svg > shared/billdoc/benches/weasyprint/qr.svg`.

use std::fmt::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let layout = svet_billdoc::layout(&svet_billdoc::BillSheet::sample())?;
    let qr = layout.qr().ok_or("the sample has a QR code")?;
    let mut path = String::new();
    for (col, row, width, height) in qr.rectangles() {
        write!(path, "M{col} {row}h{width}v{height}h-{width}z")?;
    }
    let n = qr.size;
    println!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" shape-rendering="crispEdges"><path d="{path}"/></svg>"#
    );
    Ok(())
}

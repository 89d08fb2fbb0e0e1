//! Writes the sample bill as `<path>.pdf` and `<path>.png` (150 dpi) so you can look at it:
//! `cargo run -p svet-billdoc --example sample -- target/bill`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/sample-bill".to_owned()));
    let layout = svet_billdoc::layout(&svet_billdoc::BillSheet::sample())?;
    let pdf_path = base.with_extension("pdf");
    let png_path = base.with_extension("png");
    std::fs::write(&pdf_path, svet_billdoc::pdf(&layout))?;
    std::fs::write(&png_path, svet_billdoc::png(&layout, 150)?)?;
    println!("{}\n{}", pdf_path.display(), png_path.display());
    Ok(())
}

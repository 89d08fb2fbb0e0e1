//! Render time per bill on one core: the layout, the PDF and the PNG at 150 dpi
//! (targets: PDF ≤ 2 ms, PNG ≤ 20 ms). `cargo bench -p svet-billdoc`; scripts/bench-render runs it
//! on one core beside WeasyPrint rendering the same bill from HTML (benches/weasyprint/).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use svet_billdoc::{BillSheet, layout, pdf, png};

fn render(c: &mut Criterion) {
    let sheet = BillSheet::sample();
    let page = layout(&sheet).expect("the sample fits");
    // Parse the fonts before timing: that happens once per process, not per bill.
    black_box(pdf(&page));
    black_box(png(&page, 150).expect("renders"));

    c.bench_function("layout", |b| b.iter(|| layout(black_box(&sheet))));
    c.bench_function("pdf", |b| b.iter(|| pdf(black_box(&page))));
    // From the sheet to the PDF's bytes: what WeasyPrint does from HTML in scripts/bench-render.
    c.bench_function("layout_pdf", |b| b.iter(|| pdf(&layout(black_box(&sheet)).expect("fits"))));
    c.bench_function("png_150dpi", |b| b.iter(|| png(black_box(&page), 150)));
    // A character beyond the prepared font subsets: printpdf subsets the full faces per bill.
    let rare = layout(&BillSheet { payer: "Zoë Müller".to_owned(), ..sheet.clone() }).expect("fits");
    c.bench_function("pdf_rare_characters", |b| b.iter(|| pdf(black_box(&rare))));
    c.bench_function("layout_pdf_png", |b| {
        b.iter(|| {
            let page = layout(black_box(&sheet)).expect("fits");
            (pdf(&page), png(&page, 150))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = render
}
criterion_main!(benches);

//! The PDF back end: printpdf operations for a [`Layout`].
//!
//! Text is real text in the embedded DejaVu Sans (subset fonts, see [`crate::pdf_fonts`], so a
//! bill is about 60 KB and `pdftotext` extracts it exactly); rules, boxes and the QR code are
//! vector paths. All the
//! graphics are drawn first and then all the text in one text section, in layout order, so a
//! text extractor reads the runs in the order [`Layout::text_runs`] lists them.

use std::collections::BTreeSet;

use printpdf::{
    Color, CurTransMat, DictItem, FontId, Greyscale, Line, LineDashPattern, LinePoint, Mm, Op, PaintMode,
    PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix,
};

use crate::fonts::{PDF_FONTS, text_width_mm};
use crate::model::{
    Align, Frame, Item, Layout, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, QrMatrix, Rule, TextRun, Weight,
};
use crate::pdf_fonts::{PREPARED, Prepared, covers, deflate};

/// Renders the page as a one-page PDF.
pub fn pdf(layout: &Layout) -> Vec<u8> {
    let mut doc = PdfDocument::new(&layout.title);
    let info = &mut doc.metadata.info;
    info.author.clone_from(&layout.author);
    info.creator = "Svet".to_owned();
    info.producer = "svet-billdoc (printpdf)".to_owned();
    // The fonts prepared once (see pdf_fonts) when they cover the text, else printpdf subsets
    // the full faces for this document. printpdf names a font resource after its id and, when
    // it subsets, takes the id's first six characters as the subset tag, so the ids are tags
    // made from the characters used: the same for the same bill, different for other subsets.
    let ids = [subset_tag(layout, Weight::Regular), subset_tag(layout, Weight::Bold)];
    let prepared = match &*PREPARED {
        [Some(regular), Some(bold)] if layout.text_runs().all(|r| covers(&r.text)) => Some([regular, bold]),
        _ => None,
    };
    for (i, id) in ids.iter().enumerate() {
        let face = prepared.map_or(&PDF_FONTS[i], |p| &p[i].face);
        doc.resources.fonts.map.insert(id.clone(), PdfFont::new(face.clone()));
    }
    let options = PdfSaveOptions { subset_fonts: prepared.is_none(), ..SAVE_OPTIONS };

    let mut ops = Vec::with_capacity(layout.items.len() * 3);
    for item in &layout.items {
        match item {
            Item::Frame(frame) => draw_frame(&mut ops, frame),
            Item::Rule(rule) => draw_rule(&mut ops, rule),
            Item::Qr(qr) => draw_qr(&mut ops, qr),
            Item::Text(_) => {}
        }
    }
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFillColor { col: grey(0.0) });
    let mut current: Option<(Weight, f32)> = None;
    for run in layout.text_runs() {
        if current != Some((run.weight, run.size_pt)) {
            let font = PdfFontHandle::External(ids[usize::from(run.weight == Weight::Bold)].clone());
            ops.push(Op::SetFont { font, size: Pt(run.size_pt) });
            current = Some((run.weight, run.size_pt));
        }
        draw_text(&mut ops, run);
    }
    ops.push(Op::EndTextSection);

    let page = PdfPage::new(Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM), ops);
    let mut doc = doc.with_pages(vec![page]).to_lopdf_document(&options, &mut Vec::new());
    compress(&mut doc, prepared.as_ref().map_or(&[][..], |p| &p[..]));
    tidy(&mut doc);
    let mut out = Vec::with_capacity(64 * 1024);
    // Writing into a Vec does not fail.
    let _ = doc.save_to(&mut out);
    out
}

/// Subset the fonts; keep our own raw operators (the QR code's path, see [`draw_qr`]).
const SAVE_OPTIONS: PdfSaveOptions =
    PdfSaveOptions { optimize: true, subset_fonts: true, secure: false, image_optimization: None };

/// Deflates every stream, as printpdf's own save would but at level 6 instead of 9 (level 9
/// takes several times longer for about 2 % less). A prepared font program is swapped for its
/// copy deflated in advance.
fn compress(doc: &mut lopdf::Document, prepared: &[&Prepared]) {
    for object in doc.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else { continue };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let ready = prepared.iter().find(|p| p.program == stream.content).map(|p| p.deflated.clone());
        let Some(compressed) = ready.or_else(|| deflate(&stream.content, 6)) else { continue };
        if compressed.len() + 19 < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}

/// printpdf writes 1970 dates, empty keys (one of them, `GTS_PDFXVersion`, makes readers think
/// of PDF/X) and a random file ID. The bill has no creation time of its own here (whoever
/// stores it knows when), so: no dates, no empty keys, and an ID hashed from the content, so
/// the same bill always gives the same bytes.
fn tidy(doc: &mut lopdf::Document) {
    let info = doc.trailer.get(b"Info").and_then(lopdf::Object::as_reference);
    if let Ok(dict) = info.and_then(|id| doc.get_dictionary_mut(id)) {
        dict.remove(b"CreationDate");
        dict.remove(b"ModDate");
        let empty: Vec<Vec<u8>> = dict
            .iter()
            .filter(|(_, v)| matches!(v, lopdf::Object::String(s, _) if s.is_empty() || s == b"\xfe\xff"))
            .map(|(k, _)| k.clone())
            .collect();
        for key in empty {
            dict.remove(&key);
        }
    }
    let mut hash = FNV_OFFSET;
    for object in doc.objects.values() {
        if let lopdf::Object::Stream(stream) = object {
            for chunk in stream.content.chunks(8) {
                let mut word = [0; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                hash = fnv(hash, u64::from_le_bytes(word));
            }
        }
    }
    let id = format!("{hash:016x}").into_bytes();
    let id = || lopdf::Object::String(id.clone(), lopdf::StringFormat::Literal);
    doc.trailer.set("ID", lopdf::Object::Array(vec![id(), id()]));
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(hash: u64, value: u64) -> u64 {
    (hash ^ value).wrapping_mul(0x0100_0000_01b3)
}

/// Six capital letters from an FNV-1a hash of the distinct characters set in `weight`.
fn subset_tag(layout: &Layout, weight: Weight) -> FontId {
    let chars: BTreeSet<char> =
        layout.text_runs().filter(|r| r.weight == weight).flat_map(|r| r.text.chars()).collect();
    let mut hash = FNV_OFFSET ^ u64::from(weight == Weight::Bold);
    for c in chars {
        hash = fnv(hash, u64::from(u32::from(c)));
    }
    let tag = (0..6)
        .map(|_| {
            let letter = b'A' + u8::try_from(hash % 26).unwrap_or(0);
            hash /= 26;
            char::from(letter)
        })
        .collect();
    FontId(tag)
}

fn draw_text(ops: &mut Vec<Op>, run: &TextRun) {
    let left = match run.align {
        Align::Left => run.x,
        Align::Center => run.x - text_width_mm(&run.text, run.size_pt, run.weight) / 2.0,
        Align::Right => run.x - text_width_mm(&run.text, run.size_pt, run.weight),
    };
    let (x, y) = (pt(left), pt(PAGE_HEIGHT_MM - run.y));
    ops.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(x, y) });
    ops.push(Op::ShowText { items: vec![TextItem::Text(run.text.clone())] });
}

fn draw_frame(ops: &mut Vec<Op>, f: &Frame) {
    let rect = |mode| Rect {
        x: pt(f.x),
        y: pt(PAGE_HEIGHT_MM - f.y - f.h),
        width: pt(f.w),
        height: pt(f.h),
        mode: Some(mode),
        winding_order: None,
    };
    if let Some(level) = f.fill_grey {
        ops.push(Op::SetFillColor { col: grey(level) });
        ops.push(Op::DrawRectangle { rectangle: rect(PaintMode::Fill) });
    }
    if let Some(width) = f.stroke_mm {
        ops.push(Op::SetOutlineThickness { pt: pt(width) });
        ops.push(Op::SetLineDashPattern { dash: LineDashPattern::solid() });
        ops.push(Op::SetOutlineColor { col: grey(0.0) });
        ops.push(Op::DrawRectangle { rectangle: rect(PaintMode::Stroke) });
    }
}

fn draw_rule(ops: &mut Vec<Op>, r: &Rule) {
    let dash =
        if r.dashed { LineDashPattern::new(0.0, &[pt(2.0).0, pt(1.2).0]) } else { LineDashPattern::solid() };
    ops.push(Op::SetOutlineThickness { pt: pt(r.width_mm) });
    ops.push(Op::SetLineDashPattern { dash });
    ops.push(Op::SetOutlineColor { col: grey(0.0) });
    let points = vec![corner(r.x1, r.y1), corner(r.x2, r.y2)];
    ops.push(Op::DrawLine { line: Line { points, is_closed: false } });
}

/// One filled path of rectangles in module units: a transformation puts module (0, 0) at the
/// symbol's corner, y downwards, so every number is a small integer. One path, not one fill per
/// rectangle, so anti-aliasing viewers show no seams where rectangles touch. printpdf has no op
/// for a path of several `re`, so they go in as raw operators (`Op::Unknown`, written because
/// the save options turn `secure` off; this module emits no other raw operator).
fn draw_qr(ops: &mut Vec<Op>, qr: &QrMatrix) {
    let m = pt(qr.module_mm).0;
    let matrix = CurTransMat::Raw([m, 0.0, 0.0, -m, pt(qr.x).0, pt(PAGE_HEIGHT_MM - qr.y).0]);
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetTransformationMatrix { matrix });
    ops.push(Op::SetFillColor { col: grey(0.0) });
    let int = |n: usize| DictItem::Int(i64::try_from(n).unwrap_or_default());
    for (c, r, w, h) in qr.rectangles() {
        ops.push(Op::Unknown { key: "re".to_owned(), value: vec![int(c), int(r), int(w), int(h)] });
    }
    ops.push(Op::Unknown { key: "f".to_owned(), value: Vec::new() });
    ops.push(Op::RestoreGraphicsState);
}

/// A point given in layout millimetres from the top-left corner.
fn corner(x: f32, y: f32) -> LinePoint {
    LinePoint { p: Point { x: pt(x), y: pt(PAGE_HEIGHT_MM - y) }, bezier: false }
}

/// Millimetres to points, rounded to 0.01 pt (far below anything visible): shorter numbers
/// make a smaller content stream that is faster to write and to deflate.
fn pt(mm: f32) -> Pt {
    Pt((Mm(mm).into_pt().0 * 100.0).round() / 100.0)
}

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale::new(level, None))
}

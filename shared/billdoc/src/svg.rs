//! The SVG back end: the same [`Layout`] as SVG markup in millimetre units, which [`crate::png`]
//! rasterises with resvg. Kerning is switched off so text widths equal the plain glyph advances
//! the PDF uses; alignment uses `text-anchor` on those same widths.

use std::fmt::Write as _;

use crate::fonts::FAMILY;
use crate::model::{
    Align, Frame, Item, Layout, MM_PER_PT, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, QrMatrix, Rule, TextRun,
};

/// The page as a standalone SVG document (210 × 297 mm). It names the font family "DejaVu Sans"
/// and expects it to be available: resvg gets it from the embedded bytes, a browser from the
/// system or not at all, so this is meant for [`crate::png`], not for the web page.
pub fn svg(layout: &Layout) -> String {
    markup(layout, None)
}

/// The SVG as a document (`pixel_mm` = `None`) or for rasterising at pixels of `pixel_mm`: then
/// without the white page (the PNG back end fills its pixmap, much faster than a page-sized
/// rectangle), and with rules and boxes drawn without anti-aliasing, as sharp whole-pixel lines
/// (and faster), every stroke at least one pixel wide so no hairline falls between pixel rows.
/// Text keeps its anti-aliasing either way.
pub(crate) fn markup(layout: &Layout, pixel_mm: Option<f32>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" "#,
            r#"viewBox="0 0 {w} {h}"><title>{title}</title>"#
        ),
        w = PAGE_WIDTH_MM,
        h = PAGE_HEIGHT_MM,
        title = escape(&layout.title)
    );
    let crisp = match pixel_mm {
        None => {
            out.push_str(r##"<rect width="100%" height="100%" fill="#fff"/>"##);
            ""
        }
        Some(_) => r#" shape-rendering="crispEdges""#,
    };
    let min_stroke = pixel_mm.unwrap_or(0.0);
    let _ = write!(out, r#"<g font-family="{FAMILY}" font-kerning="none"{crisp}>"#);
    for item in &layout.items {
        match item {
            Item::Text(run) => text(&mut out, run),
            Item::Rule(rule) => line(&mut out, rule, min_stroke),
            Item::Frame(frame) => rect(&mut out, frame, min_stroke),
            Item::Qr(qr) => qr_path(&mut out, qr),
        }
    }
    out.push_str("</g></svg>");
    out
}

fn text(out: &mut String, run: &TextRun) {
    let anchor = match run.align {
        Align::Left => "",
        Align::Center => r#" text-anchor="middle""#,
        Align::Right => r#" text-anchor="end""#,
    };
    let weight = match run.weight {
        crate::Weight::Regular => "",
        crate::Weight::Bold => r#" font-weight="bold""#,
    };
    let _ = write!(
        out,
        r#"<text x="{:.3}" y="{:.3}" font-size="{:.3}"{weight}{anchor} xml:space="preserve">{}</text>"#,
        run.x,
        run.y,
        run.size_pt * MM_PER_PT,
        escape(&run.text)
    );
}

fn line(out: &mut String, r: &Rule, min_stroke: f32) {
    let dash = if r.dashed { r#" stroke-dasharray="2 1.2""# } else { "" };
    let _ = write!(
        out,
        r##"<line x1="{:.3}" y1="{:.3}" x2="{:.3}" y2="{:.3}" stroke="#000" stroke-width="{:.3}"{dash}/>"##,
        r.x1,
        r.y1,
        r.x2,
        r.y2,
        r.width_mm.max(min_stroke)
    );
}

fn rect(out: &mut String, f: &Frame, min_stroke: f32) {
    let fill = f
        .fill_grey
        .map_or_else(|| "none".to_owned(), |level| format!("#{0:02x}{0:02x}{0:02x}", to_byte(level)));
    let stroke = f
        .stroke_mm
        .map_or_else(String::new, |w| format!(r##" stroke="#000" stroke-width="{:.3}""##, w.max(min_stroke)));
    let _ = write!(
        out,
        r#"<rect x="{:.3}" y="{:.3}" width="{:.3}" height="{:.3}" fill="{fill}"{stroke}/>"#,
        f.x, f.y, f.w, f.h
    );
}

/// One path of rectangles in module units (a transform places and scales it), drawn without
/// anti-aliasing so every module edge stays sharp for scanners.
fn qr_path(out: &mut String, qr: &QrMatrix) {
    let _ = write!(
        out,
        r##"<path fill="#000" shape-rendering="crispEdges" transform="translate({:.3} {:.3}) scale({:.5})""##,
        qr.x, qr.y, qr.module_mm
    );
    out.push_str(r#" d=""#);
    for (col, row, width, height) in qr.rectangles() {
        let _ = write!(out, "M{col} {row}h{width}v{height}h-{width}z");
    }
    out.push_str(r#""/>"#);
}

/// A grey level (0.0–1.0) as a byte.
fn to_byte(level: f32) -> u8 {
    // The clamp makes the cast lossless in range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let byte = (level.clamp(0.0, 1.0) * 255.0).round() as u8;
    byte
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_text() {
        assert_eq!(escape(r#"ООО «Свет» & <Ко> "1""#), "ООО «Свет» &amp; &lt;Ко&gt; &quot;1&quot;");
    }
}

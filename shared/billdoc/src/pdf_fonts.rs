//! The fonts as the PDF embeds them: subset once per process, not once per bill.
//!
//! Subsetting DejaVu Sans for each bill (printpdf's default) and deflating the result cost
//! more than the whole rest of the PDF. Bills use a small, known set of characters, so each
//! face is cut once to that set ([`in_repertoire`]) and deflated once, and every bill embeds
//! those same bytes. A bill with a character outside the set (a foreign letter in a name)
//! falls back to printpdf's per-document subset of the full face, so nothing is left out.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::LazyLock;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use printpdf::ParsedFont;

use crate::fonts::PDF_FONTS;

/// What a bill is written in: Basic Latin, the basic Cyrillic block (Russian, and the letters
/// of Ukrainian, Belarusian and Serbian names), and the punctuation and signs of Russian forms.
fn in_repertoire(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{400}'..='\u{45f}') || SIGNS.contains(c)
}
const SIGNS: &str = "\u{a0}«»°±·×÷–—‘’‚“”„…№₽−✂";

fn repertoire() -> impl Iterator<Item = char> {
    (' '..='~').chain('\u{400}'..='\u{45f}').chain(SIGNS.chars())
}

/// A face cut to the repertoire, with its font program ready to embed.
pub(crate) struct Prepared {
    /// The subset face, named with its subset tag (`ABCDEF+DejaVuSans`).
    pub face: ParsedFont,
    /// The subset font program as printpdf will write it into the PDF...
    pub program: Vec<u8>,
    /// ...and the same bytes deflated (level 9: done once).
    pub deflated: Vec<u8>,
}

/// `[regular, bold]`; `None` if preparing failed, and then every bill takes the slow path.
pub(crate) static PREPARED: LazyLock<[Option<Prepared>; 2]> =
    LazyLock::new(|| [prepare(&PDF_FONTS[0], 'R'), prepare(&PDF_FONTS[1], 'B')]);

/// Whether the prepared subsets can set this text.
pub(crate) fn covers(text: &str) -> bool {
    text.chars().all(in_repertoire)
}

fn prepare(full: &ParsedFont, weight: char) -> Option<Prepared> {
    let glyphs: BTreeMap<u16, String> = repertoire()
        .filter_map(|c| {
            full.lookup_glyph_index(u32::from(c)).filter(|&gid| gid != 0).map(|gid| (gid, c.into()))
        })
        .collect();
    let subset = printpdf::subset_font(full, &glyphs).ok()?;
    let face = ParsedFont::from_bytes(&subset.bytes, 0, &mut Vec::new())?;
    let every_char_kept = repertoire().all(|c| {
        let want = full.lookup_glyph_index(u32::from(c)).is_some_and(|gid| gid != 0);
        !want || face.lookup_glyph_index(u32::from(c)).is_some_and(|gid| gid != 0)
    });
    if !every_char_kept {
        return None;
    }
    // The subset tag (ISO 32000-1, 9.6.4) belongs on the font's name; printpdf writes the face's
    // name as /BaseFont and /FontName when it embeds a face as it is.
    let mut inner = face.into_inner();
    let name = inner.font_name.clone().unwrap_or_else(|| "DejaVuSans".to_owned());
    inner.font_name = Some(format!("SVT{weight}RP+{name}"));
    let face = ParsedFont::from_azul(inner);
    let deflated = deflate(&subset.bytes, 9)?;
    Some(Prepared { face, program: subset.bytes, deflated })
}

/// zlib-wrapped deflate, as PDF's FlateDecode wants it.
pub(crate) fn deflate(bytes: &[u8], level: u32) -> Option<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::new(level));
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_faces_are_prepared_and_much_smaller() {
        for prepared in PREPARED.iter() {
            let prepared = prepared.as_ref().expect("the repertoire subset is made");
            assert!(prepared.program.len() < 200_000, "{}", prepared.program.len());
            assert!(prepared.deflated.len() < prepared.program.len());
        }
        assert!(covers("Счёт № 180211111: 1\u{a0}234,56 ₽ — «День» ✂"));
        assert!(covers("Їжак Ўладзімір"));
        assert!(!covers("Zoë") && !covers("Ґанна"));
    }
}

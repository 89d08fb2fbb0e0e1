//! The one font family of the bill, DejaVu Sans (regular and bold), embedded in the binary.
//!
//! DejaVu covers Cyrillic, «», №, ₽ and ·; its licence is in `fonts/LICENSE`. Both back ends
//! and the measuring code use these same bytes, and each parse happens once per process
//! (parsing a face costs 1–2 ms, more than a whole PDF render).

use std::sync::{Arc, LazyLock};

use printpdf::ParsedFont;
use resvg::usvg::fontdb;

use crate::model::{MM_PER_PT, Weight};

/// The family name inside the TTF files, used by the SVG back end.
pub(crate) const FAMILY: &str = "DejaVu Sans";

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The faces parsed for printpdf, which also serve for measuring text: `[regular, bold]`.
pub(crate) static PDF_FONTS: LazyLock<[ParsedFont; 2]> = LazyLock::new(|| {
    let parse = |bytes: &[u8]| {
        ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the embedded DejaVu Sans parses")
    };
    [parse(REGULAR_TTF), parse(BOLD_TTF)]
});

/// A font database holding only the embedded faces, for usvg (no system fonts).
pub(crate) static SVG_FONTS: LazyLock<Arc<fontdb::Database>> = LazyLock::new(|| {
    let mut db = fontdb::Database::new();
    for bytes in [REGULAR_TTF, BOLD_TTF] {
        db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
    }
    Arc::new(db)
});

/// Advance widths in font units for every code point below [`TABLE_END`], `[regular, bold]`:
/// measuring is a table lookup (wrapping measures the same words many times).
static ADVANCES: LazyLock<[Vec<u16>; 2]> = LazyLock::new(|| {
    let table = |font: &ParsedFont| (0..TABLE_END).map(|c| advance(font, c)).collect();
    [table(&PDF_FONTS[0]), table(&PDF_FONTS[1])]
});
/// Covers Latin, Cyrillic, punctuation, ₽ and the dingbats (✂).
const TABLE_END: u32 = 0x2800;

fn advance(font: &ParsedFont, c: u32) -> u16 {
    font.get_horizontal_advance(font.lookup_glyph_index(c).unwrap_or(0))
}

/// The advance width of `text` in millimetres, as both back ends draw it: the sum of the
/// glyphs' horizontal advances, without kerning (the PDF back end writes no kerning, and the
/// SVG back end switches it off so the two stay identical).
pub fn text_width_mm(text: &str, size_pt: f32, weight: Weight) -> f32 {
    let index = usize::from(weight == Weight::Bold);
    let (font, table) = (&PDF_FONTS[index], &ADVANCES[index]);
    let units: u32 = text
        .chars()
        .map(|c| {
            let c = u32::from(c);
            let known = usize::try_from(c).ok().and_then(|i| table.get(i));
            u32::from(known.copied().unwrap_or_else(|| advance(font, c)))
        })
        .sum();
    units as f32 / f32::from(font.pdf_font_metrics.units_per_em) * size_pt * MM_PER_PT
}

/// Greedy word wrap into lines no wider than `max_mm`; a `'\n'` forces a break. Only plain
/// spaces break lines, so «1 234,56» written with no-break spaces stays whole. A single word
/// wider than `max_mm` gets a line of its own and sticks out rather than being cut.
pub(crate) fn wrap(text: &str, max_mm: f32, size_pt: f32, weight: Weight) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let words = paragraph
            .split(' ')
            .filter(|w| !w.is_empty())
            .flat_map(|w| break_word(w, max_mm, size_pt, weight));
        for word in words {
            if line.is_empty() {
                line.push_str(&word);
                continue;
            }
            let candidate = format!("{line} {word}");
            if text_width_mm(&candidate, size_pt, weight) <= max_mm {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word));
            }
        }
        lines.push(line);
    }
    lines
}

/// A word wider than the line, cut into pieces that fit (a long street name in a narrow
/// column must not run into the next one); other words as they are.
fn break_word(word: &str, max_mm: f32, size_pt: f32, weight: Weight) -> Vec<String> {
    if text_width_mm(word, size_pt, weight) <= max_mm {
        return vec![word.to_owned()];
    }
    let mut pieces = vec![String::new()];
    for c in word.chars() {
        let last = pieces.last_mut().expect("never empty");
        last.push(c);
        if last.chars().count() > 1 && text_width_mm(last, size_pt, weight) > max_mm {
            last.pop();
            pieces.push(c.to_string());
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_cyrillic_and_bold_wider() {
        let regular = text_width_mm("Итого к оплате", 10.0, Weight::Regular);
        let bold = text_width_mm("Итого к оплате", 10.0, Weight::Bold);
        assert!(regular > 20.0 && regular < 40.0, "{regular}");
        assert!(bold > regular);
        assert!(text_width_mm("₽", 10.0, Weight::Regular) > 1.0, "₽ has a real glyph");
    }

    #[test]
    fn breaks_a_word_wider_than_the_line() {
        let lines = wrap("Круглосуточно 1", 12.0, 9.0, Weight::Regular);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| text_width_mm(l, 9.0, Weight::Regular) <= 12.0), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), "Круглосуточно1");
    }

    #[test]
    fn wraps_on_spaces_and_newlines_only() {
        let lines = wrap("248000, г. Калуга, ул. Ленина, д. 1\n1\u{a0}234,56", 30.0, 9.0, Weight::Regular);
        assert!(lines.len() >= 3, "{lines:?}");
        assert_eq!(lines.last().map(String::as_str), Some("1\u{a0}234,56"));
        assert!(lines.iter().all(|l| !l.starts_with(' ') && !l.ends_with(' ')));
        assert_eq!(wrap("", 30.0, 9.0, Weight::Regular), vec![String::new()]);
    }
}

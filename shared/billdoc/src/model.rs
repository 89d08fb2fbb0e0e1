//! The layout model: a flat list of positioned primitives on one A4 portrait page.
//!
//! Coordinates are millimetres from the page's top-left corner, y growing downwards (the way
//! one measures a paper form); the PDF back end flips y itself. Font sizes are typographic
//! points, the unit people think in. The back ends only translate these primitives, they make
//! no layout decisions, which is what keeps the PDF and the PNG identical.

/// A4 width in millimetres.
pub const PAGE_WIDTH_MM: f32 = 210.0;
/// A4 height in millimetres.
pub const PAGE_HEIGHT_MM: f32 = 297.0;

/// One page, built by [`crate::layout`] and drawn by [`crate::pdf`], [`crate::svg`] and
/// [`crate::png`].
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The document title (PDF metadata, SVG `<title>`).
    pub title: String,
    /// The author shown in the PDF metadata (the supplier).
    pub author: String,
    /// Drawn in order; later items paint over earlier ones.
    pub items: Vec<Item>,
}

impl Layout {
    /// The text runs in drawing order (what a text extractor should find, in that order).
    pub fn text_runs(&self) -> impl Iterator<Item = &TextRun> {
        self.items.iter().filter_map(|item| match item {
            Item::Text(run) => Some(run),
            _ => None,
        })
    }

    /// The QR code, if the layout has one.
    pub fn qr(&self) -> Option<&QrMatrix> {
        self.items.iter().find_map(|item| match item {
            Item::Qr(qr) => Some(qr),
            _ => None,
        })
    }
}

/// A positioned primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text(TextRun),
    Rule(Rule),
    Frame(Frame),
    Qr(QrMatrix),
}

/// One line of text in one font. Never wrapped by the back ends: [`crate::layout`] wraps.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    /// The anchor: the left end, the centre or the right end of the baseline, per `align`.
    pub x: f32,
    /// The baseline.
    pub y: f32,
    pub size_pt: f32,
    pub weight: Weight,
    pub align: Align,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A straight black line.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
    pub width_mm: f32,
    /// Dashed (the cut line above the payment slip).
    pub dashed: bool,
}

/// A rectangle: an optional grey fill under an optional black outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// Grey level of the fill, 0.0 black to 1.0 white; `None` leaves it transparent.
    pub fill_grey: Option<f32>,
    /// Outline width in millimetres; `None` draws no outline.
    pub stroke_mm: Option<f32>,
}

/// A QR code as its module matrix; the quiet zone (4 modules) is left blank around it.
#[derive(Debug, Clone, PartialEq)]
pub struct QrMatrix {
    /// Top-left corner of the first module.
    pub x: f32,
    pub y: f32,
    /// The side of one module.
    pub module_mm: f32,
    /// Modules per side.
    pub size: usize,
    /// Row-major, `size * size` entries, `true` for a dark module.
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// The side of the whole symbol (without the quiet zone).
    pub fn side_mm(&self) -> f32 {
        self.module_mm * self.size as f32
    }

    /// The dark modules as rectangles `(column, row, width, height)` in modules: horizontal
    /// runs, merged downwards while the run below is identical. The back ends draw these, a
    /// few hundred shapes instead of thousands of modules.
    pub fn rectangles(&self) -> Vec<(usize, usize, usize, usize)> {
        let mut done = Vec::new();
        let mut open: Vec<(usize, usize, usize, usize)> = Vec::new();
        for (row, cells) in self.dark.chunks(self.size).enumerate() {
            let mut next = Vec::with_capacity(open.len());
            let mut col = 0;
            while col < cells.len() {
                if !cells[col] {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < cells.len() && cells[col] {
                    col += 1;
                }
                let width = col - start;
                match open.iter().position(|r| r.0 == start && r.2 == width) {
                    Some(at) => {
                        let (c, r, w, h) = open.swap_remove(at);
                        next.push((c, r, w, h + 1));
                    }
                    None => next.push((start, row, width, 1)),
                }
            }
            done.append(&mut open);
            open = next;
        }
        done.append(&mut open);
        done
    }
}

/// Millimetres per typographic point.
pub(crate) const MM_PER_PT: f32 = 25.4 / 72.0;

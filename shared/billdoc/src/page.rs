//! A small page builder: text lines, wrapped paragraphs and boxed tables, appended as
//! [`Item`]s. It knows typography (line heights, baselines, padding), not bills.

use crate::fonts::{text_width_mm, wrap};
use crate::model::{Align, Frame, Item, MM_PER_PT, Rule, TextRun, Weight};

/// Line advance as a multiple of the font size.
const LEADING: f32 = 1.22;
/// Horizontal and vertical padding inside a table cell.
const PAD_X: f32 = 1.5;
const PAD_Y: f32 = 1.3;
/// Rule widths: the grid inside tables and the outline around them.
pub(crate) const HAIRLINE: f32 = 0.15;
pub(crate) const OUTLINE: f32 = 0.35;

/// A table column.
#[derive(Clone, Copy)]
pub(crate) struct Col {
    pub width: f32,
    pub align: Align,
    /// Grey behind this column's cells (the labels of a label/value table).
    pub shade: Option<f32>,
}

impl Col {
    pub(crate) const fn new(width: f32, align: Align) -> Self {
        Self { width, align, shade: None }
    }
}

/// How one table row is set.
#[derive(Clone, Copy)]
pub(crate) struct RowStyle {
    pub size_pt: f32,
    pub weight: Weight,
    /// Overrides every column's alignment (header rows are centred).
    pub align: Option<Align>,
    pub fill_grey: Option<f32>,
}

impl RowStyle {
    pub(crate) const fn body(size_pt: f32) -> Self {
        Self { size_pt, weight: Weight::Regular, align: None, fill_grey: None }
    }
}

#[derive(Default)]
pub(crate) struct Page {
    pub items: Vec<Item>,
}

impl Page {
    /// One line of text with its baseline at `y`.
    pub(crate) fn text(&mut self, x: f32, y: f32, size_pt: f32, weight: Weight, align: Align, text: &str) {
        if text.is_empty() {
            return;
        }
        let text = text.to_owned();
        self.items.push(Item::Text(TextRun { x, y, size_pt, weight, align, text }));
    }

    pub(crate) fn rule(&mut self, (x1, y1): (f32, f32), (x2, y2): (f32, f32), width_mm: f32, dashed: bool) {
        self.items.push(Item::Rule(Rule { x1, y1, x2, y2, width_mm, dashed }));
    }

    pub(crate) fn frame(
        &mut self,
        (x, y, w, h): (f32, f32, f32, f32),
        fill: Option<f32>,
        stroke: Option<f32>,
    ) {
        self.items.push(Item::Frame(Frame { x, y, w, h, fill_grey: fill, stroke_mm: stroke }));
    }

    /// A wrapped paragraph whose first line's top is at `top`; `x` is the anchor for `align`.
    /// Returns the top of the next line.
    pub(crate) fn paragraph(
        &mut self,
        (x, top): (f32, f32),
        width: f32,
        size_pt: f32,
        weight: Weight,
        align: Align,
        text: &str,
    ) -> f32 {
        let mut top = top;
        for line in wrap(text, width, size_pt, weight) {
            self.text(x, baseline(top, size_pt), size_pt, weight, align, &line);
            top += line_height(size_pt);
        }
        top
    }

    /// A boxed table at (`x`, `top`): a grid of hairlines inside a heavier outline. Cells wrap
    /// to their column and are centred vertically in their row. Shading goes down first, then
    /// the text, then the rules, so no fill covers a rule. Returns the y of every row's top and,
    /// last, the table's bottom.
    pub(crate) fn table(
        &mut self,
        (x, top): (f32, f32),
        cols: &[Col],
        rows: &[(RowStyle, Vec<&str>)],
    ) -> Vec<f32> {
        let width: f32 = cols.iter().map(|c| c.width).sum();
        let wrapped: Vec<Vec<Vec<String>>> = rows
            .iter()
            .map(|(style, cells)| {
                let wrap_cell = |(col, cell): (&Col, &&str)| {
                    wrap(cell, col.width - 2.0 * PAD_X, style.size_pt, style.weight)
                };
                cols.iter().zip(cells).map(wrap_cell).collect()
            })
            .collect();
        let mut edges = vec![top];
        for ((style, _), cells) in rows.iter().zip(&wrapped) {
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
            edges.push(edges[edges.len() - 1] + 2.0 * PAD_Y + lines as f32 * line_height(style.size_pt));
        }
        let bottom = edges[edges.len() - 1];

        for (i, (style, _)) in rows.iter().enumerate() {
            let (y, height) = (edges[i], edges[i + 1] - edges[i]);
            let mut left = x;
            for col in cols {
                if let Some(grey) = style.fill_grey.or(col.shade) {
                    self.frame((left, y, col.width, height), Some(grey), None);
                }
                left += col.width;
            }
        }
        for (i, ((style, _), cells)) in rows.iter().zip(&wrapped).enumerate() {
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
            let mut left = x;
            for (col, cell) in cols.iter().zip(cells) {
                let align = style.align.unwrap_or(col.align);
                let anchor = match align {
                    Align::Left => left + PAD_X,
                    Align::Center => left + col.width / 2.0,
                    Align::Right => left + col.width - PAD_X,
                };
                let spare = (lines - cell.len()) as f32 * line_height(style.size_pt);
                let mut line_top = edges[i] + PAD_Y + spare / 2.0;
                for line in cell {
                    let y = baseline(line_top, style.size_pt);
                    self.text(anchor, y, style.size_pt, style.weight, align, line);
                    line_top += line_height(style.size_pt);
                }
                left += col.width;
            }
        }
        for &y in &edges[1..edges.len() - 1] {
            self.rule((x, y), (x + width, y), HAIRLINE, false);
        }
        let mut left = x;
        for col in &cols[..cols.len().saturating_sub(1)] {
            left += col.width;
            self.rule((left, top), (left, bottom), HAIRLINE, false);
        }
        self.frame((x, top, width, bottom - top), None, Some(OUTLINE));
        edges
    }
}

/// The advance from one line's top to the next.
pub(crate) fn line_height(size_pt: f32) -> f32 {
    size_pt * MM_PER_PT * LEADING
}

/// The baseline of a line whose box starts at `top`: capitals sit centred in the line box.
pub(crate) fn baseline(top: f32, size_pt: f32) -> f32 {
    let size = size_pt * MM_PER_PT;
    top + size * LEADING / 2.0 + size * 0.36
}

/// Shrinks `size_pt` in half-point steps until `text` fits `width` (never below `min_pt`).
pub(crate) fn fit(text: &str, width: f32, size_pt: f32, min_pt: f32, weight: Weight) -> f32 {
    let mut size = size_pt;
    while size > min_pt && text_width_mm(text, size, weight) > width {
        size -= 0.5;
    }
    size
}

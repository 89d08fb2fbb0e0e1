//! The monthly electricity bill as a document: one page of A4 that looks like the paper bill a
//! household gets (supplier's requisites, payer, meter readings and charges, balance, total due,
//! due date, and a tear-off payment slip with the GOST R 56042 QR code).
//!
//! Why one layout and two back ends: the PDF (for printing and e-mail) and the PNG (for the page
//! and for people who cannot open a PDF) must never disagree. [`layout`] places every text run,
//! rule, box and QR module once, in millimetres; [`pdf`] draws that with printpdf (real,
//! selectable text in an embedded, subset DejaVu Sans) and [`png`] draws it through an SVG
//! rendered by resvg with the very same font bytes. No system fonts are used anywhere, so the
//! output is the same on a laptop and in Lambda.
//!
//! A payment's receipt uses the same primitives ([`receipt_layout`]), so it prints like the bill.
//!
//! The crate takes display-ready strings ([`BillSheet`]) and has no domain dependency: the bill
//! computation formats amounts, dates and readings, this crate only places them.

// Rendering needs floats for coordinates (millimetres, points, pixels). Money never touches
// floats here: amounts arrive as formatted strings and are only measured and drawn.
#![allow(clippy::float_arithmetic)]

mod fonts;
mod layout;
mod model;
mod page;
mod pdf;
mod pdf_fonts;
mod png;
mod qr;
mod receipt;
mod sample;
mod sheet;
mod svg;

pub use fonts::text_width_mm;
pub use layout::{LayoutError, layout};
pub use model::{Align, Frame, Item, Layout, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, QrMatrix, Rule, TextRun, Weight};
pub use pdf::pdf;
pub use png::{DPI_RANGE, RenderError, png};
pub use receipt::{ReceiptSheet, receipt_layout};
pub use sheet::{BalanceLine, BillSheet, Company, MeterRow};
pub use svg::svg;

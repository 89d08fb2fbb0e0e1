//! The PNG back end: the SVG of [`crate::svg`] rasterised by resvg with the embedded fonts only,
//! then written as an 8-bit greyscale PNG (the bill is black on white: a quarter of the RGBA
//! data, and a smaller file) with its resolution recorded, so it prints at A4 size.

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg;

use crate::fonts::{FAMILY, SVG_FONTS};
use crate::model::{Layout, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};
use crate::svg::markup;

/// The resolutions [`png`] accepts: from a thumbnail to print quality.
pub const DPI_RANGE: std::ops::RangeInclusive<u32> = 36..=600;

/// Why a PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0} dpi is outside 36..=600")]
    Dpi(u32),
    /// A bug: the SVG this crate wrote did not parse.
    #[error("the bill's SVG did not parse: {0}")]
    Svg(#[from] usvg::Error),
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
}

/// Renders the page at `dpi` (150 dpi gives 1240 × 1754 pixels).
pub fn png(layout: &Layout, dpi: u32) -> Result<Vec<u8>, RenderError> {
    if !DPI_RANGE.contains(&dpi) {
        return Err(RenderError::Dpi(dpi));
    }
    let options = usvg::Options {
        font_family: FAMILY.to_owned(),
        fontdb: SVG_FONTS.clone(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&markup(layout, Some(25.4 / dpi as f32)), &options)?;
    let (width, height) = (pixels(PAGE_WIDTH_MM, dpi), pixels(PAGE_HEIGHT_MM, dpi));
    let mut pixmap = Pixmap::new(width, height).ok_or(RenderError::Dpi(dpi))?;
    pixmap.fill(Color::WHITE);
    let size = tree.size();
    let scale = Transform::from_scale(width as f32 / size.width(), height as f32 / size.height());
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    encode_grey(&pixmap, dpi)
}

fn encode_grey(pixmap: &Pixmap, dpi: u32) -> Result<Vec<u8>, RenderError> {
    // The pixmap starts opaque white, so premultiplied RGBA is plain RGBA; and everything is
    // drawn in greys, so red = green = blue: the green channel is the grey level.
    let grey: Vec<u8> = pixmap.data().chunks_exact(4).map(|p| p[1]).collect();
    let mut out = Vec::with_capacity(grey.len() / 8);
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let per_metre = (u64::from(dpi) * 10_000).div_ceil(254);
    let per_metre = u32::try_from(per_metre).unwrap_or(u32::MAX);
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&grey)?;
    writer.finish()?;
    Ok(out)
}

/// Millimetres to whole pixels at `dpi`, rounded (A4 at 150 dpi: 1240 × 1754).
fn pixels(mm: f32, dpi: u32) -> u32 {
    // A4 at 600 dpi is under 7016 pixels: the value is small and positive.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let px = (mm / 25.4 * dpi as f32).round() as u32;
    px
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a4_at_150_dpi_is_1240_by_1754() {
        assert_eq!((pixels(PAGE_WIDTH_MM, 150), pixels(PAGE_HEIGHT_MM, 150)), (1240, 1754));
        assert_eq!((pixels(PAGE_WIDTH_MM, 300), pixels(PAGE_HEIGHT_MM, 300)), (2480, 3508));
    }
}

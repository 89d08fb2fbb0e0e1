//! The payment QR code: the GOST R 56042 payload as UTF-8 bytes (the `2` in `ST00012`), error
//! correction level M (15 %: survives a fold or a smudge without growing the symbol much).

use fast_qr::{ECL, Mode, QRBuilder};

use crate::model::QrMatrix;

/// Encodes `payload` and places the symbol with its top-left module at (`x`, `y`), scaled to
/// fit a square of side `side_mm`. `None` when the payload does not fit in a QR code.
pub(crate) fn matrix(payload: &str, x: f32, y: f32, side_mm: f32) -> Option<QrMatrix> {
    let code = QRBuilder::new(payload.as_bytes()).ecl(ECL::M).mode(Mode::Byte).build().ok()?;
    let size = code.size;
    let dark = code.data[..size * size].iter().map(|module| module.value()).collect();
    Some(QrMatrix { x, y, module_mm: side_mm / size as f32, size, dark })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_payload_into_a_square_matrix() {
        let qr = matrix("ST00012|Name=Тест|PersAcc=1|Sum=100", 10.0, 20.0, 30.0).expect("fits");
        assert_eq!(qr.dark.len(), qr.size * qr.size);
        assert!((qr.side_mm() - 30.0).abs() < 1e-3);
        // Finder pattern: the top-left 7×7 square starts with a dark row.
        assert!(qr.dark[..7].iter().all(|&d| d));
        // The rectangles cover exactly the dark modules, each once.
        let mut covered = vec![false; qr.dark.len()];
        for (col, row, width, height) in qr.rectangles() {
            for r in row..row + height {
                for c in col..col + width {
                    assert!(!covered[r * qr.size + c], "module ({c}, {r}) drawn twice");
                    covered[r * qr.size + c] = true;
                }
            }
        }
        assert_eq!(covered, qr.dark);
        assert!(qr.rectangles().len() < qr.dark.iter().filter(|&&d| d).count() / 2);
    }

    #[test]
    fn refuses_what_no_qr_version_holds() {
        assert!(matrix(&"Я".repeat(2000), 0.0, 0.0, 40.0).is_none());
    }
}

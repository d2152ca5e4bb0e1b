//! The bundled font: registered once, and text widths measured from it so layout
//! needs no backend.

use super::*;

pub(super) static FONT_ONCE: Once = Once::new();
pub(super) static FONT_OK: AtomicBool = AtomicBool::new(false);

/// Register the bundled font under "sans-serif" (once per process): plotters'
/// ab_glyph text backend has no system-font fallback and fails without it.
pub(super) fn ensure_font() -> Result<(), String> {
    FONT_ONCE.call_once(|| {
        let ok = register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../../assets/fonts/DejaVuSans.ttf"),
        )
        .is_ok();
        FONT_OK.store(ok, Ordering::SeqCst);
    });
    if FONT_OK.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err("the bundled font assets/fonts/DejaVuSans.ttf could not be loaded".into())
    }
}

/// Width in pixels of `s` at font size `size` (an estimate when the font is missing).
pub(super) fn text_width(s: &str, size: f64) -> i32 {
    ("sans-serif", size)
        .into_font()
        .box_size(s)
        .map(|(w, _)| w as i32)
        .unwrap_or((s.chars().count() as f64 * size * 0.55) as i32)
}

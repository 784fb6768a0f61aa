//! Rasterising a chart's SVG to PNG with resvg, for `--charts DIR` and for slides.
//!
//! The system fonts are loaded once per process (scanning them takes far longer than drawing
//! a chart) and shared by every call. The picture gets a white background: a transparent PNG
//! shows its text black-on-black on a dark slide.

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};
use std::sync::{Arc, OnceLock};

/// The largest picture drawn, in pixels per side (a guard against a mistyped scale).
const MAX_SIDE: f32 = 16_384.0;

fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_system_fonts();
            // The charts ask for these families by name; the generic fallback covers systems
            // without any of them.
            db.set_sans_serif_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

/// The PNG of `svg`, drawn at `scale` times its size (2 gives a sharp picture on slides).
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(format!(
            "the PNG scale must be a positive number, not {scale}"
        ));
    }
    let options = usvg::Options {
        fontdb: fonts(),
        font_family: "DejaVu Sans".into(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| format!("the chart is not valid SVG: {e}"))?;
    let size = tree.size();
    let (width, height) = (size.width() * scale, size.height() * scale);
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "a {width:.0} × {height:.0} pixel picture is too large; use a smaller scale"
        ));
    }
    let mut pixmap = Pixmap::new(width.ceil() as u32, height.ceil() as u32)
        .ok_or_else(|| format!("cannot draw a {width:.0} × {height:.0} pixel picture"))?;
    pixmap.fill(Color::WHITE);
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| format!("encoding the PNG failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input_with_a_message() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>"#;
        assert!(png(svg, 0.0).unwrap_err().contains("scale"));
        assert!(png(svg, f32::NAN).is_err());
        assert!(png(svg, 10_000.0).unwrap_err().contains("too large"));
        assert!(png("<svg", 1.0).unwrap_err().contains("not valid SVG"));
    }

    #[test]
    fn draws_on_white() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"></svg>"#;
        let bytes = png(svg, 1.0).expect("a tiny SVG renders");
        let pixmap = Pixmap::decode_png(&bytes).expect("the PNG decodes");
        assert_eq!((pixmap.width(), pixmap.height()), (4, 2));
        assert!(
            pixmap
                .pixels()
                .iter()
                .all(|p| p.red() == 255 && p.alpha() == 255)
        );
    }
}

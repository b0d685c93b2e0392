//! Rasterising with ab_glyph (pure Rust) and the signed distance field of sdf_glyph_renderer, with fontnik's
//! parameters and metrics conventions (those of FreeType without hinting).

use ab_glyph::{Font, FontRef, GlyphId, PxScale, point};
use sdf_glyph_renderer::{BitmapGlyph, clamp_to_u8};

use super::FontError;
use super::pbf::Glyph;

/// Pixels per em (MapLibre's `ONE_EM`).
pub const SIZE_PX: f32 = 24.0;
/// Pixels of SDF around each glyph's ink box.
pub const BUFFER: usize = 3;
/// How far out (px) distances are recorded.
pub const RADIUS: usize = 8;
/// The share of the byte range that encodes the inside of the glyph (fontnik: 0.25, i.e. the edge is at 192).
pub const CUTOFF: f64 = 0.25;

/// The embedded font's bytes (Noto Sans Regular 1.04, from the `ttf-noto-sans` crate).
pub const FONT: &[u8] = ttf_noto_sans::REGULAR;

/// The embedded font, parsed (cheap: tables are read lazily).
pub fn font() -> Result<FontRef<'static>, FontError> {
    FontRef::try_from_slice(FONT).map_err(|e| FontError::Font(e.to_string()))
}

/// Every glyph of the code points `start..=end` that the font has (others are left out, as fontnik does).
pub fn render_range(start: u32, end: u32) -> Result<Vec<Glyph>, FontError> {
    let font = font()?;
    let upem = font.units_per_em().ok_or_else(|| FontError::Font("no units per em".into()))?;
    let px_per_unit = SIZE_PX / upem;
    // ab_glyph's scale is the height (ascent − descent) in pixels, not the em
    let scale = PxScale::from(font.height_unscaled() * px_per_unit);
    // FreeType's size metrics round the scaled ascender of a TrueType font
    let ascender = (font.ascent_unscaled() * px_per_unit).round() as i32;
    let mut glyphs = Vec::new();
    for cp in start..=end {
        let Some(ch) = char::from_u32(cp) else { continue };
        let id = font.glyph_id(ch);
        if id == GlyphId(0) {
            continue;
        }
        glyphs.push(render_glyph(&font, cp, id, scale, px_per_unit, ascender)?);
    }
    Ok(glyphs)
}

fn render_glyph(
    font: &FontRef<'_>,
    cp: u32,
    id: GlyphId,
    scale: PxScale,
    px_per_unit: f32,
    ascender: i32,
) -> Result<Glyph, FontError> {
    let advance = (font.h_advance_unscaled(id) * px_per_unit).round().max(0.0) as u32;
    // the ink box on the pixel grid (floor / ceil of the outline's box, y down) and its coverage, row by row
    let (width, height, left, top, alpha) = match font.outline_glyph(id.with_scale_and_position(scale, point(0.0, 0.0)))
    {
        Some(outlined) => {
            let b = outlined.px_bounds();
            let (w, h) = (b.width() as usize, b.height() as usize);
            let mut alpha = vec![0u8; w * h];
            outlined.draw(|x, y, c| {
                if let Some(a) = alpha.get_mut(y as usize * w + x as usize) {
                    *a = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
                }
            });
            (w, h, b.min.x as i32, -(b.min.y as i32), alpha)
        }
        // no outline (a space): an empty box at the pen position
        None => (0, 0, 0, 0, Vec::new()),
    };
    let sdf_err = |e: sdf_glyph_renderer::SdfGlyphError| FontError::Sdf(format!("U+{cp:04X}: {e}"));
    let bitmap = BitmapGlyph::from_unbuffered(&alpha, width, height, BUFFER).map_err(sdf_err)?;
    let bitmap = clamp_to_u8(&bitmap.render_sdf(RADIUS), CUTOFF).map_err(sdf_err)?;
    Ok(Glyph {
        id: cp,
        bitmap: Some(bitmap),
        width: width as u32,
        height: height as u32,
        left,
        top: top - ascender,
        advance,
    })
}

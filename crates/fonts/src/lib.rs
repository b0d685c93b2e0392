//! Glyphs for the web map: MapLibre GL's `{fontstack}/{start}-{end}.pbf` files (signed distance fields, as
//! fontnik makes them), rendered from one embedded font so that Vietnamese labels (ơ ư đ ạ ả ấ … ỹ) render with no
//! internet access.
//!
//! The font is Noto Sans Regular 1.04 (Apache-2.0) from the `ttf-noto-sans` crate; see `data/LICENSES.md`. It is
//! rasterised with ab_glyph (pure Rust) at 24 px per em, and turned into an SDF with a 3 px buffer, radius 8 and
//! cutoff 0.25 (sdf_glyph_renderer). Each of the 256 ranges is rendered on its first request and kept.
//!
//! Any font stack name is answered with the embedded font, under the requested name, so that a style asking for
//! another stack (or a list such as `Noto Sans Regular,Arial Unicode MS Regular`) still renders.

pub mod pbf;
mod render;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

use prost::Message;

/// The font stack a style should name: the embedded font's family and style.
pub const FONT_STACK: &str = "Noto Sans Regular";

/// Longest font stack name answered, in characters.
pub const MAX_FONTSTACK_CHARS: usize = 256;

/// Code points per range file.
const RANGE_LEN: u32 = 256;
/// Ranges in the Basic Multilingual Plane (the only ones MapLibre asks for).
const RANGES: usize = 256;
/// How many font stack names keep their encoded PBFs; past that the cache of encoded files starts over (the
/// rendered glyphs are kept regardless).
const MAX_CACHED_STACKS: usize = 16;

/// Why no glyphs could be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FontError {
    /// Not `START-END` in canonical decimal.
    #[error("a glyph range is START-END in decimal, e.g. 0-255 or 7680-7935")]
    MalformedRange,
    /// Well-formed, but not one of the 256 ranges.
    #[error("{start}-{end} is not a glyph range: START must be a multiple of 256 and END = START + 255, at most 65535")]
    InvalidRange {
        /// First code point asked for.
        start: u32,
        /// Last code point asked for.
        end: u32,
    },
    /// An empty or too long font stack name, or one with control characters.
    #[error("a font stack is 1 to 256 characters, none of them control characters: {0}")]
    InvalidFontstack(&'static str),
    /// The embedded font could not be read (a build problem, not a request problem).
    #[error("the embedded font cannot be read: {0}")]
    Font(String),
    /// The distance field could not be made (a build problem, not a request problem).
    #[error("the glyph could not be rendered: {0}")]
    Sdf(String),
}

/// The first code point of a range such as `7680-7935`: START a multiple of 256, END = START + 255 ≤ 65535,
/// both in canonical decimal (no sign, no leading zeros, no spaces).
pub fn parse_range(range: &str) -> Result<u32, FontError> {
    let (a, b) = range.split_once('-').ok_or(FontError::MalformedRange)?;
    let number = |s: &str| -> Result<u32, FontError> {
        let canonical = !s.is_empty() && s.len() <= 10 && s.bytes().all(|c| c.is_ascii_digit()) && !s.starts_with('0');
        if s == "0" || canonical {
            s.parse().map_err(|_| FontError::MalformedRange)
        } else {
            Err(FontError::MalformedRange)
        }
    };
    let (start, end) = (number(a)?, number(b)?);
    if start % RANGE_LEN != 0 || end.checked_sub(start) != Some(RANGE_LEN - 1) || end > u32::from(u16::MAX) {
        return Err(FontError::InvalidRange { start, end });
    }
    Ok(start)
}

/// Every valid range, `0-255` to `65280-65535`.
pub fn ranges() -> impl Iterator<Item = String> {
    (0..RANGES as u32).map(|i| format!("{}-{}", i * RANGE_LEN, i * RANGE_LEN + RANGE_LEN - 1))
}

/// A font stack name is 1 to 256 characters, none of them a control character.
pub fn check_fontstack(fontstack: &str) -> Result<(), FontError> {
    if fontstack.is_empty() {
        return Err(FontError::InvalidFontstack("it is empty"));
    }
    if fontstack.chars().nth(MAX_FONTSTACK_CHARS).is_some() {
        return Err(FontError::InvalidFontstack("it is too long"));
    }
    if fontstack.chars().any(char::is_control) {
        return Err(FontError::InvalidFontstack("it has a control character"));
    }
    Ok(())
}

/// The glyphs PBF of `range` (e.g. `7680-7935`) under the name `fontstack`, rendered from the embedded font.
/// A range in which the font has no glyph gives a valid PBF with no glyphs.
pub fn glyph_range(fontstack: &str, range: &str) -> Result<Arc<Vec<u8>>, FontError> {
    check_fontstack(fontstack)?;
    let start = parse_range(range)?;
    let slot = (start / RANGE_LEN) as usize;
    if let Some(pbf) = encoded().get(fontstack).and_then(|by_range| by_range[slot].clone()) {
        return Ok(pbf);
    }
    let glyphs = rendered(slot)?;
    let message = pbf::Glyphs {
        stacks: vec![pbf::Fontstack {
            name: fontstack.to_owned(),
            range: format!("{start}-{}", start + RANGE_LEN - 1),
            glyphs: glyphs.to_vec(),
        }],
    };
    let pbf = Arc::new(message.encode_to_vec());
    let mut cache = encoded();
    if !cache.contains_key(fontstack) && cache.len() >= MAX_CACHED_STACKS {
        cache.clear();
    }
    cache.entry(fontstack.into()).or_insert_with(|| vec![None; RANGES].into_boxed_slice())[slot] = Some(pbf.clone());
    Ok(pbf)
}

/// The glyphs of range number `slot`, rendered once.
fn rendered(slot: usize) -> Result<&'static [pbf::Glyph], FontError> {
    static RENDERED: [OnceLock<Result<Vec<pbf::Glyph>, FontError>>; RANGES] = [const { OnceLock::new() }; RANGES];
    let start = slot as u32 * RANGE_LEN;
    match RENDERED[slot].get_or_init(|| render::render_range(start, start + RANGE_LEN - 1)) {
        Ok(glyphs) => Ok(glyphs),
        Err(e) => Err(e.clone()),
    }
}

type EncodedCache = HashMap<Box<str>, Box<[Option<Arc<Vec<u8>>>]>>;

/// The encoded PBFs by font stack name and range number.
fn encoded() -> std::sync::MutexGuard<'static, EncodedCache> {
    static ENCODED: LazyLock<Mutex<EncodedCache>> = LazyLock::new(Mutex::default);
    ENCODED.lock().unwrap_or_else(PoisonError::into_inner)
}

//! The glyphs protobuf of Mapbox / MapLibre (`glyphs.proto` of fontnik, a.k.a. `llmr.glyphs`), as prost messages.
//!
//! ```proto
//! message glyph { required uint32 id = 1; optional bytes bitmap = 2; required uint32 width = 3;
//!                 required uint32 height = 4; required sint32 left = 5; required sint32 top = 6;
//!                 required uint32 advance = 7; }
//! message fontstack { required string name = 1; required string range = 2; repeated glyph glyphs = 3; }
//! message glyphs { repeated fontstack stacks = 1; }
//! ```

/// A PBF: one font stack per requested stack (always one here).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Glyphs {
    /// The font stacks.
    #[prost(message, repeated, tag = "1")]
    pub stacks: Vec<Fontstack>,
}

/// The glyphs of one range of one font stack.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Fontstack {
    /// The font stack's name as requested, e.g. `Noto Sans Regular,Arial Unicode MS Regular`.
    #[prost(string, required, tag = "1")]
    pub name: String,
    /// `START-END`, e.g. `7680-7935`.
    #[prost(string, required, tag = "2")]
    pub range: String,
    /// The glyphs of the range that the font has.
    #[prost(message, repeated, tag = "3")]
    pub glyphs: Vec<Glyph>,
}

/// One glyph: an SDF bitmap of `(width + 6) × (height + 6)` bytes (3 px buffer on every side) and its metrics in
/// pixels at 24 px per em.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Glyph {
    /// The Unicode code point.
    #[prost(uint32, required, tag = "1")]
    pub id: u32,
    /// The SDF bitmap (always set by this crate; optional in the format).
    #[prost(bytes = "vec", optional, tag = "2")]
    pub bitmap: Option<Vec<u8>>,
    /// Width of the ink box, without the buffer.
    #[prost(uint32, required, tag = "3")]
    pub width: u32,
    /// Height of the ink box, without the buffer.
    #[prost(uint32, required, tag = "4")]
    pub height: u32,
    /// From the pen position to the left edge of the ink box.
    #[prost(sint32, required, tag = "5")]
    pub left: i32,
    /// Top edge of the ink box above the baseline, minus the font's ascender (fontnik's convention; MapLibre adds
    /// its own baseline offset).
    #[prost(sint32, required, tag = "6")]
    pub top: i32,
    /// Horizontal advance.
    #[prost(uint32, required, tag = "7")]
    pub advance: u32,
}

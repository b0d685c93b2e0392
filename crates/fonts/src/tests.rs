//! The PBFs are read back with a protobuf reader of their own (not prost), field by field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::{FONT_STACK, FontError, check_fontstack, glyph_range, parse_range, ranges};

/// One decoded `glyph`.
#[derive(Debug, Default, Clone)]
struct G {
    id: u32,
    bitmap: Option<Vec<u8>>,
    width: u32,
    height: u32,
    left: i32,
    top: i32,
    advance: u32,
}

impl G {
    /// The SDF value at `(x, y)` of the buffered bitmap.
    fn at(&self, x: u32, y: u32) -> u8 {
        let w = self.width + 6;
        assert!(x < w && y < self.height + 6, "({x}, {y}) outside U+{:04X}", self.id);
        self.bitmap.as_ref().unwrap()[(y * w + x) as usize]
    }
}

/// One decoded `fontstack`.
#[derive(Debug, Default)]
struct Stack {
    name: String,
    range: String,
    glyphs: Vec<G>,
}

impl Stack {
    fn glyph(&self, c: char) -> &G {
        self.glyphs.iter().find(|g| g.id == c as u32).unwrap_or_else(|| panic!("no glyph for {c:?} in {}", self.range))
    }
}

/// A minimal protobuf wire-format reader: varints (wire type 0) and length-delimited fields (wire type 2).
struct Reader<'a> {
    buf: &'a [u8],
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.buf.split_first().expect("a truncated varint");
            self.buf = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return v;
            }
        }
        panic!("a varint longer than 10 bytes")
    }

    fn field(&mut self) -> Option<(u64, Value<'a>)> {
        if self.buf.is_empty() {
            return None;
        }
        let key = self.varint();
        let value = match key & 7 {
            0 => Value::Varint(self.varint()),
            2 => {
                let len = usize::try_from(self.varint()).unwrap();
                assert!(len <= self.buf.len(), "a field runs past the end");
                let (data, rest) = self.buf.split_at(len);
                self.buf = rest;
                Value::Bytes(data)
            }
            t => panic!("unexpected wire type {t}"),
        };
        Some((key >> 3, value))
    }
}

fn uint(v: &Value<'_>) -> u32 {
    match v {
        Value::Varint(v) => u32::try_from(*v).unwrap(),
        Value::Bytes(_) => panic!("expected a varint"),
    }
}

fn sint(v: &Value<'_>) -> i32 {
    let n = uint(v);
    ((n >> 1) as i32) ^ -((n & 1) as i32) // zigzag
}

fn bytes<'a>(v: &Value<'a>) -> &'a [u8] {
    match v {
        Value::Bytes(b) => b,
        Value::Varint(_) => panic!("expected a length-delimited field"),
    }
}

fn decode(pbf: &[u8]) -> Vec<Stack> {
    let mut stacks = Vec::new();
    let mut r = Reader { buf: pbf };
    while let Some((tag, v)) = r.field() {
        assert_eq!(tag, 1, "glyphs has only field 1");
        let mut s = Stack::default();
        let mut fr = Reader { buf: bytes(&v) };
        let mut seen = [false; 3];
        while let Some((tag, v)) = fr.field() {
            match tag {
                1 => s.name = String::from_utf8(bytes(&v).to_vec()).unwrap(),
                2 => s.range = String::from_utf8(bytes(&v).to_vec()).unwrap(),
                3 => s.glyphs.push(decode_glyph(bytes(&v))),
                t => panic!("unexpected fontstack field {t}"),
            }
            seen[(tag - 1) as usize] = true;
        }
        assert!(seen[0] && seen[1], "name and range are required");
        stacks.push(s);
    }
    stacks
}

fn decode_glyph(buf: &[u8]) -> G {
    let mut g = G::default();
    let mut seen = [false; 7];
    let mut r = Reader { buf };
    while let Some((tag, v)) = r.field() {
        match tag {
            1 => g.id = uint(&v),
            2 => g.bitmap = Some(bytes(&v).to_vec()),
            3 => g.width = uint(&v),
            4 => g.height = uint(&v),
            5 => g.left = sint(&v),
            6 => g.top = sint(&v),
            7 => g.advance = uint(&v),
            t => panic!("unexpected glyph field {t}"),
        }
        seen[(tag - 1) as usize] = true;
    }
    for (i, s) in seen.iter().enumerate() {
        assert!(*s || i == 1, "required glyph field {} is missing", i + 1);
    }
    g
}

/// The one stack of the PBF of `range` under the name `stack`, with every glyph checked for shape.
fn stack(stack: &str, range: &str) -> Stack {
    let pbf = glyph_range(stack, range).unwrap();
    let mut stacks = decode(&pbf);
    assert_eq!(stacks.len(), 1);
    let s = stacks.pop().unwrap();
    assert_eq!(s.name, stack);
    assert_eq!(s.range, range);
    let start = parse_range(range).unwrap();
    for w in s.glyphs.windows(2) {
        assert!(w[0].id < w[1].id, "glyphs in code point order, each once");
    }
    for g in &s.glyphs {
        assert!((start..start + 256).contains(&g.id), "U+{:04X} outside {range}", g.id);
        let len = g.bitmap.as_ref().map_or(0, Vec::len);
        assert_eq!(len, ((g.width + 6) * (g.height + 6)) as usize, "bitmap of U+{:04X}", g.id);
        assert!(g.width <= 40 && g.height <= 40 && g.advance <= 48, "U+{:04X} is huge: {g:?}", g.id);
    }
    s
}

#[test]
fn basic_latin_has_a_capital_a_with_fontnik_metrics() {
    let s = stack(FONT_STACK, "0-255");
    let a = s.glyph('A');
    // Noto Sans at 24 px/em (2048 units/em): 'A' is 1296 units wide (advance 15.2 px), its ink spans 1.0–15.2 px
    // across and 0–1462 units (17.1 px) up; the ascender is 2189 units (25.65 px, rounded to 26).
    assert!((14..=17).contains(&a.width), "{a:?}");
    assert_eq!(a.height, 18, "{a:?}");
    assert_eq!(a.advance, 15, "{a:?}");
    assert!((-1..=1).contains(&a.left), "{a:?}");
    assert_eq!(a.top, 18 - 26, "top = ink top above the baseline − ascender: {a:?}");
    // x-height letters sit lower than capitals, descenders reach below the baseline
    let (x, g) = (s.glyph('x'), s.glyph('g'));
    assert!(x.top < a.top - 3, "x {x:?} vs A {a:?}");
    assert!(g.top - (g.height as i32) < a.top - (a.height as i32) - 3, "g {g:?} vs A {a:?}");
    // a space has an advance and no ink: an empty 6 × 6 buffer, all outside
    let space = s.glyph(' ');
    assert_eq!((space.width, space.height), (0, 0));
    assert!((5..=7).contains(&space.advance), "{space:?}");
    assert!(space.bitmap.as_ref().unwrap().iter().all(|&v| v == 0));
    // Latin-1
    for c in ['à', 'á', 'â', 'ã', 'è', 'é', 'ê', 'ì', 'í', 'ò', 'ó', 'ô', 'õ', 'ù', 'ú', 'ý', 'Â', 'Ê', 'Ô']
    {
        let g = s.glyph(c);
        assert!(g.width > 0 && g.height > 0, "{c}: {g:?}");
    }
}

#[test]
fn latin_extended_additional_has_every_vietnamese_letter() {
    let s = stack(FONT_STACK, "7680-7935");
    for cp in 0x1EA0..=0x1EF9 {
        let c = char::from_u32(cp).unwrap();
        let g = s.glyph(c);
        assert!(g.width > 0 && g.height > 0 && g.advance > 0, "{c}: {g:?}");
        assert!(g.bitmap.as_ref().unwrap().iter().any(|&v| v > 192), "{c} has no inside");
    }
    // the dot below reaches below the baseline, the hook above rises above the x-height
    let (dot_below, hook_above) = (s.glyph('ạ'), s.glyph('ả'));
    assert!(dot_below.top - (dot_below.height as i32) < hook_above.top - (hook_above.height as i32));
    assert!(hook_above.top > dot_below.top, "the hook is above the letter");
}

#[test]
fn latin_extended_b_has_horned_and_barred_letters() {
    let s = stack("Noto Sans Regular,Arial Unicode MS Regular", "256-511");
    for c in ['Ơ', 'ơ', 'Ư', 'ư', 'Đ', 'đ', 'Ă', 'ă', 'Ĩ', 'ĩ', 'Ũ', 'ũ'] {
        let g = s.glyph(c);
        assert!(g.width > 0 && g.height > 0 && g.advance > 0, "{c}: {g:?}");
    }
    // the horn sticks out to the right of O, and the bar of Đ to the left of D
    let basic = stack(FONT_STACK, "0-255");
    assert!(s.glyph('Ơ').width > basic.glyph('O').width);
    assert!(s.glyph('Đ').left < basic.glyph('D').left);
}

#[test]
fn combining_marks_are_there() {
    let s = stack(FONT_STACK, "768-1023");
    for cp in 0x300..=0x323 {
        let c = char::from_u32(cp).unwrap();
        let g = s.glyph(c);
        assert!(g.width > 0 && g.height > 0, "U+{cp:04X}: {g:?}");
    }
    // combining marks are drawn over the preceding letter: left of the pen, with no advance
    let grave = s.glyph('\u{300}');
    assert!(grave.left < 0 && grave.advance == 0, "{grave:?}");
}

#[test]
fn the_distance_field_is_high_inside_and_zero_far_outside() {
    let s = stack(FONT_STACK, "0-255");
    let t = s.glyph('T');
    let (w, h) = (t.width + 6, t.height + 6);
    // the stem of T is in the middle, the crossbar on top: the bottom corners are > 6 px from any ink
    assert_eq!(t.at(0, h - 1), 0, "{t:?}");
    assert_eq!(t.at(w - 1, h - 1), 0, "{t:?}");
    // the middle of the stem, half-way down, is inside
    let mid = (0..w).map(|x| t.at(x, h / 2 + 2)).max().unwrap();
    assert!(mid > 192, "{mid}");
    // a row through the stem goes 0 … rising … inside … falling … 0
    let row: Vec<u8> = (0..w).map(|x| t.at(x, h / 2 + 2)).collect();
    let peak = row.iter().position(|&v| v == mid).unwrap();
    assert!(row[..=peak].windows(2).all(|p| p[0] <= p[1]), "{row:?}");
    assert!(row[peak..].windows(2).all(|p| p[0] >= p[1]), "{row:?}");
    // the edge value 192 is crossed about where the ink is: inside pixels ≈ stem width (≈ 2.5 px)
    let inside = row.iter().filter(|&&v| v >= 192).count();
    assert!((1..=4).contains(&inside), "{row:?}");
    // and a big glyph has a good deal of its box inside
    let o = s.glyph('O');
    let bitmap = o.bitmap.as_ref().unwrap();
    assert!(bitmap.iter().filter(|&&v| v > 192).count() > 40, "{o:?}");
    assert_eq!(o.at(0, 0), 0, "the corner of O's box is far from the ring");
}

#[test]
fn a_range_without_glyphs_is_a_valid_empty_pbf() {
    // U+D800–U+D8FF are surrogates: never characters
    let s = stack(FONT_STACK, "55296-55551");
    assert!(s.glyphs.is_empty());
    let s = stack("Some Other Font", "65280-65535");
    assert!(s.glyphs.len() < 256);
}

#[test]
fn any_stack_name_gets_the_same_glyphs_under_its_own_name() {
    let a = stack(FONT_STACK, "0-255");
    let b = stack("Open Sans Bold", "0-255");
    assert_eq!(b.name, "Open Sans Bold");
    assert_eq!(a.glyphs.len(), b.glyphs.len());
    assert!(a.glyphs.iter().zip(&b.glyphs).all(|(x, y)| x.id == y.id && x.bitmap == y.bitmap && x.top == y.top));
    let names = ["Tên phông chữ", " ", "a/b", "%2F", &"x".repeat(256)];
    for name in names {
        assert_eq!(stack(name, "0-255").glyphs.len(), a.glyphs.len(), "{name}");
    }
}

#[test]
fn ranges_are_rendered_once_and_cached() {
    let first = glyph_range(FONT_STACK, "512-767").unwrap();
    let again = glyph_range(FONT_STACK, "512-767").unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    // more stacks than the cache keeps still give the same bytes, apart from the name
    for i in 0..40 {
        let name = format!("Stack {i:02}");
        let pbf = glyph_range(&name, "512-767").unwrap();
        assert_eq!(decode(&pbf)[0].glyphs.len(), decode(&first)[0].glyphs.len());
    }
    assert_eq!(*glyph_range(FONT_STACK, "512-767").unwrap(), *first);
}

#[test]
fn malformed_or_invalid_ranges_are_errors() {
    for bad in [
        "",
        "-",
        "0",
        "0-",
        "-255",
        "abc",
        "0-255-511",
        "0–255",
        " 0-255",
        "0-255 ",
        "+0-255",
        "0-+255",
        "00-255",
        "0-0255",
        "0x0-0xff",
        "0-255.pbf",
        "99999999999-100000000254",
        "٠-٢٥٥",
    ] {
        assert_eq!(parse_range(bad), Err(FontError::MalformedRange), "{bad:?}");
        assert!(glyph_range(FONT_STACK, bad).is_err(), "{bad:?}");
    }
    for (bad, start, end) in [
        ("0-256", 0, 256),
        ("0-2550", 0, 2550),
        ("1-256", 1, 256),
        ("256-255", 256, 255),
        ("255-0", 255, 0),
        ("128-383", 128, 383),
        ("65536-65791", 65536, 65791),
        ("4294967040-4294967295", 4_294_967_040, 4_294_967_295),
    ] {
        assert_eq!(parse_range(bad), Err(FontError::InvalidRange { start, end }), "{bad:?}");
        assert!(matches!(glyph_range(FONT_STACK, bad), Err(FontError::InvalidRange { .. })), "{bad:?}");
    }
    let all: Vec<String> = ranges().collect();
    assert_eq!(all.len(), 256);
    assert_eq!((all[0].as_str(), all[30].as_str(), all[255].as_str()), ("0-255", "7680-7935", "65280-65535"));
    for r in &all {
        assert_eq!(parse_range(r).map(|s| format!("{s}-{}", s + 255)).as_ref(), Ok(r));
    }
}

#[test]
fn bad_font_stack_names_are_errors() {
    for bad in [String::new(), "x".repeat(257), "a\nb".into(), "\0".into(), "\u{85}".into()] {
        assert!(matches!(check_fontstack(&bad), Err(FontError::InvalidFontstack(_))), "{bad:?}");
        assert!(matches!(glyph_range(&bad, "0-255"), Err(FontError::InvalidFontstack(_))), "{bad:?}");
    }
    // 256 characters of several bytes each are fine
    assert_eq!(check_fontstack(&"ữ".repeat(256)), Ok(()));
}

#[test]
fn prost_and_the_hand_written_reader_agree() {
    use prost::Message;
    let pbf = glyph_range(FONT_STACK, "0-255").unwrap();
    let ours = super::pbf::Glyphs::decode(pbf.as_slice()).unwrap();
    let theirs = decode(&pbf);
    assert_eq!(ours.stacks.len(), theirs.len());
    let (o, t) = (&ours.stacks[0], &theirs[0]);
    assert_eq!(o.glyphs.len(), t.glyphs.len());
    for (o, t) in o.glyphs.iter().zip(&t.glyphs) {
        assert_eq!(
            (o.id, o.width, o.height, o.left, o.top, o.advance),
            (t.id, t.width, t.height, t.left, t.top, t.advance)
        );
        assert_eq!(o.bitmap, t.bitmap);
    }
    // negative `top` uses zigzag (sint32)
    assert!(t.glyphs.iter().any(|g| g.top < 0));
}

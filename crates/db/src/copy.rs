//! PostgreSQL's binary COPY format, written by hand so that chunks of rows can be encoded in parallel and streamed
//! (`COPY … FROM STDIN (FORMAT binary)`); geometries go in as EWKB written by the `postgis` crate.

use bytes::{BufMut, BytesMut};
use postgis::ewkb::{self, AsEwkbMultiPolygon, AsEwkbPoint, EwkbWrite};

/// The 19-byte header: signature, flags, header-extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The trailer: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Rows of one COPY stream (a chunk; the header and trailer are sent once around all chunks).
#[derive(Default)]
pub struct CopyBuf {
    pub buf: BytesMut,
}

impl CopyBuf {
    #[must_use]
    pub fn with_capacity(bytes: usize) -> Self {
        Self { buf: BytesMut::with_capacity(bytes) }
    }

    /// Starts a row of `fields` fields.
    pub fn row(&mut self, fields: i16) -> &mut Self {
        self.buf.put_i16(fields);
        self
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.put_i32(8);
        self.buf.put_i64(v);
        self
    }

    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.put_i32(4);
        self.buf.put_i32(v);
        self
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        self.buf.put_i32(s.len() as i32);
        self.buf.put_slice(s.as_bytes());
        self
    }

    /// A point in WGS 84 as EWKB (SRID 4326).
    pub fn point(&mut self, lon: f64, lat: f64) -> &mut Self {
        let p = ewkb::Point::new(lon, lat, Some(4326));
        self.ewkb(&p.as_ewkb())
    }

    /// Any geometry as EWKB.
    pub fn ewkb(&mut self, g: &impl EwkbWrite) -> &mut Self {
        let at = self.buf.len();
        self.buf.put_i32(0);
        let mut w = (&mut self.buf).writer();
        // writing into memory cannot fail
        let _ = g.write_ewkb(&mut w);
        let len = (self.buf.len() - at - 4) as i32;
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        self
    }
}

/// A multipolygon as EWKB in a COPY row.
impl CopyBuf {
    pub fn multipolygon(&mut self, mp: &geo::MultiPolygon<f64>) -> &mut Self {
        let m = multipolygon(mp);
        self.ewkb(&m.as_ewkb())
    }
}

/// A `geo` multipolygon as a PostGIS multipolygon in WGS 84.
#[must_use]
pub fn multipolygon(mp: &geo::MultiPolygon<f64>) -> ewkb::MultiPolygon {
    let ring = |ls: &geo::LineString<f64>| ewkb::LineString {
        points: ls.0.iter().map(|c| ewkb::Point::new(c.x, c.y, None)).collect(),
        srid: None,
    };
    ewkb::MultiPolygon {
        polygons: mp
            .0
            .iter()
            .map(|p| ewkb::Polygon {
                rings: std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect(),
                srid: None,
            })
            .collect(),
        srid: Some(4326),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_length_prefixed_big_endian() {
        let mut c = CopyBuf::default();
        c.row(3).i32(7).i64(-2).text("Hà");
        let b = &c.buf[..];
        assert_eq!(&b[..2], &[0, 3]);
        assert_eq!(&b[2..10], &[0, 0, 0, 4, 0, 0, 0, 7]);
        assert_eq!(&b[10..14], &[0, 0, 0, 8]);
        assert_eq!(i64::from_be_bytes(b[14..22].try_into().unwrap()), -2);
        assert_eq!(&b[22..26], &[0, 0, 0, 3]);
        assert_eq!(&b[26..], "Hà".as_bytes());
        assert_eq!(HEADER.len(), 19);
    }

    #[test]
    #[allow(clippy::float_cmp)] // the coordinates must come back bit for bit
    fn point_is_ewkb_with_srid() {
        let mut c = CopyBuf::default();
        c.point(105.5, 21.25);
        let b = &c.buf[..];
        assert_eq!(i32::from_be_bytes(b[..4].try_into().unwrap()), 25);
        assert_eq!(b[4], 1, "little endian");
        assert_eq!(u32::from_le_bytes(b[5..9].try_into().unwrap()), 0x2000_0001);
        assert_eq!(i32::from_le_bytes(b[9..13].try_into().unwrap()), 4326);
        assert_eq!(f64::from_le_bytes(b[13..21].try_into().unwrap()), 105.5);
        assert_eq!(f64::from_le_bytes(b[21..29].try_into().unwrap()), 21.25);
    }
}

//! Bounding boxes. Every box this crate takes or gives is a [`Rect`] of WGS84 degrees: `x` is the longitude, `y`
//! the latitude, `min()` the south-west corner and `max()` the north-east one. JSON and the CLI write a box as the
//! array `[min_lon, min_lat, max_lon, max_lat]`: [`from_array`] and [`to_array`] convert.

pub use geo::Rect;

/// The box `[min_lon, min_lat, max_lon, max_lat]` as a [`Rect`] (corners given the wrong way round are swapped).
#[must_use]
pub fn from_array([w, s, e, n]: [f64; 4]) -> Rect<f64> {
    Rect::new((w, s), (e, n))
}

/// The box as `[min_lon, min_lat, max_lon, max_lat]`.
#[must_use]
pub fn to_array(r: Rect<f64>) -> [f64; 4] {
    [r.min().x, r.min().y, r.max().x, r.max().y]
}

/// The smallest box holding both.
#[must_use]
pub fn union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
        (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
    )
}

/// The smallest box holding all of `boxes`; [`zero`] when there are none.
#[must_use]
pub fn union_all(boxes: impl IntoIterator<Item = Rect<f64>>) -> Rect<f64> {
    boxes.into_iter().reduce(union).unwrap_or_else(zero)
}

/// The empty box at (0, 0), for a geometry with no points.
#[must_use]
pub fn zero() -> Rect<f64> {
    Rect::new((0.0, 0.0), (0.0, 0.0))
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // the conversions copy the numbers: exactly equal
mod tests {
    use super::*;

    #[test]
    fn arrays_round_trip_and_unite() {
        let a = [102.144_1, 8.179_4, 109.469_2, 23.393_3];
        assert_eq!(to_array(from_array(a)), a);
        assert_eq!(to_array(from_array([2.0, 3.0, 1.0, 0.0])), [1.0, 0.0, 2.0, 3.0]);
        let u = union(from_array([0.0, 1.0, 2.0, 3.0]), from_array([-1.0, 2.0, 1.0, 4.0]));
        assert_eq!(to_array(u), [-1.0, 1.0, 2.0, 4.0]);
        assert_eq!(to_array(zero()), [0.0; 4]);
        assert_eq!(union_all([]), zero());
        assert_eq!(union_all([u, from_array([3.0, 3.0, 3.0, 3.0])]), from_array([-1.0, 1.0, 3.0, 4.0]));
    }
}

//! Which listed post office delivers a shipment: the nearest listed office in the shipment's ward; if its ward has
//! none, the nearest listed office of its (new, 34-unit) province; else none (`no_post_office`).

use std::collections::HashMap;

use diachi_domain::lonlat::haversine_m;
use diachi_domain::{LonLat, WardIdx};
use diachi_geo::geography::Geography;

/// The listed offices by ward and by province.
pub struct Offices {
    /// `(ward, province, lon, lat)` of each listed office, in the order listed.
    places: Vec<(WardIdx, u8, f64, f64)>,
    by_ward: HashMap<WardIdx, Vec<usize>>,
    by_province: HashMap<u8, Vec<usize>>,
}

impl Offices {
    /// `offices`: `(ward, location)` of each listed office.
    #[must_use]
    pub fn new(geo: &Geography, offices: &[(WardIdx, LonLat)]) -> Self {
        let mut by_ward: HashMap<WardIdx, Vec<usize>> = HashMap::new();
        let mut by_province: HashMap<u8, Vec<usize>> = HashMap::new();
        let mut places = Vec::with_capacity(offices.len());
        for (i, &(ward, p)) in offices.iter().enumerate() {
            let province = geo.wards.get(usize::from(ward)).map_or(u8::MAX, |w| w.province);
            places.push((ward, province, p.lon(), p.lat()));
            by_ward.entry(ward).or_default().push(i);
            by_province.entry(province).or_default().push(i);
        }
        Self { places, by_ward, by_province }
    }

    fn nearest(&self, among: &[usize], p: LonLat) -> Option<usize> {
        among
            .iter()
            .map(|&i| {
                let (_, _, lon, lat) = self.places[i];
                (haversine_m(p.lon(), p.lat(), lon, lat), i)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, i)| i)
    }

    /// The office (index in the list) serving a shipment at `p` in `ward`.
    #[must_use]
    pub fn serving(&self, geo: &Geography, ward: WardIdx, p: LonLat) -> Option<usize> {
        if let Some(v) = self.by_ward.get(&ward) {
            return self.nearest(v, p);
        }
        let province = geo.wards.get(usize::from(ward))?.province;
        self.nearest(self.by_province.get(&province)?, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diachi_geo::geography::LoadOptions;
    use std::sync::OnceLock;

    fn geo() -> &'static Geography {
        static G: OnceLock<Geography> = OnceLock::new();
        G.get_or_init(|| Geography::load(&LoadOptions::default()).expect("the embedded geography loads"))
    }

    #[test]
    fn own_ward_first_then_nearest_in_province_else_none() {
        let g = geo();
        // three wards of one province, one of another
        let p0 = &g.provinces[0];
        let (w1, w2, w3) = (p0.wards[0], p0.wards[1], p0.wards[2]);
        let other = g.provinces[1].wards[0];
        let label = |w: WardIdx| g.wards[usize::from(w)].label;
        // an office in w1 and one in w2; none in w3 nor in the other province
        let offices = Offices::new(g, &[(w1, label(w1)), (w2, label(w2))]);
        // a shipment in w1, however close it is to w2's office, goes to w1's
        assert_eq!(offices.serving(g, w1, label(w2)), Some(0));
        assert_eq!(offices.serving(g, w2, label(w1)), Some(1));
        // w3 has none: the nearer of the two
        let p = label(w3);
        let d = |w: WardIdx| p.distance_m(label(w));
        let want = usize::from(d(w1) > d(w2));
        assert_eq!(offices.serving(g, w3, p), Some(want));
        // another province: none
        assert_eq!(offices.serving(g, other, label(other)), None);
        // two offices in the same ward: the nearest
        let near = LonLat::new(label(w1).lon() + 0.01, label(w1).lat()).expect("a point");
        let two = Offices::new(g, &[(w1, label(w1)), (w1, near)]);
        assert_eq!(two.serving(g, w1, LonLat::new(near.lon() + 0.001, near.lat()).expect("a point")), Some(1));
    }
}

//! Travel between stops until a road network is plugged in: great-circle distance times a road-detour factor, at a
//! constant speed, per profile. [`GreatCircle`] implements [`diachi_vrp::TravelCost`]; that trait is the seam a real
//! road network (OSRM / Valhalla tables, or a contraction hierarchy over OSM) would replace, with nothing else to
//! change.
//!
//! Assumptions (urban Vietnam, no traffic model):
//!
//! | profile   | detour × great circle | speed    |
//! |-----------|-----------------------|----------|
//! | walking   | 1.25                  | 4.5 km/h |
//! | motorbike | 1.35                  | 22 km/h  |
//! | van       | 1.45                  | 18 km/h  |
//!
//! The detour factors are the usual circuity of dense street grids (straight line → network distance, 1.2–1.5);
//! motorbikes take alleys that vans cannot, hence the lower factor and the higher urban average speed.

use super::request::Profile;
use diachi_domain::lonlat::haversine_m;
use diachi_vrp::TravelCost;

impl Profile {
    /// Road distance per great-circle metre.
    #[must_use]
    pub fn detour(self) -> f64 {
        match self {
            Profile::Walking => 1.25,
            Profile::Motorbike => 1.35,
            Profile::Van => 1.45,
        }
    }

    /// Average speed in metres per second.
    #[must_use]
    pub fn speed_m_s(self) -> f64 {
        match self {
            Profile::Walking => 4.5 / 3.6,
            Profile::Motorbike => 22.0 / 3.6,
            Profile::Van => 18.0 / 3.6,
        }
    }
}

/// Locations as `[lon, lat]` (index 0: the post office, then the stops) and the profiles in use (a vehicle's
/// profile index points into `profiles`).
pub struct GreatCircle {
    pub points: Vec<[f64; 2]>,
    pub profiles: Vec<Profile>,
}

impl GreatCircle {
    /// Great-circle metres between two locations.
    #[must_use]
    pub fn metres(&self, a: usize, b: usize) -> f64 {
        let (p, q) = (self.points[a], self.points[b]);
        haversine_m(p[0], p[1], q[0], q[1])
    }
}

impl TravelCost for GreatCircle {
    fn locations(&self) -> usize {
        self.points.len()
    }

    fn profiles(&self) -> usize {
        self.profiles.len()
    }

    fn distance(&self, profile: usize, a: usize, b: usize) -> f64 {
        if a == b {
            return 0.0;
        }
        self.metres(a, b) * self.profiles[profile].detour()
    }

    fn duration(&self, profile: usize, a: usize, b: usize) -> f64 {
        self.distance(profile, a, b) / self.profiles[profile].speed_m_s()
    }
    fn symmetric(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hanoi_to_saigon_is_about_1137_km_as_the_crow_flies() {
        // Hoàn Kiếm Lake and Bến Thành market
        let gc = GreatCircle { points: vec![[105.8524, 21.0287], [106.6981, 10.7725]], profiles: vec![Profile::Van] };
        let km = gc.metres(0, 1) / 1000.0;
        assert!((km - 1137.0).abs() < 10.0, "{km}");
        assert!((gc.distance(0, 0, 1) / gc.metres(0, 1) - 1.45).abs() < 1e-9);
        assert!(gc.distance(0, 1, 1).abs() < f64::EPSILON);
        assert!((gc.distance(0, 0, 1) - gc.distance(0, 1, 0)).abs() < 1e-6);
    }

    #[test]
    fn times_follow_the_profile() {
        let gc = GreatCircle {
            points: vec![[105.80, 21.00], [105.81, 21.00]],
            profiles: vec![Profile::Walking, Profile::Motorbike, Profile::Van],
        };
        let (walk, bike, van) = (gc.duration(0, 0, 1), gc.duration(1, 0, 1), gc.duration(2, 0, 1));
        assert!(walk > van && van > bike, "{walk} {bike} {van}");
        // ~1.04 km great circle × 1.25 at 4.5 km/h ≈ 17 minutes
        assert!((walk / 60.0 - 17.3).abs() < 1.0, "{walk}");
        let m = diachi_vrp::Matrix::from_cost(&gc);
        assert!((m.duration(1, 0, 1) - bike).abs() < 0.01);
    }
}

//! Travel distances and times between locations, per profile.

/// Distance and travel time between two locations for a profile. The one thing to replace when a real
/// road network arrives.
pub trait TravelCost: Sync {
    /// Number of locations (indices `0..locations()`).
    fn locations(&self) -> usize;
    /// Number of profiles (indices `0..profiles()`).
    fn profiles(&self) -> usize;
    /// Distance from `a` to `b` (metres, or instance units).
    fn distance(&self, profile: usize, a: usize, b: usize) -> f64;
    /// Travel time from `a` to `b` (seconds, or instance units).
    fn duration(&self, profile: usize, a: usize, b: usize) -> f64;
    /// `true` when distance and time from `a` to `b` equal those from `b` to `a` (the solver then reuses legs).
    fn symmetric(&self) -> bool {
        false
    }
}

/// Plain Euclidean distance between planar points, travel time = distance (the academic benchmarks).
pub struct Euclidean {
    /// Planar coordinates, one point per location.
    pub points: Vec<[f64; 2]>,
}

impl TravelCost for Euclidean {
    fn locations(&self) -> usize {
        self.points.len()
    }
    fn profiles(&self) -> usize {
        1
    }
    fn distance(&self, _profile: usize, a: usize, b: usize) -> f64 {
        let (p, q) = (self.points[a], self.points[b]);
        (p[0] - q[0]).hypot(p[1] - q[1])
    }
    fn duration(&self, profile: usize, a: usize, b: usize) -> f64 {
        self.distance(profile, a, b)
    }
    fn symmetric(&self) -> bool {
        true
    }
}

/// Precomputed distances and times (`profiles × n × n`), for small problems where lookups pay.
pub struct Matrix {
    n: usize,
    profiles: usize,
    symmetric: bool,
    distance: Vec<f32>,
    duration: Vec<f32>,
}

impl Matrix {
    /// Tabulate `inner` (which may be expensive) once.
    #[must_use]
    pub fn from_cost(inner: &dyn TravelCost) -> Self {
        let (n, profiles) = (inner.locations(), inner.profiles());
        let mut distance = Vec::with_capacity(profiles * n * n);
        let mut duration = Vec::with_capacity(profiles * n * n);
        for p in 0..profiles {
            for a in 0..n {
                for b in 0..n {
                    #[allow(clippy::cast_possible_truncation)]
                    {
                        distance.push(inner.distance(p, a, b) as f32);
                        duration.push(inner.duration(p, a, b) as f32);
                    }
                }
            }
        }
        Self { n, profiles, symmetric: inner.symmetric(), distance, duration }
    }
}

impl TravelCost for Matrix {
    fn locations(&self) -> usize {
        self.n
    }
    fn profiles(&self) -> usize {
        self.profiles
    }
    fn distance(&self, profile: usize, a: usize, b: usize) -> f64 {
        f64::from(self.distance[(profile * self.n + a) * self.n + b])
    }
    fn duration(&self, profile: usize, a: usize, b: usize) -> f64 {
        f64::from(self.duration[(profile * self.n + a) * self.n + b])
    }
    fn symmetric(&self) -> bool {
        self.symmetric
    }
}

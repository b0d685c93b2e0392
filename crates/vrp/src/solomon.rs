//! Reader of the Solomon / Gehring–Homberger VRPTW text format (see `../shared/vrp/README.md`): a name, the fleet
//! size and capacity, then one line per node `id x y demand ready due service`, node 0 the depot.

use super::{Euclidean, Job, Vehicle, Window};

/// One benchmark instance.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Instance name, the file's first line.
    pub name: String,
    /// Number of vehicles.
    pub fleet: usize,
    /// Capacity of each vehicle.
    pub capacity: u32,
    /// Node 0 is the depot.
    pub points: Vec<[f64; 2]>,
    /// The customers, nodes 1 onward.
    pub jobs: Vec<Job>,
    /// The depot's due time: the end of every shift.
    pub horizon: f64,
}

/// A file that is not in the format.
#[derive(Debug, thiserror::Error)]
#[error("solomon format: {0}")]
pub struct FormatError(String);

impl Instance {
    /// Parse the text of an instance file.
    ///
    /// # Errors
    /// Missing sections, non-numbers, or nodes out of order.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let name = lines.next().ok_or_else(|| FormatError("empty file".into()))?.to_string();
        let mut nums: Vec<Vec<f64>> = Vec::new();
        for l in lines {
            let fields: Result<Vec<f64>, _> = l.split_whitespace().map(str::parse::<f64>).collect();
            if let Ok(f) = fields {
                nums.push(f);
            }
        }
        let fleet_line =
            nums.iter().find(|f| f.len() == 2).ok_or_else(|| FormatError("no NUMBER CAPACITY line".into()))?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (fleet, capacity) = (fleet_line[0] as usize, fleet_line[1] as u32);
        let nodes: Vec<&Vec<f64>> = nums.iter().filter(|f| f.len() == 7).collect();
        if nodes.len() < 2 {
            return Err(FormatError("fewer than two nodes".into()));
        }
        let mut points = Vec::with_capacity(nodes.len());
        let mut jobs = Vec::with_capacity(nodes.len() - 1);
        for (i, f) in nodes.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            if (f[0] - i as f64).abs() > 0.0 {
                return Err(FormatError(format!("node {} out of order at line {i}", f[0])));
            }
            points.push([f[1], f[2]]);
            if i > 0 {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                jobs.push(Job {
                    location: i,
                    demand: f[3] as u32,
                    service: f[6],
                    window: Window { start: f[4], end: f[5] },
                });
            }
        }
        Ok(Self { name, fleet, capacity, points, jobs, horizon: nodes[0][5] })
    }

    /// The planar travel cost of the instance (travel time = distance).
    #[must_use]
    pub fn cost(&self) -> Euclidean {
        Euclidean { points: self.points.clone() }
    }

    /// `fleet` identical vehicles at node 0 over the horizon.
    #[must_use]
    pub fn vehicles(&self) -> Vec<Vehicle> {
        (0..self.fleet)
            .map(|_| Vehicle {
                profile: 0,
                capacity: self.capacity,
                depot: 0,
                shift: Window { start: 0.0, end: self.horizon },
            })
            .collect()
    }
}

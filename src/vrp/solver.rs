//! The search. (Placeholder while the solver is written: every job unassigned.)
use super::{Options, Problem, Solution, Unassigned, VrpError};

/// Route `problem`.
///
/// # Errors
/// A job or vehicle names a location or profile the travel cost does not have, or a window is malformed.
pub fn solve(problem: &Problem<'_>, _options: &Options) -> Result<Solution, VrpError> {
    Ok(Solution {
        routes: Vec::new(),
        unassigned: (0..problem.jobs.len()).map(|j| (j, Unassigned::NoRoom)).collect(),
        distance: 0.0,
        duration: 0.0,
        iterations: 0,
    })
}

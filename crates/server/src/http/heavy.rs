//! Heavy work — area queries and H3 roll-ups — runs on the blocking pool, never on the async workers, and at most a
//! bounded number at a time: past it the request answers at once 429 `overloaded` with `Retry-After`, so that a burst
//! of heavy requests neither holds the workers that answer `/health` and point lookups nor queues without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::web;

use super::{ApiError, AppState, dto};
use diachi_domain::digital_address::FULL_LEVEL;
use diachi_geo::index::Area;

/// The gate of heavy work: a count of the jobs in flight and its bound.
#[derive(Debug)]
pub(crate) struct Heavy {
    in_flight: Arc<AtomicUsize>,
    max: usize,
}

/// A place among the jobs in flight, given back when dropped (when the job ends, even if its request was dropped).
#[derive(Debug)]
pub(crate) struct Permit(Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Heavy {
    /// A gate letting `max` jobs run at once (at least one).
    pub(crate) fn new(max: usize) -> Self {
        Self { in_flight: Arc::new(AtomicUsize::new(0)), max: max.max(1) }
    }

    /// A place for one more job, or 429 `overloaded` when every place is taken.
    pub(crate) fn try_enter(&self) -> Result<Permit, ApiError> {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max).then_some(n + 1))
            .map(|_| Permit(self.in_flight.clone()))
            .map_err(|_| ApiError::overloaded())
    }

    /// Runs `f` on the blocking pool when there is a place for it.
    pub(crate) async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let permit = self.try_enter()?;
        web::block(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|_| ApiError::overloaded())
    }

    /// Jobs running now.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

/// An area query's answer, as the handlers show it.
pub(crate) struct Listed {
    /// At most `limit` addresses, in the area's order.
    pub results: Vec<dto::Address>,
    /// Addresses counted (a lower bound unless `exact`).
    pub count: usize,
    /// Whether the count is every address of the area.
    pub exact: bool,
    /// Whether the list leaves out addresses of the area.
    pub truncated: bool,
}

/// The one way the handlers list the addresses of an area: the shape is checked here (400 before any work), the
/// query runs bounded by the configured limits ([`diachi_geo::index::NationalIndex::area_query`]) through the
/// gate on the blocking pool (a 1 m digital cell, a point lookup, on the worker), and its work is counted in the
/// metrics.
pub(crate) async fn list_area(state: &AppState, area: Area, limit: usize) -> Result<Listed, ApiError> {
    let ix = state.services()?.index.clone();
    let limits = *state.area_limits();
    area.check(&limits)?;
    let query = move || {
        ix.area_query(&area, limit, &limits).map(|found| {
            let geo = &ix.data.geography;
            let results = found
                .hits
                .iter()
                .filter_map(|h| ix.view(h.id).map(|v| dto::Address::new(geo, v, h.distance_m)))
                .collect();
            (results, found)
        })
    };
    let (results, found) = match area {
        Area::DigitalCell(c) if c.level() == FULL_LEVEL => query()?,
        _ => state.heavy.run(query).await??,
    };
    state.metrics.area_query(area.kind(), found.visited, found.exact);
    Ok(Listed { results, count: found.count, exact: found.exact, truncated: found.truncated() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use actix_web::http::{StatusCode, header};

    #[test]
    fn the_gate_lets_max_jobs_in_and_answers_503_with_retry_after_past_it() {
        let gate = Heavy::new(2);
        let a = gate.try_enter().unwrap();
        let b = gate.try_enter().unwrap();
        assert_eq!(gate.in_flight(), 2);
        let err = gate.try_enter().unwrap_err();
        assert_eq!((err.status, err.code), (StatusCode::TOO_MANY_REQUESTS, "overloaded"));
        let res = err.error_response();
        assert_eq!(res.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("1"));
        drop(a);
        assert_eq!(gate.in_flight(), 1);
        let c = gate.try_enter().unwrap();
        drop((b, c));
        assert_eq!(gate.in_flight(), 0);
        assert_eq!(Heavy::new(0).max, 1, "at least one job");
    }

    #[actix_web::test]
    async fn jobs_run_off_the_async_worker_and_give_their_place_back() {
        let gate = Heavy::new(1);
        let here = std::thread::current().id();
        let there = gate.run(|| std::thread::current().id()).await.unwrap();
        assert_ne!(here, there, "the job ran on the async worker");
        assert_eq!(gate.in_flight(), 0);
        // a job that holds the only place: the next is refused at once, not queued
        let held = gate.try_enter().unwrap();
        assert_eq!(gate.run(|| ()).await.unwrap_err().code, "overloaded");
        drop(held);
        gate.run(|| ()).await.unwrap();
    }
}

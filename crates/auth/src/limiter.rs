//! Per-key rate limits: GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp per key), in
//! memory and per process. A limit of N per minute lets a burst of N through, then one every 60/N seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limiter of one process.
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// key id → theoretical arrival time of the next request
    tat: Mutex<HashMap<String, Instant>>,
}

impl RateLimiter {
    /// A limiter that knows no key yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one request of `key` at `now` under a limit of `per_minute` (0 = unlimited). `Err(wait)` when over
    /// the limit: the request may be retried after `wait`.
    pub fn check_at(&self, key: &str, per_minute: u32, now: Instant) -> Result<(), Duration> {
        if per_minute == 0 {
            return Ok(());
        }
        let interval = Duration::from_mins(1) / per_minute;
        let tolerance = interval * (per_minute - 1);
        let mut map = self.tat.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tat = map.get(key).copied().unwrap_or(now).max(now);
        let allow_at = tat.checked_sub(tolerance).unwrap_or(now);
        if allow_at > now {
            return Err(allow_at - now);
        }
        map.insert(key.to_owned(), tat + interval);
        // keep the map small: forget keys whose bucket is full again
        if map.len() > 100_000 {
            map.retain(|_, t| *t > now);
        }
        Ok(())
    }

    /// [`RateLimiter::check_at`] now.
    pub fn check(&self, key: &str, per_minute: u32) -> Result<(), Duration> {
        self.check_at(key, per_minute, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let l = RateLimiter::new();
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check_at("a", 3, t0).is_ok(), "request {i} of the burst");
        }
        let wait = l.check_at("a", 3, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // another key has its own bucket
        assert!(l.check_at("b", 3, t0).is_ok());
        // after one interval, exactly one more
        let t1 = t0 + Duration::from_secs(20);
        assert!(l.check_at("a", 3, t1).is_ok());
        assert!(l.check_at("a", 3, t1).is_err());
        // a full refill after a minute
        let t2 = t1 + Duration::from_mins(1);
        for _ in 0..3 {
            assert!(l.check_at("a", 3, t2).is_ok());
        }
        assert!(l.check_at("a", 3, t2).is_err());
    }

    #[test]
    fn zero_is_unlimited() {
        let l = RateLimiter::new();
        let t = Instant::now();
        assert!((0..10_000).all(|_| l.check_at("a", 0, t).is_ok()));
    }
}

//! Per-key rate limits: GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp per key), in
//! memory and per process. A limit of N per minute lets a burst of N through, then one every 60/N seconds. The
//! limiter remembers at most `capacity` buckets: when every one of them is still filling, a new name is refused
//! (for a second) rather than remembered, so that a flood of names cannot grow it without bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The buckets a limiter keeps by default.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// The limiter of one process.
#[derive(Debug)]
pub struct RateLimiter {
    /// key id → theoretical arrival time of the next request
    tat: Mutex<HashMap<String, Instant>>,
    capacity: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl RateLimiter {
    /// A limiter that knows no key yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A limiter that keeps at most `capacity` buckets (at least one).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self { tat: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
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
        let known = map.get(key).copied();
        if known.is_none() && map.len() >= self.capacity {
            // keep the map small: forget keys whose bucket is full again; refuse a new one while none is
            map.retain(|_, t| *t > now);
            if map.len() >= self.capacity {
                return Err(Duration::from_secs(1));
            }
        }
        let tat = known.unwrap_or(now).max(now);
        let allow_at = tat.checked_sub(tolerance).unwrap_or(now);
        if allow_at > now {
            return Err(allow_at - now);
        }
        map.insert(key.to_owned(), tat + interval);
        Ok(())
    }

    /// [`RateLimiter::check_at`] now.
    pub fn check(&self, key: &str, per_minute: u32) -> Result<(), Duration> {
        self.check_at(key, per_minute, Instant::now())
    }

    /// Whether a request of `key` would be let through now, without taking it (`Err(wait)` when not); take it
    /// afterwards with [`RateLimiter::check`] if it counts.
    pub fn would_allow(&self, key: &str, per_minute: u32) -> Result<(), Duration> {
        if per_minute == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let interval = Duration::from_mins(1) / per_minute;
        let tolerance = interval * (per_minute - 1);
        let map = self.tat.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(tat) = map.get(key).copied() else {
            return if map.len() >= self.capacity { Err(Duration::from_secs(1)) } else { Ok(()) };
        };
        match tat.max(now).checked_sub(tolerance) {
            Some(allow_at) if allow_at > now => Err(allow_at - now),
            _ => Ok(()),
        }
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
    fn a_full_limiter_refuses_new_names_until_buckets_refill() {
        let l = RateLimiter::with_capacity(2);
        let t0 = Instant::now();
        assert!(l.check_at("a", 60, t0).is_ok() && l.check_at("b", 60, t0).is_ok());
        assert!(l.check_at("c", 60, t0).is_err(), "no room for a third name");
        assert!(l.check_at("a", 60, t0).is_ok(), "known names go on");
        // once a bucket is full again its name is forgotten and makes room
        let t1 = t0 + Duration::from_secs(3);
        assert!(l.check_at("c", 60, t1).is_ok());
        assert!(l.tat.lock().unwrap().len() <= 2);
    }

    #[test]
    fn zero_is_unlimited() {
        let l = RateLimiter::new();
        let t = Instant::now();
        assert!((0..10_000).all(|_| l.check_at("a", 0, t).is_ok()));
    }
}

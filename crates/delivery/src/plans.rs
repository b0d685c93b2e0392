//! Plans made in the background: a random id per plan, its state (`queued` → `running` → `done` | `failed`) and
//! progress, kept in memory only — for `ttl` after it finished, at most `max_plans` at a time — and visible only to
//! the key that asked for it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Plan;

/// A plan's id: 128 random bits as 32 hex digits (not guessable).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanId(String);

impl PlanId {
    /// A new random id, from the system's generator.
    #[must_use]
    pub fn random() -> Self {
        let mut b = [0u8; 16];
        if getrandom::fill(&mut b).is_err() {
            // no system randomness: a v4 UUID's 122 random bits (which draw on the same source, so this is moot)
            b = *uuid::Uuid::new_v4().as_bytes();
        }
        Self(b.iter().fold(String::with_capacity(32), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        }))
    }

    /// An id as given in a URL; none if it cannot be one.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then(|| Self(s.into()))
    }

    /// The id, 32 hex digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a plan is.
#[derive(Debug, Clone)]
pub enum State {
    /// Waiting for a worker.
    Queued,
    /// Being made.
    Running,
    /// Made.
    Done(Arc<Plan>),
    /// The message (no personal data).
    Failed(String),
}

impl State {
    /// `queued`, `running`, `done` or `failed`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Done(_) => "done",
            State::Failed(_) => "failed",
        }
    }

    fn finished(&self) -> bool {
        matches!(self, State::Done(_) | State::Failed(_))
    }
}

/// The share done of a plan, updated from the worker (0 to 1000).
#[derive(Debug, Default)]
pub struct Progress(AtomicU32);

impl Progress {
    /// Sets the share done, 0 to 1 (clamped).
    pub fn set(&self, share: f64) {
        self.0.store((share.clamp(0.0, 1.0) * 1000.0).round() as u32, Ordering::Relaxed);
    }

    /// The share done, 0 to 1.
    #[must_use]
    pub fn get(&self) -> f64 {
        f64::from(self.0.load(Ordering::Relaxed)) / 1000.0
    }
}

struct Entry {
    owner: String,
    state: State,
    progress: Arc<Progress>,
    finished_at: Option<Instant>,
}

/// A snapshot of a plan for its owner.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Where the plan is.
    pub state: State,
    /// The share done, 0 to 1.
    pub progress: f64,
}

/// Why a plan cannot be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// This many plans are being made already.
    #[error("{0} plans are being made already; retry when one is done")]
    Busy(usize),
}

/// The plans of one service.
pub struct PlanStore {
    plans: Mutex<HashMap<PlanId, Entry>>,
    ttl: Duration,
    max_plans: usize,
    max_active: usize,
}

impl Default for PlanStore {
    /// An hour, 64 plans (a plan of 100,000 shipments holds some 60 MB), 4 being made at once.
    fn default() -> Self {
        Self::new(Duration::from_hours(1), 64, 4)
    }
}

impl PlanStore {
    /// Finished plans are kept `ttl`, `max_plans` plans at most (the oldest finished go first), and at most
    /// `max_active` are queued or running at once.
    #[must_use]
    pub fn new(ttl: Duration, max_plans: usize, max_active: usize) -> Self {
        Self { plans: Mutex::new(HashMap::new()), ttl, max_plans: max_plans.max(1), max_active: max_active.max(1) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PlanId, Entry>> {
        // a panic while holding the lock leaves the map consistent (every change is a single insert or update)
        self.plans.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn expire(&self, plans: &mut HashMap<PlanId, Entry>) {
        let now = Instant::now();
        plans.retain(|_, e| e.finished_at.is_none_or(|t| now.duration_since(t) < self.ttl));
        while plans.len() >= self.max_plans {
            let oldest = plans
                .iter()
                .filter_map(|(id, e)| e.finished_at.map(|t| (t, id.clone())))
                .min_by_key(|(t, _)| *t)
                .map(|(_, id)| id);
            match oldest {
                Some(id) => plans.remove(&id),
                None => break,
            };
        }
    }

    /// A new queued plan of `owner`, with its progress to update.
    pub fn queue(&self, owner: &str) -> Result<(PlanId, Arc<Progress>), QueueError> {
        let mut plans = self.lock();
        self.expire(&mut plans);
        let active = plans.values().filter(|e| !e.state.finished()).count();
        if active >= self.max_active || plans.len() >= self.max_plans {
            return Err(QueueError::Busy(active));
        }
        let id = PlanId::random();
        let progress = Arc::new(Progress::default());
        plans.insert(
            id.clone(),
            Entry { owner: owner.to_owned(), state: State::Queued, progress: progress.clone(), finished_at: None },
        );
        Ok((id, progress))
    }

    /// Moves a plan on.
    pub fn set(&self, id: &PlanId, state: State) {
        let mut plans = self.lock();
        if let Some(e) = plans.get_mut(id) {
            if state.finished() {
                e.finished_at = Some(Instant::now());
                e.progress.set(1.0);
            }
            e.state = state;
        }
    }

    /// The plan, if it exists, has not expired and belongs to `owner`.
    #[must_use]
    pub fn get(&self, id: &PlanId, owner: &str) -> Option<Snapshot> {
        let mut plans = self.lock();
        self.expire(&mut plans);
        plans
            .get(id)
            .filter(|e| e.owner == owner)
            .map(|e| Snapshot { state: e.state.clone(), progress: e.progress.get() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_parse_back() {
        let (a, b) = (PlanId::random(), PlanId::random());
        assert_ne!(a, b);
        assert_eq!(PlanId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(PlanId::parse("xyz"), None);
        assert_eq!(PlanId::parse(&a.as_str().to_uppercase()), None);
    }

    #[test]
    fn plans_are_private_bounded_and_expire() {
        let store = PlanStore::new(Duration::from_millis(0), 10, 2);
        let (a, p) = store.queue("k1").expect("room");
        p.set(0.5);
        assert!(
            matches!(store.get(&a, "k1"), Some(Snapshot { state: State::Queued, progress }) if (progress - 0.5).abs() < 1e-9)
        );
        assert!(store.get(&a, "k2").is_none(), "another key's plan");
        let (_b, _) = store.queue("k1").expect("room");
        assert_eq!(store.queue("k1").map(|_| ()), Err(QueueError::Busy(2)));
        store.set(&a, State::Failed("x".into()));
        // a zero TTL: the finished plan is gone at the next look
        assert!(store.get(&a, "k1").is_none());
        assert!(store.queue("k1").is_ok());
    }
}

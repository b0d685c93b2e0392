//! Plans made in the background and the planner's budget, per key. A plan has a random id, its state (`queued` →
//! `running` → `done` | `failed`) and progress; it is kept in memory only, for `ttl` after it finished, and only the
//! key that asked for it sees it. Each key may hold `max_plans_per_key` plans and have `max_running_per_key` being
//! made at once (made in the background or answered at once alike); all keys together `max_plans` and
//! `max_running`. Nothing is ever evicted before its TTL: a key over its quota is refused, never another key's plan
//! dropped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::Plan;

/// When to try again after a refusal for want of a running slot: plans answered at once take seconds.
pub const BUSY_RETRY: Duration = Duration::from_secs(5);

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

/// The quotas of the plan store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a finished plan is kept.
    pub ttl: Duration,
    /// Plans kept (queued, running or finished within `ttl`), all keys together.
    pub max_plans: usize,
    /// Plans kept of one key.
    pub max_plans_per_key: usize,
    /// Plans being made at once (in the background or answered at once), all keys together.
    pub max_running: usize,
    /// Plans being made at once for one key.
    pub max_running_per_key: usize,
}

impl Default for Limits {
    /// An hour; 64 plans (a plan of 100,000 shipments holds some 60 MB), 16 of one key; 4 being made at once, 2 of
    /// one key (a plan uses every core).
    fn default() -> Self {
        Self {
            ttl: Duration::from_hours(1),
            max_plans: 64,
            max_plans_per_key: 16,
            max_running: 4,
            max_running_per_key: 2,
        }
    }
}

/// Why a plan cannot be made now. The per-key refusals are the caller's own doing; the others are everyone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The key has as many plans being made as its quota.
    #[error("this key has {limit} plans being made already, its quota; retry when one is done")]
    KeyRunning {
        /// The key's quota.
        limit: usize,
    },
    /// The key holds as many plans as its quota (kept until they expire).
    #[error("this key holds {limit} plans, its quota; finished plans are kept {ttl_s} s")]
    KeyStored {
        /// The key's quota.
        limit: usize,
        /// How long a finished plan is kept (seconds).
        ttl_s: u64,
        /// When the key's oldest finished plan expires.
        retry_after: Duration,
    },
    /// As many plans as allowed are being made, all keys together.
    #[error("{limit} plans are being made already; retry when one is done")]
    Busy {
        /// The global limit.
        limit: usize,
    },
    /// The store holds as many plans as allowed, all keys together.
    #[error("the planner holds {limit} plans already; retry when one expires")]
    Full {
        /// The global limit.
        limit: usize,
        /// When the oldest finished plan expires.
        retry_after: Duration,
    },
}

impl QueueError {
    /// Whether the refusal is the key's own quota (else the service's limit, shared by every key).
    #[must_use]
    pub fn is_quota(&self) -> bool {
        matches!(self, Self::KeyRunning { .. } | Self::KeyStored { .. })
    }

    /// When to try again, in whole seconds (at least 1).
    #[must_use]
    pub fn retry_after_s(&self) -> u64 {
        let d = match self {
            Self::KeyRunning { .. } | Self::Busy { .. } => BUSY_RETRY,
            Self::KeyStored { retry_after, .. } | Self::Full { retry_after, .. } => *retry_after,
        };
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }
}

/// Plans being made, per key and in all.
#[derive(Debug, Default)]
struct Running {
    total: usize,
    by_key: HashMap<String, usize>,
}

/// A running slot of the planner, held while a plan is being made (answered at once or in the background); freed
/// when dropped.
#[derive(Debug)]
pub struct Slot {
    running: Arc<Mutex<Running>>,
    owner: String,
}

impl Slot {
    /// The key that holds it.
    #[must_use]
    pub fn owner(&self) -> &str {
        &self.owner
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut r = lock(&self.running);
        r.total = r.total.saturating_sub(1);
        if let Some(n) = r.by_key.get_mut(&self.owner) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                r.by_key.remove(&self.owner);
            }
        }
    }
}

// a panic while holding a lock leaves the data consistent (every change is a single insert, update or removal)
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The plans and running slots of one service.
pub struct PlanStore {
    plans: Mutex<HashMap<PlanId, Entry>>,
    running: Arc<Mutex<Running>>,
    limits: Limits,
}

impl Default for PlanStore {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl PlanStore {
    /// A store with these quotas (each at least 1).
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        let limits = Limits {
            max_plans: limits.max_plans.max(1),
            max_plans_per_key: limits.max_plans_per_key.max(1),
            max_running: limits.max_running.max(1),
            max_running_per_key: limits.max_running_per_key.max(1),
            ..limits
        };
        Self { plans: Mutex::default(), running: Arc::default(), limits }
    }

    /// The quotas.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A running slot for `owner`, within its quota and the service's limit.
    pub fn begin(&self, owner: &str) -> Result<Slot, QueueError> {
        let mut r = lock(&self.running);
        if r.by_key.get(owner).copied().unwrap_or(0) >= self.limits.max_running_per_key {
            return Err(QueueError::KeyRunning { limit: self.limits.max_running_per_key });
        }
        if r.total >= self.limits.max_running {
            return Err(QueueError::Busy { limit: self.limits.max_running });
        }
        r.total += 1;
        *r.by_key.entry(owner.to_owned()).or_default() += 1;
        Ok(Slot { running: self.running.clone(), owner: owner.to_owned() })
    }

    /// Drops the plans that finished more than `ttl` ago (of any key: they have expired).
    fn expire(&self, plans: &mut HashMap<PlanId, Entry>, now: Instant) {
        plans.retain(|_, e| e.finished_at.is_none_or(|t| now.duration_since(t) < self.limits.ttl));
    }

    /// How long until the first of these finished plans expires (a running slot's wait when none has finished).
    fn first_expiry<'a>(&self, entries: impl Iterator<Item = &'a Entry>, now: Instant) -> Duration {
        entries
            .filter_map(|e| e.finished_at)
            .map(|t| self.limits.ttl.saturating_sub(now.duration_since(t)))
            .min()
            .unwrap_or(BUSY_RETRY)
    }

    /// A new queued plan of the slot's owner, with its progress to update; the slot is to be held while it is made.
    pub fn queue(&self, slot: &Slot) -> Result<(PlanId, Arc<Progress>), QueueError> {
        let now = Instant::now();
        let mut plans = self.lock_plans();
        self.expire(&mut plans, now);
        let own = || plans.values().filter(|e| e.owner == slot.owner);
        if own().count() >= self.limits.max_plans_per_key {
            let (limit, ttl_s) = (self.limits.max_plans_per_key, self.limits.ttl.as_secs());
            return Err(QueueError::KeyStored { limit, ttl_s, retry_after: self.first_expiry(own(), now) });
        }
        if plans.len() >= self.limits.max_plans {
            let retry_after = self.first_expiry(plans.values(), now);
            return Err(QueueError::Full { limit: self.limits.max_plans, retry_after });
        }
        let id = PlanId::random();
        let progress = Arc::new(Progress::default());
        let entry =
            Entry { owner: slot.owner.clone(), state: State::Queued, progress: progress.clone(), finished_at: None };
        plans.insert(id.clone(), entry);
        Ok((id, progress))
    }

    fn lock_plans(&self) -> MutexGuard<'_, HashMap<PlanId, Entry>> {
        lock(&self.plans)
    }

    /// Moves a plan on.
    pub fn set(&self, id: &PlanId, state: State) {
        let mut plans = self.lock_plans();
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
        let mut plans = self.lock_plans();
        self.expire(&mut plans, Instant::now());
        plans
            .get(id)
            .filter(|e| e.owner == owner)
            .map(|e| Snapshot { state: e.state.clone(), progress: e.progress.get() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(ttl: Duration) -> Limits {
        Limits { ttl, max_plans: 6, max_plans_per_key: 3, max_running: 3, max_running_per_key: 2 }
    }

    /// Queues a plan of `owner` and finishes it (its slot freed).
    fn finished(store: &PlanStore, owner: &str) -> Result<PlanId, QueueError> {
        let slot = store.begin(owner)?;
        let (id, _) = store.queue(&slot)?;
        store.set(&id, State::Failed("x".into()));
        Ok(id)
    }

    #[test]
    fn ids_are_random_hex_and_parse_back() {
        let (a, b) = (PlanId::random(), PlanId::random());
        assert_ne!(a, b);
        assert_eq!(PlanId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(PlanId::parse("xyz"), None);
        assert_eq!(PlanId::parse(&a.as_str().to_uppercase()), None);
    }

    #[test]
    fn plans_are_private_and_expire() {
        let store = PlanStore::new(limits(Duration::ZERO));
        let slot = store.begin("k1").expect("room");
        let (a, p) = store.queue(&slot).expect("room");
        p.set(0.5);
        assert!(
            matches!(store.get(&a, "k1"), Some(Snapshot { state: State::Queued, progress }) if (progress - 0.5).abs() < 1e-9)
        );
        assert!(store.get(&a, "k2").is_none(), "another key's plan");
        store.set(&a, State::Failed("x".into()));
        // a zero TTL: the finished plan is gone at the next look
        assert!(store.get(&a, "k1").is_none());
    }

    /// Issue 16, finding 2: a key at its quota is refused (429 upstream) and evicts nothing, its own finished plans
    /// included; another key's plans are untouched and it still has room.
    #[test]
    fn a_key_over_its_quota_is_refused_and_evicts_nothing() {
        let store = PlanStore::new(limits(Duration::from_hours(1)));
        let a = finished(&store, "a").expect("room");
        let b: Vec<PlanId> = (0..3).map(|_| finished(&store, "b").expect("room")).collect();
        let err = finished(&store, "b").expect_err("over the quota");
        assert!(err.is_quota(), "{err:?}");
        assert!(matches!(err, QueueError::KeyStored { limit: 3, ttl_s: 3600, .. }), "{err:?}");
        // Retry-After: when b's oldest finished plan expires, about an hour
        assert!((3590..=3600).contains(&err.retry_after_s()), "{}", err.retry_after_s());
        assert!(store.get(&a, "a").is_some(), "a's plan survives b's flood");
        assert!(b.iter().all(|id| store.get(id, "b").is_some()), "b's own plans are kept until they expire");
        assert!(finished(&store, "a").is_ok(), "a still has room");
    }

    /// Issue 16, finding 2: the store's global cap refuses for everyone (503 upstream) rather than evict.
    #[test]
    fn the_global_cap_refuses_rather_than_evicts() {
        let store = PlanStore::new(limits(Duration::from_hours(1)));
        let kept: Vec<(PlanId, &str)> =
            ["a", "a", "a", "b", "b", "b"].into_iter().map(|k| (finished(&store, k).expect("room"), k)).collect();
        let err = finished(&store, "c").expect_err("the store is full");
        assert!(matches!(err, QueueError::Full { limit: 6, .. }) && !err.is_quota(), "{err:?}");
        assert!(kept.iter().all(|(id, k)| store.get(id, k).is_some()));
    }

    /// Issue 16, finding 1: plans answered at once and plans made in the background take the same running slots,
    /// per key and in all; a slot is free again when dropped.
    #[test]
    fn running_slots_are_per_key_and_shared_by_every_plan() {
        let store = PlanStore::new(limits(Duration::from_hours(1)));
        let sync = store.begin("a").expect("room");
        let background = store.begin("a").expect("room");
        let (_id, _) = store.queue(&background).expect("room");
        let err = store.begin("a").expect_err("a's quota");
        assert_eq!(err, QueueError::KeyRunning { limit: 2 });
        assert_eq!(err.retry_after_s(), BUSY_RETRY.as_secs());
        let b = store.begin("b").expect("b is not starved by a");
        assert_eq!(store.begin("c").expect_err("all slots"), QueueError::Busy { limit: 3 });
        drop(sync);
        assert_eq!(store.begin("a").map(|s| s.owner().to_owned()), Ok("a".to_owned()));
        drop((b, background));
        let all: Vec<Slot> = ["c", "d", "e"].into_iter().map(|k| store.begin(k).expect("free again")).collect();
        assert_eq!(all.len(), 3);
    }
}

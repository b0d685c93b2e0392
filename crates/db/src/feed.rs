//! The change feed: every running instance LISTENs on [`CHANNEL`], reads the changes after the last one it applied
//! from `address_changes`, applies them to its in-memory index (a new [`Overlay`]) and drops the tiles they touch.
//! On a lost connection it reconnects by itself and catches up, so no change is missed while the database was away.
//!
//! Sequence numbers are handed out when a transaction writes, not when it commits: a change with a lower number can
//! become visible after a higher one. The feed therefore remembers the numbers it has seen above the last gap and
//! re-reads the gap until it fills or [`GAP_WAIT`] passes (a rolled-back transaction, or a crash of the server, which
//! makes the sequence skip up to 32 numbers, leaves a gap for ever).

use futures_util::StreamExt;
use postgis::ewkb;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio_postgres::{AsyncMessage, NoTls};

use super::{CHANNEL, DbError, parse_url};
use diachi_domain::{AddressId, LonLat};
use diachi_geo::dataset::{AddressRecord, to_e7};
use diachi_geo::index::NationalIndex;

/// How long a gap in the sequence is waited for.
pub const GAP_WAIT: Duration = Duration::from_secs(30);
/// Changes read per query.
const BATCH: i64 = 10_000;

/// What the feed reports to the rest of the service.
#[derive(Debug, Default)]
pub struct FeedStatus {
    /// Whether the feed is connected and listening.
    pub connected: AtomicBool,
    /// The change number up to which every change is applied.
    pub applied: AtomicI64,
    /// Reconnections so far.
    pub reconnects: AtomicI64,
}

/// Called with the locations (before and after) of every batch of changed addresses.
pub type OnChange = Arc<dyn Fn(&[LonLat]) + Send + Sync>;

struct Cursor {
    /// Every change up to here is applied.
    done: i64,
    /// Changes applied above `done` (after a gap).
    seen: BTreeSet<i64>,
    /// Since when the gap after `done` has been waited for.
    gap_since: Option<Instant>,
}

impl Cursor {
    fn advance(&mut self) {
        loop {
            while self.seen.first() == Some(&(self.done + 1)) {
                self.seen.pop_first();
                self.done += 1;
                self.gap_since = None;
            }
            let Some(&next) = self.seen.first() else {
                self.gap_since = None;
                return;
            };
            let since = *self.gap_since.get_or_insert_with(Instant::now);
            if since.elapsed() < GAP_WAIT {
                return;
            }
            // give up on the gap: the transaction that took those numbers rolled back
            self.done = next - 1;
            self.gap_since = None;
        }
    }
}

/// Starts the feed on its own thread (with its own runtime); it runs until the process ends.
pub fn spawn(
    url: String,
    index: Arc<NationalIndex>,
    last_change: i64,
    on_change: OnChange,
    status: Arc<FeedStatus>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    status.applied.store(last_change, Ordering::Relaxed);
    std::thread::Builder::new().name("change-feed".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "the change feed cannot start");
                return;
            }
        };
        rt.block_on(async move {
            let mut cursor = Cursor { done: last_change, seen: BTreeSet::new(), gap_since: None };
            let mut backoff = Duration::from_millis(100);
            loop {
                let started = Instant::now();
                if let Err(e) = listen(&url, &index, &mut cursor, &on_change, &status).await {
                    status.connected.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %e, "change feed disconnected; reconnecting");
                }
                if started.elapsed() > Duration::from_secs(10) {
                    backoff = Duration::from_millis(100);
                }
                status.reconnects.fetch_add(1, Ordering::Relaxed);
                // back off between attempts (this is a retry delay, not synchronisation)
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        });
    })
}

async fn listen(
    url: &str,
    index: &NationalIndex,
    cursor: &mut Cursor,
    on_change: &OnChange,
    status: &FeedStatus,
) -> Result<(), DbError> {
    let (client, mut conn) = parse_url(url)?.connect(NoTls).await.map_err(|e| DbError::Unavailable(e.to_string()))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(_)) => {
                    if tx.send(()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    let result = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        status.connected.store(true, Ordering::Relaxed);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            catch_up(&client, index, cursor, on_change).await?;
            status.applied.store(cursor.done, Ordering::Relaxed);
            tokio::select! {
                m = rx.recv() => {
                    if m.is_none() {
                        return Err(DbError::Unavailable("the listening connection closed".into()));
                    }
                    while rx.try_recv().is_ok() {}
                }
                _ = tick.tick(), if !cursor.seen.is_empty() => {}
            }
        }
    }
    .await;
    driver.abort();
    result
}

/// Applies every change not applied yet.
async fn catch_up(
    client: &tokio_postgres::Client,
    index: &NationalIndex,
    cursor: &mut Cursor,
    on_change: &OnChange,
) -> Result<(), DbError> {
    let geo = &index.data.geography;
    loop {
        let rows = client.query(include_str!("../sql/db/changes_since.sql"), &[&cursor.done, &BATCH]).await?;
        let fresh: Vec<&tokio_postgres::Row> =
            rows.iter().filter(|r| !cursor.seen.contains(&r.get::<_, i64>(0))).collect();
        if !fresh.is_empty() {
            let mut overlay = (*index.overlay()).clone();
            let mut touched = Vec::new();
            for row in &fresh {
                let id = u32::try_from(row.try_get::<_, i64>(1)?)
                    .map(AddressId::new)
                    .map_err(|_| DbError::BadData("address id out of range".into()))?;
                let record = match row.try_get::<_, Option<&str>>(2)? {
                    None => None,
                    Some(ward) => {
                        let p: ewkb::Point = row.try_get(8)?;
                        let unit = |i: usize| -> Result<u16, DbError> {
                            u16::try_from(row.try_get::<_, i32>(i)?)
                                .map_err(|_| DbError::BadData(format!("address {id}")))
                        };
                        Some(AddressRecord {
                            lon_e7: to_e7(p.x),
                            lat_e7: to_e7(p.y),
                            ward: super::ward_index(geo, ward)?,
                            street: row.try_get::<_, &str>(3)?.into(),
                            house: super::load::house_col(unit(4)?, row.try_get(9)?, i64::from(id.get()))?,
                            alley: unit(5)?,
                            apartment: unit(6)?,
                            da_unit: unit(7)?,
                        })
                    }
                };
                let before = match overlay.get(id) {
                    Some(r) => r.cloned(),
                    None => index.data.addresses.record(id).map(|r| r.to_owned()),
                };
                touched.extend(before.iter().chain(record.iter()).filter_map(|r| r.as_ref().location()));
                overlay.set(id, record);
            }
            index.set_overlay(overlay);
            on_change(&touched);
            tracing::debug!(changes = fresh.len(), "applied address changes");
        }
        for r in &rows {
            cursor.seen.insert(r.get::<_, i64>(0));
        }
        cursor.advance();
        if (rows.len() as i64) < BATCH || fresh.is_empty() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_waits_for_a_gap_then_moves_past_it() {
        let mut c = Cursor { done: 0, seen: BTreeSet::new(), gap_since: None };
        c.seen.extend([1, 2, 4, 5]);
        c.advance();
        assert_eq!((c.done, c.seen.len()), (2, 2), "1 and 2 are contiguous; 3 is missing");
        assert!(c.gap_since.is_some());
        c.seen.insert(3);
        c.advance();
        assert_eq!((c.done, c.seen.len(), c.gap_since), (5, 0, None), "the gap filled");
        c.seen.extend([40, 41]);
        c.advance();
        assert_eq!(c.done, 5);
        c.gap_since = Instant::now().checked_sub(GAP_WAIT * 2);
        c.advance();
        assert_eq!((c.done, c.seen.len()), (41, 0), "an old gap is given up");
    }
}

//! Logging with `tracing`: human-readable or JSON lines on stderr, filtered by `RUST_LOG` (default `info`).
//! Colours only when stderr is a terminal: a log redirected to a file or a pipe stays plain text.
//!
//! Lines are written by a thread of their own (`tracing-appender`'s non-blocking writer), so a slow terminal, pipe or
//! disk never holds up a request; it writes what has queued in one go and flushes when the queue is empty. Policy when the writer falls behind: up to [`LOG_BUFFER_LINES`] lines wait in
//! memory; past that, new lines are dropped (never the server's time) and counted: `diachi_log_lines_dropped` in
//! `/metrics`. Lines still queued are written when the [`LogGuard`] that [`init`] returns is dropped.

use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Lines that may wait for the writer before new ones are dropped (about 20 MB of request lines at most).
pub const LOG_BUFFER_LINES: usize = 65_536;

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Keeps the log writer's thread alive; dropping it writes the lines still queued.
#[must_use = "the lines still queued are written when the guard is dropped: keep it until the end of main"]
pub struct LogGuard {
    _worker: Option<WorkerGuard>,
}

/// Installs the global subscriber once; later calls are no-ops (tests start several apps).
pub fn init(format: &str) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .thread_name("diachi-log")
        // the writer thread drains every line queued, then flushes: one write for a burst of lines, not one each
        .finish(std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    let dropped = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = if format == "json" { builder.json().try_init() } else { builder.try_init() };
    match installed {
        Ok(()) => {
            let _ = DROPPED.set(dropped);
            LogGuard { _worker: Some(guard) }
        }
        Err(_) => LogGuard { _worker: None },
    }
}

/// Log lines dropped since start because the writer fell behind (0 before [`init`]).
#[must_use]
pub fn dropped_log_lines() -> usize {
    DROPPED.get().map_or(0, ErrorCounter::dropped_lines)
}

//! The compactor thread: keeps snapshots (`snapshots.rs`) close behind the feed, in the
//! background, so that a device joining later bootstraps from them.
//!
//! It waits while changes keep arriving (a quiet moment costs pushes nothing) unless the
//! backlog grows large, then catches up a step at a time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::store::Store;

/// Changes of the feed covered per step (and per write transaction).
const STEP_CHANGES: u32 = 2_000;
/// How long the feed must stay still before compaction catches up...
const QUIET: Duration = Duration::from_secs(2);
/// ...unless this many changes are waiting.
const LARGE_BACKLOG: u64 = 10_000;
const TICK: Duration = Duration::from_millis(250);
const AFTER_FAILURE: Duration = Duration::from_secs(10);

/// The running compactor; stops when dropped.
#[derive(Debug)]
pub struct Compactor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Compactor {
    pub fn start(store: Arc<dyn Store>) -> Compactor {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread =
            std::thread::Builder::new().name("compactor".into()).spawn(move || run(store.as_ref(), &stopping)).ok();
        Compactor { stop, thread }
    }
}

impl Drop for Compactor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(store: &dyn Store, stop: &AtomicBool) {
    let mut seen_end = 0;
    let mut changed_at = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let status = match store.compaction_status() {
            Ok(status) => status,
            Err(e) => {
                tracing::error!("compaction cannot read its progress: {e}");
                std::thread::sleep(AFTER_FAILURE);
                continue;
            }
        };
        if status.feed_end != seen_end {
            seen_end = status.feed_end;
            changed_at = Instant::now();
        }
        let backlog = status.feed_end.saturating_sub(status.snapshots_through);
        if backlog == 0 || (changed_at.elapsed() < QUIET && backlog < LARGE_BACKLOG) {
            std::thread::sleep(TICK);
            continue;
        }
        if let Err(e) = store.compact_step(STEP_CHANGES) {
            tracing::error!("compaction failed, trying again shortly: {e}");
            std::thread::sleep(AFTER_FAILURE);
        }
    }
}

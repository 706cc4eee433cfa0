//! The picture sweep: a background thread that removes the pictures no prospect refers to any
//! more, once they have gone unreferenced for a grace period (30 days unless configured), so
//! that a picture taken out of a prospect by mistake can still be put back meanwhile.
//!
//! Each round reads again the documents changed since the last (`picture_records.rs` drops
//! the references they no longer make and marks what is left with none), then removes the
//! pictures marked longer ago than the grace period, and the uploads no device has grown for
//! as long.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use census_core::Timestamp;

use crate::api::{AppState, now};
use crate::metrics::Metrics;

/// How long a picture stays after the last prospect stopped referring to it.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Changes of the feed read again per step.
const STEP_CHANGES: u32 = 500;
/// Pictures removed per step.
const STEP_PICTURES: u32 = 500;
const TICK: Duration = Duration::from_millis(250);

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub references_dropped: u64,
    pub pictures_removed: u64,
    pub uploads_abandoned: u64,
}

/// The running sweep; stops when dropped.
#[derive(Debug)]
pub struct PictureSweep {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PictureSweep {
    /// Sweeps every tenth of `grace` (at least every second, at most every hour).
    pub fn start(state: Arc<AppState>, grace: Duration) -> PictureSweep {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let every = (grace / 10).clamp(Duration::from_secs(1), Duration::from_secs(60 * 60));
        let run = move || {
            let mut last = None::<Instant>;
            while !stopping.load(Ordering::Relaxed) {
                if last.is_none_or(|at| at.elapsed() >= every) {
                    last = Some(Instant::now());
                    match sweep(&state, grace, &stopping) {
                        Ok(report) if report != SweepReport::default() => tracing::info!(?report, "picture sweep"),
                        Ok(_) => {}
                        Err(e) => tracing::error!("the picture sweep failed: {e}"),
                    }
                }
                std::thread::sleep(TICK);
            }
        };
        let thread = std::thread::Builder::new().name("picture-sweep".into()).spawn(run).ok();
        PictureSweep { stop, thread }
    }
}

impl Drop for PictureSweep {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One round: references, then pictures, then abandoned uploads.
pub fn sweep(state: &AppState, grace: Duration, stop: &AtomicBool) -> Result<SweepReport, String> {
    let mut report = SweepReport::default();
    let started = now();
    loop {
        let (dropped, at_end) = state.store.sweep_picture_refs(STEP_CHANGES, started).map_err(|e| e.to_string())?;
        report.references_dropped += dropped;
        if at_end || stop.load(Ordering::Relaxed) {
            break;
        }
    }
    let grace_millis = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    let before = Timestamp::from_unix_millis(started.unix_millis().saturating_sub(grace_millis));
    while !stop.load(Ordering::Relaxed) {
        let names = state.store.unreferenced_pictures(before, STEP_PICTURES).map_err(|e| e.to_string())?;
        if names.is_empty() {
            break;
        }
        let mut forgotten = 0;
        for name in names {
            if state.store.forget_picture(&name, before).map_err(|e| e.to_string())? {
                state.pictures.remove(&name).map_err(|e| format!("cannot remove picture {name}: {e}"))?;
                Metrics::count(&state.metrics.pictures_removed, 1);
                forgotten += 1;
            }
        }
        report.pictures_removed += forgotten;
        // Every one named again meanwhile: the rest wait for the next round.
        if forgotten == 0 {
            break;
        }
    }
    let untouched_since = SystemTime::now().checked_sub(grace).unwrap_or(SystemTime::UNIX_EPOCH);
    for name in state.pictures.uploads_untouched_since(untouched_since).map_err(|e| e.to_string())? {
        // Only the partial upload goes: a stored picture of the same name has its own file.
        if state.pictures.stored(&name).map_err(|e| e.to_string())?.is_none() {
            state.pictures.remove(&name).map_err(|e| format!("cannot remove upload {name}: {e}"))?;
            report.uploads_abandoned += 1;
        }
    }
    Ok(report)
}

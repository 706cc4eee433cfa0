//! Long jobs the person starts and may stop: an import's preview and its applying, an export,
//! the duplicate search, a sync, downloading the photos of the territories or the map packs.
//! Each holds a connection of its own for as long as it lasts, tells the window how far it got
//! (`job-progress`), and ends early when the person stops it (`stop_job`) with a
//! [`ErrorKind::Stopped`] error. Starting a job of a kind already running stops the older one
//! first: its answer would only be overwritten.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use census_replica::{Replica, Stopper};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::connections::off_the_window;
use crate::{AppError, AppState};

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    ImportPreview,
    ImportApply,
    Export,
    DuplicateSearch,
    Sync,
    PictureDownload,
    /// Downloading the map packs for this device's territories; progress in bytes.
    MapPackDownload,
}

/// How far a job has got (the `job-progress` event): `done` of `total` rows or prospects.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct JobProgress {
    pub job: Job,
    pub done: u64,
    pub total: u64,
}

/// The jobs running, each with what stops it.
#[derive(Debug, Default)]
pub struct Jobs {
    running: Mutex<HashMap<Job, (u64, Stopper)>>,
    started: AtomicU64,
}

impl Jobs {
    /// Stops the running job of this kind; says whether one was running.
    pub fn stop(&self, job: Job) -> bool {
        let stopper = self.lock().remove(&job);
        stopper.map(|(_, stopper)| stopper.stop()).is_some()
    }

    /// Records `job` as running, stopping an older one of its kind; the number identifies it.
    pub(crate) fn begin(&self, job: Job, stopper: Stopper) -> u64 {
        let number = self.started.fetch_add(1, Ordering::Relaxed);
        if let Some((_, older)) = self.lock().insert(job, (number, stopper)) {
            older.stop();
        }
        number
    }

    /// Forgets the job `number` once it has ended (unless a newer one took its place).
    pub(crate) fn end(&self, job: Job, number: u64) {
        let mut running = self.lock();
        if running.get(&job).is_some_and(|(current, _)| *current == number) {
            running.remove(&job);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Job, (u64, Stopper)>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs `work` as `job`, on the blocking pool over a connection of its own, telling the window
/// how far it got.
pub async fn run_job<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    job: Job,
    work: impl FnOnce(&mut Replica) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let app = app.clone();
    off_the_window(move || run_job_here(&app, job, work)).await
}

/// Runs `work` as `job` on this thread (one already off the window's), over a connection of
/// its own, telling the window how far it got.
pub fn run_job_here<R: Runtime, T>(
    app: &AppHandle<R>,
    job: Job,
    work: impl FnOnce(&mut Replica) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let state = app.state::<AppState>();
    let mut replica = state.connections.take()?;
    let window = app.clone();
    replica.watch(Some(Box::new(move |done, total| {
        let _ = window.emit("job-progress", JobProgress { job, done, total });
    })));
    let number = state.jobs.begin(job, replica.stopper());
    let done = work(&mut replica);
    state.jobs.end(job, number);
    state.connections.give_back(replica);
    done
}

/// Runs `work` as `job` on `replica`, here: a sync, whose connection and progress are its own.
pub fn as_job<T>(jobs: &Jobs, job: Job, replica: &mut Replica, work: impl FnOnce(&mut Replica) -> T) -> T {
    replica.watch(None);
    let number = jobs.begin(job, replica.stopper());
    let done = work(replica);
    jobs.end(job, number);
    done
}

/// Stops the running job of this kind (nothing happens when none runs).
#[tauri::command]
pub fn stop_job(state: tauri::State<'_, AppState>, job: Job) -> bool {
    state.jobs.stop(job)
}

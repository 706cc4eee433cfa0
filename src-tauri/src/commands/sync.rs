//! Syncing: by hand from the sync bar, and by itself in the background whenever the server can
//! be reached. Either way one sync runs at a time, on its own connection to the replica, the
//! window hears `sync-progress` while it lasts and `sync-finished` when it ends, and the person
//! may stop it (`stop_job`).

use std::time::Duration;

use census_core::Timestamp;
use census_replica::{RefusedChange, SyncProgress, SyncReport};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::connections::off_the_window;
use crate::jobs::{Job, as_job};
use crate::{AppError, AppState, now};

/// What the sync status line shows.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    /// Changes made on this device that the server does not have yet.
    pub pending: u64,
    pub last_sync: Option<Timestamp>,
    /// Pictures waiting to be uploaded, and their bytes.
    pub pictures_pending: u64,
    pub picture_bytes_pending: u64,
}

/// How a sync ended, for the window (sent as the `sync-finished` event).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SyncFinished {
    Synced { report: SyncReport, background: bool },
    Failed { error: AppError, background: bool },
}

#[tauri::command]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>) -> Result<SyncReport, AppError> {
    off_the_window(move || sync_and_tell(&app, false)).await
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, AppError> {
    state
        .run(|replica| {
            let (pictures_pending, picture_bytes_pending) = replica.pictures_pending()?;
            Ok(SyncStatus {
                pending: replica.outbox_len()?,
                last_sync: replica.last_sync()?,
                pictures_pending,
                picture_bytes_pending,
            })
        })
        .await
}

/// The changes the server refused, with its reasons; they stay on this device.
#[tauri::command]
pub async fn refused_changes(state: State<'_, AppState>) -> Result<Vec<RefusedChange>, AppError> {
    state.run(|replica| Ok(replica.refused_changes()?)).await
}

/// Syncs once, waiting for a sync already running, and tells the window how it went.
pub(crate) fn sync_and_tell<R: Runtime>(app: &AppHandle<R>, background: bool) -> Result<SyncReport, AppError> {
    let state = app.state::<AppState>();
    let _one_at_a_time = state.syncing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let result = sync_once(app, &state);
    if result.is_ok() {
        super::maps::download_in_background(app);
    }
    let finished = match &result {
        Ok(report) => SyncFinished::Synced { report: report.clone(), background },
        Err(error) => SyncFinished::Failed { error: error.clone(), background },
    };
    let _ = app.emit("sync-finished", finished);
    result
}

/// One sync, as a job the person may stop: between pages, each page kept.
fn sync_once<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Result<SyncReport, AppError> {
    state.connections.with(|replica| {
        let client = replica.client()?;
        as_job(&state.jobs, Job::Sync, replica, |replica| {
            Ok(replica.sync_with_retries(&client, now(), 3, &mut |progress: SyncProgress| {
                let _ = app.emit("sync-progress", progress);
            })?)
        })
    })
}

/// Starts syncing in the background every `every`, once someone is signed in: a device that
/// finds a network sends its work without being asked. An attempt while offline costs one failed
/// connection and is tried again at the next turn.
pub fn sync_in_background<R: Runtime>(app: AppHandle<R>, every: Duration) {
    let spawned = std::thread::Builder::new().name("background sync".into()).spawn(move || {
        loop {
            std::thread::sleep(every);
            if signed_in(&app.state::<AppState>()) {
                let _ = sync_and_tell(&app, true);
            }
        }
    });
    if let Err(e) = spawned {
        eprintln!("Census cannot sync in the background ({e}); sync by hand from the sync bar");
    }
}

/// The pause between background syncs: `CENSUS_SYNC_EVERY_S` seconds (0 turns background sync
/// off), two minutes by default.
pub fn background_interval() -> Option<Duration> {
    let seconds = std::env::var("CENSUS_SYNC_EVERY_S").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(120);
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// Whether someone has signed in on this device (and so there is a server to sync with).
pub(crate) fn signed_in(state: &AppState) -> bool {
    matches!(state.connections.with(|replica| Ok(replica.server()?)), Ok(Some(_)))
}

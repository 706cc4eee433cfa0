//! Syncing: by hand from the sync bar, and by itself in the background whenever the server can
//! be reached. Either way one sync runs at a time, on its own connection to the replica, and the
//! window hears `sync-progress` while it lasts and `sync-finished` when it ends.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use census_core::Timestamp;
use census_replica::{RefusedChange, SyncProgress, SyncReport};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use super::off_the_window;
use crate::{AppError, AppState, now};

/// What the sync status line shows.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    /// Changes made on this device that the server does not have yet.
    pub pending: u64,
    pub last_sync: Option<Timestamp>,
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
pub async fn sync_now<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<SyncReport, AppError> {
    let (path, syncing) = (state.replica_path.clone(), state.syncing.clone());
    off_the_window(move || sync_and_tell(&app, &path, &syncing, false)).await
}

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, AppError> {
    let replica = state.replica();
    Ok(SyncStatus { pending: replica.outbox_len()?, last_sync: replica.last_sync()? })
}

/// The changes the server refused, with its reasons; they stay on this device.
#[tauri::command]
pub fn refused_changes(state: State<'_, AppState>) -> Result<Vec<RefusedChange>, AppError> {
    Ok(state.replica().refused_changes()?)
}

/// Syncs once, waiting for a sync already running, and tells the window how it went.
pub(crate) fn sync_and_tell<R: Runtime>(
    app: &AppHandle<R>,
    path: &Path,
    syncing: &Mutex<()>,
    background: bool,
) -> Result<SyncReport, AppError> {
    let _one_at_a_time = syncing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let result = sync_once(app, path);
    let finished = match &result {
        Ok(report) => SyncFinished::Synced { report: report.clone(), background },
        Err(error) => SyncFinished::Failed { error: error.clone(), background },
    };
    let _ = app.emit("sync-finished", finished);
    result
}

fn sync_once<R: Runtime>(app: &AppHandle<R>, path: &Path) -> Result<SyncReport, AppError> {
    let mut replica = crate::open_replica(path)?;
    let client = replica.client()?;
    Ok(replica.sync_with_retries(&client, now(), 3, &mut |progress: SyncProgress| {
        let _ = app.emit("sync-progress", progress);
    })?)
}

/// Starts syncing in the background every `every`, once someone is signed in: a device that
/// finds a network sends its work without being asked. An attempt while offline costs one failed
/// connection and is tried again at the next turn.
pub fn sync_in_background<R: Runtime>(app: AppHandle<R>, every: Duration) {
    let spawned = std::thread::Builder::new().name("background sync".into()).spawn(move || {
        loop {
            std::thread::sleep(every);
            let state = app.state::<AppState>();
            let signed_in = matches!(state.replica().server(), Ok(Some(_)));
            if signed_in {
                let _ = sync_and_tell(&app, &state.replica_path, &state.syncing, true);
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

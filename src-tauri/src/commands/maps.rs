//! Map packs on this device: after each sync the device asks the server which packs cover its
//! territories and brings its map folder in line (downloads what is missing, resuming one cut
//! off, and removes what is no longer offered); the person can also ask for it from the sync
//! bar. The window hears `job-progress` (in bytes) while it lasts and `map-packs-finished` when
//! it ends; the map then reads the packs afresh.

use census_replica::MapPackDownload;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::connections::off_the_window;
use crate::jobs::{Job, run_job_here};
use crate::{AppError, AppState};

/// How a round of map-pack downloads ended (the `map-packs-finished` event).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MapPacksFinished {
    Downloaded { download: MapPackDownload },
    Failed { error: AppError },
}

/// Brings the device's map packs in line with those the server offers, waiting for a round
/// already running.
#[tauri::command]
pub async fn download_map_packs<R: Runtime>(app: AppHandle<R>) -> Result<MapPackDownload, AppError> {
    off_the_window(move || {
        let state = app.state::<AppState>();
        let _one_at_a_time = state.map_downloads.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        download_and_tell(&app)
    })
    .await
}

/// Starts a round in a thread of its own, unless one is running already: after a sync, the
/// packs follow the territories it brought.
pub(crate) fn download_in_background<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let spawned = std::thread::Builder::new().name("map packs".into()).spawn(move || {
        let state = app.state::<AppState>();
        if let Ok(_one_at_a_time) = state.map_downloads.try_lock() {
            let _ = download_and_tell(&app);
        }
    });
    if let Err(e) = spawned {
        eprintln!("Census cannot download map packs in the background ({e}); download them from the sync bar");
    }
}

fn download_and_tell<R: Runtime>(app: &AppHandle<R>) -> Result<MapPackDownload, AppError> {
    let state = app.state::<AppState>();
    let result = run_job_here(app, Job::MapPackDownload, |replica| {
        let client = replica.client()?;
        Ok(replica.download_map_packs(&client, state.maps.folder())?)
    });
    if result.as_ref().is_ok_and(MapPackDownload::changed) {
        state.maps.reopen();
    }
    let finished = match &result {
        Ok(download) => MapPacksFinished::Downloaded { download: download.clone() },
        Err(error) => MapPacksFinished::Failed { error: error.clone() },
    };
    let _ = app.emit("map-packs-finished", finished);
    result
}

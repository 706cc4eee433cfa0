//! # census-app: the Census window
//!
//! The app agents and managers use: a Tauri 2 window whose front end (Svelte, in `ui/`) calls
//! the commands below. Each command is a few lines over the device's replica
//! (`census-replica`): everything the person does is saved on the device first and works with
//! no network; syncing with the server is one more command, run off the window's thread, that
//! reports its progress as `sync-progress` events.
//!
//! The replica is one SQLite file in the app's data folder (`CENSUS_APP_DATA` overrides the
//! folder, for tests and for keeping several devices on one machine). Once someone has signed
//! in, the app also syncs by itself: an edit a second after it is made, others' edits as soon as
//! the server has them (`live_sync.rs`), and everything every two minutes (`CENSUS_SYNC_EVERY_S`
//! changes the pause; 0 turns all of it off). Errors reach the window as `{kind, message, russian}`
//! ([`AppError`]): one clause in English and in Russian.
//!
//! The map reads its streets from map packs kept on the device, through the app's own URI
//! scheme (`map_protocol.rs`), so that no request of the map leaves the device.

#[cfg(test)]
mod bindings;
pub mod commands;
mod connections;
mod error;
pub mod jobs;
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
mod keychain;
mod live_sync;
pub mod map_protocol;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use census_core::{DeviceId, Timestamp};
use census_replica::Replica;
use tauri::Manager;

pub use connections::Connections;
pub use error::{AppError, ErrorKind};
pub use jobs::{Job, Jobs};

/// The file of this device's replica, inside the app's data folder.
const REPLICA_FILE: &str = "census.replica";

/// What the commands share: the replica's connections, and where it lives.
#[derive(Debug)]
pub struct AppState {
    pub connections: Arc<Connections>,
    /// Serialises syncs: a second request waits for the running one.
    pub syncing: Mutex<()>,
    /// The long jobs running, which the person may stop.
    pub jobs: Jobs,
    /// The spreadsheet being imported.
    pub import: commands::LoadedImport,
    /// Raised by every edit, for live sync to send it.
    pub edits: live_sync::EditSignal,
    /// The map packs on this device, which the map reads through its own URI scheme.
    pub maps: map_protocol::MapPacks,
    /// Serialises map-pack downloads.
    pub map_downloads: Mutex<()>,
}

impl AppState {
    /// Opens this device's replica in `folder`, creating it (with a new device id) the first time.
    pub fn open(folder: PathBuf) -> Result<AppState, AppError> {
        std::fs::create_dir_all(&folder).map_err(|e| AppError::cannot_create(&folder, &e))?;
        let replica_path = folder.join(REPLICA_FILE);
        if !replica_path.exists() {
            Replica::create(&replica_path, DeviceId::new_v7(now(), rand::random()))?;
        }
        let replica = open_replica(&replica_path)?;
        Ok(AppState {
            connections: Connections::new(replica_path, replica),
            syncing: Mutex::new(()),
            jobs: Jobs::default(),
            import: commands::LoadedImport::default(),
            edits: live_sync::EditSignal::default(),
            maps: map_protocol::MapPacks::in_folder(folder.join("maps")),
            map_downloads: Mutex::new(()),
        })
    }

    /// Runs `work` on one of the replica's connections, off the window's thread.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Replica) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.connections.run(work).await
    }
}

/// Opens the replica with its token kept in the keychain where there is one.
pub fn open_replica(path: &std::path::Path) -> Result<Replica, AppError> {
    #[allow(unused_mut, reason = "phones have no keychain vault yet")]
    let mut replica = Replica::open(path)?;
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    replica.keep_token_in(Box::new(keychain::Keychain))?;
    Ok(replica)
}

/// The moment, for stamping edits and syncs.
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(millis)
}

/// The app's commands on any Tauri builder (the real one, or the mock runtime in tests).
pub fn builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    // Tiles (the packs' and the markers') are read off the window's thread.
    let builder =
        builder.register_asynchronous_uri_scheme_protocol(map_protocol::SCHEME, |context, request, responder| {
            let app = context.app_handle().clone();
            tauri::async_runtime::spawn_blocking(move || match app.try_state::<AppState>() {
                Some(state) => responder.respond(map_protocol::answer(&state, &request)),
                None => responder.respond(map_protocol::not_ready()),
            });
        });
    builder.invoke_handler(tauri::generate_handler![
        commands::session,
        commands::sign_in,
        commands::sync_now,
        commands::sync_status,
        commands::refused_changes,
        commands::list_prospects,
        commands::count_prospects,
        commands::categories,
        commands::people,
        commands::likely_duplicates,
        commands::duplicate_pairs,
        commands::merge_duplicate,
        commands::set_apart,
        commands::devices,
        commands::revoke_device,
        commands::audit_trail,
        commands::late_work,
        commands::add_person,
        commands::retire_person,
        commands::save_territory,
        commands::publish_questionnaire,
        commands::load_import,
        commands::preview_import,
        commands::apply_import,
        commands::import_mappings,
        commands::save_import_mapping,
        commands::import_mapping_for,
        commands::delete_import_mapping,
        commands::dashboard,
        commands::export_prospects,
        commands::search_prospects,
        commands::map_summary,
        commands::nearest_unvisited,
        commands::prospect,
        commands::territories,
        commands::territory_progress,
        commands::create_prospect,
        commands::set_status,
        commands::set_notes,
        commands::set_location,
        commands::add_contact,
        commands::edit_contact,
        commands::remove_contact,
        commands::resolve_conflict,
        commands::set_review,
        commands::questionnaires,
        commands::questionnaire,
        commands::visit_drafts,
        commands::save_visit_draft,
        commands::discard_visit_draft,
        commands::record_visit,
        commands::store_photo,
        commands::photo,
        commands::remove_photo,
        commands::picture_cache,
        commands::set_picture_cache_limit,
        commands::download_pictures,
        commands::download_map_packs,
        jobs::stop_job,
    ])
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let app = builder(tauri::Builder::default())
        .setup(|app| {
            let folder = match std::env::var_os("CENSUS_APP_DATA") {
                Some(folder) => PathBuf::from(folder),
                None => app.path().app_data_dir()?,
            };
            // Tauri answers a setup error with a panic and its backtrace; the person deserves
            // the reason in plain words (a damaged replica, an unwritable folder), then the end.
            let state = AppState::open(folder).unwrap_or_else(|e| could_not_start(&e));
            app.manage(state);
            // Background sync on: every two minutes, and live while online.
            if let Some(every) = commands::background_interval() {
                commands::sync_in_background(app.handle().clone(), every);
                live_sync::start(app.handle());
            }
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = app {
        could_not_start(&e);
    }
}

fn could_not_start(reason: &dyn std::fmt::Display) -> ! {
    eprintln!("Census could not start: {reason}");
    std::process::exit(1)
}

//! The commands the window calls: each a few lines over the replica. Reads and edits take
//! milliseconds and run on the command thread; a sync runs on the blocking pool over its own
//! connection, so the window stays responsive while it lasts.

use census_core::{EditContext, NewProspect, Person, Prospect, ProspectId, Role, Territory, Timestamp};
use census_replica::{ListFilter, ProspectDetail, ProspectRow, Replica, SyncClient, SyncProgress, SyncReport};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::{AppError, AppState, ErrorKind, now};

/// Who is signed in on this device, and where it syncs.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub device: String,
    pub server: Option<String>,
    pub user: Option<Person>,
    pub role: Option<Role>,
}

/// What the sync status line shows.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    /// Changes made on this device that the server does not have yet.
    pub pending: u64,
    pub last_sync: Option<Timestamp>,
}

#[tauri::command]
pub fn session(state: State<'_, AppState>) -> Result<Session, AppError> {
    let replica = state.replica();
    let user = match replica.signed_in_user()? {
        Some(id) => replica.people()?.into_iter().find(|p| p.id == id),
        None => None,
    };
    Ok(Session { device: replica.device().to_string(), server: replica.server()?, user, role: replica.role()? })
}

#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    server: String,
    login: String,
    password: String,
) -> Result<Person, AppError> {
    let path = state.replica_path.clone();
    off_the_window(move || {
        let client = SyncClient::new(&server)?;
        let device_name = std::env::var("HOSTNAME").unwrap_or_else(|_| "Census app".into());
        Ok(Replica::open(&path)?.login(&client, &login, &password, &device_name)?)
    })
    .await
}

#[tauri::command]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<SyncReport, AppError> {
    let path = state.replica_path.clone();
    let server = state.replica().server()?.ok_or_else(|| AppError::new(ErrorKind::SignedOut, "sign in first"))?;
    let syncing = state.syncing.clone();
    off_the_window(move || {
        let _one_at_a_time = syncing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut replica = Replica::open(&path)?;
        let client = SyncClient::new(&server)?;
        let report = replica.sync_with_retries(&client, now(), 3, &mut |progress: SyncProgress| {
            let _ = app.emit("sync-progress", progress);
        })?;
        Ok(report)
    })
    .await
}

/// Runs network and long database work on the blocking pool, over its own connection.
async fn off_the_window<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| AppError::new(ErrorKind::Storage, format!("the work stopped unexpectedly: {e}")))?
}

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, AppError> {
    let replica = state.replica();
    Ok(SyncStatus { pending: replica.outbox_len()?, last_sync: replica.last_sync()? })
}

#[tauri::command]
pub fn list_prospects(state: State<'_, AppState>, filter: ListFilter) -> Result<Vec<ProspectRow>, AppError> {
    Ok(state.replica().list(&filter)?)
}

#[tauri::command]
pub fn search_prospects(state: State<'_, AppState>, query: String, limit: u32) -> Result<Vec<ProspectRow>, AppError> {
    Ok(state.replica().search(&query, limit)?)
}

#[tauri::command]
pub fn prospect(state: State<'_, AppState>, id: ProspectId) -> Result<ProspectDetail, AppError> {
    Ok(state.replica().prospect(id)?)
}

/// The territories this person works in (every territory, for managers and admins).
#[tauri::command]
pub fn territories(state: State<'_, AppState>) -> Result<Vec<Territory>, AppError> {
    let replica = state.replica();
    let user = replica.signed_in_user()?;
    let everything = matches!(replica.role()?, Some(Role::Manager | Role::Admin));
    let all = replica.territories()?;
    Ok(all.into_iter().filter(|t| everything || user.is_some_and(|u| t.agents.contains(&u))).collect())
}

/// Records a new prospect on this device; it is sent with the next sync.
#[tauri::command]
pub fn create_prospect(state: State<'_, AppState>, new: NewProspect) -> Result<Prospect, AppError> {
    if new.name.trim().is_empty() {
        return Err(AppError::new(ErrorKind::Invalid, "a prospect needs a name"));
    }
    let mut replica = state.replica();
    let user = replica.signed_in_user()?.ok_or_else(|| AppError::new(ErrorKind::SignedOut, "sign in first"))?;
    let id = ProspectId::new_v7(now(), rand::random());
    Ok(replica.create_prospect(id, &EditContext::new(user, now()), &new)?)
}
